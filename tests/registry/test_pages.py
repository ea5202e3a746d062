"""The citizen pages, server side: map configuration, the no-JS list, the card in both languages, /lang."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import jinja2.ext
import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from praca.core import i18n
from praca.core.web import TEMPLATE_DIR
from tests.factories import ALIADOS, make_device, make_operator

# --- a tiny HTML reader: enough to ask "which elements, with which attributes and text" ------------------


class Page(HTMLParser):
    """Elements as (tag, attrs) in document order, plus the visible text of chosen ids."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                      "wbr"})

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self._open: list[tuple[str, str | None]] = []
        self._texts: dict[str, list[str]] = {}
        self.scripts: list[dict[str, str | None]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.elements.append((tag, a))
        if tag == "script":
            self.scripts.append(a)
        if tag not in self.VOID:
            self._open.append((tag, a.get("id")))
            if a.get("id"):
                self._texts.setdefault(a["id"], [])

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                del self._open[i:]
                break

    def handle_data(self, data: str) -> None:
        for _tag, ident in self._open:
            if ident:
                self._texts[ident].append(data)

    def text(self, ident: str) -> str:
        assert ident in self._texts, f"no element #{ident}"
        return " ".join(" ".join(self._texts[ident]).split())

    def by_id(self, ident: str) -> dict[str, str | None]:
        found = [a for _t, a in self.elements if a.get("id") == ident]
        assert len(found) == 1, f"expected one #{ident}, found {len(found)}"
        return found[0]

    def all(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def page(client, url: str, status: int = 200, **kw) -> Page:
    r = client.get(url, **kw)
    assert r.status_code == status, r.text[:2000]
    assert r.headers["content-type"].startswith("text/html")
    return Page(r.text)


def list_names(client, query: str) -> list[str]:
    r = client.get(f"/devices?{query}")
    assert r.status_code == 200, r.text[:2000]
    block = r.text.split('id="device-list"', 1)
    if len(block) == 1:
        return []
    return [re.sub(r"\s+", " ", n).strip() for n in re.findall(r'<h3><a href="/devices/[^"]+">([^<]+)</a></h3>',
                                                                block[1].split("</ol>", 1)[0])]


# --- data ---------------------------------------------------------------------------------------------------------

@pytest.fixture
def city(session, settings):
    make_operator(session, "ambiente", department="ambiente", name="Departamento de Ambiente")
    make_operator(session, "psp", department=None, kind="other", name="PSP",
                  website="https://www.psp.pt", contact_email="porto@psp.example")
    devices = {
        "aliados": make_device(session, settings, name="Ruído Aliados", lat=41.1496, lon=-8.6109, retention_days=0),
        "trindade": make_device(session, settings, name="Ar Trindade", type="air_quality_sensor",
                                data_types=["environmental"], purposes=["environmental_monitoring"],
                                operator="ambiente", lat=41.1527, lon=-8.6093, retention_days=1),
        "ribeira": make_device(
            session, settings, name="Câmara Ribeira", type="cctv_camera", operator="psp", data_types=["video"],
            purposes=["public_safety"], personal_data=True, personal_data_categories=["images_of_people"],
            legal_basis="public_task", lat=41.1407, lon=-8.6131, description="Videovigilância do cais",
            retention_days=30, retention_note="Apagadas ao fim de 30 dias.", access="Agentes da PSP na sala de comando",
            deidentified=True, deidentification="blurring", deidentification_note="Rostos desfocados na câmara.",
            storage_location="Servidores da PSP, Porto", dpia_ref="AIPD-2022-001", installed_on=date(2021, 3, 15),
            last_verified_on=date(2026, 10, 1), more_info_url="https://www.psp.pt/videovigilancia"),
        "foz": make_device(session, settings, name="Câmara Foz", type="cctv_camera", operator="psp",
                           data_types=["video"], purposes=["public_safety"], personal_data=True,
                           personal_data_categories=["images_of_people"], legal_basis="public_task",
                           lat=41.1496, lon=-8.6650, status="planned", retention_days=365),
        "dragao": make_device(session, settings, name="Ruído Dragão", lat=41.1617, lon=-8.5836,
                              status="decommissioned", retention_days=None),
    }
    session.commit()
    return devices


# --- the map -------------------------------------------------------------------------------------------------------

def test_map_page_carries_its_configuration_in_data_attributes(client, settings, city):
    p = page(client, "/?lang=en")
    m = p.by_id("map")
    assert m["data-tile-url"] == settings.map_tile_url
    assert float(m["data-lat"]) == settings.city_center[0]
    assert float(m["data-lon"]) == settings.city_center[1]
    assert m["data-geojson-url"] == "/api/v1/devices.geojson"
    assert m["data-api-url"] == "/api/v1/devices"
    assert m["data-lang"] == "en"
    assert m["aria-label"]
    assert "OpenStreetMap" in m["data-tile-attribution"]
    strings = p.by_id("map-app")["data-i18n"]
    assert '"personal": "Collects personal data"' in strings
    assert p.by_id("near-results")["aria-live"] == "polite"
    assert p.by_id("use-location") is not None and p.by_id("use-centre") is not None
    assert p.by_id("filters")["action"] == "/devices"
    assert p.by_id("list-link")["href"] == "/devices"
    assert "List view (works without the map)" in p.text("list-link")
    assert "5 devices in the register" in p.text("map-status")


def test_map_page_works_as_forms_without_javascript(client, city):
    p = page(client, "/?type=cctv_camera&personal_data=true")
    assert "checked" in p.by_id("type-cctv_camera") and "checked" in p.by_id("personal-true")
    near = p.by_id("near-form")
    assert near["action"] == "/devices" and near["method"] == "get"
    assert [p.by_id(i)["name"] for i in ("near-lat", "near-lon", "near-radius")] == ["lat", "lon", "radius_m"]
    # the buttons that need JavaScript stay hidden until map.js shows them
    assert "hidden" in p.by_id("use-location") and "hidden" in p.by_id("use-centre")


def test_map_page_has_no_inline_script_or_style(client, city):
    r = client.get("/")
    p = Page(r.text)
    srcs = [s.get("src") for s in p.scripts]
    assert all(srcs), "every script must come from a file (CSP: script-src 'self')"
    assert {"/static/vendor/leaflet/leaflet.js", "/static/vendor/markercluster/leaflet.markercluster.js",
            "/static/js/map.js"} <= set(srcs)
    assert not [t for t, a in p.elements if "style" in a or any(k.startswith("on") for k in a)]
    assert "<style" not in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]
    for href in ("/static/vendor/leaflet/leaflet.css", "/static/vendor/markercluster/MarkerCluster.css",
                 "/static/vendor/markercluster/MarkerCluster.Default.css"):
        assert p.all("link", href=href)
    for asset in ("/static/js/map.js", "/static/js/leaflet-setup.js", "/static/css/registry.css"):
        assert client.get(asset).status_code == 200


def test_map_page_text_alternative_counts_by_type(client, city):
    p = page(client, "/?lang=pt")
    summary = p.text("type-summary")
    assert "Câmara de videovigilância 2 2" in summary
    assert "Sensor de ruído 2 0" in summary
    assert p.all("a", href="/devices?type=cctv_camera")


def test_map_page_renders_with_an_empty_register(client):
    p = page(client, "/?lang=en")
    assert "0 devices in the register" in p.text("map-status")


def test_map_and_list_have_one_h1_labels_and_landmarks(client, city):
    for url in ("/", "/devices", f"/devices/{city['ribeira'].public_id}"):
        p = page(client, url)
        assert len(p.all("h1")) == 1, url
        assert p.all("main", id="main") and p.all("a", href="#main")
        labelled = {a.get("for") for _t, a in p.elements if _t == "label"}
        for _t, a in p.elements:
            if _t in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
                assert a.get("id") in labelled, f"{url}: input {a.get('id') or a.get('name')} has no label"


# --- the list --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("query, expected", [
    ("", ["Ar Trindade", "Câmara Foz", "Câmara Ribeira", "Ruído Aliados", "Ruído Dragão"]),
    ("type=cctv_camera", ["Câmara Foz", "Câmara Ribeira"]),
    ("type=cctv_camera&type=air_quality_sensor", ["Ar Trindade", "Câmara Foz", "Câmara Ribeira"]),
    ("personal_data=true", ["Câmara Foz", "Câmara Ribeira"]),
    ("personal_data=false", ["Ar Trindade", "Ruído Aliados", "Ruído Dragão"]),
    ("personal_data=", ["Ar Trindade", "Câmara Foz", "Câmara Ribeira", "Ruído Aliados", "Ruído Dragão"]),
    ("q=camara", ["Câmara Foz", "Câmara Ribeira"]),
    ("q=cais&lat=&lon=&radius_m=", ["Câmara Ribeira"]),
    ("q=nothing-like-this", []),
])
def test_list_filters(client, city, query, expected):
    assert list_names(client, query) == expected


def test_list_announces_the_total_and_keeps_the_form(client, city):
    p = page(client, "/devices?type=cctv_camera&personal_data=true&q=camara&lang=en")
    assert p.by_id("result-count")["role"] == "status"
    assert p.text("result-count").startswith("2 devices")
    assert "checked" in p.by_id("type-cctv_camera")
    assert "checked" not in p.by_id("type-noise_sensor")
    assert "checked" in p.by_id("personal-true")
    assert p.by_id("q")["value"] == "camara"
    assert page(client, "/devices?type=air_quality_sensor&lang=en").text("result-count").startswith("1 device ")
    assert page(client, "/devices?type=air_quality_sensor&lang=pt").text("result-count").startswith("1 aparelho ")


def test_list_near_a_point_is_nearest_first_with_distances(client, city):
    lat, lon = ALIADOS
    r = client.get(f"/devices?lat={lat}&lon={lon}&radius_m=1200&lang=en")
    assert r.status_code == 200
    p = Page(r.text)
    assert list_names(client, f"lat={lat}&lon={lon}&radius_m=1200") == ["Ruído Aliados", "Ar Trindade",
                                                                          "Câmara Ribeira"]
    distances = [int(d.replace(",", "")) for d in re.findall(r'<p class="distance">([\d,]+) m away</p>', r.text)]
    assert distances[0] == 0 and distances == sorted(distances) and len(distances) == 3
    assert 350 < distances[1] < 400
    assert "3 devices within 1,200 m" in p.text("result-count")
    assert "nearest first" in p.text("result-count")
    # without a radius the default applies; the near-point fields are echoed back
    p = page(client, f"/devices?lat={lat}&lon={lon}&lang=en")
    assert "within 1,000 m" in p.text("result-count")
    assert p.by_id("lat")["value"] == str(lat)


def test_list_pagination_links_and_total(client, city):
    p = page(client, "/devices?limit=2&lang=en")
    assert p.text("result-count").startswith("5 devices")
    assert "Showing 1 to 2" in p.text("result-count")
    nxt = p.by_id("next-page")
    assert nxt["rel"] == "next"
    assert "offset=2" in nxt["href"] and "limit=2" in nxt["href"]
    assert not p.all("a", rel="prev")
    seen = []
    url = "/devices?limit=2&lang=en"
    for _ in range(3):
        r = client.get(url)
        seen += list_names(client, url.split("?", 1)[1])
        nxt = [a for a in Page(r.text).all("a", rel="next")]
        if not nxt:
            break
        url = nxt[0]["href"]
    assert seen == ["Ar Trindade", "Câmara Foz", "Câmara Ribeira", "Ruído Aliados", "Ruído Dragão"]
    last = page(client, "/devices?limit=2&offset=4&lang=en")
    assert "offset=2" in last.all("a", rel="prev")[0]["href"]
    assert "Showing 5 to 5" in last.text("result-count")
    assert not last.all("a", rel="next")
    # filters survive paging
    p = page(client, "/devices?limit=1&type=cctv_camera")
    assert "type=cctv_camera" in p.by_id("next-page")["href"]


@pytest.mark.parametrize("query, field, en, pt", [
    ("lat=abc&lon=-8.61", "lat", "latitude must be a number", "latitude tem de ser um número"),
    ("lat=41.15", "lat", "both a latitude and a longitude", "latitude e uma longitude"),
    ("lat=41.15&lon=-8.61&radius_m=999999", "radius_m", "at most 5000 metres", "no máximo 5000 metros"),
    ("radius_m=300", "radius_m", "radius needs a latitude", "raio precisa de uma latitude"),
    ("lat=40.0&lon=-8.0", "lat", "outside the city limits", "fora dos limites do município"),
    ("type=spaceship", "type-cctv_camera", "Choose device types from the list", "Escolha tipos de aparelho"),
    ("personal_data=perhaps", "personal-any", "yes, no or either", "sim, não ou tanto faz"),
])
def test_list_validation_errors_rerender_with_422(client, city, query, field, en, pt):
    for lang, message in (("en", en), ("pt", pt)):
        r = client.get(f"/devices?{query}&lang={lang}")
        assert r.status_code == 422, r.text[:500]
        p = Page(r.text)
        assert p.by_id("form-errors")["role"] == "alert"
        assert message.lower() in p.text("form-errors").lower()
        assert p.all("a", href=f"#{field}")
        assert p.by_id(field)  # the summary links to a real control
        assert not p.all("ol", id="device-list")
    p = Page(client.get("/devices?lat=abc&lon=-8.61").text)
    assert p.by_id("lat")["aria-invalid"] == "true"
    assert p.by_id("lat")["value"] == "abc"


# --- the card --------------------------------------------------------------------------------------------------------

EN_CARD = ["What is this?", "What does it capture?", "Why?", "Who runs it?", "How long is data kept?",
           "Who can see it?", "Is it personal data?", "Legal basis", "Questions?"]
PT_CARD = ["O que é isto?", "O que capta?", "Para quê?", "Quem o gere?", "Durante quanto tempo são guardados os dados?",
           "Quem pode ver os dados?", "São dados pessoais?", "Fundamento jurídico", "Dúvidas?"]


def test_card_in_english(client, settings, city):
    d = city["ribeira"]
    r = client.get(f"/devices/{d.public_id}?lang=en")
    assert r.status_code == 200
    p = Page(r.text)
    assert p.all("html", lang="en")
    card = p.text("device-card")
    for heading in EN_CARD:
        assert heading in card
    assert p.text("device-name") == "Câmara Ribeira"
    assert p.text("device-type") == "CCTV camera"
    assert "Films what happens in front of it" in p.text("capture")
    assert "Public safety" in p.text("purposes")
    operator = p.text("operator")
    assert "PSP" in operator and "Other" in operator and "porto@psp.example" in operator
    assert p.all("a", href="https://www.psp.pt")
    assert "30 days" in p.text("retention-period")
    assert "Apagadas ao fim de 30 dias." in p.text("retention")
    assert "Agentes da PSP na sala de comando" in p.text("access")
    personal = p.text("personal")
    assert "Yes." in personal and "Images of people" in personal
    assert "Faces and plates blurred" in personal and "Rostos desfocados na câmara." in personal
    assert "Public task (GDPR Art. 6(1)(e))" in p.text("legal")
    details = p.text("details")
    for fact in ("Servidores da PSP, Porto", "AIPD-2022-001", "Active", "15 March 2021", "1 October 2026"):
        assert fact in details
    assert p.all("a", href="https://www.psp.pt/videovigilancia")
    assert "41.14070" in p.text("coordinates") and "-8.61310" in p.text("coordinates")
    assert p.by_id("device-map")["data-lat"] == "41.1407"
    assert settings.dpo_email in p.text("questions")
    assert p.by_id("ask-link")["href"] == f"/devices/{d.public_id}/ask"
    assert p.by_id("report-link")["href"] == "/report?lat=41.1407&lon=-8.6131"
    assert all(s.get("src") for s in p.scripts)


def test_card_in_portuguese(client, city):
    p = page(client, f"/devices/{city['ribeira'].public_id}?lang=pt")
    assert p.all("html", lang="pt")
    card = p.text("device-card")
    for heading in PT_CARD:
        assert heading in card
    assert p.text("device-type") == "Câmara de videovigilância"
    assert "Filma o que acontece à sua frente" in p.text("capture")
    assert "Segurança pública" in p.text("purposes")
    assert "30 dias" in p.text("retention-period")
    assert "Sim." in p.text("personal") and "Imagens de pessoas" in p.text("personal")
    assert "Exercício de funções de interesse público" in p.text("legal")
    assert "15 de março de 2021" in p.text("details")
    assert "Pergunte sobre este aparelho" in p.text("ask-link")


@pytest.mark.parametrize("key, en, pt", [
    ("aliados", "Not stored", "Não são guardados"),
    ("trindade", "1 day", "1 dia"),
    ("foz", "1 year (365 days)", "1 ano (365 dias)"),
    ("dragao", "The register does not say.", "O registo não o indica."),
])
def test_card_retention_in_plain_words(client, city, key, en, pt):
    d = city[key]
    assert page(client, f"/devices/{d.public_id}?lang=en").text("retention-period") == en
    assert page(client, f"/devices/{d.public_id}?lang=pt").text("retention-period") == pt


def test_card_without_personal_data(client, city):
    p = page(client, f"/devices/{city['aliados'].public_id}?lang=en")
    assert "No." in p.text("personal")
    assert "Not applicable: no personal data" in p.text("legal")
    assert "Sound levels (no recording)" in p.text("capture")
    assert "It does not collect personal data." in p.text("what")


def test_card_of_a_route_lists_its_points(client, settings, session):
    route = {"type": "LineString", "coordinates": [[-8.61, 41.15], [-8.60, 41.16], [-8.59, 41.17]]}
    d = make_device(session, settings, name="Wi-Fi 500", type="bus_wifi", geometry_kind="route", geometry=route,
                    data_types=["connection_metadata"], purposes=["public_connectivity"], lat=41.16, lon=-8.60)
    session.commit()
    p = page(client, f"/devices/{d.public_id}?lang=en")
    assert "A route" in p.text("coordinates")
    assert "All 3 points of the route" in p.text("geometry-points")
    assert "41.17000, -8.59000" in p.text("geometry-points")
    assert '"LineString"' in p.by_id("device-map")["data-geometry"]


@pytest.mark.parametrize("bad", ["00000000-0000-0000-0000-000000000000", "not-a-uuid", "1", "%27%20or%201=1"])
def test_unknown_card_is_a_404_page(client, city, bad):
    for lang, text in (("en", "No device with this id"), ("pt", "Não há nenhum aparelho")):
        r = client.get(f"/devices/{bad}?lang={lang}")
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("text/html")
        assert text in r.text
        assert f'<html lang="{lang}">' in r.text


# --- language -------------------------------------------------------------------------------------------------------

def test_lang_route_sets_cookie_and_returns(client, city):
    r = client.get("/lang/en?next=/devices%3Ftype%3Dcctv_camera%26lang%3Dpt", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/devices?type=cctv_camera"
    cookie = r.headers["set-cookie"]
    assert "praca_lang=en" in cookie
    assert "Max-Age=31536000" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Path=/" in cookie
    # the cookie now outvotes the browser's language
    r = client.get("/devices", headers={"Accept-Language": "pt-PT"})
    assert '<html lang="en">' in r.text and "Device list" in r.text
    client.get("/lang/pt?next=/", follow_redirects=False)
    assert '<html lang="pt">' in client.get("/devices", headers={"Accept-Language": "en"}).text


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "evil",
                                    "", "\t//evil.example", "/\t/evil.example", "http:/evil.example"])
def test_lang_route_refuses_off_site_next(client, target):
    r = client.get("/lang/en", params={"next": target}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/"
    assert "praca_lang=en" in r.headers["set-cookie"]


def test_lang_route_ignores_unknown_languages(client):
    r = client.get("/lang/fr?next=/devices", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/devices"
    assert "set-cookie" not in r.headers or "praca_lang" not in r.headers["set-cookie"]


def test_language_links_use_the_lang_route(client, city):
    p = page(client, "/devices?type=cctv_camera&lang=pt")
    links = {a["hreflang"]: a for a in p.all("a") if a.get("hreflang")}
    assert links["en"]["href"] == "/lang/en?next=/devices%3Ftype%3Dcctv_camera"
    assert links["pt"]["aria-current"] == "true"
    assert links["en"]["lang"] == "en"
    assert p.all("html", lang="pt")
    assert page(client, "/devices", headers={"Accept-Language": "en-GB,en;q=0.9"}).all("html", lang="en")


# --- translations ------------------------------------------------------------------------------------------------

MY_TEMPLATES = [*sorted((TEMPLATE_DIR / "registry").glob("*.html")), TEMPLATE_DIR / "base.html",
                TEMPLATE_DIR / "error.html"]
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true",
                 "newstyle_gettext": "true"}


def _msgids(path: Path) -> set[str | tuple[str, ...]]:
    if path.suffix == ".py":
        found = extract_from_file("python", str(path), keywords={"_": None})
    else:
        found = extract_from_file(jinja2.ext.babel_extract, str(path), options=JINJA_OPTIONS)
    return {message for _line, message, _comments, _ctx in found}


def _portuguese() -> dict[str | tuple[str, ...], object]:
    translated: dict[str | tuple[str, ...], object] = {}
    for po in sorted((i18n.LOCALE_DIR / "pt" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as f:
            catalog = read_po(f, locale="pt")
        assert catalog.plural_forms == "nplurals=2; plural=(n != 1);"
        for m in catalog:
            if m.id and not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else m.string):
                translated[m.id] = m.string
    return translated


@pytest.mark.parametrize("path", [*MY_TEMPLATES, Path(__file__).parents[2] / "src/praca/registry/pages.py"],
                         ids=lambda p: p.name)
def test_every_message_has_a_portuguese_translation(path):
    translated = _portuguese()
    missing = sorted(str(m) for m in _msgids(path) if m not in translated)
    assert not missing, f"untranslated in {path.name}: {missing}"
