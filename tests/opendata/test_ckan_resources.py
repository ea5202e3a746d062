"""resource_create with links and uploads (multipart `upload`, as ckanapi sends files), the datastore copy, the
publication gate on uploads and on publishing, CKAN's download URL."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from praca.opendata import ckan_api, service
from praca.settings import Settings
from tests.opendata.test_ckan_world import call, make_world, token

READINGS = b"estacao,hora,no2\nBoavista,2026-01-01T10:00:00,31.5\nCampanha,2026-01-01T10:00:00,28.0\n"
PERSONAL = b"nome_do_pedido,email,freguesia\npedido 1,ana.silva@example.org,Bonfim\npedido 2,rui@example.org,Paranhos\n"


def upload(client: TestClient, raw: str, package: str, content: bytes, filename: str = "leituras.csv",
           **fields: str):
    return client.post("/api/action/resource_create", data={"package_id": package, **fields},
                       files={"upload": (filename, content, "text/csv")}, headers={"Authorization": raw})


def files_under(settings: Settings) -> list[Path]:
    root = settings.data_dir / "opendata"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_resource_create_links_a_resource(client: TestClient, session: Session) -> None:
    world = make_world(session)
    steward = token(session)
    res = call(client, "resource_create", {"package_id": "estacionamento", "url": "https://example.org/parques.pdf",
                                           "description": "Mapa dos parques."}, token=steward)["result"]
    assert res["name"] == "parques.pdf" and res["format"] == "PDF" and res["url_type"] == ""
    assert res["url"] == "https://example.org/parques.pdf" and res["datastore_active"] is False
    assert res["package_id"] == world.parking.public_id and res["position"] == 0
    shown = call(client, "resource_show", {"id": res["id"]}, token=steward)["result"]
    assert shown == res
    assert call(client, "resource_show", {"id": res["id"]}, status=404)["success"] is False  # a draft's resource
    pkg = call(client, "package_show", {"id": "estacionamento"}, token=steward)["result"]
    assert pkg["num_resources"] == 1 and pkg["resources"][0]["id"] == res["id"]
    neither = call(client, "resource_create", {"package_id": "estacionamento"}, token=steward, status=409)
    assert neither["error"]["url"] == ["Give either a file to upload or a url to link, not both."]
    unknown = call(client, "resource_create", {"package_id": "nenhum", "url": "https://example.org/a.csv"},
                   token=steward, status=404)
    assert unknown["error"]["__type"] == "Not Found Error"


def test_an_upload_goes_to_the_datastore_and_downloads_as_uploaded(client: TestClient, session: Session,
                                                                  settings: Settings) -> None:
    world = make_world(session)
    response = upload(client, token(session), "qualidade-do-ar", READINGS, name="Leituras de janeiro",
                      name_en="January readings", format="csv")
    assert response.status_code == 200, response.text
    res = response.json()["result"]
    assert res["url_type"] == "upload" and res["datastore_active"] is True and res["format"] == "CSV"
    assert res["mimetype"] == "text/csv" and res["size"] == len(READINGS) and len(res["hash"]) == 64
    assert res["name"] == "Leituras de janeiro" and res["name_en"] == "January readings"
    assert res["url"] == (f"http://127.0.0.1:8000/dataset/{world.air.public_id}/resource/{res['id']}"
                          "/download/january-readings.csv")
    assert [f.name for f in files_under(settings) if "incoming" in f.parts] == []  # the spooled copy is gone
    file = client.get(res["url"].removeprefix("http://127.0.0.1:8000"))
    assert file.status_code == 200 and file.content == READINGS
    assert file.headers["content-type"].startswith("text/csv")
    assert file.headers["content-disposition"] == 'attachment; filename="january-readings.csv"'
    by_name = client.get(f"/dataset/qualidade-do-ar/resource/{res['id']}/download")
    assert by_name.status_code == 200 and by_name.content == READINGS
    assert client.get(f"/dataset/contentores/resource/{res['id']}/download").status_code == 404
    pkg = call(client, "package_show", {"id": "qualidade-do-ar"})["result"]
    assert pkg["num_resources"] == 1 and pkg["resources"][0] == res


def test_the_gate_refuses_personal_data_uploaded_to_a_published_dataset(client: TestClient, session: Session,
                                                                        settings: Settings) -> None:
    make_world(session)
    before = files_under(settings)
    response = upload(client, token(session), "qualidade-do-ar", PERSONAL, filename="pedidos.csv")
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["__type"] == "Validation Error"
    assert error["upload"][0].startswith("The publication gate refused this file")
    assert any("email" in line for line in error["gate"])
    [checked] = error["gate_report"]["resources"]
    assert checked["passed"] is False and {f["column"] for f in checked["findings"]} >= {"email"}
    assert "ana.silva@example.org" not in response.text  # examples are masked
    assert files_under(settings) == before  # nothing kept
    assert service.get_dataset(session, "qualidade-do-ar").resources == []


def test_publishing_runs_the_gate_and_a_refusal_is_kept_with_the_version(client: TestClient, session: Session
                                                                         ) -> None:
    make_world(session)
    steward = token(session)
    assert upload(client, steward, "estacionamento", PERSONAL, filename="pedidos.csv").status_code == 200
    refused = call(client, "package_patch", {"id": "estacionamento", "private": False}, token=steward, status=409)
    error = refused["error"]
    assert error["__type"] == "Validation Error" and error["private"][0].startswith("The publication gate refused")
    assert any("email" in line for line in error["gate"]) and error["gate_report"]["passed"] is False
    dataset = service.get_dataset(session, "estacionamento", include_unpublished=True)
    assert dataset.state == "draft"
    last = service.latest_version(session, dataset)
    assert last.change == "gate_refused" and last.gate_passed is False and last.gate_report == error["gate_report"]
    assert call(client, "package_show", {"id": "estacionamento"}, status=404)["success"] is False


def test_a_broken_file_is_refused_with_nothing_kept(client: TestClient, session: Session, settings: Settings) -> None:
    make_world(session)
    before = files_under(settings)
    ragged = b"a,b\n1,2\n3,4,5,6\n" + b"7,8\n" * 10
    response = upload(client, token(session), "estacionamento", ragged, filename="torto.csv")
    assert response.status_code == 409, response.text
    assert response.json()["error"]["__type"] == "Validation Error" and response.json()["error"]["upload"]
    assert files_under(settings) == before
    unknown = upload(client, token(session), "estacionamento", b"\x00\x01", filename="binario.exe")
    assert unknown.status_code == 409 and unknown.json()["error"]["format"]


def test_an_upload_over_the_limit_is_refused_before_it_is_read(client: TestClient, session: Session,
                                                               settings: Settings,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    make_world(session)
    raw = token(session)
    monkeypatch.setattr(settings, "opendata_upload_max_bytes", 1000)
    response = upload(client, raw, "estacionamento", READINGS * 100)  # the file, once the form is read
    assert response.status_code == 413
    assert response.json()["error"]["__type"] == "Validation Error" and response.json()["error"]["upload"]
    monkeypatch.setattr(ckan_api, "MULTIPART_OVERHEAD", 0)
    streamed = upload(client, raw, "estacionamento", READINGS * 1000)  # the stream, while it is read
    assert streamed.status_code == 413 and streamed.json()["success"] is False
    assert service.get_dataset(session, "estacionamento", include_unpublished=True).resources == []


def test_formats_are_searched_and_counted(client: TestClient, session: Session) -> None:
    make_world(session)
    assert upload(client, token(session), "qualidade-do-ar", READINGS).status_code == 200
    result = call(client, "package_search", {"fq": "res_format:csv", "facet.field": '["res_format"]'},
                  method="GET")["result"]
    assert [p["name"] for p in result["results"]] == ["qualidade-do-ar"]
    assert result["facets"]["res_format"] == {"CSV": 1}


def test_package_create_takes_linked_resources(client: TestClient, session: Session) -> None:
    make_world(session)
    links = [{"url": "https://example.org/orcamento-2026.pdf", "name": "Orçamento 2026"},
             {"url": "https://example.org/contas.html", "format": "text/html"}]
    pkg = call(client, "package_create", {"name": "orcamento", "title": "Orçamento municipal", "owner_org": "ambiente",
                                          "resources": links}, token=token(session))["result"]
    assert [(r["name"], r["format"], r["position"]) for r in pkg["resources"]] == [
        ("Orçamento 2026", "PDF", 0), ("contas.html", "HTML", 1)]
    bad = call(client, "package_create", {"name": "outro", "title": "Outro", "owner_org": "ambiente",
                                          "resources": [{"name": "sem ligação"}]}, token=token(session), status=409)
    assert bad["error"]["url"] and service.search(session, include_unpublished=True).count == 4  # all or nothing
