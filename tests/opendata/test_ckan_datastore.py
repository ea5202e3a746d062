"""The DataStore through CKAN's actions: datastore_search field by field (CKAN's documented result), its
errors in CKAN's form, datastore_search_sql and its sandbox, datastore_info, and the dump downloads."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from praca.opendata import ckan_datastore
from praca.settings import Settings
from tests.opendata.test_ckan_world import call, make_world, token

READINGS = ("estacao,hora,no2,valido\n" + "\n".join(
    f"{station},2026-01-0{day}T10:00:00,{no2},{'true' if no2 < 40 else 'false'}"
    for day, (station, no2) in enumerate([("Boavista", 31.5), ("Campanhã", 28.0), ("Boavista", 44.25),
                                          ("Sobreiras", 12.0), ("Campanhã", 39.0)], start=1)) + "\n").encode()


def add_readings(client: TestClient, session: Session, package: str = "qualidade-do-ar") -> str:
    response = client.post("/api/action/resource_create", data={"package_id": package, "name": "Leituras"},
                           files={"upload": ("leituras.csv", READINGS, "text/csv")},
                           headers={"Authorization": token(session)})
    assert response.status_code == 200, response.text
    return response.json()["result"]["id"]


def search(client: TestClient, status: int = 200, method: str = "POST", **data) -> dict:
    return call(client, "datastore_search", data, method=method, status=status)


def test_datastore_search_is_ckans_result(client: TestClient, session: Session) -> None:
    make_world(session)
    rid = add_readings(client, session)
    body = search(client, resource_id=rid)
    assert body["success"] is True
    result = body["result"]
    assert {"resource_id", "fields", "records", "total", "limit", "offset", "_links", "records_format",
            "include_total", "total_was_estimated"} <= set(result)
    assert result["resource_id"] == rid and result["total"] == 5 and result["limit"] == 100
    assert result["total_was_estimated"] is False and result["records_format"] == "objects"
    assert result["fields"] == [{"id": "_id", "type": "int"}, {"id": "estacao", "type": "text"},
                                {"id": "hora", "type": "timestamp"}, {"id": "no2", "type": "numeric"},
                                {"id": "valido", "type": "bool"}]
    assert result["records"][0] == {"_id": 1, "estacao": "Boavista", "hora": "2026-01-01T10:00:00", "no2": 31.5,
                                    "valido": True}
    assert result["_links"]["start"].startswith("/api/3/action/datastore_search?resource_id=")
    assert "offset=100" in result["_links"]["next"]


def test_filters_q_fields_sort_and_paging(client: TestClient, session: Session) -> None:
    make_world(session)
    rid = add_readings(client, session)
    boavista = search(client, resource_id=rid, filters={"estacao": "Boavista"})["result"]
    assert boavista["total"] == 2 and {r["_id"] for r in boavista["records"]} == {1, 3}
    as_text = search(client, method="GET", resource_id=rid, filters=json.dumps({"estacao": ["Boavista", "Sobreiras"]}))
    assert as_text["result"]["total"] == 3
    assert search(client, resource_id=rid, q="campanha")["result"]["total"] == 2  # accents forgiven
    picked = search(client, resource_id=rid, fields="estacao,no2", sort="no2 desc", limit=2, offset=1)["result"]
    assert [f["id"] for f in picked["fields"]] == ["estacao", "no2"]
    assert picked["records"] == [{"estacao": "Campanhã", "no2": 39.0}, {"estacao": "Boavista", "no2": 31.5}]
    assert search(client, resource_id=rid, fields=["no2"], sort=["no2 asc"], limit=1)["result"]["records"] == [
        {"no2": 12.0}]
    no_total = search(client, resource_id=rid, include_total="false", limit=1)["result"]
    assert "total" not in no_total and len(no_total["records"]) == 1
    lists = search(client, resource_id=rid, fields="estacao,no2", records_format="lists", limit=2)["result"]
    assert lists["records"] == [["Boavista", 31.5], ["Campanhã", 28.0]] and lists["records_format"] == "lists"
    as_csv = search(client, resource_id=rid, fields="estacao,no2", records_format="csv", limit=2)["result"]
    assert list(csv.reader(io.StringIO(as_csv["records"]))) == [["Boavista", "31.5"], ["Campanhã", "28.0"]]
    assert search(client, resource_id=rid, distinct=True, plain=False)["result"]["total"] == 5  # accepted


@pytest.mark.parametrize(("data", "field"), [
    ({"filters": "{not json"}, "filters"),
    ({"filters": "[1, 2]"}, "filters"),
    ({"filters": {"colour": "red"}}, "filters"),
    ({"sort": "colour desc"}, "sort"),
    ({"fields": "estacao,colour"}, "fields"),
    ({"limit": "lots"}, "limit"),
    ({"offset": -1}, "offset"),
    ({"records_format": "xml"}, "records_format"),
])
def test_bad_parameters_are_ckans_validation_errors(client: TestClient, session: Session, data: dict,
                                                    field: str) -> None:
    make_world(session)
    rid = add_readings(client, session)
    error = search(client, status=409, resource_id=rid, **data)["error"]
    assert error["__type"] == "Validation Error" and field in error, error


def test_unknown_and_unpublished_resources_are_not_found(client: TestClient, session: Session) -> None:
    make_world(session)
    draft_rid = add_readings(client, session, package="estacionamento")
    for rid in ("nope", draft_rid):
        error = search(client, status=404, resource_id=rid)["error"]
        assert error == {"__type": "Not Found Error", "message": f'Not found: Resource "{rid}" was not found.'}
    assert call(client, "datastore_search", {"resource_id": draft_rid}, token=token(session))["result"]["total"] == 5
    assert search(client, status=409)["error"] == {"__type": "Validation Error", "resource_id": ["Missing value"]}
    assert client.get(f"/datastore/dump/{draft_rid}").status_code == 404


def test_datastore_search_sql_reads_public_resources_only(client: TestClient, session: Session) -> None:
    make_world(session)
    rid = add_readings(client, session)
    draft_rid = add_readings(client, session, package="estacionamento")
    sql = f'SELECT estacao, max(no2) AS pior FROM "{rid}" GROUP BY estacao ORDER BY pior DESC'
    result = call(client, "datastore_search_sql", {"sql": sql}, method="GET")["result"]
    assert result["records"][0] == {"estacao": "Boavista", "pior": 44.25}
    assert [f["id"] for f in result["fields"]] == ["estacao", "pior"]
    steward = token(session)
    hidden = call(client, "datastore_search_sql", {"sql": f'SELECT * FROM "{draft_rid}"'}, token=steward, status=409)
    assert hidden["error"]["__type"] == "Validation Error" and "sql" in hidden["error"]


ESCAPES = [
    'INSERT INTO "{rid}" VALUES (1)',
    'DELETE FROM "{rid}"',
    'DROP VIEW "{rid}"',
    'CREATE TABLE x AS SELECT * FROM "{rid}"',
    "COPY (SELECT 1) TO '/tmp/praca-escape.csv'",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM '/etc/passwd'",
    "ATTACH '/tmp/praca-escape.db' AS x",
    "INSTALL httpfs",
    "SET enable_external_access = true",
    "PRAGMA database_list",
    "SELECT * FROM duckdb_settings()",
    "SELECT getenv('HOME')",
    'SELECT 1; DROP VIEW "{rid}"',
    "SELECT * FROM opendata_dataset",
    "SELECT * FROM information_schema.tables",
]


def test_the_sql_sandbox_refuses_writes_files_and_other_tables(client: TestClient, session: Session) -> None:
    make_world(session)
    rid = add_readings(client, session)
    for sql in ESCAPES:
        body = call(client, "datastore_search_sql", {"sql": sql.format(rid=rid)}, status=409)
        assert body["success"] is False and body["error"]["__type"] == "Validation Error", sql
        assert body["error"]["sql"], sql
    assert search(client, resource_id=rid)["result"]["total"] == 5  # the data is untouched
    assert not Path("/tmp/praca-escape.csv").exists() and not Path("/tmp/praca-escape.db").exists()


def test_a_query_that_runs_forever_is_stopped(client: TestClient, session: Session,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    make_world(session)
    rid = add_readings(client, session)
    monkeypatch.setattr(ckan_datastore, "SQL_TIMEOUT_S", 0.5)
    sql = "SELECT count(*) FROM range(1000000000000) a, range(1000000) b"
    body = call(client, "datastore_search_sql", {"sql": sql}, status=409)
    assert body["error"]["__type"] == "Validation Error" and "longer than 0.5 s" in body["error"]["sql"][0]
    assert search(client, resource_id=rid)["result"]["total"] == 5  # the server answers after it


def test_datastore_info(client: TestClient, session: Session) -> None:
    make_world(session)
    rid = add_readings(client, session)
    info = call(client, "datastore_info", {"id": rid}, method="GET")["result"]
    assert info["meta"]["id"] == rid and info["meta"]["count"] == 5 and info["meta"]["table_type"] == "BASE TABLE"
    assert info["meta"]["size"] > 0
    assert [(f["id"], f["type"], f["schema"]["native_type"]) for f in info["fields"]] == [
        ("estacao", "text", "text"), ("hora", "timestamp", "timestamp"), ("no2", "numeric", "numeric"),
        ("valido", "bool", "bool")]


def test_dumps_in_csv_json_and_parquet(client: TestClient, session: Session, settings: Settings, tmp_path) -> None:
    make_world(session)
    rid = add_readings(client, session)
    as_csv = client.get(f"/datastore/dump/{rid}")
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.headers["content-disposition"] == f'attachment; filename="{rid}.csv"'
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert len(rows) == 5 and rows[1]["estacao"] == "Campanhã" and rows[0]["_id"] == "1"
    as_json = client.get(f"/datastore/dump/{rid}", params={"format": "json"}).json()
    assert as_json["fields"][0] == {"id": "_id", "type": "int"} and len(as_json["records"]) == 5
    as_parquet = client.get(f"/datastore/dump/{rid}?format=parquet")
    assert as_parquet.headers["content-disposition"] == f'attachment; filename="{rid}.parquet"'
    (tmp_path / "dump.parquet").write_bytes(as_parquet.content)
    assert pq.read_table(tmp_path / "dump.parquet").num_rows == 5
    assert client.get(f"/datastore/dump/{rid}?format=xml").status_code == 422
    assert client.get("/datastore/dump/nope").status_code == 404
    incoming = settings.data_dir / "opendata" / "incoming"
    assert incoming.exists()
    assert not incoming.exists() or not any(incoming.iterdir())  # dumps leave no file behind
