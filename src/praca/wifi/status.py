"""What the Wi-Fi pipeline holds right now, since when, and when it will be gone (`praca wifi status`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from praca.core.db import utcnow
from praca.settings import Settings
from praca.wifi import keystore, store
from praca.wifi.models import Footfall, Ingest, KeyPeriod


@dataclass
class Holding:
    what: str
    count: int
    since: datetime | None  # the oldest item held
    gone_by: datetime | None  # when the oldest item will be deleted at the latest
    detail: str = ""


def _size(settings: Settings) -> int:
    root = store.sessions_root(settings)
    return sum(p.stat().st_size for p in root.rglob("*.parquet")) if root.exists() else 0


def holdings(session: Session, settings: Settings, now: datetime | None = None) -> list[Holding]:
    now = now or utcnow()
    retention = timedelta(hours=settings.wifi_session_retention_hours)
    raw = list(session.scalars(select(Ingest).where(Ingest.raw_deleted_at.is_(None), Ingest.raw_path.is_not(None))
                               .order_by(Ingest.ingested_at)))
    waiting = [p for p in store.inbox(settings).glob("*") if p.is_file()] if store.inbox(settings).exists() else []

    def raw_deadline(row: Ingest) -> datetime:
        return row.ingested_at + (retention if row.status == "rejected" else
                                  timedelta(hours=settings.wifi_raw_grace_hours))

    live = list(session.scalars(select(KeyPeriod).where(KeyPeriod.sessions_purged_at.is_(None))
                                .order_by(KeyPeriod.starts_at)))
    final_after = timedelta(hours=settings.wifi_final_after_hours)
    keys = keystore.held(settings)
    cells, first_hour, last_hour = session.execute(
        select(func.count(Footfall.id), func.min(Footfall.hour), func.max(Footfall.hour))).one()
    visible = session.scalar(select(func.count(Footfall.id)).where(Footfall.devices >= settings.wifi_k)) or 0
    return [
        Holding("raw log files (device identifiers in clear)", len(raw),
                raw[0].ingested_at if raw else None, min(map(raw_deadline, raw)) if raw else None,
                f"{len(waiting)} file(s) in the inbox"),
        Holding("pseudonymisation keys", len(keys), min(keys).replace(tzinfo=UTC) if keys else None,
                live[0].ends_at + final_after if live else None,
                f"destroyed when the period is final; files in {store.key_dir(settings)}"),
        Holding("pseudonymised sessions", sum(p.sessions for p in live), live[0].starts_at if live else None,
                live[0].ends_at + final_after if live else None,
                f"{_size(settings) / 1e6:.1f} MB; at the latest {settings.wifi_session_retention_hours} h after "
                "their period"),
        Holding("zone-hour aggregates", cells or 0, first_hour, None,
                f"{visible} shown (k ≥ {settings.wifi_k}); kept, they identify no one"
                + (f"; last hour {last_hour:%Y-%m-%d %H:00}" if last_hour else "")),
    ]
