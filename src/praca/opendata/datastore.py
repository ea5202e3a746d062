"""CKAN's datastore_search and datastore_search_sql over the datastore's Parquet files, and downloads.

Pure functions of a file path: the catalog resolves resource ids to paths and checks who may read them.

Why it is fast on ten million rows (the layout is `tabular`'s):
- one DuckDB database per file, cached (LRU, thread-safe), each query on its own cursor; DuckDB keeps the
  Parquet footer and recently read blocks in memory between queries;
- `_id` is the file row number: free to read, and a page without filters or sort is a row-number range
  that touches one row group;
- without a sort the rows come in file order, so a filtered page stops scanning once it has its rows;
- with a sort, the top rows are found on the sort and filter columns only, then those rows are fetched
  ("late materialisation"); a sort on a number or a date is first bounded from one row group, which
  lets DuckDB skip nearly every row on min/max and dictionaries;
- `q` is one `contains()` per word on the `_search` column, normalised once at upload: no per-row
  lower-casing or accent stripping at query time;
- totals: the row count from the footer when nothing filters, else counted once and cached per filter
  (paging through a result asks for the same total every time);
- a big file has a row index (`rowindex`): equality filters, `q` and a sort on one number or date are then
  answered from bitmaps and sorted row orders, with exact totals, and only the page's rows are read.
"""

from __future__ import annotations

import array
import datetime as dt
import decimal
import json
import math
import os
import re
import threading
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from pyroaring import BitMap

from praca.core.errors import InvalidInput
from praca.opendata.rowindex import RowIndex
from praca.opendata.tabular import SEARCH_COLUMN, ckan_type, literal, normalise, normalised_sql, quote

ROWS_MAX = 32_000  # CKAN's default ckan.datastore.search.rows_max
OFFSET_MAX = 2**62
CACHE_SIZE = 16  # open resource files
TOTALS_CACHED = 256  # filtered totals kept per file
NARROW_OFFSET = 1_000  # deeper filtered pages find their rows first on the filter columns alone
SEED_ROWS = 122_880  # the sample that bounds a sort on a number (tabular's first row group)
SEED_MAX_ROWS = 10_000  # pages deeper than this are not bounded
_ORDINAL = frozenset({"int", "numeric", "date", "timestamp"})
SEARCH_PATH = "/api/3/action/datastore_search"
TEXT_COLLATION = "pt"  # ICU: "Câmara" sorts before "Campo", as in PostgreSQL under a pt/en locale
_BATCH = 10_000


class DatastoreError(InvalidInput):
    """A datastore query that cannot run as asked; the message names the parameter or field."""

    code = "datastore_error"


# --- one cached DuckDB per file -------------------------------------------------------------------------

@dataclass
class _Resource:
    path: Path
    signature: tuple[int, int]
    con: duckdb.DuckDBPyConnection
    fields: dict[str, str]  # user columns → CKAN type, in file order
    searchable: bool  # the file has the `_search` column
    rows: int
    # per sortable column, each row group's (first row, rows, min, max) from the Parquet footer
    groups: dict[str, list[tuple[int, int, Any, Any]]] = field(default_factory=dict)
    totals: OrderedDict[Any, int] = field(default_factory=OrderedDict)
    index: RowIndex | None = None  # big files only (rowindex.MIN_ROWS)
    lock: threading.Lock = field(default_factory=threading.Lock)


_cache: OrderedDict[str, _Resource] = OrderedDict()
_cache_lock = threading.Lock()


def _connect(memory_limit: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={"memory_limit": memory_limit, "temp_directory": "",
                                 "autoinstall_known_extensions": False, "autoload_known_extensions": False})
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    return con


def _lock_down(con: duckdb.DuckDBPyConnection, paths: Iterable[Path]) -> None:
    """Nothing but the given files may be read from now on, and no setting may change."""
    allowed = "[" + ", ".join(literal(str(p)) for p in paths) + "]"
    con.execute(f"SET allowed_paths = {allowed}")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def _describe(con: duckdb.DuckDBPyConnection, path: Path) -> list[tuple[str, str]]:
    try:
        rows = con.execute(f"DESCRIBE SELECT * FROM read_parquet({literal(str(path))})").fetchall()
    except duckdb.Error as exc:
        raise DatastoreError(f"The resource's data file cannot be read: {_first_line(exc)}") from exc
    return [(r[0], r[1]) for r in rows]


def _open(path: Path) -> _Resource:
    path = path.resolve()
    try:
        stat = path.stat()
    except OSError as exc:
        raise DatastoreError("The resource has no data in the datastore.", field="resource_id") from exc
    signature = (stat.st_mtime_ns, stat.st_size)
    key = str(path)
    with _cache_lock:
        res = _cache.get(key)
        if res is not None and res.signature == signature:
            _cache.move_to_end(key)
            return res
        if res is not None:  # the file was replaced; a query still running keeps the old one alive
            del _cache[key]
        con = _connect("1GB")
        try:
            con.execute("SET parquet_metadata_cache = true")
            described = _describe(con, path)
            con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet({literal(str(path))}, file_row_number = true)")
            rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
            _lock_down(con, [path])
        except BaseException:
            con.close()
            raise
        fields = {name: ckan_type(kind) for name, kind in described if not name.startswith("_")}
        res = _Resource(path, signature, con, fields, any(n == SEARCH_COLUMN for n, _ in described), rows,
                        _row_groups(path, [n for n, t in fields.items() if t in _ORDINAL]),
                        index=RowIndex.open(path, rows))
        _cache[key] = res
        while len(_cache) > CACHE_SIZE:  # not closed: a cursor in use keeps it; the last one frees it
            _cache.popitem(last=False)
        return res


def _row_groups(path: Path, columns: list[str]) -> dict[str, list[tuple[int, int, Any, Any]]]:
    """Min and max of each row group, per column, as the footer records them (nothing is read but it)."""
    meta = pq.ParquetFile(path).metadata
    index = {meta.schema.column(i).path: i for i in range(meta.num_columns)}
    out: dict[str, list[tuple[int, int, Any, Any]]] = {c: [] for c in columns if c in index}
    start = 0
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        for name, groups in out.items():
            stats = group.column(index[name]).statistics
            known = stats is not None and stats.has_min_max
            groups.append((start, group.num_rows, stats.min if known else None, stats.max if known else None))
        start += group.num_rows
    return out


def forget(path: Path) -> None:
    """Drop the cached database of a file about to be deleted (freed once no query uses it)."""
    with _cache_lock:
        _cache.pop(str(path.resolve()), None)


# --- datastore_search -----------------------------------------------------------------------------------

def search(path: Path, *, resource_id: str, filters: dict[str, Any] | None = None,
           q: str | dict[str, Any] | None = None, fields: list[str] | str | None = None,
           sort: str | list[str] | None = None, limit: int = 100, offset: int = 0,
           include_total: bool = True) -> dict[str, Any]:
    """CKAN's datastore_search: records as objects with `_id` first, the total, and paging links."""
    res = _open(path)
    limit, offset = _limit(limit), _offset(offset)
    columns = _fields(res, fields)
    where, params = _where(res, filters, q)
    keys = _order(res, sort)
    candidates = _indexed(res, filters, q, keys)
    order = _order_sql(res, keys)
    if not where and [k.name for k in keys] == ["_id"]:  # a range of row numbers, either way round
        order = "" if keys[0].direction == "ASC" else order
    select = ", ".join('file_row_number + 1 AS "_id"' if c == "_id" else quote(c) for c in columns)
    cur = res.con.cursor()
    try:
        if limit == 0:
            rows: list[tuple[Any, ...]] = []
        elif candidates is not None:
            rows = _fetch(cur, select, _indexed_page(res, candidates, keys, offset, limit))
        elif not where and (not order or order.startswith("file_row_number + 1 DESC")):
            # a page of the file, from its start or its end: a row-number range, one or two row groups
            lo, hi = ((offset, offset + limit) if not order else (max(res.rows - offset - limit, 0), res.rows - offset))
            rows = cur.execute(f"SELECT {select} FROM t WHERE file_row_number >= $lo AND file_row_number < $hi "
                               f"ORDER BY file_row_number {'DESC' if order else ''}", {"lo": lo, "hi": hi}).fetchall()
        elif not order and offset <= NARROW_OFFSET:  # file order: the scan stops once the page is full
            rows = cur.execute(f"SELECT {select} FROM t WHERE {where} ORDER BY file_row_number "
                               f"LIMIT {limit} OFFSET {offset}", params).fetchall()
        else:
            rows = _two_step(cur, select, *_seeded(res, cur, where, params, keys, offset + limit), order, limit,
                             offset)
        if not include_total:
            total = None
        elif candidates is not None:
            total = res.rows if candidates is ALL_ROWS else len(candidates)
        else:
            total = _total(res, cur, where, params)
    except duckdb.Error as exc:
        raise DatastoreError(f"The search failed: {_first_line(exc)}") from exc
    finally:
        cur.close()
    types = [("int" if c == "_id" else res.fields[c]) for c in columns]
    convert = [_converter(t) for t in types]
    records = [{c: f(v) for c, f, v in zip(columns, convert, row, strict=True)} for row in rows]
    result: dict[str, Any] = {
        "resource_id": resource_id, "fields": [{"id": c, "type": t} for c, t in zip(columns, types, strict=True)],
        "records": records, "limit": limit, "offset": offset, "records_format": "objects",
        "include_total": include_total,
        "_links": _links(resource_id, filters, q, fields, sort, limit, offset),
    }
    if include_total:
        result["total"], result["total_was_estimated"] = total, False
    for name, value in (("filters", filters), ("q", q), ("sort", sort)):
        if value:
            result[name] = value
    return result


def _seeded(res: _Resource, cur: duckdb.DuckDBPyConnection, where: str, params: dict[str, Any],
            keys: list[_Key], n: int) -> tuple[str, dict[str, Any]]:
    """A sort on a number or a date: the n-th value of one row group bounds the n-th value of the file, so
    `col >= bound` (descending) can be added without changing the answer, and DuckDB then skips nearly
    every row on the column's dictionary and min/max instead of feeding them to its top-n. The row group
    sampled is the one whose max (descending) or min (ascending) is the file's: on data in time order,
    the latest readings are found in the last row group alone."""
    if not keys or keys[0].name == "_id" or res.fields[keys[0].name] not in _ORDINAL or n > SEED_MAX_ROWS:
        return where, params
    col, desc = quote(keys[0].name), keys[0].direction == "DESC"
    lo, hi = _sample(res.groups.get(keys[0].name, []), desc)
    cond = f"file_row_number >= {lo} AND file_row_number < {hi} AND {col} IS NOT NULL"
    bound = cur.execute(f"SELECT {col} FROM t WHERE {cond}{f' AND ({where})' if where else ''} "
                        f"ORDER BY {col} {keys[0].direction} LIMIT 1 OFFSET {n - 1}", params).fetchone()
    if bound is None:  # fewer than n rows in the sample: no bound
        return where, params
    seed = f"({col} {'>=' if desc else '<='} $bound OR {col} IS NULL)"
    return (f"({where}) AND {seed}" if where else seed), {**params, "bound": bound[0]}


def _sample(groups: list[tuple[int, int, Any, Any]], desc: bool) -> tuple[int, int]:
    known = [g for g in groups if (g[3] if desc else g[2]) is not None]
    if not known:
        return 0, SEED_ROWS
    start, rows, _, _ = max(known, key=lambda g: g[3]) if desc else min(known, key=lambda g: g[2])
    return start, start + min(rows, SEED_ROWS)


def _two_step(cur: duckdb.DuckDBPyConnection, select: str, where: str, params: dict[str, Any],
              order: str, limit: int, offset: int) -> list[tuple[Any, ...]]:
    """Find the page's row numbers on the sort and filter columns alone, then read just those rows: a sorted
    page's rows are anywhere in the file, and a deep page would otherwise decode every column up to it."""
    cond = f"WHERE {where}" if where else ""
    keys = f"{order}, file_row_number" if order else "file_row_number"
    ids = [r[0] for r in cur.execute(f"SELECT file_row_number FROM t {cond} ORDER BY {keys} "
                                     f"LIMIT {limit} OFFSET {offset}", params).fetchall()]
    return _fetch(cur, select, ids)


def _fetch(cur: duckdb.DuckDBPyConnection, select: str, ids: list[int]) -> list[tuple[Any, ...]]:
    """The rows with these file row numbers, in this order."""
    if not ids:
        return []
    fetched = cur.execute(f"SELECT file_row_number, {select} FROM t WHERE file_row_number BETWEEN $lo AND $hi "
                          "AND file_row_number IN (SELECT unnest($ids))", {"ids": ids, "lo": min(ids), "hi": max(ids)}
                          ).fetchall()
    by_id = {row[0]: row[1:] for row in fetched}
    return [by_id[i] for i in ids]


# --- with the row index: sets of rows instead of scans ---------------------------------------------------

ALL_ROWS = BitMap()  # a marker: no filter and no q, every row is a candidate


def _indexed(res: _Resource, filters: dict[str, Any] | None, q: str | dict[str, Any] | None,
             keys: list[_Key]) -> BitMap | None:
    """The rows matching `filters` and `q` as a bitmap, when the row index can answer the query (equality
    and list filters on indexed columns, a text `q`, a sort on at most one indexed column); else None."""
    index = res.index
    if index is None or isinstance(q, dict) or len(keys) > 1 or (q and not index.has_words):
        return None
    if keys and keys[0].name != "_id" and not index.has_order(keys[0].name):
        return None
    sets = []
    for name, value in (filters or {}).items():
        if name == "_id" or isinstance(value, dict) or not index.has_values(name):
            return None
        values = [_coerce(v, res.fields[name], name) for v in (value if isinstance(value, list) else [value])]
        sets.append(index.equal(name, [v if v is None or isinstance(v, str) else str(v).lower() for v in values]))
    sets += [index.prefix(term) for term in set(normalise(q).split())] if q else []
    if not sets:  # every row: worth it only for a sort the file's order cannot give
        return ALL_ROWS if keys and keys[0].name != "_id" else None
    sets.sort(key=len)
    return BitMap.intersection(*sets) if len(sets) > 1 else sets[0]


def _indexed_page(res: _Resource, candidates: BitMap, keys: list[_Key], offset: int, limit: int) -> list[int]:
    """The page's row numbers: by rank in the candidates (file order), or walking the column's sort order."""
    assert res.index is not None
    end = offset + limit
    if offset >= (res.rows if candidates is ALL_ROWS else len(candidates)):  # past the last: nothing to walk
        return []
    if not keys or keys[0].name == "_id":
        size = len(candidates)
        lo, hi = min(offset, size), min(end, size)
        if keys and keys[0].direction == "DESC":
            lo, hi = size - hi, size - lo
            return list(reversed(candidates[lo:hi].to_array())) if hi > lo else []
        return list(candidates[lo:hi].to_array()) if hi > lo else []
    column, desc, nulls_first = keys[0].name, keys[0].direction == "DESC", keys[0].nulls == "FIRST"
    if candidates is not ALL_ROWS and len(candidates) * 4 < res.rows:  # few: sort them by rank
        return res.index.top(column, candidates, desc, nulls_first, end)[offset:end].tolist()
    found, count, walked = [], 0, 0
    for chunk in res.index.ordered(column, desc, nulls_first):  # many: the first come soon in the order
        if candidates is ALL_ROWS:
            hits = chunk
        elif walked > len(candidates) // 4:  # unless they lie deep in it
            return res.index.top(column, candidates, desc, nulls_first, end)[offset:end].tolist()
        else:  # the chunk's candidates, kept in the chunk's order
            common = candidates & BitMap(array.array("I", chunk.tobytes()))
            hits = chunk[np.isin(chunk, np.frombuffer(common.to_array(), dtype=np.uint32), assume_unique=True)]
        found.append(hits)
        count, walked = count + len(hits), walked + len(chunk)
        if count >= end:
            break
    return np.concatenate(found)[offset:end].tolist() if found else []


def _total(res: _Resource, cur: duckdb.DuckDBPyConnection, where: str, params: dict[str, Any]) -> int:
    if not where:
        return res.rows
    key = (where, tuple(sorted((k, repr(v)) for k, v in params.items())))
    with res.lock:
        if key in res.totals:
            res.totals.move_to_end(key)
            return res.totals[key]
    total = cur.execute(f"SELECT count(*) FROM t WHERE {where}", params).fetchone()[0]
    with res.lock:
        res.totals[key] = total
        while len(res.totals) > TOTALS_CACHED:
            res.totals.popitem(last=False)
    return total


# --- validation: every name checked against the file's columns, every value bound -----------------------

def _column(res: _Resource, name: Any, param: str, *, allow_id: bool = True) -> str:
    if not isinstance(name, str) or not (name in res.fields or (allow_id and name == "_id")):
        raise DatastoreError(f"{param}: the resource has no field {name!r}.", field=param,
                             details={"unknown_field": str(name)})
    return name


def _column_sql(name: str) -> str:
    return "file_row_number + 1" if name == "_id" else quote(name)


def _as_int(value: Any, param: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise DatastoreError(f"{param} must be a whole number.", field=param)
    try:
        return int(value)
    except ValueError as exc:
        raise DatastoreError(f"{param} must be a whole number, not {value!r}.", field=param) from exc


def _limit(value: Any) -> int:
    limit = _as_int(value, "limit")
    if limit < 0:
        raise DatastoreError("limit must be 0 or more.", field="limit")
    return min(limit, ROWS_MAX)  # as CKAN: a larger limit is capped, and the answer says so


def _offset(value: Any) -> int:
    offset = _as_int(value, "offset")
    if not 0 <= offset <= OFFSET_MAX:
        raise DatastoreError("offset must be 0 or more.", field="offset")
    return offset


def _fields(res: _Resource, fields: list[str] | str | None) -> list[str]:
    if isinstance(fields, str):
        fields = [f.strip() for f in fields.split(",") if f.strip()]
    if not fields:
        return ["_id", *res.fields]
    if not isinstance(fields, list):
        raise DatastoreError("fields must be a list of field names.", field="fields")
    return list(dict.fromkeys(_column(res, f, "fields") for f in fields))


def _where(res: _Resource, filters: dict[str, Any] | None,
           q: str | dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}

    def bind(value: Any) -> str:
        name = f"p{len(params)}"
        params[name] = value
        return f"${name}"

    if filters:
        if not isinstance(filters, dict):
            raise DatastoreError("filters must be an object: {\"field\": value or [values]}.", field="filters")
        for name, value in filters.items():
            col = _column(res, name, "filters")
            clauses.append(_filter(_column_sql(col), _type_of(res, col), col, value, bind))
    if isinstance(q, str):  # longest words first: likely the rarest, they leave the others fewer rows
        for term in sorted(set(normalise(q).split()), key=len, reverse=True):
            clauses.append(f"contains({_search_expr(res)}, {bind(' ' + term)})")
    elif isinstance(q, dict):
        for name, value in q.items():
            col = _column(res, name, "q")
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                raise DatastoreError(f"q: the search for {col!r} must be text.", field="q")
            for term in normalise(str(value)).split():
                p = bind(" " + term)
                if res.searchable and res.fields.get(col) == "text":  # narrows on dictionaries first
                    clauses.append(f"contains({SEARCH_COLUMN}, {p})")
                clauses.append(f"contains(' ' || {normalised_sql(f'CAST({_column_sql(col)} AS VARCHAR)')}, {p})")
    elif q is not None:
        raise DatastoreError("q must be text, or an object of field → text.", field="q")
    return " AND ".join(f"({c})" for c in clauses), params


def _search_expr(res: _Resource) -> str:
    if res.searchable:
        return SEARCH_COLUMN
    texts = [normalised_sql(quote(c)) for c, t in res.fields.items() if t == "text"]
    return f"(' ' || concat_ws(' ', {', '.join(texts)}))" if texts else "''"


def _type_of(res: _Resource, col: str) -> str:
    return "int" if col == "_id" else res.fields[col]


_OPS = {"eq": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def _filter(sql: str, kind: str, col: str, value: Any, bind: Callable[[Any], str]) -> str:
    """`field: value` is equality, `field: [values]` membership (CKAN); `field: {"gte": v, …}` a range."""
    if isinstance(value, list):
        if not value:
            return "false"
        values = [_coerce(v, kind, col) for v in value]
        known = [v for v in values if v is not None]
        parts = [f"{sql} IN ({', '.join(bind(v) for v in known)})"] if known else []
        if len(known) < len(values):
            parts.append(f"{sql} IS NULL")
        return " OR ".join(parts)
    if isinstance(value, dict):
        if not value or set(value) - {*_OPS, "in"}:
            raise DatastoreError(f"filters: {col!r} takes a value, a list, or an object of "
                                 f"{', '.join([*_OPS, 'in'])}.", field="filters")
        parts = []
        for op, operand in value.items():
            if op == "in" and not isinstance(operand, list):
                raise DatastoreError(f"filters: {col!r} \"in\" takes a list.", field="filters")
            parts.append(_filter(sql, kind, col, operand, bind) if op == "in"
                         else f"{sql} {_OPS[op]} {bind(_coerce(operand, kind, col, none=False))}")
        return " AND ".join(f"({p})" for p in parts)
    coerced = _coerce(value, kind, col)
    return f"{sql} IS NULL" if coerced is None else f"{sql} = {bind(coerced)}"


_TRUE = {"true", "t", "1", "yes", "y", "sim", "s"}
_FALSE = {"false", "f", "0", "no", "n", "não", "nao"}


def _coerce(value: Any, kind: str, col: str, *, none: bool = True) -> Any:
    """A filter value as the field's type, or an error naming the field (CKAN compares as the column's
    type: "10" finds 10 in an int field, 10 finds "10" in a text field)."""
    if value is None and none:
        return None
    if isinstance(value, dict | list) or value is None:
        raise DatastoreError(f"filters: {col!r} cannot be compared with {value!r}.", field="filters")
    try:
        if kind == "text":
            return value if isinstance(value, str) else json.dumps(value)
        if kind == "int":
            if isinstance(value, bool):
                raise ValueError
            number = decimal.Decimal(str(value).strip())
            if number != number.to_integral_value():
                raise ValueError
            return int(number)
        if kind == "numeric":
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
            if not math.isfinite(number):
                raise ValueError
            return number
        if kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE | _FALSE:
                return text in _TRUE
            raise ValueError
        if kind == "date":
            return value if isinstance(value, dt.date) and not isinstance(value, dt.datetime) \
                else dt.date.fromisoformat(str(value).strip())
        stamp = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value).strip())
        return stamp.astimezone(dt.UTC).replace(tzinfo=None) if stamp.tzinfo else stamp
    except (ValueError, ArithmeticError, TypeError) as exc:
        raise DatastoreError(f"filters: {value!r} is not a valid {kind} for the field {col!r}.", field="filters",
                             details={"field_name": col, "type": kind}) from exc


_SORT = re.compile(r'^\s*("(?:[^"]|"")+"|.+?)(?:\s+(asc|desc))?(?:\s+nulls\s+(first|last))?\s*$', re.I)


@dataclass(frozen=True)
class _Key:
    name: str
    direction: str  # ASC or DESC
    nulls: str  # FIRST or LAST


def _order(res: _Resource, sort: str | list[str] | None) -> list[_Key]:
    """CKAN's sort: "field", "field desc", "field asc nulls last", comma separated (or a list). As in
    PostgreSQL, descending puts empty values first unless told otherwise."""
    if not sort:
        return []
    if isinstance(sort, str):
        clauses = [c for c in re.split(r',(?=(?:[^"]*"[^"]*")*[^"]*$)', sort) if c.strip()]
    elif isinstance(sort, list) and all(isinstance(c, str) for c in sort):
        clauses = sort
    else:
        raise DatastoreError("sort must be text like \"field1 desc, field2\".", field="sort")
    out = []
    for clause in clauses:
        m = _SORT.match(clause)
        name = m.group(1) if m else clause.strip()
        if name.startswith('"') and name.endswith('"') and len(name) > 1:
            name = name[1:-1].replace('""', '"')
        if name not in res.fields and name != "_id":
            words = clause.strip().rsplit(None, 1)
            if len(words) == 2 and (words[0].strip('"') in res.fields or words[0] == "_id"):
                raise DatastoreError(f"sort: the direction of {words[0]!r} must be asc or desc, not {words[1]!r}.",
                                     field="sort")
            _column(res, name, "sort")
        direction = (m.group(2) or "asc").upper()
        out.append(_Key(name, direction, (m.group(3) or ("first" if direction == "DESC" else "last")).upper()))
    return out


def _order_sql(res: _Resource, keys: list[_Key]) -> str:
    """Text sorts by language rules (ICU), not bytes: "Câmara" before "Campo", as PostgreSQL would."""
    def one(k: _Key) -> str:
        collate = f" COLLATE {TEXT_COLLATION}" if k.name != "_id" and res.fields[k.name] == "text" else ""
        return f"{_column_sql(k.name)}{collate} {k.direction} NULLS {k.nulls}"
    return ", ".join(one(k) for k in keys)


def _links(resource_id: str, filters: Any, q: Any, fields: Any, sort: Any, limit: int, offset: int) -> dict[str, str]:
    params: dict[str, Any] = {"resource_id": resource_id}
    for name, value in (("filters", filters), ("q", q), ("fields", fields), ("sort", sort)):
        if value:
            params[name] = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if limit != 100:
        params["limit"] = limit
    start = f"{SEARCH_PATH}?{urllib.parse.urlencode(params)}"
    return {"start": start, "next": f"{SEARCH_PATH}?{urllib.parse.urlencode({**params, 'offset': offset + limit})}"}


# --- values as JSON ---------------------------------------------------------------------------------------

def _converter(kind: str) -> Callable[[Any], Any]:
    if kind in ("text", "int", "bool"):
        return lambda v: v
    return jsonable


def jsonable(value: Any) -> Any:
    """A DuckDB/Arrow value as plain JSON: ISO dates, finite floats, Decimals as numbers when exact."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            return None
        if value.as_tuple().exponent >= 0:  # HUGEINT sums and DECIMAL(p, 0) are whole numbers
            return int(value)
        return float(value) if len(value.as_tuple().digits) <= 15 else str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if all(hasattr(value, a) for a in ("months", "days", "nanoseconds")):  # an interval, as ISO 8601
        return f"P{value.months}M{value.days}DT{value.nanoseconds / 1e9:g}S"
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return str(value)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# --- downloads --------------------------------------------------------------------------------------------

def export(path: Path, fmt: str, out: BinaryIO | Path) -> None:
    """The whole resource (`_id` first, as CKAN's dump) as csv, json ({"fields", "records"} with records
    as lists, as CKAN's dump) or parquet, streamed in batches: memory stays flat whatever the size."""
    fmt = fmt.lower()
    if fmt not in ("csv", "json", "parquet"):
        raise DatastoreError(f"Downloads are csv, json or parquet, not {fmt!r}.", field="format")
    res = _open(path)
    if isinstance(out, Path):
        tmp = out.with_name(f".{out.name}.{os.getpid()}.{threading.get_ident()}.part")
        try:
            with tmp.open("wb") as fh:
                _export(res, fmt, fh)
            os.replace(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)
    else:
        _export(res, fmt, out)


def _export(res: _Resource, fmt: str, out: BinaryIO) -> None:
    def column(name: str, kind: str) -> str:  # CSV timestamps as the API shows them: 2024-01-02T10:30:00
        if fmt == "csv" and kind == "timestamp":
            return f"replace(CAST({quote(name)} AS VARCHAR), ' ', 'T') AS {quote(name)}"
        return quote(name)

    select = ", ".join(['file_row_number + 1 AS "_id"', *(column(c, k) for c, k in res.fields.items())])
    cur = res.con.cursor()
    try:
        reader = cur.sql(f"SELECT {select} FROM t ORDER BY file_row_number").to_arrow_reader(_BATCH)
        if fmt == "csv":
            with pacsv.CSVWriter(out, reader.schema) as writer:
                for batch in reader:
                    writer.write_batch(batch)
        elif fmt == "parquet":
            with pq.ParquetWriter(out, reader.schema, compression="zstd") as writer:
                for batch in reader:
                    writer.write_batch(batch)
        else:
            _export_json(res, reader, out)
    finally:
        cur.close()


def _export_json(res: _Resource, reader: pa.RecordBatchReader, out: BinaryIO) -> None:
    fields = [{"id": "_id", "type": "int"}, *({"id": c, "type": t} for c, t in res.fields.items())]
    out.write(b'{"fields": ' + json.dumps(fields, ensure_ascii=False).encode() + b', "records": [')
    first = True
    for batch in reader:
        for row in zip(*(col.to_pylist() for col in batch.columns), strict=True):
            out.write((b"\n" if first else b",\n") + json.dumps([jsonable(v) for v in row],
                                                                ensure_ascii=False).encode())
            first = False
    out.write(b"\n]}\n")


# --- datastore_search_sql -------------------------------------------------------------------------------

SQL_MAX_CHARS = 20_000
_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})
_DENIED = frozenset({"getenv", "current_setting", "set_config", "sql_auto_complete", "which_secret",
                     "current_query", "getvariable"})
_DENIED_PREFIXES = ("read_", "pragma_", "duckdb_", "parquet_", "glob", "sniff_", "query", "json_execute",
                    "__internal", "enable_", "disable_", "checkpoint", "force_checkpoint", "icu_", "test_")


def search_sql(sql: str, resolve: Callable[[str], Path | None], *, timeout_s: float = 5.0,
               max_rows: int = ROWS_MAX) -> dict[str, Any]:
    """CKAN's datastore_search_sql: one read-only SELECT whose tables are resource ids ("<uuid>").

    Defence in depth: DuckDB's own parse tree must be one SELECT naming only resources and no file,
    system or setting function; the query then runs in a fresh in-memory database holding one view per
    resource, with every other path unreadable and settings locked, stopped from outside after
    `timeout_s` and cut at `max_rows` rows (`records_truncated`, as CKAN)."""
    if not isinstance(sql, str) or not sql.strip():
        raise DatastoreError("sql must be one SELECT statement.", field="sql")
    if len(sql) > SQL_MAX_CHARS:
        raise DatastoreError(f"The SQL is longer than {SQL_MAX_CHARS:,} characters.", field="sql")
    con = _connect("1GB")
    try:
        paths: dict[str, Path] = {}
        for name in _check_sql(con, sql):
            found = resolve(name)
            if found is None:
                raise DatastoreError(f"Unknown resource {name!r}: tables are resource ids in double quotes, "
                                     'as in SELECT * FROM "<resource id>".', field="sql",
                                     details={"table": name})
            paths[name] = Path(found).resolve()
        for name, path in paths.items():
            cols = ['file_row_number + 1 AS "_id"',
                    *(quote(n) for n, _ in _describe(con, path) if not n.startswith("_"))]
            con.execute(f"CREATE VIEW {quote(name)} AS SELECT {', '.join(cols)} "
                        f"FROM read_parquet({literal(str(path))}, file_row_number = true)")
        _lock_down(con, paths.values())
        return _run(con, sql, timeout_s, max(0, max_rows))
    finally:
        con.close()


def _check_sql(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    """The tables a single SELECT reads, from DuckDB's parse tree; anything else is refused."""
    try:
        tree = json.loads(con.execute("SELECT json_serialize_sql($sql)", {"sql": sql}).fetchone()[0])
    except duckdb.Error as exc:
        raise DatastoreError(f"The SQL could not be read: {_first_line(exc)}", field="sql") from exc
    if tree.get("error"):
        message = str(tree.get("error_message", ""))
        if "Only SELECT" in message:
            raise DatastoreError("Only one SELECT statement is allowed: the datastore is read-only.", field="sql")
        raise DatastoreError(f"The SQL could not be read: {message}", field="sql")
    statements = tree.get("statements") or []
    if len(statements) != 1:
        raise DatastoreError("Only one SELECT statement is allowed: remove the other statements.", field="sql")
    tables: list[str] = []
    try:
        _walk(statements[0], frozenset(), tables)
    except RecursionError as exc:
        raise DatastoreError("The SQL is nested too deeply.", field="sql") from exc
    return list(dict.fromkeys(tables))


def _walk(node: Any, ctes: frozenset[str], tables: list[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, ctes, tables)
        return
    if not isinstance(node, dict):
        return
    entries = (node.get("cte_map") or {}).get("map") if isinstance(node.get("cte_map"), dict) else None
    if entries:
        ctes = ctes | {str(e.get("key", "")).lower() for e in entries}
    kind = node.get("type")
    if kind == "BASE_TABLE":
        name = str(node.get("table_name", ""))
        if node.get("schema_name") or node.get("catalog_name"):
            raise DatastoreError(f"Tables are resource ids, not {name!r} in a schema.", field="sql",
                                 details={"table": name})
        if name.lower() not in ctes:
            tables.append(name)
    elif kind == "TABLE_FUNCTION":
        name = str((node.get("function") or {}).get("function_name", "")).lower()
        if name not in _TABLE_FUNCTIONS:
            raise DatastoreError(f"The table function {name}() is not allowed: read resources by their id.",
                                 field="sql", details={"function": name})
    elif kind == "SHOW_REF":
        raise DatastoreError("Only one SELECT statement is allowed: DESCRIBE, SHOW and SUMMARIZE are not.",
                             field="sql")
    if "function_name" in node:
        name = str(node.get("function_name", "")).lower()
        if name in _DENIED or name.startswith(_DENIED_PREFIXES):
            raise DatastoreError(f"The function {name}() is not allowed in datastore SQL.", field="sql",
                                 details={"function": name})
    for value in node.values():
        if isinstance(value, dict | list):
            _walk(value, ctes, tables)


def _run(con: duckdb.DuckDBPyConnection, sql: str, timeout_s: float, max_rows: int) -> dict[str, Any]:
    guard = threading.Lock()
    state = {"done": False, "timed_out": False}

    def stop() -> None:
        with guard:
            if not state["done"]:
                state["timed_out"] = True
                con.interrupt()

    timer = threading.Timer(timeout_s, stop)
    timer.daemon = True
    timer.start()
    rows: list[tuple[Any, ...]] = []
    truncated = False
    try:
        rel = con.sql(sql)
        names, types = list(rel.columns), [str(t) for t in rel.types]
        for batch in rel.to_arrow_reader(min(max_rows + 1, 2048) or 1):
            rows.extend(zip(*(c.to_pylist() for c in batch.columns), strict=True))
            if len(rows) > max_rows:
                rows, truncated = rows[:max_rows], True
                break
    except duckdb.Error as exc:
        if state["timed_out"]:
            raise DatastoreError(f"Query took longer than {timeout_s:g} s and was stopped.", field="sql") from exc
        raise DatastoreError(f"The query failed: {_first_line(exc)}", field="sql") from exc
    finally:
        with guard:
            state["done"] = True
        timer.cancel()
    result: dict[str, Any] = {
        "sql": sql, "fields": [{"id": n, "type": ckan_type(t)} for n, t in zip(names, types, strict=True)],
        "records": [{n: jsonable(v) for n, v in zip(names, row, strict=True)} for row in rows],
    }
    if truncated:
        result["records_truncated"] = True
    return result
