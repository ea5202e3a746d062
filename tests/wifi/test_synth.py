"""The synthetic Wi-Fi log generator: exact formats, determinism, and the realism the demo and benchmarks rely on.

One small city (32 street APs, 8 on buses, 20,000 sessions a day, 8 days from Monday 2 November 2026) is
generated once per format; every check reads those files back with DuckDB, as the pipeline does.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pytest

from praca.wifi.synth import SynthAccessPoint, SynthEvent, default_events, write_logs

START = date(2026, 11, 2)  # a Monday
DAYS = 8
PER_DAY = 20_000
BOLHAO = (41.1496, -8.6059)

COLUMNS = ["client_mac", "ap_name", "start", "stop", "bytes"]
TYPES = ["VARCHAR", "VARCHAR", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP WITH TIME ZONE", "BIGINT"]
CSV_HEADER = ("Calling-Station-Id,Called-Station-Id,Acct-Start-Time,Acct-Session-Time,Acct-Input-Octets,"
              "Acct-Output-Octets")


def _access_points() -> list[SynthAccessPoint]:
    """Street APs around Porto (two inside the market's radius, none inside the stadium's) and buses."""
    rng = np.random.default_rng(11)

    def spot() -> tuple[float, float]:
        return float(rng.uniform(41.14, 41.18)), float(rng.uniform(-8.68, -8.56))

    aps = [SynthAccessPoint("PD-AP-0001", 41.1500, -8.6055, False),
           SynthAccessPoint("PD-AP-0002", 41.1490, -8.6065, False)]
    aps += [SynthAccessPoint(f"PD-AP-{i:04d}", *spot(), False) for i in range(3, 33)]
    aps += [SynthAccessPoint(f"STCP-BUS-{i:04d}", *spot(), True) for i in range(8)]
    return aps


APS = _access_points()


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Haversine distance, independent of the generator's own approximation."""
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def _event_aps(event: SynthEvent) -> list[str]:
    street = [ap for ap in APS if not ap.on_bus]
    dist = {ap.code: _metres((event.lat, event.lon), (ap.lat, ap.lon)) for ap in street}
    inside = [code for code, d in dist.items() if d <= event.radius_m]
    return inside or sorted(dist, key=dist.__getitem__)[:3]


def _rows(con: duckdb.DuckDBPyConnection, query: str, *params: object) -> list[tuple]:
    return con.execute(query, list(params)).fetchall()


@pytest.fixture(scope="module")
def written() -> list[int]:
    """What `progress` was told while the module's files were written (both formats)."""
    return []


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory, written: list[int]) -> dict[str, list[Path]]:
    out = tmp_path_factory.mktemp("synth")
    return {fmt: write_logs(out / fmt, APS, start=START, days=DAYS, sessions_per_day=PER_DAY, fmt=fmt,
                            progress=written.append) for fmt in ("parquet", "csv")}


@pytest.fixture(scope="module")
def con(generated: dict[str, list[Path]]) -> duckdb.DuckDBPyConnection:
    """`s`: the Parquet sessions with their file's day, local hour and kind of MAC; `aps`: the access points."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    files = [str(p) for p in generated["parquet"]]
    con.execute(f"""CREATE TABLE s AS SELECT *, strptime(regexp_extract(filename, 'wifi-(.*)\\.parquet', 1),
                        '%Y-%m-%d')::DATE AS file_day,
                        hour(timezone('Europe/Lisbon', start)) AS local_hour,
                        timezone('Europe/Lisbon', start)::DATE AS local_day,
                        (('0x' || substr(client_mac, 1, 2))::INTEGER & 2) = 2 AS randomised,
                        epoch(stop - start) AS seconds
                    FROM read_parquet({files}, filename = true)""")
    con.execute("CREATE TABLE aps (code VARCHAR, lat DOUBLE, lon DOUBLE, on_bus BOOLEAN)")
    con.executemany("INSERT INTO aps VALUES (?, ?, ?, ?)", [(a.code, a.lat, a.lon, a.on_bus) for a in APS])
    return con


def test_one_file_per_day_in_order(generated: dict[str, list[Path]]) -> None:
    for fmt in ("parquet", "csv"):
        assert [p.name for p in generated[fmt]] == [f"wifi-{START + timedelta(days=i)}.{fmt}" for i in range(DAYS)]


def test_same_arguments_give_byte_identical_files(generated: dict[str, list[Path]], tmp_path: Path) -> None:
    for fmt in ("parquet", "csv"):
        again = write_logs(tmp_path / fmt, APS, start=START, days=DAYS, sessions_per_day=PER_DAY, fmt=fmt)
        assert [p.read_bytes() for p in again] == [p.read_bytes() for p in generated[fmt]]
    other = write_logs(tmp_path / "seed", APS, start=START, days=1, sessions_per_day=PER_DAY, fmt="csv", seed=7)
    assert other[0].read_bytes() != generated["csv"][0].read_bytes()


def test_parquet_has_exact_columns_types_and_zstd(con: duckdb.DuckDBPyConnection,
                                                  generated: dict[str, list[Path]]) -> None:
    path = str(generated["parquet"][0])
    described = _rows(con, f"DESCRIBE SELECT * FROM read_parquet('{path}')")
    assert [(r[0], r[1]) for r in described] == list(zip(COLUMNS, TYPES, strict=True))
    codecs = {r[0] for r in _rows(con, f"SELECT DISTINCT compression FROM parquet_metadata('{path}')")}
    assert codecs == {"ZSTD"}


def test_csv_is_a_radius_accounting_export(con: duckdb.DuckDBPyConnection, generated: dict[str, list[Path]]) -> None:
    path = generated["csv"][0]
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == CSV_HEADER
    assert '"' not in text
    described = _rows(con, f"DESCRIBE SELECT * FROM read_csv('{path}')")
    assert [r[0] for r in described] == CSV_HEADER.split(",")
    assert [r[1] for r in described][3:] == ["BIGINT"] * 3
    bad = _rows(con, f"""SELECT count(*) FROM read_csv('{path}', all_varchar = true) WHERE NOT (
        regexp_full_match("Calling-Station-Id", '[0-9A-F]{{2}}(-[0-9A-F]{{2}}){{5}}')
        AND regexp_full_match("Acct-Start-Time", '{START}T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z')
        AND regexp_full_match("Acct-Session-Time", '[1-9][0-9]*')
        AND regexp_full_match("Acct-Input-Octets", '[0-9]+') AND regexp_full_match("Acct-Output-Octets", '[0-9]+'))""")
    assert bad == [(0,)]


def test_both_formats_hold_the_same_sessions(con: duckdb.DuckDBPyConnection, generated: dict[str, list[Path]]) -> None:
    csv, parquet = generated["csv"][3], generated["parquet"][3]
    differ = _rows(con, f"""
        SELECT count(*) FROM (
            SELECT lower(replace("Calling-Station-Id", '-', ':')), "Called-Station-Id", "Acct-Start-Time"::TIMESTAMPTZ,
                   "Acct-Session-Time", "Acct-Input-Octets" + "Acct-Output-Octets" FROM read_csv('{csv}')
            EXCEPT ALL
            SELECT client_mac, ap_name, start, epoch(stop - start)::BIGINT, bytes FROM read_parquet('{parquet}'))""")
    assert differ == [(0,)]
    (csv_rows, parquet_rows), = _rows(con, f"SELECT (SELECT count(*) FROM read_csv('{csv}')), "
                                           f"(SELECT count(*) FROM read_parquet('{parquet}'))")
    assert csv_rows == parquet_rows


def test_parquet_macs_are_lower_case_colon_separated(con: duckdb.DuckDBPyConnection) -> None:
    bad = _rows(con, "SELECT count(*) FROM s WHERE NOT regexp_full_match(client_mac, '[0-9a-f]{2}(:[0-9a-f]{2}){5}')")
    assert bad == [(0,)]


def test_randomised_macs_are_local_and_never_come_back(con: duckdb.DuckDBPyConnection) -> None:
    (share,), = _rows(con, "SELECT avg(randomised::INTEGER) FROM s")
    assert 0.5 <= share <= 0.7
    multicast = _rows(con, "SELECT count(*) FROM s WHERE (('0x' || substr(client_mac, 1, 2))::INTEGER & 1) = 1")
    assert multicast == [(0,)]
    (most_days,), = _rows(con, "SELECT max(d) FROM (SELECT count(DISTINCT file_day) d FROM s WHERE randomised "
                               "GROUP BY client_mac)")
    assert most_days == 1


def test_fixed_macs_are_vendor_devices_that_return(con: duckdb.DuckDBPyConnection) -> None:
    (devices, returning, every_day, ouis), = _rows(con, f"""
        SELECT count(*), count(*) FILTER (WHERE d >= 2), count(*) FILTER (WHERE d = {DAYS}), count(DISTINCT oui)
        FROM (SELECT client_mac, any_value(substr(client_mac, 1, 8)) oui, count(DISTINCT file_day) d
              FROM s WHERE NOT randomised GROUP BY client_mac)""")
    assert returning > devices / 2 and every_day > 0
    assert ouis >= 20  # real vendor prefixes, not one made-up block
    apple_samsung = _rows(con, "SELECT count(*) FROM s WHERE substr(client_mac, 1, 8) IN ('f0:db:f8', '00:16:32')")
    assert apple_samsung[0][0] > 0


def test_commuters_come_back_on_weekdays(con: duckdb.DuckDBPyConnection) -> None:
    """Fixed MACs seen in the morning rush are there on more weekdays than weekend days (per day)."""
    (weekday, weekend), = _rows(con, """
        WITH rush AS (SELECT DISTINCT client_mac FROM s WHERE NOT randomised AND local_hour IN (7, 8)
                      AND dayofweek(local_day) BETWEEN 1 AND 5)
        SELECT count(DISTINCT (client_mac, local_day)) FILTER (WHERE dayofweek(local_day) BETWEEN 1 AND 5) / 6,
               count(DISTINCT (client_mac, local_day)) FILTER (WHERE dayofweek(local_day) IN (0, 6)) / 2
        FROM s WHERE client_mac IN (SELECT client_mac FROM rush)""")
    assert weekday > 1.5 * weekend


def test_nights_are_quiet_with_morning_and_evening_peaks(con: duckdb.DuckDBPyConnection) -> None:
    hourly = dict(_rows(con, "SELECT local_hour, count(*) / count(DISTINCT local_day) FROM s GROUP BY 1"))
    day_mean = sum(hourly[h] for h in range(9, 21)) / 12
    assert all(hourly[h] < day_mean / 4 for h in range(1, 6))
    assert hourly[8] > hourly[5] * 4 and hourly[18] > hourly[22] * 1.5


def test_weekends_differ_from_weekdays(con: duckdb.DuckDBPyConnection) -> None:
    per_day = dict(_rows(con, "SELECT file_day, count(*) FROM s GROUP BY 1"))
    sunday, monday = per_day[date(2026, 11, 8)], per_day[date(2026, 11, 9)]
    assert sunday < 0.85 * monday
    rush = dict(_rows(con, """SELECT dayofweek(local_day) IN (0, 6), count(*) FILTER (WHERE local_hour = 8)
                                     / count(*) FILTER (WHERE local_hour = 12) FROM s GROUP BY 1"""))
    assert rush[False] > 1.4 * rush[True]  # the 8 o'clock rush is a weekday thing


def test_daily_totals_stay_near_the_mean(tmp_path: Path) -> None:
    paths = write_logs(tmp_path, APS, start=START, days=7, sessions_per_day=5_000, fmt="parquet", events=[])
    con = duckdb.connect()
    (total,), = con.execute(f"SELECT count(*) FROM read_parquet({[str(p) for p in paths]})").fetchall()
    assert 0.75 * 7 * 5_000 <= total <= 1.25 * 7 * 5_000


def test_access_points_differ_in_popularity_and_devices_stay_local(con: duckdb.DuckDBPyConnection) -> None:
    (top, median), = _rows(con, """SELECT max(n), median(n) FROM (SELECT ap_name, count(*) n FROM s
                                   JOIN aps ON code = ap_name WHERE NOT on_bus GROUP BY 1)""")
    assert top > 3 * median
    # A device's street sessions of a day are much closer together than two street APs picked at random.
    (device_spread, random_spread), = _rows(con, """
        WITH seen AS (SELECT DISTINCT file_day, client_mac, lat, lon FROM s JOIN aps ON code = ap_name
                      WHERE NOT on_bus),
             spread AS (SELECT (max(lat) - min(lat)) * 111000 + (max(lon) - min(lon)) * 84000 m FROM seen
                        GROUP BY file_day, client_mac HAVING count(*) >= 2)
        SELECT (SELECT median(m) FROM spread),
               (SELECT median(abs(a.lat - b.lat) * 111000 + abs(a.lon - b.lon) * 84000)
                FROM aps a, aps b WHERE a.code < b.code AND NOT a.on_bus AND NOT b.on_bus)""")
    assert device_spread < random_spread / 2


def test_durations_bytes_and_bus_sessions(con: duckdb.DuckDBPyConnection) -> None:
    (shortest, longest, street, bus, corr, earliest_bus), = _rows(con, """
        SELECT min(seconds), max(seconds), median(seconds) FILTER (WHERE NOT on_bus),
               median(seconds) FILTER (WHERE on_bus), corr(ln(bytes), ln(seconds)),
               min(local_hour) FILTER (WHERE on_bus)
        FROM s JOIN aps ON code = ap_name""")
    assert shortest >= 30 and longest <= 8 * 3600
    assert 12 * 60 <= street <= 25 * 60 and 6 * 60 <= bus <= 10 * 60
    assert corr > 0.5
    assert earliest_bus >= 6  # buses run 6h-24h local


def test_every_session_starts_on_its_files_utc_day(con: duckdb.DuckDBPyConnection) -> None:
    outside = _rows(con, "SELECT count(*) FROM s WHERE start::DATE <> file_day OR stop <= start")
    assert outside == [(0,)]
    # and each file is in start order, as an export would be
    unsorted = _rows(con, """SELECT count(*) FROM (SELECT start < lag(start) OVER (PARTITION BY file_day ORDER BY
                             rowid) back FROM (SELECT *, row_number() OVER () rowid FROM s)) WHERE back""")
    assert unsorted == [(0,)]


def test_progress_reports_every_session(con: duckdb.DuckDBPyConnection, written: list[int]) -> None:
    (rows,), = _rows(con, "SELECT count(*) FROM s")
    assert sum(written) == 2 * rows  # the Parquet and the CSV files


def test_default_events_place_and_hours() -> None:
    market, concert = default_events(START, DAYS)
    window = {START + timedelta(days=i) for i in range(1, DAYS)}
    assert (market.lat, market.lon, market.start_hour, market.end_hour) == (*BOLHAO, 8, 13)
    assert (concert.lat, concert.lon, concert.start_hour, concert.end_hour) == (41.1617, -8.5837, 19, 24)
    assert market.day in window and market.day.weekday() == 5
    assert concert.day in window and concert.day != market.day
    short = default_events(date(2026, 11, 2), 3)  # Monday to Wednesday: no Saturday
    assert {e.day for e in short} <= {date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4)}
    assert short[0].day != short[1].day
    assert default_events(START, 0) == []


def test_default_events_triple_the_footfall(con: duckdb.DuckDBPyConnection) -> None:
    """Distinct devices at the event's APs in its hours, vs the same hours of every other day."""
    for event in default_events(START, DAYS):
        aps = _event_aps(event)
        per_day = dict(_rows(con, """SELECT local_day, count(DISTINCT client_mac) FROM s
                                     WHERE list_contains(?, ap_name) AND local_hour >= ? AND local_hour < ?
                                     GROUP BY 1""", aps, event.start_hour, event.end_hour))
        at_event = per_day.pop(event.day)
        others = [n for day, n in per_day.items() if START <= day < START + timedelta(days=DAYS)]
        assert len(others) >= DAYS - 3 and at_event >= 3 * max(others), (event.name, at_event, others)


def test_an_explicit_event_adds_exactly_its_attendees(tmp_path: Path) -> None:
    event = SynthEvent("Feira do livro", 41.1496, -8.6059, 250.0, date(2026, 11, 4), 15, 19, 400)
    kwargs = {"start": date(2026, 11, 4), "days": 1, "sessions_per_day": 5_000, "fmt": "parquet"}
    (plain,) = write_logs(tmp_path / "plain", APS, events=[], **kwargs)  # type: ignore[arg-type]
    (busy,) = write_logs(tmp_path / "busy", APS, events=[event], **kwargs)  # type: ignore[arg-type]
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"""CREATE TABLE extra AS SELECT client_mac, ap_name, start FROM read_parquet('{busy}')
                    EXCEPT ALL SELECT client_mac, ap_name, start FROM read_parquet('{plain}')""")
    (rows, devices, first, last, aps), = con.execute("""
        SELECT count(*), count(DISTINCT client_mac), min(hour(timezone('Europe/Lisbon', start))),
               max(hour(timezone('Europe/Lisbon', start))), list(DISTINCT ap_name ORDER BY ap_name)
        FROM extra""").fetchall()
    assert devices == 400 and 400 <= rows <= 1200
    assert first >= 15 and last < 19
    assert aps == ["PD-AP-0001", "PD-AP-0002"]  # the two APs within 250 m of the market


def test_holidays_and_clock_changes(tmp_path: Path) -> None:
    """8 December is a public holiday (quieter, like a Sunday); 25 October 2026 the clocks go back."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    paths = write_logs(tmp_path, APS, start=date(2026, 12, 7), days=3, sessions_per_day=5_000, fmt="parquet",
                       events=[])
    monday, holiday, wednesday = (con.execute(f"SELECT count(*) FROM read_parquet('{p}')").fetchone()[0]  # type: ignore[index]
                                  for p in paths)
    assert holiday < 0.85 * min(monday, wednesday)
    paths = write_logs(tmp_path / "dst", APS, start=date(2026, 10, 24), days=3, sessions_per_day=5_000, fmt="csv",
                       events=[])
    bad = con.execute(f"""
        SELECT count(*) FROM read_csv({[str(p) for p in paths]}, filename = true) JOIN (SELECT * FROM (VALUES
            {", ".join(f"('{a.code}', {a.on_bus})" for a in APS)}) t(code, on_bus)) ON code = "Called-Station-Id"
        WHERE "Acct-Start-Time"::DATE::VARCHAR <> regexp_extract(filename, 'wifi-(.*)\\.csv', 1)
           OR (on_bus AND hour(timezone('Europe/Lisbon', "Acct-Start-Time"::TIMESTAMPTZ)) < 6)""").fetchall()
    assert bad == [(0,)]


@pytest.mark.parametrize("change", [
    {"access_points": []},
    {"access_points": [SynthAccessPoint("PD,AP", 41.15, -8.61, False)]},
    {"events": [SynthEvent("x", 41.15, -8.61, 100.0, date(2026, 11, 2), 20, 20, 10)]},
    {"fmt": "json"},
])
def test_bad_arguments_are_refused(tmp_path: Path, change: dict[str, object]) -> None:
    args: dict[str, object] = {"access_points": APS, "start": START, "days": 1, "sessions_per_day": 100,
                               "fmt": "csv", **change}
    with pytest.raises(ValueError):
        write_logs(tmp_path, **args)  # type: ignore[arg-type]
