"""Wi-Fi fixtures: three mapped access points of the register (two fixed, far apart, one on a bus)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from praca.wifi import service
from tests.factories import make_device

AP_SPOTS = {"AP-1": (41.1486, -8.6111, "wifi_access_point"), "AP-2": (41.1690, -8.6760, "wifi_access_point"),
            "BUS-1": (41.1580, -8.6292, "bus_wifi")}


@dataclass
class WifiWorld:
    codes: list[str]


def wifi_device(session, settings, code: str):
    lat, lon, kind = AP_SPOTS[code]
    return make_device(session, settings, name=f"Wi-Fi público – {code}", type=kind, lat=lat, lon=lon,
                       purposes=["public_connectivity"], data_types=["connection_metadata"], personal_data=True,
                       personal_data_categories=["device_identifiers"], legal_basis="consent",
                       deidentified=True, deidentification="hashing", retention_days=2)


@pytest.fixture
def wifi_aps(session, settings) -> WifiWorld:
    for code in AP_SPOTS:
        device = wifi_device(session, settings, code)
        service.map_access_point(session, code, device.public_id, "test")
    session.commit()
    return WifiWorld(list(AP_SPOTS))


def write_csv(path: Path, rows: list[tuple[str, str, str, int]], *, raw: bytes = b"") -> Path:
    """A RADIUS accounting export: MAC, AP code, start (ISO, UTC), session seconds."""
    lines = ["Calling-Station-Id,Called-Station-Id,Acct-Start-Time,Acct-Session-Time"]
    lines += [f"{m},{a},{s},{d}" for m, a, s, d in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes("\n".join(lines).encode() + b"\n" + raw)
    return path
