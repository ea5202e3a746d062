"""The open data portal in Chromium: a citizen searches, narrows with a facet, opens a dataset, pages its preview
table from the keyboard (htmx swaps it in place and the focus stays on the pager), picks a chart column, and
sees the rows on the map (a GeoJSON upload's areas as shapes); axe-core finds no WCAG 2.1 AA violation on the
search page and a dataset page in Portuguese and English. The datasets are built here through the catalogue's
service, as a steward would, and published through the gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from praca.opendata import service
from praca.opendata.schemas import DatasetIn, ResourceIn
from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.browser
ACTOR = "user:portal-browser-test"
WORD = "tpbrowser"  # in every fixture dataset's keywords, so a search finds them and nothing else
STATIONS = ("Boavista", "Aliados", "Campanhã")
ROWS = 60  # three pages of 25 in the preview


def _csv(path: Path) -> Path:
    lines = ["estacao,no2,hora,latitude,longitude"]
    for i in range(ROWS):
        station = STATIONS[i % 3]
        lines.append(f"{station},{10 + i % 40}.5,2026-03-0{1 + i // 24} {i % 24:02d}:00:00,"
                     f"{41.15 + (i % 3) * 0.01:.4f},{-8.61 - (i % 3) * 0.01:.4f}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _geojson(path: Path) -> Path:
    """Two gardens: one drawn as its area, one as a point."""
    square = [[[-8.61, 41.15], [-8.60, 41.15], [-8.60, 41.16], [-8.61, 41.16], [-8.61, 41.15]]]
    features = [{"type": "Feature", "properties": {"jardim": "Jardim do Marquês", "area_ha": 1.5},
                 "geometry": {"type": "Polygon", "coordinates": square}},
                {"type": "Feature", "properties": {"jardim": "Passeio Alegre", "area_ha": 2.5},
                 "geometry": {"type": "Point", "coordinates": [-8.67, 41.15]}}]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def portal(live, tmp_path_factory):
    """Two public datasets: air quality (a CSV with stations and coordinates) in Environment, car parks in
    Transport; both carry the search word."""
    folder = tmp_path_factory.mktemp("portal")
    with live.sessionmaker()() as session:
        service.ensure_organization(session, name="teste-portal", title_pt="Teste do portal",
                                    title_en="Portal test", kind="department")
        common = {"organization": "teste-portal", "frequency": "HOURLY", "spatial": "Porto"}
        air = service.create_dataset(session, DatasetIn(
            name="tpbrowser-ar", title_pt="Qualidade do ar (teste)", title_en="Air quality (test)",
            notes_pt="Medições de NO2 por estação.", notes_en="NO2 readings by station.", themes=["ENVI"],
            keywords=[WORD, "ar"], **common), ACTOR)
        service.add_resource(session, live.settings, air, ResourceIn(name_pt="Leituras", name_en="Readings"), ACTOR,
                             upload=_csv(folder / "leituras.csv"), filename="leituras.csv")
        parks = service.create_dataset(session, DatasetIn(
            name="tpbrowser-parques", title_pt="Parques (teste)", title_en="Car parks (test)", themes=["TRAN"],
            keywords=[WORD, "carro"], **common), ACTOR)
        gardens = service.create_dataset(session, DatasetIn(
            name="teste-portal-jardins", title_pt="Jardins (teste)", title_en="Gardens (test)", themes=["ENVI"],
            keywords=["jardins"], **common), ACTOR)
        service.add_resource(session, live.settings, gardens, ResourceIn(name_pt="Jardins", name_en="Gardens"),
                             ACTOR, upload=_geojson(folder / "jardins.geojson"), filename="jardins.geojson")
        for dataset in (air, parks, gardens):
            version = service.publish(session, live.settings, dataset, ACTOR)
            assert version.gate_passed, version.gate_report
        session.commit()
        resource_id = service.get_dataset(session, "tpbrowser-ar").resources[0].public_id
        gardens_id = service.get_dataset(session, "teste-portal-jardins").resources[0].public_id
    return {"resource": resource_id, "gardens": gardens_id}


def test_a_citizen_searches_narrows_opens_pages_and_charts(page, portal):
    page.goto("/data")
    page.fill("#q", WORD)
    with page.expect_navigation(wait_until="load"):
        page.keyboard.press("Enter")
    assert page.inner_text("#result-count").startswith("2 conjuntos de dados")

    with page.expect_navigation(wait_until="load"):
        page.click("#facet-theme a:has-text('Transportes')")
    assert page.inner_text("#result-count").startswith("1 conjunto de dados")
    assert page.locator(".dataset-result h3").all_inner_texts() == ["Parques (teste)"]
    with page.expect_navigation(wait_until="load"):
        page.click(".active-filters a.chip")  # the filter removed: both again
    assert page.inner_text("#result-count").startswith("2 conjuntos de dados")

    with page.expect_navigation(wait_until="load"):
        page.click("a:has-text('Qualidade do ar (teste)')")
    assert page.inner_text("#dataset-title") == "Qualidade do ar (teste)"
    rid = portal["resource"]
    caption = f"#preview-{rid}-caption"
    assert page.inner_text(caption) == f"Leituras: Linhas 1 a 25 de {ROWS}."
    url = page.url

    # The pager by keyboard: htmx swaps the table, the address stays, the focus stays on "next".
    page.focus(f"#preview-{rid}-next")
    page.keyboard.press("Enter")
    # the status and the focus are mended when htmx settles, a moment after the swap
    page.wait_for_function(
        "([id, text]) => document.getElementById(id).textContent === text",
        arg=[f"preview-{rid}-status", f"Linhas 26 a 50 de {ROWS}."],
    )
    assert page.inner_text(caption) == f"Leituras: Linhas 26 a 50 de {ROWS}."
    assert page.evaluate("document.activeElement.id") == f"preview-{rid}-next"
    assert page.url == url
    page.keyboard.press("Enter")
    page.wait_for_selector(f"{caption}:has-text('Linhas 51 a 60')")
    # the last page has no "next": the focus goes to the table, not lost to the page's top
    page.wait_for_function("id => document.activeElement.id === id", arg=f"preview-{rid}-region")
    assert page.locator(f"#preview-{rid}-table tbody tr").count() == ROWS - 50

    # The chart: a text column shows its most frequent values, swapped in place.
    page.select_option(f"#chart-{rid}-column", "estacao")
    page.wait_for_selector(f"#chart-{rid}-title:has-text('valores mais frequentes de estacao')")
    rows = page.locator(f"#chart-{rid}-table tbody tr").all_inner_texts()
    assert sorted(r.split("\t")[0] for r in rows) == sorted(STATIONS)
    assert page.locator(f"#chart-{rid} svg[role=img] rect.bar").count() == 3
    assert page.url == url

    # The map draws one point per row with coordinates.
    page.wait_for_function(f"document.getElementById('map-{rid}').dataset.points === '{ROWS}'")
    assert page.locator(f"#map-{rid} path.data-point").count() == ROWS
    assert page.js_errors == []


def test_a_geojson_resource_draws_its_areas_and_points(page, portal):
    page.goto("/data/teste-portal-jardins?lang=en")
    rid = portal["gardens"]
    page.wait_for_function(f"document.getElementById('map-{rid}').dataset.points === '2'")
    assert page.locator(f"#map-{rid} path.data-shape").count() == 1
    assert page.locator(f"#map-{rid} path.data-point").count() == 1
    assert page.inner_text(f"#map-{rid}-status") == "The map shows 2 of 2 rows."
    assert page.js_errors == []


def test_without_javascript_the_pager_and_the_chart_form_are_plain_pages(browser, live, portal):
    context = browser.new_context(base_url=live.url, java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    try:
        rid = portal["resource"]
        page.goto("/data/tpbrowser-ar?lang=en")
        with page.expect_navigation(wait_until="load"):
            page.click(f"#preview-{rid}-next")
        assert f"/data/tpbrowser-ar/resources/{rid}/preview?page=2" in page.url
        assert page.inner_text(f"#preview-{rid}-caption") == f"Readings: Rows 26 to 50 of {ROWS}."
        page.goto("/data/tpbrowser-ar?lang=en")
        page.select_option(f"#chart-{rid}-column", "no2")
        page.select_option(f"#chart-{rid}-by", "estacao")
        with page.expect_navigation(wait_until="load"):
            page.click(f"#chart-{rid}-form button[type=submit]")
        assert page.inner_text(f"#chart-{rid}-title") == "Mean of no2 by estacao"
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["pt", "en"])
def test_search_and_dataset_pages_pass_axe(page, portal, lang):
    page.goto(f"/data?q={WORD}&theme=envi&lang={lang}")
    assert page.locator(".dataset-result").count() == 1
    assert axe_violations(page) == []
    page.goto(f"/data/tpbrowser-ar?lang={lang}")
    page.wait_for_function(f"document.getElementById('map-{portal['resource']}').dataset.points === '{ROWS}'")
    page.click(f"#api-{portal['resource']} summary")  # the API examples open, so axe sees them too
    assert axe_violations(page) == []
    assert page.js_errors == []
