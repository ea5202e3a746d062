"""The pipeline's steps, written once and rendered for each engine's dialect.

DuckDB (the default, in-process) and Spark (for a city that outgrows one machine) run the very same
statements; only a handful of functions are spelled differently, and `Dialect` holds those spellings.
The pseudonym is one of them: the same HMAC by two routes, held to one reference by the tests.

The steps, over views the engine provides:
  raw            the log file with canonical column names (device, ap, start, stop, duration, bytes, line)
  known_aps      (code)             access points the register knows
  closed         (period)           key periods whose key is destroyed: late rows are refused
  keys           (period, …)        each period of the file and its key, in the form the dialect's
                                    pseudonym takes (DuckDB: a slot in native code; Spark: padded blocks)
  ap_zones       (ap, zone)         the zoning of the day

  STAGE      raw → staged: parsed, with a `reason` for every row that cannot be used (a device that is
             no MAC among them); the device is kept as spelt
  SESSIONS   staged ⋈ keys → the only form in which sessions are ever written: each row's device
             replaced by its pseudonym under its period's key, HMAC-SHA-256 of the normalised MAC
             truncated to 60 bits (a BIGINT). The key reaches the engine as data, never in SQL text
  AGGREGATE  sessions → per zone and hour: distinct devices, sessions, median dwell, bounded devices

Hashing every row, not each distinct device once and joining back, is the cheaper plan once the hash
is native: DuckDB's is two SHA-256 compressions in C (`pseudonym.py`), ≈ 1.1 s per 10 M rows on two
threads, where the distinct devices, their SQL HMAC and the join back took ≈ 3 s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

# A device identifier that is a MAC: 12 hex digits, grouped by ':', '-' or '.' as any vendor does,
# padded by spaces. RE2 (DuckDB) and Java (Spark) read it alike; `\z` is the very end in both (Java's
# `$` would let a final newline through). `pseudonym.normalised` is its reading in Python.
MAC_PATTERN = r"^ *[:.-]*([0-9A-Fa-f][:.-]*){12} *\z"

# Why a row cannot be used, in the order they are checked; the report uses these codes.
REASONS = ("bad_device", "bad_start", "bad_stop", "stop_before_start", "in_future", "unknown_ap", "period_closed")


@dataclass(frozen=True)
class Dialect:
    name: str
    seconds_between: Callable[[str, str], str]
    add_seconds: Callable[[str, str], str]
    bucket: Callable[[str, int], str]  # floor a UTC timestamp to `hours`-hour periods from midnight
    median: Callable[[str], str]  # the lower median (a value that occurs), identical in both engines
    matches: Callable[[str, str], str]  # a string matches a regular expression (anywhere)
    pseudonym: Callable[[str, str], str]  # (the `keys` row's alias, the device as spelt) → BIGINT


DUCKDB = Dialect(
    name="duckdb",
    seconds_between=lambda a, b: f"date_diff('second', {a}, {b})",
    add_seconds=lambda ts, s: f"({ts} + to_seconds({s}))",
    bucket=lambda ts, h: f"time_bucket(INTERVAL {h} HOUR, {ts}, TIMESTAMP '2000-01-01')",
    median=lambda x: f"quantile_disc({x}, 0.5)",
    matches=lambda s, pattern: f"regexp_matches({s}, '{pattern}')",
    pseudonym=lambda k, device: f"praca_pseudonym({k}.slot, {device})",  # pseudonym.register's
)


def normalised_device(expr: str) -> str:
    """`AA-BB-CC-DD-EE-FF`, `aa:bb:…` and `aabb.ccdd.eeff` are one device: lower-case hex digits only."""
    return f"lower(replace(replace(replace(trim({expr}), ':', ''), '-', ''), '.', ''))"


def _spark_pseudonym(k: str, device: str) -> str:
    """HMAC-SHA-256 (RFC 2104) of the normalised MAC's UTF-8 bytes, its first 60 bits: H(opad ‖ H(ipad ‖ m)),
    `ipad` and `opad` being the key's padded blocks (`padded_keys`), from Spark's built-in SHA-256."""
    inner = f"unhex(sha2({k}.ipad || encode({normalised_device(device)}, 'UTF-8'), 256))"
    return f"CAST(conv(left(sha2({k}.opad || {inner}, 256), 15), 16, 10) AS BIGINT)"


SPARK = Dialect(
    name="spark",
    seconds_between=lambda a, b: f"(unix_timestamp({b}) - unix_timestamp({a}))",
    add_seconds=lambda ts, s: f"timestampadd(SECOND, {s}, {ts})",  # make_interval's seconds stop at 10^12
    bucket=lambda ts, h: f"timestamp_seconds(floor(unix_timestamp({ts}) / {h * 3600}) * {h * 3600})",
    median=lambda x: f"percentile_disc(0.5) WITHIN GROUP (ORDER BY {x})",
    matches=lambda s, pattern: f"({s} rlike r'{pattern}')",  # a raw literal: Spark's own unescapes
    pseudonym=_spark_pseudonym,
)


def stage(d: Dialect, *, period_hours: int, now: str) -> str:
    """raw → staged. `start`/`stop` in raw are already UTC timestamps (NULL when unparsable); a stop
    may instead come as a duration in seconds. `now` is a timestamp literal: rows from the future are
    refused, as a clock error on the controller would otherwise open key periods ahead of time."""
    stop = f"coalesce(stop, CASE WHEN duration >= 0 THEN {d.add_seconds('start', 'duration')} END)"
    return f"""
    SELECT r.line, r.device, r.ap, r.start, r.bytes, {d.seconds_between('r.start', 'r.stop')} AS dwell_s,
           {d.bucket('r.start', period_hours)} AS period,
           CASE WHEN r.device IS NULL OR NOT {d.matches('r.device', MAC_PATTERN)} THEN 'bad_device'
                WHEN r.start IS NULL THEN 'bad_start'
                WHEN r.stop IS NULL THEN 'bad_stop'
                WHEN r.stop < r.start THEN 'stop_before_start'
                WHEN r.start > {now} THEN 'in_future'
                WHEN k.code IS NULL THEN 'unknown_ap'
                WHEN c.period IS NOT NULL THEN 'period_closed'
           END AS reason
    FROM (SELECT line, device, trim(ap) AS ap, start, {stop} AS stop, bytes FROM raw) r
    LEFT JOIN known_aps k ON k.code = r.ap
    LEFT JOIN closed c ON c.period = {d.bucket('r.start', period_hours)}
    """


def sessions(d: Dialect) -> str:
    """staged ⋈ keys → (pseudonym, ap, start, dwell_s, bytes, period) for every usable row."""
    return f"""
    SELECT {d.pseudonym('k', 's.device')} AS pseudonym, s.ap, s.start, s.dwell_s, s.bytes, s.period
    FROM staged s JOIN keys k ON k.period = s.period
    WHERE s.reason IS NULL
    """


def padded_keys(keys: dict[datetime, bytes]) -> list[tuple[datetime, bytes, bytes]]:
    """Spark's `keys` rows: each period's key as HMAC's inner and outer padded blocks (RFC 2104,
    SHA-256's 64-byte block)."""
    blocks = [(period, secret.ljust(64, b"\0")) for period, secret in keys.items()]
    return [(period, bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)) for period, block in blocks]


def aggregate(d: Dialect, *, max_cells: int) -> str:
    """sessions → one row per zone and hour of the session's start. `devices_bounded` counts a device
    in at most `max_cells` zone-hours per key period (its earliest), the sensitivity DP releases use.

    One GROUP BY gives devices, sessions and the median. Only a device with more than `max_cells`
    sessions in a period can be in more zone-hours than that: the cells of those few are ranked, and
    each zone-hour loses the devices it holds past their `max_cells`-th cell. Ranking every device's
    cells instead took a quarter of the step. Zones are ranked once (in their text order) so that the
    heavy steps group and sort on integers."""
    return f"""
    WITH z AS (
        SELECT ap, zone, dense_rank() OVER (ORDER BY zone) AS zr FROM ap_zones
    ), s AS (
        SELECT z.zr, date_trunc('hour', s.start) AS hour, s.period, s.pseudonym, s.dwell_s
        FROM sessions s JOIN z ON z.ap = s.ap
    ), cells AS (
        SELECT zr, hour, count(DISTINCT pseudonym) AS devices, count(*) AS sessions,
               {d.median('dwell_s')} AS median_dwell_s
        FROM s GROUP BY zr, hour
    ), busy AS (
        SELECT period, pseudonym FROM s GROUP BY period, pseudonym HAVING count(*) > {max_cells}
    ), ranked AS (
        SELECT zr, hour, row_number() OVER (PARTITION BY period, pseudonym ORDER BY hour, zr) AS n
        FROM (SELECT DISTINCT s.zr, s.hour, s.period, s.pseudonym
              FROM s JOIN busy b ON b.period = s.period AND b.pseudonym = s.pseudonym) t
    ), excess AS (
        SELECT zr, hour, count(*) AS devices FROM ranked WHERE n > {max_cells} GROUP BY zr, hour
    ), names AS (
        SELECT DISTINCT zr, zone FROM z
    )
    SELECT n.zone, c.hour, c.devices, c.sessions, CAST(c.median_dwell_s AS BIGINT) AS median_dwell_s,
           CAST(c.devices - coalesce(e.devices, 0) AS BIGINT) AS devices_bounded
    FROM cells c JOIN names n ON n.zr = c.zr LEFT JOIN excess e ON e.zr = c.zr AND e.hour = c.hour
    ORDER BY n.zone, c.hour
    """
