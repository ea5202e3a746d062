"""Access points grouped into zones: H3 hexagons at a configured resolution, or polygons such as
parishes from a GeoJSON file. On-bus access points move, so they form one zone of their own."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import h3
from sqlalchemy import select
from sqlalchemy.orm import Session

from praca.core.errors import InvalidInput
from praca.registry import service as registry
from praca.registry.taxonomy import DeviceType
from praca.settings import Settings
from praca.wifi.models import AccessPoint, Zone

BUS_ZONE = "bus"


@dataclass
class ZoneSpec:
    code: str
    kind: str
    name: str
    lat: float | None
    lon: float | None
    boundary: dict[str, Any] | None
    access_points: int = 0


def _place(device_name: str) -> str:
    """'Wi-Fi público – Avenida dos Aliados, n.º 2' → 'Avenida dos Aliados': where the register says it is."""
    return device_name.rsplit(" – ", 1)[-1].split(", n.º")[0].strip()


def _inside(lon: float, lat: float, ring: list[list[float]]) -> bool:
    """Ray casting: is the point inside a GeoJSON linear ring?"""
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > lat) != (y2 > lat) and lon < (x2 - x1) * (lat - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def _polygons(settings: Settings) -> list[tuple[str, dict[str, Any]]]:
    if settings.wifi_zones_file is None:
        raise InvalidInput("Parish zones need PRACA_WIFI_ZONES_FILE (GeoJSON polygons with a 'name').")
    data = json.loads(settings.wifi_zones_file.read_text(encoding="utf-8"))
    out = []
    for feature in data.get("features", []):
        geometry = feature["geometry"]
        polygon = geometry if geometry["type"] == "Polygon" else {"type": "Polygon",
                                                                  "coordinates": geometry["coordinates"][0]}
        out.append((str(feature["properties"]["name"]), polygon))
    return out


def zoning(session: Session, settings: Settings) -> tuple[dict[str, str], list[ZoneSpec]]:
    """Access-point code → zone code for every mapped access point, and the zones themselves."""
    devices = {d.public_id: d for d in registry.wifi_access_points(session)}
    zones: dict[str, ZoneSpec] = {}
    polygons = _polygons(settings) if settings.wifi_zones == "parish" else []
    ap_zone: dict[str, str] = {}
    for code, public_id in session.execute(select(AccessPoint.code, AccessPoint.device_public_id)).tuples():
        device = devices.get(public_id)
        if device is None:
            continue
        if device.type == DeviceType.BUS_WIFI:
            spec = zones.setdefault(BUS_ZONE, ZoneSpec(BUS_ZONE, "bus", "Wi-Fi a bordo dos autocarros",
                                                       None, None, None))
        elif settings.wifi_zones == "parish":
            name, polygon = next(((n, p) for n, p in polygons if _inside(device.lon, device.lat, p["coordinates"][0])),
                                 (None, None))
            if name is None:
                continue
            ring = polygon["coordinates"][0]
            spec = zones.setdefault(f"parish:{name}", ZoneSpec(
                f"parish:{name}", "parish", name, sum(p[1] for p in ring) / len(ring),
                sum(p[0] for p in ring) / len(ring), polygon))
        else:
            cell = h3.latlng_to_cell(device.lat, device.lon, settings.wifi_h3_resolution)
            if cell not in zones:
                lat, lon = h3.cell_to_latlng(cell)
                ring = [[x, y] for y, x in h3.cell_to_boundary(cell)]
                zones[cell] = ZoneSpec(cell, "h3", _place(device.name), lat, lon,
                                       {"type": "Polygon", "coordinates": [[*ring, ring[0]]]})
            spec = zones[cell]
        spec.access_points += 1
        ap_zone[code] = spec.code
    return ap_zone, list(zones.values())


def save_zones(session: Session, specs: list[ZoneSpec]) -> None:
    """Upsert the zones so pages can draw them; zones no longer fed keep their rows (history)."""
    existing = {z.code: z for z in session.scalars(select(Zone))}
    for spec in specs:
        zone = existing.get(spec.code) or Zone(code=spec.code)
        zone.kind, zone.name, zone.lat, zone.lon = spec.kind, spec.name, spec.lat, spec.lon
        zone.boundary, zone.access_points = spec.boundary, spec.access_points
        session.add(zone)
    session.flush()
