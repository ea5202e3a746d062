"""Engine, sessions and the declarative base shared by every module, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

# Polar's naming convention: stable constraint names, so Alembic batch mode works on SQLite.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: one meaning on both engines."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def refuse_nul(value: Any) -> Any:
    """A before-validator for text fields: a NUL character is no text anyone types, and PostgreSQL
    cannot store it, so it is bad input (422), not a database error (500) on one engine only."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("text cannot contain NUL characters")
    return value


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_public_id() -> str:
    """Opaque identifier for anything a citizen can see (never a sequential integer)."""
    return str(uuid.uuid4())


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15}, **kwargs)
        _configure_sqlite(engine)
        return engine
    if "poolclass" not in kwargs:
        kwargs.update(pool_size=10, max_overflow=20)
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, and SQLAlchemy's recipe so SAVEPOINT and BEGIN behave as on PostgreSQL.

    SQLite has one writer: a deferred transaction that reads and then writes while another writer is
    active fails with "database is locked". The embedded engine is for one city office's demo and
    small deployments; several concurrent writers belong on PostgreSQL.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def request_session(request: Request) -> AbstractContextManager[Session]:
    """The one place a request gets its session (tests swap `app.state.open_session` for theirs).

    For code that opens it only when needed; closing it rolls back anything not committed.
    """
    return request.app.state.open_session()


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; routes commit explicitly before responding, anything else rolls back."""
    with request_session(request) as session:
        yield session


DbSession = Annotated[Session, Depends(get_session)]
