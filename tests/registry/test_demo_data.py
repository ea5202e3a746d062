"""The demo register is plain data: deterministic, within the city, and consistent on privacy."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from praca.registry import demo_data
from praca.registry.taxonomy import (
    DataType,
    Deidentification,
    DeviceType,
    GeometryKind,
    LegalBasis,
    OperatorKind,
    PersonalDataCategory,
    Purpose,
    Status,
)
from praca.settings import Settings

KEYS = {
    "name", "type", "description", "lat", "lon", "geometry_kind", "geometry", "operator", "purposes",
    "data_types", "personal_data", "personal_data_categories", "legal_basis", "retention_days", "retention_note",
    "access", "deidentified", "deidentification", "deidentification_note", "storage_location", "dpia_ref",
    "status", "installed_on", "last_verified_on", "more_info_url",
}
MIN_LON, MIN_LAT, MAX_LON, MAX_LAT = -8.691, 41.138, -8.553, 41.186


@pytest.fixture(scope="module")
def devices() -> list[dict]:
    return demo_data.devices()


def _in_box(lon: float, lat: float, box: tuple[float, float, float, float]) -> bool:
    return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


def test_deterministic_and_seeded(devices: list[dict]) -> None:
    assert demo_data.devices() == devices
    assert demo_data.devices(seed=7) != devices


def test_count_and_mix(devices: list[dict]) -> None:
    assert len(devices) == 1500
    assert len(demo_data.devices(count=200)) == 200
    per_type = Counter(d["type"] for d in devices)
    assert per_type["wifi_access_point"] == 300
    assert per_type["bus_wifi"] == 120
    assert set(per_type) == {t.value for t in DeviceType} - {"other"}


def test_exact_keys_and_valid_codes(devices: list[dict]) -> None:
    for d in devices:
        assert set(d) == KEYS
        DeviceType(d["type"])
        GeometryKind(d["geometry_kind"])
        LegalBasis(d["legal_basis"])
        Deidentification(d["deidentification"])
        Status(d["status"])
        assert d["purposes"] and all(Purpose(p) for p in d["purposes"])
        assert d["data_types"] and all(DataType(t) for t in d["data_types"])
        assert all(PersonalDataCategory(c) for c in d["personal_data_categories"])
        assert isinstance(d["lat"], float) and isinstance(d["lon"], float)
        assert round(d["lat"], 6) == d["lat"] and round(d["lon"], 6) == d["lon"]
        assert d["access"] and d["storage_location"]


def test_points_inside_porto_and_on_land(devices: list[dict]) -> None:
    city = Settings().city_bounds
    for d in devices:
        assert _in_box(d["lon"], d["lat"], (MIN_LON, MIN_LAT, MAX_LON, MAX_LAT)), d["name"]
        assert _in_box(d["lon"], d["lat"], city), d["name"]
        assert demo_data.on_land(d["lat"], d["lon"]), d["name"]


def test_every_parish_has_places() -> None:
    assert {p.parish for p in demo_data.PLACES} == set(demo_data.PARISHES)
    assert all(demo_data.on_land(p.lat, p.lon) for p in demo_data.PLACES)


def test_personal_data_rules(devices: list[dict]) -> None:
    for d in devices:
        personal = d["personal_data"]
        assert bool(d["personal_data_categories"]) == personal, d["name"]
        assert (d["legal_basis"] == "not_applicable") == (not personal), d["name"]
        assert (d["deidentification"] == "none") == (not d["deidentified"]), d["name"]
        assert (d["dpia_ref"] is not None) == personal, d["name"]
    cctv = [d for d in devices if d["type"] == "cctv_camera"]
    assert all(d["retention_days"] == 30 and d["legal_basis"] == "public_task" for d in cctv)
    wifi = [d for d in devices if d["type"] == "wifi_access_point"]
    assert all(d["deidentification"] == "hashing" and d["retention_days"] == 2 for d in wifi)
    assert not any(d["personal_data"] for d in devices if d["type"] in {"air_quality_sensor", "noise_sensor"})


def test_operators_and_departments(devices: list[dict]) -> None:
    departments = {d["slug"] for d in demo_data.departments()}
    ops = {o["slug"]: o for o in demo_data.operators()}
    assert len(ops) == len(demo_data.operators())
    for o in ops.values():
        OperatorKind(o["kind"])
        assert o["department_slug"] is None or o["department_slug"] in departments
        assert o["contact_email"].endswith(".example")
    assert {d["operator"] for d in devices} <= set(ops)


def test_geometries(devices: list[dict]) -> None:
    for d in devices:
        kind, geometry = d["geometry_kind"], d["geometry"]
        if kind == "point":
            assert geometry is None
            continue
        if kind == "route":
            assert geometry["type"] == "LineString"
            positions = geometry["coordinates"]
            assert len(positions) >= 2
            assert [d["lon"], d["lat"]] in positions  # the representative point lies on the route
        else:
            assert geometry["type"] == "Polygon"
            (positions,) = geometry["coordinates"]
            assert len(positions) >= 4 and positions[0] == positions[-1]
        assert all(len(p) == 2 and _in_box(p[0], p[1], (MIN_LON, MIN_LAT, MAX_LON, MAX_LAT)) for p in positions)
    assert all(d["geometry_kind"] == "route" for d in devices if d["type"] == "bus_wifi")


def test_names_unique(devices: list[dict]) -> None:
    names = [d["name"] for d in devices]
    assert len(set(names)) == len(names)


def test_status_and_dates(devices: list[dict]) -> None:
    statuses = Counter(d["status"] for d in devices)
    assert 0.02 < statuses["planned"] / len(devices) < 0.06
    assert 0.02 < statuses["decommissioned"] / len(devices) < 0.06
    for d in devices:
        if d["status"] == "planned":
            assert d["installed_on"] is None
        else:
            assert isinstance(d["installed_on"], date)
        if d["last_verified_on"] is not None:
            assert d["last_verified_on"] <= date(2026, 11, 1)
            assert d["installed_on"] is None or d["installed_on"] <= d["last_verified_on"]
