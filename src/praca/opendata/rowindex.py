"""A big resource's row index: which rows hold a value, a word, or come first in a sort.

DuckDB answers any datastore query by scanning the Parquet file, which on ten million rows costs 50–200 ms
whenever a query cannot stop early: counting a `q` (the `_search` column is 1.5 GB once decoded), a
filtered total, a sort on a number whose top rows are spread over the whole file. Column stores built for
interactive queries (Apache Druid, Pinot) keep, beside the columns, roaring bitmaps of the rows holding each
value and sorted row orders; this is the same idea, built once at upload:

- `eq`: per text or boolean column with at most EQ_MAX_VALUES distinct values, the rows of each value;
- `null`: per indexed column, the rows where it is empty;
- `word`: per word of `_search`, the rows whose text has it (a `q` term matches every word it begins, as the
  scan's `contains(_search, ' ' || term)` does);
- `order`: per number, date or timestamp column, its non-empty rows sorted by (value, row) as uint32;
  `starts`, the positions where a new value begins (so a descending walk keeps rows of equal value in row
  order, as `ORDER BY value DESC, row` does); and `rank`, each row's value as its place among the
  column's distinct values (a filtered sort whose rows lie deep in the order sorts the candidates instead).

Counts and pages then come from set operations on bitmaps, and a sorted page from a walk along the order,
with the answers the scan gives (the datastore's tests compare the two on every kind of query).

The file is Arrow IPC (`<parquet>.index`), memory-mapped: orders are read in place, bitmaps (zstd,
compressed one by one) only when asked for. It records the Parquet file's size and row count and is
ignored unless both still match.
"""

from __future__ import annotations

import array
import bisect
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from pyroaring import BitMap

from praca.opendata.tabular import SEARCH_COLUMN, literal, quote

SUFFIX = ".index"
MIN_ROWS = 200_000  # below this a scan is a few milliseconds: no index
EQ_MAX_VALUES = 10_000
WORD_CHUNK_ROWS = 1 << 20
ORDINAL = ("int", "numeric", "date", "timestamp")
NULL_RANK = 2**32 - 1
_SCHEMA = pa.schema([("kind", pa.string()), ("column", pa.string()), ("key", pa.string()),
                     ("data", pa.large_binary())])
_CODEC = "zstd"


def path_for(parquet: Path) -> Path:
    return parquet.with_name(parquet.name + SUFFIX)


# --- building -----------------------------------------------------------------------------------------------

def build(con: duckdb.DuckDBPyConnection, parquet: Path, fields: dict[str, str], out: Path) -> None:
    """Write the index of `parquet` (user columns → CKAN type) to `out`; the caller renames it into place."""
    source = f"read_parquet({literal(str(parquet))}, file_row_number = true)"
    rows = con.execute(f"SELECT count(*) FROM {source}").fetchall()[0][0]
    entries: list[tuple[str, str, str | None, bytes]] = []
    small = [c for c, t in fields.items() if t in ("text", "bool")]
    if small:
        counted = con.execute("SELECT " + ", ".join(f"approx_count_distinct({quote(c)})" for c in small)
                              + f" FROM {source}").fetchall()[0]
        for column, distinct in zip(small, counted, strict=True):
            if distinct <= EQ_MAX_VALUES:
                entries += _values(con, source, column)
    for column, kind in fields.items():
        if kind in ORDINAL:
            entries += _order(con, source, column, rows)
    searchable = con.execute(f"SELECT count(*) FROM (DESCRIBE SELECT * FROM {source}) "
                             f"WHERE column_name = {literal(SEARCH_COLUMN)}").fetchall()[0][0]
    if searchable:
        entries += [("words", SEARCH_COLUMN, None, b""), *_words(con, source, rows)]
    entries.sort(key=lambda e: (e[0], e[1], e[2] or ""))
    table = pa.table(list(zip(*entries, strict=True)) if entries else [[], [], [], []], schema=_SCHEMA)
    meta = {"rows": str(rows), "parquet_bytes": str(parquet.stat().st_size)}
    with pa.OSFile(str(out), "wb") as sink, pa.ipc.new_file(sink, table.schema.with_metadata(meta)) as writer:
        writer.write_table(table, max_chunksize=1024)


def _bitmap(rows: np.ndarray) -> bytes:
    return _packed(BitMap(array.array("I", rows.astype(np.uint32, copy=False).tobytes())))


def _packed(bitmap: BitMap) -> bytes:
    """A bitmap serialised (the portable roaring format), compressed, its raw size in front."""
    bitmap.run_optimize()
    raw = bitmap.serialize()
    return struct.pack("<Q", len(raw)) + pa.compress(raw, codec=_CODEC, asbytes=True)


def _unpacked(blob: pa.Buffer) -> BitMap:
    size = struct.unpack("<Q", blob[:8].to_pybytes())[0]
    return BitMap.deserialize(pa.decompress(blob[8:], decompressed_size=size, codec=_CODEC, asbytes=True))


def _grouped(con: duckdb.DuckDBPyConnection, sql: str) -> Iterator[tuple[Any, np.ndarray]]:
    """(key, rows) from a query of `key, list(row)`, the rows as one numpy array sliced per key."""
    for batch in con.sql(sql).to_arrow_reader(1 << 16):
        keys, lists = batch.column(0).to_pylist(), batch.column(1)
        values = lists.values.to_numpy(zero_copy_only=False)
        offsets = lists.offsets.to_numpy() - lists.offsets[0].as_py()
        for i, key in enumerate(keys):
            yield key, values[offsets[i]:offsets[i + 1]]


def _values(con: duckdb.DuckDBPyConnection, source: str, column: str) -> list[tuple[str, str, str | None, bytes]]:
    col = quote(column)
    sql = (f"SELECT CAST({col} AS VARCHAR), list(CAST(file_row_number AS UINTEGER)) FROM {source} GROUP BY 1")
    entries = [("null" if key is None else "eq", column, key, _bitmap(rows)) for key, rows in _grouped(con, sql)]
    return [("values", column, None, b""), *entries]  # the column's values are indexed, even if all empty


def _order(con: duckdb.DuckDBPyConnection, source: str, column: str, rows: int
           ) -> list[tuple[str, str, str | None, bytes]]:
    col = quote(column)
    table = con.sql(f"""SELECT CAST(file_row_number AS UINTEGER) AS r,
                               {col} IS DISTINCT FROM lag({col}) OVER (ORDER BY {col}, file_row_number) AS s
                        FROM {source} WHERE {col} IS NOT NULL ORDER BY {col}, file_row_number""").to_arrow_table()
    order = table.column("r").to_numpy().astype(np.uint32, copy=False)
    starts = np.flatnonzero(table.column("s").to_numpy(zero_copy_only=False))
    nulls = con.sql(f"SELECT CAST(file_row_number AS UINTEGER) FROM {source} WHERE {col} IS NULL").to_arrow_table()
    first = np.zeros(len(order), dtype=np.uint32)
    first[starts] = 1
    rank = np.full(rows, NULL_RANK, dtype=np.uint32)  # each row's value as its place among the values
    rank[order] = np.cumsum(first, dtype=np.uint32) - 1
    return [("order", column, None, order.tobytes()), ("starts", column, None, _bitmap(starts)),
            ("rank", column, None, rank.tobytes()),
            ("null", column, None, _bitmap(nulls.column(0).to_numpy(zero_copy_only=False)))]


def _words(con: duckdb.DuckDBPyConnection, source: str, rows: int) -> list[tuple[str, str, str | None, bytes]]:
    """Each word's rows, a million rows at a time: the chunk's distinct texts are split once each."""
    found: dict[str, BitMap] = {}
    for start in range(0, rows, WORD_CHUNK_ROWS):
        sql = f"""WITH texts AS (SELECT {SEARCH_COLUMN} AS text, list(CAST(file_row_number AS UINTEGER)) AS r
                                 FROM {source} WHERE file_row_number >= {start}
                                   AND file_row_number < {start + WORD_CHUNK_ROWS} GROUP BY 1),
                       words AS (SELECT unnest(string_split(text, ' ')) AS word, r FROM texts)
                  SELECT word, flatten(list(r)) FROM words WHERE word <> '' GROUP BY 1"""
        for word, ids in _grouped(con, sql):
            chunk = BitMap(array.array("I", ids.astype(np.uint32, copy=False).tobytes()))
            if word in found:
                found[word] |= chunk
            else:
                found[word] = chunk
    return [("word", SEARCH_COLUMN, word, _packed(bitmap)) for word, bitmap in found.items()]


# --- reading ------------------------------------------------------------------------------------------------

@dataclass
class RowIndex:
    """An open index: lookups return bitmaps of row numbers (0-based: the Parquet file row number)."""

    rows: int
    _data: pa.ChunkedArray
    _at: dict[tuple[str, str, str | None], int]
    _words: list[str]  # sorted, for prefix ranges
    _word_at: list[int]
    _has_words: bool
    _starts: list[int] = field(default_factory=list)  # first entry of each chunk of `_data`

    def __post_init__(self) -> None:
        self._starts = [0]
        for chunk in self._data.chunks[:-1]:
            self._starts.append(self._starts[-1] + len(chunk))

    @classmethod
    def open(cls, parquet: Path, rows: int) -> RowIndex | None:
        """The index of `parquet`, or None when there is none or it was built for another file."""
        path = path_for(parquet)
        try:
            reader = pa.ipc.open_file(pa.memory_map(str(path)))
        except (OSError, pa.ArrowInvalid):
            return None
        meta = {k.decode(): v.decode() for k, v in (reader.schema.metadata or {}).items()}
        if meta.get("rows") != str(rows) or meta.get("parquet_bytes") != str(parquet.stat().st_size):
            return None
        table = reader.read_all()
        kinds, columns, keys = (table.column(n).to_pylist() for n in ("kind", "column", "key"))
        at = {(k, c, key): i for i, (k, c, key) in enumerate(zip(kinds, columns, keys, strict=True))}
        words = [(key, i) for i, (k, key) in enumerate(zip(kinds, keys, strict=True)) if k == "word"]
        return cls(rows, table.column("data"), at, [w for w, _ in words], [i for _, i in words],
                   ("words", SEARCH_COLUMN, None) in at)

    def _blob(self, i: int) -> pa.Buffer:
        """Entry i's bytes, in place in the mapped file (a scalar's as_buffer() would copy them)."""
        chunk = bisect.bisect_right(self._starts, i) - 1
        array = self._data.chunk(chunk)
        j = array.offset + i - self._starts[chunk]
        _, offsets, data = array.buffers()
        lo, hi = struct.unpack_from("<qq", offsets, 8 * j)
        return data.slice(lo, hi - lo)

    def _bitmap(self, i: int) -> BitMap:
        return _unpacked(self._blob(i))

    def has_values(self, column: str) -> bool:
        return ("values", column, None) in self._at

    def equal(self, column: str, values: list[str | None]) -> BitMap | None:
        """Rows where `column` is one of `values` (None: empty), or None when the column has no value index."""
        if not self.has_values(column):
            return None
        out = BitMap()
        for value in values:
            i = self._at.get(("null", column, None) if value is None else ("eq", column, value))
            if i is not None:
                out |= self._bitmap(i)
        return out

    @property
    def has_words(self) -> bool:
        return self._has_words

    def prefix(self, term: str) -> BitMap:
        """Rows with a word that begins with `term`."""
        lo = bisect.bisect_left(self._words, term)
        hi = bisect.bisect_left(self._words, term + "\U0010ffff", lo)
        return BitMap.union(BitMap(), *(self._bitmap(self._word_at[j]) for j in range(lo, hi)))

    def has_order(self, column: str) -> bool:
        return ("order", column, None) in self._at

    def top(self, column: str, candidates: BitMap, descending: bool, nulls_first: bool, n: int) -> np.ndarray:
        """The first n of `candidates` in `ORDER BY column [DESC] NULLS FIRST|LAST, row` order, by their ranks:
        the work grows with the candidates, not with how deep in the order they lie."""
        rows = np.frombuffer(candidates.to_array(), dtype=np.uint32)
        rank = np.frombuffer(self._blob(self._at[("rank", column, None)]), dtype=np.uint32)[rows]
        empty = rank == NULL_RANK
        if descending:  # empty stays the greatest
            rank = np.where(empty, rank, NULL_RANK - 1 - rank)
        if nulls_first:  # empty becomes the least
            rank = rank + np.uint32(1)
        if n < len(rank):  # the n least ranks; of the n-th's ties, the first rows (`rows` is in row order)
            bound = np.partition(rank, n - 1)[n - 1]
            keep = rank < bound
            keep[np.flatnonzero(rank == bound)[:n - int(keep.sum())]] = True
            rows, rank = rows[keep], rank[keep]
        return rows[np.argsort(rank, kind="stable")]

    def ordered(self, column: str, descending: bool, nulls_first: bool) -> Iterator[np.ndarray]:
        """The rows in `ORDER BY column [DESC] NULLS FIRST|LAST, row` order, a chunk at a time."""
        nulls = self._bitmap(self._at[("null", column, None)])
        empty = np.frombuffer(nulls.to_array(), dtype=np.uint32)
        if nulls_first and len(empty):
            yield empty
        order = np.frombuffer(self._blob(self._at[("order", column, None)]), dtype=np.uint32)
        if descending:
            yield from _descending(order, self._bitmap(self._at[("starts", column, None)]))
        else:
            size = 1 << 14
            for lo in range(0, len(order), size):
                yield order[lo:lo + size]
                size = min(size * 2, 1 << 20)
        if not nulls_first and len(empty):
            yield empty


def _descending(order: np.ndarray, starts: BitMap) -> Iterator[np.ndarray]:
    """`order` read from its end, the rows of one value kept in row order: whole values at a time."""
    end, size = len(order), 1 << 14
    while end > 0:
        lo = max(end - size, 0)
        lo = starts[starts.rank(lo) - 1] if lo else 0  # back to the first row of that value
        first = np.frombuffer(starts[starts.rank(lo - 1) if lo else 0:starts.rank(end - 1)].to_array(),
                              dtype=np.uint32).astype(np.int64) - lo  # each value's first place in order[lo:end]
        lengths = np.diff(np.append(first, end - lo))
        first, lengths = first[::-1], lengths[::-1]  # the values from the greatest
        placed = np.cumsum(lengths) - lengths
        yield order[lo:end][np.repeat(first - placed, lengths) + np.arange(end - lo)]
        end, size = lo, min(size * 2, 1 << 20)
