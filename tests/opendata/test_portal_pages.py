"""The portal's citizen pages, server side: search with facets, sort and pages; the dataset page with its
metadata, history and DCAT-AP links; withdrawn and unknown datasets; each resource's preview table, chart
and map. Fixture datasets are built through the catalogue's service, as stewards build them."""

from __future__ import annotations

import json
import re
import shlex
from datetime import date
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest
from sqlalchemy.orm import Session

from praca.core.errors import InvalidInput
from praca.core.i18n import set_locale
from praca.opendata import participation, portal_chart, preview, service
from praca.opendata.models import Dataset
from praca.opendata.pages import DatasetName
from praca.opendata.participation_schemas import CommentIn, Decision
from praca.opendata.schemas import ResourceIn
from praca.settings import Settings
from tests.opendata.factories import ACTOR, make_dataset, make_organization, write_csv

# --- a small HTML reader: texts by id, links, elements --------------------------------------------------------


class Html(HTMLParser):
    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                      "wbr"})
    CELLS = frozenset({"td", "th", "tr", "caption", "li", "dt", "dd", "p"})  # texts read apart, as shown

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.links: list[dict[str, str]] = []  # href, id, text of every <a>, and "main" if inside <main>
        self._open: list[tuple[str, dict[str, str | None]]] = []
        self._texts: dict[str, list[str]] = {}
        self._link_text: list[list[str]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.elements.append((tag, a))
        if tag in self.CELLS:
            self.handle_data(" ")
        if tag in self.VOID:
            return
        self._open.append((tag, a))
        if a.get("id"):
            self._texts.setdefault(a["id"], [])
        if tag == "a":
            self._link_text.append([])

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                closed = self._open[i:]
                del self._open[i:]
                in_main = any(t == "main" for t, _a in self._open)
                for t, a in reversed(closed):
                    if t == "a" and self._link_text:
                        words = " ".join("".join(self._link_text.pop()).split())
                        self.links.append({"href": a.get("href") or "", "id": a.get("id") or "", "text": words,
                                           "main": "main" if in_main else ""})
                break

    def handle_data(self, data: str) -> None:
        for _tag, a in self._open:
            if a.get("id"):
                self._texts[a["id"]].append(data)
        for words in self._link_text:
            words.append(data)

    def text(self, ident: str) -> str:
        assert ident in self._texts, f"no element #{ident}"
        return " ".join("".join(self._texts[ident]).split())

    def has(self, ident: str) -> bool:
        return ident in self._texts or any(a.get("id") == ident for _t, a in self.elements)

    def link(self, ident: str) -> str:
        found = [x["href"] for x in self.links if x["id"] == ident]
        assert found, f"no link #{ident}"
        return found[0]

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.elements if t == tag and all(a.get(k.replace("_", "-")) == v
                                                                for k, v in attrs.items())]


def page(client, url: str, status: int = 200) -> Html:
    response = client.get(url)
    assert response.status_code == status, response.text[:500]
    return Html(response.text)


def titles(html: Html) -> list[str]:
    return [x["text"] for x in html.links if x["href"].startswith("/data/") and x["href"].count("/") == 2
            and x["id"] == ""]


# --- fixtures ---------------------------------------------------------------------------------------------------

def publish(session: Session, *datasets: Dataset) -> None:
    """Make the fixture datasets public (they have no tabular files, so there is nothing for the gate)."""
    for dataset in datasets:
        dataset.state = service.PUBLIC
    session.flush()


@pytest.fixture
def catalogue(session: Session) -> dict[str, Dataset]:
    """Three public datasets by two publishers, and a draft."""
    service.ensure_organization(session, name="mobilidade", title_pt="Departamento de Mobilidade",
                                title_en="Mobility Department", kind="department")
    make_organization(session)
    air = make_dataset(session)
    bins = make_dataset(session, name="contentores", title_pt="Contentores de resíduos", title_en="Waste bins",
                        notes_pt="Localização dos contentores.", notes_en="Where the bins are.",
                        keywords=["resíduos", "reciclagem"], themes=["ENVI", "REGI"], license_id="CC0-1.0")
    parking = make_dataset(session, name="estacionamento", title_pt="Parques de estacionamento",
                           title_en="Car parks", organization="mobilidade", themes=["TRAN"], keywords=["carro"],
                           notes_pt="Lugares livres nos parques.", notes_en="Free spaces in car parks.")
    draft = make_dataset(session, name="rascunho", title_pt="Rascunho secreto", title_en="Secret draft")
    publish(session, air, bins, parking)
    return {"air": air, "bins": bins, "parking": parking, "draft": draft}


# --- search -------------------------------------------------------------------------------------------------------

def test_search_lists_the_public_catalogue_in_portuguese_by_default(client, catalogue) -> None:
    html = page(client, "/data")
    assert html.text("result-count").startswith("3 conjuntos de dados")
    assert sorted(titles(html)) == ["Contentores de resíduos", "Parques de estacionamento", "Qualidade do ar"]
    assert "Rascunho secreto" not in " ".join(titles(html))
    assert html.find("input", id="q", name="q")
    assert [o.get("value") for o in html.find("option")][:3] == ["relevance", "name", "modified"]


def test_words_narrow_the_search_forgiving_accents_and_case(client, catalogue) -> None:
    html = page(client, "/data?q=RESIDUOS")
    assert titles(html) == ["Contentores de resíduos"]
    assert html.text("result-count") == "1 conjunto de dados para «RESIDUOS». A mostrar do 1 ao 1."
    html = page(client, "/data?q=nada+disto+existe")
    assert titles(html) == [] and html.has("no-results")


@pytest.mark.parametrize(("param", "value", "label", "expected"), [
    ("organization", "mobilidade", "Departamento de Mobilidade", ["Parques de estacionamento"]),
    ("theme", "envi", "Ambiente", ["Contentores de resíduos", "Qualidade do ar"]),
    ("license", "CC0-1.0", "Creative Commons Zero (domínio público)", ["Contentores de resíduos"]),
    ("keyword", "carro", "carro", ["Parques de estacionamento"]),
])
def test_each_facet_narrows_with_its_count_and_can_be_removed(client, catalogue, param, value, label,
                                                              expected) -> None:
    html = page(client, "/data?sort=name")
    item = next(x for x in html.links if x["href"].endswith(f"{param}={value}&sort=name"))
    assert item["text"] == f"{label} ({len(expected)} {'conjunto' if len(expected) == 1 else 'conjuntos'} de dados)"
    narrowed = page(client, item["href"])
    assert titles(narrowed) == expected
    assert narrowed.text("result-count").startswith(f"{len(expected)} conjunto")
    # the chosen value is listed as in use, and its link (in the facet and among the active filters) removes it
    chosen = next(x for x in narrowed.links if x["id"] == f"remove-{item['id']}")
    assert chosen["text"].startswith(f"Retirar o filtro: {label}")
    assert parse_qs(urlsplit(chosen["href"]).query) == {"sort": ["name"]}
    assert sorted(titles(page(client, chosen["href"]))) == sorted(titles(html))


def test_facets_combine_and_count_over_the_narrowed_results(client, catalogue) -> None:
    html = page(client, "/data?theme=envi&keyword=reciclagem")
    assert titles(html) == ["Contentores de resíduos"]
    assert html.text("facet-license") == "Licença Creative Commons Zero (domínio público) (1 conjunto de dados)"
    assert "Departamento de Mobilidade" not in html.text("facet-organization")
    clear = html.link("clear-filters")
    assert clear == "/data"
    two = page(client, "/data?organization=ambiente&organization=mobilidade")  # one facet: any of its values
    assert len(titles(two)) == 3


def test_pages_of_results_and_a_page_past_the_end(client, session, catalogue) -> None:
    extra = [make_dataset(session, name=f"extra-{i:02d}", title_pt=f"Extra {i:02d}", title_en=f"Extra {i:02d}",
                          organization="mobilidade") for i in range(20)]
    publish(session, *extra)
    first = page(client, "/data?organization=mobilidade&sort=name")
    assert first.text("result-count") == "21 conjuntos de dados. A mostrar do 1 ao 20."
    assert len(titles(first)) == 20 and not first.has("prev-page")
    second = page(client, first.link("next-page"))
    assert titles(second) == ["Parques de estacionamento"]
    assert second.text("result-count") == "21 conjuntos de dados. A mostrar do 21 ao 21."
    assert parse_qs(urlsplit(second.link("prev-page")).query) == {"organization": ["mobilidade"], "sort": ["name"]}
    assert not second.has("next-page")
    past = page(client, "/data?organization=mobilidade&page=9")
    assert titles(past) == [] and "para lá do fim" in past.text("no-results")


def test_sort_by_name_follows_the_page_language(client, catalogue) -> None:
    assert titles(page(client, "/data?sort=name")) == [
        "Contentores de resíduos", "Parques de estacionamento", "Qualidade do ar"]
    assert titles(page(client, "/data?sort=name&lang=en")) == ["Air quality", "Car parks", "Waste bins"]


def test_english_page_keeps_its_language_in_every_link(client, catalogue) -> None:
    html = page(client, "/data?lang=en&theme=envi")
    assert html.text("result-count").startswith("2 datasets.")
    assert titles(html) and all(t in ("Air quality", "Waste bins") for t in titles(html))
    assert html.text("facet-theme").startswith("Theme Remove the filter: ✓ Environment (2 datasets)")
    for link in html.links:
        if link["href"].startswith("/data") and link["main"]:
            assert "lang=en" in link["href"], link
    assert html.find("html", lang="en")


def test_odd_parameters_are_read_safely(client, catalogue) -> None:
    html = page(client, "/data?page=abc&sort=nonsense&q=" + "ar%00" + "x" * 500)
    assert [o["value"] for o in html.find("option") if "selected" in o] == ["relevance"]
    assert page(client, "/data?keyword=" + "k" * 300).text("result-count").startswith("0 conjuntos")


# --- the dataset page -----------------------------------------------------------------------------------------------

def test_the_dataset_page_shows_its_metadata_in_the_page_language(client, catalogue) -> None:
    html = page(client, "/data/qualidade-do-ar")
    assert html.text("dataset-title") == "Qualidade do ar"
    assert html.text("dataset-notes") == "Medições horárias das estações da cidade."
    facts = html.text("dataset-facts")
    for expected in ("Entidade publicadora Direção Municipal do Ambiente", "Temas Ambiente",
                     "Palavras-chave ar poluição",
                     "Licença Creative Commons Atribuição 4.0", "Período abrangido desde 1 de janeiro de 2026",
                     "Área abrangida Porto entre as longitudes -8,69 e -8,55", "Atualização De hora a hora",
                     "Contacto Equipa de dados abertos, dados@cm-porto.example"):
        assert expected in facts
    assert html.find("a", href="https://creativecommons.org/licenses/by/4.0/", rel="license")
    assert {a["href"] for a in html.links} >= {"/data?theme=envi", "/data?keyword=ar", "/data?organization=ambiente",
                                               "/dataset/qualidade-do-ar.ttl", "/dataset/qualidade-do-ar.rdf",
                                               "/dataset/qualidade-do-ar.jsonld"}
    assert html.find("link", rel="alternate", type="text/turtle", href="/dataset/qualidade-do-ar.ttl")

    english = page(client, "/data/qualidade-do-ar?lang=en")
    assert english.text("dataset-title") == "Air quality"
    assert "Licence Creative Commons Attribution 4.0" in english.text("dataset-facts")
    assert "Updated Hourly" in english.text("dataset-facts")


def test_approved_comments_and_the_comment_form_are_on_the_dataset_page(client, session, catalogue) -> None:
    dataset = catalogue["air"]
    shown = participation.submit_comment(session, dataset, CommentIn(kind="question", body="Há dados de 2025?"))
    participation.submit_comment(session, dataset, CommentIn(body="Ainda por moderar."))
    participation.moderate_comment(session, shown, Decision(action="approve"), ACTOR)
    html = page(client, "/data/qualidade-do-ar")
    assert "Há dados de 2025?" in html.text("discussion") and "Ainda por moderar." not in html.text("main")
    assert html.find("form", method="post", action="/data/qualidade-do-ar/comments")
    assert any(a["href"] == "#discussion" for a in html.links)


def test_the_history_names_each_change(client, session, catalogue) -> None:
    service.update_dataset(session, catalogue["air"], {"title_en": "Air quality readings", "keywords": ["ar"]}, ACTOR)
    html = page(client, "/data/qualidade-do-ar?lang=en")
    history = html.text("history-list")
    assert "Description updated: title, keywords" in history and "Created" in history
    assert history.index("Description updated") < history.index("Created")  # newest first
    assert html.text("dataset-version").startswith("2, last changed on")


def test_unknown_draft_and_deleted_datasets_are_not_found(client, session, catalogue) -> None:
    for name in ("nao-existe", "rascunho"):
        html = page(client, f"/data/{name}", status=404)
        assert "Não há nenhum conjunto de dados com este nome no catálogo." in html.text("main")
    service.delete_dataset(session, catalogue["parking"], ACTOR)
    page(client, "/data/estacionamento", status=404)
    page(client, "/data/Upper-Case", status=404)


def test_a_withdrawn_dataset_says_why_and_offers_no_files(client, session, catalogue) -> None:
    service.withdraw(session, catalogue["bins"], "Os dados estavam desatualizados.", ACTOR)
    response = client.get("/data/contentores")
    assert response.status_code == 410  # Gone: harvesters drop it; readers learn it was on purpose
    html = Html(response.text)
    assert "foi retirado em" in html.text("withdrawn-notice")
    assert "Os dados estavam desatualizados." in html.text("withdrawn-notice")
    assert not any("/download/" in a["href"] or "/datastore/" in a["href"] for a in html.links)
    assert "Retirado" in html.text("history-list")
    assert "Contentores" not in " ".join(titles(page(client, "/data")))


def test_a_dataset_found_by_its_id_redirects_to_its_name(client, catalogue) -> None:
    response = client.get(f"/data/{catalogue['air'].public_id}?lang=en", follow_redirects=False)
    assert response.status_code == 308
    assert response.headers["location"] == "/data/qualidade-do-ar?lang=en"


def test_the_portals_own_pages_under_data_are_left_to_their_router(client, catalogue) -> None:
    pattern = re.compile(DatasetName.regex)
    assert pattern.fullmatch("qualidade-do-ar") and pattern.fullmatch("requests-2026")
    assert not pattern.fullmatch("requests") and not pattern.fullmatch("reuses")
    for path in ("/data/requests", "/data/reuses"):  # the participation pages, mounted after these
        html = page(client, path)
        assert "Não há nenhum conjunto de dados" not in html.text("main")


# --- charts and map points over a Parquet file (DuckDB writes it, as the datastore does) ---------------------------

@pytest.fixture
def readings(tmp_path: Path) -> Path:
    """240 hourly readings at three stations, with gaps, a quoted column name and coordinates."""
    path = tmp_path / "readings.parquet"
    duckdb.execute(f'''COPY (
        SELECT i AS id, ['Boavista', 'Aliados', 'Foz', 'Boavista'][i % 4 + 1] AS estacao,
               CASE WHEN i % 10 = 9 THEN NULL ELSE (i % 50) * 1.5 END AS no2,
               TIMESTAMPTZ '2026-03-01 00:00:00+00' + INTERVAL (i) HOUR AS hora,
               41.14 + (i % 4) * 0.01 AS latitude, -8.61 - (i % 4) * 0.01 AS longitude,
               i % 3 AS nivel, 'x' AS "col ""citada"""
        FROM range(240) t(i)) TO '{path}' (FORMAT parquet)''')
    return path


def test_a_text_column_charts_its_most_frequent_values(readings: Path) -> None:
    chart = preview.chart(readings, "estacao")
    assert chart.kind == "top"
    assert [(b.key, b.value) for b in chart.bars] == [("Boavista", 120), ("Aliados", 60), ("Foz", 60)]
    assert chart.total == 240 and chart.missing == 0 and chart.others == 0


def test_a_number_charts_its_distribution_in_round_bins(readings: Path) -> None:
    chart = preview.chart(readings, "no2")
    assert chart.kind == "histogram"
    assert [b.key for b in chart.bars] == [(0.0, 10.0), (10.0, 20.0), (20.0, 30.0), (30.0, 40.0), (40.0, 50.0),
                                           (50.0, 60.0), (60.0, 70.0), (70.0, 80.0)]
    assert sum(b.value for b in chart.bars) == chart.total == 216 and chart.missing == 24
    small = preview.chart(readings, "nivel")  # few whole numbers: one bar each
    assert small.kind == "values" and [(b.key, b.value) for b in small.bars] == [(0, 80), (1, 80), (2, 80)]


def test_a_number_by_a_category_and_over_time(readings: Path) -> None:
    by_station = preview.chart(readings, "no2", "estacao")
    assert by_station.kind == "by_category" and {b.key for b in by_station.bars} == {"Boavista", "Aliados", "Foz"}
    expected = duckdb.execute(f"SELECT avg(no2) FROM '{readings}' WHERE estacao = 'Foz'").fetchone()[0]
    assert next(b.value for b in by_station.bars if b.key == "Foz") == pytest.approx(expected)
    assert [b.value for b in by_station.bars] == sorted((b.value for b in by_station.bars), reverse=True)

    by_day = preview.chart(readings, "no2", "hora")  # 240 hours: by day, in Lisbon time
    assert by_day.kind == "by_time" and by_day.unit == "day" and len(by_day.bars) == 10
    assert by_day.bars[0].key == date(2026, 3, 1) and by_day.bars[0].rows == 22  # 24 hours, 2 gaps
    per_day = preview.chart(readings, "hora")
    assert per_day.kind == "count_by_time" and [b.value for b in per_day.bars] == [24] * 10


def test_only_the_files_own_columns_can_be_charted(readings: Path) -> None:
    with pytest.raises(InvalidInput):
        preview.chart(readings, "no2; DROP TABLE t")
    quoted = preview.chart(readings, 'col "citada"')
    assert [(b.key, b.value) for b in quoted.bars] == [("x", 240)]


@pytest.fixture
def reset_locale():
    yield
    set_locale("pt")


def test_the_chart_view_labels_bars_the_readers_way(readings: Path, reset_locale) -> None:
    set_locale("pt")
    view = portal_chart.view(preview.chart(readings, "no2"))
    assert view.title == "Distribuição de no2"
    assert [r.label for r in view.rows][:2] == ["0 – 10", "10 – 20"]
    assert view.rows[0].value == "35" and len(view.bars) == 8  # i % 50 in 0..6, five times
    assert max(b.x + b.width for b in view.bars) <= view.width - portal_chart.VALUE_WIDTH
    assert "24 linhas não têm valor aqui e não são contadas." in view.notes
    set_locale("en")
    mean = portal_chart.view(preview.chart(readings, "no2", "hora"))
    assert mean.title == "Mean of no2 per day of hora" and mean.rows[0].label == "1 Mar 2026"
    assert mean.show_rows and mean.rows[0].rows == "22"


def test_map_points_come_from_the_coordinate_columns(readings: Path) -> None:
    cols = preview.columns(readings)
    where = preview.coordinates(cols)
    assert where is not None and (where.lat.id, where.lon.id) == ("latitude", "longitude")
    data = preview.points(readings, where, cols)
    assert data["total"] == data["shown"] == 240
    first = data["features"][0]
    assert first["geometry"] == {"type": "Point", "coordinates": [-8.61, 41.14]}
    assert first["properties"]["label"] == "Boavista"
    assert preview.coordinates([c for c in cols if c.id != "longitude"]) is None


# --- a dataset with a table: preview, chart, map and API examples through the routes --------------------------------

STATIONS = ("Boavista", "Aliados", "Campanhã")


@pytest.fixture
def air(session: Session, settings: Settings, tmp_path: Path) -> tuple[Dataset, str]:
    """The air-quality dataset, published through the gate, with a 60-row CSV of readings at three stations."""
    dataset = make_dataset(session)
    rows = [{"estacao": STATIONS[i % 3], "no2": 10 + i % 40 + 0.5, "hora": f"2026-03-0{1 + i // 24} {i % 24:02d}:00:00",
             "latitude": round(41.15 + (i % 3) * 0.01, 4), "longitude": round(-8.61 - (i % 3) * 0.01, 4)}
            for i in range(60)]
    resource = service.add_resource(session, settings, dataset, ResourceIn(name_pt="Leituras", name_en="Readings"),
                                    ACTOR, upload=write_csv(tmp_path / "leituras.csv", rows), filename="leituras.csv")
    version = service.publish(session, settings, dataset, ACTOR)
    assert version.gate_passed, version.gate_report
    return dataset, resource.public_id


def test_a_table_resource_is_listed_with_its_downloads_and_first_preview_page(client, air) -> None:
    rid = air[1]
    html = page(client, "/data/qualidade-do-ar")
    hrefs = {a["href"] for a in html.links}
    assert f"/dataset/qualidade-do-ar/resource/{rid}/download/readings.csv" in hrefs  # resource_show's name
    assert {f"/datastore/dump/{rid}?format={f}" for f in ("csv", "json", "parquet")} <= hrefs
    assert html.text(f"preview-{rid}-caption") == "Leituras: Linhas 1 a 25 de 60."
    assert [th.get("scope") for th in html.find("th")][:6] == ["col"] * 6
    table = html.text(f"preview-{rid}-table")  # caption, headers, then row 1 as the CSV has it
    assert table.startswith("Leituras: Linhas 1 a 25 de 60. # estacao no2 hora latitude longitude "
                            "1 Boavista 10.5 2026-03-01 00:00:00 41.15 -8.61 2 Aliados 11.5 ")
    assert table.endswith(" 25 Boavista 34.5 2026-03-02 00:00:00 41.15 -8.61")
    assert "_search" not in table
    assert html.link(f"preview-{rid}-next") == f"/data/qualidade-do-ar/resources/{rid}/preview?page=2"
    assert not html.has(f"preview-{rid}-prev")


def test_the_preview_pages_as_a_fragment_for_htmx_and_a_page_without_javascript(client, air) -> None:
    rid = air[1]
    url = f"/data/qualidade-do-ar/resources/{rid}/preview?page=2&lang=en"
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "HX-Request" in fragment.headers["vary"]
    html = Html(fragment.text)
    assert html.text(f"preview-{rid}-caption") == "Readings: Rows 26 to 50 of 60."
    assert html.find("a", id=f"preview-{rid}-next",
                     hx_get=f"/data/qualidade-do-ar/resources/{rid}/preview?page=3&lang=en")
    rows = [a for t, a in html.elements if t == "tr"]
    assert len(rows) == 26  # the header and 25 rows
    whole = page(client, url)
    assert whole.find("html", lang="en") and whole.text(f"preview-{rid}-caption") == "Readings: Rows 26 to 50 of 60."
    last = page(client, f"/data/qualidade-do-ar/resources/{rid}/preview?page=99")  # past the end: the last page
    assert last.text(f"preview-{rid}-caption") == "Leituras: Linhas 51 a 60 de 60."
    assert not last.has(f"preview-{rid}-next") and last.has(f"preview-{rid}-first")


def test_the_chart_of_a_number_and_of_a_text_column(client, air) -> None:
    rid = air[1]
    html = page(client, "/data/qualidade-do-ar")  # a number by default: its distribution
    assert html.text(f"chart-{rid}-title") == "Distribuição de no2"
    assert html.find("svg", role="img", aria_labelledby=f"chart-{rid}-svg-title")
    base = f"/data/qualidade-do-ar/resources/{rid}/chart"
    text = Html(client.get(f"{base}?column=estacao&lang=en", headers={"HX-Request": "true"}).text)
    assert text.text(f"chart-{rid}-title") == "The 3 most frequent values of estacao"
    assert text.text(f"chart-{rid}-table") == ("The chart's numbers: The 3 most frequent values of estacao "
                                                "estacao Rows Aliados 20 Boavista 20 Campanhã 20")
    assert len(text.find("rect")) == 3
    mean = page(client, f"{base}?column=no2&by=estacao&lang=en")  # the no-JS page, with its form
    assert mean.text(f"chart-{rid}-title") == "Mean of no2 by estacao"
    assert [o["value"] for o in mean.find("option") if "selected" in o] == ["no2", "estacao"]
    bad = client.get(f"{base}?column=nao-existe")
    assert bad.status_code == 422 and "Escolha uma coluna deste recurso." in Html(bad.text).text(f"chart-{rid}-error")


def test_the_map_geojson_has_a_point_per_row(client, air) -> None:
    rid = air[1]
    html = page(client, "/data/qualidade-do-ar")
    box = html.find("div", id=f"map-{rid}")[0]
    assert box["data-geojson-url"] == f"/data/qualidade-do-ar/resources/{rid}/map.geojson"
    assert box["aria-describedby"] == f"map-{rid}-alt"
    response = client.get(box["data-geojson-url"])
    assert response.headers["content-type"].startswith("application/geo+json")
    data = response.json()
    assert data["total"] == data["shown"] == 60
    assert data["features"][0]["geometry"] == {"type": "Point", "coordinates": [-8.61, 41.15]}
    assert data["features"][0]["properties"]["label"] == "Boavista"


def test_api_examples_use_the_site_address_the_real_id_and_a_value_that_exists(client, air, settings) -> None:
    rid = air[1]
    html = page(client, "/data/qualidade-do-ar")
    examples = html.text(f"api-{rid}")
    base = settings.base_url
    assert f"curl '{base}/api/3/action/package_show?id=qualidade-do-ar'" in examples
    assert f"--data-urlencode resource_id={rid}" in examples
    assert "--data-urlencode 'filters={\"estacao\": \"Aliados\"}'" in examples
    assert "--data-urlencode q=Aliados" in examples
    assert f'FROM "{rid}" GROUP BY "estacao"' in examples
    assert f"portal.action.datastore_search(resource_id='{rid}', filters={{'estacao': 'Aliados'}}, limit=5)" in examples


def test_each_curl_example_runs_as_written_against_the_ckan_api(client, air, settings) -> None:
    rid = air[1]
    html = client.get("/data/qualidade-do-ar").text
    codes = [unescape(c) for c in re.findall(r"<pre[^>]*><code>(.*?)</code></pre>", html, flags=re.DOTALL)]
    curls = [shlex.split(code.replace("\\\n", " ")) for code in codes if code.startswith("curl")]
    assert len(curls) == 4  # package_show, datastore_search by filter and by word, datastore_search_sql
    results = []
    for words in curls:
        url = next(w for w in words if w.startswith(settings.base_url))
        params = [tuple(words[i + 1].split("=", 1)) for i, w in enumerate(words) if w == "--data-urlencode"]
        response = client.get(url.removeprefix(settings.base_url), params=params or None)
        assert response.status_code == 200 and response.json()["success"] is True, response.text[:300]
        results.append(response.json()["result"])
    package, by_filter, by_word, by_sql = results
    assert package["name"] == "qualidade-do-ar" and package["resources"][0]["id"] == rid
    assert by_filter["total"] == by_word["total"] == 20
    assert {r["estacao"] for r in by_filter["records"]} == {"Aliados"} and len(by_filter["records"]) == 5
    assert sorted((r["estacao"], r["rows"]) for r in by_sql["records"]) == [(s, 20) for s in sorted(STATIONS)]


def test_resources_of_other_or_unpublished_datasets_are_not_found(client, session, air) -> None:
    dataset, rid = air
    publish(session, make_dataset(session, name="contentores", title_pt="Contentores", title_en="Bins"))
    for url in (f"/data/contentores/resources/{rid}/preview", "/data/qualidade-do-ar/resources/nao-existe/chart",
                f"/data/qualidade-do-ar/resources/{rid}0/map.geojson"):
        assert client.get(url).status_code == 404, url
    service.withdraw(session, dataset, "Revisão dos dados.", ACTOR)
    assert client.get(f"/data/qualidade-do-ar/resources/{rid}/preview").status_code == 404
    assert client.get(f"/data/qualidade-do-ar/resources/{rid}/map.geojson").status_code == 404


def test_a_damaged_table_leaves_the_dataset_page_and_its_downloads_working(client, session, settings, air) -> None:
    rid = air[1]
    parquet = service.resource_path(settings, service.get_resource(session, rid).parquet)
    parquet.write_bytes(b"PAR1 not a parquet file any more")
    html = page(client, "/data/qualidade-do-ar")
    assert "Não é possível mostrar a pré-visualização desta tabela" in html.text(f"preview-{rid}-unavailable")
    assert not html.has(f"preview-{rid}-table") and not html.has(f"map-{rid}")
    assert f"/dataset/qualidade-do-ar/resource/{rid}/download/readings.csv" in {a["href"] for a in html.links}
    broken = client.get(f"/data/qualidade-do-ar/resources/{rid}/preview")
    assert broken.status_code == 422 and "Não é possível ler esta tabela neste momento." in broken.text


def test_a_geojson_upload_draws_its_shapes_on_the_map_and_charts_its_properties(client, session, settings,
                                                                                tmp_path) -> None:
    square = [[[-8.61, 41.15], [-8.60, 41.15], [-8.60, 41.16], [-8.61, 41.16], [-8.61, 41.15]]]
    features = [{"type": "Feature", "properties": {"jardim": "Jardim do Marquês", "area_ha": 1.5},
                 "geometry": {"type": "Polygon", "coordinates": square}},
                {"type": "Feature", "properties": {"jardim": "Passeio Alegre", "area_ha": 2.5},
                 "geometry": {"type": "Point", "coordinates": [-8.67, 41.15]}}]
    source = tmp_path / "jardins.geojson"
    source.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    dataset = make_dataset(session, name="jardins", title_pt="Jardins", title_en="Gardens")
    rid = service.add_resource(session, settings, dataset, ResourceIn(name_pt="Jardins", name_en="Gardens"), ACTOR,
                               upload=source, filename="jardins.geojson").public_id
    assert service.publish(session, settings, dataset, ACTOR).gate_passed
    html = page(client, "/data/jardins")
    box = html.find("div", id=f"map-{rid}")[0]
    shapes = client.get(box["data-geojson-url"]).json()["features"]
    assert [f["geometry"] for f in shapes] == [{"type": "Polygon", "coordinates": square},
                                               {"type": "Point", "coordinates": [-8.67, 41.15]}]
    assert shapes[0]["properties"] == {"label": "Jardim do Marquês", "fields": [["area_ha", "1.5"]]}
    # the shapes' text is drawn, not charted; the example filters on a real property
    options = [o["value"] for o in html.find("option") if o.get("value")]
    assert "geometry" not in options and {"jardim", "area_ha"} <= set(options)
    assert client.get(f"/data/jardins/resources/{rid}/chart?column=geometry").status_code == 422
    assert "--data-urlencode 'filters={\"jardim\": \"Jardim do Marquês\"}'" in html.text(f"api-{rid}")


def test_the_preview_numbers_rows_and_shows_values_as_the_datastore_api_does(client, air) -> None:
    rid = air[1]
    html = Html(client.get(f"/data/qualidade-do-ar/resources/{rid}/preview?page=2",
                           headers={"HX-Request": "true"}).text)
    body = html.text(f"preview-{rid}-table").split(" longitude ", 1)[1]  # the rows, after the headers
    api = client.get("/api/3/action/datastore_search", params={"resource_id": rid, "offset": 25, "limit": 1}).json()
    record = api["result"]["records"][0]
    assert record["_id"] == 26
    assert body.startswith(f"26 {record['estacao']} {record['no2']} ")


def test_a_linked_resource_is_offered_as_its_link_without_a_preview(client, session, settings, catalogue) -> None:
    link = "https://dados.example/ar/estacoes.csv"
    resource = service.add_resource(session, settings, catalogue["air"],
                                    ResourceIn(name_pt="Estações", name_en="Stations", url=link), ACTOR)
    html = page(client, "/data/qualidade-do-ar")
    opened = next(a for a in html.links if a["href"] == link)
    assert opened["text"] == "Abrir a ligação: Estações"
    assert html.find("a", href=link, rel="external")
    rid = resource.public_id
    assert not html.has(f"preview-{rid}-table") and not html.has(f"chart-{rid}-form")
    examples = html.text(f"api-{rid}")
    assert "package_show?id=qualidade-do-ar" in examples and "datastore_search" not in examples
    assert client.get(f"/data/qualidade-do-ar/resources/{rid}/preview").status_code == 404
