"""Benchmark: the DPO desk's inbox and KPIs over 100,000 cases, against trivial queries of the same run.

    .venv/bin/python bench/dpo_inbox.py                      # 100,000 cases on SQLite (and PostgreSQL if
                                                             # PRACA_TEST_POSTGRES_URL is set)
    .venv/bin/python bench/dpo_inbox.py --cases 20000 --repeat 50
    .venv/bin/python bench/dpo_inbox.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/dpo_inbox.py --no-postgres        # SQLite only

What it does, on each database:
1. a fresh database migrated by Alembic (`praca.core.migrate.upgrade`): on SQLite a file in a temporary
   directory; on PostgreSQL a schema of its own (`praca_bench_dpo_<pid>`) in the given database, dropped
   at the end, so even the test suite's database is safe to use;
2. 15 departments, 22 staff (admin, DPO team, one liaison per department, viewers) and N cases over the
   last 15 months, bulk-inserted with Core: fewer on weekends and in August, kinds, channels, statuses
   and extensions in the desk's proportions, first answers after a log-normal delay (mean ≈ 2.4 days,
   a long tail past the legal month), closed 0.5 to 12 days later as in the demo year (3 % left
   "answered" for good), the recent ones still open, a few stuck and overdue, a few rights requests
   waiting for their e-mail confirmation, one citizen message per case;
3. timings, each repeated many times (p50/p95 in ms), as a DPO unless said otherwise:
   - baselines: `SELECT 1` through the session, and a bare `SELECT id FROM dpo_case LIMIT 25`;
   - the inbox query as the staff inbox runs it, `inbox.list_cases(session, user, CaseFilter(...))`:
     the default view (open cases, nearest deadline first), one department, overdue, due within 7 days,
     unassigned, a liaison's view, a reference search, and a deep page (all cases, newest first,
     offset 50,000);
   - the whole inbox page over HTTP (`GET /staff/cases`, signed in as the DPO) through the app
     (`create_app` + Starlette's TestClient, in process), with `GET /livez` as its baseline;
   - `kpis.compute` for the last 365 days (as the DPO, and as a liaison), and the public statistics
     (this year and the last 12 months, uncached);
4. each figure's ratio to the baseline and PASS/FAIL against the targets: inbox page p95 < 100 ms,
   KPIs for a year p95 < 500 ms.

A benchmark, not a test: it prints figures. Exit status 0 whatever the figures, unless --check is
given: then 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from praca.app import create_app
from praca.core import auth
from praca.core.auth import Department, User
from praca.core.db import make_engine
from praca.core.migrate import upgrade
from praca.dpo import clock, inbox, kpis
from praca.dpo.kpis import KpiQuery
from praca.dpo.models import Case, CaseKind, CaseMessage, CaseStatus, Channel, DataSubjectRight, QuestionTopic
from praca.dpo.schemas import CaseFilter
from praca.registry import demo_data
from praca.settings import Settings

TARGET_PAGE_P95_MS = 100.0
TARGET_KPIS_P95_MS = 500.0
SUBDIVISION = "13"  # Porto
DAYS = 456  # fifteen months of cases
MEAN_DAYS = 2.4
EXTRA_DEPARTMENTS = [  # the demo city's eight, and seven more to make fifteen
    ("financas", "Finanças", "Finance"), ("juventude", "Juventude", "Youth"),
    ("habitacao", "Habitação", "Housing"), ("desporto", "Desporto", "Sport"),
    ("turismo", "Turismo", "Tourism"), ("juridico", "Serviços Jurídicos", "Legal Services"),
    ("recursos-humanos", "Recursos Humanos", "Human Resources")]
KINDS = [(CaseKind.QUESTION, 55), (CaseKind.UNLISTED_DEVICE, 25), (CaseKind.RIGHTS_REQUEST, 15),
         (CaseKind.COMPLAINT, 5)]
CHANNELS = [(Channel.WEB, 80), (Channel.EMAIL, 10), (Channel.PHONE, 5), (Channel.LETTER, 3), (Channel.IN_PERSON, 2)]
PENDING = [CaseStatus.RECEIVED, CaseStatus.ACKNOWLEDGED, CaseStatus.IN_PROGRESS, CaseStatus.WAITING_CITIZEN]
PASSWORD = secrets.token_urlsafe(16)  # staff are signed in by session cookie; nobody types it


# --- data ------------------------------------------------------------------------------------------------------

def _pick(rng: random.Random, weighted: list[tuple[Any, int]]) -> Any:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def _receipt(rng: random.Random, now: datetime) -> datetime:
    """A moment in the last DAYS days: office hours mostly, fewer at weekends and in August."""
    while True:
        moment = now - timedelta(days=rng.uniform(0, DAYS))
        local = moment.astimezone(clock.CITY_TZ)
        weight = (0.35 if local.weekday() >= 5 else 1.0) * (0.6 if local.month == 8 else 1.0)
        weight *= 1.0 if 8 <= local.hour < 19 else 0.3
        if rng.random() < weight and moment < now:
            return moment


def _delay_days(rng: random.Random) -> float:
    """Days to the first answer: log-normal (mean 2.4), and 2 % of cases in a tail of 10 to 60 days."""
    if rng.random() < 0.02:
        return rng.uniform(10, 60)
    sigma = 0.9
    return rng.lognormvariate(math.log(MEAN_DAYS * 0.8) - sigma * sigma / 2, sigma)


def case_rows(n: int, seed: int, departments: list[int], dpo_team: list[int], liaisons: dict[int, int],
              now: datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """n cases and one citizen message each, as rows for a bulk insert."""
    rng = random.Random(seed)
    due_cache: dict[tuple[date, int], date] = {}
    weights = [1 / (i + 1) ** 0.6 for i in range(len(departments))]  # some departments are asked more
    cases, messages = [], []
    for i in range(n):
        received = _receipt(rng, now)
        day = clock.local_date(received)
        kind = _pick(rng, KINDS)
        channel = _pick(rng, CHANNELS)
        department = rng.choices(departments, weights)[0] if rng.random() < 0.85 else None
        extension = 0 if rng.random() < 0.97 else rng.choice((1, 2))
        key = (day, extension)
        if key not in due_cache:
            due_cache[key] = clock.due_date(day, SUBDIVISION, extension)
        due: date | None = due_cache[key]
        awaiting = kind == CaseKind.RIGHTS_REQUEST and channel == Channel.WEB and rng.random() < 0.02
        if awaiting:
            due = None
        stuck = rng.random() < 0.003
        answered = None if stuck or awaiting else received + timedelta(days=_delay_days(rng))
        if answered is not None and answered >= now:
            answered = None
        closed = None
        if answered is None:
            status = rng.choice(PENDING)
        else:
            # As the demo year has it: closed some days after the answer (rejected at once); 3 % are
            # left "answered" and never closed, so the open inbox carries some dead weight.
            status = _pick(rng, [(CaseStatus.CLOSED, 87), (CaseStatus.ANSWERED, 3), (CaseStatus.REJECTED, 10)])
            if status != CaseStatus.ANSWERED:
                closed = answered + timedelta(days=0 if status == CaseStatus.REJECTED else rng.uniform(0.5, 12))
                if closed >= now:
                    status, closed = CaseStatus.ANSWERED, None
        if answered is None or rng.random() < 0.8:
            assignee = liaisons.get(department) if department and rng.random() < 0.5 else rng.choice(dpo_team)
        else:
            assignee = None
        old_and_closed = closed is not None and (now - closed).days > 30
        cases.append({
            "id": i + 1, "public_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "reference": f"P-{day.year}-{i:06d}", "kind": kind.value,
            "topic": rng.choice(list(QuestionTopic)).value if kind == CaseKind.QUESTION else None,
            "data_right": rng.choice(list(DataSubjectRight)).value if kind == CaseKind.RIGHTS_REQUEST else None,
            "status": status.value, "channel": channel.value,
            "token_hash": hashlib.sha256(f"bench-{seed}-{i}".encode()).hexdigest(),
            "locale": "pt" if rng.random() < 0.8 else "en",
            "contact_email": None if old_and_closed or rng.random() < 0.4 else f"cidadao{i}@example.org",
            "verification_hash": hashlib.sha256(f"verify-{i}".encode()).hexdigest() if awaiting else None,
            "verified_at": received if kind == CaseKind.RIGHTS_REQUEST and not awaiting else None,
            "department_id": department, "assignee_id": assignee,
            "created_by_id": rng.choice(dpo_team) if channel != Channel.WEB else None,
            "received_at": received, "due_date": due, "extension_months": extension,
            "extension_reason": "Pedido complexo: vários serviços envolvidos." if extension else None,
            "first_answer_at": answered, "closed_at": closed,
            "contact_erased_at": closed + timedelta(days=30) if old_and_closed else None,
            "updated_at": closed or answered or received,
        })
        messages.append({"case_id": i + 1, "author": "citizen", "body": f"Pergunta de teste número {i}.",
                         "internal": False, "created_at": received})
    return cases, messages


@dataclass
class Staff:
    dpo_email: str
    liaison_email: str
    department_slug: str


def load(url: str, n: int, seed: int, batch: int = 5000) -> tuple[float, Staff]:
    """Migrate `url`, then bulk-insert departments, staff and n cases; returns seconds taken."""
    start = time.perf_counter()
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            deps = [(d["slug"], d["name_pt"], d["name_en"]) for d in demo_data.departments()] + EXTRA_DEPARTMENTS
            conn.execute(insert(Department.__table__), [{"slug": s, "name_pt": p, "name_en": e} for s, p, e in deps])
            dep_ids = dict(conn.execute(text("SELECT slug, id FROM department ORDER BY id")).all())
        with Session(engine) as session:  # staff through the real code: argon2 hashes, roles checked
            users = [auth.create_user(session, email="admin@bench.example", name="Admin", role="admin",
                                      password=PASSWORD)]
            users += [auth.create_user(session, email=f"dpo{i}@bench.example", name=f"DPO {i}", role="dpo",
                                       password=PASSWORD) for i in range(3)]
            liaisons = {dep_ids[s]: auth.create_user(session, email=f"liaison-{s}@bench.example",
                                                     name=f"Liaison {s}", role="liaison", password=PASSWORD,
                                                     department_slug=s).id for s, _, _ in deps}
            for i in range(2):
                auth.create_user(session, email=f"viewer{i}@bench.example", name=f"Viewer {i}", role="viewer",
                                 password=PASSWORD)
            session.commit()
            dpo_team = [u.id for u in users]
        cases, messages = case_rows(n, seed, list(dep_ids.values()), dpo_team, liaisons, datetime.now(UTC))
        with engine.begin() as conn:
            for i in range(0, n, batch):
                conn.execute(insert(Case.__table__), cases[i:i + batch])
            for i in range(0, n, batch):
                conn.execute(insert(CaseMessage.__table__), messages[i:i + batch])
            count = conn.execute(text("SELECT count(*) FROM dpo_case")).scalar_one()
        if count != n:
            raise RuntimeError(f"loaded {count} cases, expected {n}")
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    finally:
        engine.dispose()
    busiest = deps[0][0]
    return time.perf_counter() - start, Staff("dpo0@bench.example", f"liaison-{busiest}@bench.example", busiest)


def postgres_schema(url: str, schema: str, *, drop_only: bool = False) -> str:
    """A schema of the benchmark's own in the given database (as the tests do), dropped afterwards."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            if not drop_only:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        engine.dispose()
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


# --- timing ----------------------------------------------------------------------------------------------------

@dataclass
class Timing:
    name: str
    ms: list[float]
    note: str = ""

    def pct(self, q: float) -> float:
        ordered = sorted(self.ms)
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]

    @property
    def p50(self) -> float:
        return statistics.median(self.ms)

    @property
    def p95(self) -> float:
        return self.pct(95)


def timed(name: str, fn: Callable[[], Any], repeat: int, warmup: int = 3, note: str = "") -> Timing:
    for _ in range(warmup):
        fn()
    ms = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1000)
    return Timing(name, ms, note)


def _line(t: Timing, base: Timing | None) -> str:
    ratio = f"{t.p50 / base.p50:8.1f}×" if base is not None and base.p50 > 0 else " " * 9
    return f"  {t.name:<46} p50 {t.p50:8.2f} ms  p95 {t.p95:8.2f} ms  {ratio}  {t.note}"


def run(label: str, url: str, data_dir: Path, args: argparse.Namespace) -> dict[str, Timing]:
    print(f"\n== {label}: loading {args.cases:,} cases …", flush=True)
    seconds, staff = load(url, args.cases, args.seed)
    print(f"   loaded in {seconds:.1f} s")
    engine: Engine = make_engine(url)
    results: dict[str, Timing] = {}
    try:
        with Session(engine) as session:
            dpo = session.scalar(select(User).where(User.email == staff.dpo_email))
            liaison = session.scalar(select(User).where(User.email == staff.liaison_email))
            assert dpo is not None and liaison is not None
            today = clock.local_date(datetime.now(UTC))
            open_total = inbox.list_cases(session, dpo, CaseFilter())[1]
            print(f"   open cases: {open_total:,}; today (Lisbon) {today}")

            r = args.repeat
            base = results["select 1"] = timed("SELECT 1 (baseline)", lambda: session.execute(text("SELECT 1")),
                                               r * 4)
            results["bare page"] = timed("SELECT id FROM dpo_case LIMIT 25 (baseline)", lambda: session.execute(
                select(Case.id).limit(25)).all(), r * 4)
            filters = [
                ("inbox: default (open, nearest deadline)", dpo, CaseFilter()),
                (f"inbox: department {staff.department_slug}", dpo, CaseFilter(department=staff.department_slug)),
                ("inbox: overdue", dpo, CaseFilter(overdue=True)),
                ("inbox: due within 7 days", dpo, CaseFilter(due_within=7)),
                ("inbox: unassigned", dpo, CaseFilter(assignee="none")),
                ("inbox: a liaison's view", liaison, CaseFilter()),
                ("inbox: reference search", dpo, CaseFilter(q=f"{args.cases // 3:06d}")),
                ("inbox: all, newest first, offset 50,000", dpo,
                 CaseFilter(open_only=False, sort="-received", offset=min(50_000, args.cases // 2))),
            ]
            for name, user, f in filters:
                total = inbox.list_cases(session, user, f)[1]

                def query(user: User = user, f: CaseFilter = f) -> None:
                    session.rollback()  # no identity map growing across repetitions: each run like a request
                    inbox.list_cases(session, user, f)

                results[name] = timed(name, query, r, note=f"{total:,} match")

            year = KpiQuery(from_=today - timedelta(days=364), to=today)
            report = kpis.compute(session, year, user=dpo)
            results["kpis"] = timed("kpis.compute, last 365 days (DPO)", lambda: kpis.compute(session, year, user=dpo),
                                    args.kpi_repeat, note=f"{report.totals.received:,} cases")
            mine = kpis.compute(session, year, user=liaison).totals.received
            results["kpis liaison"] = timed("kpis.compute, last 365 days (liaison)", lambda: kpis.compute(
                session, year, user=liaison), args.kpi_repeat, note=f"{mine:,} cases")
            results["public"] = timed("kpis.public_statistics (year + 12 months)", lambda: kpis.public_statistics(
                session), max(3, args.kpi_repeat // 2))

            settings = Settings(data_dir=data_dir, database_url=url, secret_key=secrets.token_urlsafe(32),
                                _env_file=None)
            token = auth.start_session(session, dpo, 1)
            session.commit()
        app = create_app(settings, engine=engine)
        with TestClient(app, base_url="http://testserver") as client:
            client.cookies.set(auth.SESSION_COOKIE, token)
            page = client.get("/staff/cases")
            assert page.status_code == 200 and "P-" in page.text, page.status_code
            http_base = results["livez"] = timed("GET /livez (HTTP baseline)", lambda: client.get("/livez"), r * 2)
            for name, path in (("page", "/staff/cases"), ("page overdue", "/staff/cases?overdue=true"),
                               ("page kpis", "/staff/kpis")):
                def get(path: str = path) -> None:
                    response = client.get(path)
                    if response.status_code != 200:
                        raise RuntimeError(f"{path}: {response.status_code}")
                reps = r if name != "page kpis" else args.kpi_repeat
                results[name] = timed(f"GET {path} (HTTP, DPO)", get, reps)
    finally:
        engine.dispose()

    print(f"\n   {'':<46} {'':>16}  {'':>16}  ratio to baseline (p50)")
    for key, t in results.items():
        reference = None if key in ("select 1", "livez") else http_base if key.startswith("page") else base
        print(_line(t, reference))
    return results


def verdicts(label: str, results: dict[str, Timing]) -> list[bool]:
    page, year = results["page"].p95, results["kpis"].p95
    ok_page, ok_kpis = page < TARGET_PAGE_P95_MS, year < TARGET_KPIS_P95_MS
    print(f"   {label}: inbox page p95 < {TARGET_PAGE_P95_MS:g} ms: {page:.1f} ms  {'PASS' if ok_page else 'FAIL'}")
    print(f"   {label}: KPIs for a year p95 < {TARGET_KPIS_P95_MS:g} ms: {year:.1f} ms  "
          f"{'PASS' if ok_kpis else 'FAIL'}")
    return [ok_page, ok_kpis]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=200, help="repetitions of each inbox query and page")
    parser.add_argument("--kpi-repeat", type=int, default=20, help="repetitions of each KPI computation")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--postgres", default=os.environ.get("PRACA_TEST_POSTGRES_URL"),
                        help="a PostgreSQL URL (default: $PRACA_TEST_POSTGRES_URL); a schema of its own is used")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="praca-bench-dpo-"))
    schema = f"praca_bench_dpo_{os.getpid()}"
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, load average "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    ok: list[bool] = []
    try:
        sqlite = run("SQLite", f"sqlite:///{tmp / 'praca.db'}", tmp, args)
        pg = None
        if args.postgres and not args.no_postgres:
            pg = run("PostgreSQL", postgres_schema(args.postgres, schema), tmp, args)
        print("\nTargets")
        ok += verdicts("SQLite", sqlite)
        if pg is not None:
            ok += verdicts("PostgreSQL", pg)
        print(f"load average now {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        return 1 if args.check and not all(ok) else 0
    except KeyboardInterrupt:
        print("\ninterrupted; cleaning up", file=sys.stderr)
        return 130
    finally:
        if args.postgres and not args.no_postgres:
            postgres_schema(args.postgres, schema, drop_only=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
