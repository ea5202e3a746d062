"""The demo city's Wi-Fi: five weeks of synthetic logs for the register's access points, run through
the real pipeline (ingest → pseudonymise → aggregate → destroy keys → purge), so the pressure map has
a baseline and the last week's market day and concert stand out."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from praca.registry import service as registry
from praca.registry.taxonomy import DeviceType
from praca.settings import Settings
from praca.wifi import ingest, lifecycle, release, service, synth
from praca.wifi.models import Ingest

DAYS = 35
SESSIONS_PER_DAY = 40_000


def synth_access_points(session: Session) -> list[synth.SynthAccessPoint]:
    devices = {d.public_id: d for d in registry.wifi_access_points(session)}
    return [synth.SynthAccessPoint(code, devices[pid].lat, devices[pid].lon, devices[pid].type == DeviceType.BUS_WIFI)
            for code, pid in sorted(service.access_point_codes(session).items()) if pid in devices]


def seed(session: Session, settings: Settings, *, days: int = DAYS, sessions_per_day: int = SESSIONS_PER_DAY,
         now: datetime | None = None) -> list[str]:
    if session.scalar(select(func.count(Ingest.id))):
        return []
    service.auto_map_access_points(session, "demo")
    session.commit()
    now = now or datetime.now(UTC)
    first = (now - timedelta(days=days)).date()
    with tempfile.TemporaryDirectory(dir=settings.data_dir) as tmp:
        paths = synth.write_logs(Path(tmp), synth_access_points(session), start=first, days=days,
                                 sessions_per_day=sessions_per_day, fmt="parquet")
        outcomes = [ingest.ingest_file(session, settings, p, now=now) for p in paths]
    final = lifecycle.finalise(session, settings, now=now)
    lifecycle.purge(session, settings, now=now)
    released = _weekly_release(session, settings, now)
    rows = sum(o.rows_ingested for o in outcomes)
    return [f"Wi-Fi: {rows:,} synthetic sessions over {days} days pseudonymised and aggregated; "
            f"{len(final)} day(s) final with their keys destroyed (see /staff/wifi/pressure); "
            f"a DP release of the last full week ({released} cells published)."]


def _weekly_release(session: Session, settings: Settings, now: datetime) -> int:
    """Last week's footfall as the city would publish it: noised (epsilon 1), thresholded at k."""
    release.ensure_dataset(session, settings, "footfall-weekly", "Afluência semanal por zona", actor="demo")
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    end = today - timedelta(days=2)  # final days only: two days back is past FINAL_AFTER_HOURS
    item = release.publish(session, settings, "footfall-weekly", start=end - timedelta(days=7), end=end,
                           epsilon=1.0, actor="demo")
    session.commit()
    return item.cells_published
