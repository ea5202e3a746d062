"""Uploaded files → the datastore's Parquet: real files written into tmp_path, read back with pyarrow."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from praca.core.errors import InvalidInput, TooLarge
from praca.opendata.tabular import (
    ROW_GROUP_ROWS,
    SEARCH_COLUMN,
    TabularError,
    clean_names,
    normalise,
    normalised_sql,
    to_parquet,
)


def convert(tmp_path: Path, name: str, content: bytes | str, fmt: str | None = None, **kw):
    source = tmp_path / name
    source.write_bytes(content.encode() if isinstance(content, str) else content)
    return to_parquet(source, fmt or name.rsplit(".", 1)[1], tmp_path / "out" / f"{name}.parquet", **kw)


def rows(info) -> list[dict]:
    table = pq.read_table(info.path)
    return table.drop_columns([SEARCH_COLUMN]).to_pylist()


def types(info) -> dict[str, str]:
    return {f.id: f.type for f in info.fields}


def leftovers(tmp_path: Path) -> list[str]:
    out = tmp_path / "out"
    return sorted(p.name for p in out.iterdir()) if out.exists() else []


# --- CSV ---------------------------------------------------------------------------------------------

CSV = ("nome,lugares,preco,aberto,desde,atualizado\n"
       "Câmara Municipal,10,1.5,true,2024-01-02,2024-01-02 10:30:00\n"
       "São João,,2.25,false,2023-12-31,2024-02-01 08:00:00\n")


def test_csv_utf8_types_and_values(tmp_path):
    info = convert(tmp_path, "parques.csv", CSV)
    assert info.rows == 2 and info.path == tmp_path / "out" / "parques.csv.parquet"
    assert types(info) == {"nome": "text", "lugares": "int", "preco": "numeric", "aberto": "bool",
                           "desde": "date", "atualizado": "timestamp"}
    assert rows(info) == [
        {"nome": "Câmara Municipal", "lugares": 10, "preco": 1.5, "aberto": True, "desde": dt.date(2024, 1, 2),
         "atualizado": dt.datetime(2024, 1, 2, 10, 30)},
        {"nome": "São João", "lugares": None, "preco": 2.25, "aberto": False, "desde": dt.date(2023, 12, 31),
         "atualizado": dt.datetime(2024, 2, 1, 8, 0)}]
    assert leftovers(tmp_path) == ["parques.csv.parquet"]


def test_layout_zstd_row_groups_and_search_column(tmp_path):
    info = convert(tmp_path, "p.csv", CSV)
    meta = pq.ParquetFile(info.path).metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"
    assert meta.metadata[b"praca_layout"] == b"1"
    assert pq.read_table(info.path).column(SEARCH_COLUMN).to_pylist() == [" camara municipal", " sao joao"]
    assert ROW_GROUP_ROWS % 2048 == 0  # whole DuckDB vectors


def test_csv_with_bom(tmp_path):
    info = convert(tmp_path, "bom.csv", "\ufeffnome;valor\nCâmara;1\n".encode())
    assert [f.id for f in info.fields] == ["nome", "valor"]
    assert rows(info) == [{"nome": "Câmara", "valor": 1}]


def test_csv_windows_1252_is_converted(tmp_path):
    text = "nome;nota\nCâmara;“Obras” – custo 5 €\nSão João;ação\n"
    info = convert(tmp_path, "cp.csv", text.encode("cp1252"))
    assert rows(info) == [{"nome": "Câmara", "nota": "“Obras” – custo 5 €"}, {"nome": "São João", "nota": "ação"}]
    assert leftovers(tmp_path) == ["cp.csv.parquet"]  # the transcoded copy is gone


def test_csv_latin1_is_read_directly(tmp_path):
    info = convert(tmp_path, "l1.csv", "freguesia,n\nCampanhã,1\nSé,2\n".encode("latin-1"))
    assert [r["freguesia"] for r in rows(info)] == ["Campanhã", "Sé"]


def test_encoding_found_past_the_first_megabyte(tmp_path):
    filler = "".join(f"linha {i},{i}\n" for i in range(120_000))  # ≈ 1.6 MB of ASCII
    info = convert(tmp_path, "long.csv", ("nome,n\n" + filler + "Câmara,1\n").encode("cp1252"))
    assert rows(info)[-1] == {"nome": "Câmara", "n": 1}


def test_mixed_encodings_refused_with_lines(tmp_path):
    data = b"nome;n\n" + "Câmara;1\n".encode() + b"ok;2\n" + "São João;3\n".encode("cp1252")
    with pytest.raises(TabularError) as err:
        convert(tmp_path, "mixed.csv", data)
    assert "mixes text encodings" in err.value.message and "UTF-8" in err.value.message
    assert err.value.details == {"utf8_lines": [2], "other_lines": [4]}
    assert isinstance(err.value, InvalidInput) and err.value.status == 422
    assert leftovers(tmp_path) == []


def test_mixed_encodings_across_chunks(tmp_path):
    head = "nome,n\nCâmara,0\n".encode()
    filler = "".join(f"x{i},{i}\n" for i in range(120_000)).encode()
    with pytest.raises(TabularError) as err:
        convert(tmp_path, "mixed.csv", head + filler + "Sé,1\n".encode("cp1252"))
    assert err.value.details["utf8_lines"] == [2] and err.value.details["other_lines"] == [120_003]


def test_ragged_rows_refused_with_line_numbers(tmp_path):
    text = 'a,b,c\n1,2,3\n4,5\n6,7,8,9\n"multi\nline",1,2\n10,11,12\n13,14\n'
    with pytest.raises(TabularError) as err:
        convert(tmp_path, "rag.csv", text)
    details = err.value.details
    assert details["count"] == 3
    assert [line["line"] for line in details["lines"]] == [3, 4, 8]  # as an editor numbers them
    assert "missing columns" in details["lines"][0]["reason"]
    assert "too many columns" in details["lines"][1]["reason"]
    assert "line 3" in err.value.message
    assert leftovers(tmp_path) == []


def test_failed_conversion_keeps_the_previous_file(tmp_path):
    target = tmp_path / "out" / "r.parquet"
    good = tmp_path / "good.csv"
    good.write_text("a\n1\n")
    to_parquet(good, "csv", target)
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1\n")
    with pytest.raises(TabularError):
        to_parquet(bad, "csv", target)
    assert pq.read_table(target).column("a").to_pylist() == [1]
    assert sorted(p.name for p in target.parent.iterdir()) == ["r.parquet"]


@pytest.mark.parametrize("content", [b"", b"  \n\n \r\n"])
def test_empty_file_refused(tmp_path, content):
    with pytest.raises(TabularError, match="empty"):
        convert(tmp_path, "empty.csv", content)


def test_semicolons_decimal_commas_and_day_first_dates(tmp_path):
    info = convert(tmp_path, "pt.csv", "nome;valor;data\nCâmara;1,5;01/02/2024\nPorto;2,25;15/03/2024\n")
    assert types(info) == {"nome": "text", "valor": "numeric", "data": "date"}
    assert rows(info)[1] == {"nome": "Porto", "valor": 2.25, "data": dt.date(2024, 3, 15)}


def test_header_only(tmp_path):
    info = convert(tmp_path, "h.csv", "nome;valor\n")
    assert info.rows == 0 and [f.id for f in info.fields] == ["nome", "valor"]


def test_column_typed_wrongly_by_the_sample_becomes_text(tmp_path):
    text = "codigo,n\n" + "".join(f"{i},{i}\n" for i in range(30_000)) + "A-1,1\n"
    info = convert(tmp_path, "late.csv", text)
    assert types(info) == {"codigo": "text", "n": "int"}
    assert rows(info)[-1] == {"codigo": "A-1", "n": 1}


def test_leading_zeros_and_times_stay_text(tmp_path):
    info = convert(tmp_path, "z.csv", "cp,hora\n0123,10:30\n4000,11:00\n")
    assert types(info) == {"cp": "text", "hora": "text"}
    assert rows(info)[0] == {"cp": "0123", "hora": "10:30"}


def test_zoned_timestamps_stored_in_utc(tmp_path):
    info = convert(tmp_path, "tz.csv", "t\n2024-01-01T10:00:00+01:00\n")
    assert rows(info) == [{"t": dt.datetime(2024, 1, 1, 9, 0)}]


def test_column_names_cleaned(tmp_path):
    info = convert(tmp_path, "names.csv", " Nome  da rua ,a,A,,_id,__,x\n1,2,3,4,5,6,7\n")
    names = [f.id for f in info.fields]
    assert names[0] == "Nome da rua" and names[1] == "a"
    assert len({n.lower() for n in names}) == len(names)
    assert all(n and not n.startswith("_") for n in names)
    assert clean_names(["_id", "id", " ", None, 'a"b']) == ["id", "id_2", "column_3", "column_4", "a'b"]


# --- JSON, GeoJSON ---------------------------------------------------------------------------------------

def test_json_array_of_objects(tmp_path):
    data = [{"nome": "Câmara", "n": 1, "tags": ["a", "b"], "o": {"x": 1}}, {"nome": "Sé", "n": 2.5, "extra": True}]
    info = convert(tmp_path, "a.json", json.dumps(data))
    assert types(info) == {"nome": "text", "n": "numeric", "tags": "text", "o": "text", "extra": "bool"}
    first, second = rows(info)
    assert json.loads(first["tags"]) == ["a", "b"] and json.loads(first["o"]) == {"x": 1}
    assert second == {"nome": "Sé", "n": 2.5, "tags": None, "o": None, "extra": True}


def test_ndjson(tmp_path):
    info = convert(tmp_path, "b.json", '{"a": 1, "b": "x"}\n{"a": 2, "c": "2024-01-02"}\n')
    assert types(info) == {"a": "int", "b": "text", "c": "date"}
    assert rows(info)[1] == {"a": 2, "b": None, "c": dt.date(2024, 1, 2)}


@pytest.mark.parametrize("content", ["{not json", "[1, 2, 3]"])
def test_json_that_is_not_records_refused(tmp_path, content):
    with pytest.raises(TabularError):
        convert(tmp_path, "bad.json", content)
    assert leftovers(tmp_path) == []


GEOJSON = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"nome": "Paragem Bolhão", "linhas": 3},
     "geometry": {"type": "Point", "coordinates": [-8.6055, 41.1496]}},
    {"type": "Feature", "properties": {"nome": "Jardim"},
     "geometry": {"type": "Polygon", "coordinates": [[[-8.6, 41.1], [-8.6, 41.2], [-8.7, 41.2], [-8.7, 41.1]]]}},
    {"type": "Feature", "properties": {"nome": "Sem sítio"}, "geometry": None}]}


def test_geojson_feature_collection(tmp_path):
    info = convert(tmp_path, "g.geojson", json.dumps(GEOJSON))
    assert types(info) == {"nome": "text", "linhas": "int", "latitude": "numeric", "longitude": "numeric",
                           "geometry": "text"}
    point, polygon, nowhere = rows(info)
    assert (point["latitude"], point["longitude"]) == (41.1496, -8.6055)
    assert json.loads(point["geometry"]) == {"type": "Point", "coordinates": [-8.6055, 41.1496]}
    assert polygon["latitude"] == pytest.approx(41.15) and polygon["longitude"] == pytest.approx(-8.65)
    assert json.loads(polygon["geometry"])["type"] == "Polygon"
    assert nowhere == {"nome": "Sem sítio", "linhas": None, "latitude": None, "longitude": None, "geometry": None}
    search = pq.read_table(info.path).column(SEARCH_COLUMN).to_pylist()
    assert search[0].strip() == "paragem bolhao"  # the geometry's numbers are not searchable text


def test_geojson_given_as_json_and_json_given_as_geojson(tmp_path):
    with pytest.raises(TabularError, match="GeoJSON"):
        convert(tmp_path, "g.json", json.dumps(GEOJSON))
    with pytest.raises(TabularError, match="FeatureCollection"):
        convert(tmp_path, "a.geojson", json.dumps([{"a": 1}]))


# --- XLSX, Parquet -----------------------------------------------------------------------------------------

def test_xlsx_first_sheet_typed(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["Nome", "Nº", "Valor", "Data", "Quando", "Ativo", "Misto"])
    ws.append(["Câmara", 1, 1.5, dt.datetime(2024, 1, 2), dt.datetime(2024, 1, 2, 10, 30), True, "x"])
    ws.append(["Sé", 2, 3, dt.datetime(2024, 2, 3), dt.datetime(2024, 1, 3, 11, 0), False, 5])
    ws.append([None] * 7)
    ws.append(["Bonfim"])
    wb.create_sheet("Outra").append(["ignorada"])
    wb.save(tmp_path / "t.xlsx")
    info = to_parquet(tmp_path / "t.xlsx", "xlsx", tmp_path / "out" / "t.parquet")
    assert types(info) == {"Nome": "text", "Nº": "int", "Valor": "numeric", "Data": "date", "Quando": "timestamp",
                           "Ativo": "bool", "Misto": "text"}
    assert rows(info) == [
        {"Nome": "Câmara", "Nº": 1, "Valor": 1.5, "Data": dt.date(2024, 1, 2),
         "Quando": dt.datetime(2024, 1, 2, 10, 30), "Ativo": True, "Misto": "x"},
        {"Nome": "Sé", "Nº": 2, "Valor": 3.0, "Data": dt.date(2024, 2, 3), "Quando": dt.datetime(2024, 1, 3, 11),
         "Ativo": False, "Misto": "5"},
        {"Nome": "Bonfim", "Nº": None, "Valor": None, "Data": None, "Quando": None, "Ativo": None, "Misto": None}]


def test_xlsx_streams_many_rows_in_batches(tmp_path):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["n", "nome"])
    for i in range(25_000):
        ws.append([i, f"rua {i}"])
    wb.save(tmp_path / "big.xlsx")
    info = to_parquet(tmp_path / "big.xlsx", "xlsx", tmp_path / "out" / "big.parquet")
    assert info.rows == 25_000 and types(info) == {"n": "int", "nome": "text"}
    assert rows(info)[-1] == {"n": 24_999, "nome": "rua 24999"}


def test_xlsx_values_without_a_heading_refused(tmp_path):
    wb = Workbook()
    wb.active.append(["a", "b"])
    wb.active.append([1, 2, 3])
    wb.save(tmp_path / "t.xlsx")
    with pytest.raises(TabularError, match="heading"):
        to_parquet(tmp_path / "t.xlsx", "xlsx", tmp_path / "out" / "t.parquet")


def test_parquet_rewritten_in_the_layout(tmp_path):
    source = tmp_path / "in.parquet"
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT range AS n, 'Rua ' || range AS \"_nome\", [range] AS l FROM range(5)) "
                    f"TO '{source}' (FORMAT parquet)")
    info = to_parquet(source, "parquet", tmp_path / "out" / "p.parquet")
    assert types(info) == {"n": "int", "nome": "text", "l": "text"}
    assert rows(info)[4] == {"n": 4, "nome": "Rua 4", "l": "[4]"}


@pytest.mark.parametrize(("name", "fmt"), [("x.parquet", "parquet"), ("x.xlsx", "xlsx")])
def test_damaged_files_refused(tmp_path, name, fmt):
    with pytest.raises(TabularError, match="not a readable"):
        convert(tmp_path, name, b"PAR1 this is not a real file", fmt)
    assert leftovers(tmp_path) == []


def test_unknown_format_and_size_limit(tmp_path):
    with pytest.raises(TabularError, match="csv, json"):
        convert(tmp_path, "x.pdf", "%PDF", "pdf")
    with pytest.raises(TooLarge):
        convert(tmp_path, "big.csv", CSV, max_bytes=10)


# --- normalisation: SQL at upload, Python at query, the same -------------------------------------------

def test_normalisation_same_in_sql_and_python():
    samples = ["Câmara Municipal do Porto", "SÃO JOÃO (Bonfim)", "ação/reação; 3º andar", "Größe", "µg/m³",
               "naïve café", "Ελλάδα", "rua_do-almada,12", "“aspas” – €"]
    sql = normalised_sql("s")
    with duckdb.connect() as con:
        got = [con.execute(f"SELECT {sql} FROM (SELECT $s AS s)", {"s": s}).fetchone()[0].strip() for s in samples]
    assert got == [normalise(s) for s in samples]
    assert normalise("Câmara Municipal") == "camara municipal"


def test_row_groups_are_whole(tmp_path):
    """One writer: parallel ones leave slivers of a few dozen rows between the full row groups."""
    source = tmp_path / "many.csv"
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT range AS n, 'rua ' || (range % 97) AS nome FROM range(300000)) TO '{source}'")
    meta = pq.ParquetFile(to_parquet(source, "csv", tmp_path / "many.parquet").path).metadata
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert sum(sizes) == 300_000 and len(sizes) == 3 and min(sizes[:-1]) >= ROW_GROUP_ROWS
