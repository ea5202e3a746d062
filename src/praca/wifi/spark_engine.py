"""The Spark engine, for a city whose logs outgrow one machine: the very same `steps` as the DuckDB engine,
rendered for `steps.SPARK` and run with `spark.sql` over temp views of the same names. Only the reading of
the raw file into the `raw` view is written here, and it is written to read a file exactly as
`duckdb_engine` does (same columns, UTC instants, numbers, file line numbers and malformed-line codes), so
that either engine gives the same report, the same pseudonyms and the same aggregates.
"""

from __future__ import annotations

import csv
import logging
import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from py4j.protocol import Py4JError
from pyspark import StorageLevel
from pyspark.errors import PySparkException
from pyspark.logger import PySparkLogger
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from praca.wifi import steps
from praca.wifi.duckdb_engine import EXAMPLES_PER_REASON, FileUnreadable, StageReport
from praca.wifi.mapping import ColumnMap, resolve

_LOG4J = """rootLogger.level = error
rootLogger.appenderRef.console.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
logger.task.name = org.apache.spark.executor.Executor
logger.task.level = off
logger.taskset.name = org.apache.spark.scheduler.TaskSetManager
logger.taskset.level = off
"""

_lock = threading.Lock()
_root: SparkSession | None = None

# The CSV encodings DuckDB's reader knows, as Java names them.
_ENCODINGS = {"utf-8": "UTF-8", "latin-1": "ISO-8859-1", "utf-16": "UTF-16"}
_DELIMITERS = (",", ";", "\t", "|")
_PARSE_ERRORS = ("wrong_column_count", "wrong_encoding")
# A time followed by an offset or a zone name: such a timestamp is not in the mapping's time zone.
_ZONED = (r"(?i)\d:\d\d(:\d\d(\.\d*)?)?\s*(z|utc|gmt|[+-]\d\d?(:?\d\d){0,2}|[a-z]{3,5}|[a-z]+(/[a-z0-9_+-]+)+)$")
# A quoted field (quotes doubled inside), removed before counting a line's delimiters.
_QUOTED = r'"[^"]*(""[^"]*)*"'


def spark_session(master: str = "local[2]") -> SparkSession:
    """The process's Spark session, started on first use (it takes seconds) and shared by every engine:
    each engine works in a `newSession()` of it, with views of its own. The first master asked for wins."""
    global _root
    with _lock:
        if _root is None:
            fd, log4j = tempfile.mkstemp(prefix="praca-log4j2-", suffix=".properties")
            with open(fd, "w") as fh:
                fh.write(_LOG4J)
            _root = (SparkSession.builder.master(master).appName("praca-wifi")
                     .config("spark.ui.enabled", "false")
                     .config("spark.ui.showConsoleProgress", "false")
                     .config("spark.driver.host", "127.0.0.1")
                     .config("spark.driver.bindAddress", "127.0.0.1")
                     .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{log4j}")
                     .config("spark.sql.shuffle.partitions", "4")
                     .config("spark.sql.session.timeZone", "UTC")
                     .config("spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")
                     .getOrCreate())
            Path(log4j).unlink()  # read once, when the JVM started
            _root.sparkContext.setLogLevel("ERROR")
            # A query error is raised to the engine, which reports it; PySpark would log it a second time.
            for name in ("DataFrameQueryContextLogger", "SQLQueryContextLogger"):
                PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)
        return _root


class SparkEngine:
    """`DuckDBEngine`'s interface and results, on Spark: `stage`, `write_sessions`, `aggregate`, `close`."""

    dialect = steps.SPARK

    def __init__(self, *, master: str = "local[2]") -> None:
        self.spark = spark_session(master).newSession()
        self.spark.conf.set("spark.sql.session.timeZone", "UTC")
        # Nanosecond timestamps (pandas' default) are read as longs and converted in `_instant`.
        self.spark.conf.set("spark.sql.legacy.parquet.nanosAsLong", "true")
        self._staged: DataFrame | None = None
        self._views: set[str] = set()

    def close(self) -> None:
        """Free what this engine cached and its views; the shared session stays up for the next engine."""
        self._unpersist()
        for name in list(self._views):
            self._drop(name)

    def __enter__(self) -> SparkEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reading ---------------------------------------------------------------------------------------

    def _view(self, name: str, df: DataFrame) -> DataFrame:
        df.createOrReplaceTempView(name)
        self._views.add(name)
        return df

    def _drop(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)
        self._views.discard(name)

    def _table(self, name: str, rows: list[tuple[Any, ...]], schema: str) -> None:
        self._view(name, self.spark.createDataFrame(rows, schema))

    def _open_raw(self, path: Path, fmt: str, overrides: dict[str, Any]) -> DataFrame | None:
        """Create the `raw` view; for CSV, return the lines that could not be parsed (line, error)."""
        if fmt == "csv":
            return self._open_csv(path, overrides)
        try:
            df = self.spark.read.parquet(str(path))
            nanos = {f.name: f.type.tz is not None for f in pq.read_schema(path)
                     if getattr(f.type, "unit", None) == "ns"}
        except (PySparkException, Py4JError, OSError) as exc:
            raise FileUnreadable(_first_line(exc)) from exc
        cmap = resolve(df.columns, overrides)
        types = {f.name: f.dataType for f in df.schema.fields}

        def value(col: str) -> tuple[Column, T.DataType]:
            return F.col(f"`{col.replace('`', '``')}`"), types[col]

        self._raw(df.select("*", (F.col("_metadata.row_index") + 1).alias("__line")), cmap, value, nanos)
        return None

    def _open_csv(self, path: Path, overrides: dict[str, Any]) -> DataFrame:
        """Each line checked as DuckDB checks it (invalid UTF-8; a column count other than the header's,
        trailing empty fields aside), the good ones parsed with `from_csv`: all text, empty fields NULL."""
        charset, delimiter, header = _csv_head(path, overrides.get("encoding", "utf-8"))
        cmap = resolve(header, overrides)
        n = len(header)
        lines = self._lines(path, charset)
        value = F.col("value")
        unquoted = F.when(value.contains('"'), F.regexp_replace(value, _QUOTED, "")).otherwise(value)
        trimmed = F.regexp_replace(unquoted, f"[{re.escape(delimiter)}]+$", "")
        fields = F.length(unquoted) - F.length(F.replace(unquoted, F.lit(delimiter))) + 1
        kept = F.length(trimmed) - F.length(F.replace(trimmed, F.lit(delimiter))) + 1
        error = (F.when(~F.is_valid_utf8(value), "wrong_encoding")
                 .when((fields != n) & ((fields < n) | (kept > n)), "wrong_column_count"))
        checked = lines.select("line", "value", error.alias("error"))
        schema = ", ".join(f"c{i} STRING" for i in range(n))
        parsed = checked.where(F.col("error").isNull()).select(
            F.col("line").alias("__line"),
            F.from_csv(value, schema, {"sep": delimiter, "quote": '"', "escape": '"'}).alias("p"))

        def column(col: str) -> tuple[Column, T.DataType]:
            return F.col(f"p.c{header.index(col)}"), T.StringType()

        self._raw(parsed, cmap, column, {})
        return checked.where(F.col("error").isNotNull()).select("line", "error")

    def _lines(self, path: Path, charset: str) -> DataFrame:
        """The file's data lines (line, value) numbered as in the file, empty ones skipped as DuckDB does.
        monotonically_increasing_id holds a partition's row index in its low 33 bits; a partition's first
        line comes from the line counts of the partitions before it in the file (one job, if there are any)."""
        reader = self.spark.read
        if charset != "UTF-8":  # lines split on the charset's newline, then decoded
            reader = reader.option("lineSep", "\n").option("encoding", charset)
        try:
            text = reader.text(str(path))
        except (PySparkException, Py4JError) as exc:
            raise FileUnreadable(_first_line(exc)) from exc
        numbered = text.select("value", F.col("_metadata.file_block_start").alias("block"),
                               F.monotonically_increasing_id().alias("id"))
        part = F.shiftright("id", 33)
        firsts = [0]  # per partition, the line before its first
        if text.rdd.getNumPartitions() > 1:
            counts = numbered.groupBy(part.alias("part")).agg(F.min("block").alias("block"), F.count("*").alias("n"))
            ordered = sorted(counts.collect(), key=lambda c: c["block"])
            firsts, seen = [0] * (max(c["part"] for c in ordered) + 1), 0
            for c in ordered:
                firsts[c["part"]] = seen
                seen += c["n"]
        line = F.element_at(F.array(*map(F.lit, firsts)), (part + 1).cast("int")) + (F.col("id") % (1 << 33)) + 1
        value = F.col("value")
        if charset != "UTF-8":
            value = F.regexp_replace(F.decode(value.cast("binary"), charset), "\r$", "")
        return (numbered.select(line.alias("line"), value.alias("value"))
                .where((F.col("line") > 1) & (F.col("value") != "")))

    def _raw(self, source: DataFrame, cmap: ColumnMap, column: Callable[[str], tuple[Column, T.DataType]],
             nanos: dict[str, bool]) -> None:
        """The `raw` view over a source whose columns `column(name)` gives with their type; a `line` column
        `__line`. `nanos` names the nanosecond timestamps read as longs, and whether they are UTC-adjusted."""

        def ts(col: str | None) -> Column:
            return F.lit(None).cast("timestamp") if col is None else _instant(*column(col), cmap.timezone,
                                                                               nanos.get(col))

        duration = _bigint(*column(cmap.duration)) if cmap.duration else F.lit(None).cast("bigint")
        octets = [F.coalesce(_bigint(*column(c)), F.lit(0)) for c in cmap.bytes]
        self._view("raw", source.select(
            F.col("__line").alias("line"), column(cmap.device)[0].cast("string").alias("device"),
            column(cmap.ap)[0].cast("string").alias("ap"), ts(cmap.start).alias("start"), ts(cmap.stop).alias("stop"),
            duration.alias("duration"),
            (sum(octets[1:], octets[0]) if octets else F.lit(None)).cast("bigint").alias("bytes")))

    def stage(self, path: Path, fmt: str, overrides: dict[str, Any], *, known_aps: list[str],
              closed_periods: list[datetime], now: datetime, period_hours: int) -> StageReport:
        """Read, normalise and check the whole file into the cached `staged` view; report what cannot be used."""
        try:
            malformed = self._open_raw(path, fmt, overrides)
            self._table("known_aps", [(code,) for code in known_aps], "code STRING")
            self._table("closed", [(p,) for p in closed_periods], "period TIMESTAMP_NTZ")
            sql = steps.stage(self.dialect, period_hours=period_hours, now=f"TIMESTAMP '{now:%Y-%m-%d %H:%M:%S}'")
            self._unpersist()
            # Kept for `write_sessions`, as DuckDB keeps its table; the report's pass fills it.
            self._staged = self.spark.sql(sql).persist(StorageLevel.MEMORY_AND_DISK)
            self._view("staged", self._staged)
            return self._report(self._staged, malformed)
        except (PySparkException, Py4JError) as exc:
            raise FileUnreadable(_first_line(exc)) from exc

    def _unpersist(self) -> None:
        if self._staged is not None:
            self._staged.unpersist()
        self._staged = None

    def _report(self, staged: DataFrame, malformed: DataFrame | None) -> StageReport:
        """One pass over the staged rows and the malformed lines: counts, first lines, periods."""
        rows = staged.select("reason", "period", "start", "line")
        if malformed is not None:
            none = F.lit(None).cast("timestamp")
            rows = rows.unionByName(malformed.select(F.col("error").alias("reason"), none.alias("period"),
                                                     none.alias("start"), "line"))
        lines = F.collect_list(F.when(F.col("reason").isNotNull(), F.col("line")))
        groups = rows.groupBy("reason", "period").agg(
            F.count("*").alias("n"), F.min("start").cast("timestamp_ntz").alias("first"),
            F.max("start").cast("timestamp_ntz").alias("last"),
            F.slice(F.sort_array(lines), 1, EXAMPLES_PER_REASON).alias("lines"),
        ).select("reason", F.col("period").cast("timestamp_ntz").alias("period"), "n", "first", "last", "lines")
        report = StageReport()
        rejected: dict[str, dict[str, Any]] = {}
        for g in groups.collect():
            report.rows_read += g["n"]
            if g["reason"] is not None:
                entry = rejected.setdefault(g["reason"], {"count": 0, "lines": []})
                entry["count"] += g["n"]
                entry["lines"] = sorted(entry["lines"] + g["lines"])[:EXAMPLES_PER_REASON]
            else:
                report.periods[g["period"]] = g["n"]
                report.first_start = min(report.first_start or g["first"], g["first"])
                report.last_start = max(report.last_start or g["last"], g["last"])
        report.periods = dict(sorted(report.periods.items()))

        def order(reason: str) -> tuple[bool, int, str]:  # DuckDB's: the steps' reasons, then unparsable lines
            unparsable = reason in _PARSE_ERRORS
            return unparsable, rejected[reason]["lines"][0] if unparsable else 0, reason

        report.rejected = {reason: rejected[reason] for reason in sorted(rejected, key=order)}
        report.rows_valid = sum(report.periods.values())
        return report

    # --- writing ---------------------------------------------------------------------------------------

    def write_sessions(self, keys: dict[datetime, bytes], out_dir: Path, name: str) -> dict[datetime, Path]:
        """Pseudonymise the staged sessions with each period's key and write one Parquet file per
        period under `out_dir` (a staging dir the caller moves into place). Returns period → file.
        Each row is hashed by `steps.sessions` in Spark's spelling: the HMAC from Spark's sha2. The keys'
        pads travel in the plan (a broadcast of `keys`): Spark's local dirs must be as private as the
        key folder, and a cluster's traffic encrypted (`spark.network.crypto.enabled`)."""
        # Periods come as wall-clock UTC (TIMESTAMP_NTZ), as the keys name them.
        keyed = self.spark.createDataFrame(steps.padded_keys(keys), "period TIMESTAMP_NTZ, ipad BINARY, opad BINARY")
        self._view("keys", keyed.selectExpr("CAST(period AS TIMESTAMP) AS period", "ipad", "opad"))
        try:
            sessions = self.spark.sql(f"""
                SELECT pseudonym, ap, CAST(start AS TIMESTAMP_NTZ) AS start, dwell_s,
                       -- optional in the file, as DuckDB writes it: a sum of coalesces would be required
                       CASE WHEN pseudonym IS NOT NULL THEN bytes END AS bytes,
                       CAST(period AS TIMESTAMP_NTZ) AS period,
                       concat(date_format(period, 'yyyyMMdd'), 'T', date_format(period, 'HH')) AS period_key
                FROM ({steps.sessions(self.dialect)})""")
        finally:  # the analysed plan holds the keys now, and goes when `sessions` does
            self._drop("keys")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        (sessions.repartition("period_key").write.partitionBy("period_key")
         .option("compression", "snappy").parquet(str(out_dir)))
        written: dict[datetime, Path] = {}
        for period in keys:
            folder = out_dir / f"period_key={period:%Y%m%dT%H}"
            files = sorted(folder.glob("part-*.parquet"))
            if files:  # one file (one task wrote the period); name it as the DuckDB engine does
                target = files[0].rename(folder / f"{name}.parquet")
                for other in folder.iterdir():
                    if other != target:
                        other.unlink()
                written[period] = target
        return written

    # --- aggregating -----------------------------------------------------------------------------------

    def aggregate(self, files: list[Path], ap_zones: dict[str, str], *, max_cells: int) -> list[tuple[Any, ...]]:
        """Zone-hour aggregates of pseudonymised session files: (zone, hour, devices, sessions,
        median_dwell_s, devices_bounded), ordered by zone and hour."""
        if not files:
            return []
        self._table("ap_zones", list(ap_zones.items()), "ap STRING, zone STRING")
        # Paths are files, not a partitioned table: no partition columns are guessed from their folders.
        self._view("sessions", self.spark.read.option("recursiveFileLookup", "true").parquet(*map(str, files)))
        rows = self.spark.sql(f"""
            SELECT zone, CAST(hour AS TIMESTAMP_NTZ) AS hour, devices, sessions, median_dwell_s, devices_bounded
            FROM ({steps.aggregate(self.dialect, max_cells=max_cells)}) ORDER BY zone, hour""").collect()
        return [tuple(r) for r in rows]


def _csv_head(path: Path, encoding: str) -> tuple[str, str, list[str]]:
    """The file's charset (as Java names it), delimiter and header, from its first line: DuckDB's
    encodings, a BOM skipped, the delimiter the header uses most outside quotes."""
    charset = _ENCODINGS.get(encoding.lower())
    if charset is None:
        raise FileUnreadable(f"The CSV reader does not support the encoding: {encoding!r}")
    try:
        with path.open("rb") as fh:
            head = fh.read(1 << 16)
    except OSError as exc:
        raise FileUnreadable(_first_line(exc)) from exc
    if charset == "UTF-16":  # the byte order from the BOM, else little-endian as DuckDB reads it
        charset = "UTF-16BE" if head.startswith(b"\xfe\xff") else "UTF-16LE"
    end = min((i for c in "\r\n" if (i := head.find(c.encode(charset))) >= 0), default=len(head))
    try:
        first = head[:end].decode(charset).lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise FileUnreadable(f"The header is not {encoding}: {exc}") from exc
    delimiter = max(_DELIMITERS, key=re.sub(_QUOTED, "", first).count)
    return charset, delimiter, next(csv.reader([first], delimiter=delimiter), []) if first else []


def _instant(col: Column, kind: T.DataType, tz: str, nanos: bool | None = None) -> Column:
    """A column as a UTC instant, as DuckDB casts it: numbers are Unix seconds, timestamps and texts
    without an offset are wall-clock times in the mapping's time zone."""
    if nanos is not None:  # a nanosecond timestamp read as a long; `nanos` says it is UTC-adjusted
        instant = F.timestamp_micros(F.floor(col.cast("decimal(20, 0)") / 1000).cast("bigint"))
        return instant if nanos else F.to_utc_timestamp(instant.cast("timestamp_ntz"), tz)
    if isinstance(kind, T.LongType | T.IntegerType | T.DoubleType) or kind == T.DecimalType(20, 0):
        return F.timestamp_seconds(col)
    if isinstance(kind, T.TimestampType):
        return col
    if isinstance(kind, T.TimestampNTZType | T.DateType):
        return F.to_utc_timestamp(col.cast("timestamp_ntz"), tz)
    if not isinstance(kind, T.StringType):  # DuckDB's TRY_CAST of a smallint, a float, a boolean…
        return F.lit(None).cast("timestamp")
    text = F.trim(col)
    text = F.when(text.contains("/"), F.regexp_replace(text, r"^(\d{4})/(\d\d?)/(\d\d?)", "$1-$2-$3")).otherwise(
        text)  # DuckDB reads 2026/11/18 too
    # ...but not a date without its day, an hour without minutes, or a time without a date (Spark would).
    text = F.when(text.rlike(r"^\d{4}-\d\d?-\d\d?($|[T ]\d\d?:\d|[^\dT ])"), text)
    if tz == "UTC":
        return text.try_cast("timestamp")
    return F.when(text.rlike(_ZONED), text.try_cast("timestamp")).otherwise(
        F.to_utc_timestamp(text.try_cast("timestamp_ntz"), tz))


def _bigint(col: Column, kind: T.DataType) -> Column:
    """As DuckDB's TRY_CAST to BIGINT: a decimal text or number rounds half away from zero, a float half to even."""
    if isinstance(kind, T.StringType):  # most are integers already: the decimal way only for the others
        return F.coalesce(col.try_cast("bigint"), F.round(col.try_cast("decimal(38, 9)")).try_cast("bigint"))
    if isinstance(kind, T.FloatType | T.DoubleType):
        return F.bround(col).try_cast("bigint")
    if isinstance(kind, T.DecimalType):
        return F.round(col).try_cast("bigint")
    return col.try_cast("bigint")


def _first_line(exc: BaseException) -> str:
    java = getattr(exc, "java_exception", None)  # a Py4JJavaError's own text only says which call failed
    text = str((java.getMessage() or java.toString()) if java is not None else exc)
    return (text.strip().splitlines() or [type(exc).__name__])[0][:300]
