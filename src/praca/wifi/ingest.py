"""Ingest: a raw log file in, pseudonymised sessions out, the raw file gone.

Crash safety comes from three rules. A file is known by its content's SHA-256, and the ledger row for
it is committed last, so a file is either fully counted or not at all. Output files are named after
that hash and moved into place before the commit, so a re-run overwrites them with identical bytes
(the period keys were committed first, so the pseudonyms are the same). Aggregation reads only files
whose hash is in the ledger, so a crash's leftovers are never counted.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from praca.core import audit
from praca.core.db import utcnow
from praca.core.errors import InvalidInput
from praca.settings import Settings
from praca.wifi import keystore, lifecycle, service, store
from praca.wifi.duckdb_engine import FileUnreadable, StageReport
from praca.wifi.models import Ingest, KeyPeriod

FORMATS = {".csv": "csv", ".parquet": "parquet"}


@dataclass
class Outcome:
    file_name: str
    status: str  # ingested | partial | rejected | duplicate
    rows_read: int = 0
    rows_ingested: int = 0
    rows_rejected: int = 0
    report: dict[str, Any] = field(default_factory=dict)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(4 * 1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _naive(dt: datetime) -> datetime:
    return dt.replace(tzinfo=None) if dt.tzinfo else dt


def _aware(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def _report(stage: StageReport | None, error: str | None) -> dict[str, Any]:
    report: dict[str, Any] = {} if error is None else {"error": error}
    if stage is not None:
        report.update(rejected=stage.rejected, rows_read=stage.rows_read, rows_valid=stage.rows_valid)
    return report


def _period_keys(session: Session, settings: Settings, periods: list[datetime]) -> dict[datetime, bytes]:
    """The key of each period (`keystore`), made if new: its file is durable before any pseudonym made
    with it is written, so a crash never leaves sessions whose key is lost."""
    hours = timedelta(hours=settings.wifi_key_period_hours)
    keys: dict[datetime, bytes] = {}
    for period in periods:
        start = _aware(period)
        row = session.scalar(select(KeyPeriod).where(KeyPeriod.starts_at == start))
        new = row is None
        if row is None:
            row = KeyPeriod(starts_at=start, ends_at=start + hours)
            session.add(row)
            try:
                session.flush()
            except IntegrityError:  # another ingest created it meanwhile
                session.rollback()
                row, new = session.scalars(select(KeyPeriod).where(KeyPeriod.starts_at == start)).one(), False
        if row.key_destroyed_at is not None:
            raise InvalidInput(f"The key period {start:%Y-%m-%d %H:00} closed while this file was read; re-run.")
        keys[period], made = keystore.ensure(settings, start)
        # A committed period always had its key file made (in the same transaction's time): one made now
        # for an old period replaces a lost file, and the period's earlier devices will count apart.
        if new or made:
            audit.record(session, audit.SYSTEM, "wifi.key.created", lifecycle.subject(start),
                         {"replaced": made and not new})
    session.commit()
    return keys


def ingest_file(session: Session, settings: Settings, path: Path, *, overrides: dict[str, Any] | None = None,
                accept_partial: bool = False, retry_rejected: bool = True, now: datetime | None = None) -> Outcome:
    """Ingest one file. Rows that cannot be used are reported by line; unless `accept_partial`, one bad
    row rejects the whole file, which stays where it is for the operator to fix (the worker does not
    read a file it rejected again; the operator re-runs it, with a mapping or `accept_partial`)."""
    now = now or utcnow()
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InvalidInput(f"{path.name}: only .csv and .parquet session logs are read.", field="file")
    sha = file_sha256(path)
    done = session.scalar(select(Ingest).where(Ingest.sha256 == sha))
    if done is not None and done.status != "rejected":
        _delete_raw(session, settings, done, path, now)
        return Outcome(path.name, "duplicate", done.rows_read, 0, 0,
                       {"already_ingested_at": done.ingested_at.isoformat()})
    if done is not None and not retry_rejected:
        return Outcome(path.name, "rejected", done.rows_read, 0, done.rows_rejected, done.report)

    closed = [_naive(p) for p in session.scalars(select(KeyPeriod.starts_at)
                                                 .where(KeyPeriod.key_destroyed_at.is_not(None)))]
    known = list(service.access_point_codes(session))
    stage: StageReport | None = None
    error: str | None = None
    with store.engine(settings) as engine:
        try:
            stage = engine.stage(path, fmt, overrides or {}, known_aps=known, closed_periods=closed,
                                 now=_naive(now) + timedelta(hours=1), period_hours=settings.wifi_key_period_hours)
        except FileUnreadable as exc:
            error = f"The file cannot be read: {exc}"
        if stage is not None and stage.rows_valid == 0:
            error = "No usable session in the file."
        if error or (stage and stage.rejected and not accept_partial):
            return _reject(session, settings, path, sha, fmt, stage, error, now)
        assert stage is not None
        keys = _period_keys(session, settings, sorted(stage.periods))
        tmp = store.staging(settings, sha[:32])
        written = engine.write_sessions(keys, tmp, "part")
        for period, file in written.items():
            target = store.session_file(settings, period, sha)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(file, target)
        store.remove_tree(tmp)

    status = "partial" if stage.rejected else "ingested"
    row = done or Ingest(sha256=sha)
    row.file_name, row.file_format, row.status = path.name[:255], fmt, status
    row.rows_read, row.rows_ingested, row.rows_rejected = stage.rows_read, stage.rows_valid, stage.rows_rejected
    row.report = _report(stage, None)
    row.first_start, row.last_start = _aware(stage.first_start), _aware(stage.last_start)  # type: ignore[arg-type]
    row.ingested_at, row.raw_path = now, str(path.resolve())
    session.add(row)
    for period, count in stage.periods.items():
        kp = session.scalars(select(KeyPeriod).where(KeyPeriod.starts_at == _aware(period))).one()
        kp.sessions += count
    session.flush()
    audit.record(session, audit.SYSTEM, "wifi.ingest.done", f"wifi-file:{sha[:16]}",
                 {"rows": stage.rows_valid, "rejected": stage.rows_rejected, "periods": len(stage.periods)})
    session.commit()
    _delete_raw(session, settings, row, path, now)
    return Outcome(path.name, status, stage.rows_read, stage.rows_valid, stage.rows_rejected, row.report)


def _reject(session: Session, settings: Settings, path: Path, sha: str, fmt: str, stage: StageReport | None,
            error: str | None, now: datetime) -> Outcome:
    """Record the refusal (the report is kept for the operator) and write nothing else."""
    row = session.scalar(select(Ingest).where(Ingest.sha256 == sha)) or Ingest(sha256=sha)
    row.file_name, row.file_format, row.status = path.name[:255], fmt, "rejected"
    row.rows_read = stage.rows_read if stage else 0
    row.rows_ingested, row.rows_rejected = 0, stage.rows_rejected if stage else 0
    row.report, row.ingested_at, row.raw_path = _report(stage, error), now, str(path.resolve())
    session.add(row)
    session.flush()
    audit.record(session, audit.SYSTEM, "wifi.ingest.rejected", f"wifi-file:{sha[:16]}",
                 {"rejected": row.rows_rejected, "error": bool(error)})
    session.commit()
    return Outcome(path.name, "rejected", row.rows_read, 0, row.rows_rejected, row.report)


def _delete_raw(session: Session, settings: Settings, row: Ingest, path: Path, now: datetime) -> None:
    """With no grace period, the raw file goes as soon as its sessions are safely counted."""
    if settings.wifi_raw_grace_hours == 0 and path.exists():
        path.unlink()
        row.raw_deleted_at = now
        audit.record(session, audit.SYSTEM, "wifi.raw.deleted", f"wifi-file:{row.sha256[:16]}", {"grace_h": 0})
        session.commit()


def ingest_inbox(session: Session, settings: Settings, *, now: datetime | None = None,
                 progress: Any = None) -> list[Outcome]:
    """Every file waiting in the inbox, oldest first; a rejected file stays there until fixed or expired."""
    folder = store.inbox(settings)
    folder.mkdir(parents=True, exist_ok=True)
    files = sorted((p for p in folder.iterdir() if p.suffix.lower() in FORMATS), key=lambda p: (p.stat().st_mtime, p))
    outcomes = []
    for path in files:
        outcomes.append(ingest_file(session, settings, path, retry_rejected=False, now=now))
        if progress is not None:
            progress(path)
    return outcomes
