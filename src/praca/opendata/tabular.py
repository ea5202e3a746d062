"""Uploaded tabular file → the datastore's Parquet file.

One layout for every format, so the datastore has one kind of file to query:
- the user's columns in the file's order, names cleaned (never starting with "_", which the datastore
  keeps for itself as CKAN does), typed as CKAN's datastore types (text, int, numeric, bool, date,
  timestamp);
- a hidden `_search` column: the row's text columns lower-cased, accents stripped and punctuation turned
  into spaces, so a `q` search is one `contains()` that DuckDB evaluates on Parquet dictionaries;
- rows in the upload's order, so CKAN's `_id` is the file row number (free to read, and stable);
- zstd, row groups of ROW_GROUP_ROWS rows (DuckDB's vector multiple: min/max pruning and one
  dictionary per group stay cheap), data pages of DATA_PAGE_BYTES (the rows of a sorted page are spread
  over the file; with small pages each costs one page per column, a third less work at 10 M rows, for a
  file a quarter larger).

A file of rowindex.MIN_ROWS rows or more also gets its row index (`rowindex`), written beside it.

Conversion runs in two DuckDB passes through a staging Parquet file: the readers (CSV, JSON, GeoJSON,
XLSX, Parquet) type and name the columns; the second pass computes `_search` per column on dictionary
vectors, which is 10× cheaper than on flat strings. Everything is written next to the target and
renamed at the end, so a refused file leaves nothing behind.
"""

from __future__ import annotations

import codecs
import datetime as dt
import os
import re
import unicodedata
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from praca.core.errors import InvalidInput, TooLarge

FORMATS = ("csv", "json", "geojson", "xlsx", "parquet")
CKAN_TYPES = ("text", "int", "numeric", "bool", "date", "timestamp")
SEARCH_COLUMN = "_search"
ROW_GROUP_ROWS = 122_880
DATA_PAGE_BYTES = 8_192  # small pages: reading one row decompresses one page, not the row group's column
EXAMPLE_LINES = 20  # offending lines listed in an error's details
_CHUNK = 1 << 20
_XLSX_BATCH = 10_000
_XLSX_UNZIPPED_MAX = 4 << 30  # a zip bomb stops here whatever max_bytes says
_CP1252_ONLY = frozenset(range(0x80, 0xA0)) - {0x81, 0x8D, 0x8F, 0x90, 0x9D}

# DuckDB types → CKAN datastore types; anything else is stored as text.
_DUCK_TO_CKAN = {
    "BOOLEAN": "bool", "TINYINT": "int", "SMALLINT": "int", "INTEGER": "int", "BIGINT": "int",
    "UTINYINT": "int", "USMALLINT": "int", "UINTEGER": "int", "UBIGINT": "int", "HUGEINT": "int",
    "FLOAT": "numeric", "DOUBLE": "numeric", "DATE": "date", "TIMESTAMP": "timestamp",
    "TIMESTAMP_S": "timestamp", "TIMESTAMP_MS": "timestamp", "TIMESTAMP_NS": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamp", "VARCHAR": "text",
}
_CKAN_TO_DUCK = {"text": "VARCHAR", "int": "BIGINT", "numeric": "DOUBLE", "bool": "BOOLEAN", "date": "DATE",
                 "timestamp": "TIMESTAMP"}


class TabularError(InvalidInput):
    """The file cannot become a table; the message says what to fix, `details` where."""

    code = "invalid_table"


@dataclass(frozen=True)
class Field:
    id: str
    type: str  # one of CKAN_TYPES


@dataclass(frozen=True)
class TableInfo:
    fields: list[Field]
    rows: int
    path: Path


@dataclass(frozen=True)
class _Col:
    """One output column: the SQL that reads it from the staging file, its clean name and CKAN type."""

    expr: str
    name: str
    type: str
    searchable: bool = True


# --- text normalisation, shared with the datastore's `q` -------------------------------------------------

def normalised_sql(expr: str) -> str:
    """DuckDB's normalisation of one text value; `normalise` is the same in Python for query terms."""
    return rf"regexp_replace(strip_accents(lower({expr})), '[^\pL\pN]+', ' ', 'g')"


def normalise(text: str) -> str:
    """Lower-case, accents stripped, anything but letters and digits → one space ("Câmara" → "camara")."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", " ", bare).strip()


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def ckan_type(duck_type: str) -> str:
    return _DUCK_TO_CKAN.get(duck_type.upper(), "numeric" if duck_type.upper().startswith("DECIMAL") else "text")


def clean_names(names: list[str]) -> list[str]:
    """Usable, unique column names: trimmed, inner whitespace collapsed, no leading "_", never empty."""
    out: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(names, start=1):
        name = re.sub(r"\s+", " ", str(raw if raw is not None else "")).strip().lstrip("_").strip()
        name = name.replace('"', "'")[:63] or f"column_{i}"
        candidate, n = name, 2
        while candidate.lower() in seen:
            candidate, n = f"{name}_{n}", n + 1
        seen.add(candidate.lower())
        out.append(candidate)
    return out


def _typed(expr: str, duck_type: str) -> tuple[str, str]:
    """The SQL casting a reader's column to the stored type, and its CKAN type."""
    kind = ckan_type(duck_type)
    upper = duck_type.upper()
    if upper == "TIMESTAMP WITH TIME ZONE":
        return f"({expr} AT TIME ZONE 'UTC')", kind
    if kind == "text" and upper != "VARCHAR":
        nested = upper.endswith("]") or upper.startswith(("STRUCT", "MAP", "UNION", "JSON"))
        return (f"CAST(to_json({expr}) AS VARCHAR)" if nested else f"CAST({expr} AS VARCHAR)"), kind
    if upper.startswith(("TIMESTAMP_", "FLOAT")):
        return f"CAST({expr} AS {_CKAN_TO_DUCK[kind]})", kind
    return expr, kind


# --- the public function ----------------------------------------------------------------------------------

def to_parquet(source: Path, fmt: str, target: Path, *, max_bytes: int | None = None,
               index_rows: int | None = None) -> TableInfo:
    """Convert an uploaded file to the datastore's Parquet layout at `target` (replaced atomically), with its
    row index beside it when it has `index_rows` rows or more (default `rowindex.MIN_ROWS`)."""
    from praca.opendata import rowindex  # it reads this module's layout

    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise TabularError(f"The datastore takes {', '.join(FORMATS)} files, not {fmt!r}.", field="format")
    size = source.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise TooLarge(f"The file is {size:,} bytes; the limit is {max_bytes:,}.", details={"max_bytes": max_bytes})
    if size == 0:
        raise TabularError("The file is empty.")
    target.parent.mkdir(parents=True, exist_ok=True)
    with _workspace(target) as (work, con):
        stage, cols = _READERS[fmt](con, source, work, max_bytes)
        if not cols:
            raise TabularError("The file has no columns.")
        tmp = work / "out.parquet"
        _write(con, stage, cols, tmp)
        rows = pq.ParquetFile(tmp).metadata.num_rows
        index = rowindex.path_for(target)
        if rows >= (rowindex.MIN_ROWS if index_rows is None else index_rows):
            con.execute(f"SET threads = {min(4, os.cpu_count() or 1)}")
            rowindex.build(con, tmp, {c.name: c.type for c in cols}, work / "out.index")
            os.replace(work / "out.index", index)  # first: an index without its file is never read
        else:
            index.unlink(missing_ok=True)
        os.replace(tmp, target)
    return TableInfo(fields=[Field(c.name, c.type) for c in cols], rows=rows, path=target)


@contextmanager
def _workspace(target: Path) -> Iterator[tuple[Path, duckdb.DuckDBPyConnection]]:
    """A private folder beside the target (same file system, so os.replace is atomic) and a DuckDB that
    spills there, never autoloads an extension and is closed and removed whatever happens."""
    work = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
    work.mkdir()
    con = duckdb.connect(config={"memory_limit": "1GB", "threads": min(4, os.cpu_count() or 1),
                                 "temp_directory": str(work / "spill"), "autoinstall_known_extensions": False,
                                 "autoload_known_extensions": False})
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")
        yield work, con
    finally:
        con.close()
        for path in sorted(work.rglob("*"), key=lambda p: len(p.parts), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink(missing_ok=True)
        work.rmdir()


def _write(con: duckdb.DuckDBPyConnection, stage: str, cols: list[_Col], out: Path) -> None:
    """The second pass: final names and types, plus the normalised `_search` text, zstd-compressed."""
    texts = [normalised_sql(quote(c.name)) for c in cols if c.type == "text" and c.searchable]
    search = f"' ' || concat_ws(' ', {', '.join(texts)})" if texts else "' '"
    select = ", ".join(f"{c.expr} AS {quote(c.name)}" for c in cols)
    try:
        con.execute("SET threads = 1")  # one writer: whole row groups (parallel writers leave slivers of 50 rows)
        con.execute(f"""COPY (SELECT *, {search} AS {SEARCH_COLUMN} FROM (SELECT {select} FROM {stage}))
                        TO {literal(str(out))} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP_ROWS},
                        DATA_PAGE_SIZE_LIMIT {DATA_PAGE_BYTES}, KV_METADATA {{praca_layout: '1'}})""")
    except duckdb.Error as exc:
        raise TabularError(f"The file could not be converted: {_first_line(exc)}") from exc


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _described(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]


def _columns(described: list[tuple[str, str]]) -> list[_Col]:
    names = clean_names([n for n, _ in described])
    out = []
    for (raw, kind), name in zip(described, names, strict=True):
        expr, ckan = _typed(quote(raw), kind)
        out.append(_Col(expr, name, ckan))
    return out


# --- CSV ------------------------------------------------------------------------------------------------

def _csv(con: duckdb.DuckDBPyConnection, source: Path, work: Path, _max: int | None) -> tuple[str, list[_Col]]:
    """Stream the CSV through DuckDB's sniffer and reader; refuse it whole if any line is malformed."""
    encoding = _csv_encoding(source)
    path = source
    if encoding == "cp1252":  # DuckDB reads UTF-8, UTF-16 and Latin-1 only: transcode, streamed
        path = work / "utf8.csv"
        _transcode(source, path, "cp1252")
        encoding = "utf-8"
    options = f"encoding = {literal(encoding)}"
    base = f"{literal(str(path))}, {options}"
    try:
        if con.execute(f"SELECT Delimiter FROM sniff_csv({base})").fetchone()[0] == ";":
            plain = _described(con, f"read_csv({base})")
            comma = _described(con, f"read_csv({base}, decimal_separator = ',')")
            if sum(k == "DOUBLE" for _, k in comma) > sum(k == "DOUBLE" for _, k in plain):
                options += ", decimal_separator = ','"  # "1,5" in a ;-separated file is a number
    except duckdb.Error as exc:
        raise TabularError(f"The file is not readable as CSV: {_first_line(exc)}") from exc
    stage = work / "stage.parquet"
    as_text: set[str] = set()
    for attempt in range(4):
        types = ", ".join(f"{literal(c)}: 'VARCHAR'" for c in sorted(as_text))
        reader = (f"read_csv({literal(str(path))}, {options}, store_rejects = true, "
                  f"rejects_table = 'rejects_{attempt}', rejects_scan = 'scans_{attempt}'"
                  + (f", types = {{{types}}})" if types else ")"))
        try:
            described = _described(con, reader)
            cols = _columns(described)
            select = ", ".join(f"{c.expr} AS {quote(c.name)}" for c in cols)
            con.execute(f"COPY (SELECT {select} FROM {reader}) TO {literal(str(stage))} (FORMAT parquet)")
        except duckdb.Error as exc:
            raise TabularError(f"The file is not readable as CSV: {_first_line(exc)}") from exc
        rejects = con.execute(f"""SELECT line, line_byte_position, error_type, column_name, error_message
                                  FROM rejects_{attempt} ORDER BY line""").fetchall()
        cast = {r[3] for r in rejects if r[2] == "CAST"}
        broken = [r for r in rejects if r[2] != "CAST"]
        if broken:
            raise _malformed(source, broken)
        if not cast:
            return f"read_parquet({literal(str(stage))})", [_Col(quote(c.name), c.name, c.type) for c in cols]
        as_text |= cast  # a column the sample typed wrongly (a number, then a word): keep it as text
    raise TabularError("The column types could not be settled; check the file's columns.")


def _malformed(source: Path, rejects: list[tuple[Any, ...]]) -> TabularError:
    """Which lines are wrong and why, numbered as a text editor numbers them (the header is line 1)."""
    by_line: dict[int, tuple[int, str]] = {}
    for line, position, kind, _column, message in rejects:
        by_line.setdefault(int(line), (int(position), f"{kind.lower()}: {message}"))
    first = sorted(by_line.items())[:EXAMPLE_LINES]
    physical = _line_numbers(source, [pos for _, (pos, _) in first])
    lines = [{"line": physical.get(pos, line), "reason": reason} for line, (pos, reason) in first]
    return TabularError(
        f"{len(by_line)} line(s) do not have the header's number of columns or cannot be read "
        f"(first: line {lines[0]['line']}). Fix those lines, or quote values that contain the delimiter, "
        "and upload the file again.", details={"lines": lines, "count": len(by_line)})


def _line_numbers(path: Path, positions: list[int]) -> dict[int, int]:
    """Byte offsets → 1-based line numbers, counting newlines in one streamed pass (quoted line breaks
    make DuckDB's record numbers differ from what an editor shows)."""
    out: dict[int, int] = {}
    wanted = sorted(set(positions))
    newlines = offset = 0
    with path.open("rb") as fh:
        while wanted and (chunk := fh.read(_CHUNK)):
            while wanted and wanted[0] < offset + len(chunk):
                pos = wanted.pop(0)
                out[pos] = newlines + chunk.count(b"\n", 0, pos - offset) + 1
            newlines += chunk.count(b"\n")
            offset += len(chunk)
    return out


def _csv_encoding(path: Path) -> str:
    """UTF-8 (BOM or not), Latin-1 or Windows-1252, decided over the whole file in one streamed pass.
    A file whose lines are partly valid UTF-8 with accents and partly not was saved twice in different
    encodings; it is refused with both kinds of lines listed."""
    with path.open("rb") as fh:
        head = fh.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        fh.seek(0)
        utf8_lines: list[int] = []
        other_lines: list[int] = []
        cp1252 = blank = True
        line, rest = 1, b""
        while chunk := fh.read(_CHUNK):
            data = rest + chunk
            cut = data.rfind(b"\n") + 1
            data, rest = (data[:cut], data[cut:]) if cut else (b"", data)
            blank = blank and not data.strip()
            line = _scan(data, line, utf8_lines, other_lines)
        if rest:
            blank = blank and not rest.strip()
            _scan(rest, line, utf8_lines, other_lines)
    if blank:
        raise TabularError("The file is empty.")
    if not other_lines:
        return "utf-8"
    if utf8_lines:
        raise TabularError(
            "The file mixes text encodings: some lines are UTF-8 and others are not (Windows-1252 or "
            "Latin-1). Open it in a spreadsheet or editor, save it once as UTF-8 and upload it again.",
            details={"utf8_lines": utf8_lines[:EXAMPLE_LINES], "other_lines": other_lines[:EXAMPLE_LINES]})
    with path.open("rb") as fh:
        while cp1252 and (chunk := fh.read(_CHUNK)):
            cp1252 = not any(b in _CP1252_ONLY for b in set(chunk))
    return "latin-1" if cp1252 else "cp1252"


def _scan(data: bytes, line: int, utf8_lines: list[int], other_lines: list[int]) -> int:
    """Classify the non-ASCII lines of whole-line `data` starting at `line`; return the next line number."""
    if data.isascii():
        return line + data.count(b"\n")
    try:
        data.decode("utf-8")
        for i, text in enumerate(data.split(b"\n")):
            if len(utf8_lines) >= EXAMPLE_LINES:
                break
            if not text.isascii():
                utf8_lines.append(line + i)
    except UnicodeDecodeError:
        for i, text in enumerate(data.split(b"\n")):
            if text.isascii():
                continue
            try:
                text.decode("utf-8")
                target = utf8_lines
            except UnicodeDecodeError:
                target = other_lines
            if len(target) < EXAMPLE_LINES:
                target.append(line + i)
    return line + data.count(b"\n")


def _transcode(source: Path, out: Path, encoding: str) -> None:
    decoder = codecs.getincrementaldecoder(encoding)()
    with source.open("rb") as src, out.open("w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(_CHUNK):
            dst.write(decoder.decode(chunk))
        dst.write(decoder.decode(b"", final=True))


# --- JSON and GeoJSON -------------------------------------------------------------------------------------

def _json(con: duckdb.DuckDBPyConnection, source: Path, work: Path, _max: int | None) -> tuple[str, list[_Col]]:
    """An array of objects, or one object per line (NDJSON); nested values are kept as JSON text."""
    reader = f"read_json({literal(str(source))}, format = 'auto', records = true)"
    try:
        described = _described(con, reader)
    except duckdb.Error as exc:
        raise TabularError("The JSON must be an array of objects or one object per line (NDJSON): "
                           f"{_first_line(exc)}") from exc
    geo = any(k == "GEOMETRY" for _, k in described) or {n for n, _ in described} == {"type", "features"}
    if [k for _, k in described] == ["JSON"] or geo:
        raise TabularError("The JSON must be an array of objects or one object per line (NDJSON); "
                           "for a GeoJSON FeatureCollection choose the GeoJSON format.")
    return _staged(con, reader, _columns(described), work)


def _geojson(con: duckdb.DuckDBPyConnection, source: Path, work: Path, _max: int | None) -> tuple[str, list[_Col]]:
    """A FeatureCollection: one row per feature, its properties, a representative point (the point
    itself, or the mean of the geometry's vertices) and the geometry as GeoJSON text."""
    reader = f"read_json({literal(str(source))})"
    try:
        described = _described(con, reader)
    except duckdb.Error as exc:
        raise TabularError(f"The file is not a GeoJSON FeatureCollection: {_first_line(exc)}") from exc
    geometry = [n for n, k in described if k == "GEOMETRY"]
    if not geometry:
        raise TabularError("The file is not a GeoJSON FeatureCollection (no feature has a geometry).")
    props = [(n, k) for n, k in described if n != geometry[0]]
    cols = _columns(props)
    names = clean_names([c.name for c in cols] + ["latitude", "longitude", "geometry"])
    g = quote(geometry[0])
    wkt = f"ST_AsText({g})"
    pair = r"'(-?[0-9.]+(?:[eE][-+]?[0-9]+)?) (-?[0-9.]+(?:[eE][-+]?[0-9]+)?)'"
    lon = f"list_avg(list_transform(regexp_extract_all({wkt}, {pair}, 1), lambda x: CAST(x AS DOUBLE)))"
    lat = f"list_avg(list_transform(regexp_extract_all({wkt}, {pair}, 2), lambda x: CAST(x AS DOUBLE)))"
    cols += [_Col(lat, names[-3], "numeric"), _Col(lon, names[-2], "numeric"),
             _Col(f"CAST(ST_AsGeoJSON({g}) AS VARCHAR)", names[-1], "text", searchable=False)]
    return _staged(con, reader, cols, work)


def _staged(con: duckdb.DuckDBPyConnection, reader: str, cols: list[_Col], work: Path) -> tuple[str, list[_Col]]:
    stage = work / "stage.parquet"
    select = ", ".join(f"{c.expr} AS {quote(c.name)}" for c in cols)
    try:
        con.execute(f"COPY (SELECT {select} FROM {reader}) TO {literal(str(stage))} (FORMAT parquet)")
    except duckdb.Error as exc:
        raise TabularError(f"The file could not be read: {_first_line(exc)}") from exc
    return f"read_parquet({literal(str(stage))})", [_Col(quote(c.name), c.name, c.type, c.searchable) for c in cols]


# --- XLSX -----------------------------------------------------------------------------------------------

def _xlsx(con: duckdb.DuckDBPyConnection, source: Path, work: Path, max_bytes: int | None) -> tuple[str, list[_Col]]:
    """The first sheet, streamed by openpyxl in read-only mode: values are staged as text in batches,
    each column's Python types are tracked, and the second pass casts to the type they agree on."""
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(source) as zf:
            unzipped = sum(i.file_size for i in zf.infolist())
        workbook = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, ValueError… for a damaged file
        raise TabularError(f"The file is not a readable XLSX workbook: {exc}") from exc
    limit = min(_XLSX_UNZIPPED_MAX, 50 * max_bytes) if max_bytes else _XLSX_UNZIPPED_MAX
    if unzipped > limit:
        workbook.close()
        raise TooLarge(f"The workbook unpacks to {unzipped:,} bytes; the limit is {limit:,}.")
    stage = work / "stage.parquet"
    try:
        rows = (r for r in workbook.worksheets[0].iter_rows(values_only=True) if any(v is not None for v in r))
        header = list(next(rows, ()))
        while header and header[-1] is None:  # read-only mode pads rows to the sheet's widest row
            header.pop()
        if not header:
            raise TabularError("The first sheet of the workbook is empty.")
        names = clean_names(header)
        kinds: list[set[str]] = [set() for _ in names]
        schema = pa.schema([(f"c{i}", pa.string()) for i in range(len(names))])
        with pq.ParquetWriter(stage, schema) as writer:
            batch: list[tuple[Any, ...]] = []
            for number, row in enumerate(rows, start=2):
                if any(v is not None for v in row[len(names):]):
                    raise TabularError(f"Data row {number} has values beyond the header's {len(names)} "
                                       "columns; give every column a heading.", details={"row": number})
                batch.append(row)
                if len(batch) == _XLSX_BATCH:
                    writer.write_batch(_xlsx_batch(batch, kinds, schema))
                    batch = []
            if batch:
                writer.write_batch(_xlsx_batch(batch, kinds, schema))
    finally:
        workbook.close()
    cols = [_Col(f"CAST(c{i} AS {_CKAN_TO_DUCK[k]})", name, k)
            for i, (name, k) in enumerate(zip(names, map(_xlsx_kind, kinds), strict=True))]
    return f"read_parquet({literal(str(stage))})", cols


def _xlsx_batch(rows: list[tuple[Any, ...]], kinds: list[set[str]], schema: pa.Schema) -> pa.RecordBatch:
    columns: list[list[str | None]] = [[] for _ in kinds]
    for row in rows:
        for i, kind in enumerate(kinds):
            value = row[i] if i < len(row) else None
            text, k = _xlsx_value(value)
            if k:
                kind.add(k)
            columns[i].append(text)
    return pa.record_batch([pa.array(c, pa.string()) for c in columns], schema=schema)


def _xlsx_value(value: Any) -> tuple[str | None, str | None]:
    """A cell as exact text DuckDB casts back, and the CKAN type it suggests."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, bool):
        return ("true" if value else "false"), "bool"
    if isinstance(value, int):
        return str(value), ("int" if -(2**63) <= value < 2**63 else "text")
    if isinstance(value, float):
        return repr(value), "numeric"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat(), "date"
        return value.replace(tzinfo=None).isoformat(), "timestamp"
    if isinstance(value, dt.date):
        return value.isoformat(), "date"
    return str(value), "text"


def _xlsx_kind(seen: set[str]) -> str:
    if not seen or "text" in seen:
        return "text"
    if seen <= {"int"}:
        return "int"
    if seen <= {"int", "numeric"}:
        return "numeric"
    if seen <= {"date"}:
        return "date"
    if seen <= {"date", "timestamp"}:
        return "timestamp"
    return "bool" if seen == {"bool"} else "text"


# --- Parquet --------------------------------------------------------------------------------------------

def _parquet(con: duckdb.DuckDBPyConnection, source: Path, work: Path, _max: int | None) -> tuple[str, list[_Col]]:
    """Re-written in the datastore's layout, which reads every page: a damaged file fails here, not at
    its first query."""
    reader = f"read_parquet({literal(str(source))})"
    try:
        pq.ParquetFile(source)
        described = _described(con, reader)
    except (duckdb.Error, pa.ArrowException, OSError) as exc:
        raise TabularError(f"The file is not a readable Parquet file: {_first_line(exc)}") from exc
    return reader, _columns(described)


_READERS = {"csv": _csv, "json": _json, "geojson": _geojson, "xlsx": _xlsx, "parquet": _parquet}
