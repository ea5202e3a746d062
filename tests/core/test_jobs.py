"""core/jobs: runs are recorded, only due jobs run, one worker at a time holds a job's lease.

Jobs open their own sessions and commit, so every test here uses `fresh_sm`: a database of its own
(SQLite file or a scratch PostgreSQL database), not the rolled-back shared `session`.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import event, func, pool, select, text, update

from praca.core import jobs
from praca.core.auth import Department
from praca.core.db import make_engine, utcnow
from praca.core.jobs import Job, JobLease, JobRun
from praca.settings import Settings


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path, _env_file=None)


@pytest.fixture(autouse=True)
def _registry_untouched():
    before = dict(jobs.REGISTRY)
    yield
    assert before == jobs.REGISTRY, "tests build Job objects directly and must not register them"


class Counter:
    def __init__(self, result=None) -> None:
        self.calls = 0
        self.result = {"done": 1} if result is None else result

    def __call__(self, session, settings):
        self.calls += 1
        return self.result


def lease(sm, name: str) -> JobLease | None:
    with sm() as s:
        return s.get(JobLease, name)


def runs(sm, name: str) -> list[JobRun]:
    with sm() as s:
        return list(s.scalars(select(JobRun).where(JobRun.name == name).order_by(JobRun.id)))


def test_run_is_recorded_and_scheduled(fresh_sm, settings):
    fn = Counter({"sent": 3})
    job = Job("test.counter", timedelta(minutes=10), fn)
    before = utcnow()

    assert jobs.run_job(fresh_sm, settings, job) == {"sent": 3}

    assert fn.calls == 1
    [run] = runs(fresh_sm, "test.counter")
    assert run.status == "ok"
    assert before <= run.started_at <= run.finished_at <= utcnow()
    assert "sent" in run.result and "3" in run.result
    row = lease(fresh_sm, "test.counter")
    assert row.holder is None and row.lease_until is None  # released
    assert before + timedelta(minutes=10) <= row.next_run_at <= utcnow() + timedelta(minutes=10)


def test_job_returning_none_counts_as_run(fresh_sm, settings):
    job = Job("test.none", timedelta(minutes=1), lambda s, st: None)
    assert jobs.run_job(fresh_sm, settings, job) == {}
    assert [r.status for r in runs(fresh_sm, "test.none")] == ["ok"]


def test_not_due_yet_is_skipped(fresh_sm, settings):
    fn = Counter()
    job = Job("test.hourly", timedelta(hours=1), fn)
    assert jobs.run_job(fresh_sm, settings, job) is not None
    assert jobs.run_job(fresh_sm, settings, job) is None
    assert fn.calls == 1
    assert len(runs(fresh_sm, "test.hourly")) == 1


def test_due_again_once_its_interval_has_passed(fresh_sm, settings):
    fn = Counter()
    job = Job("test.hourly", timedelta(hours=1), fn)
    jobs.run_job(fresh_sm, settings, job)
    with fresh_sm() as s:
        s.execute(update(JobLease).values(next_run_at=utcnow() - timedelta(seconds=1)))
        s.commit()
    assert jobs.run_job(fresh_sm, settings, job) is not None
    assert fn.calls == 2


def test_force_runs_a_job_that_is_not_due(fresh_sm, settings):
    fn = Counter()
    job = Job("test.hourly", timedelta(hours=1), fn)
    jobs.run_job(fresh_sm, settings, job)
    assert jobs.run_job(fresh_sm, settings, job, force=True) == {"done": 1}
    assert fn.calls == 2
    assert [r.status for r in runs(fresh_sm, "test.hourly")] == ["ok", "ok"]


def hold_lease(sm, name: str, holder: str, until) -> None:
    with sm() as s:
        s.merge(JobLease(name=name, holder=holder, lease_until=until, next_run_at=None))
        s.commit()


def test_lease_held_by_another_worker_is_respected(fresh_sm, settings):
    fn = Counter()
    job = Job("test.leased", timedelta(minutes=1), fn)
    hold_lease(fresh_sm, "test.leased", "other-host:4242", utcnow() + timedelta(minutes=5))

    assert jobs.run_job(fresh_sm, settings, job) is None
    assert jobs.run_job(fresh_sm, settings, job, force=True) is None  # not even when forced

    assert fn.calls == 0
    assert runs(fresh_sm, "test.leased") == []
    row = lease(fresh_sm, "test.leased")
    assert row.holder == "other-host:4242"  # untouched


def test_expired_lease_of_a_crashed_worker_is_taken_over(fresh_sm, settings):
    fn = Counter()
    job = Job("test.leased", timedelta(minutes=1), fn)
    hold_lease(fresh_sm, "test.leased", "crashed-host:1", utcnow() - timedelta(seconds=1))

    assert jobs.run_job(fresh_sm, settings, job) is not None

    assert fn.calls == 1
    row = lease(fresh_sm, "test.leased")
    assert row.holder is None and row.lease_until is None and row.next_run_at is not None


def test_failing_job_is_recorded_and_its_writes_rolled_back(fresh_sm, settings):
    class Boom(RuntimeError):
        pass

    def half_done(session, settings):
        session.add(Department(slug="half-written", name_pt="x", name_en="x"))
        session.flush()  # the row reached the database, inside the job's transaction
        raise Boom("disk full")

    job = Job("test.failing", timedelta(minutes=5), half_done)

    result = jobs.run_job(fresh_sm, settings, job)

    assert result == {"error": "Boom"}
    [run] = runs(fresh_sm, "test.failing")
    assert run.status == "failed" and run.finished_at is not None
    assert "Boom" in run.result and "disk full" not in run.result  # the type, not the message
    with fresh_sm() as s:
        assert s.scalar(select(func.count()).select_from(Department)) == 0
    row = lease(fresh_sm, "test.failing")
    assert row.holder is None and row.lease_until is None
    assert row.next_run_at > utcnow() + timedelta(minutes=4)  # retried on its normal schedule
    assert jobs.run_job(fresh_sm, settings, job) is None


def test_job_commits_are_kept(fresh_sm, settings):
    def writes(session, settings):
        session.add(Department(slug="written", name_pt="x", name_en="x"))
        return {"written": 1}

    jobs.run_job(fresh_sm, settings, Job("test.writes", timedelta(minutes=5), writes))
    with fresh_sm() as s:
        assert s.scalar(select(Department.slug)) == "written"


def test_two_workers_at_once_run_a_job_once(fresh_sm, settings):
    calls: list[int] = []

    def slow(session, settings):
        calls.append(1)
        time.sleep(0.3)  # long enough for every other worker to try meanwhile
        return {"ok": 1}

    job = Job("test.slow", timedelta(minutes=5), slow)
    start = threading.Barrier(4)
    outcomes: list[object] = []

    def worker() -> None:
        start.wait()
        try:
            outcomes.append(jobs.run_job(fresh_sm, settings, job))
        except Exception as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert len(outcomes) == 4
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sorted(outcomes, key=lambda o: o is None) == [{"ok": 1}, None, None, None]
    assert len(calls) == 1
    assert len(runs(fresh_sm, "test.slow")) == 1


def test_a_commit_elsewhere_while_taking_the_lease_does_not_crash_the_worker(fresh_sm, settings):
    """The web process writes all the time; one commit of its landing while the worker is between
    reading and updating the lease row must not make run_job raise (on SQLite that used to be
    "database is locked" at once, killing the worker loop)."""
    fn = Counter()
    job = Job("test.busy", timedelta(minutes=5), fn)
    jobs.run_job(fresh_sm, settings, job)  # the lease row exists now
    engine = fresh_sm.kw["bind"]
    web = make_engine(engine.url.render_as_string(hide_password=False), poolclass=pool.NullPool)
    injected: list[str] = []

    def commit_from_elsewhere(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE JOB_LEASE SET HOLDER") and not injected:
            injected.append(statement)
            with web.begin() as other:
                other.execute(text("INSERT INTO department (slug, name_pt, name_en) VALUES ('w', 'w', 'w')"))

    event.listen(engine, "before_cursor_execute", commit_from_elsewhere)
    try:
        assert jobs.run_job(fresh_sm, settings, job, force=True) == {"done": 1}
    finally:
        event.remove(engine, "before_cursor_execute", commit_from_elsewhere)
        web.dispose()
    assert injected
    assert fn.calls == 2
    with fresh_sm() as s:
        assert s.scalar(text("SELECT count(*) FROM department")) == 1


def test_last_runs_lists_newest_first(fresh_sm, settings):
    for name in ("test.a", "test.b", "test.c"):
        jobs.run_job(fresh_sm, settings, Job(name, timedelta(minutes=1), Counter()))
    with fresh_sm() as s:
        assert [r.name for r in jobs.last_runs(s, limit=2)] == ["test.c", "test.b"]
