"""The CKAN Action API's reads, field by field against CKAN 2.10's documented responses, by GET and POST at
both prefixes; its envelope and error forms."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.opendata.test_ckan_world import HELP, call, make_world

NAIVE_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$")  # CKAN's timestamps: UTC, no offset

# The keys of CKAN 2.10's package_show (ckan/lib/dictization/model_dictize.py: package_dictize).
PACKAGE_KEYS = {"author", "author_email", "creator_user_id", "extras", "groups", "id", "isopen", "license_id",
                "license_title", "license_url", "maintainer", "maintainer_email", "metadata_created",
                "metadata_modified", "name", "notes", "num_resources", "num_tags", "organization", "owner_org",
                "private", "relationships_as_object", "relationships_as_subject", "resources", "state", "tags",
                "title", "type", "url", "version"}


def test_package_show_is_ckans_package_dict(client: TestClient, session: Session) -> None:
    world = make_world(session)
    air = world.air
    body = call(client, "package_show", {"id": "qualidade-do-ar"})
    assert body["help"] == HELP + "package_show" and body["success"] is True
    pkg = body["result"]
    assert set(pkg) == PACKAGE_KEYS
    org = air.organization
    expected = {
        "id": air.public_id, "name": "qualidade-do-ar", "title": "Qualidade do ar",
        "notes": "Medições horárias das estações da cidade.", "type": "dataset", "state": "active",
        "private": False, "url": "", "version": "1", "author": "Equipa de dados abertos",
        "author_email": "dados@cm-porto.example", "maintainer": "Equipa de dados abertos",
        "maintainer_email": "dados@cm-porto.example", "license_id": "CC-BY-4.0",
        "license_title": "Creative Commons Attribution 4.0", "license_url": "https://creativecommons.org/licenses/by/4.0/",
        "isopen": True, "owner_org": org.public_id, "creator_user_id": None, "resources": [], "num_resources": 0,
        "num_tags": 2, "relationships_as_subject": [], "relationships_as_object": [],
        "organization": {"id": org.public_id, "name": "ambiente", "title": "Direção Municipal do Ambiente",
                         "type": "organization", "description": "", "image_url": "",
                         "created": pkg["organization"]["created"], "is_organization": True,
                         "approval_status": "approved", "state": "active"},
    }
    assert {k: pkg[k] for k in expected} == expected
    assert NAIVE_ISO.match(pkg["metadata_created"]) and NAIVE_ISO.match(pkg["metadata_modified"])
    assert NAIVE_ISO.match(pkg["organization"]["created"])
    assert pkg["metadata_modified"] == air.modified_at.replace(tzinfo=None).isoformat()
    assert pkg["tags"] == [
        {"id": pkg["tags"][0]["id"], "name": "ar", "display_name": "ar", "state": "active", "vocabulary_id": None},
        {"id": pkg["tags"][1]["id"], "name": "poluição", "display_name": "poluição", "state": "active",
         "vocabulary_id": None}]
    assert pkg["groups"] == [{"id": pkg["groups"][0]["id"], "name": "envi", "title": "Ambiente",
                              "display_name": "Ambiente", "description": "Environment", "image_display_url": ""}]
    extras = {e["key"]: e["value"] for e in pkg["extras"]}
    assert [e["key"] for e in pkg["extras"]] == sorted(extras)  # CKAN sorts extras by key
    assert all(set(e) == {"key", "value"} and isinstance(e["value"], str) for e in pkg["extras"])
    assert extras["title_en"] == "Air quality" and extras["notes_en"] == "Hourly readings of the city's stations."
    assert extras["temporal_start"] == "2026-01-01" and "temporal_end" not in extras
    assert extras["spatial_text"] == "Porto"
    assert '"type": "Polygon"' in extras["spatial"] and "[-8.69, 41.13]" in extras["spatial"]
    assert extras["frequency"] == "http://publications.europa.eu/resource/authority/frequency/HOURLY"
    assert extras["theme"] == '["http://publications.europa.eu/resource/authority/data-theme/ENVI"]'
    assert extras["contact_email"] == "dados@cm-porto.example" and extras["k_threshold"] == "10"
    assert NAIVE_ISO.match(extras["issued"])


@pytest.mark.parametrize("prefix", ["/api/3/action", "/api/action"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_every_read_answers_at_both_prefixes_by_get_and_post(client: TestClient, session: Session, prefix: str,
                                                            method: str) -> None:
    world = make_world(session)
    for name, data in [("package_show", {"id": world.bins.public_id}), ("package_list", {}),
                       ("package_search", {"q": "contentores"}), ("organization_show", {"id": "ambiente"}),
                       ("group_show", {"id": "regi"}), ("status_show", {}), ("license_list", {}),
                       ("tag_list", {}), ("organization_list", {}), ("group_list", {})]:
        body = call(client, name, data, method=method, prefix=prefix)
        assert body["success"] is True and body["help"] == HELP + name, name
    assert call(client, "package_show", {"id": "contentores"}, method=method, prefix=prefix)["result"]["name"] == (
        "contentores")


def test_drafts_are_unknown_to_anonymous_callers(client: TestClient, session: Session) -> None:
    make_world(session)
    assert call(client, "package_list")["result"] == ["contentores", "qualidade-do-ar"]
    body = call(client, "package_show", {"id": "estacionamento"}, status=404)
    assert body == {"help": HELP + "package_show", "success": False,
                    "error": {"__type": "Not Found Error", "message": "Not found: No dataset 'estacionamento'."}}
    assert call(client, "package_list", {"limit": 1, "offset": 1}, method="GET")["result"] == ["qualidade-do-ar"]


def test_status_show_reports_a_ckan_2_10_site(client: TestClient) -> None:
    result = call(client, "status_show", method="GET")["result"]
    assert re.fullmatch(r"2\.10\.\d+", result["ckan_version"])
    assert result["site_url"] == "http://127.0.0.1:8000" and result["site_title"]
    assert {"datastore", "dcat"} <= set(result["extensions"])
    assert result["locale_default"] == "pt_PT"


def test_organizations_as_ckan_lists_and_shows_them(client: TestClient, session: Session) -> None:
    world = make_world(session)
    # By title: "Direção Municipal da Mobilidade" before "… do Ambiente".
    assert call(client, "organization_list")["result"] == ["mobilidade", "ambiente"]
    assert call(client, "organization_list", {"sort": "package_count"})["result"] == ["ambiente", "mobilidade"]
    assert call(client, "organization_list", {"sort": "name desc", "limit": 1})["result"] == ["mobilidade"]
    [short] = call(client, "organization_list", {"all_fields": True, "organizations": ["mobilidade"]})["result"]
    assert set(short) == {"id", "name", "title", "type", "description", "image_url", "image_display_url",
                          "created", "is_organization", "approval_status", "state", "display_name",
                          "package_count", "num_followers"}
    assert short["package_count"] == 0  # its only dataset is a draft
    org = call(client, "organization_show", {"id": world.air.organization.public_id, "include_datasets": "true"})
    result = org["result"]
    assert result["name"] == "ambiente" and result["display_name"] == "Direção Municipal do Ambiente"
    assert result["is_organization"] is True and result["type"] == "organization" and result["package_count"] == 2
    assert {e["key"]: e["value"] for e in result["extras"]} == {
        "title_en": "Municipal Directorate of the Environment", "kind": "department",
        "email": "ambiente@cm-porto.example"}
    assert result["users"] == [] and result["tags"] == [] and result["num_followers"] == 0
    assert sorted(p["name"] for p in result["packages"]) == ["contentores", "qualidade-do-ar"]
    assert call(client, "organization_show", {"id": "nenhuma"}, status=404)["error"]["__type"] == "Not Found Error"


def test_the_eu_data_themes_are_ckans_groups(client: TestClient, session: Session) -> None:
    make_world(session)
    names = call(client, "group_list", {"sort": "name"})["result"]
    assert names[:3] == ["agri", "econ", "educ"] and len(names) == 13
    counted = call(client, "group_list", {"sort": "package_count desc", "limit": 2, "all_fields": True})["result"]
    assert [(g["name"], g["package_count"]) for g in counted] == [("envi", 2), ("regi", 1)]
    group = call(client, "group_show", {"id": "envi", "include_datasets": True}, method="GET")["result"]
    assert group["title"] == "Ambiente" and group["is_organization"] is False and group["type"] == "group"
    assert {e["key"]: e["value"] for e in group["extras"]}["uri"] == (
        "http://publications.europa.eu/resource/authority/data-theme/ENVI")
    assert sorted(p["name"] for p in group["packages"]) == ["contentores", "qualidade-do-ar"]
    by_id = call(client, "group_show", {"id": group["id"]})["result"]
    assert by_id["name"] == "envi"
    assert call(client, "group_show", {"id": "weather"}, status=404)["success"] is False


def test_tags_and_licences(client: TestClient, session: Session) -> None:
    make_world(session)
    assert call(client, "tag_list")["result"] == ["ar", "lixo", "poluição", "resíduos"]  # drafts' tags are not
    assert call(client, "tag_list", {"query": "RES"})["result"] == ["resíduos"]
    [tag] = call(client, "tag_list", {"query": "lixo", "all_fields": "true"}, method="GET")["result"]
    assert set(tag) == {"id", "name", "display_name", "state", "vocabulary_id"}
    licences = {lic["id"]: lic for lic in call(client, "license_list")["result"]}
    assert set(licences) == {"CC-BY-4.0", "CC-BY-SA-4.0", "CC0-1.0", "ODbL-1.0"}
    assert set(licences["CC0-1.0"]) == {"id", "title", "url", "od_conformance", "osd_conformance", "status",
                                        "family", "maintainer", "domain_content", "domain_data",
                                        "domain_software", "is_generic"}
    assert licences["CC0-1.0"]["od_conformance"] == "approved"


def test_help_show_returns_the_actions_documentation(client: TestClient) -> None:
    body = call(client, "help_show", {"name": "package_search"}, method="GET")
    assert "fq" in body["result"] and "facet.field" in body["result"]
    assert call(client, "help_show", {"name": "nothing"}, status=404)["error"]["message"] == (
        "Not found: Action function not found")


def test_error_forms(client: TestClient) -> None:
    unknown = call(client, "package_frobnicate", status=400)
    assert unknown == {"help": HELP + "package_frobnicate", "success": False,
                       "error": {"__type": "Bad request",
                                 "message": "Bad request - Action name not known: package_frobnicate"}}
    by_get = call(client, "package_create", {"name": "x"}, method="GET", status=400)
    assert by_get["error"]["message"] == (
        "Bad request - JSON Error: Invalid request. Please use POST method for your request")
    bad_json = client.post("/api/3/action/package_show", content=b"{not json",
                           headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 400 and bad_json.json()["error"]["message"].startswith(
        "Bad request - JSON Error: Error decoding JSON data")
    not_a_dict = client.post("/api/action/package_show", json=[1, 2])
    assert not_a_dict.status_code == 400 and "needs to be a dictionary" in not_a_dict.json()["error"]["message"]
    missing = call(client, "package_show", {}, status=409)
    assert missing["error"] == {"__type": "Validation Error", "id": ["Missing value"]}
    rows = call(client, "package_search", {"rows": "many"}, method="GET", status=409)
    assert rows["error"] == {"__type": "Validation Error", "rows": ["Invalid integer"]}


def test_form_encoded_posts_are_read_as_ckan_reads_them(client: TestClient, session: Session) -> None:
    world = make_world(session)
    form = client.post("/api/3/action/package_show", data={"id": "contentores"})
    assert form.status_code == 200 and form.json()["result"]["id"] == world.bins.public_id
    # CKAN's oldest clients send the JSON as the form's only key.
    legacy = client.post("/api/3/action/package_show", content=b'{"id": "contentores"}=1',
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert legacy.status_code == 200, legacy.text


def test_a_post_without_body_reads_the_query_and_a_bad_token_is_refused(client: TestClient, session: Session
                                                                         ) -> None:
    make_world(session)
    posted = client.post("/api/3/action/package_show?id=contentores")
    assert posted.status_code == 200 and posted.json()["result"]["name"] == "contentores"
    refused = client.get("/api/3/action/package_list", headers={"Authorization": "praca_revoked-or-made-up"})
    assert refused.status_code == 403
    assert refused.json()["error"] == {"__type": "Authorization Error",
                                       "message": "Access denied: The API token is invalid or revoked."}


def test_a_body_over_the_limit_is_refused_in_ckans_form(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from praca.opendata import ckan_api

    monkeypatch.setattr(ckan_api, "MAX_BODY_BYTES", 100)
    response = client.post("/api/3/action/package_search", json={"q": "x" * 200})
    assert response.status_code == 413
    assert response.json()["error"] == {"__type": "Validation Error",
                                        "message": "The request body is larger than 100 bytes."}
