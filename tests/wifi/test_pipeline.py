"""Ingest → pseudonymise → aggregate → destroy keys → purge, on real files, DuckDB and the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pytest
from sqlalchemy import select

from praca.core.audit import AuditEntry
from praca.wifi import ingest, keystore, lifecycle, status, store
from praca.wifi.models import Footfall, Ingest, KeyPeriod
from tests.wifi.conftest import write_csv

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def mac(i: int) -> str:
    return "-".join(f"{b:02X}" for b in (0x00, 0x1B, 0x63, (i >> 16) & 255, (i >> 8) & 255, i & 255))


def crowd(n: int, ap: str, start: str, *, offset: int = 0, seconds: int = 600) -> list[tuple[str, str, str, int]]:
    return [(mac(offset + i), ap, start, seconds + i) for i in range(n)]


def actions(session) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def test_ingest_pseudonymises_and_deletes_the_raw_file(session, settings, wifi_aps):
    path = write_csv(settings.data_dir / "in" / "day.csv", crowd(12, "AP-1", "2026-11-18T10:05:00Z"))
    out = ingest.ingest_file(session, settings, path, now=NOW)
    assert (out.status, out.rows_ingested, out.rows_rejected) == ("ingested", 12, 0)
    assert not path.exists()
    files = list(store.sessions_root(settings).rglob("*.parquet"))
    assert len(files) == 1
    rows = duckdb.connect().execute(f"SELECT * FROM read_parquet('{files[0]}')").fetchall()
    assert len({r[0] for r in rows}) == 12 and all(isinstance(r[0], int) for r in rows)
    ledger = session.scalars(select(Ingest)).one()
    assert ledger.raw_deleted_at is not None and ledger.rows_ingested == 12
    assert {"wifi.key.created", "wifi.ingest.done", "wifi.raw.deleted"} <= set(actions(session))


def test_the_same_file_is_counted_once(session, settings, wifi_aps):
    rows = crowd(12, "AP-1", "2026-11-18T10:05:00Z")
    ingest.ingest_file(session, settings, write_csv(settings.data_dir / "a.csv", rows), now=NOW)
    again = ingest.ingest_file(session, settings, write_csv(settings.data_dir / "b.csv", rows), now=NOW)
    assert again.status == "duplicate"
    assert session.scalars(select(KeyPeriod)).one().sessions == 12


def test_malformed_file_is_reported_by_line_and_nothing_is_written(session, settings, wifi_aps):
    rows = [
        (mac(1), "AP-1", "2026-11-18T10:00:00Z", 60),      # line 2: good
        (mac(2), "AP-1", "yesterday at ten", 60),          # line 3: bad timestamp
        (mac(3), "AP-1", "2026-11-18T10:00:00Z", -30),     # line 4: stop before start
        (mac(4), "AP-404", "2026-11-18T10:00:00Z", 60),    # line 5: unknown access point
        ("not-a-mac", "AP-1", "2026-11-18T10:00:00Z", 60),  # line 6: bad device
        (mac(5), "AP-2", "2026-11-18T11:00:00Z", 60),      # line 7: good
    ]
    # line 8: wrong encoding (Latin-1 bytes); line 9: truncated in the middle of a row
    path = write_csv(settings.data_dir / "bad.csv", rows,
                     raw=b"00-1B-63-00-00-09,AP-1,2026-11-18T10:00:00Z\xe9,60\n00-1B-63-00-00-0A,AP-1,2026-11")
    out = ingest.ingest_file(session, settings, path, now=NOW)
    assert out.status == "rejected" and out.rows_ingested == 0
    rejected = out.report["rejected"]
    assert rejected["bad_start"]["lines"] == [3]
    assert rejected["bad_stop"]["lines"] == [4]
    assert rejected["unknown_ap"]["lines"] == [5]
    assert rejected["bad_device"]["lines"] == [6]
    assert rejected["wrong_encoding"]["lines"] == [8]
    assert rejected["wrong_column_count"]["lines"] == [9]
    assert path.exists(), "a rejected file stays for the operator"
    assert session.scalar(select(KeyPeriod.id)) is None
    assert not list(store.sessions_root(settings).rglob("*.parquet"))

    partial = ingest.ingest_file(session, settings, path, accept_partial=True, now=NOW)
    assert (partial.status, partial.rows_ingested) == ("partial", 2)


@pytest.mark.parametrize("content, why", [(b"PAR1\x00\x00garbage", "cannot be read"),
                                          (b"", "cannot be read")])
def test_unreadable_parquet_is_rejected_whole(session, settings, wifi_aps, content, why):
    path = settings.data_dir / "cut.parquet"
    path.write_bytes(content)
    out = ingest.ingest_file(session, settings, path, now=NOW)
    assert out.status == "rejected" and why in out.report["error"]


def test_finalising_aggregates_suppresses_nothing_at_rest_but_destroys_key_and_sessions(session, settings, wifi_aps):
    rows = crowd(12, "AP-1", "2026-11-18T10:05:00Z") + crowd(3, "AP-2", "2026-11-18T10:10:00Z", offset=100)
    rows += crowd(12, "BUS-1", "2026-11-18T11:10:00Z", offset=200)
    ingest.ingest_file(session, settings, write_csv(settings.data_dir / "d.csv", rows), now=NOW)
    done = lifecycle.finalise(session, settings, now=NOW)
    assert done == ["2026-11-18 00:00"]
    cells = {(f.zone, f.hour.hour): (f.devices, f.sessions, f.median_dwell_s)
             for f in session.scalars(select(Footfall))}
    assert cells[("bus", 11)] == (12, 12, 605)
    assert sorted(d for d, _, _ in cells.values()) == [3, 12, 12]
    period = session.scalars(select(KeyPeriod)).one()
    assert keystore.read(settings, period.starts_at) is None and period.key_destroyed_at and period.aggregated_at
    assert not store.period_dir(settings, period.starts_at).exists()
    assert {"wifi.period.aggregated", "wifi.key.destroyed", "wifi.sessions.purged"} <= set(actions(session))
    late = ingest.ingest_file(session, settings, write_csv(settings.data_dir / "late.csv",
                                                           crowd(2, "AP-1", "2026-11-18T23:00:00Z")), now=NOW)
    assert late.status == "rejected" and "period_closed" in late.report["rejected"]


def test_a_period_not_yet_final_keeps_its_key(session, settings, wifi_aps):
    ingest.ingest_file(session, settings, write_csv(settings.data_dir / "d.csv",
                                                    crowd(12, "AP-1", "2026-11-20T09:00:00Z")), now=NOW)
    assert lifecycle.finalise(session, settings, now=NOW) == []
    assert keystore.read(settings, session.scalars(select(KeyPeriod)).one().starts_at) is not None
    held = {h.what: h for h in status.holdings(session, settings, NOW)}
    assert held["pseudonymised sessions"].count == 12
    assert held["pseudonymisation keys"].gone_by == datetime(2026, 11, 21, 2, tzinfo=UTC)


def test_purge_enforces_retention_whatever_happened(session, settings, wifi_aps):
    settings.wifi_raw_grace_hours = 6
    ok = write_csv(settings.data_dir / "ok.csv", crowd(12, "AP-1", "2026-11-18T09:00:00Z"))
    bad = write_csv(settings.data_dir / "bad.csv", [(mac(1), "AP-404", "2026-11-18T09:00:00Z", 60)])
    ingest.ingest_file(session, settings, ok, now=NOW)
    ingest.ingest_file(session, settings, bad, now=NOW)
    assert ok.exists() and bad.exists()
    # The worker was down: nothing was finalised; three days later retention still holds.
    later = datetime(2026, 11, 23, 13, tzinfo=UTC)
    result = lifecycle.purge(session, settings, now=later)
    assert not ok.exists() and not bad.exists() and result.raw_deleted == 2
    assert result.periods_expired == ["2026-11-18 00:00"]
    assert not list(store.sessions_root(settings).rglob("*.parquet"))
    assert keystore.read(settings, session.scalars(select(KeyPeriod)).one().starts_at) is None
    assert all(h.count == 0 for h in status.holdings(session, settings, later)[:3])


def test_aggregates_equal_a_plain_group_by_on_the_raw_macs(session, settings, wifi_aps):
    """Pseudonymisation loses nothing and merges nothing: the same counts as on the identifiers in clear."""
    import random

    rng = random.Random(7)
    rows = [(mac(rng.randrange(400)), rng.choice(["AP-1", "AP-2", "BUS-1"]),
             f"2026-11-18T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00Z", rng.randrange(30, 5000))
            for _ in range(3000)]
    path = write_csv(settings.data_dir / "r.csv", rows)
    expected = duckdb.connect().execute(f"""
        SELECT CASE "Called-Station-Id" WHEN 'BUS-1' THEN 'bus' ELSE "Called-Station-Id" END, hour(
               "Acct-Start-Time"::TIMESTAMPTZ AT TIME ZONE 'UTC'), count(DISTINCT "Calling-Station-Id"), count(*)
        FROM read_csv('{path}') GROUP BY ALL ORDER BY ALL""").fetchall()
    ingest.ingest_file(session, settings, path, now=NOW)
    lifecycle.finalise(session, settings, now=NOW)
    got = sorted((f.zone, f.hour.hour, f.devices, f.sessions) for f in session.scalars(select(Footfall)))
    # Zones are H3 cells; name them by their access point for the comparison.
    from praca.wifi import zoning

    ap_zone, _ = zoning.zoning(session, settings)
    by_zone = {z: ap for ap, z in ap_zone.items()}
    got = sorted((by_zone[z] if z != "bus" else "bus", h, d, n) for z, h, d, n in got)
    assert got == sorted(expected)


def test_a_lost_key_file_is_made_again_and_audited_and_a_stray_one_is_purged(session, settings, wifi_aps):
    ingest.ingest_file(session, settings, write_csv(settings.data_dir / "a.csv",
                                                    crowd(12, "AP-1", "2026-11-20T09:00:00Z")), now=NOW)
    period = session.scalars(select(KeyPeriod)).one().starts_at
    first = keystore.read(settings, period)
    assert keystore.destroy(settings, period) and keystore.read(settings, period) is None
    ingest.ingest_file(session, settings, write_csv(settings.data_dir / "b.csv",
                                                    crowd(12, "AP-1", "2026-11-20T10:00:00Z", offset=100)), now=NOW)
    second = keystore.read(settings, period)
    assert second is not None and second != first
    created = [e.details for e in session.scalars(select(AuditEntry).where(AuditEntry.action == "wifi.key.created")
                                                  .order_by(AuditEntry.seq))]
    assert created == [{"replaced": False}, {"replaced": True}]
    # A key file no period owns (a crash between the file and its row) goes once it is an hour old.
    keystore.ensure(settings, datetime(2026, 11, 12))
    assert lifecycle.purge(session, settings, now=NOW).keys_destroyed == 0  # an ingest may be making it
    later = datetime.now(UTC) + timedelta(hours=2)
    assert lifecycle.purge(session, settings, now=later).keys_destroyed >= 1
    assert keystore.read(settings, datetime(2026, 11, 12)) is None
