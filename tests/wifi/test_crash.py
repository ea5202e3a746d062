"""kill -9 in the middle of an ingest, then a re-run: the same aggregates as an uninterrupted run."""

from __future__ import annotations

import random
import shutil
import signal
import time
from datetime import date, timedelta
from pathlib import Path

from tests.wifi.conftest import write_csv
from tests.wifi.worlds import footfall, make_world, praca


def big_log(path: Path, rows: int) -> Path:
    rng = random.Random(11)
    days = [date.today() - timedelta(days=d) for d in (4, 3)]
    data = [(f"00-1B-63-{rng.randrange(256):02X}-{rng.randrange(256):02X}-{rng.randrange(64):02X}",
             rng.choice(["AP-1", "AP-2", "BUS-1"]),
             f"{rng.choice(days)}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z",
             rng.randrange(30, 4000)) for _ in range(rows)]
    return write_csv(path, data)


def _kill_when(settings, proc, ready) -> bool:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if ready():
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.005)
    proc.wait()
    return False


def test_a_killed_ingest_rerun_counts_every_session_once(tmp_path):
    log = big_log(tmp_path / "log.csv", 400_000)
    clean = make_world(tmp_path / "clean")
    crashed = make_world(tmp_path / "crashed")
    shutil.copy(log, clean.data_dir / "log.csv")
    assert praca(clean, "wifi", "ingest", str(clean.data_dir / "log.csv")).returncode == 0
    assert praca(clean, "wifi", "aggregate").returncode == 0
    expected = footfall(clean)
    assert expected and sum(r[3] for r in expected) == 400_000

    target = crashed.data_dir / "log.csv"
    staging = crashed.data_dir / "wifi" / "staging"
    sessions = crashed.data_dir / "wifi" / "sessions"
    kills = 0
    # Kill while the file is being read, while pseudonymised sessions are being written, and once they
    # are in place but (maybe) before the ledger's commit.
    for ready in (lambda: staging.exists(), lambda: any(staging.rglob("*.parquet")),
                  lambda: len(list(sessions.rglob("*.parquet"))) >= 2):
        shutil.copy(log, target)
        kills += _kill_when(crashed, praca(crashed, "wifi", "ingest", str(target), wait=False), ready)
        if not target.exists():
            break  # that run finished before the kill: the ledger has it
    assert kills >= 1
    if target.exists():
        assert praca(crashed, "wifi", "ingest", str(target)).returncode == 0
    assert praca(crashed, "wifi", "aggregate").returncode == 0
    assert footfall(crashed) == expected
