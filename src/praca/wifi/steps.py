"""The pipeline's steps, written once and rendered for each engine's dialect.

DuckDB (the default, in-process) and Spark (for a city that outgrows one machine) run the very same
statements; only a handful of functions are spelled differently, and `Dialect` holds those spellings.
The HMAC is the one step that is not SQL: both engines call `pseudonymise` below, on the distinct
identifiers only. That is what makes "both engines produce identical aggregates" a property of the
code, not a hope.

The steps, over views the engine provides:
  raw            the log file with canonical column names (device, ap, start, stop, duration, bytes, line)
  known_aps      (code)             access points the register knows
  closed         (period)           key periods whose key is destroyed: late rows are refused
  ap_zones       (ap, zone)         the zoning of the day

  STAGE        raw → staged: parsed, with a `reason` for every row that cannot be used; the device is
               kept as spelt (normalising it row by row was half the cost of the step)
  IDENTIFIERS  staged → identifiers: each distinct (period, device as spelt), normalised once; `usable`
               when one of its rows is
  BAD_DEVICES  the devices that do not normalise to a MAC: their staged rows are marked `bad_device`
               (the first reason checked, so it replaces any other)
  pseudonymise the usable identifiers of each key period, HMAC-SHA-256 truncated to 60 bits, in Python
               (`hashlib` from the padded keys' precomputed states): one definition for both engines;
               DuckDB never sees a key, Spark only inside the task it ships to its Python workers
  SESSIONS     staged ⋈ pseudonyms on (period, device as spelt): the only form in which sessions are
               ever written
  AGGREGATE    sessions → per zone and hour: distinct devices, sessions, median dwell, bounded devices
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Why a row cannot be used, in the order they are checked; the report uses these codes.
REASONS = ("bad_device", "bad_start", "bad_stop", "stop_before_start", "in_future", "unknown_ap", "period_closed")


@dataclass(frozen=True)
class Dialect:
    name: str
    seconds_between: Callable[[str, str], str]
    add_seconds: Callable[[str, str], str]
    bucket: Callable[[str, int], str]  # floor a UTC timestamp to `hours`-hour periods from midnight
    median: Callable[[str], str]  # the lower median (a value that occurs), identical in both engines


DUCKDB = Dialect(
    name="duckdb",
    seconds_between=lambda a, b: f"date_diff('second', {a}, {b})",
    add_seconds=lambda ts, s: f"({ts} + to_seconds({s}))",
    bucket=lambda ts, h: f"time_bucket(INTERVAL {h} HOUR, {ts}, TIMESTAMP '2000-01-01')",
    median=lambda x: f"quantile_disc({x}, 0.5)",
)

SPARK = Dialect(
    name="spark",
    seconds_between=lambda a, b: f"(unix_timestamp({b}) - unix_timestamp({a}))",
    add_seconds=lambda ts, s: f"timestampadd(SECOND, {s}, {ts})",  # make_interval's seconds stop at 10^12
    bucket=lambda ts, h: f"timestamp_seconds(floor(unix_timestamp({ts}) / {h * 3600}) * {h * 3600})",
    median=lambda x: f"percentile_disc(0.5) WITHIN GROUP (ORDER BY {x})",
)


def normalised_device(expr: str) -> str:
    """`AA-BB-CC-DD-EE-FF`, `aa:bb:…` and `aabb.ccdd.eeff` are one device: lower-case hex digits only."""
    return f"lower(replace(replace(replace(trim({expr}), ':', ''), '-', ''), '.', ''))"


def stage(d: Dialect, *, period_hours: int, now: str) -> str:
    """raw → staged. `start`/`stop` in raw are already UTC timestamps (NULL when unparsable); a stop
    may instead come as a duration in seconds. `now` is a timestamp literal: rows from the future are
    refused, as a clock error on the controller would otherwise open key periods ahead of time. A
    missing device is refused here; one that is there but is no MAC, by BAD_DEVICES."""
    stop = f"coalesce(stop, CASE WHEN duration >= 0 THEN {d.add_seconds('start', 'duration')} END)"
    return f"""
    SELECT r.line, r.device, r.ap, r.start, r.bytes, {d.seconds_between('r.start', 'r.stop')} AS dwell_s,
           {d.bucket('r.start', period_hours)} AS period,
           CASE WHEN r.device IS NULL THEN 'bad_device'
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


IDENTIFIERS = f"""
    SELECT period, device, id, length(id) = 12 AS valid, usable
    FROM (SELECT period, device, {normalised_device('device')} AS id, usable
          FROM (SELECT period, device, bool_or(reason IS NULL) AS usable
                FROM staged WHERE device IS NOT NULL GROUP BY period, device) g) n
"""

# The devices, as spelt, that do not normalise to 12 characters: their rows are `bad_device`.
BAD_DEVICES = "SELECT DISTINCT device FROM identifiers WHERE NOT valid"

# What `pseudonymise` is given: per key period, each usable identifier once.
TO_HASH = "SELECT DISTINCT period, id FROM identifiers WHERE usable AND valid"

# Back from `hashed` (period, id, pseudonym) to each spelling of the identifier in the file.
PSEUDONYMS = """
    SELECT i.period, i.device, h.pseudonym
    FROM identifiers i JOIN hashed h ON h.period = i.period AND h.id = i.id
    WHERE i.usable AND i.valid
"""

SESSIONS = """
    SELECT p.pseudonym, s.ap, s.start, s.dwell_s, s.bytes, s.period
    FROM staged s JOIN pseudonyms p ON p.period = s.period AND p.device = s.device
    WHERE s.reason IS NULL
"""


def key_pads(secret: bytes) -> tuple[bytes, bytes]:
    """HMAC's inner and outer padded keys (RFC 2104, SHA-256's 64-byte block)."""
    block = secret.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


def pseudonymise(secret: bytes, identifiers: pa.Array | pa.ChunkedArray) -> pa.Array:
    """HMAC-SHA-256 of each identifier (UTF-8) under the period's key, truncated to its first 60 bits:
    a non-negative BIGINT. The padded keys are hashed once; each identifier then costs two SHA-256
    compressions from copies of those states: a quarter to a third less CPU than DuckDB's sha256() of
    key ‖ message (four compressions, and hex in between). Called on distinct identifiers only."""
    ipad, opad = key_pads(secret)
    inner, outer = hashlib.sha256(ipad).copy, hashlib.sha256(opad).copy
    digests = []
    append = digests.append
    for message in identifiers.cast(pa.binary()).to_pylist():
        h = inner()
        h.update(message)
        o = outer()
        o.update(h.digest())
        append(o.digest())
    first = np.frombuffer(b"".join(digests), dtype=">u8")[::4]  # each digest's first 8 bytes, big-endian
    return pa.array((first >> np.uint64(4)).astype(np.int64), pa.int64())


def hashed(table: pa.Table, keys: dict[datetime, bytes]) -> pa.Table:
    """`table` (period, id) with the pseudonym of each id under its period's key appended."""
    periods = table.column("period")
    values = periods.unique().to_pylist()
    parts = [table] if len(values) == 1 else [table.filter(pc.equal(periods, pa.scalar(v, periods.type)))
                                              for v in values]
    columns = [pseudonymise(keys[v], part.column("id")) for v, part in zip(values, parts, strict=True)]
    if not columns:
        return table.append_column("pseudonym", pa.array([], pa.int64()))
    return pa.concat_tables(part.append_column("pseudonym", c) for part, c in zip(parts, columns, strict=True))


def aggregate(d: Dialect, *, max_cells: int) -> str:
    """sessions → one row per zone and hour of the session's start. `devices_bounded` counts a device
    in at most `max_cells` zone-hours per key period (its earliest), the sensitivity DP releases use.
    Zones are ranked once (in their text order) so that the heavy steps group and sort on integers."""
    return f"""
    WITH z AS (
        SELECT ap, zone, dense_rank() OVER (ORDER BY zone) AS zr FROM ap_zones
    ), s AS (
        SELECT z.zr, date_trunc('hour', s.start) AS hour, s.period, s.pseudonym, s.dwell_s
        FROM sessions s JOIN z ON z.ap = s.ap
    ), cells AS (
        SELECT zr, hour, row_number() OVER (PARTITION BY period, pseudonym ORDER BY hour, zr) AS n
        FROM (SELECT DISTINCT zr, hour, period, pseudonym FROM s) t
    ), devices AS (
        SELECT zr, hour, count(*) AS devices, sum(CASE WHEN n <= {max_cells} THEN 1 ELSE 0 END) AS devices_bounded
        FROM cells GROUP BY zr, hour
    ), visits AS (
        SELECT zr, hour, count(*) AS sessions, {d.median('dwell_s')} AS median_dwell_s
        FROM s GROUP BY zr, hour
    ), names AS (
        SELECT DISTINCT zr, zone FROM z
    )
    SELECT n.zone, d.hour, d.devices, v.sessions, CAST(v.median_dwell_s AS BIGINT) AS median_dwell_s,
           CAST(d.devices_bounded AS BIGINT) AS devices_bounded
    FROM devices d JOIN visits v ON v.zr = d.zr AND v.hour = d.hour JOIN names n ON n.zr = d.zr
    ORDER BY n.zone, d.hour
    """
