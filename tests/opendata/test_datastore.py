"""datastore_search semantics against answers worked out by hand on a ten-row resource, and downloads."""

from __future__ import annotations

import csv
import io
import json
import threading
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from praca.opendata import datastore
from praca.opendata.datastore import ROWS_MAX, DatastoreError, export, search
from praca.opendata.tabular import SEARCH_COLUMN, to_parquet

PARKS = """nome,freguesia,lugares,preco,aberto,desde,atualizado,Tipo de parque
Câmara Municipal,Cedofeita,120,1.5,true,2020-01-01,2024-01-01 08:00:00,subterrâneo
Parque da Cidade,Aldoar,500,0.0,true,2019-05-01,2024-01-02 09:00:00,superfície
Trindade,Cedofeita,300,2.0,false,2018-03-15,2024-01-03 10:00:00,subterrâneo
Bolhão,Bonfim,,1.2,true,2022-09-30,2024-01-04 11:00:00,subterrâneo
Campanhã (estação),Campanhã,250,1.0,true,2021-06-01,2024-01-05 12:00:00,superfície
Casa da Música,Lordelo do Ouro,180,1.8,false,,2024-01-06 13:00:00,subterrâneo
São Bento,Sé,90,2.5,true,2017-01-01,2024-01-07 14:00:00,superfície
Alfândega,Miragaia,60,,false,2016-02-02,2024-01-08 15:00:00,superfície
Campo Alegre,Lordelo do Ouro,75,1.1,true,2015-07-07,2024-01-09 16:00:00,superfície
Marquês,Paranhos,140,1.3,true,2023-03-03,2024-01-10 17:00:00,subterrâneo
"""


def _parks(folder: Path, *, indexed: bool = False) -> Path:
    source = folder / "parques.csv"
    source.write_text(PARKS)
    return to_parquet(source, "csv", folder / "parques.parquet", index_rows=0 if indexed else None).path


@pytest.fixture(scope="module", params=["scanned", "indexed"])
def parks(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One file for the read-only tests (converting it for each test would triple the run time), with and
    without a row index (big files have one): every answer worked out by hand must come both ways."""
    return _parks(tmp_path_factory.mktemp("parks"), indexed=request.param == "indexed")


@pytest.fixture
def own_parks(tmp_path: Path) -> Path:
    """A file of the test's own, for tests that replace it or look at its cache."""
    return _parks(tmp_path)


def ids(result: dict) -> list[int]:
    return [r["_id"] for r in result["records"]]


def run(path: Path, **kw) -> dict:
    return search(path, resource_id="parques", **kw)


# --- the default page ----------------------------------------------------------------------------------

def test_default_page_fields_records_total(parks):
    result = run(parks)
    assert result["fields"] == [
        {"id": "_id", "type": "int"}, {"id": "nome", "type": "text"}, {"id": "freguesia", "type": "text"},
        {"id": "lugares", "type": "int"}, {"id": "preco", "type": "numeric"}, {"id": "aberto", "type": "bool"},
        {"id": "desde", "type": "date"}, {"id": "atualizado", "type": "timestamp"},
        {"id": "Tipo de parque", "type": "text"}]
    assert result["total"] == 10 and result["total_was_estimated"] is False
    assert ids(result) == list(range(1, 11))
    assert result["records"][0] == {"_id": 1, "nome": "Câmara Municipal", "freguesia": "Cedofeita", "lugares": 120,
                                    "preco": 1.5, "aberto": True, "desde": "2020-01-01",
                                    "atualizado": "2024-01-01T08:00:00", "Tipo de parque": "subterrâneo"}
    assert result["records"][3]["lugares"] is None and result["records"][5]["desde"] is None
    assert (result["resource_id"], result["limit"], result["offset"]) == ("parques", 100, 0)
    json.dumps(result)  # JSON-ready as it is


def test_paging_and_links(parks):
    page = run(parks, limit=3, offset=3)
    assert ids(page) == [4, 5, 6] and page["total"] == 10
    assert page["_links"] == {"start": "/api/3/action/datastore_search?resource_id=parques&limit=3",
                              "next": "/api/3/action/datastore_search?resource_id=parques&limit=3&offset=6"}
    assert ids(run(parks, offset=9)) == [10]
    assert run(parks, offset=20)["records"] == []
    empty = run(parks, limit=0)
    assert empty["records"] == [] and empty["total"] == 10
    assert "total" not in run(parks, include_total=False)


def test_links_carry_the_query(parks):
    links = run(parks, filters={"freguesia": "Sé"}, q="bento", sort="nome desc", limit=5)["_links"]
    assert links["next"].startswith("/api/3/action/datastore_search?resource_id=parques&filters=")
    assert "q=bento" in links["next"] and "sort=nome+desc" in links["next"] and links["next"].endswith("offset=5")


# --- filters ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("filters", "expected"), [
    ({"freguesia": "Cedofeita"}, [1, 3]),
    ({"freguesia": ["Sé", "Bonfim"]}, [4, 7]),
    ({"freguesia": "Cedofeita", "aberto": True}, [1]),
    ({"lugares": "300"}, [3]),  # as CKAN: compared as the field's type
    ({"lugares": 300.0}, [3]),
    ({"aberto": "false"}, [3, 6, 8]),
    ({"desde": "2020-01-01"}, [1]),
    ({"atualizado": "2024-01-02T09:00:00"}, [2]),
    ({"atualizado": "2024-01-02T10:00:00+01:00"}, [2]),
    ({"lugares": None}, [4]),
    ({"lugares": [60, None]}, [4, 8]),
    ({"lugares": []}, []),
    ({"lugares": {"gte": 100, "lt": 300}}, [1, 5, 6, 10]),
    ({"desde": {"lt": "2017-01-01"}}, [8, 9]),
    ({"lugares": {"in": [60, 75]}}, [8, 9]),
    ({"_id": [2, 4]}, [2, 4]),
    ({"Tipo de parque": "superfície"}, [2, 5, 7, 8, 9]),
])
def test_filters(parks, filters, expected):
    result = run(parks, filters=filters)
    assert ids(result) == expected and result["total"] == len(expected)
    assert result["filters"] == filters


def test_filtered_pages_keep_file_order_and_total(parks):
    result = run(parks, filters={"Tipo de parque": "superfície"}, limit=2, offset=2)
    assert ids(result) == [7, 8] and result["total"] == 5


def test_deep_filtered_pages_found_on_the_filter_columns_first(parks, monkeypatch):
    expected = [ids(run(parks, filters={"aberto": True}, limit=2, offset=o)) for o in range(0, 8, 2)]
    monkeypatch.setattr(datastore, "NARROW_OFFSET", 0)  # the path pages deeper than 1,000 rows take
    assert [ids(run(parks, filters={"aberto": True}, limit=2, offset=o)) for o in range(0, 8, 2)] == expected
    assert expected == [[1, 2], [4, 5], [7, 9], [10]]


# --- q: full text ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("q", "expected"), [
    ("camara", [1]),  # accent-insensitive
    ("CÂMARA municipal", [1]),  # case-insensitive, every word must match
    ("camara parque", []),
    ("cam", [1, 5, 9]),  # words are matched from their start: Câmara, Campanhã, Campo
    ("estacao", [5]),
    ("musica lordelo", [6]),  # words may come from different columns
    ("ouro", [6, 9]),
    ("ando", []),  # not inside a word (Trindade, Alfândega)
    ("subterraneo", [1, 3, 4, 6, 10]),
    ("!!!", list(range(1, 11))),  # nothing to search for
])
def test_q_text(parks, q, expected):
    result = run(parks, q=q)
    assert ids(result) == expected and result["total"] == len(expected)


@pytest.mark.parametrize(("q", "expected"), [
    ({"freguesia": "lordelo"}, [6, 9]),
    ({"nome": "parque"}, [2]),
    ({"Tipo de parque": "superficie"}, [2, 5, 7, 8, 9]),
    ({"freguesia": "cedofeita", "nome": "trindade"}, [3]),
    ({"lugares": "500"}, [2]),  # a number field searched as its text
    ({"nome": "cidade", "freguesia": "cedofeita"}, []),
])
def test_q_per_field(parks, q, expected):
    assert ids(run(parks, q=q)) == expected


def test_q_with_filters_and_sort(parks):
    result = run(parks, q="superficie", filters={"aberto": True}, sort="lugares desc")
    assert ids(result) == [2, 5, 7, 9] and result["total"] == 4


# --- fields and sort ------------------------------------------------------------------------------------

def test_fields_chosen_and_ordered(parks):
    result = run(parks, fields=["lugares", "_id", "nome", "lugares"], limit=1)
    assert result["fields"] == [{"id": "lugares", "type": "int"}, {"id": "_id", "type": "int"},
                                {"id": "nome", "type": "text"}]
    assert result["records"] == [{"lugares": 120, "_id": 1, "nome": "Câmara Municipal"}]
    assert run(parks, fields="nome, freguesia", limit=1)["records"] == [{"nome": "Câmara Municipal",
                                                                        "freguesia": "Cedofeita"}]


@pytest.mark.parametrize(("sort", "expected"), [
    ("lugares desc", [4, 2, 3, 5, 6, 10, 1, 7, 9, 8]),  # empty first when descending, as PostgreSQL
    ("lugares desc nulls last", [2, 3, 5, 6, 10, 1, 7, 9, 8, 4]),
    ("lugares", [8, 9, 7, 1, 10, 6, 5, 3, 2, 4]),
    ("freguesia, nome desc", [2, 4, 5, 3, 1, 6, 9, 8, 10, 7]),
    ("freguesia asc, _id desc", [2, 4, 5, 3, 1, 9, 6, 8, 10, 7]),
    ('"Tipo de parque" desc, preco', [2, 5, 9, 7, 8, 4, 10, 1, 6, 3]),
    ("_id desc", [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]),
    (["aberto", "nome"], [8, 6, 3, 4, 1, 5, 9, 10, 2, 7]),  # Câmara before Campanhã: language order
])
def test_sort(parks, sort, expected):
    assert ids(run(parks, sort=sort)) == expected


def test_sorted_pages_are_slices_of_the_whole(parks):
    whole = ids(run(parks, sort="preco desc"))
    pages = [ids(run(parks, sort="preco desc", limit=3, offset=o)) for o in (0, 3, 6, 9)]
    assert [i for page in pages for i in page] == whole
    assert ids(run(parks, sort="preco desc", filters={"aberto": True}, limit=2, offset=1)) == [1, 10]


@pytest.mark.parametrize("sort", ["lugares desc", "lugares", "preco desc nulls last", "desde asc nulls first",
                                  "atualizado desc", "preco desc, nome"])
@pytest.mark.parametrize("filters", [None, {"aberto": True}, {"freguesia": ["Cedofeita", "Lordelo do Ouro"]}])
def test_sorts_bounded_by_a_sample_give_the_same_pages(parks, monkeypatch, sort, filters):
    """The bound taken from the first rows (here the first 4) never changes a page, whatever the page."""
    def pages() -> list[list[int]]:
        return [ids(run(parks, sort=sort, filters=filters, limit=lim, offset=off))
                for lim, off in ((1, 0), (2, 0), (3, 1), (2, 3), (10, 0))]
    unbounded = pages()
    monkeypatch.setattr(datastore, "SEED_ROWS", 4)
    assert pages() == unbounded


def test_bounds_taken_from_the_row_group_holding_the_extreme(tmp_path, monkeypatch):
    """300,000 readings in time order, three row groups: the latest are bounded from the last group, and
    every bounded page equals the page found without a bound."""
    source = tmp_path / "serie.csv"
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT TIMESTAMP '2024-01-01' + to_minutes(range) AS t, (hash(range) % 1000) / 10 AS v, "
                    f"'e' || (range % 7) AS e FROM range(300000)) TO '{source}'")
    path = to_parquet(source, "csv", tmp_path / "serie.parquet").path
    groups = datastore._open(path).groups
    assert datastore._sample(groups["t"], desc=True)[0] >= 2 * 122_880
    assert datastore._sample(groups["t"], desc=False) == (0, 122_880)
    cases = [{"sort": "t desc"}, {"sort": "t"}, {"sort": "v desc"}, {"sort": "v", "offset": 50},
             {"sort": "t desc", "filters": {"e": "e3"}},
             {"sort": "v desc", "filters": {"e": ["e1", "e2"]}, "offset": 5}]
    bounded = [ids(search(path, resource_id="s", limit=20, **c)) for c in cases]
    monkeypatch.setattr(datastore, "SEED_MAX_ROWS", 0)
    assert [ids(search(path, resource_id="s", limit=20, **c)) for c in cases] == bounded
    assert bounded[0][:3] == [300_000, 299_999, 299_998] and bounded[1][:2] == [1, 2]


def test_id_descending_is_a_range_from_the_end(parks):
    assert ids(run(parks, sort="_id desc", limit=3)) == [10, 9, 8]
    assert ids(run(parks, sort="_id desc", limit=3, offset=8)) == [2, 1]
    assert ids(run(parks, sort="_id desc", offset=20)) == []
    assert ids(run(parks, sort="_id desc", filters={"aberto": False})) == [8, 6, 3]


# --- every refusal names what is wrong -----------------------------------------------------------------

@pytest.mark.parametrize(("kw", "field", "words"), [
    ({"filters": {"cidade": "Porto"}}, "filters", "no field 'cidade'"),
    ({"filters": {SEARCH_COLUMN: "x"}}, "filters", f"no field '{SEARCH_COLUMN}'"),
    ({"filters": ["freguesia"]}, "filters", "must be an object"),
    ({"filters": {"lugares": "muitos"}}, "filters", "not a valid int for the field 'lugares'"),
    ({"filters": {"lugares": 1.5}}, "filters", "not a valid int"),
    ({"filters": {"preco": "caro"}}, "filters", "not a valid numeric"),
    ({"filters": {"aberto": "talvez"}}, "filters", "not a valid bool"),
    ({"filters": {"desde": "31/12/2024"}}, "filters", "not a valid date"),
    ({"filters": {"atualizado": "ontem"}}, "filters", "not a valid timestamp"),
    ({"filters": {"lugares": {"like": 1}}}, "filters", "'lugares' takes"),
    ({"filters": {"lugares": {"in": 1}}}, "filters", "takes a list"),
    ({"filters": {"lugares": {"gt": None}}}, "filters", "cannot be compared"),
    ({"fields": ["nome", "cidade"]}, "fields", "no field 'cidade'"),
    ({"fields": {"nome": 1}}, "fields", "list of field names"),
    ({"sort": "cidade"}, "sort", "no field 'cidade'"),
    ({"sort": "lugares descending"}, "sort", "must be asc or desc, not 'descending'"),
    ({"sort": "lugares; DROP TABLE t"}, "sort", "no field"),
    ({"sort": 3}, "sort", "sort must be text"),
    ({"q": {"cidade": "porto"}}, "q", "no field 'cidade'"),
    ({"q": 42}, "q", "q must be text"),
    ({"q": {"nome": ["a"]}}, "q", "must be text"),
    ({"limit": -1}, "limit", "0 or more"),
    ({"limit": "dez"}, "limit", "whole number"),
    ({"limit": True}, "limit", "whole number"),
    ({"offset": -5}, "offset", "0 or more"),
    ({"offset": 2**70}, "offset", "0 or more"),
])
def test_validation_errors(parks, kw, field, words):
    with pytest.raises(DatastoreError) as err:
        run(parks, **kw)
    assert err.value.details["field"] == field and words in err.value.message
    assert err.value.status == 422


def test_huge_limit_is_capped_as_in_ckan(parks):
    assert run(parks, limit=10**9)["limit"] == ROWS_MAX == 32000
    assert run(parks, limit="5")["limit"] == 5


def test_missing_file(tmp_path):
    with pytest.raises(DatastoreError, match="no data"):
        search(tmp_path / "nothing.parquet", resource_id="x")


def test_values_are_bound_not_spliced(parks):
    evil = "x' OR 1=1 --"
    assert run(parks, filters={"nome": evil})["total"] == 0
    assert run(parks, q={"nome": evil})["total"] == 0


# --- caching: totals, replaced files, threads -------------------------------------------------------------

def test_filtered_totals_are_cached(own_parks):
    parks = own_parks
    first = run(parks, filters={"aberto": True}, limit=1)
    assert first["total"] == 7
    assert len(datastore._open(parks).totals) == 1
    assert run(parks, filters={"aberto": True}, limit=1, offset=1)["total"] == 7
    assert len(datastore._open(parks).totals) == 1


def test_a_replaced_file_is_reopened(own_parks, tmp_path):
    parks = own_parks
    assert run(parks)["total"] == 10
    source = tmp_path / "novo.csv"
    source.write_text("nome\nSó um\n")
    to_parquet(source, "csv", parks)
    result = run(parks)
    assert result["total"] == 1 and result["records"] == [{"_id": 1, "nome": "Só um"}]


def test_concurrent_searches(parks):
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for _ in range(20):
                assert ids(run(parks, filters={"freguesia": "Cedofeita"}, sort="lugares")) == [1, 3]
                assert ids(run(parks, q="cam", offset=i % 3)) == [1, 5, 9][i % 3:]
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_a_plain_parquet_file_is_searchable(tmp_path):
    """A file not written by tabular (no `_search`): q normalises its text columns as it goes."""
    path = tmp_path / "plain.parquet"
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT * FROM (VALUES ('Câmara', 1), ('Sé', 2)) v(nome, n)) TO '{path}' (FORMAT parquet)")
    assert ids(search(path, resource_id="p", q="camara")) == [1]
    assert ids(search(path, resource_id="p", q={"nome": "se"})) == [2]
    assert search(path, resource_id="p", sort="n desc")["records"] == [{"_id": 2, "nome": "Sé", "n": 2},
                                                                       {"_id": 1, "nome": "Câmara", "n": 1}]


# --- downloads ------------------------------------------------------------------------------------------

def test_export_csv(parks, tmp_path):
    out = tmp_path / "dump.csv"
    export(parks, "csv", out)
    table = list(csv.reader(io.StringIO(out.read_text())))
    assert table[0] == ["_id", "nome", "freguesia", "lugares", "preco", "aberto", "desde", "atualizado",
                        "Tipo de parque"]
    assert len(table) == 11 and table[1] == ["1", "Câmara Municipal", "Cedofeita", "120", "1.5", "true", "2020-01-01",
                                             "2024-01-01T08:00:00", "subterrâneo"]
    assert table[4][3] == ""  # an empty value
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_export_json_as_ckan_dump(parks):
    buffer = io.BytesIO()
    export(parks, "json", buffer)
    dump = json.loads(buffer.getvalue())
    assert [f["id"] for f in dump["fields"]][:2] == ["_id", "nome"]
    assert dump["records"][0] == [1, "Câmara Municipal", "Cedofeita", 120, 1.5, True, "2020-01-01",
                                  "2024-01-01T08:00:00", "subterrâneo"]
    assert len(dump["records"]) == 10


def test_export_parquet(parks, tmp_path):
    buffer = io.BytesIO()
    export(parks, "parquet", buffer)
    table = pq.read_table(io.BytesIO(buffer.getvalue()))
    assert table.column_names[0] == "_id" and SEARCH_COLUMN not in table.column_names
    assert table.column("_id").to_pylist() == list(range(1, 11))
    with pytest.raises(DatastoreError, match="csv, json or parquet"):
        export(parks, "xlsx", tmp_path / "x.xlsx")
