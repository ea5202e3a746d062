"""A big file's identifiers are hashed by two processes (`duckdb_engine._Helper`): the pseudonyms are the
ones this process alone computes, and if the helper dies mid-file the file is still written, the same."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from praca.wifi import duckdb_engine
from praca.wifi.duckdb_engine import HELP_FROM_ROWS, DuckDBEngine

DAY = datetime(2026, 11, 17)
KEYS = {DAY: bytes(range(32))}


def controller_log(path: Path, devices: int) -> Path:
    """One day, one session per device: `devices` distinct identifiers to hash."""
    rng = np.random.default_rng(5)
    macs = rng.choice(1 << 40, devices, replace=False) + (0x3C << 40)
    start = int(DAY.timestamp()) * 1_000_000 + rng.integers(0, 86_400, devices) * 1_000_000
    text = [f"{m:012x}" for m in macs]
    pq.write_table(pa.table({"client_mac": [":".join(t[i:i + 2] for i in range(0, 12, 2)) for t in text],
                             "ap_name": ["AP-1"] * devices, "start": pa.array(start, pa.timestamp("us", tz="UTC")),
                             "stop": pa.array(start + 60_000_000, pa.timestamp("us", tz="UTC"))}), path)
    return path


def sessions(path: Path, out: Path, threads: int) -> pa.Table:
    with DuckDBEngine(threads=threads) as engine:
        report = engine.stage(path, "parquet", {}, known_aps=["AP-1"], closed_periods=[], now=datetime(2026, 11, 20),
                              period_hours=24)
        assert report.rows_valid == report.rows_read
        written = engine.write_sessions(KEYS, out, "part")
    table = pq.read_table(written[DAY])
    return table.sort_by([(c, "ascending") for c in table.column_names])


def test_two_processes_hash_as_one_and_survive_the_helpers_death(tmp_path, monkeypatch):
    log = controller_log(tmp_path / "day.parquet", HELP_FROM_ROWS + 20_000)
    alone = sessions(log, tmp_path / "alone", threads=1)
    assert len(set(alone.column("pseudonym").to_pylist())) == alone.num_rows == HELP_FROM_ROWS + 20_000
    assert sessions(log, tmp_path / "shared", threads=2).equals(alone)

    received = duckdb_engine._Helper.receive

    def die(helper: duckdb_engine._Helper) -> pa.Array:  # the helper is killed while it hashes
        helper.process.kill()
        helper.process.wait()
        return received(helper)

    monkeypatch.setattr(duckdb_engine._Helper, "receive", die)
    dead = duckdb_engine._helper()
    assert sessions(log, tmp_path / "died", threads=2).equals(alone)
    assert dead.process.poll() is not None
    monkeypatch.undo()
    assert duckdb_engine._helper() is not dead and sessions(log, tmp_path / "again", threads=2).equals(alone)
