"""Fixtures for core code that commits on its own (the worker, the e-mail outbox).

The shared `session` fixture rolls everything back, which hides exactly what these tests are about:
separate sessions, commits, leases. `fresh_sm` gives a sessionmaker on a database of its own, freshly
migrated, on SQLite and — when PRACA_TEST_POSTGRES_URL is set — on a throwaway PostgreSQL database.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url, pool, text
from sqlalchemy.orm import Session, sessionmaker

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


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_sm(request: pytest.FixtureRequest, tmp_path: Path, _sqlite_template: Path) -> Iterator[sessionmaker[Session]]:
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
