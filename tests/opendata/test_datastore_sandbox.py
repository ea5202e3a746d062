"""datastore_search_sql: what a SELECT over resources may do, and every way out refused with a clear error."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from praca.opendata.datastore import DatastoreError, search_sql
from praca.opendata.tabular import to_parquet

PARKS = "a1b2c3d4-0000-4000-8000-000000000001"
PRICES = "a1b2c3d4-0000-4000-8000-000000000002"
HIDDEN = "a1b2c3d4-0000-4000-8000-000000000003"  # a real file the resolver does not give out


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sandbox")
    sources = {
        PARKS: "nome,freguesia,lugares\nCâmara,Cedofeita,120\nTrindade,Cedofeita,300\nBolhão,Bonfim,\n",
        PRICES: "freguesia,preco\nCedofeita,1.5\nBonfim,1.2\n",
        HIDDEN: "segredo\nnão devias ver isto\n",
    }
    out = {}
    for rid, text in sources.items():
        (folder / f"{rid}.csv").write_text(text)
        out[rid] = to_parquet(folder / f"{rid}.csv", "csv", folder / f"{rid}.parquet").path
    return out


@pytest.fixture
def resolve(files):
    asked: list[str] = []

    def resolve(name: str) -> Path | None:
        asked.append(name)
        return files[name] if name in (PARKS, PRICES) else None

    resolve.asked = asked  # type: ignore[attr-defined]
    return resolve


def refused(sql: str, resolve, words: str, **kw) -> DatastoreError:
    with pytest.raises(DatastoreError) as err:
        search_sql(sql, resolve, **kw)
    assert words in err.value.message, err.value.message
    assert err.value.status == 422 and err.value.details["field"] == "sql"
    return err.value


# --- what works -------------------------------------------------------------------------------------------

def test_select_with_where_group_and_order(resolve):
    result = search_sql(f'SELECT freguesia, count(*) AS n, sum(lugares) AS lugares FROM "{PARKS}" '
                        "GROUP BY freguesia ORDER BY n DESC", resolve)
    assert result["fields"] == [{"id": "freguesia", "type": "text"}, {"id": "n", "type": "int"},
                                {"id": "lugares", "type": "int"}]
    assert result["records"] == [{"freguesia": "Cedofeita", "n": 2, "lugares": 420},
                                 {"freguesia": "Bonfim", "n": 1, "lugares": None}]
    assert result["sql"].startswith("SELECT freguesia") and "records_truncated" not in result
    assert resolve.asked == [PARKS]


def test_join_of_two_resources_cte_and_id_column(resolve):
    sql = (f'WITH p AS (SELECT * FROM "{PARKS}" WHERE lugares IS NOT NULL) '
           f'SELECT p._id, p.nome, c.preco FROM p JOIN "{PRICES}" c USING (freguesia) ORDER BY p._id;')
    assert search_sql(sql, resolve)["records"] == [{"_id": 1, "nome": "Câmara", "preco": 1.5},
                                                   {"_id": 2, "nome": "Trindade", "preco": 1.5}]


def test_hidden_search_column_is_not_a_column(resolve):
    refused(f'SELECT _search FROM "{PARKS}"', resolve, "_search")


def test_values_come_back_as_json(resolve):
    sql = ("SELECT DATE '2024-01-02' AS d, TIMESTAMP '2024-01-02 10:30' AS ts, "
           "TIMESTAMPTZ '2024-01-02 10:30+01' AS tz, 1.50::DECIMAL(6, 2) AS dec, 'NaN'::DOUBLE AS nan, "
           "INTERVAL 36 HOUR AS i, [1, 2] AS l, {'a': 1} AS s, 'ab'::BLOB AS b, true AS t")
    record = search_sql(sql, resolve)["records"][0]
    assert record == {"d": "2024-01-02", "ts": "2024-01-02T10:30:00", "tz": "2024-01-02T09:30:00", "dec": 1.5,
                      "nan": None, "i": "P0M0DT129600S", "l": [1, 2], "s": {"a": 1}, "b": "6162", "t": True}


def test_table_functions_range_and_unnest_allowed(resolve):
    result = search_sql("SELECT sum(range) AS s FROM range(10), unnest([1]) AS u(x)", resolve)
    assert result["records"] == [{"s": 45}]


# --- writes and other statements ---------------------------------------------------------------------

@pytest.mark.parametrize("sql", [
    f'INSERT INTO "{PARKS}" VALUES (\'x\', \'y\', 1)',
    f'UPDATE "{PARKS}" SET lugares = 0',
    f'DELETE FROM "{PARKS}"',
    f'DROP VIEW "{PARKS}"',
    "CREATE TABLE t AS SELECT 1",
    "CREATE MACRO m(x) AS x",
    "ATTACH '/tmp/praca-sandbox.duckdb' AS other",
    "INSTALL fts",
    "LOAD fts",
    "PRAGMA version",
    "SET enable_external_access = true",
    "RESET lock_configuration",
    "EXPORT DATABASE '/tmp/praca-sandbox-export'",
    "CALL pragma_version()",
    f'DESCRIBE "{PARKS}"',
    "SHOW TABLES",
])
def test_statements_other_than_select_refused(resolve, sql):
    refused(sql, resolve, "Only one SELECT statement is allowed")
    assert resolve.asked == []


def test_copy_to_a_file_refused(resolve, tmp_path):
    target = tmp_path / "leak.csv"
    refused(f"COPY (SELECT * FROM \"{PARKS}\") TO '{target}'", resolve, "Only one SELECT")
    assert not target.exists()


@pytest.mark.parametrize("sql", [
    f'SELECT 1; DROP VIEW "{PARKS}"',
    "SELECT 1; SELECT 2",
    "SELECT 1 /* a comment; */ ; CREATE TABLE t AS SELECT 1",
    "SELECT 1 -- a comment\n; SET threads = 1",
])
def test_more_than_one_statement_refused(resolve, sql):
    refused(sql, resolve, "Only one SELECT statement is allowed")


def test_comments_alone_are_harmless(resolve):
    assert search_sql("SELECT 1 AS one -- ; DROP TABLE x\n/* ; DELETE */", resolve)["records"] == [{"one": 1}]


# --- files, environment, settings, other tables ------------------------------------------------------------

@pytest.mark.parametrize(("sql", "words"), [
    ("SELECT * FROM read_csv('/etc/passwd')", "read_csv() is not allowed"),
    ("SELECT * FROM read_text('/etc/passwd')", "read_text() is not allowed"),
    ("SELECT * FROM glob('/*')", "glob() is not allowed"),
    ("SELECT * FROM query('SELECT 42')", "query() is not allowed"),
    ("SELECT * FROM duckdb_settings()", "duckdb_settings() is not allowed"),
    ("SELECT getenv('HOME')", "getenv() is not allowed"),
    ("SELECT current_setting('enable_external_access')", "current_setting() is not allowed"),
    ("SELECT main.getenv('HOME')", "getenv() is not allowed"),
    ("SELECT * FROM (SELECT * FROM read_json_auto('/etc/hosts'))", "read_json_auto() is not allowed"),
])
def test_file_system_and_setting_functions_refused(resolve, sql, words):
    refused(sql, resolve, words)


def test_another_real_parquet_file_refused(resolve, files):
    hidden = files[HIDDEN]
    refused(f"SELECT * FROM read_parquet('{hidden}')", resolve, "read_parquet() is not allowed")
    err = refused(f"SELECT * FROM '{hidden}'", resolve, "Unknown resource")  # a file named as a table
    assert err.details["table"] == str(hidden)
    refused(f'SELECT * FROM "{HIDDEN}"', resolve, f"Unknown resource '{HIDDEN}'")


@pytest.mark.parametrize(("sql", "words"), [
    ('SELECT * FROM "parques"', "Unknown resource 'parques'"),
    ("SELECT * FROM information_schema.tables", "in a schema"),
    ("SELECT * FROM duckdb_tables", "Unknown resource 'duckdb_tables'"),
    (f'SELECT * FROM main."{PARKS}"', "in a schema"),
    ('WITH x AS (SELECT 1) SELECT * FROM (WITH "/etc/passwd" AS (SELECT 1) SELECT 1) a, "/etc/passwd"',
     "Unknown resource '/etc/passwd'"),  # a CTE's name counts only where the CTE is visible
])
def test_tables_that_are_not_resources_refused(resolve, sql, words):
    refused(sql, resolve, words)


def test_empty_long_and_unparsable_sql_refused(resolve):
    refused("   ", resolve, "one SELECT statement")
    refused("SELECT 1 " + " " * 20_000, resolve, "longer than")
    refused("SELEKT 1", resolve, "could not be read")


# --- time and rows ---------------------------------------------------------------------------------------

def test_a_query_that_runs_forever_is_stopped(resolve):
    started = time.monotonic()
    refused("SELECT count(*) FROM range(1000000) a, range(1000000) b", resolve,
            "Query took longer than 1 s", timeout_s=1.0)
    assert time.monotonic() - started < 3.0
    refused("SELECT max(x) FROM (SELECT random() AS x FROM range(1000000000000))", resolve,
            "Query took longer than 0.5 s", timeout_s=0.5)
    assert search_sql("SELECT 42 AS answer", resolve)["records"] == [{"answer": 42}]  # the process is fine
    assert not [t for t in threading.enumerate() if isinstance(t, threading.Timer)]


def test_rows_are_capped(resolve):
    result = search_sql("SELECT range AS n FROM range(1000000000000)", resolve, max_rows=1000)
    assert len(result["records"]) == 1000 and result["records"][-1] == {"n": 999}
    assert result["records_truncated"] is True
    small = search_sql(f'SELECT nome FROM "{PARKS}"', resolve, max_rows=3)
    assert len(small["records"]) == 3 and "records_truncated" not in small


def test_nothing_escaped(resolve, tmp_path):
    home = os.environ.get("HOME")
    for sql in ("SELECT getenv('HOME')", f"COPY (SELECT 1) TO '{tmp_path / 'x.csv'}'",
                "ATTACH ':memory:' AS m", "SELECT * FROM glob('/*')"):
        with pytest.raises(DatastoreError):
            search_sql(sql, resolve)
    assert os.environ.get("HOME") == home and list(tmp_path.iterdir()) == []
