"""What the dataset page reads from a resource's Parquet: its columns, a page of rows, a chart of one column,
map points.

The page reads the file itself rather than through the datastore module, so it depends only on the file's
layout (tabular.py: the publisher's columns in file order, `_`-prefixed columns the datastore's own, CKAN's
`_id` the row's number in the file). Each read runs in a fresh in-memory DuckDB that may read this one
file and nothing else (`allowed_paths`, external access off, no extension autoloading, configuration
locked), so it can write nothing anywhere, and it is interrupted after a few seconds. Column names come
from the file's own schema and are quoted, never taken raw from the request.
"""
# ruff: noqa: S608 -- SQL is composed from quoted column names of the file's own schema and constants;
# values reach it only as bound parameters, the file's path as a quoted literal.

from __future__ import annotations

import json
import math
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from praca.core.errors import InvalidInput

N_ = str  # marks a message for extraction; translated where it is shown
TIMEOUT_S = 5.0
TOP = 10  # a text column's chart: its most frequent values
CATEGORIES = 15  # a number by category: the categories with most rows
MAX_BUCKETS = 40  # a number over time: at most this many periods
MAX_POINTS = 3000  # the map: at most this many points
POPUP_COLUMNS = 4  # the map: columns shown in a point's popup besides its label
GEOMETRY = "geometry"  # a GeoJSON upload's shapes, as GeoJSON text (tabular.py)
MAX_SHAPE_CHARS = 20_000  # a larger shape is drawn as its point
GEOMETRY_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")

NUMBER, TIME, TEXT, OTHER = "number", "time", "text", "other"
_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
            "UHUGEINT", "FLOAT", "DOUBLE", "REAL")
_INTEGER = _NUMERIC[:10]
LAT_NAMES = ("lat", "latitude", "latitud", "y_lat")
LON_NAMES = ("lon", "lng", "long", "longitude", "longitud", "x_lon")


@dataclass(frozen=True)
class Column:
    id: str
    type: str  # DuckDB's type name
    kind: str  # number | time | text | other

    @property
    def integer(self) -> bool:
        return self.type in _INTEGER


def _kind(duck_type: str) -> str:
    if duck_type in _NUMERIC or duck_type.startswith("DECIMAL"):
        return NUMBER
    if duck_type in ("DATE",) or duck_type.startswith("TIMESTAMP"):
        return TIME
    if duck_type in ("VARCHAR", "BOOLEAN", "UUID", "ENUM") or duck_type.startswith("ENUM"):
        return TEXT
    return OTHER


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(path: Path) -> str:
    """A path as an SQL string literal (SET and views take no bound parameters)."""
    return "'" + str(path).replace("'", "''") + "'"


ROW_NUMBER = "file_row_number"  # DuckDB's row number within the file: CKAN's `_id` minus one


@contextmanager
def _reader(path: Path, too_long: str = N_("This chart took too long to compute.")) -> Iterator[
        duckdb.DuckDBPyConnection]:
    """A DuckDB that can read `path` (as the view `t`) and nothing else, for at most TIMEOUT_S seconds."""
    con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False,
                                             "autoload_known_extensions": False, "threads": 2})
    timer = threading.Timer(TIMEOUT_S, con.interrupt)
    try:
        con.execute("SET TimeZone = 'Europe/Lisbon'")
        con.execute(f"SET allowed_paths = [{_literal(path)}]")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        con.execute(f"CREATE TEMP VIEW t AS SELECT * FROM read_parquet({_literal(path)})")
        timer.start()
        yield con
    except duckdb.InterruptException:
        raise InvalidInput(too_long, field="column") from None
    except duckdb.Error as exc:  # a file gone or damaged since its upload: say so, not a server error
        raise InvalidInput(N_("This table cannot be read at the moment."), field="resource_id",
                           details={"reason": type(exc).__name__}) from None
    finally:
        timer.cancel()
        con.close()


def columns(path: Path) -> list[Column]:
    """The file's columns in order, with the kind of chart each allows; the datastore's own columns
    (named with a leading "_", like `_search`) are not the publisher's data and are left out."""
    with _reader(path) as con:
        rows = con.execute("DESCRIBE SELECT * FROM t").fetchall()
    return [Column(name, kind=_kind(str(t)), type=str(t)) for name, t, *_ in rows if not name.startswith("_")]


def column(cols: list[Column], name: str | None) -> Column:
    found = next((c for c in cols if c.id == name), None)
    if found is None:
        raise InvalidInput(N_("Choose a column of this resource."), field="column")
    return found


# --- the preview table --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rows:
    page: int  # 1-based; a page past the end is the last one
    pages: int
    total: int
    first: int  # the row number (CKAN's `_id`) of the first record
    records: list[tuple[Any, ...]]  # values in the order of the columns asked for


def table_page(path: Path, cols: list[Column], *, page: int, size: int) -> Rows:
    """One page of rows in file order. The page is a range of row numbers, which DuckDB answers from
    the row groups that hold it, so the last page of ten million rows is as quick as the first; the
    total comes from the file's footer."""
    select = ", ".join(quote(c.id) for c in cols) or "NULL"
    with _reader(path, N_("This table took too long to read.")) as con:
        total = int(con.execute("SELECT count(*) FROM t").fetchone()[0])
        pages = max(1, -(-total // size))
        page = min(max(page, 1), pages)
        low = (page - 1) * size
        if any(c.id == ROW_NUMBER for c in cols):  # the publisher's own column shadows DuckDB's number
            records = con.execute(f"SELECT {select} FROM t LIMIT {size} OFFSET {low}").fetchall()
        else:
            numbered = f"read_parquet({_literal(path)}, file_row_number = true)"
            records = con.execute(f"SELECT {select} FROM {numbered} WHERE {ROW_NUMBER} >= $low AND "
                                  f"{ROW_NUMBER} < $high ORDER BY {ROW_NUMBER}",
                                  {"low": low, "high": low + size}).fetchall()
    return Rows(page=page, pages=pages, total=total, first=low + 1, records=records)


# --- charts -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Bar:
    key: Any  # (low, high) for a histogram bin, a date/datetime for a period, else a value (None: empty)
    value: float  # rows, or the mean of the numeric column
    rows: int


@dataclass
class Chart:
    column: Column
    kind: str  # histogram | values | top | by_category | by_time
    bars: list[Bar]
    by: Column | None = None
    unit: str | None = None  # by_time: hour | day | week | month | year
    total: int = 0  # rows with a value in the charted column(s)
    missing: int = 0  # rows without
    others: int = 0  # top / by_category: rows in values not shown
    extra: dict[str, Any] = field(default_factory=dict)


def chart(path: Path, column_name: str | None, by_name: str | None = None) -> Chart:
    """A number's distribution, or its mean by a category or over time; a date's rows per period;
    any other column's most frequent values."""
    cols = columns(path)
    col = column(cols, column_name)
    by = column(cols, by_name) if by_name else None
    if col.kind == OTHER:
        raise InvalidInput(N_("This column cannot be charted: choose another."), field="column")
    if col.kind == NUMBER and by is not None and by.id != col.id and by.kind in (TEXT, TIME, NUMBER):
        return _by_time(path, col, by) if by.kind == TIME else _by_category(path, col, by)
    if col.kind == NUMBER:
        return _histogram(path, col)
    if col.kind == TIME:
        return _by_time(path, None, col)
    return _top(path, col)


def _counts(con: duckdb.DuckDBPyConnection, where: str) -> tuple[int, int]:
    total, present = con.execute(f"SELECT count(*), count(*) FILTER (WHERE {where}) FROM t").fetchone()
    return int(present), int(total - present)


def _top(path: Path, col: Column) -> Chart:
    c = quote(col.id)
    with _reader(path) as con:
        present, missing = _counts(con, f"{c} IS NOT NULL AND trim({c}::VARCHAR) <> ''")
        rows = con.execute(f"SELECT {c}::VARCHAR AS k, count(*) AS n FROM t WHERE {c} IS NOT NULL "
                           f"AND trim({c}::VARCHAR) <> '' GROUP BY k ORDER BY n DESC, k LIMIT {TOP}").fetchall()
    bars = [Bar(k, n, n) for k, n in rows]
    return Chart(col, "top", bars, total=present, missing=missing, others=present - sum(b.rows for b in bars))


def nice_step(span: float, bins: int = 10) -> float:
    """A round bin width (1, 2 or 5 times a power of ten) giving at most about `bins` bins."""
    if span <= 0:
        return 1.0
    raw = span / bins
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _histogram(path: Path, col: Column) -> Chart:
    c = quote(col.id)
    x = f"{c}::DOUBLE"
    valid = f"{c} IS NOT NULL AND isfinite({x})"
    with _reader(path) as con:  # one pass for the counts and the range, one for the bars
        rows_in_file, present, low, high = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {valid}), min({x}) FILTER (WHERE {valid}), "
            f"max({x}) FILTER (WHERE {valid}) FROM t").fetchone()
        present, missing = int(present), int(rows_in_file - present)
        if not present:
            return Chart(col, "histogram", [], missing=missing)
        # Whole numbers within twelve consecutive values (a level, a year) get a bar each; others are binned.
        if (col.integer and high - low < 12) or low == high:
            rows = con.execute(f"SELECT {x} AS k, count(*) FROM t WHERE {valid} GROUP BY k ORDER BY k").fetchall()
            return Chart(col, "values", [Bar(k, n, n) for k, n in rows], total=present, missing=missing)
        step = nice_step(high - low)
        if col.integer:
            step = max(1.0, math.ceil(step))
        start = math.floor(low / step) * step
        n_bins = max(1, math.ceil((high - start) / step + 1e-9))
        if start + n_bins * step <= high:
            n_bins += 1  # the maximum opens a bin of its own only when it falls on an edge
        rows = dict(con.execute(
            f"SELECT least(floor(({x} - $start) / $step), $last)::BIGINT AS b, count(*) FROM t WHERE {valid} "
            "GROUP BY b", {"start": start, "step": step, "last": n_bins - 1}).fetchall())
    bars = [Bar((_clean(start + i * step), _clean(start + (i + 1) * step)), rows.get(i, 0), rows.get(i, 0))
            for i in range(n_bins)]
    return Chart(col, "histogram", bars, total=present, missing=missing)


def _clean(value: float) -> float:
    """Bin edges without binary noise (0.30000000000000004 → 0.3)."""
    return float(f"{value:.12g}")


def _by_category(path: Path, col: Column, by: Column) -> Chart:
    c, b = quote(col.id), quote(by.id)
    valid = f"{c} IS NOT NULL AND isfinite({c}::DOUBLE) AND {b} IS NOT NULL"
    with _reader(path) as con:
        present, missing = _counts(con, valid)
        rows = con.execute(f"SELECT {b}::VARCHAR AS k, avg({c}::DOUBLE), count(*) AS n FROM t WHERE {valid} "
                           f"GROUP BY k ORDER BY n DESC, k LIMIT {CATEGORIES}").fetchall()
    bars = sorted((Bar(k, v, n) for k, v, n in rows), key=lambda bar: (-bar.value, str(bar.key)))
    return Chart(col, "by_category", bars, by=by, total=present, missing=missing,
                 others=present - sum(bar.rows for bar in bars))


_UNITS = (("hour", 3600), ("day", 86400), ("week", 7 * 86400), ("month", 31 * 86400), ("year", 366 * 86400))


def _by_time(path: Path, col: Column | None, by: Column) -> Chart:
    """The mean of `col` per period of `by`, or (no `col`) the number of rows per period."""
    # Instants are shown in the city's time: a TIMESTAMPTZ becomes Lisbon wall time before truncation.
    b = quote(by.id) + ("::TIMESTAMP" if by.type.startswith("TIMESTAMP WITH") else "")
    value = f"avg({quote(col.id)}::DOUBLE)" if col else "count(*)"
    valid = f"{b} IS NOT NULL" + (f" AND {quote(col.id)} IS NOT NULL AND isfinite({quote(col.id)}::DOUBLE)"
                                 if col else "")
    with _reader(path) as con:
        present, missing = _counts(con, valid)
        if not present:
            return Chart(col or by, "by_time", [], by=by, unit="day", missing=missing)
        first, last = con.execute(f"SELECT min({b}), max({b}) FROM t WHERE {valid}").fetchone()
        unit = _unit(first, last, dated=by.type == "DATE")
        truncated = f"date_trunc('{unit}', {b})" + ("::DATE" if unit != "hour" else "")
        rows = con.execute(f"SELECT {truncated} AS k, {value}, count(*) FROM t WHERE {valid} GROUP BY k ORDER BY k"
                           ).fetchall()
    return Chart(col or by, "by_time" if col else "count_by_time", [Bar(k, v, n) for k, v, n in rows], by=by,
                 unit=unit, total=present, missing=missing)


def _unit(first: date | datetime, last: date | datetime, *, dated: bool) -> str:
    """The finest period that keeps the chart within MAX_BUCKETS bars."""
    if isinstance(first, datetime) and isinstance(last, datetime):
        seconds = (last - first).total_seconds()
    else:
        seconds = (last - first).days * 86400
    for unit, length in _UNITS[1 if dated else 0:]:
        if seconds / length < MAX_BUCKETS:
            return unit
    return "year"


# --- the map ------------------------------------------------------------------------------------------------

def _plain(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).strip().lower()


@dataclass(frozen=True)
class Coordinates:
    lat: Column
    lon: Column


def coordinates(cols: list[Column]) -> Coordinates | None:
    """The latitude and longitude columns, when the resource has numeric ones by a usual name."""
    numeric = [c for c in cols if c.kind == NUMBER]
    lat = next((c for c in numeric if _plain(c.id) in LAT_NAMES), None)
    lon = next((c for c in numeric if _plain(c.id) in LON_NAMES), None)
    return Coordinates(lat, lon) if lat and lon else None


def points(path: Path, where: Coordinates, cols: list[Column]) -> dict[str, Any]:
    """Up to MAX_POINTS rows as GeoJSON features, each with a label and a few columns for its popup.

    A GeoJSON upload keeps each feature's shape in a `geometry` text column (tabular.py): that shape is
    drawn when it is small enough; otherwise, and for plain tables, the row's point."""
    lat, lon = quote(where.lat.id), quote(where.lon.id)
    shape = next((c for c in cols if c.id == GEOMETRY and c.type == "VARCHAR"), None)
    skip = {where.lat.id, where.lon.id, GEOMETRY}
    shown = [c for c in cols if c.id not in skip and c.kind != OTHER][:POPUP_COLUMNS + 1]
    label = next((c for c in shown if c.kind == TEXT), None)
    select = "".join(f", {quote(c.id)}::VARCHAR" for c in shown)
    shape_select = f", {quote(shape.id)}" if shape else ", NULL"
    valid = f"{lat}::DOUBLE BETWEEN -90 AND 90 AND {lon}::DOUBLE BETWEEN -180 AND 180"
    with _reader(path) as con:
        total = con.execute(f"SELECT count(*) FROM t WHERE {valid}").fetchone()[0]
        rows = con.execute(f"SELECT {lat}::DOUBLE, {lon}::DOUBLE{shape_select}{select} FROM t "
                           f"WHERE {valid} LIMIT {MAX_POINTS}").fetchall()
    features = []
    for row in rows:
        values = dict(zip((c.id for c in shown), row[3:], strict=True))
        features.append({"type": "Feature", "geometry": _geometry(row[2]) or {"type": "Point",
                                                                               "coordinates": [row[1], row[0]]},
                         "properties": {"label": values.get(label.id) if label else None,
                                        "fields": [[k, v] for k, v in values.items() if k != (label and label.id)]}})
    return {"type": "FeatureCollection", "features": features, "total": int(total), "shown": len(features)}


def _geometry(text: str | None) -> dict[str, Any] | None:
    """A feature's GeoJSON geometry, when it is one and small; None otherwise."""
    if not text or len(text) > MAX_SHAPE_CHARS:
        return None
    try:
        geometry = json.loads(text)
    except ValueError:
        return None
    if not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRY_TYPES:
        return None
    return geometry


# --- an example filter for the API examples -----------------------------------------------------------------

def example_filter(path: Path, cols: list[Column]) -> tuple[str, Any] | None:
    """A real (column, value) of this resource: the most frequent value of its first text column,
    so the example `filters` returns rows."""
    col = next((c for c in cols if c.kind == TEXT and c.type == "VARCHAR" and c.id != GEOMETRY), None)
    if col is None:
        col = next((c for c in cols if c.kind == NUMBER and c.integer), None)
    if col is None:
        return None
    c = quote(col.id)
    with _reader(path) as con:
        row = con.execute(f"SELECT {c} FROM t WHERE {c} IS NOT NULL GROUP BY {c} ORDER BY count(*) DESC, {c} "
                          "LIMIT 1").fetchone()
    return (col.id, row[0]) if row else None
