"""The citizen's PrivacyApp in Chromium: near a point, a card in PT and EN, and axe-core on every page."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.browser
ALIADOS = (41.1496, -8.6109)


def test_citizen_finds_devices_near_a_point_and_reads_a_card_in_both_languages(page, live):
    page.goto("/")
    page.wait_for_selector("#map .leaflet-marker-icon, #map .marker-cluster", timeout=15000)
    page.click("#use-location")  # the context's geolocation is Avenida dos Aliados
    results = page.locator("#near-results li")
    results.first.wait_for(timeout=10000)
    assert results.count() >= 5
    distances = [int(re.sub(r"\D", "", re.findall(r"(\d[\d\s.,]*)\s*m\b", text)[-1]))
                 for text in results.all_inner_texts()]
    assert distances == sorted(distances), "nearest first"

    # The list is what the API says is nearest.
    api = httpx.get(f"{live.url}/api/v1/devices", params={"lat": ALIADOS[0], "lon": ALIADOS[1],
                                                          "radius_m": 500, "limit": 1}).json()
    nearest = api["items"][0]
    assert nearest["name"] in page.inner_text("#near-results")

    page.locator("#near-results a", has_text=nearest["name"]).first.click()
    page.wait_for_selector("#device-card")
    assert page.locator("html").get_attribute("lang") == "pt"
    card_pt = page.inner_text("#device-card")
    assert nearest["name"] in card_pt
    assert "Quem" in card_pt  # "Quem o gere?", "Quem pode ver os dados?"

    page.click("a[hreflang=en]")
    page.wait_for_selector("#device-card")
    assert page.locator("html").get_attribute("lang") == "en"
    card_en = page.inner_text("#device-card")
    english = httpx.get(f"{live.url}/api/v1/devices/{nearest['id']}", params={"lang": "en"}).json()
    assert english["type_label"] in card_en
    assert english["legal_basis"]["label"] in card_en
    assert page.js_errors == []


def test_list_view_works_without_javascript(browser, live):
    context = browser.new_context(base_url=live.url, java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    page.goto("/devices")
    page.fill("#lat", str(ALIADOS[0]))
    page.fill("#lon", str(ALIADOS[1]))
    page.locator("#filters button[type=submit]").last.click()
    page.wait_for_selector("#device-list")
    text = page.inner_text("#result-count")
    assert re.search(r"\d+", text)
    assert page.locator("#device-list li").count() > 0
    context.close()


def _demo_ids(live) -> tuple[str, str]:
    camera = httpx.get(f"{live.url}/api/v1/devices", params={"type": "cctv_camera", "limit": 1}).json()
    bus = httpx.get(f"{live.url}/api/v1/devices", params={"type": "bus_wifi", "limit": 1}).json()
    return camera["items"][0]["id"], bus["items"][0]["id"]


@pytest.mark.parametrize("lang", ["pt", "en"])
def test_citizen_pages_have_no_wcag_violations(page, live, lang):
    camera, bus = _demo_ids(live)
    paths = ["/", "/devices", f"/devices?lat={ALIADOS[0]}&lon={ALIADOS[1]}&radius_m=300",
             "/devices?lat=99&lon=1", f"/devices/{camera}", f"/devices/{bus}", "/devices/unknown",
             "/report", "/ask", f"/devices/{camera}/ask", "/follow/not-a-real-token", "/staff/login"]
    page.goto(f"/lang/{lang}?next=/")
    problems = {}
    for path in paths:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("lang") == lang, path
        found = axe_violations(page)
        if found:
            problems[path] = found
    assert not problems, problems
