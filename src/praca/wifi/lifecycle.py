"""The end of each key period: aggregate, destroy the key, purge the sessions; and retention of the rest.

A period is final `PRACA_WIFI_FINAL_AFTER_HOURS` after it ends. Finalising is one transaction: the
period's zone-hours are replaced and the period is marked aggregated, its key destroyed and its sessions
purged, with the audit entries; the key file and the session files are deleted just after the commit. If
a crash comes in between, `purge` deletes the key and the files of any such period, so every step can
simply be run again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from praca.core import audit
from praca.core.db import utcnow
from praca.settings import Settings
from praca.wifi import keystore, store, zoning
from praca.wifi.models import Footfall, Ingest, KeyPeriod


@dataclass
class PurgeResult:
    raw_deleted: int = 0
    periods_expired: list[str] = field(default_factory=list)
    dirs_removed: int = 0
    keys_destroyed: int = 0


def subject(starts_at: datetime) -> str:
    """A key period's name in the audit log."""
    return f"wifi-period:{starts_at:%Y-%m-%dT%H}"


def committed_files(session: Session, settings: Settings, period: KeyPeriod) -> list[Path]:
    """The period's session files whose ingest committed; a crash's leftovers are not among them."""
    folder = store.period_dir(settings, period.starts_at)
    if not folder.exists():
        return []
    names = {f"{sha[:32]}.parquet" for sha in session.scalars(
        select(Ingest.sha256).where(Ingest.status.in_(("ingested", "partial")),
                                    Ingest.last_start >= period.starts_at, Ingest.first_start < period.ends_at))}
    return sorted(p for p in folder.glob("*.parquet") if p.name in names)


def due_periods(session: Session, settings: Settings, now: datetime) -> list[KeyPeriod]:
    final_at = now - timedelta(hours=settings.wifi_final_after_hours)
    return list(session.scalars(select(KeyPeriod).where(KeyPeriod.aggregated_at.is_(None),
                                                        KeyPeriod.sessions_purged_at.is_(None),
                                                        KeyPeriod.ends_at <= final_at)
                                .order_by(KeyPeriod.starts_at)))


def finalise(session: Session, settings: Settings, *, now: datetime | None = None, progress=None) -> list[str]:
    """Aggregate every period that is final, then destroy its key and its sessions."""
    now = now or utcnow()
    done = []
    ap_zone, specs = zoning.zoning(session, settings)
    zoning.save_zones(session, specs)
    session.commit()
    due = due_periods(session, settings, now)
    if due:
        with store.engine(settings) as engine:  # one for all: starting one (Spark's above all) costs
            for period in due:
                _finalise_period(session, settings, engine, period, ap_zone, now)
                done.append(f"{period.starts_at:%Y-%m-%d %H:00}")
                if progress is not None:
                    progress(period)
    return done


def _finalise_period(session: Session, settings: Settings, engine: Any, period: KeyPeriod, ap_zone: dict[str, str],
                     now: datetime) -> None:
    """One period, in one transaction: its zone-hours replaced, its key destroyed, its sessions purged."""
    files = committed_files(session, settings, period)
    rows = engine.aggregate(files, ap_zone, max_cells=settings.wifi_dp_max_cells)
    session.execute(delete(Footfall).where(Footfall.hour >= period.starts_at, Footfall.hour < period.ends_at))
    if rows:  # a bulk INSERT: thousands of ORM objects took longer than the aggregation
        session.execute(insert(Footfall), [
            {"zone": z, "hour": h.replace(tzinfo=UTC), "devices": d, "sessions": n, "median_dwell_s": m,
             "devices_bounded": b} for z, h, d, n, m, b in rows])
    small = sum(1 for r in rows if r[2] < settings.wifi_k)
    period.aggregated_at = period.key_destroyed_at = period.sessions_purged_at = now
    session.flush()
    audit.record(session, audit.SYSTEM, "wifi.period.aggregated", subject(period.starts_at),
                 {"cells": len(rows), "suppressed": small, "files": len(files)})
    audit.record(session, audit.SYSTEM, "wifi.key.destroyed", subject(period.starts_at), {"reason": "final"})
    audit.record(session, audit.SYSTEM, "wifi.sessions.purged", subject(period.starts_at), {"reason": "final"})
    session.commit()
    keystore.destroy(settings, period.starts_at)
    store.remove_tree(store.period_dir(settings, period.starts_at))


def purge(session: Session, settings: Settings, *, now: datetime | None = None) -> PurgeResult:
    """Retention, enforced whatever else happened: raw files past their grace (ingested) or past the
    session retention (rejected, still waiting for the operator), periods past retention even if they
    could not be aggregated, and any session or staging folder no live period owns."""
    now = now or utcnow()
    result = PurgeResult()
    grace = timedelta(hours=settings.wifi_raw_grace_hours)
    retention = timedelta(hours=settings.wifi_session_retention_hours)
    for row in session.scalars(select(Ingest).where(Ingest.raw_deleted_at.is_(None), Ingest.raw_path.is_not(None))):
        limit = retention if row.status == "rejected" else grace
        if row.ingested_at + limit > now:
            continue
        Path(row.raw_path).unlink(missing_ok=True)  # type: ignore[arg-type]
        row.raw_deleted_at = now
        audit.record(session, audit.SYSTEM, "wifi.raw.deleted", f"wifi-file:{row.sha256[:16]}",
                     {"status": row.status})
        result.raw_deleted += 1
    session.commit()
    for period in session.scalars(select(KeyPeriod).where(KeyPeriod.sessions_purged_at.is_(None))):
        if period.ends_at + retention > now:
            continue
        period.key_destroyed_at = period.sessions_purged_at = now
        audit.record(session, audit.SYSTEM, "wifi.key.destroyed", subject(period.starts_at), {"reason": "retention"})
        audit.record(session, audit.SYSTEM, "wifi.sessions.purged", subject(period.starts_at),
                     {"reason": "retention", "aggregated": False})
        result.periods_expired.append(f"{period.starts_at:%Y-%m-%d %H:00}")
    session.commit()
    # A key file left by a crash after its period was closed, or owned by no period (unless an ingest
    # is making it right now).
    destroyed = {s: d for s, d in session.execute(select(KeyPeriod.starts_at, KeyPeriod.key_destroyed_at))}
    for starts_at, modified in keystore.held(settings).items():
        period = starts_at.replace(tzinfo=UTC)
        orphan = period not in destroyed and modified < (now - timedelta(hours=1)).timestamp()
        if (destroyed.get(period) is not None or orphan) and keystore.destroy(settings, starts_at):
            result.keys_destroyed += 1
    live = {f"{p:%Y%m%dT%H}" for p in session.scalars(
        select(KeyPeriod.starts_at).where(KeyPeriod.sessions_purged_at.is_(None)))}
    root = store.sessions_root(settings)
    for folder in root.iterdir() if root.exists() else ():
        if folder.name not in live:
            store.remove_tree(folder)
            result.dirs_removed += 1
    staging = settings.wifi_dir / "staging"
    for folder in staging.iterdir() if staging.exists() else ():
        if datetime.fromtimestamp(folder.stat().st_mtime).astimezone() < now - timedelta(hours=1):
            store.remove_tree(folder)
            result.dirs_removed += 1
    return result
