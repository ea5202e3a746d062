"""DuckDB and Spark run the same steps (`steps.py`), so on the same files and keys they must give the same
stage reports, the same pseudonyms and the same aggregates, and the pipeline the same footfall.

PySpark is a test dependency (CI installs the `spark` extra): these tests never skip. One Spark session
serves the whole run; every `SparkEngine` works in a session of its own inside it.
"""

from __future__ import annotations

import hmac
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import delete, select

from praca.wifi import ingest, lifecycle
from praca.wifi.duckdb_engine import DuckDBEngine, StageReport
from praca.wifi.models import Footfall, Ingest, KeyPeriod
from praca.wifi.spark_engine import SparkEngine, spark_session

DAY0 = datetime(2026, 11, 16)  # three UTC days of sessions: 16, 17 and 18 November
NOW = datetime(2026, 11, 20, 12)
CLOSED = datetime(2026, 11, 15)  # a key period already destroyed: its late rows are refused
APS = ("AP-1", "AP-2", "BUS-1")  # the access points conftest's `wifi_aps` maps
ZONES = {"AP-1": "zone-a", "AP-2": "zone-b", "BUS-1": "bus"}
KEYS = {DAY0 + timedelta(days=d): bytes([17 * d + 1]) * 32 for d in range(3)}
SESSIONS = 30_000
CSV_HEADER = ("Calling-Station-Id,Called-Station-Id,Acct-Start-Time,Acct-Session-Time,"
              "Acct-Input-Octets,Acct-Output-Octets")

# Rows no engine may use, put in the middle of the CSV: data line index → the line and why.
CSV_BAD = {
    101: (b"not-a-mac,AP-1,2026-11-16T10:00:00Z,60,1,2", "bad_device"),
    2_002: (b"00-1B-63-00-00-01,AP-1,yesterday at ten,60,1,2", "bad_start"),
    2_003: (b"00-1B-63-00-00-02,AP-1,2026-11-16T10:00:00Z,-30,1,2", "bad_stop"),
    5_004: (b"00-1B-63-00-00-03,AP-404,2026-11-17T10:00:00Z,60,1,2", "unknown_ap"),
    5_005: (b"00-1B-63-00-00-04,AP-2,2026-12-24T10:00:00Z,60,1,2", "in_future"),
    9_006: (b"00-1B-63-00-00-05,AP-2,2026-11-15T23:00:00Z,60,1,2", "period_closed"),
    9_007: (b"00-1B-63-00-00-06,AP-2,2026-11-15T23:30:00Z,60,1,2", "period_closed"),
    12_008: (b"00-1B-63-00-00-07,AP-1\xe9,2026-11-17T10:00:00Z,60,1,2", "wrong_encoding"),  # Latin-1
    20_009: (b"00-1B-63-00-00-08,AP-1,2026-11-18T10:00:00Z,60,1", "wrong_column_count"),
    20_010: (b"00-1B-63-00-00-09,AP-1,2026-11-18T10:00:00Z,60,1,2,3", "wrong_column_count"),
    25_011: (b"00-1B-63-00-00-0A,AP-2,infinity,60,1,2", "bad_start"),  # DuckDB parses it; no start either way
}
PARQUET_BAD = {"bad_device", "stop_before_start", "unknown_ap", "period_closed"}


def _sessions(seed: int) -> dict[str, np.ndarray]:
    """Sessions over the three days: a heavy-tailed population (a few devices seen all day, most once),
    busier by day than at night, lognormal durations and byte counts growing with them."""
    rng = np.random.default_rng(seed)
    hourly = np.array([1, .5, .3, .2, .2, .4, 1.2, 3, 5, 5, 5, 5, 6, 6, 5, 5, 5, 6, 7, 6, 4, 3, 2, 1.5])
    second = (rng.integers(0, 3, SESSIONS) * 86_400 + rng.choice(24, SESSIONS, p=hourly / hourly.sum()) * 3600
              + rng.integers(0, 3600, SESSIONS))
    duration = np.clip(rng.lognormal(np.log(900), 1.0, SESSIONS), 30, 8 * 3600).astype(np.int64)
    octets = (duration * rng.lognormal(np.log(3000), 1.0, SESSIONS)).astype(np.int64)
    return {"device": (rng.zipf(1.6, SESSIONS) - 1) % 8_000, "ap": rng.choice(3, SESSIONS, p=[.5, .3, .2]),
            "start": int(DAY0.replace(tzinfo=UTC).timestamp()) + second, "duration": duration,
            "up": octets // 3, "down": octets - octets // 3, "style": rng.integers(0, 4, SESSIONS)}


def _mac(device: int, style: int) -> str:
    """One device, spelt as RADIUS, a controller or a Cisco box would: the steps must see one device."""
    raw = (0x001B63 << 24 | int(device)).to_bytes(6, "big")
    if style == 1:
        return ":".join(f"{b:02x}" for b in raw)
    if style == 2:
        return ".".join(raw.hex()[i:i + 4] for i in (0, 4, 8))
    return "-".join(f"{b:02X}" for b in raw)


def write_csv(path: Path) -> Path:
    """A RADIUS accounting export: start times in UTC (some with an offset), durations, two byte counts,
    the odd quoted field and trailing delimiter; bad rows at known lines."""
    s = _sessions(7)
    lines = [CSV_HEADER.encode()]
    for i in range(SESSIONS):
        at = datetime.fromtimestamp(int(s["start"][i]), UTC)
        start = (f"{at + timedelta(hours=1):%Y-%m-%d %H:%M:%S}+01:00" if s["style"][i] == 3
                 else f"{at:%Y-%m-%dT%H:%M:%SZ}")
        ap = f'"{APS[s["ap"][i]]}"' if i % 97 == 0 else APS[s["ap"][i]]
        line = f"{_mac(s['device'][i], s['style'][i])},{ap},{start},{s['duration'][i]},{s['up'][i]},{s['down'][i]}"
        lines.append((line + ("," if i % 101 == 50 else "")).encode())
        if i in CSV_BAD:
            lines.append(CSV_BAD[i][0])
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def write_parquet(path: Path) -> Path:
    """A controller's export: MAC as text, AP name, start and stop as UTC timestamps, one byte count."""
    s = _sessions(8)
    start = s["start"] * 1_000_000
    stop = start + s["duration"] * 1_000_000
    macs = [_mac(d, st % 3) for d, st in zip(s["device"], s["style"], strict=True)]
    aps = [APS[a] for a in s["ap"]]
    macs[11], aps[4_000], stop[8_000] = None, "AP-404", start[8_000] - 1_000_000
    start[15_000] = int(datetime(2026, 11, 15, 22, tzinfo=UTC).timestamp()) * 1_000_000
    stop[15_000] = start[15_000] + 60_000_000
    pq.write_table(pa.table({"client_mac": pa.array(macs, pa.string()), "ap_name": aps,
                             "start": pa.array(start, pa.timestamp("us", tz="UTC")),
                             "stop": pa.array(stop, pa.timestamp("us", tz="UTC")), "bytes": s["up"] + s["down"]}),
                   path, compression="zstd")
    return path


@pytest.fixture(scope="session")
def spark():
    """The process's Spark session, started once (≈ 7 s) for the whole run."""
    return spark_session()


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("logs")
    return {"csv": write_csv(folder / "radius.csv"), "parquet": write_parquet(folder / "controller.parquet")}


def _run(engine: DuckDBEngine | SparkEngine, path: Path, fmt: str,
         out: Path) -> tuple[StageReport, dict[datetime, Path], list[tuple[Any, ...]]]:
    with engine:
        report = engine.stage(path, fmt, {}, known_aps=list(APS), closed_periods=[CLOSED], now=NOW,
                              period_hours=24)
        written = engine.write_sessions(KEYS, out, "part")
        return report, written, engine.aggregate(list(written.values()), ZONES, max_cells=3)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_both_engines_report_pseudonymise_and_aggregate_alike(spark, logs, tmp_path, fmt):
    duck_report, duck_files, duck_cells = _run(DuckDBEngine(), logs[fmt], fmt, tmp_path / "duckdb")
    spark_report, spark_files, spark_cells = _run(SparkEngine(), logs[fmt], fmt, tmp_path / "spark")

    # The same report: counts per reason, the same first lines, in the same order; the same periods.
    assert set(duck_report.rejected) == ({r for _, r in CSV_BAD.values()} if fmt == "csv" else PARQUET_BAD)
    assert spark_report == duck_report
    assert list(spark_report.rejected) == list(duck_report.rejected)
    if fmt == "csv":  # file lines, the header being line 1 and each bad row following data row i (line i + 2)
        lines = {r: sorted(i + 3 + sum(j < i for j in CSV_BAD) for i, (_, why) in CSV_BAD.items() if why == r)
                 for r in duck_report.rejected}
        assert {r: e["lines"] for r, e in spark_report.rejected.items()} == lines

    # The same pseudonyms, in the same Parquet schema, one file per key period.
    assert spark_files.keys() == duck_files.keys() == KEYS.keys()
    for period in KEYS:
        assert len(list(spark_files[period].parent.iterdir())) == 1
        duck, sparks = pq.read_table(duck_files[period]), pq.read_table(spark_files[period])
        assert sparks.schema.remove_metadata() == duck.schema.remove_metadata()
        assert str(duck.schema.field("start").type) == "timestamp[us]"
        order = [(c, "ascending") for c in duck.column_names]
        assert sparks.sort_by(order).equals(duck.sort_by(order))

    # The same aggregates, of the same Python types; and each engine reads the other's files alike.
    assert spark_cells == duck_cells and len(duck_cells) > 150
    assert [tuple(map(type, c)) for c in spark_cells] == [tuple(map(type, c)) for c in duck_cells]
    assert any(c[5] < c[2] for c in duck_cells), "the bound on zone-hours per device must bite somewhere"
    with DuckDBEngine() as duck:
        assert duck.aggregate(list(spark_files.values()), ZONES, max_cells=3) == duck_cells
    with SparkEngine() as other:
        assert other.aggregate(list(duck_files.values()), ZONES, max_cells=3) == duck_cells


def test_the_aggregates_are_what_their_definitions_say(logs, tmp_path):
    """`steps.aggregate`, computed here the slow and obvious way from the session files: per zone and
    hour of the start, distinct pseudonyms, sessions, the lower median of the dwell times, and devices
    counted only in their first `max_cells` zone-hours (by hour, then zone) of each key period."""
    _, written, cells = _run(DuckDBEngine(), logs["parquet"], "parquet", tmp_path / "out")
    rows = pa.concat_tables(pq.read_table(f) for f in written.values()).to_pylist()
    groups: dict[tuple[str, datetime], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((ZONES[r["ap"]], r["start"].replace(minute=0, second=0, microsecond=0)), []).append(r)
    firsts: set[tuple[Any, ...]] = set()
    per_device: dict[tuple[Any, int], set[tuple[datetime, str]]] = {}
    for (zone, hour), members in groups.items():
        for r in members:
            per_device.setdefault((r["period"], r["pseudonym"]), set()).add((hour, zone))
    for (period, pseudonym), held in per_device.items():
        firsts.update((period, pseudonym, hour, zone) for hour, zone in sorted(held)[:3])
    expected = []
    for (zone, hour), members in sorted(groups.items()):
        dwells = sorted(r["dwell_s"] for r in members)
        devices = {(r["period"], r["pseudonym"]) for r in members}
        bounded = sum((period, p, hour, zone) in firsts for period, p in devices)
        expected.append((zone, hour, len(devices), len(members), dwells[(len(dwells) - 1) // 2], bounded))
    assert cells == expected
    assert sum(c[5] < c[2] for c in cells) > 10


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # the engines, not the database, are compared
def test_the_pipeline_gives_the_same_footfall_on_either_engine(session, settings, wifi_aps, logs, tmp_path, spark):
    now = NOW.replace(tzinfo=UTC)
    footfall, outcomes = {}, {}
    for name in ("duckdb", "spark"):
        settings.wifi_engine = name
        copies = [Path(shutil.copy(logs[fmt], tmp_path / f"{name}-{logs[fmt].name}")) for fmt in ("csv", "parquet")]
        outcomes[name] = [(o.status, o.rows_read, o.rows_ingested, o.rows_rejected, o.report)
                          for o in (ingest.ingest_file(session, settings, f, accept_partial=True, now=now)
                                    for f in copies)]
        assert lifecycle.finalise(session, settings, now=now) == ["2026-11-15 00:00", "2026-11-16 00:00",
                                                                  "2026-11-17 00:00", "2026-11-18 00:00"]
        footfall[name] = sorted((f.zone, f.hour, f.devices, f.sessions, f.median_dwell_s, f.devices_bounded)
                                for f in session.scalars(select(Footfall)))
        for table in (Footfall, Ingest, KeyPeriod):  # start the other engine from an empty pipeline
            session.execute(delete(table))
        session.commit()
    assert [o[0] for o in outcomes["duckdb"]] == ["partial", "partial"]
    assert outcomes["spark"] == outcomes["duckdb"]
    assert footfall["spark"] == footfall["duckdb"] and len(footfall["duckdb"]) > 150


@pytest.mark.parametrize("kind", ["duckdb", "spark"])
def test_a_pseudonym_is_the_standard_hmac_of_the_normalised_mac(spark, tmp_path, kind):
    """DuckDB hashes natively (`pseudonym.py`), Spark in SQL (`steps.SPARK`); this pins both to RFC 2104
    as the `hmac` module computes it: HMAC-SHA-256 of the MAC's 12 lower-case hex digits under the
    period's key, its first 60 bits. Spellings of one device are one pseudonym; strings that are no
    MAC, however close, are refused alike by both engines."""
    day = DAY0 + timedelta(days=1)
    same = ["00-1B-63-84-45-E6", "00:1b:63:84:45:e6", " 001b.6384.45e6 ", "-001B638445e6:"]
    refused = ["not-a-mac", "001b638445e", "001b638445e6f", "g01b638445e6", "00 1b 63 84 45 e6", "00١b638445e6",
               "001b638445e6\n", "\t001b638445e6"]
    devices = same + refused
    start = [datetime(day.year, day.month, day.day, h, tzinfo=UTC) for h in range(len(devices))]
    path = tmp_path / "one.parquet"  # Parquet: a device may hold any character, a newline included
    pq.write_table(pa.table({"client_mac": devices, "ap_name": ["AP-1"] * len(devices), "start": start,
                             "stop": [t + timedelta(seconds=60) for t in start]}), path)
    with DuckDBEngine() if kind == "duckdb" else SparkEngine() as engine:
        report = engine.stage(path, "parquet", {}, known_aps=list(APS), closed_periods=[], now=NOW, period_hours=24)
        written = engine.write_sessions(KEYS, tmp_path / "out", "part")
    lines = list(range(len(same) + 1, len(devices) + 1))  # a Parquet file's "lines" are its rows, from 1
    assert report.rejected == {"bad_device": {"count": len(refused), "lines": lines}}
    assert report.rows_valid == len(same)
    expected = int.from_bytes(hmac.digest(KEYS[day], b"001b638445e6", "sha256")[:8], "big") >> 4
    assert pq.read_table(written[day]).column("pseudonym").to_pylist() == [expected] * len(same)


@pytest.mark.parametrize("kind", ["duckdb", "spark"])
def test_lines_are_counted_across_empty_lines(spark, tmp_path, kind):
    """DuckDB skips empty lines without a word: the report still gives each bad row its line in the file."""
    day = DAY0 + timedelta(days=1)
    good = [f"00-1B-63-84-45-{i:02X},AP-1,{day:%Y-%m-%d}T10:{i:02d}:00Z,60" for i in range(40)]
    lines = ["Calling-Station-Id,Called-Station-Id,Acct-Start-Time,Acct-Session-Time", *good[:10], "", "",
             *good[10:20], "00-1B-63-84-45-FF,AP-404,2026-11-17T10:00:00Z,60", "", "00-1B-63-84-45-FE,AP-1",
             *good[20:], "00-1B-63-84-45-FD,AP-1,tomorrow,60", ""]
    path = tmp_path / "gaps.csv"
    path.write_text("\n".join(lines) + "\n")
    with DuckDBEngine() if kind == "duckdb" else SparkEngine() as engine:
        report = engine.stage(path, "csv", {}, known_aps=list(APS), closed_periods=[], now=NOW, period_hours=24)
    number = {line: i for i, line in enumerate(lines, 1)}
    assert report.rejected == {
        "bad_start": {"count": 1, "lines": [number["00-1B-63-84-45-FD,AP-1,tomorrow,60"]]},
        "unknown_ap": {"count": 1, "lines": [number["00-1B-63-84-45-FF,AP-404,2026-11-17T10:00:00Z,60"]]},
        "wrong_column_count": {"count": 1, "lines": [number["00-1B-63-84-45-FE,AP-1"]]}}
    assert report.rows_valid == 40
