"""Bulk registration by CSV: the per-row report, all-or-nothing unless asked, and export round trip."""

import csv
import io

import pytest
from sqlalchemy import func, select

from praca.registry.csv_io import COLUMNS
from praca.registry.models import Device
from tests.factories import api_headers, device_data, make_device, make_operator, make_user


def to_csv(rows: list[dict]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=[c for c in COLUMNS if c != "id"])
    writer.writeheader()
    for row in rows:
        flat = {k: (";".join(v) if isinstance(v, list) else v) for k, v in row.items()}
        writer.writerow(flat)
    return buf.getvalue().encode()


@pytest.fixture
def headers(session):
    make_operator(session, "mobilidade")
    h = api_headers(session, make_user(session, "dpo"))
    session.commit()
    return h


def count(session):
    return session.scalar(select(func.count(Device.id)))


def post(client, headers, raw: bytes, skip: bool | None = None):
    data = {} if skip is None else {"skip_invalid": str(skip).lower()}
    return client.post("/api/v1/devices/import", files={"file": ("devices.csv", raw, "text/csv")}, data=data,
                       headers=headers)


GOOD = [device_data(name=f"Sensor {i}") for i in range(3)]
BAD = [
    device_data(name="Sensor fora", lat=38.7, lon=-9.1),  # line 3: outside the city
    device_data(name="Sensor tipo", type="toaster"),  # line 5
]


def test_valid_file_imports_every_row(client, session, headers):
    r = post(client, headers, to_csv(GOOD))
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["imported"] == 3 and report["invalid"] == 0
    assert [row["line"] for row in report["rows"]] == [2, 3, 4]
    assert all(row["device_id"] for row in report["rows"])
    assert count(session) == 3


def test_any_invalid_row_imports_nothing_and_reports_each_row(client, session, headers):
    rows = [GOOD[0], BAD[0], GOOD[1], BAD[1]]
    r = post(client, headers, to_csv(rows))
    assert r.status_code == 422
    error = r.json()["error"]
    assert "2 of 4 rows are invalid" in error["message"]
    report = error["details"]["report"]
    assert [(row["line"], row["ok"]) for row in report["rows"]] == [(2, True), (3, False), (4, True), (5, False)]
    assert report["rows"][1]["errors"][0]["field"] == "lat"
    assert "outside" in report["rows"][1]["errors"][0]["message"]
    assert report["rows"][3]["errors"][0]["field"] == "type"
    assert count(session) == 0


def test_skip_invalid_imports_only_the_valid_rows(client, session, headers):
    r = post(client, headers, to_csv([GOOD[0], BAD[0], GOOD[1]]), skip=True)
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["imported"], report["invalid"], report["skipped_invalid"]) == (2, 1, True)
    assert count(session) == 2


@pytest.mark.parametrize("raw, message", [
    (b"name,type\nx,cctv_camera\n", "lacks required columns"),
    (to_csv(GOOD).replace(b"more_info_url\r\n", b"more_info_url,colour\r\n", 1), "Unknown columns: colour"),
    ("name;tipo\n".encode("utf-16"), "not UTF-8"),
    (to_csv([])[:-2] + b"\n", "no rows"),
])
def test_broken_files_get_a_clear_error(client, session, headers, raw, message):
    r = post(client, headers, raw)
    assert r.status_code == 422
    assert message in r.json()["error"]["message"]
    assert count(session) == 0


def test_export_imports_back_unchanged(client, session, settings, headers):
    make_device(session, settings, name="Câmara Ribeira", type="cctv_camera", data_types=["video"],
                purposes=["public_safety"], personal_data=True, personal_data_categories=["images_of_people"],
                legal_basis="public_task", deidentified=True, deidentification="blurring",
                more_info_url="https://www.cm-porto.pt/privacidade")
    make_device(session, settings, name="Wi-Fi 200", type="bus_wifi", geometry_kind="route",
                geometry={"type": "LineString", "coordinates": [[-8.61, 41.15], [-8.6, 41.16]]})
    session.commit()
    exported = client.get("/api/v1/devices.csv")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["name"] for r in rows] == ["Câmara Ribeira", "Wi-Fi 200"]
    before = {r["name"]: {k: v for k, v in r.items() if k != "id"} for r in rows}

    reimport = exported.text.replace(rows[0]["id"], "").replace(rows[1]["id"], "").encode()
    r = post(client, headers, reimport)
    assert r.status_code == 200, r.text
    again = list(csv.DictReader(io.StringIO(client.get("/api/v1/devices.csv").text)))
    assert len(again) == 4
    for row in again:
        assert {k: v for k, v in row.items() if k != "id"} == before[row["name"]]
