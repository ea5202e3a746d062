"""The pressure-areas page in Chromium: the map draws each zone's hexagon in its pressure colour, the day
form and the previous-day link work from the keyboard, and axe-core finds no WCAG 2.1 AA violation in
either language. The zones and their footfall are seeded here, not taken from the demo city."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import h3
import pytest
from sqlalchemy import delete

from praca.core import auth
from praca.wifi.models import Footfall, Zone
from praca.wifi.pressure import CITY_TZ
from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.browser
DAY = date(2025, 3, 3)  # a Monday long before any demo data; typed as 03032025 whatever the field's order
PREFIX = "test-pressure-"
VIEWER = ("pressure-viewer@cm-porto.example", "pressure-viewer-password")
# zone → (today's devices at 09:00 and 18:00, the four weeks before), so c is 4×, a 1× and b is new.
ZONES = {"c": ((80, 40), (20, 10)), "a": ((30, 30), (30, 30)), "b": ((25, 25), None)}
FILLS = {"c": "#bd0026", "a": "#fecc5c", "b": "#d9d9d9"}


def _hexagon(cell: str) -> dict:
    ring = [[lng, lat] for lat, lng in h3.cell_to_boundary(cell)]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def _hour(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=CITY_TZ).astimezone(UTC)


@pytest.fixture(scope="module")
def seeded(live):
    centre = h3.latlng_to_cell(41.205, -8.52, 8)  # east of the demo city's zones, so no demo shape covers ours
    cells = sorted(h3.grid_disk(centre, 1))
    with live.sessionmaker()() as session:
        for i, (key, (today, before)) in enumerate(ZONES.items()):
            lat, lng = h3.cell_to_latlng(cells[i])
            code = PREFIX + key
            session.add(Zone(code=code, kind="h3", name=f"Hexágono {key.upper()}", lat=lat, lon=lng,
                             boundary=_hexagon(cells[i]), access_points=2))
            for weeks, counts in [(0, today)] + [(w, before) for w in range(1, 5) if before]:
                for hour, devices in zip((9, 18), counts, strict=True):
                    session.add(Footfall(zone=code, hour=_hour(DAY - timedelta(weeks=weeks), hour), devices=devices,
                                         sessions=devices, median_dwell_s=300, devices_bounded=devices))
        session.add(Zone(code=PREFIX + "bus", kind="bus", name="Autocarros (teste)", access_points=9))
        session.add(Footfall(zone=PREFIX + "bus", hour=_hour(DAY, 9), devices=3, sessions=3, median_dwell_s=60,
                             devices_bounded=3))  # under k: shown nowhere
        if not session.query(auth.User).filter_by(email=VIEWER[0]).first():
            auth.create_user(session, email=VIEWER[0], name="Pressure viewer", role="viewer", password=VIEWER[1])
        session.commit()
    yield
    with live.sessionmaker()() as session:
        session.execute(delete(Footfall).where(Footfall.zone.startswith(PREFIX)))
        session.execute(delete(Zone).where(Zone.code.startswith(PREFIX)))
        session.commit()


def _sign_in(page) -> None:
    page.goto("/staff/login")
    page.fill("#email", VIEWER[0])
    page.fill("#password", VIEWER[1])
    with page.expect_navigation(wait_until="load"):
        page.click("main button[type=submit]")


@pytest.mark.parametrize("lang, status", [("pt", "O mapa mostra"), ("en", "The map shows")])
def test_the_map_colours_each_zone_and_passes_axe(page, seeded, lang, status):
    _sign_in(page)
    page.goto(f"/staff/wifi/pressure?day={DAY.isoformat()}&lang={lang}")
    page.wait_for_selector(f"#pressure-map path.zone-{PREFIX}c")
    for key, fill in FILLS.items():
        assert page.get_attribute(f"#pressure-map path.zone-{PREFIX}{key}", "fill") == fill
    assert page.locator(f"#pressure-map path.zone-{PREFIX}bus").count() == 0  # no shape: the table only
    assert status in page.inner_text("#map-status")
    page.hover(f"#pressure-map path.zone-{PREFIX}c", force=True)
    tooltip = page.wait_for_selector(".leaflet-tooltip").inner_text()
    assert tooltip == ("Hexágono C: 4,0× a afluência habitual; pico às 09:00 (4,0×)" if lang == "pt"
                       else "Hexágono C: 4.0× the usual footfall; peak at 09:00 (4.0×)")
    rows = page.locator("#pressure-table tbody tr")
    ours = [rows.nth(i).inner_text() for i in range(rows.count()) if "(teste)" in rows.nth(i).inner_text()
            or "Hexágono" in rows.nth(i).inner_text()]
    assert [r.split("\t")[1].split("\n")[0].strip() for r in ours] == [
        "Hexágono C", "Hexágono A", "Hexágono B", "Autocarros (teste)"]
    assert "3" not in ours[-1].replace("(teste)", "")  # the bus zone's 3 devices are under k
    assert page.get_attribute("#pressure-map", "aria-describedby") == "map-alternative"
    assert axe_violations(page) == []
    assert page.js_errors == []


def test_the_day_form_and_the_day_links_work_by_keyboard(page, seeded):
    _sign_in(page)
    page.goto(f"/staff/wifi/pressure?day={(DAY + timedelta(days=1)).isoformat()}&lang=en")
    assert "No footfall was counted on this day." in page.inner_text("main")
    page.focus("#day")
    page.keyboard.type(DAY.strftime("%d%m%Y"))  # day and month alike: the same date in either order
    assert page.input_value("#day") == DAY.isoformat()
    with page.expect_navigation(wait_until="load"):
        page.keyboard.press("Enter")
    assert f"day={DAY.isoformat()}" in page.url
    assert "Monday, 3 March 2025" in page.inner_text("#day-heading")
    page.wait_for_selector(f"#pressure-map path.zone-{PREFIX}c")
    assert "Hexágono C" in page.inner_text("#pressure-table")

    page.focus("#prev-day")
    with page.expect_navigation(wait_until="load"):
        page.keyboard.press("Enter")
    assert "day=2025-03-02" in page.url and page.input_value("#day") == "2025-03-02"
    assert "No footfall was counted on this day." in page.inner_text("main")
    assert axe_violations(page) == []
    assert page.js_errors == []


def test_a_bad_day_is_summarised_and_focused(page, seeded):
    _sign_in(page)
    page.goto("/staff/wifi/pressure?day=2025-02-30&lang=en")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'error-summary'", timeout=3000)
    assert page.get_attribute("#day", "aria-invalid") == "true"
    assert axe_violations(page) == []
