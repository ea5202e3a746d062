"""The worker: periodic jobs declared in each module's tasks.py, one run at a time across workers.

A job is a function `(session, settings) -> dict` registered with `@periodic(name, every=...)`.
Before running, a worker takes the job's lease row (a conditional UPDATE that only one worker can
win); each run is recorded. Jobs commit their own work and must be safe to re-run after a crash.
"""

from __future__ import annotations

import importlib
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import String, Text, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from praca.core.db import Base, UTCDateTime, utcnow
from praca.settings import Settings

log = structlog.get_logger(__name__)

JobFn = Callable[[Session, Settings], dict[str, Any] | None]
# Every module whose tasks.py registers jobs; the worker imports exactly these.
TASK_MODULES = ("praca.core.tasks", "praca.registry.tasks", "praca.dpo.tasks", "praca.wifi.tasks",
                "praca.opendata.tasks")


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    fn: JobFn


REGISTRY: dict[str, Job] = {}


def periodic(name: str, every: timedelta) -> Callable[[JobFn], JobFn]:
    def decorate(fn: JobFn) -> JobFn:
        REGISTRY[name] = Job(name, every, fn)
        return fn

    return decorate


class JobLease(Base):
    __tablename__ = "job_lease"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class JobRun(Base):
    __tablename__ = "job_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20))
    result: Mapped[str | None] = mapped_column(Text)


def load_jobs() -> dict[str, Job]:
    for module in TASK_MODULES:
        importlib.import_module(module)
    return REGISTRY


def _acquire(session: Session, job: Job, holder: str, now: datetime, lease: timedelta) -> bool:
    missing = session.get(JobLease, job.name) is None
    # Every write below starts its own transaction: SQLite cannot turn a read transaction into a
    # write once another connection (a web request) has committed meanwhile — it fails at once with
    # "database is locked" instead of waiting — and that would crash the worker loop.
    session.rollback()
    if missing:
        try:
            session.add(JobLease(name=job.name))
            session.commit()
        except IntegrityError:  # another worker created it first
            session.rollback()
    won = session.execute(
        update(JobLease)
        .where(JobLease.name == job.name,
               (JobLease.lease_until.is_(None)) | (JobLease.lease_until < now),
               (JobLease.next_run_at.is_(None)) | (JobLease.next_run_at <= now))
        .values(holder=holder, lease_until=now + lease)
    ).rowcount
    session.commit()
    return won == 1


def run_job(sm: sessionmaker[Session], settings: Settings, job: Job, *, force: bool = False,
            lease: timedelta = timedelta(minutes=30)) -> dict[str, Any] | None:
    """Run one job if it is due and no other worker holds it; returns its result or None if skipped."""
    holder = f"{socket.gethostname()}:{os.getpid()}"
    now = utcnow()
    with sm() as session:
        if force:
            session.execute(update(JobLease).where(JobLease.name == job.name).values(next_run_at=None))
            session.commit()
        if not _acquire(session, job, holder, now, lease):
            return None
        run = JobRun(name=job.name, started_at=now, status="running")
        session.add(run)
        session.commit()
        run_id = run.id
    status, result = "ok", None
    with sm() as session:
        try:
            result = job.fn(session, settings) or {}
            session.commit()
        except Exception as exc:
            session.rollback()
            status, result = "failed", {"error": type(exc).__name__}
            log.exception("job.failed", job=job.name)
    with sm() as session:
        session.execute(update(JobRun).where(JobRun.id == run_id).values(
            finished_at=utcnow(), status=status, result=str(result)[:2000]))
        session.execute(update(JobLease).where(JobLease.name == job.name, JobLease.holder == holder).values(
            lease_until=None, holder=None, next_run_at=now + job.every))
        session.commit()
    log.info("job.finished", job=job.name, status=status)
    return result


def run_forever(sm: sessionmaker[Session], settings: Settings, poll_s: float = 15.0) -> None:
    jobs = load_jobs()
    log.info("worker.started", jobs=sorted(jobs))
    while True:
        for job in jobs.values():
            try:
                run_job(sm, settings, job)
            except Exception:  # the database may be briefly away: log, and try again next round
                log.exception("worker.round_failed", job=job.name)
        time.sleep(poll_s)


def last_runs(session: Session, limit: int = 50) -> list[JobRun]:
    return list(session.scalars(select(JobRun).order_by(JobRun.id.desc()).limit(limit)))
