"""No input makes the CKAN API answer 5xx: junk in every parameter of every read action, by GET and POST,
always comes back in CKAN's envelope with a 4xx (or a 200 where CKAN too would shrug the junk off)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from praca.opendata import ckan_datastore
from praca.opendata.ckan_api import ACTIONS  # importing the router registers every action
from tests.opendata.test_ckan_world import make_world, token

READS = sorted(name for name, a in ACTIONS.items() if a.side_effect_free)
# Each action's own parameters get every junk value one by one; all of them at once cover the rest.
PARAMS = {
    "package_search": ["q", "fq", "fq_list", "rows", "start", "sort", "facet", "facet.field", "facet.limit", "fl",
                       "include_private", "include_drafts"],
    "package_show": ["id", "name"], "resource_show": ["id"], "package_list": ["limit", "offset"],
    "organization_list": ["sort", "limit", "offset", "all_fields", "q", "organizations"],
    "group_list": ["sort", "limit", "offset", "all_fields", "q", "groups"],
    "organization_show": ["id", "include_datasets"], "group_show": ["id", "include_datasets"],
    "tag_list": ["query", "q", "all_fields", "vocabulary_id"], "help_show": ["name"],
    "datastore_search": ["resource_id", "filters", "q", "fields", "sort", "limit", "offset", "include_total",
                         "distinct", "plain", "records_format"],
    "datastore_search_sql": ["sql"], "datastore_info": ["id", "resource_id"],
}
ALL = sorted({p for params in PARAMS.values() for p in params})
JUNK_JSON = [None, "", "\x00", "a\x00b", -1, 10**40, 1e308, float("-inf"), 3.5, True, {"a": [1, {"b": None}]},
             [1, [2]], ["\x00"], "💥" * 2000, "(((", "[* TO", '"', "name:", ":", "*", "\\"]
JUNK_QUERY = ["", "\x00", "-1", "1" * 60, "1e999", "nan", "{", "[", "null", "true", "%", "\\", "a:b:c", "(",
              "[x TO y]", '"', "+", "-", "OR", "NOT", "' OR 1=1 --"]


@pytest.mark.parametrize("name", READS)
def test_junk_by_post_never_breaks_a_read(client: TestClient, session: Session, name: str) -> None:
    make_world(session)
    for junk in JUNK_JSON:
        for data in [{param: junk} for param in PARAMS.get(name, [])] + [dict.fromkeys(ALL, junk)]:
            response = client.post(f"/api/3/action/{name}", content=json.dumps(data),  # -Infinity too
                                   headers={"Content-Type": "application/json"})
            assert response.status_code < 500, (name, data, response.text)
            body = response.json()
            assert isinstance(body["success"], bool) and body["help"].endswith(f"name={name}")


@pytest.mark.parametrize("name", READS)
def test_junk_by_get_never_breaks_a_read(client: TestClient, session: Session, name: str) -> None:
    make_world(session)
    for junk in JUNK_QUERY:
        for params in [{param: junk} for param in PARAMS.get(name, [])] + [dict.fromkeys(ALL, junk)]:
            response = client.get(f"/api/action/{name}", params=params)
            assert response.status_code < 500, (name, params, response.text)
            assert response.json()["success"] in (True, False)


@pytest.mark.parametrize("body", [b"", b"\x00", b"{", b"[]", b'"x"', b"null", b"1e999999", b'{"id": "\\u0000"}',
                                  b"\xff\xfe", b'{"a":' * 500 + b"1" + b"}" * 500])
def test_junk_bodies_are_bad_requests_not_errors(client: TestClient, body: bytes) -> None:
    response = client.post("/api/3/action/package_show", content=body, headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500
    assert response.json()["success"] is False


def test_junk_against_a_real_datastore_resource(client: TestClient, session: Session,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    make_world(session)
    monkeypatch.setattr(ckan_datastore, "SQL_TIMEOUT_S", 1.0)
    created = client.post("/api/action/resource_create", data={"package_id": "qualidade-do-ar"},
                          files={"upload": ("l.csv", b"a,b,c\n1,x,2026-01-01\n2,y,2026-01-02\n", "text/csv")},
                          headers={"Authorization": token(session)})
    rid = created.json()["result"]["id"]
    sqlish = ["SELECT", f'SELECT * FROM "{rid}" WHERE', f'SELECT "a" FROM "{rid}" ORDER BY 99',
              f'SELECT 1/0 FROM "{rid}"', f"SELECT * FROM \"{rid}\" UNION SELECT * FROM '{rid}'",
              "WITH RECURSIVE r AS (SELECT 1 UNION ALL SELECT 1 FROM r) SELECT * FROM r LIMIT 10",
              "SELECT length(repeat('x', 100000000))", "SELECT " + "(" * 5000 + "1" + ")" * 5000]
    for junk in [*JUNK_JSON, *sqlish, {"a": "1"}, {"a": ["1", None]}, {"b": {"gt": 1}}, ["a desc", 7]]:
        for name, data in [("datastore_search", {param: junk, "resource_id": rid})
                           for param in PARAMS["datastore_search"] if param != "resource_id"] + [
                ("datastore_search_sql", {"sql": junk}), ("datastore_info", {"id": junk})]:
            response = client.post(f"/api/3/action/{name}", content=json.dumps(data),
                                   headers={"Content-Type": "application/json"})
            assert response.status_code < 500, (name, data, response.text)
            assert response.json()["success"] in (True, False)
