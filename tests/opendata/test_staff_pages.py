"""The data stewards' pages: who may use them, the dataset form and its errors, uploads good and bad (nothing
stored on failure), publication through the gate, the gate's report, the DPO's override, withdrawal,
deletion, the history and the audit entries, in both languages."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from praca.core.audit import AuditEntry
from praca.opendata import service, staff_pages
from praca.opendata.models import Dataset, DatasetVersion, Resource
from tests.dpo.pages import csrf_from, error_fields, login, text_of
from tests.factories import make_user
from tests.opendata.factories import make_dataset, make_organization

FORM = {
    "name": "qualidade-do-ar", "title_pt": "Qualidade do ar", "title_en": "Air quality",
    "notes_pt": "Medições horárias.", "notes_en": "Hourly readings.", "organization": "ambiente",
    "themes": ["ENVI", "HEAL"], "keywords": "ar, poluição, ar", "license_id": "CC-BY-4.0",
    "temporal_start": "2026-01-01", "temporal_end": "", "spatial": "Porto", "bbox_west": "-8.69",
    "bbox_south": "41.13", "bbox_east": "-8.55", "bbox_north": "41.19", "frequency": "HOURLY",
    "contact_name": "Equipa de dados abertos", "contact_email": "dados@cm-porto.example", "k_threshold": "10",
}
CLEAN_CSV = "estacao,hora,no2\nAliados,2026-01-01T00:00,21.5\nBoavista,2026-01-01T00:00,18.0\n"


def nif(first8: str) -> str:
    """A valid NIF: the AT's mod-11 check digit, computed here independently of the detectors."""
    total = sum(int(d) * w for d, w in zip(first8, range(9, 1, -1), strict=True))
    check = 11 - total % 11
    return first8 + str(0 if check >= 10 else check)


PERSONAL_CSV = "nome_rua,email,nif,consumo\n" + "".join(
    f"Rua {i},pessoa{i}@exemplo.pt,{nif(f'2{i:07d}')},{i * 10}\n" for i in range(1, 31))


# --- helpers ----------------------------------------------------------------------------------------------------

def token(client) -> str:
    return csrf_from(client.get("/staff/login").text)


def post(client, url: str, data: dict | None = None, **kw):
    return client.post(url, data={"csrf_token": token(client), **(data or {})}, follow_redirects=False, **kw)


def upload(client, dataset_id: str, content: str | bytes, filename: str = "leituras.csv", **fields):
    data = {"name_pt": "Leituras", "name_en": "Readings", **fields}
    body = content.encode() if isinstance(content, str) else content
    return post(client, f"/staff/data/{dataset_id}/resources/new", data, files={"file": (filename, body, "text/csv")})


def as_role(client, session, role: str):
    user = make_user(session, role, department="ambiente" if role == "liaison" else None)
    session.commit()
    login(client, user.email)
    return user


def stored_files(data_dir: Path) -> list[Path]:
    return sorted(p for p in (data_dir / "opendata").rglob("*") if p.is_file()) if (data_dir / "opendata").exists() \
        else []


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def actions(session, dataset) -> list[str]:
    return [e.action for e in session.scalars(select(AuditEntry).where(
        AuditEntry.subject == f"dataset:{dataset.public_id}").order_by(AuditEntry.seq))]


@pytest.fixture
def org(session):
    organization = make_organization(session)
    session.commit()
    return organization


@pytest.fixture
def steward(client, session, org):
    return as_role(client, session, "steward")


@pytest.fixture
def draft(session, org):
    dataset = make_dataset(session)
    session.commit()
    return dataset


# --- who may use the pages -------------------------------------------------------------------------------------

def test_anonymous_visitors_are_sent_to_sign_in(client, draft):
    for url in ("/staff/data", "/staff/data/new", f"/staff/data/{draft.public_id}",
                f"/staff/data/{draft.public_id}/history"):
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == f"/staff/login?next={url}"
    response = client.post(f"/staff/data/{draft.public_id}/publish", data={"csrf_token": "x"},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login")
    assert draft.state == "draft"


@pytest.mark.parametrize("role", ["viewer", "liaison"])
def test_other_staff_roles_are_refused(client, session, draft, role):
    as_role(client, session, role)
    for url in ("/staff/data", "/staff/data/new", f"/staff/data/{draft.public_id}",
                f"/staff/data/{draft.public_id}/resources/new", f"/staff/data/{draft.public_id}/history"):
        assert client.get(url).status_code == 403, url
    assert post(client, f"/staff/data/{draft.public_id}/publish").status_code == 403
    assert upload(client, draft.public_id, CLEAN_CSV).status_code == 403
    assert post(client, "/staff/data/new", FORM).status_code == 403
    assert count(session, Resource) == 0 and count(session, Dataset) == 1
    assert 'href="/staff/data"' not in client.get("/staff/tokens").text  # no link to pages they cannot use


@pytest.mark.parametrize("role", ["steward", "admin", "dpo"])
def test_stewards_admins_and_the_dpo_use_the_pages(client, session, draft, role):
    as_role(client, session, role)
    for url in ("/staff/data", "/staff/data/new", f"/staff/data/{draft.public_id}",
                f"/staff/data/{draft.public_id}/edit", f"/staff/data/{draft.public_id}/resources/new",
                f"/staff/data/{draft.public_id}/history"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == "no-store"
    assert '<a href="/staff/data">Dados abertos</a>' in client.get("/staff/data").text
    response = post(client, "/staff/data/new", {**FORM, "name": f"ar-{role}"})
    assert response.status_code == 303


def test_a_steward_starts_on_the_datasets(client, session, org):
    as_role(client, session, "steward")
    assert client.get("/staff", follow_redirects=False).headers["location"] == "/staff/data"


def test_forms_need_the_csrf_token(client, session, draft, steward):
    response = client.post(f"/staff/data/{draft.public_id}/publish", data={"csrf_token": "forged"})
    assert response.status_code == 403
    assert client.post("/staff/data/new", data=FORM).status_code == 403
    assert service.latest_version(session, draft).number == 1 and count(session, Dataset) == 1


def test_an_unknown_dataset_is_404(client, steward):
    assert client.get("/staff/data/00000000-0000-4000-8000-000000000000").status_code == 404
    assert client.get("/staff/data/not-a-uuid").status_code == 404


# --- the list ---------------------------------------------------------------------------------------------------

def test_the_list_shows_state_publisher_and_filters(client, session, steward):
    make_organization(session, "mobilidade")
    air = make_dataset(session)
    parks = make_dataset(session, name="estacionamento", title_pt="Parques de estacionamento", title_en="Car parks",
                         organization="mobilidade")
    gone = make_dataset(session, name="antigo", title_pt="Conjunto antigo", title_en="Old set")
    service.delete_dataset(session, gone, "user:test")
    session.commit()

    html = client.get("/staff/data").text
    assert "2 conjuntos de dados" in text_of(html)
    assert "Qualidade do ar" in html and "Parques de estacionamento" in html and "Conjunto antigo" not in html
    rows = html.split("<tbody>")[1].split("</tbody>")[0].split("</tr>")[:-1]
    assert "Parques de estacionamento" in rows[0]  # last changed first
    assert "Rascunho" in rows[0] and "Ainda não verificado" in rows[0]

    only = client.get("/staff/data?organization=mobilidade").text
    assert "Parques de estacionamento" in only and "Qualidade do ar" not in only
    deleted = client.get("/staff/data?state=deleted").text
    assert "Conjunto antigo" in deleted and "Qualidade do ar" not in deleted
    assert "Nenhum conjunto de dados" in client.get("/staff/data?state=active").text
    assert "Qualidade do ar" in client.get("/staff/data?state=nonsense&organization=nobody").text
    assert air.public_id in html and parks.public_id in html


def test_the_list_pages_through_many_datasets(client, session, steward, monkeypatch):
    monkeypatch.setattr(staff_pages, "PAGE", 2)
    for i in range(5):
        make_dataset(session, name=f"conjunto-{i}", title_pt=f"Conjunto {i}", title_en=f"Set {i}")
    session.commit()
    first = client.get("/staff/data?state=draft").text
    assert "Página 1 de 3" in first and 'href="/staff/data?state=draft&amp;page=2" rel="next"' in first
    last = client.get("/staff/data?state=draft&page=3").text
    assert "Conjunto 0" in last and 'rel="next"' not in last and "page=2" in last


# --- creating and editing ---------------------------------------------------------------------------------------

def test_a_steward_creates_a_draft(client, session, steward):
    response = post(client, "/staff/data/new", FORM)
    assert response.status_code == 303
    dataset = session.scalar(select(Dataset))
    assert response.headers["location"] == f"/staff/data/{dataset.public_id}?done=created"
    assert dataset.state == "draft" and dataset.themes == ["ENVI", "HEAL"] and dataset.keywords == ["ar", "poluição"]
    assert dataset.spatial_bbox == [-8.69, 41.13, -8.55, 41.19] and dataset.temporal_end is None
    version = service.latest_version(session, dataset)
    assert version.change == "created" and version.actor == steward.actor
    assert actions(session, dataset) == ["opendata.dataset.created"]
    page = client.get(response.headers["location"]).text
    assert "O conjunto de dados foi criado como rascunho" in page and "Rascunho" in page


def test_invalid_metadata_is_shown_field_by_field_and_nothing_is_created(client, session, steward):
    bad = {**FORM, "name": "Qualidade do Ar", "title_pt": "", "bbox_north": "",
           "contact_email": "not-an-address", "k_threshold": "1", "themes": ["WEATHER"]}
    response = post(client, "/staff/data/new", bad)
    assert response.status_code == 422
    assert error_fields(response.text) == ["name", "title_pt", "themes-first", "bbox_west", "contact_email",
                                           "k_threshold"]
    text = text_of(response.text)
    assert "Indique o título em português: no máximo 300 caracteres." in text
    assert 'id="title_pt" name="title_pt" type="text" value=""' in response.text
    assert 'aria-describedby="title_pt-error" aria-invalid="true"' in response.text
    assert 'value="Qualidade do Ar"' in response.text  # what was typed comes back
    assert count(session, Dataset) == 0


def test_the_model_check_on_dates_names_its_field(client, session, steward):
    response = post(client, "/staff/data/new", {**FORM, "temporal_end": "2025-12-31"})
    assert response.status_code == 422 and error_fields(response.text) == ["temporal_end"]


def test_names_and_publishers_are_checked(client, session, draft, steward):
    taken = post(client, "/staff/data/new", FORM)
    assert taken.status_code == 422 and error_fields(taken.text) == ["name"]
    assert "Outro conjunto de dados já tem este nome" in text_of(taken.text)
    unknown = post(client, "/staff/data/new", {**FORM, "name": "outro", "organization": "nobody"})
    assert unknown.status_code == 422 and error_fields(unknown.text) == ["organization"]
    assert count(session, Dataset) == 1


def test_an_edit_saves_a_version_with_the_changed_fields(client, session, draft, steward):
    form = client.get(f"/staff/data/{draft.public_id}/edit").text
    assert 'value="qualidade-do-ar"' in form and 'id="no-columns"' in form
    changes = {**FORM, "title_en": "Air quality readings", "spatial": "", "bbox_west": "", "bbox_south": "",
               "bbox_east": "", "bbox_north": "", "keywords": "ar, poluição"}
    response = post(client, f"/staff/data/{draft.public_id}/edit", changes)
    assert response.status_code == 303 and response.headers["location"].endswith("?done=saved")
    version = service.latest_version(session, draft)
    assert version.number == 2 and version.actor == steward.actor
    assert set(version.changed_fields) == {"title_en", "notes_pt", "notes_en", "themes", "spatial", "spatial_bbox"}
    assert draft.spatial is None and draft.spatial_bbox is None
    again = post(client, f"/staff/data/{draft.public_id}/edit", changes)
    assert again.headers["location"].endswith("?done=unchanged")
    assert service.latest_version(session, draft).number == 2


def test_an_invalid_edit_changes_nothing(client, session, draft, steward):
    response = post(client, f"/staff/data/{draft.public_id}/edit", {**FORM, "title_en": "", "k_threshold": "x"})
    assert response.status_code == 422 and error_fields(response.text) == ["title_en", "k_threshold"]
    assert draft.title_en == "Air quality" and service.latest_version(session, draft).number == 1


# --- resources --------------------------------------------------------------------------------------------------

def test_a_csv_upload_becomes_a_table_whose_columns_can_be_quasi_identifiers(client, session, settings, draft,
                                                                               steward):
    response = upload(client, draft.public_id, CLEAN_CSV)
    assert response.status_code == 303, response.text
    assert response.headers["location"].endswith("?done=resource_added")
    [resource] = session.scalars(select(Resource)).all()
    assert resource.format == "CSV" and resource.rows == 2
    assert [f["id"] for f in resource.fields] == ["estacao", "hora", "no2"]
    assert (settings.data_dir / resource.file).read_text() == CLEAN_CSV
    assert (settings.data_dir / resource.parquet).is_file()
    assert not list((settings.data_dir / "opendata" / "incoming").iterdir())  # the spooled copy is gone
    page = client.get(f"/staff/data/{draft.public_id}").text
    assert "<code>estacao</code>" in page and "Leituras" in page
    form = client.get(f"/staff/data/{draft.public_id}/edit").text
    assert 'name="quasi_identifiers" value="estacao"' in form and 'name="quasi_identifiers" value="no2"' in form
    response = post(client, f"/staff/data/{draft.public_id}/edit",
                    {**FORM, "quasi_identifiers": ["estacao", "hora"], "k_threshold": "5"})
    assert response.status_code == 303
    assert draft.quasi_identifiers == ["estacao", "hora"] and draft.k_threshold == 5
    assert "resource_added" in [v.change for v in service.history(session, draft)]


def _xlsx(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _parquet(rows: list[list[object]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({name: [r[i] for r in rows[1:]] for i, name in enumerate(rows[0])})
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


ROWS = [["estacao", "no2"], ["Aliados", 21.5], ["Boavista", 18.0]]
FILES = {
    "JSON": ("leituras.json", json.dumps([dict(zip(ROWS[0], r, strict=True)) for r in ROWS[1:]]).encode()),
    "GEOJSON": ("estacoes.geojson", json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-8.61, 41.15]},
         "properties": dict(zip(ROWS[0], r, strict=True))} for r in ROWS[1:]]}).encode()),
    "XLSX": ("leituras.xlsx", _xlsx(ROWS)),
    "PARQUET": ("leituras.parquet", _parquet(ROWS)),
}


@pytest.mark.parametrize("fmt", FILES)
def test_every_tabular_format_becomes_a_table(client, session, draft, steward, fmt):
    filename, content = FILES[fmt]
    response = upload(client, draft.public_id, content, filename)
    assert response.status_code == 303, text_of(response.text)[:2000]
    [resource] = session.scalars(select(Resource)).all()
    assert resource.format == fmt and resource.rows == 2
    assert {"estacao", "no2"} <= {f["id"] for f in resource.fields}


def test_a_csv_in_two_encodings_is_refused_with_the_lines_at_fault(client, session, settings, draft, steward):
    content = "estacao,no2\nCampanhã,21.5\n".encode() + "Paranhos,3\nSé,18.0\n".encode("cp1252")
    response = upload(client, draft.public_id, content)
    assert response.status_code == 422
    assert "Linha 4: não está em UTF-8, ao contrário de outras linhas" in text_of(response.text)
    assert count(session, Resource) == 0 and stored_files(settings.data_dir) == []


def test_a_ragged_csv_is_refused_with_its_line_numbers_and_nothing_is_stored(client, session, settings, draft,
                                                                             steward):
    ragged = "estacao,hora,no2\nAliados,00:00,21.5\nBoavista,00:00,18.0,extra\nCampanhã,00:00\n"
    response = upload(client, draft.public_id, ragged)
    assert response.status_code == 422
    assert error_fields(response.text) == ["file"]
    text = text_of(response.text)
    assert "Não foi possível ler o ficheiro como tabela, por isso nada foi guardado." in text
    assert "Linha 3" in text and "Linha 4" in text
    assert count(session, Resource) == 0 and stored_files(settings.data_dir) == []
    assert service.latest_version(session, draft).number == 1
    assert 'value="Leituras"' in response.text


def test_a_file_over_the_limit_is_refused_before_it_is_read(client, session, settings, draft, steward, monkeypatch):
    monkeypatch.setattr(settings, "opendata_upload_max_bytes", 1024)
    monkeypatch.setattr(staff_pages, "FORM_SLACK", 0)
    response = upload(client, draft.public_id, "a,b\n" + "1,2\n" * 1000)
    assert response.status_code == 413
    assert "O ficheiro tem mais de" in text_of(response.text) and error_fields(response.text) == ["file"]
    assert count(session, Resource) == 0 and stored_files(settings.data_dir) == []


def test_a_file_that_grows_past_the_limit_while_copied_is_refused(client, session, settings, draft, steward,
                                                                  monkeypatch):
    monkeypatch.setattr(settings, "opendata_upload_max_bytes", 2000)  # the form fits its slack; the file not
    response = upload(client, draft.public_id, "a,b\n" + "1,2\n" * 1000)
    assert response.status_code == 413
    assert count(session, Resource) == 0 and stored_files(settings.data_dir) == []


def test_an_upload_without_a_declared_length_is_refused(client, session, settings, draft, steward):
    boundary = "praca-test-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token(client)}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\n"
            f"a,b\n1,2\n\r\n--{boundary}--\r\n").encode()
    response = client.post(f"/staff/data/{draft.public_id}/resources/new", content=iter([body]),
                           headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 411 and "O navegador não indicou" in text_of(response.text)
    assert count(session, Resource) == 0 and stored_files(settings.data_dir) == []


@pytest.mark.parametrize(("fields", "content", "filename", "error"), [
    ({"url": "https://dados.cm-porto.example/ar.csv"}, CLEAN_CSV, "ar.csv", "file"),  # both
    ({}, None, None, "file"),  # neither
    ({"url": "ftp://dados.cm-porto.example/ar.csv"}, None, None, "url"),
    ({"name_pt": ""}, CLEAN_CSV, "ar.csv", "name_pt"),
    ({}, CLEAN_CSV, "leituras.dat", "format"),
    ({}, "", "vazio.csv", "file"),
])
def test_resource_form_errors(client, session, settings, draft, steward, fields, content, filename, error):
    data = {"name_pt": "Leituras", "name_en": "Readings", **fields}
    files = {"file": (filename, content.encode(), "text/csv")} if content is not None else None
    response = post(client, f"/staff/data/{draft.public_id}/resources/new", data, files=files)
    assert response.status_code == 422, response.text
    assert error_fields(response.text) == [error]
    assert count(session, Resource) == 0 and stored_files(settings.data_dir) == []


def test_a_link_and_a_removal(client, session, settings, draft, steward):
    response = post(client, f"/staff/data/{draft.public_id}/resources/new",
                    {"name_pt": "Portal", "name_en": "Portal", "url": "https://dados.cm-porto.example/ar.html"})
    assert response.status_code == 303
    assert upload(client, draft.public_id, CLEAN_CSV).status_code == 303
    link, table = session.scalars(select(Resource).order_by(Resource.position)).all()
    assert link.format == "HTML" and link.file is None and table.position == 1
    assert stored_files(settings.data_dir)
    response = post(client, f"/staff/data/{draft.public_id}/resources/{table.public_id}/remove")
    assert response.status_code == 303 and response.headers["location"].endswith("?done=resource_removed")
    assert [r.public_id for r in session.scalars(select(Resource))] == [link.public_id]
    assert stored_files(settings.data_dir) == []
    latest = service.latest_version(session, draft)
    assert latest.change == "resource_removed" and latest.changed_fields == [f"resource:{table.public_id}"]
    history = text_of(client.get(f"/staff/data/{draft.public_id}/history").text)
    assert "Recurso removido" in history and "recurso Leituras" in history


# --- publication through the gate ----------------------------------------------------------------------------

def test_a_clean_dataset_is_published(client, session, draft, steward):
    assert upload(client, draft.public_id, CLEAN_CSV).status_code == 303
    response = post(client, f"/staff/data/{draft.public_id}/publish")
    assert response.status_code == 303 and response.headers["location"].endswith("?done=published")
    assert draft.state == "active"
    version = service.latest_version(session, draft)
    assert version.change == "published" and version.gate_passed is True and version.gate_report["passed"]
    page = client.get(response.headers["location"]).text
    assert "passou o controlo de publicação e está publicado" in page and 'href="/data/qualidade-do-ar"' in page
    listed = client.get("/staff/data").text
    assert "Publicado" in listed and f'/staff/data/{draft.public_id}/gate/{version.number}">' in listed
    assert actions(session, draft)[-1] == "opendata.dataset.published"


def refuse(client, session, dataset) -> DatasetVersion:
    assert upload(client, dataset.public_id, PERSONAL_CSV, "consumos.csv").status_code == 303
    response = post(client, f"/staff/data/{dataset.public_id}/publish")
    version = service.latest_version(session, dataset)
    assert response.status_code == 303
    assert response.headers["location"] == f"/staff/data/{dataset.public_id}/gate/{version.number}"
    return version


def test_a_refusal_shows_the_failing_columns_and_why(client, session, draft, steward):
    version = refuse(client, session, draft)
    assert draft.state == "draft"
    assert version.change == "gate_refused" and version.gate_passed is False
    report = version.gate_report["resources"][0]
    assert {(f["column"], f["kind"]) for f in report["findings"] if f["severity"] == "fail"} >= {
        ("email", "email"), ("nif", "nif")}
    html = client.get(f"/staff/data/{draft.public_id}/gate/{version.number}").text
    text = text_of(html)
    assert "Recusado" in text and "Nada foi publicado" in text
    table = html.split('class="findings"')[1].split("</table>")[0]
    assert "<code>email</code>" in table and "<code>nif</code>" in table
    assert "Endereços de e-mail" in table and "Números de contribuinte (NIF)" in table
    assert "Impede a publicação" in table and "1, 2, 3" in text_of(table)
    assert "pessoa1@exemplo.pt" not in html and nif("20000001") not in html  # masked examples only
    assert "p***@e***.pt" in html
    assert 'id="override-reason"' not in html and "Só o Encarregado da Proteção de Dados" in text
    overview = client.get(f"/staff/data/{draft.public_id}").text
    assert 'id="gate-refused"' in overview
    assert "Recusado" in client.get("/staff/data").text
    assert actions(session, draft)[-1] == "opendata.dataset.gate_refused"


def test_small_groups_are_shown_with_their_rows(client, session, draft, steward):
    rows = "idade,codigo_postal,valor\n" + "".join(f"{30 + i % 2},4000-{i:03d},1\n" for i in range(12))
    assert upload(client, draft.public_id, rows).status_code == 303
    post(client, f"/staff/data/{draft.public_id}/edit",
         {**FORM, "quasi_identifiers": ["idade", "codigo_postal"], "k_threshold": "5"})
    post(client, f"/staff/data/{draft.public_id}/publish")
    version = service.latest_version(session, draft)
    assert version.gate_passed is False
    html = client.get(f"/staff/data/{draft.public_id}/gate/{version.number}?lang=en").text
    section = text_of(html.split('class="facts k-anonymity"')[1].split("</dl>")[0])
    assert "Smallest group 1 (at least 5 needed)" in section
    assert "12 of 12 groups, 12 rows" in section
    assert "Quasi-identifiers declared: idade , codigo_postal · k = 5" in text_of(html)


def test_only_the_dpo_overrides_and_only_with_a_reason(client, session, draft, steward):
    version = refuse(client, session, draft)
    url = f"/staff/data/{draft.public_id}/gate/{version.number}/override"
    reason = "Os NIF são de empresas fornecedoras, publicados no portal BASE."
    assert post(client, url, {"reason": reason}).status_code == 403

    as_role(client, session, "admin")
    assert 'id="override-reason"' not in client.get(f"/staff/data/{draft.public_id}/gate/{version.number}").text
    assert post(client, url, {"reason": reason}).status_code == 403

    dpo = as_role(client, session, "dpo")
    page = client.get(f"/staff/data/{draft.public_id}/gate/{version.number}").text
    assert 'id="override-reason"' in page
    short = post(client, url, {"reason": "ok"})
    assert short.status_code == 422 and error_fields(short.text) == ["override-reason"]
    assert draft.state == "draft"

    response = post(client, url, {"reason": reason})
    assert response.status_code == 303 and response.headers["location"].endswith("?done=overridden")
    assert draft.state == "active"
    latest = service.latest_version(session, draft)
    assert latest.change == "published_by_override" and latest.override_reason == reason
    assert latest.override_by == dpo.actor and latest.gate_report == version.gate_report
    assert actions(session, draft)[-2:] == ["opendata.dataset.published_by_override", "opendata.gate.overridden"]
    kept = client.get(f"/staff/data/{draft.public_id}/gate/{latest.number}").text
    assert reason in kept and "Publicado por decisão do Encarregado" in kept and 'id="override-reason"' not in kept
    twice = post(client, f"/staff/data/{draft.public_id}/gate/{latest.number}/override", {"reason": reason})
    assert twice.status_code == 422 and service.latest_version(session, draft).number == latest.number
    assert "Publicado por decisão do Encarregado" in client.get("/staff/data").text
    history = client.get(f"/staff/data/{draft.public_id}/history").text
    assert reason in history and "dpo user" in history


def test_a_stale_refusal_cannot_be_overridden(client, session, draft, steward):
    version = refuse(client, session, draft)
    post(client, f"/staff/data/{draft.public_id}/edit", {**FORM, "title_en": "Consumption"})
    as_role(client, session, "dpo")
    assert 'id="override-reason"' not in client.get(f"/staff/data/{draft.public_id}/gate/{version.number}").text
    response = post(client, f"/staff/data/{draft.public_id}/gate/{version.number}/override",
                    {"reason": "Os NIF são de empresas fornecedoras."})
    assert response.status_code == 422 and "Não há recusa a ultrapassar" in text_of(response.text)
    assert draft.state == "draft"


def test_a_file_with_personal_data_never_reaches_a_published_dataset(client, session, settings, draft, steward):
    assert upload(client, draft.public_id, CLEAN_CSV).status_code == 303
    post(client, f"/staff/data/{draft.public_id}/publish")
    before = stored_files(settings.data_dir)
    response = upload(client, draft.public_id, PERSONAL_CSV, "consumos.csv")
    assert response.status_code == 409
    assert "recusou-o: nada foi guardado" in text_of(response.text)
    assert "<code>email</code>" in response.text and 'id="gate-report"' in response.text
    assert count(session, Resource) == 1 and stored_files(settings.data_dir) == before


def test_withdraw_needs_a_reason(client, session, draft, steward):
    assert upload(client, draft.public_id, CLEAN_CSV).status_code == 303
    post(client, f"/staff/data/{draft.public_id}/publish")
    empty = post(client, f"/staff/data/{draft.public_id}/withdraw", {"reason": "  "})
    assert empty.status_code == 422 and error_fields(empty.text) == ["withdraw-reason"]
    assert draft.state == "active"
    response = post(client, f"/staff/data/{draft.public_id}/withdraw", {"reason": "Sensores substituídos."})
    assert response.status_code == 303 and response.headers["location"].endswith("?done=withdrawn")
    assert draft.state == "withdrawn" and draft.withdrawn_reason == "Sensores substituídos."
    again = post(client, f"/staff/data/{draft.public_id}/withdraw", {"reason": "De novo."})
    assert again.status_code == 422 and "Só um conjunto de dados publicado" in text_of(again.text)
    assert actions(session, draft)[-1] == "opendata.dataset.withdrawn"


def test_delete_needs_a_confirmation(client, session, draft, steward):
    unconfirmed = post(client, f"/staff/data/{draft.public_id}/delete")
    assert unconfirmed.status_code == 422 and error_fields(unconfirmed.text) == ["delete-confirm"]
    assert draft.state == "draft"
    response = post(client, f"/staff/data/{draft.public_id}/delete", {"confirm": "yes"})
    assert response.status_code == 303 and draft.state == "deleted"
    assert client.get(f"/staff/data/{draft.public_id}/edit").status_code == 409
    page = client.get(f"/staff/data/{draft.public_id}").text
    assert "Eliminado" in page and 'action="/staff/data/' not in page.split('id="resources"')[-1]
    assert actions(session, draft)[-1] == "opendata.dataset.deleted"


# --- history and language -----------------------------------------------------------------------------------

def test_the_history_lists_versions_actors_and_audit_entries(client, session, draft, steward):
    post(client, f"/staff/data/{draft.public_id}/edit", {**FORM, "title_en": "Air quality readings"})
    html = client.get(f"/staff/data/{draft.public_id}/history?lang=en").text
    rows = [text_of(r).strip() for r in html.split('id="versions"')[1].split("<tbody>")[1].split("</tr>")[:-1]]
    assert rows[0].startswith("2 ") and "Metadata edited" in rows[0] and "steward user" in rows[0]
    assert "Title in English" in rows[0]
    assert rows[1].startswith("1 ") and "Created" in rows[1] and "Every field" in rows[1]
    audit_table = html.split('id="audit"')[1]
    assert "opendata.dataset.updated" in audit_table and "opendata.dataset.created" in audit_table


def test_the_pages_in_english(client, session, draft, steward):
    html = client.get(f"/staff/data/{draft.public_id}?lang=en").text
    assert '<html lang="en">' in html and "Check and publish" in html and "Draft" in html
    assert "Air quality" in html.split("<h1>")[1].split("</h1>")[0]
    form = client.get("/staff/data/new?lang=en").text
    assert "Environment" in form and "Hourly" in form and "Creative Commons Attribution 4.0" in form
    errors = post(client, "/staff/data/new?lang=en", {**FORM, "name": "x"})
    assert "Give the dataset's address name" in text_of(errors.text)


def test_the_audit_log_and_logs_keep_no_value_of_the_file(client, session, draft, steward, caplog):
    """The audit entries of an upload and a refusal carry ids and codes, never the file's values."""
    refuse(client, session, draft)
    entries = session.scalars(select(AuditEntry).where(AuditEntry.subject == f"dataset:{draft.public_id}")).all()
    dumped = " ".join(str(e.details) for e in entries) + caplog.text
    assert "pessoa1@exemplo.pt" not in dumped and "exemplo" not in dumped
    assert re.search(r"resource:[0-9a-f-]{36}", dumped)
