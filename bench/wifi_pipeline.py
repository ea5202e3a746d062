"""Benchmark: the Wi-Fi pipeline end to end against a bare DuckDB GROUP BY (the floor) and PySpark.

    .venv/bin/python bench/wifi_pipeline.py              # 120,000,000 sessions (Porto's lifetime volume)
    .venv/bin/python bench/wifi_pipeline.py --quick      # 10,000,000 sessions
    .venv/bin/python bench/wifi_pipeline.py --sessions 2000000 --days 3 --no-spark --runs 5

What it does:
1. A fresh data dir with a migrated SQLite city: 400 fixed and 120 on-bus Wi-Fi access points in the
   register, mapped to controller codes; zones are H3 cells at resolution 8.
2. `praca.wifi.synth.write_logs` writes N sessions as one zstd Parquet file per day (a controller
   export: MAC as text, AP name, start, stop, bytes), over `--days` days ending yesterday. Not timed
   against the targets; its time is printed.
3. Three runs over the same files, each in its own process so that its peak resident memory is its own:
   - **pipeline**: `ingest.ingest_file` for every file (SHA-256 of the file, parse, validate, HMAC-SHA-256
     of every row's MAC under its day's key, sessions written as Parquet, ledger) then `lifecycle.finalise`
     (per zone-hour: distinct devices, sessions, median dwell, DP-bounded devices; keys destroyed;
     sessions deleted) — DuckDB, 2 threads;
   - **floor**: one bare DuckDB query on the raw files computing the same counts (distinct MACs,
     sessions, median dwell per zone-hour) with no privacy step at all;
   - **spark**: the same pipeline with `PRACA_WIFI_ENGINE=spark` (PySpark local[2]), session start
     included, once, on the city as made (each DuckDB run works on a copy of its own).
   Each prints its wall time, rows/s and peak RSS (`ru_maxrss`, plus the peak of the child processes
   still running at the end: Spark's JVM), and the pipeline's devices
   and sessions are checked against the floor's (they must be equal: pseudonymising merges and loses
   nothing). With `--runs N`, floor and pipeline run N times in turn (the machine is shared: its speed
   drifts) and the medians are shown, the ratio being the median of each run's own ratio.
4. Ratios and the targets: pipeline ≤ 1.5 × floor; pipeline ≥ 5 × faster than Spark; peak RSS < 4 GiB;
   ingest ≥ 1,000,000 sessions/s. Exit status 0 whatever the figures unless `--check`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

CHILD = r"""
import json, resource, sys, time
from datetime import UTC, datetime
from pathlib import Path
kind, data_dir, logs = sys.argv[1], Path(sys.argv[2]), sorted(Path(sys.argv[3]).glob("*.parquet"))
out = {}
if kind == "floor":
    import duckdb
    zones = json.loads((data_dir / "ap_zones.json").read_text())
    # No memory cap of its own (the pipeline keeps to 3 GB): at 120 M sessions the exact distinct count
    # and median need more, and a baseline gets every advantage.
    con = duckdb.connect(config={"threads": 2, "memory_limit": "16GB"})
    con.execute("SET enable_progress_bar = false")
    con.execute("CREATE TABLE ap_zones (ap VARCHAR, zone VARCHAR)")
    con.executemany("INSERT INTO ap_zones VALUES (?, ?)", list(zones.items()))
    files = "[" + ", ".join(f"'{f}'" for f in logs) + "]"
    t = time.perf_counter()
    rows = con.execute(f'''SELECT z.zone, date_trunc('hour', r.start AT TIME ZONE 'UTC') AS hour,
                                  count(DISTINCT r.client_mac), count(*),
                                  quantile_disc(date_diff('second', r.start, r.stop), 0.5)
                           FROM read_parquet({files}) r JOIN ap_zones z ON z.ap = r.ap_name
                           GROUP BY ALL''').fetchall()
    out["seconds"] = time.perf_counter() - t
    out["devices"] = sum(r[2] for r in rows); out["sessions"] = sum(r[3] for r in rows); out["cells"] = len(rows)
else:
    from sqlalchemy import func, select
    from praca.core.db import make_engine, make_sessionmaker
    from praca.settings import Settings
    from praca.wifi import ingest, lifecycle
    from praca.wifi.models import Footfall
    settings = Settings(data_dir=data_dir, secret_key="bench", wifi_engine=kind, wifi_raw_grace_hours=168,
                        _env_file=None)
    sm = make_sessionmaker(make_engine(settings.sqlalchemy_url))
    now = datetime.now(UTC)
    with sm() as session:
        t = time.perf_counter()
        if kind == "spark":
            from praca.wifi.spark_engine import SparkEngine
            SparkEngine(master=settings.wifi_spark_master).close()  # the session start is part of Spark's time
        for f in logs:
            o = ingest.ingest_file(session, settings, f, now=now)
            assert o.status == "ingested", o.report
        out["ingest_seconds"] = time.perf_counter() - t
        t2 = time.perf_counter()
        lifecycle.finalise(session, settings, now=now)
        out["aggregate_seconds"] = time.perf_counter() - t2
        out["seconds"] = time.perf_counter() - t
        out["devices"], out["sessions"], out["cells"] = session.execute(
            select(func.sum(Footfall.devices), func.sum(Footfall.sessions), func.count(Footfall.id))).one()
def children_peak_kib():  # the child processes still running (Spark's JVM)
    import os
    total = 0
    for task in os.listdir("/proc/self/task"):
        try:
            kids = open(f"/proc/self/task/{task}/children").read().split()
        except OSError:
            continue
        for pid in kids:
            try:
                total += next(int(line.split()[1]) for line in open(f"/proc/{pid}/status") if line.startswith("VmHWM:"))
            except (OSError, StopIteration):
                pass
    return total
out["peak_rss_gib"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + children_peak_kib()) / 2**20
print(json.dumps(out, default=float))
"""


def make_city(folder: Path) -> dict[str, str]:
    """A migrated SQLite city with 400 fixed and 120 on-bus access points; returns code → zone."""
    import random

    from sqlalchemy.orm import Session

    from praca.core.db import make_engine
    from praca.core.migrate import upgrade
    from praca.registry import service as registry
    from praca.registry.schemas import DeviceCreate
    from praca.settings import Settings
    from praca.wifi import service, zoning

    folder.mkdir(parents=True)
    settings = Settings(data_dir=folder, secret_key="bench", _env_file=None)  # noqa: S106
    upgrade(settings.sqlalchemy_url)
    rng = random.Random(5)
    with Session(make_engine(settings.sqlalchemy_url)) as session:
        registry.ensure_operator(session, slug="porto-digital", name="Porto Digital", kind="municipal_company")
        for i in range(520):
            bus = i >= 400
            data = {"name": f"Wi-Fi – ponto {i}", "type": "bus_wifi" if bus else "wifi_access_point",
                    "lat": rng.uniform(41.142, 41.178), "lon": rng.uniform(-8.67, -8.58), "operator": "porto-digital",
                    "purposes": ["public_connectivity"], "data_types": ["connection_metadata"],
                    "personal_data": True, "personal_data_categories": ["device_identifiers"],
                    "legal_basis": "consent", "deidentified": True, "deidentification": "hashing",
                    "retention_days": 2, "status": "active"}
            registry.create_device(session, settings, DeviceCreate.model_validate(data), "bench")
        service.auto_map_access_points(session, "bench")
        session.commit()
        ap_zone, _ = zoning.zoning(session, settings)
    (folder / "ap_zones.json").write_text(json.dumps(ap_zone))
    return ap_zone


def synth_logs(city: Path, logs: Path, sessions: int, days: int) -> float:
    from sqlalchemy.orm import Session

    from praca.core.db import make_engine
    from praca.settings import Settings
    from praca.wifi import synth
    from praca.wifi.demo import synth_access_points

    settings = Settings(data_dir=city, secret_key="bench", _env_file=None)  # noqa: S106
    with Session(make_engine(settings.sqlalchemy_url)) as session:
        aps = synth_access_points(session)
    t = time.perf_counter()
    synth.write_logs(logs, aps, start=date.today() - timedelta(days=days + 1), days=days,
                     sessions_per_day=sessions // days, fmt="parquet")
    return time.perf_counter() - t


def run(kind: str, data_dir: Path, logs: Path) -> dict[str, float]:
    result = subprocess.run([sys.executable, "-c", CHILD, kind, str(data_dir), str(logs)], capture_output=True,
                            text=True, env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin",
                                            "JAVA_HOME": _java_home()}, check=False)
    if result.returncode != 0:
        sys.exit(f"{kind} failed:\n{result.stderr[-3000:]}")
    return _last_json(result.stdout)


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def _last_json(stdout: str) -> dict[str, float]:
    # A progress bar (DuckDB draws one on a slow query) ends its line with a carriage return, not a newline.
    line = next(line for line in reversed(stdout.replace("\r", "\n").splitlines()) if line.startswith("{"))
    return json.loads(line)


def _java_home() -> str:
    java = shutil.which("java")
    return str(Path(java).resolve().parents[1]) if java else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=120_000_000)
    parser.add_argument("--quick", action="store_true", help="10,000,000 sessions")
    parser.add_argument("--days", type=int, help="default: 7 for up to 10 M sessions, else 30")
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--runs", type=int, default=1, help="floor and pipeline this many times each (medians)")
    args = parser.parse_args()
    sessions = 10_000_000 if args.quick else args.sessions
    days = args.days or (7 if sessions <= 10_000_000 else 30)
    with tempfile.TemporaryDirectory(prefix="praca-wifi-bench-") as tmp:
        root = Path(tmp)
        city, logs = root / "city", root / "logs"
        t = time.perf_counter()
        zones = make_city(city)
        print(f"city: {len(zones)} access points in {len(set(zones.values()))} zones ({time.perf_counter() - t:.1f} s)")
        seconds = synth_logs(city, logs, sessions, days)
        size = sum(f.stat().st_size for f in logs.glob("*.parquet"))
        print(f"synth: {sessions:,} sessions over {days} days, {size / 2**20:,.0f} MiB of Parquet in {seconds:.1f} s")
        floors, pipelines = [], []
        for i in range(args.runs):  # floor and pipeline in turn, each pipeline on a fresh copy of the city
            shutil.copytree(city, root / f"city-{i}")
            floors.append(run("floor", city, logs))
            pipelines.append(run("duckdb", root / f"city-{i}", logs))
            if args.runs > 1:
                print(f"run {i + 1}: floor {floors[-1]['seconds']:.2f} s, pipeline {pipelines[-1]['seconds']:.2f} s "
                      f"({pipelines[-1]['seconds'] / floors[-1]['seconds']:.2f}×)")
        spark = None if args.no_spark else run("spark", city, logs)
    floor, pipeline = _median(floors), _median(pipelines)
    ratio = statistics.median(p["seconds"] / f["seconds"] for f, p in zip(floors, pipelines, strict=True))
    if args.runs > 1:
        print(f"medians of {args.runs} runs; × floor is the median of each run's own ratio")
    rows = [("floor (bare DuckDB GROUP BY)", floor), ("pipeline (DuckDB)", pipeline)]
    rows += [("pipeline (PySpark local[2])", spark)] if spark else []
    print(f"\n{'run':32} {'seconds':>9} {'sessions/s':>12} {'peak RSS':>9} {'× floor':>8}")
    for name, r in rows:
        times = ratio if r is pipeline else r["seconds"] / floor["seconds"]
        print(f"{name:32} {r['seconds']:9.2f} {sessions / r['seconds']:12,.0f} {r['peak_rss_gib']:7.2f} G {times:8.2f}")
    ingest_rate = sessions / pipeline["ingest_seconds"]
    print(f"\npipeline: ingest {pipeline['ingest_seconds']:.2f} s ({ingest_rate:,.0f} sessions/s), "
          f"aggregate {pipeline['aggregate_seconds']:.2f} s")
    same = (pipeline["devices"], pipeline["sessions"]) == (floor["devices"], floor["sessions"])
    print(f"same counts as the floor: {'yes' if same else 'NO'} (devices {pipeline['devices']:,.0f} vs "
          f"{floor['devices']:,.0f}; sessions {pipeline['sessions']:,.0f} vs {floor['sessions']:,.0f})")
    targets = [("pipeline within 1.5× the floor", ratio <= 1.5),
               ("peak RSS under 4 GiB", pipeline["peak_rss_gib"] < 4),
               ("ingest at 1,000,000 sessions/s or more", ingest_rate >= 1_000_000),
               ("counts equal the floor's", same)]
    if spark:
        print(f"spark / pipeline: {spark['seconds'] / pipeline['seconds']:.1f}×")
        targets.append(("at least 5× faster than PySpark", spark["seconds"] >= 5 * pipeline["seconds"]))
    for label, ok in targets:
        print(f"{'PASS' if ok else 'FAIL'}  {label}")
    return 1 if args.check and not all(ok for _, ok in targets) else 0


if __name__ == "__main__":
    sys.exit(main())
