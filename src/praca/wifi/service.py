"""What the rest of Praça may ask of the Wi-Fi analytics: zones, visible aggregates, access points.

Everything shown to people or published reads aggregates through `visible_footfall`, which drops
every zone-hour with fewer than k distinct devices: that rule lives here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TextIO

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from praca.core import audit
from praca.core.errors import InvalidInput
from praca.registry import service as registry
from praca.settings import Settings
from praca.wifi.models import AccessPoint, Footfall, Zone


def visible_footfall(session: Session, settings: Settings, *, start: datetime, end: datetime,
                     zone: str | None = None) -> list[Footfall]:
    """Zone-hours in [start, end) with at least k distinct devices, by hour then zone."""
    stmt = select(Footfall).where(Footfall.hour >= start, Footfall.hour < end, Footfall.devices >= settings.wifi_k)
    if zone is not None:
        stmt = stmt.where(Footfall.zone == zone)
    return list(session.scalars(stmt.order_by(Footfall.hour, Footfall.zone)))


def zones(session: Session) -> list[Zone]:
    return list(session.scalars(select(Zone).order_by(Zone.name, Zone.code)))


def access_point_codes(session: Session) -> dict[str, str]:
    """Controller code → register public id, for every mapped access point."""
    return {code: pid for code, pid in session.execute(select(AccessPoint.code, AccessPoint.device_public_id))}


def map_access_point(session: Session, code: str, device_public_id: str, actor: str) -> AccessPoint:
    """Tie a controller's access-point code to its register entry (re-mapping an existing code moves it)."""
    code = code.strip()
    if not code or len(code) > 100:
        raise InvalidInput("An access-point code is 1 to 100 characters.", field="code")
    if device_public_id not in {d.public_id for d in registry.wifi_access_points(session)}:
        raise InvalidInput(f"No active Wi-Fi access point '{device_public_id}' in the register.", field="device")
    ap = session.scalar(select(AccessPoint).where(AccessPoint.code == code))
    if ap is None:
        ap = AccessPoint(code=code, device_public_id=device_public_id)
        session.add(ap)
    else:
        ap.device_public_id = device_public_id
    session.flush()
    audit.record(session, actor, "wifi.access_point.mapped", f"wifi-ap:{code}", {"device": device_public_id})
    return ap


def visible_counts(session: Session, settings: Settings, *,
                   ranges: Sequence[tuple[datetime, datetime]]) -> list[tuple[str, datetime, int]]:
    """(zone, hour, devices) of the zone-hours with at least k distinct devices in any of the [start, end)
    ranges, in one query of plain rows: for readers that add up thousands of cells city-wide, where ORM
    objects would cost more than the arithmetic."""
    if not ranges:
        return []
    stmt = (select(Footfall.zone, Footfall.hour, Footfall.devices)
            .where(or_(*(and_(Footfall.hour >= start, Footfall.hour < end) for start, end in ranges)),
                   Footfall.devices >= settings.wifi_k))
    return [(zone, hour, devices) for zone, hour, devices in session.execute(stmt)]


def latest_visible_hour(session: Session, settings: Settings) -> datetime | None:
    """The start of the latest zone-hour anyone may see (k devices or more), if any."""
    return session.scalar(select(func.max(Footfall.hour)).where(Footfall.devices >= settings.wifi_k))


def auto_map_access_points(session: Session, actor: str) -> int:
    """Give every register access point without a controller code one (`AP-0001`, `BUS-0001`, in register
    order): for a city whose controllers are configured from the register, and for the demo."""
    from praca.registry.taxonomy import DeviceType

    mapped = set(session.scalars(select(AccessPoint.device_public_id)))
    used = set(session.scalars(select(AccessPoint.code)))
    added = 0
    counters = {"AP": 0, "BUS": 0}
    for device in registry.wifi_access_points(session):
        if device.public_id in mapped:
            continue
        prefix = "BUS" if device.type == DeviceType.BUS_WIFI else "AP"
        while True:
            counters[prefix] += 1
            code = f"{prefix}-{counters[prefix]:04d}"
            if code not in used:
                break
        session.add(AccessPoint(code=code, device_public_id=device.public_id))
        added += 1
    session.flush()
    if added:
        audit.record(session, actor, "wifi.access_point.mapped", "wifi-ap:auto", {"added": added})
    return added


def write_footfall_releases(session: Session, out: TextIO) -> None:
    """Every differentially private footfall release, cell by cell: the only Wi-Fi figures that leave the
    city. Counts were noised and thresholded when released; nothing here is recomputed."""
    import csv

    from praca.wifi import release

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["lancamento", "conjunto", "epsilon", "zona", "hora_utc", "dispositivos"])
    offset = 0
    while True:
        page, total = release.list_releases(session, limit=100, offset=offset)
        for item, slug in page:
            for cell in release.release_rows(session, item):
                writer.writerow([item.public_id, slug, item.epsilon, cell.zone, release.utc_iso(cell.hour),
                                 cell.devices])
        offset += len(page)
        if not page or offset >= total:
            return
