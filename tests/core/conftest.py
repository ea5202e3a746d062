"""Fixtures for core code that commits on its own (the worker, the e-mail outbox).

The shared `session` fixture rolls everything back, which hides exactly what these tests are about:
separate sessions, commits, leases. `fresh_sm` gives a sessionmaker on a database of its own, freshly
migrated, on SQLite and — when PRACA_TEST_POSTGRES_URL is set — on a throwaway PostgreSQL database.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from sqlalchemy import make_url, pool, text
from sqlalchemy.orm import Session, sessionmaker

from praca.core import jobs, notify
from praca.core.db import make_engine, make_sessionmaker
from praca.core.migrate import upgrade
from tests.smtp import SmtpServer, smtp_server

POSTGRES_URL = os.environ.get("PRACA_TEST_POSTGRES_URL")


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated once; each test gets a copy (Alembic's engine is disposed, so no WAL is left behind)."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _postgres_scratch_url() -> Iterator[str | None]:
    """A database of our own next to the shared test database, dropped at the end of the run."""
    if not POSTGRES_URL:
        yield None
        return
    base = make_url(POSTGRES_URL)
    name = f"{base.database}_commits_{os.getpid()}"
    admin = make_engine(base.set(database="postgres").render_as_string(hide_password=False),
                        poolclass=pool.NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _truncate_postgres(url: str) -> None:
    engine = make_engine(url, poolclass=pool.NullPool)
    with engine.begin() as conn:
        tables = conn.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                   "AND tablename <> 'alembic_version'")).all()
        if tables:
            names = ", ".join(f'"{t}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


class _CurrentStderr:
    """Whatever sys.stderr is at the moment of writing (pytest and CliRunner swap it per test)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


@pytest.fixture
def _live_structlog(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """configure_logging() (run by the CLI, e.g. under CliRunner in test_audit) binds structlog to the
    sys.stderr of that moment and caches loggers on first use; once that stream is closed, the worker's
    and the outbox's log lines would raise "I/O operation on closed file". Give them live loggers."""
    saved = structlog.get_config()
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()))  # type: ignore[arg-type]
    for module in (jobs, notify):
        monkeypatch.setattr(module, "log", structlog.get_logger(module.__name__))
    yield
    structlog.configure(**saved)


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_sm(request: pytest.FixtureRequest, tmp_path: Path, _sqlite_template: Path,
             _live_structlog: None) -> Iterator[sessionmaker[Session]]:
    """A sessionmaker on an empty, migrated database whose commits are real."""
    if request.param == "sqlite":
        path = tmp_path / "fresh.db"
        shutil.copyfile(_sqlite_template, path)
        engine = make_engine(f"sqlite:///{path}")
    else:
        url = request.getfixturevalue("_postgres_scratch_url")
        if url is None:
            pytest.skip("PostgreSQL: set PRACA_TEST_POSTGRES_URL to run against it")
        _truncate_postgres(url)
        engine = make_engine(url, poolclass=pool.NullPool)
    try:
        yield make_sessionmaker(engine)
    finally:
        engine.dispose()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server on a free loopback port; `.messages` collects what it received."""
    with smtp_server() as server:
        yield server
