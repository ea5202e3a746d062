"""package_search as CKAN's clients and harvesters call it: q, fq in Solr's syntax, sort, paging, facets."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from praca.core.db import utcnow
from tests.opendata.test_ckan_world import call, make_world, token


def names(client: TestClient, **params) -> list[str]:
    result = call(client, "package_search", {"sort": "name asc", **params}, method="GET")["result"]
    return [p["name"] for p in result["results"]]


def test_the_result_has_ckans_keys_and_pages(client: TestClient, session: Session) -> None:
    make_world(session)
    result = call(client, "package_search", {"rows": 1, "start": 1, "sort": "name asc"})["result"]
    assert set(result) == {"count", "results", "facets", "search_facets", "sort"}
    assert result["count"] == 2 and [p["name"] for p in result["results"]] == ["qualidade-do-ar"]
    assert result["sort"] == "name asc"
    assert result["facets"] == {} and result["search_facets"] == {}  # no facet.field, no facets
    default = call(client, "package_search")["result"]
    assert default["sort"] == "score desc, metadata_modified desc" and default["count"] == 2
    assert call(client, "package_search", {"rows": 0})["result"]["results"] == []
    assert call(client, "package_search", {"rows": 10**9})["result"]["count"] == 2  # capped at 1000, not refused


@pytest.mark.parametrize(("params", "expected"), [
    ({"q": "residuos"}, ["contentores"]),  # accents and case forgiven
    ({"q": "Air quality"}, ["qualidade-do-ar"]),
    ({"q": "*:*"}, ["contentores", "qualidade-do-ar"]),
    ({"q": "tags:lixo"}, ["contentores"]),
    ({"q": "name:qualidade-do-ar OR name:contentores"}, ["contentores", "qualidade-do-ar"]),
    ({"fq": "organization:ambiente"}, ["contentores", "qualidade-do-ar"]),
    ({"fq": "+groups:regi"}, ["contentores"]),
    ({"fq": "tags:\"poluição\""}, ["qualidade-do-ar"]),
    ({"fq": "license_id:CC0-1.0"}, ["contentores"]),
    ({"fq": "-license_id:CC0-1.0"}, ["qualidade-do-ar"]),
    ({"fq": "groups:envi tags:lixo"}, ["contentores"]),  # side by side: both must hold
    ({"fq": "groups:(regi OR tran)"}, ["contentores"]),
    ({"fq": "organization:mobilidade OR organization:ambiente"}, ["contentores", "qualidade-do-ar"]),
    ({"fq": "+dataset_type:dataset +capacity:public"}, ["contentores", "qualidade-do-ar"]),
    ({"fq": "NOT tags:lixo"}, ["qualidade-do-ar"]),
    ({"fq": "(tags:lixo AND groups:envi) OR tags:ar"}, ["contentores", "qualidade-do-ar"]),
    ({"fq": "name:qual*"}, ["qualidade-do-ar"]),
    ({"fq": "organization:mobilidade"}, []),  # its dataset is a draft
    ({"fq_list": json.dumps(["groups:envi", "tags:ar"])}, ["qualidade-do-ar"]),
])
def test_q_and_fq_in_solrs_syntax(client: TestClient, session: Session, params: dict, expected: list[str]) -> None:
    make_world(session)
    assert names(client, **params) == expected


def test_owner_org_and_id_filters_take_ckans_ids(client: TestClient, session: Session) -> None:
    world = make_world(session)
    assert names(client, fq=f'owner_org:"{world.air.organization.public_id}"') == ["contentores", "qualidade-do-ar"]
    assert names(client, fq=f"id:{world.bins.public_id}") == ["contentores"]


def test_a_harvester_asks_for_what_changed_since_its_last_run(client: TestClient, session: Session) -> None:
    """ckanext-harvest's CKAN harvester: fq metadata_modified:[<since>Z TO *], sort id asc, pages of 100."""
    world = make_world(session)
    world.air.modified_at = utcnow() - timedelta(days=3)
    session.commit()
    since = (utcnow() - timedelta(days=1)).replace(tzinfo=None).isoformat()
    result = call(client, "package_search", {"fq": f"metadata_modified:[{since}Z TO *]", "rows": 100, "start": 0,
                                             "sort": "id asc"}, method="GET")["result"]
    assert [p["name"] for p in result["results"]] == ["contentores"]
    assert names(client, fq="metadata_modified:[* TO NOW-2DAYS]") == ["qualidade-do-ar"]
    everything = call(client, "package_search", {"sort": "id asc", "rows": 100})["result"]["results"]
    assert [p["id"] for p in everything] == sorted(p["id"] for p in everything)


def test_sorts(client: TestClient, session: Session) -> None:
    world = make_world(session)
    world.bins.modified_at = utcnow() + timedelta(seconds=5)
    session.commit()
    assert names(client, sort="metadata_modified desc, name asc") == ["contentores", "qualidade-do-ar"]
    assert names(client, sort="metadata_modified asc") == ["qualidade-do-ar", "contentores"]
    assert names(client, sort="title_string asc") == ["contentores", "qualidade-do-ar"]
    assert names(client, sort="name desc") == ["qualidade-do-ar", "contentores"]
    # relevance: "ar" is in the air dataset's title and keywords, and only inside a word ("are") of the bins'
    ranked = call(client, "package_search", {"q": "ar", "sort": "score desc, name asc"})["result"]["results"]
    assert [p["name"] for p in ranked] == ["qualidade-do-ar", "contentores"]
    bad = call(client, "package_search", {"sort": "popularity desc"}, status=400)
    assert bad["error"]["__type"] == "Search Query Error"
    assert bad["error"]["message"].startswith("Search Query is invalid: ")


def test_facets_are_ckans_facets_and_search_facets(client: TestClient, session: Session) -> None:
    make_world(session)
    result = call(client, "package_search", {
        "facet.field": json.dumps(["organization", "groups", "tags", "license_id"]), "rows": 0}, method="GET")["result"]
    assert result["facets"]["groups"] == {"envi": 2, "regi": 1}
    assert result["facets"]["organization"] == {"ambiente": 2}
    assert result["search_facets"]["organization"] == {
        "title": "organization",
        "items": [{"name": "ambiente", "display_name": "Direção Municipal do Ambiente", "count": 2}]}
    groups = result["search_facets"]["groups"]["items"]
    # CKAN sorts the items by display name, last first
    assert groups == [{"name": "regi", "display_name": "Regiões e cidades", "count": 1},
                      {"name": "envi", "display_name": "Ambiente", "count": 2}]
    licences = {i["name"]: i["display_name"] for i in result["search_facets"]["license_id"]["items"]}
    assert licences == {"CC-BY-4.0": "Creative Commons Attribution 4.0", "CC0-1.0": "Creative Commons CCZero"}
    top = call(client, "package_search", {"facet.field": ["groups"], "facet.limit": 1})["result"]
    assert top["facets"] == {"groups": {"envi": 2}}
    filtered = call(client, "package_search", {"facet.field": ["tags"], "fq": "tags:lixo"})["result"]
    assert filtered["facets"]["tags"] == {"lixo": 1, "resíduos": 1}
    bad = call(client, "package_search", {"facet.field": ["extras_colour"]}, status=409)
    assert bad["error"]["__type"] == "Search Error"


def test_private_datasets_only_for_stewards_who_ask(client: TestClient, session: Session) -> None:
    make_world(session)
    steward = token(session, "steward")
    viewer = token(session, "viewer")
    assert names(client, include_private=True) == ["contentores", "qualidade-do-ar"]  # anonymous: ignored
    result = call(client, "package_search", {"include_private": True, "sort": "name asc"}, token=steward)["result"]
    assert [(p["name"], p["private"], p["state"]) for p in result["results"]] == [
        ("contentores", False, "active"), ("estacionamento", True, "draft"), ("qualidade-do-ar", False, "active")]
    assert call(client, "package_search", {"include_private": True}, token=viewer)["result"]["count"] == 2
    assert call(client, "package_search", token=steward)["result"]["count"] == 2  # only when asked


@pytest.mark.parametrize(("fq", "status", "kind"), [
    ("colour:red", 409, "Search Error"),
    ("groups:(envi", 409, "Search Error"),
    ("metadata_modified:[yesterday TO *]", 409, "Search Error"),
    ("tags:[a TO b]", 409, "Search Error"),
    ('tags:"unterminated', 409, "Search Error"),
])
def test_queries_solr_would_refuse_are_refused(client: TestClient, session: Session, fq: str, status: int,
                                               kind: str) -> None:
    make_world(session)
    body = call(client, "package_search", {"fq": fq}, status=status)
    assert body["success"] is False and body["error"]["__type"] == kind


def test_fl_returns_only_the_asked_fields(client: TestClient, session: Session) -> None:
    make_world(session)
    result = call(client, "package_search", {"fl": "id,name", "sort": "name asc"})["result"]
    assert [set(p) for p in result["results"]] == [{"id", "name"}, {"id", "name"}]
