"""The pressure-areas page, its map data, CSV and JSON: who may see them, what they say in both
languages, the day's form and errors, and the export's audit entry."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from praca.core.audit import AuditEntry
from tests.dpo.pages import login, text_of
from tests.factories import api_headers, make_user
from tests.wifi.test_pressure import TUESDAY, tuesday  # noqa: F401 — the fixture

ROLES = [("admin", None), ("dpo", None), ("liaison", "ambiente"), ("viewer", None)]
DAY = f"day={TUESDAY.isoformat()}"
URLS = ("/staff/wifi/pressure", "/staff/wifi/pressure.csv", "/staff/wifi/pressure.geojson")


def test_anonymous_visitors_are_sent_to_sign_in(client, tuesday):  # noqa: F811
    for url in URLS:
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == f"/staff/login?next={url}"
    response = client.get("/api/v1/wifi/pressure")
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthenticated"
    bad_token = client.get("/api/v1/wifi/pressure", headers={"Authorization": "Bearer praca_nope"})
    assert bad_token.status_code == 401


@pytest.mark.parametrize("role, department", ROLES)
def test_every_staff_role_sees_the_page_the_csv_and_the_json(client, session, tuesday, role, department):  # noqa: F811
    user = make_user(session, role, department=department)
    login(client, user.email)
    for url in URLS:
        assert client.get(f"{url}?{DAY}").status_code == 200, url
    response = client.get(f"/api/v1/wifi/pressure?{DAY}", headers=api_headers(session, user))
    assert response.status_code == 200
    assert [a["zone"] for a in response.json()["areas"]] == ["c", "bus", "a", "d", "b"]


def test_the_page_in_english(client, session, tuesday):  # noqa: F811
    login(client, make_user(session, "viewer").email)
    html = client.get(f"/staff/wifi/pressure?{DAY}&lang=en").text
    assert '<a href="/staff/wifi/pressure">Wi-Fi</a>' in html  # the staff navigation
    assert "Tuesday, 10 March 2026" in html and 'value="2026-03-10"' in html
    assert 'href="?day=2026-03-09&amp;lang=en" rel="prev"' in html
    assert 'href="?day=2026-03-11&amp;lang=en" rel="next"' in html
    assert '<input type="hidden" name="lang" value="en">' in html
    assert 'href="?day=2026-03-09" rel="prev"' in client.get(f"/staff/wifi/pressure?{DAY}").text
    assert f'href="/staff/wifi/pressure.csv?{DAY}"' in html
    assert f'data-geojson-url="/staff/wifi/pressure.geojson?{DAY}&amp;lang=en"' in html
    assert '<script type="module" src="/static/wifi/pressure.js">' in html and "<script>" not in html
    assert 'aria-describedby="map-alternative"' in html and ">Pressure by zone</caption>" in html
    assert html.count('<th scope="col"') == 7 and html.count('<th scope="row">') == 5
    table = html.split('id="pressure-table"')[1].split("</table>")[0]
    rows = [text_of(r).strip() for r in table.split("<tbody>")[1].split("</tr>")[:-1]]
    assert rows == [
        "1 Zona c c 40 10.0 4.0× 09:00 4.0×",
        "2 Autocarros bus · not on the map 150 100.0 1.5× 08:00 1.5×",
        "3 Zona a a 25 24.5 1.0× 10:00 2.0×",
        "4 Zona d d 0 50.0 0.0× — —",
        "5 Zona b b 45 — no baseline yet — —",
    ]
    legend = text_of(html.split('id="legend"')[1].split("</div>")[0])
    assert "under 0.8×" in legend and "0.8× to under 1.2×" in legend and "2.0× or more" in legend
    assert "Zone-hours with fewer than 10 devices are never shown" in html


def test_the_page_in_portuguese(client, session, tuesday):  # noqa: F811
    login(client, make_user(session, "dpo").email)
    html = client.get(f"/staff/wifi/pressure?{DAY}&lang=pt").text
    text = text_of(html)
    assert "Áreas de pressão" in text and "terça-feira, 10 de março de 2026" in text
    assert "1 Zona c c 40 10,0 4,0× 09:00 4,0×" in text and "5 Zona b b 45 — sem referência ainda — —" in text
    assert "Dia anterior" in text and "Dia seguinte" in text and "Descarregar" in text
    assert "inferior a 0,8×" in text


def test_the_map_data_has_the_shapes_and_their_colours(client, session, tuesday):  # noqa: F811
    login(client, make_user(session, "viewer").email)
    response = client.get(f"/staff/wifi/pressure.geojson?{DAY}&lang=en")
    assert response.headers["content-type"].startswith("application/geo+json")
    features = {f["properties"]["zone"]: f for f in response.json()["features"]}
    assert sorted(features) == ["a", "b", "c", "d"]  # the bus zone has no shape: table only
    assert features["c"]["geometry"]["type"] == "Polygon"
    assert {z: f["properties"]["fill"] for z, f in features.items()} == {
        "c": "#bd0026", "a": "#fecc5c", "d": "#ffffb2", "b": "#d9d9d9"}
    assert features["c"]["properties"]["summary"] == "Zona c: 4.0× the usual footfall; peak at 09:00 (4.0×)"
    assert features["b"]["properties"]["summary"] == "Zona b: no baseline yet"


def test_the_default_day_is_the_latest_with_footfall(client, session, tuesday):  # noqa: F811
    login(client, make_user(session, "viewer").email)
    assert 'value="2026-03-10"' in client.get("/staff/wifi/pressure").text
    body = client.get("/api/v1/wifi/pressure", headers=api_headers(session, make_user(session, "viewer"))).json()
    assert body["day"] == "2026-03-10" and body["hours"] == 24 and body["k"] == 10


def test_a_day_without_footfall_says_so(client, session, tuesday):  # noqa: F811
    user = make_user(session, "viewer")
    login(client, user.email)
    html = client.get("/staff/wifi/pressure?day=2026-03-11&lang=en").text
    assert "No footfall was counted on this day." in html and "pressure-table" not in html
    assert "pressure.js" not in html
    body = client.get("/api/v1/wifi/pressure?day=2026-03-11", headers=api_headers(session, user)).json()
    assert body == {"day": "2026-03-11", "hours": 24, "k": 10, "areas": []}


@pytest.mark.parametrize("day", ["2026-02-30", "yesterday", "1999-12-31", "2101-01-01", "2026-3-1"])
def test_a_bad_day_is_refused_politely(client, session, tuesday, day):  # noqa: F811
    user = make_user(session, "viewer")
    login(client, user.email)
    page = client.get(f"/staff/wifi/pressure?day={day}&lang=en")
    assert page.status_code == 422
    assert 'id="error-summary"' in page.text and 'href="#day"' in page.text and 'aria-invalid="true"' in page.text
    assert "Enter the day as a date from 2000 to 2100" in page.text
    assert client.get(f"/staff/wifi/pressure.csv?day={day}").status_code == 422
    api = client.get(f"/api/v1/wifi/pressure?day={day}", headers=api_headers(session, user))
    assert api.status_code == 422 and api.json()["error"]["code"] == "invalid_input"
    assert api.json()["error"]["details"]["field"] == "day"


def test_the_csv_is_the_ranked_list_and_its_export_is_audited(client, session, tuesday):  # noqa: F811
    user = make_user(session, "liaison", department="ambiente")
    login(client, user.email)
    response = client.get(f"/staff/wifi/pressure.csv?{DAY}&lang=pt")
    assert response.status_code == 200 and response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="wifi-pressure-2026-03-10.csv"' in response.headers["content-disposition"]
    assert response.content.decode("utf-8").startswith("rank,zone,name,kind,footfall,baseline,index,")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["rank"], r["zone"], r["kind"]) for r in rows] == [
        ("1", "c", "h3"), ("2", "bus", "bus"), ("3", "a", "h3"), ("4", "d", "h3"), ("5", "b", "h3")]
    a = rows[2]
    assert (a["footfall"], a["baseline"], a["index"], a["hours_compared"]) == ("25", "24.5", "1.0204", "2")
    assert (a["peak_hour_local"], a["peak_ratio"], a["peak_devices"], a["peak_baseline"]) == (
        "2026-03-10T10:00:00+00:00", "2", "25", "12.5")
    assert rows[4]["index"] == "" and rows[4]["peak_hour_local"] == ""

    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "wifi.pressure.exported")).one()
    assert (entry.actor, entry.subject, entry.details) == (user.actor, "wifi:pressure",
                                                           {"day": "2026-03-10", "rows": 5})


def test_the_json_is_the_ranked_list(client, session, tuesday):  # noqa: F811
    headers = api_headers(session, make_user(session, "dpo"))
    body = client.get(f"/api/v1/wifi/pressure?{DAY}", headers=headers).json()
    a = body["areas"][2]
    assert a == {"rank": 3, "zone": "a", "name": "Zona a", "kind": "h3", "footfall": 25, "baseline": 24.5,
                 "index": 1.0204, "hours_compared": 2,
                 "peak": {"start": "2026-03-10T10:00:00Z", "start_local": "2026-03-10T10:00:00+00:00", "ratio": 2.0,
                          "devices": 25, "baseline": 12.5}}
    assert body["areas"][-1]["index"] is None
