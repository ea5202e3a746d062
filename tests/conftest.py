"""Shared fixtures: every DB test runs on SQLite and, when PRACA_TEST_POSTGRES_URL is set, PostgreSQL.

Each engine is migrated once per run with Alembic (`upgrade head`, never create_all); each test then
runs inside a transaction that is rolled back, so no test sees another's data.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from praca.app import create_app
from praca.core.db import make_engine
from praca.core.migrate import upgrade
from praca.settings import Settings

POSTGRES_URL = os.environ.get("PRACA_TEST_POSTGRES_URL")
ENGINES = ["sqlite", "postgresql"]


def _postgres_schema(url: str, schema: str, *, drop_only: bool = False) -> str:
    """A schema of this run's own, so concurrent runs on one server never see each other's tables."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        if not drop_only:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def migrated_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    urls = {"sqlite": f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"}
    schema = f"praca_test_{os.getpid()}"
    if POSTGRES_URL:
        urls["postgresql"] = _postgres_schema(POSTGRES_URL, schema)
    for url in urls.values():
        upgrade(url)
    yield urls
    if POSTGRES_URL:
        _postgres_schema(POSTGRES_URL, schema, drop_only=True)


@pytest.fixture(scope="session")
def _engines(migrated_urls: dict[str, str]) -> Iterator[dict[str, Engine]]:
    engines = {name: make_engine(url) for name, url in migrated_urls.items()}
    yield engines
    for engine in engines.values():
        engine.dispose()


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, _engines: dict[str, Engine]) -> Engine:
    if request.param not in _engines:
        pytest.skip("PostgreSQL: set PRACA_TEST_POSTGRES_URL to run against it")
    return _engines[request.param]


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose commits are savepoints inside one outer transaction, rolled back at the end."""
    connection = engine.connect()
    outer = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield db
    finally:
        db.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def settings(tmp_path: Path, engine: Engine) -> Settings:
    return Settings(data_dir=tmp_path, database_url=engine.url.render_as_string(hide_password=False),
                    secret_key="test-secret-key-not-for-production", registry_cache_s=0,
                    _env_file=None)


@pytest.fixture
def app(settings: Settings, engine: Engine, session: Session):
    app = create_app(settings, engine=engine)
    app.state.open_session = lambda: nullcontext(session)  # every request shares the test's transaction
    return app


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as c:
        yield c
