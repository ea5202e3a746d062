"""Benchmark: "near me" on the public register against the server's trivial endpoint, in the same run.

    .venv/bin/python bench/registry_near.py                 # 100,000 devices on SQLite, 3 rounds of 10 s
    .venv/bin/python bench/registry_near.py --devices 20000 --rounds 5 --duration 5
    .venv/bin/python bench/registry_near.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/praca_bench

What it does:
1. a fresh data dir with a database migrated by Alembic, loaded with N devices spread over Porto (denser in
   the centre and around busy places) across the city's operators and device types, by bulk insert;
2. the real server (`praca serve`) as a subprocess on a free loopback port; the first "near me" request
   builds the in-memory index and is timed;
3. `wrk` with 64 connections, alternating "near me" (GET /api/v1/devices?lat&lon&radius_m=500 at random
   points of a seeded list, bench/near.lua) and the trivial GET /livez of the same server, for several
   rounds; per-round figures, medians, the throughput ratio and pass/fail against the targets
   (near me ≥ 50 % of /livez's throughput, near me p99 < 30 ms);
4. the mean size and item count of a "near me" answer and the server's resident memory after the run.

A benchmark, not a test: it prints figures. Exit status 0 whatever the figures (2 when wrk is missing),
unless --check is given: then 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from praca.core.auth import Department
from praca.core.migrate import upgrade
from praca.registry import demo_data
from praca.registry.models import Device, Operator, RegistryVersion
from praca.registry.service import normalise
from praca.registry.taxonomy import LABELS, DeviceType, Status, label
from praca.settings import Settings

REPO = Path(__file__).resolve().parents[1]
NEAR_LUA = Path(__file__).resolve().with_name("near.lua")
TARGET_RATIO = 0.5  # near-me throughput / trivial throughput
TARGET_P99_MS = 30.0
HISTORIC_CENTRE = (41.1486, -8.6111)  # Avenida dos Aliados


# --- data ------------------------------------------------------------------------------------------------------

class Locations:
    """Points on Porto's land: a mixture denser in the historic centre and around busy places."""

    def __init__(self, settings: Settings, rng: np.random.Generator) -> None:
        self.rng = rng
        min_lon, min_lat, max_lon, max_lat = settings.city_bounds
        self.bounds = (min_lon, min_lat, max_lon, max_lat)
        self.places = demo_data.PLACES
        weights = np.array([p.weight for p in self.places], dtype=float)
        self.place_p = weights / weights.sum()
        self.place_lat = np.array([p.lat for p in self.places])
        self.place_lon = np.array([p.lon for p in self.places])

    def _ok(self, lat: float, lon: float) -> bool:
        min_lon, min_lat, max_lon, max_lat = self.bounds
        return min_lat <= lat <= max_lat and min_lon <= lon <= max_lon and demo_data.on_land(lat, lon)

    def _draw(self, n: int, kinds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """kind 0: uniform over the land; 1: around the historic centre (σ ≈ 1 km); 2: around a place (σ ≈ 250 m)."""
        rng = self.rng
        d_min_lon, d_min_lat, d_max_lon, d_max_lat = demo_data.BOUNDS
        lat = rng.uniform(d_min_lat, d_max_lat, n)
        lon = rng.uniform(d_min_lon, d_max_lon, n)
        centre = kinds == 1
        lat[centre] = rng.normal(HISTORIC_CENTRE[0], 0.009, centre.sum())
        lon[centre] = rng.normal(HISTORIC_CENTRE[1], 0.012, centre.sum())
        near_place = kinds == 2
        which = rng.choice(len(self.places), size=near_place.sum(), p=self.place_p)
        lat[near_place] = self.place_lat[which] + rng.normal(0, 0.0022, near_place.sum())
        lon[near_place] = self.place_lon[which] + rng.normal(0, 0.0030, near_place.sum())
        return lat, lon

    def sample(self, n: int, mix: tuple[float, float, float]) -> tuple[np.ndarray, np.ndarray]:
        """n points on land, drawn from the mixture (uniform, centre, places) and resampled until on land."""
        out_lat, out_lon = np.empty(n), np.empty(n)
        filled = 0
        while filled < n:
            want = int((n - filled) * 1.6) + 16
            kinds = self.rng.choice(3, size=want, p=mix)
            lat, lon = self._draw(want, kinds)
            for la, lo in zip(lat.tolist(), lon.tolist(), strict=True):
                if self._ok(la, lo):
                    out_lat[filled], out_lon[filled] = round(la, 6), round(lo, 6)
                    filled += 1
                    if filled == n:
                        break
        return out_lat, out_lon

    def nearest_place(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        dlat = lat[:, None] - self.place_lat[None, :]
        dlon = (lon[:, None] - self.place_lon[None, :]) * math.cos(math.radians(41.15))
        return np.argmin(dlat * dlat + dlon * dlon, axis=1)


DEVICE_MIX = (0.30, 0.35, 0.35)  # uniform over the land, historic centre, busy places
POINT_MIX = (0.50, 0.25, 0.25)  # where people ask "what is near me": half anywhere, half where it is busy


def _device_rows(n: int, seed: int, settings: Settings, operator_ids: dict[str, int],
                 operator_names: dict[str, str]) -> list[dict[str, Any]]:
    """n register rows in the demo city's mix of types and deployments (demo_data.PROFILES)."""
    rng = random.Random(seed)
    locs = Locations(settings, np.random.default_rng(seed))
    lat, lon = locs.sample(n, DEVICE_MIX)
    place = locs.nearest_place(lat, lon).tolist()
    types = list(demo_data.TYPE_COUNTS)
    type_weights = [demo_data.TYPE_COUNTS[t] for t in types]
    profiles = {t: [p for p in demo_data.PROFILES if p.type is t] for t in types}
    now = datetime.now(UTC)
    seen: dict[str, int] = {}
    rows = []
    for i, dtype in enumerate(rng.choices(types, weights=type_weights, k=n)):
        variants = profiles[dtype]
        prof = rng.choices(variants, weights=[v.share for v in variants])[0]
        la, lo = lat[i].item(), lon[i].item()
        kind, geometry = "point", None
        if dtype is DeviceType.BUS_WIFI:
            number, line, stops = rng.choice(demo_data.BUS_LINES)
            kind, geometry = "route", {"type": "LineString", "coordinates": [[s[1], s[0]] for s in stops]}
            base = f"Wi-Fi a bordo – Linha {number} ({line})"
        else:
            base = f"{prof.name or label(dtype, 'pt')} – {demo_data.PLACES[place[i]].name}"
            if rng.random() < prof.area_share:
                h = rng.uniform(0.0003, 0.0007)
                w, e, s, nn = (round(v, 6) for v in (lo - h * 1.3, lo + h * 1.3, la - h, la + h))
                ring = [[w, s], [e, s], [e, nn], [w, nn], [w, s]]
                kind, geometry = "area", {"type": "Polygon", "coordinates": [ring]}
        seen[base] = seen.get(base, 0) + 1
        name = f"{base}, n.º {seen[base]}" if seen[base] > 1 else base
        roll = rng.random()
        status = Status.PLANNED if roll < 0.04 else Status.DECOMMISSIONED if roll < 0.08 else Status.ACTIVE
        installed = verified = None
        if status is not Status.PLANNED:
            installed = date(prof.since, 1, 1) + timedelta(days=rng.randrange(365 * (2026 - prof.since)))
            verified = installed + timedelta(days=rng.randrange(max(1, (date(2026, 10, 31) - installed).days)))
        slug = rng.choice(prof.operators)
        personal = bool(prof.categories)
        description = prof.description
        # as service._search_text does: name, description, operator, type and its labels
        search = normalise(" ".join([name, description or "", operator_names[slug], dtype.value,
                                     *(LABELS.get(dtype.value) or ())]))
        rows.append({
            "public_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "name": name, "type": dtype.value, "description": description, "lat": la, "lon": lo,
            "geometry_kind": kind, "geometry": geometry, "operator_id": operator_ids[slug],
            "purposes": [p.value for p in prof.purposes], "data_types": [d.value for d in prof.data_types],
            "personal_data": personal, "personal_data_categories": [c.value for c in prof.categories],
            "legal_basis": prof.legal_basis.value, "retention_days": prof.retention_days,
            "retention_note": prof.retention_note, "access": prof.access,
            "deidentified": prof.deid.value != "none", "deidentification": prof.deid.value,
            "deidentification_note": prof.deid_note, "storage_location": prof.storage,
            "dpia_ref": prof.dpia_ref if personal else None, "status": status.value,
            "installed_on": installed, "last_verified_on": verified, "photo": None, "more_info_url": prof.url,
            "search_text": search, "created_at": now, "updated_at": now,
            "decommissioned_at": now if status is Status.DECOMMISSIONED else None,
        })
    return rows


def load_register(url: str, n: int, seed: int, settings: Settings, batch: int = 5000) -> float:
    """Migrate `url` and bulk-insert the departments, operators and n devices; returns seconds taken."""
    start = time.perf_counter()
    upgrade(url)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(insert(Department.__table__), [
                {"slug": d["slug"], "name_pt": d["name_pt"], "name_en": d["name_en"]}
                for d in demo_data.departments()])
            dep_ids = dict(conn.execute(text("SELECT slug, id FROM department")).all())
            conn.execute(insert(Operator.__table__), [
                {"slug": o["slug"], "name": o["name"], "kind": o["kind"], "website": o["website"],
                 "contact_email": o["contact_email"], "department_id": dep_ids.get(o["department_slug"])}
                for o in demo_data.operators()])
            rows = conn.execute(text("SELECT slug, id, name FROM registry_operator")).all()
            operator_ids = {slug: oid for slug, oid, _ in rows}
            operator_names = {slug: name for slug, _, name in rows}
            devices = _device_rows(n, seed, settings, operator_ids, operator_names)
            for i in range(0, len(devices), batch):
                conn.execute(insert(Device.__table__), devices[i:i + batch])
            conn.execute(insert(RegistryVersion.__table__), [{"id": 1, "version": 1}])
            count = conn.execute(text("SELECT count(*) FROM registry_device")).scalar_one()
        if count != n:
            raise RuntimeError(f"loaded {count} devices, expected {n}")
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
    finally:
        engine.dispose()
    return time.perf_counter() - start


def prepare_postgres(url: str) -> str:
    """A dedicated database (created if missing) with an empty public schema. Never the test suite's."""
    u = make_url(url)
    if not u.database or u.database in ("test", "postgres", "template0", "template1"):
        raise SystemExit(f"--postgres: use a database of its own (e.g. …/praca_bench), not '{u.database}': "
                         "the benchmark empties it, and 'test' is shared with the test suite.")
    admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": u.database}).scalar()
            if not exists:
                name = conn.dialect.identifier_preparer.quote(u.database)
                conn.execute(text(f"CREATE DATABASE {name}"))
                print(f"created database {u.database}")
    finally:
        admin.dispose()
    engine = create_engine(u)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    return u.render_as_string(hide_password=False)


# --- the server ------------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def praca_executable() -> str:
    local = REPO / ".venv" / "bin" / "praca"
    if local.exists():
        return str(local)
    found = shutil.which("praca") or str(Path(sys.executable).with_name("praca"))
    return found


class Server:
    def __init__(self, data_dir: Path, url: str, port: int, workers: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = data_dir / "server.log"
        env = {**os.environ, "PRACA_DATA_DIR": str(data_dir), "PRACA_DATABASE_URL": url}
        cmd = [praca_executable(), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
        self._log = self.log_path.open("wb")
        # its own session: Ctrl-C reaches us, and we stop the server (and its workers) ourselves
        self.proc = subprocess.Popen(cmd, cwd=data_dir, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait_live(self, timeout_s: float = 60.0) -> float:
        start = time.perf_counter()
        while time.perf_counter() - start < timeout_s:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.base}/livez", timeout=1.0).status_code == 200:
                    return time.perf_counter() - start
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the server did not answer /livez within {timeout_s:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def pids(self) -> list[int]:
        """The server process and its children (uvicorn's workers when --workers > 1)."""
        found = [self.proc.pid]
        for pid in found:
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                with contextlib.suppress(OSError):
                    found.extend(int(c) for c in task.read_text().split())
        return found

    def cpu_s(self) -> float:
        """User + system CPU seconds used so far by the server and its workers."""
        total = 0
        for pid in self.pids():
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        return total / os.sysconf("SC_CLK_TCK")

    def rss_mib(self) -> dict[int, float]:
        out = {}
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            m = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
            if m:
                out[pid] = int(m.group(1)) / 1024
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log.close()


# --- wrk -------------------------------------------------------------------------------------------------------

@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int
    cpu_us: float = math.nan  # server CPU per request: steadier than req/s when neighbours compete for the CPU

    @classmethod
    def median(cls, runs: list[WrkResult]) -> WrkResult:
        """Each figure's median over the runs (figure by figure, so not one run's figures)."""
        med = statistics.median
        return cls(med(r.rps for r in runs), med(r.p50_ms for r in runs), med(r.p99_ms for r in runs),
                   sum(r.requests for r in runs), sum(r.non_2xx for r in runs), sum(r.socket_errors for r in runs),
                   med(r.cpu_us for r in runs))


_UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _ms(value: str, unit: str) -> float:
    return float(value) * _UNITS_MS[unit]


def parse_wrk(out: str) -> WrkResult:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s|m|h)\s*$", out, re.M)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m|h)\s*$", out, re.M)
    total = re.search(r"^\s+(\d+) requests in", out, re.M)
    if not (rps and p50 and p99 and total):
        raise RuntimeError(f"could not read wrk's output:\n{out}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return WrkResult(float(rps.group(1)), _ms(*p50.groups()), _ms(*p99.groups()), int(total.group(1)),
                     int(non_2xx.group(1)) if non_2xx else 0, sum(int(g) for g in sock.groups()) if sock else 0)


def run_wrk(url: str, args: argparse.Namespace, duration: float, script: list[str] | None = None,
            server: Server | None = None) -> WrkResult:
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{max(1, round(duration))}s", "--latency"]
    if script:
        cmd += ["-s", script[0], url, "--", *script[1:]]
    else:
        cmd.append(url)
    cpu_before = server.cpu_s() if server else 0.0
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    cpu = server.cpu_s() - cpu_before if server else math.nan
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    result = parse_wrk(done.stdout)
    result.cpu_us = cpu / max(1, result.requests) * 1e6
    return result


# --- the run ---------------------------------------------------------------------------------------------------

def _fmt(r: WrkResult) -> str:
    return f"{r.rps:7.0f} req/s  p50 {r.p50_ms:6.2f} ms  p99 {r.p99_ms:6.2f} ms  cpu {r.cpu_us:4.0f} µs"


def _problems(r: WrkResult) -> str:
    bits = []
    if r.non_2xx:
        bits.append(f"{r.non_2xx} non-2xx")
    if r.socket_errors:
        bits.append(f"{r.socket_errors} socket errors")
    return f"  ({', '.join(bits)})" if bits else ""


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def warm_index(base: str, points: list[tuple[float, float]], radius: float, workers: int) -> tuple[float, float]:
    """Seconds of the first "near me" request (it builds the index) and milliseconds of the next one.

    With several workers each builds its own index on its first request: keep asking, on fresh
    connections, until 10 answers per worker in a row come back fast.
    """
    def ask(i: int) -> float:
        lat, lon = points[i % len(points)]
        t0 = time.perf_counter()
        httpx.get(f"{base}/api/v1/devices", params={"lat": lat, "lon": lon, "radius_m": radius},
                  timeout=600.0).raise_for_status()
        return time.perf_counter() - t0

    first, second = ask(0), ask(1)
    fast, i, deadline = 0, 2, time.monotonic() + 600
    while workers > 1 and fast < 10 * workers and time.monotonic() < deadline:
        fast = fast + 1 if ask(i) < 0.5 else 0
        i += 1
    return first, second * 1000


def sample_answers(base: str, points: list[tuple[float, float]], radius: float) -> tuple[float, float, float]:
    """Mean body size (bytes), items and total of "near me" answers over the given points."""
    sizes, items, totals = [], [], []
    with httpx.Client(base_url=base, timeout=30.0) as client:
        for lat, lon in points:
            r = client.get("/api/v1/devices", params={"lat": lat, "lon": lon, "radius_m": radius})
            r.raise_for_status()
            body = r.json()
            sizes.append(len(r.content))
            items.append(len(body["items"]))
            totals.append(body["total"])
    return statistics.fmean(sizes), statistics.fmean(items), statistics.fmean(totals)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--devices", type=int, default=100_000, help="devices in the register (default 100000)")
    p.add_argument("--rounds", type=int, default=3, help="near → livez rounds (default 3)")
    p.add_argument("--duration", type=float, default=10, help="seconds per wrk run (default 10)")
    p.add_argument("--warmup", type=float, default=5, help="seconds of unmeasured load first (default 5)")
    p.add_argument("--workers", type=int, default=1, help="uvicorn workers (default 1)")
    p.add_argument("--connections", type=int, default=64, help="wrk connections (default 64)")
    p.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    p.add_argument("--radius", type=float, default=500, help="'near me' radius in metres (default 500)")
    p.add_argument("--points", type=int, default=1000, help="distinct 'near me' points (default 1000)")
    p.add_argument("--sample", type=int, default=200, help="answers fetched to measure size and items")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--postgres", metavar="URL", help="run on this PostgreSQL database instead of SQLite "
                   "(its own database, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/praca_bench)")
    p.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = p.parse_args(argv)

    if shutil.which("wrk") is None:
        print("wrk is not installed. Install it with:\n    apt-get install -y wrk", file=sys.stderr)
        return 2

    def _terminate(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _terminate)
    tmp = Path(tempfile.mkdtemp(prefix="praca-bench-"))
    server: Server | None = None
    try:
        settings = Settings(_env_file=None)
        url = prepare_postgres(args.postgres) if args.postgres else f"sqlite:///{tmp / 'praca.db'}"
        engine_name = "PostgreSQL" if args.postgres else "SQLite"
        print(f"Praça register benchmark, {date.today().isoformat()}: {os.cpu_count()} CPUs (load average "
              f"{_load()}), {engine_name}, {args.workers} worker(s), wrk -t{args.threads} -c{args.connections} "
              f"-d{args.duration:g}s, {args.rounds} rounds")
        load_s = load_register(url, args.devices, args.seed, settings)
        print(f"loaded {args.devices:,} devices in {load_s:.1f} s")

        locs = Locations(settings, np.random.default_rng(args.seed + 1))
        plat, plon = locs.sample(args.points, POINT_MIX)
        points = list(zip(plat.tolist(), plon.tolist(), strict=True))
        points_file = tmp / "points.txt"
        points_file.write_text("".join(f"{la:.6f},{lo:.6f}\n" for la, lo in points))
        near_script = [str(NEAR_LUA), str(points_file), f"{args.radius:g}", str(args.seed)]

        server = Server(tmp, url, free_port(), args.workers)
        print(f"server up in {server.wait_live():.1f} s at {server.base} (pid {server.proc.pid})")
        build_s, next_ms = warm_index(server.base, points, args.radius, args.workers)
        print(f"first 'near me' request, which builds the index: {build_s:.2f} s; the next (items not yet "
              f"rendered): {next_ms:.1f} ms" + ("; every worker builds its own" if args.workers > 1 else ""))

        mean_bytes, mean_items, mean_total = sample_answers(server.base, points[:args.sample], args.radius)
        if args.warmup > 0:
            w = run_wrk(server.base, args, args.warmup, near_script, server)
            run_wrk(f"{server.base}/livez", args, min(args.warmup, 2))
            print(f"warm-up {args.warmup:g} s (not counted): near me {_fmt(w)}{_problems(w)}")

        near: list[WrkResult] = []
        live: list[WrkResult] = []
        head = f"near me (radius {args.radius:g} m)"
        print(f"\n{'round':>6}  {head:<52}  {'trivial: GET /livez':<52}  ratio")
        for i in range(1, args.rounds + 1):
            near.append(run_wrk(server.base, args, args.duration, near_script, server))
            live.append(run_wrk(f"{server.base}/livez", args, args.duration, server=server))
            print(f"{i:>6}  {_fmt(near[-1])}  {_fmt(live[-1])}  {near[-1].rps / live[-1].rps:5.2f}"
                  f"{_problems(near[-1])}{_problems(live[-1])}")

        med_near, med_live = WrkResult.median(near), WrkResult.median(live)
        ratio = med_near.rps / med_live.rps
        print(f"{'median':>6}  {_fmt(med_near)}  {_fmt(med_live)}  {ratio:5.2f}")

        rss = server.rss_mib()
        rss_text = ", ".join(f"pid {pid}: {mib:.0f} MiB" for pid, mib in rss.items())
        print(f"\nnear-me answer (mean of {min(args.sample, len(points))} points): {mean_bytes / 1024:.1f} KiB, "
              f"{mean_items:.1f} items; on average {mean_total:.0f} devices within {args.radius:g} m")
        print(f"server RSS after the run: {sum(rss.values()):.0f} MiB ({rss_text}); load average now {_load()}")

        errors = sum(r.non_2xx + r.socket_errors for r in near + live)
        ok_ratio, ok_p99 = ratio >= TARGET_RATIO, med_near.p99_ms < TARGET_P99_MS
        print(f"\ntarget: near-me throughput ≥ {TARGET_RATIO:.0%} of the trivial endpoint's: {ratio:.0%}  "
              f"{'PASS' if ok_ratio else 'FAIL'}")
        print(f"target: near-me p99 < {TARGET_P99_MS:g} ms: {med_near.p99_ms:.1f} ms  {'PASS' if ok_p99 else 'FAIL'}")
        if errors:
            print(f"WARNING: {errors} non-2xx responses or socket errors in the measured runs")
        return 1 if args.check and not (ok_ratio and ok_p99 and not errors) else 0
    except KeyboardInterrupt:
        print("\ninterrupted; cleaning up", file=sys.stderr)
        return 130
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
