"""The promise in code: no raw MAC anywhere once ingested, pseudonyms unlinkable across key periods,
nothing under k shown, retention enforced."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import MetaData, select

from praca.wifi import ingest, keystore, lifecycle, store
from praca.wifi.models import KeyPeriod
from tests.wifi.conftest import write_csv
from tests.wifi.worlds import make_world, praca

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
MACS = ["3C-22-FB-0A-11-7E", "F2-1D-9A-33-40-C8", "00-1B-63-84-45-E6"]


def spellings(mac: str) -> list[bytes]:
    plain = mac.replace("-", "").lower()
    return [s.encode() for s in (mac, mac.lower(), mac.replace("-", ":").lower(), mac.replace("-", ":"), plain,
                                 plain.upper())] + [bytes.fromhex(plain)]


def pseudonyms(settings, day: date) -> set[int]:
    folder = store.period_dir(settings, datetime(day.year, day.month, day.day))
    return {r[0] for f in folder.glob("*.parquet")
            for r in duckdb.connect().execute(f"SELECT pseudonym FROM read_parquet('{f}')").fetchall()}


def test_the_same_mac_on_two_days_gets_unrelated_pseudonyms(session, settings, wifi_aps):
    for day in (17, 18):
        rows = [(m, "AP-1", f"2026-11-{day}T10:00:00Z", 600) for m in MACS]
        ingest.ingest_file(session, settings, write_csv(settings.data_dir / f"{day}.csv", rows), now=NOW)
    first, second = pseudonyms(settings, date(2026, 11, 17)), pseudonyms(settings, date(2026, 11, 18))
    assert len(first) == len(second) == 3 and not first & second
    # 60-bit pseudonyms under independent random keys: not even their low bits line up.
    assert not {p & 0xFFFF for p in first} & {p & 0xFFFF for p in second}
    lifecycle.finalise(session, settings, now=NOW)
    assert all(k.key_destroyed_at is not None for k in session.scalars(select(KeyPeriod)))
    assert keystore.held(settings) == {}


def _scan_tree(root: Path, needles: list[bytes]) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.name}: {n!r}" for n in needles if n in data]
    return found


def test_no_table_file_or_log_holds_a_raw_mac(tmp_path):
    """A real `praca wifi` process, logging at DEBUG: after ingest and aggregation, the MACs are nowhere
    under the data dir (SQLite file included), nor in any table, nor in what the process logged."""
    settings = make_world(tmp_path / "city")
    day = date.today() - timedelta(days=3)
    rng = random.Random(3)
    rows = [(rng.choice(MACS), rng.choice(["AP-1", "AP-2", "BUS-1"]), f"{day}T{h:02d}:{rng.randrange(60):02d}:00Z", 300)
            for h in range(24) for _ in range(20)]
    bad = [(MACS[0], "AP-404", f"{day}T10:00:00Z", 60)]  # refused: the report names lines, never the MAC
    inbox = store.inbox(settings)
    write_csv(inbox / "good.csv", rows)
    write_csv(inbox / "bad.csv", bad)
    logs = ""
    for args in (["wifi", "ingest"], ["wifi", "ingest", str(inbox / "bad.csv"), "--accept-partial"],
                 ["wifi", "aggregate"], ["wifi", "status"]):
        result = praca(settings, *args, log_level="DEBUG")
        logs += result.stdout + result.stderr
    assert "good.csv" in logs and "rejected" in logs
    (inbox / "bad.csv").unlink()  # the operator's own rejected file; purge would delete it after retention
    needles = [n for m in MACS for n in spellings(m)]
    assert not _scan_tree(settings.data_dir, needles)
    assert not [n for n in needles if n.decode("latin-1") in logs]
    from sqlalchemy import create_engine

    engine = create_engine(settings.sqlalchemy_url)
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        dump = "\n".join(repr(row) for table in meta.sorted_tables for row in conn.execute(table.select()))
    assert "wifi.period.aggregated" in dump
    assert not [n for n in needles if n.decode("latin-1") in dump]


def test_a_destroyed_key_is_nowhere_in_the_data_dir(session, settings, wifi_aps):
    """The key lives only in its file (never in the database, which keeps old values in free pages and
    logs), and that file is overwritten and unlinked when the period is final."""
    rows = [(m, "AP-1", "2026-11-17T10:00:00Z", 600) for m in MACS]
    ingest.ingest_file(session, settings, write_csv(settings.data_dir / "17.csv", rows), now=NOW)
    ((period, _),) = keystore.held(settings).items()
    key = keystore.read(settings, period)
    assert key is not None and len(key) == keystore.KEY_BYTES
    assert (store.key_dir(settings) / f"{period:%Y%m%dT%H}.key").stat().st_mode & 0o077 == 0
    assert [hit.split(":")[0] for hit in _scan_tree(settings.data_dir, [key])] == [f"{period:%Y%m%dT%H}.key"]
    lifecycle.finalise(session, settings, now=NOW)
    session.close()
    assert keystore.held(settings) == {} and _scan_tree(settings.data_dir, [key]) == []


@pytest.mark.parametrize("grace", [0, 6])
def test_purge_leaves_no_raw_file_and_no_session_past_retention(session, settings, wifi_aps, grace):
    settings.wifi_raw_grace_hours = grace
    for day in range(10, 19):
        rows = [(m, "AP-1", f"2026-11-{day}T10:00:00Z", 600) for m in MACS]
        ingest.ingest_file(session, settings, write_csv(settings.data_dir / "in" / f"{day}.csv", rows), now=NOW)
    lifecycle.finalise(session, settings, now=NOW)
    lifecycle.purge(session, settings, now=NOW + timedelta(hours=max(grace, 1)))
    assert not list((settings.data_dir / "in").glob("*"))
    limit = NOW - timedelta(hours=settings.wifi_session_retention_hours)
    for period in session.scalars(select(KeyPeriod)):
        if period.ends_at <= limit:
            assert keystore.read(settings, period.starts_at) is None and period.sessions_purged_at is not None
            assert not store.period_dir(settings, period.starts_at).exists()


def test_a_key_is_made_once_whole_and_destroyed_with_its_drafts(settings):
    """Two ingests at once get one key; a draft a crash left behind goes with the key."""
    period = datetime(2026, 11, 17)
    key, made = keystore.ensure(settings, period)
    assert made and keystore.ensure(settings, period) == (key, False)
    draft = store.key_dir(settings) / f".{period:%Y%m%dT%H}.key.0123456789abcdef"
    draft.write_bytes(key)
    assert keystore.destroy(settings, period) and not draft.exists()
    assert list(store.key_dir(settings).iterdir()) == [] and not keystore.destroy(settings, period)
