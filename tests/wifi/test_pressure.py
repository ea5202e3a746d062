"""Pressure areas: the baseline maths by hand (normal days, both clock changes, zones without a
baseline), the ranking, the query count, and k: a zone-hour under k never shows in the page, the CSV,
the map's GeoJSON or the API."""

from __future__ import annotations

import csv
import io
import itertools
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import event

from praca.wifi import pressure
from praca.wifi.models import Footfall, Zone
from praca.wifi.pages import Numbers
from praca.wifi.pressure import CITY_TZ
from tests.dpo.pages import login, text_of
from tests.factories import api_headers, make_user

_seq = itertools.count()
TUESDAY = date(2026, 3, 10)  # winter time, four plain weeks before it
SPRING = date(2026, 3, 29)  # clocks go forward at 01:00 UTC: 23 hours, no local 01:00
AUTUMN = date(2026, 10, 25)  # clocks go back at 01:00 UTC: 25 hours, local 01:00 twice


def square(lat: float, lon: float, size: float = 0.004) -> dict:
    """A GeoJSON Polygon: enough of a zone's shape for the map."""
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def add_zone(session, code: str, name: str | None = None, kind: str = "h3", *, shape: bool = True) -> Zone:
    lat, lon = 41.14 + 0.005 * next(_seq), -8.62
    zone = Zone(code=code, kind=kind, name=name or f"Zona {code}", lat=lat if shape else None,
                lon=lon if shape else None, boundary=square(lat, lon) if shape else None, access_points=3)
    session.add(zone)
    session.flush()
    return zone


def local_hour(day: date, hour: int, *, fold: int = 0) -> datetime:
    """The UTC start of a Lisbon hour (fold=1: the second 01:00 of the day the clocks go back)."""
    return datetime.combine(day, time(hour), tzinfo=CITY_TZ).replace(fold=fold).astimezone(UTC)


def add_cell(session, zone: str, hour: datetime, devices: int) -> None:
    session.add(Footfall(zone=zone, hour=hour, devices=devices, sessions=devices + 3, median_dwell_s=600,
                         devices_bounded=devices))
    session.flush()


def weeks_before(day: date, *values: int | None) -> list[tuple[date, int]]:
    """(day − 7w, value) for w = 1…4, skipping None (no row at all)."""
    return [(day - timedelta(weeks=w), v) for w, v in enumerate(values, 1) if v is not None]


def by_code(areas):
    return {a.code: a for a in areas}


# --- the maths ----------------------------------------------------------------------------------------------

@pytest.fixture
def tuesday(session):
    """A: 10:00 has a baseline from 2 weeks (20, 30, one suppressed, one missing), 11:00 from 1 week
    only (none), 12:00 from 4 weeks of 12 with today's cell suppressed. B: new, no baseline. C: four
    times its usual 09:00. D: a baseline, but nothing visible today. Bus: no shape, 1,5× usual."""
    for code in ("a", "b", "c", "d"):
        add_zone(session, code)
    add_zone(session, "bus", "Autocarros", kind="bus", shape=False)
    for day, v in weeks_before(TUESDAY, 20, 30, 5, None):
        add_cell(session, "a", local_hour(day, 10), v)
    add_cell(session, "a", local_hour(TUESDAY - timedelta(weeks=2), 11), 40)
    for day, v in weeks_before(TUESDAY, 12, 12, 12, 12):
        add_cell(session, "a", local_hour(day, 12), v)
    add_cell(session, "a", local_hour(TUESDAY, 10), 25)
    add_cell(session, "a", local_hour(TUESDAY, 11), 50)
    add_cell(session, "a", local_hour(TUESDAY, 12), 6)
    add_cell(session, "b", local_hour(TUESDAY - timedelta(weeks=1), 10), 30)
    add_cell(session, "b", local_hour(TUESDAY, 10), 30)
    add_cell(session, "b", local_hour(TUESDAY, 11), 15)
    for day, v in weeks_before(TUESDAY, 10, 10, 10, 10):
        add_cell(session, "c", local_hour(day, 9), v)
        add_cell(session, "d", local_hour(day, 9), 50)
        add_cell(session, "bus", local_hour(day, 8), 100)
    add_cell(session, "c", local_hour(TUESDAY, 9), 40)
    add_cell(session, "d", local_hour(TUESDAY, 9), 9)
    add_cell(session, "bus", local_hour(TUESDAY, 8), 150)
    # Other weekdays and hours of the weeks before are not the baseline of a Tuesday.
    add_cell(session, "a", local_hour(TUESDAY - timedelta(days=1), 10), 900)
    add_cell(session, "a", local_hour(TUESDAY - timedelta(weeks=5), 10), 900)


def test_the_baseline_is_the_mean_of_four_weeks_at_the_same_local_hour(session, settings, tuesday):
    a = by_code(pressure.pressure(session, settings, TUESDAY))["a"]
    # 10:00: (20 + 30 + 0 + 0) / 4 = 12.5; 12:00: 12; 11:00 has one week of data, so no baseline.
    assert (a.footfall, a.baseline, a.hours_compared) == (25 + 0, 12.5 + 12, 2)
    assert a.index == pytest.approx(25 / 24.5)
    assert a.peak is not None and a.peak.start == local_hour(TUESDAY, 10)
    assert (a.peak.devices, a.peak.baseline, a.peak.ratio) == (25, 12.5, 2.0)


def test_ranking_highest_index_first_and_no_baseline_last(session, settings, tuesday):
    areas = pressure.pressure(session, settings, TUESDAY)
    assert [a.code for a in areas] == ["c", "bus", "a", "d", "b"]
    c, bus, _a, d, b = areas
    assert (c.index, c.footfall, c.baseline, c.peak.ratio) == (4.0, 40, 10.0, 4.0)
    assert bus.index == 1.5 and bus.boundary is None
    assert (d.index, d.footfall, d.peak) == (0.0, 0, None)  # 9 devices today: under k, so nothing
    assert (b.index, b.baseline, b.hours_compared, b.peak) == (None, None, 0, None)
    assert b.footfall == 45 and not b.has_baseline  # no baseline: the whole day's footfall


def test_a_day_without_visible_footfall_is_an_empty_list(session, settings, tuesday):
    assert pressure.pressure(session, settings, TUESDAY + timedelta(days=1)) == []
    add_cell(session, "a", local_hour(TUESDAY + timedelta(days=1), 10), 9)
    assert pressure.pressure(session, settings, TUESDAY + timedelta(days=1)) == []


def test_the_latest_day_is_the_latest_with_a_visible_cell(session, settings, tuesday):
    add_cell(session, "a", local_hour(TUESDAY + timedelta(days=3), 10), 3)  # under k: not a day with footfall
    add_cell(session, "a", local_hour(TUESDAY + timedelta(days=2), 0), 11)  # 00:00 Lisbon, still that day
    assert pressure.latest_day(session, settings) == TUESDAY + timedelta(days=2)


def test_the_day_the_clocks_go_forward(session, settings):
    """23 hours; 14:00 Lisbon is 13:00 UTC that day but 14:00 UTC the weeks before: local hours match."""
    add_zone(session, "a")
    assert len(pressure.day_hours(SPRING)) == 23
    for day, _v in weeks_before(SPRING, 1, 1, 1, 1):
        add_cell(session, "a", local_hour(day, 14), 20)
        add_cell(session, "a", local_hour(day, 13), 80)  # 13:00 UTC in winter: the wrong hour to compare with
        add_cell(session, "a", local_hour(day, 1), 60)  # local 01:00 does not happen on the day
    add_cell(session, "a", local_hour(SPRING, 14), 40)
    assert local_hour(SPRING, 14) == datetime(2026, 3, 29, 13, tzinfo=UTC)
    a = pressure.pressure(session, settings, SPRING)[0]
    assert (a.hours_compared, a.footfall, a.baseline) == (2, 40, 100)  # 13:00 and 14:00 local; 01:00 is no hour
    assert a.peak.start == datetime(2026, 3, 29, 13, tzinfo=UTC) and a.peak.ratio == 2.0


def test_the_day_the_clocks_go_back(session, settings):
    """25 hours: both 01:00 compare with the usual 01:00; the repeated hour is named by its offset."""
    add_zone(session, "a")
    assert len(pressure.day_hours(AUTUMN)) == 25
    for day, _v in weeks_before(AUTUMN, 1, 1, 1, 1):
        add_cell(session, "a", local_hour(day, 1), 20)
    first, second = local_hour(AUTUMN, 1), local_hour(AUTUMN, 1, fold=1)
    assert (first, second) == (datetime(2026, 10, 25, 0, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC))
    add_cell(session, "a", first, 40)
    add_cell(session, "a", second, 30)
    a = pressure.pressure(session, settings, AUTUMN)[0]
    assert (a.hours_compared, a.footfall, a.baseline, a.index) == (2, 70, 40, 1.75)
    assert a.peak.start == first and a.peak.ratio == 2.0
    assert Numbers("pt").hour(a.peak) == "01:00 UTC+01:00"
    assert Numbers("en").hour(pressure.PeakHour(second, 30, 20, 1.5)) == "01:00 UTC+00:00"
    assert Numbers("en").hour(pressure.PeakHour(local_hour(AUTUMN, 14), 30, 20, 1.5)) == "14:00"


def test_the_weeks_after_a_clock_change(session, settings):
    """A week with two 01:00 gives their mean; a week without a 01:00 gives 0 and no data."""
    after_autumn, after_spring = AUTUMN + timedelta(weeks=1), SPRING + timedelta(weeks=1)
    add_zone(session, "autumn")
    add_zone(session, "spring")
    add_cell(session, "autumn", local_hour(AUTUMN, 1), 40)
    add_cell(session, "autumn", local_hour(AUTUMN, 1, fold=1), 5)  # under k: 0
    add_cell(session, "autumn", local_hour(AUTUMN - timedelta(weeks=1), 1), 20)
    add_cell(session, "autumn", local_hour(after_autumn, 1), 30)
    a = pressure.pressure(session, settings, after_autumn)[0]
    assert (a.baseline, a.index) == ((40 + 0) / 2 / 4 + 20 / 4, 3.0)  # (20 + 20 + 0 + 0) / 4 = 10

    for weeks in (2, 3):
        add_cell(session, "spring", local_hour(after_spring - timedelta(weeks=weeks), 1), 20)
    add_cell(session, "spring", local_hour(after_spring, 1), 20)
    s = pressure.pressure(session, settings, after_spring)[0]
    assert (s.baseline, s.index) == (10.0, 2.0)


def test_two_queries_for_the_whole_city(session, settings, engine):
    for z in range(30):
        add_zone(session, f"z{z}")
        for w in range(5):
            for h in range(24):
                add_cell(session, f"z{z}", local_hour(TUESDAY - timedelta(weeks=w), h), 10 + z + h)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if "wifi_" in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        areas = pressure.pressure(session, settings, TUESDAY)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(areas) == 30 and len(statements) == 2
    assert all(a.hours_compared == 24 and a.index == pytest.approx(1.0) for a in areas)


# --- k: a small cell never shows anywhere ---------------------------------------------------------------------

SMALL = 7  # under k = 10


@pytest.fixture
def small_cells(session, settings):
    """'tiny' only ever has 7 devices an hour; 'busy' has a baseline of 40 and a peak of 80 at 18:00,
    while its 03:00 today and its 05:00 one week are suppressed cells of 7."""
    assert settings.wifi_k == 10
    add_zone(session, "tiny", "Travessa Pequena")
    add_zone(session, "busy", "Praça Grande")
    for w in range(5):
        day = TUESDAY - timedelta(weeks=w)
        for h in (3, 5, 18):
            add_cell(session, "tiny", local_hour(day, h), SMALL)
        add_cell(session, "busy", local_hour(day, 18), 80 if w == 0 else 40)
        add_cell(session, "busy", local_hour(day, 3), SMALL if w == 0 else 40)
    add_cell(session, "busy", local_hour(TUESDAY - timedelta(weeks=1), 5), SMALL)
    session.commit()


def numbers_in(text: str) -> list[int]:
    """Every whole number written in the text (dates and times too; decimals as their integer part)."""
    return [int(n) for n in re.findall(r"\d+", text)]


def test_small_cells_are_in_no_page_csv_or_api(client, session, settings, small_cells):
    login(client, make_user(session, "viewer").email)
    day = f"day={TUESDAY.isoformat()}"
    areas = by_code(pressure.pressure(session, settings, TUESDAY))
    assert (areas["tiny"].footfall, areas["tiny"].baseline, areas["tiny"].peak) == (0, None, None)
    assert (areas["busy"].footfall, areas["busy"].baseline, areas["busy"].peak.devices) == (80, 80.0, 80)

    for lang in ("pt", "en"):
        html = client.get(f"/staff/wifi/pressure?{day}&lang={lang}").text
        for code in ("tiny", "busy"):
            row = text_of(html.split(f'id="zone-{code}"')[1].split("</tr>")[0])
            name = "Travessa Pequena" if code == "tiny" else "Praça Grande"
            assert SMALL not in numbers_in(row.replace(name, "")), row
        assert "Travessa Pequena" in html

    rows = list(csv.DictReader(io.StringIO(client.get(f"/staff/wifi/pressure.csv?{day}").text)))
    tiny, busy = (next(r for r in rows if r["zone"] == code) for code in ("tiny", "busy"))
    assert (tiny["footfall"], tiny["baseline"], tiny["peak_devices"], tiny["peak_baseline"]) == ("0", "", "", "")
    assert (busy["footfall"], busy["baseline"], busy["peak_devices"], busy["peak_baseline"]) == ("80", "80", "80", "40")
    for row in rows:
        for column in ("footfall", "baseline", "peak_devices", "peak_baseline"):
            assert row[column] in ("", "0") or float(row[column]) >= settings.wifi_k, (column, row)

    body = client.get(f"/api/v1/wifi/pressure?{day}", headers=api_headers(session, make_user(session, "viewer")))
    api = {a["zone"]: a for a in body.json()["areas"]}
    assert (api["tiny"]["footfall"], api["tiny"]["baseline"], api["tiny"]["index"], api["tiny"]["peak"]) == (
        0, None, None, None)
    assert api["busy"]["peak"]["devices"] == 80 and api["busy"]["footfall"] == 80
    for area in api.values():
        counts = [area["footfall"], area["baseline"]] + ([area["peak"]["devices"], area["peak"]["baseline"]]
                                                         if area["peak"] else [])
        assert all(c in (None, 0) or c >= settings.wifi_k for c in counts), area
    assert f'"devices":{SMALL},' not in body.text and f'"footfall":{SMALL},' not in body.text

    geojson = client.get(f"/staff/wifi/pressure.geojson?{day}&lang=en").json()
    summaries = " ".join(f["properties"]["summary"] for f in geojson["features"])
    assert str(SMALL) not in summaries.replace("Travessa Pequena", "")
