"""The pipeline's steps, written once as SQL and rendered for each engine's dialect.

DuckDB (the default, in-process) and Spark (for a city that outgrows one machine) run the very same
statements; only a handful of functions are spelled differently, and `Dialect` holds those spellings.
That is what makes "both engines produce identical aggregates" a property of the code, not a hope.

The steps, over views the engine provides:
  raw            the log file with canonical column names (device, ap, start, stop, duration, bytes, line)
  known_aps      (code)             access points the register knows
  closed         (period)           key periods whose key is destroyed: late rows are refused
  keys           (period, ipad, opad) HMAC key material, passed as data, never inlined in SQL text
  ap_zones       (ap, zone)         the zoning of the day

  STAGE       raw → staged: normalised, parsed, with a `reason` for every row that cannot be used
  PSEUDONYMS  each distinct (period, device) hashed once: HMAC-SHA-256, truncated to 60 bits
  SESSIONS    staged ⋈ pseudonyms: the only form in which sessions are ever written
  AGGREGATE   sessions → per zone and hour: distinct devices, sessions, median dwell, bounded devices
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# Why a row cannot be used, in the order they are checked; the report uses these codes.
REASONS = ("bad_device", "bad_start", "bad_stop", "stop_before_start", "in_future", "unknown_ap", "period_closed")


@dataclass(frozen=True)
class Dialect:
    name: str
    sha256_hex: Callable[[str], str]  # hex digest of a BINARY expression
    concat_binary: Callable[[str, str], str]
    utf8: Callable[[str], str]  # VARCHAR → BINARY
    hex15_to_bigint: Callable[[str], str]  # first 15 hex digits → non-negative BIGINT
    seconds_between: Callable[[str, str], str]
    add_seconds: Callable[[str, str], str]
    bucket: Callable[[str, int], str]  # floor a UTC timestamp to `hours`-hour periods from midnight
    median: Callable[[str], str]  # the lower median (a value that occurs), identical in both engines


DUCKDB = Dialect(
    name="duckdb",
    sha256_hex=lambda b: f"sha256({b})",
    concat_binary=lambda a, b: f"({a} || {b})",
    utf8=lambda s: f"encode({s})",
    hex15_to_bigint=lambda h: f"('0x' || substr({h}, 1, 15))::BIGINT",
    seconds_between=lambda a, b: f"date_diff('second', {a}, {b})",
    add_seconds=lambda ts, s: f"({ts} + to_seconds({s}))",
    bucket=lambda ts, h: f"time_bucket(INTERVAL {h} HOUR, {ts}, TIMESTAMP '2000-01-01')",
    median=lambda x: f"quantile_disc({x}, 0.5)",
)

SPARK = Dialect(
    name="spark",
    sha256_hex=lambda b: f"sha2({b}, 256)",
    concat_binary=lambda a, b: f"concat({a}, {b})",
    utf8=lambda s: f"encode({s}, 'UTF-8')",
    hex15_to_bigint=lambda h: f"CAST(conv(substr({h}, 1, 15), 16, 10) AS BIGINT)",
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
    refused, as a clock error on the controller would otherwise open key periods ahead of time."""
    stop = f"coalesce(stop, CASE WHEN duration >= 0 THEN {d.add_seconds('start', 'duration')} END)"
    return f"""
    SELECT r.line, r.device, r.ap, r.start, r.stop, r.bytes, {d.seconds_between('r.start', 'r.stop')} AS dwell_s,
           {d.bucket('r.start', period_hours)} AS period,
           CASE WHEN r.device IS NULL OR length(r.device) <> 12 THEN 'bad_device'
                WHEN r.start IS NULL THEN 'bad_start'
                WHEN r.stop IS NULL THEN 'bad_stop'
                WHEN r.stop < r.start THEN 'stop_before_start'
                WHEN r.start > {now} THEN 'in_future'
                WHEN k.code IS NULL THEN 'unknown_ap'
                WHEN c.period IS NOT NULL THEN 'period_closed'
           END AS reason
    FROM (SELECT line, {normalised_device('device')} AS device, trim(ap) AS ap, start, {stop} AS stop, bytes
          FROM raw) r
    LEFT JOIN known_aps k ON k.code = r.ap
    LEFT JOIN closed c ON c.period = {d.bucket('r.start', period_hours)}
    """


def pseudonyms(d: Dialect) -> str:
    """Each distinct identifier of a key period is hashed once (the expensive part), then joined back.
    HMAC(K, m) = H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)), with the padded keys supplied as data."""
    inner = d.sha256_hex(d.concat_binary("k.ipad", d.utf8("u.device")))
    outer = d.sha256_hex(d.concat_binary("k.opad", f"unhex({inner})"))
    return f"""
    SELECT u.period, u.device, {d.hex15_to_bigint(outer)} AS pseudonym
    FROM (SELECT DISTINCT period, device FROM staged WHERE reason IS NULL) u
    JOIN keys k ON k.period = u.period
    """


SESSIONS = """
    SELECT p.pseudonym, s.ap, s.start, s.dwell_s, s.bytes, s.period
    FROM staged s JOIN pseudonyms p ON p.period = s.period AND p.device = s.device
    WHERE s.reason IS NULL
"""


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
