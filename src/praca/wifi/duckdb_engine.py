"""The default engine: DuckDB in-process, streaming the log file, spilling to the data dir when short of
memory. It reads files and runs `steps`; it knows nothing of keys' lifecycle, the ledger or the audit.
"""

from __future__ import annotations

import bisect
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from praca.wifi import pseudonym, steps
from praca.wifi.mapping import ColumnMap, resolve

EXAMPLES_PER_REASON = 20
ROW_GROUP = 122_880  # rows per row group of a session file, DuckDB's own: a reader's unit of parallel work

# DuckDB's names for a CSV line it could not parse, mapped to the report's codes.
_PARSE_ERRORS = {"INVALID ENCODING": "wrong_encoding", "INVALID UNICODE": "wrong_encoding",
                 "MISSING COLUMNS": "wrong_column_count", "TOO MANY COLUMNS": "wrong_column_count"}


class FileUnreadable(Exception):
    """The file as a whole cannot be read (not CSV or Parquet, truncated Parquet, no usable columns)."""


@dataclass
class StageReport:
    rows_read: int = 0
    rows_valid: int = 0
    # reason → {"count": n, "lines": [first line numbers]}; "lines" are file lines for CSV, rows for Parquet
    rejected: dict[str, dict[str, Any]] = field(default_factory=dict)
    periods: dict[datetime, int] = field(default_factory=dict)
    first_start: datetime | None = None
    last_start: datetime | None = None

    @property
    def rows_rejected(self) -> int:
        return sum(r["count"] for r in self.rejected.values())


class DuckDBEngine:
    dialect = steps.DUCKDB

    def __init__(self, *, threads: int = 2, memory_limit: str = "3GB", temp_dir: Path | None = None) -> None:
        self.threads = threads
        self.con = duckdb.connect(config={"threads": threads, "memory_limit": memory_limit,
                                          "autoinstall_known_extensions": False,
                                          "autoload_known_extensions": False})
        self.con.execute("SET enable_progress_bar = false")  # a slow query would draw one on stdout
        self.con.execute("SET TimeZone = 'UTC'")
        if temp_dir is not None:
            temp_dir.mkdir(parents=True, exist_ok=True)
            self.con.execute("SET temp_directory = $d", {"d": str(temp_dir)})

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> DuckDBEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reading ---------------------------------------------------------------------------------------

    def _table(self, name: str, table: pa.Table) -> None:
        self.con.register(f"{name}_arrow", table)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
        self.con.unregister(f"{name}_arrow")

    def _open_raw(self, path: Path, fmt: str, overrides: dict[str, Any]) -> ColumnMap:
        """Create the `raw` view: canonical columns, timestamps parsed to UTC, a line number per row."""
        # Views take no bound parameters, so the path and encoding go in as quoted literals.
        if fmt == "csv":
            source = (f"read_csv({_literal(str(path))}, header = true, all_varchar = true, store_rejects = true, "
                      "rejects_table = 'csv_rejects', rejects_scan = 'csv_rejects_scan', "
                      f"encoding = {_literal(overrides.get('encoding', 'utf-8'))}) WITH ORDINALITY")
        else:
            source = f"read_parquet({_literal(str(path))}, file_row_number = true)"
        try:
            described = self.con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
        except duckdb.Error as exc:
            raise FileUnreadable(_first_line(exc)) from exc
        types = {name: kind for name, kind, *_ in described if name not in ("file_row_number", "ordinality")}
        header = list(types)
        cmap = resolve(header, overrides)
        self.con.execute("SET TimeZone = $tz", {"tz": cmap.timezone})

        def q(col: str) -> str:
            return '"' + col.replace('"', '""') + '"'

        def ts(col: str | None) -> str:
            if col is None:
                return "CAST(NULL AS TIMESTAMP)"
            kind = types[col].upper()
            if kind.startswith(("BIGINT", "INTEGER", "DOUBLE", "HUGEINT", "UBIGINT")):
                return utc(f"to_timestamp({q(col)})")
            return utc(f"TRY_CAST({q(col)} AS TIMESTAMPTZ)")

        def utc(instant: str) -> str:
            # The instant's UTC wall-clock time from its microseconds: AT TIME ZONE 'UTC' gives the same
            # through ICU at ten times the cost. An infinite instant is no start (NULL), as in Spark.
            return f"make_timestamp(epoch_us({instant}))"

        duration = f"TRY_CAST({q(cmap.duration)} AS BIGINT)" if cmap.duration else "CAST(NULL AS BIGINT)"
        octets = " + ".join(f"coalesce(TRY_CAST({q(c)} AS BIGINT), 0)" for c in cmap.bytes) or "NULL"
        line = "ordinality" if fmt == "csv" else "file_row_number + 1"
        self.con.execute(f"""CREATE OR REPLACE TEMP VIEW raw AS
            SELECT {line} AS line, CAST({q(cmap.device)} AS VARCHAR) AS device, CAST({q(cmap.ap)} AS VARCHAR) AS ap,
                   {ts(cmap.start)} AS start, {ts(cmap.stop)} AS stop, {duration} AS duration,
                   CAST({octets} AS BIGINT) AS bytes
            FROM {source}""")
        return cmap

    def stage(self, path: Path, fmt: str, overrides: dict[str, Any], *, known_aps: list[str],
              closed_periods: list[datetime], now: datetime, period_hours: int) -> StageReport:
        """Read, normalise and check the whole file into the `staged` table; report what cannot be used."""
        self._open_raw(path, fmt, overrides)
        self._table("known_aps", pa.table({"code": pa.array(known_aps, pa.string())}))
        self._table("closed", pa.table({"period": pa.array(closed_periods, pa.timestamp("us"))}))
        sql = steps.stage(self.dialect, period_hours=period_hours, now=f"TIMESTAMP '{now:%Y-%m-%d %H:%M:%S}'")
        try:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE staged AS {sql}")
        except duckdb.Error as exc:
            raise FileUnreadable(_first_line(exc)) from exc
        report = StageReport()
        report.rows_read = self.con.execute("SELECT count(*) FROM staged").fetchone()[0]
        for reason, count, lines in self.con.execute(
                f"""SELECT reason, count(*), list(line ORDER BY line)[1:{EXAMPLES_PER_REASON}]
                    FROM staged WHERE reason IS NOT NULL GROUP BY reason ORDER BY reason""").fetchall():
            report.rejected[reason] = {"count": count, "lines": list(lines)}
        if fmt == "csv":
            self._csv_lines(report, path, overrides.get("encoding", "utf-8"))
        for period, rows, first, last in self.con.execute(
                "SELECT period, count(*), min(start), max(start) FROM staged WHERE reason IS NULL "
                "GROUP BY period ORDER BY period").fetchall():
            report.periods[period] = rows
            report.first_start = min(report.first_start or first, first)
            report.last_start = max(report.last_start or last, last)
        report.rows_valid = sum(report.periods.values())
        return report

    def _csv_lines(self, report: StageReport, path: Path, encoding: str) -> None:
        """Turn row ordinals into file lines, and add the lines DuckDB could not parse at all. The k-th
        parsed row sits on the k-th line that is neither the header, nor unparsable, nor empty (DuckDB
        skips empty lines without a word; its rejects carry true line numbers)."""
        # DuckDB records one reject per missing column: one entry per line, its first error.
        bad = self.con.execute("SELECT line, min(error_type) FROM csv_rejects GROUP BY line ORDER BY line").fetchall()
        wanted = max((k for entry in report.rejected.values() for k in entry["lines"]), default=0)
        # The wanted row is at most the (1 + wanted + len(bad))-th line that is not empty.
        empty = _empty_lines(path, encoding, 1 + wanted + len(bad)) if wanted else []
        skipped = sorted({line for line, _ in bad}.union(empty))
        # Parsed rows before the j-th skipped line (0-based j): its line - 2 - j.
        before = [line - 2 - j for j, line in enumerate(skipped)]
        for entry in report.rejected.values():
            entry["lines"] = [k + 1 + bisect.bisect_left(before, k) for k in entry["lines"]]
        for line, error in bad:
            entry = report.rejected.setdefault(_PARSE_ERRORS.get(error, "unparsable_line"), {"count": 0, "lines": []})
            entry["count"] += 1
            if len(entry["lines"]) < EXAMPLES_PER_REASON:
                entry["lines"].append(line)
        report.rows_read += len(bad)

    # --- writing ---------------------------------------------------------------------------------------

    def write_sessions(self, keys: dict[datetime, bytes], out_dir: Path, name: str) -> dict[datetime, Path]:
        """Pseudonymise the staged sessions with each period's key and write one Parquet file per
        period under `out_dir` (a staging dir the caller moves into place). Returns period → file.

        Every row is hashed as it is written, by `pseudonym.py`'s native HMAC called from DuckDB on both
        threads; the keys stay in that function, registered for this call only, and the `keys` view
        holds only each period's slot among them. The files are short-lived (deleted when their period
        is final), so they are written with Snappy: a fifth less CPU than zstd for a quarter more bytes
        (no compression at all saves a little more CPU for 1.75 times the bytes)."""
        periods = list(keys)
        self.con.register("keys", pa.table({"period": pa.array(periods, pa.timestamp("us")),
                                            "slot": pa.array(range(len(periods)), pa.int32())}))
        pseudonym.register(self.con, pseudonym.states([keys[p] for p in periods]))
        try:
            if out_dir.exists():
                shutil.rmtree(out_dir)
            out_dir.mkdir(parents=True)
            written: dict[datetime, Path] = {}
            sessions = steps.sessions(self.dialect)
            # Each period straight to its own file (most files cover one period; PARTITION_BY would
            # double the time of the write), streamed through Arrow: pyarrow's writer is faster than COPY
            # here, and writes every column optional whatever the data, as Spark does.
            for (period,) in self.con.execute(
                    "SELECT DISTINCT period FROM staged WHERE reason IS NULL ORDER BY period").fetchall():
                target = out_dir / f"{name}-{period:%Y%m%dT%H}.parquet"
                at = f"TIMESTAMP '{period:%Y-%m-%d %H:%M:%S}'"
                rows = self.con.sql(f"SELECT * FROM ({sessions}) WHERE period = {at}").to_arrow_reader(ROW_GROUP)
                with pq.ParquetWriter(target, rows.schema, compression="snappy",
                                      use_dictionary=["ap", "period"]) as out:
                    for batch in rows:
                        out.write_batch(batch)
                written[period] = target
        finally:
            pseudonym.unregister(self.con)
            self.con.unregister("keys")
        return written

    # --- aggregating -----------------------------------------------------------------------------------

    def aggregate(self, files: list[Path], ap_zones: dict[str, str], *, max_cells: int) -> list[tuple[Any, ...]]:
        """Zone-hour aggregates of pseudonymised session files: (zone, hour, devices, sessions,
        median_dwell_s, devices_bounded), ordered by zone and hour."""
        if not files:
            return []
        self._table("ap_zones", pa.table({"ap": pa.array(list(ap_zones), pa.string()),
                                          "zone": pa.array(list(ap_zones.values()), pa.string())}))
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW sessions AS SELECT * FROM read_parquet({_list(files)})")
        return self.con.execute(steps.aggregate(self.dialect, max_cells=max_cells)).fetchall()


def _empty_lines(path: Path, encoding: str, rows: int) -> list[int]:
    """The numbers of the empty lines of a CSV file, read until `rows` lines that are not empty have gone
    by: only as far as the report needs, and only when it has lines to give."""
    empty: list[int] = []
    seen = 0
    with path.open(encoding=encoding, errors="replace", newline="") as text:
        for number, line in enumerate(text, 1):
            if seen >= rows:
                break
            if line in ("\n", "\r\n"):
                empty.append(number)
            else:
                seen += 1
    return empty


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _list(files: list[Path]) -> str:
    return "[" + ", ".join(_literal(str(f)) for f in files) + "]"


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:300]
