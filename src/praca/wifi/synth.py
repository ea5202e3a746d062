"""Realistic synthetic public Wi-Fi session logs, to demo and benchmark the Wi-Fi pipeline without real people.

The logs look like what the city's controllers and RADIUS servers export, one file per UTC day:

* a population of devices with **fixed MACs** (real vendor OUIs) that persists across days: residents near
  home, commuters (home, bus, work on weekdays) and people who only come in to work;
* **randomised MACs** (locally administered, a new one per device and day, as modern phones do), about
  60 % of the sessions, so they never recur across days;
* a daily rhythm in Lisbon local time (quiet nights, commute peaks, lunch; weekends and public holidays
  differ), heavy-tailed access-point popularity and spatial locality (a device's sessions of a day are on
  access points near each other), lognormal durations (shorter on buses) and byte counts that grow with them;
* events (a market day, a concert) that add attendees to the access points around them.

Everything is vectorised with NumPy in blocks of devices; a day is sorted by start and written in
row-group-sized chunks while the next day is generated on the other core, so memory holds at most two days
and 100 M+ sessions stream to disk at over a million sessions per second on two cores. The same arguments
give byte-identical files: every random draw comes from a generator seeded by (seed, purpose, day), and a
day does not depend on the days generated before it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import holidays
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

LISBON = ZoneInfo("Europe/Lisbon")

CSV_COLUMNS = ("Calling-Station-Id", "Called-Station-Id", "Acct-Start-Time", "Acct-Session-Time",
               "Acct-Input-Octets", "Acct-Output-Octets")
PARQUET_SCHEMA = pa.schema([("client_mac", pa.string()), ("ap_name", pa.string()),
                            ("start", pa.timestamp("us", tz="UTC")), ("stop", pa.timestamp("us", tz="UTC")),
                            ("bytes", pa.int64())])

CHUNK_ROWS = 1 << 20  # rows per Parquet row group / CSV batch: bounds the memory of the text columns
RANDOMISED_SHARE = 0.6
MIN_DURATION_S, MAX_DURATION_S = 30, 8 * 3600
_DAY_S = 86_400
_EPOCH = date(1970, 1, 1)

# Real vendor OUIs (IEEE registry) for fixed-MAC devices, by rough share of phones and laptops that keep
# their burnt-in address on public Wi-Fi. All have the locally-administered and multicast bits clear.
_VENDOR_OUIS: tuple[tuple[float, tuple[int, ...]], ...] = (
    (0.22, (0x000393, 0x0017F2, 0x001CB3, 0x28CFE9, 0x7C6D62, 0xACBC32, 0xF0DBF8, 0x705681,  # Apple
            0xA45E60, 0xD023DB, 0x8866A5, 0xF40F24)),
    (0.24, (0x0007AB, 0x001247, 0x001599, 0x001632, 0x001D25, 0x5C0A5B, 0xBC20A4, 0xF025B7,  # Samsung
            0x78D6F0, 0x94350A)),
    (0.14, (0x286C07, 0x640980, 0x3480B3, 0x7811DC, 0x508F4C, 0x584498)),  # Xiaomi
    (0.09, (0x001882, 0x001E10, 0x00259E, 0x00E0FC, 0x04F938)),  # Huawei
    (0.11, (0x001B21, 0x001E65, 0x00216A, 0x0024D7)),  # Intel (laptops)
    (0.05, (0x001422, 0xF8BC12, 0x18DBF2)),  # Dell
    (0.04, (0x3C5AB4, 0xF4F5E8, 0x546009)),  # Google
    (0.04, (0x001C62, 0x10683F)),  # LG
    (0.03, (0x001F29, 0x101F74)),  # HP
    (0.04, (0xC0EEFB,)),  # OnePlus
)

# Daily rhythms: relative weight of each local hour 0..23, (weekday, weekend-or-holiday).
_VISIT = ((1.0, .5, .3, .2, .2, .4, 1.2, 3.2, 5.0, 4.8, 4.6, 4.9, 5.8, 6.0, 5.0, 4.8, 5.2, 6.2, 6.6, 5.6, 4.2, 3.2,
           2.3, 1.5),
          (2.0, 1.4, .9, .5, .3, .3, .5, .9, 1.6, 2.8, 4.2, 5.2, 5.8, 5.9, 5.2, 5.0, 5.2, 5.4, 5.4, 5.0, 4.4, 3.8,
           3.2, 2.6))
_BUS = ((0, 0, 0, 0, 0, 0, 2.0, 6.0, 8.0, 5.0, 3.5, 3.4, 3.8, 4.0, 3.6, 3.8, 4.8, 6.8, 7.4, 5.0, 3.0, 2.2, 1.6, 1.1),
        (0, 0, 0, 0, 0, 0, .8, 1.5, 2.4, 3.2, 3.8, 4.2, 4.4, 4.4, 4.2, 4.2, 4.3, 4.4, 4.4, 4.0, 3.3, 2.8, 2.3, 1.8))
_RESIDENT = ((.8, .4, .2, .15, .15, .3, 1.0, 2.2, 2.8, 2.6, 3.0, 3.4, 4.2, 4.4, 3.6, 3.4, 3.8, 4.6, 5.4, 5.8, 5.4,
              4.4, 3.0, 1.8), _VISIT[1])
_COMMUTER = ((.4, .2, .1, .1, .1, .4, 2.0, 6.5, 7.5, 3.0, 1.8, 2.0, 3.8, 4.0, 2.2, 2.0, 2.6, 5.5, 6.5, 4.5, 3.0, 2.2,
              1.4, .8), _VISIT[1])
_WORKER = ((.1, .05, .05, .05, .05, .2, .8, 3.0, 6.0, 6.0, 5.0, 5.0, 6.0, 6.2, 5.2, 5.0, 5.0, 5.0, 3.0, 1.2, .6, .4,
            .2, .1), _VISIT[1])

# Fixed-MAC device types: share of the population, P(active | weekday, weekend), extra sessions per active day.
RESIDENT, COMMUTER, WORKER = 0, 1, 2
_TYPE_SHARE = (0.4, 0.4, 0.2)
_TYPE_ACTIVE = ((0.5, 0.55), (0.85, 0.35), (0.8, 0.1))
_TYPE_EXTRA = (1.5, 2.5, 2.0)
_TYPE_PROFILE = (_RESIDENT, _COMMUTER, _WORKER)

# Where a fixed device is, by place: home cluster, work cluster, on a bus, out (a wider ring around home/work).
HOME, WORK, BUS, OUT = 0, 1, 2, 3
# Session kinds, which set the duration: ordinary, at work (longer), on a bus (short), at an event.
_K_BASE, _K_WORK, _K_BUS, _K_EVENT = 0, 1, 2, 3
_DURATION = np.array([(math.log(1200), 1.0), (math.log(2100), 0.9), (math.log(480), 0.6), (math.log(1500), 0.8)])

_DOW_VOLUME = (1.05, 1.06, 1.06, 1.07, 1.08, 0.92, 0.76)  # Monday..Sunday, mean 1
_NEIGHBOURS = 6  # an access point's neighbourhood: itself and its 5 nearest fixed access points
_HOME_RANKS = (0.6, 0.25, 0.15)  # the "few home APs": the anchor and its two nearest
_VISIT_RANKS = (0.42, 0.2, 0.13, 0.1, 0.08, 0.07)
_RANDOM_EXTRA = 1.2  # a randomised device's sessions beyond its first (Poisson mean)
_RIDERS = 0.18  # share of randomised devices met on a bus
_EVENT_FACTOR = 5  # default events: extra devices per normal session at their APs in their hours
_EVENT_MAX_DEVICES = 1 << 20

# Seed-sequence purposes, so each kind of draw has its own independent stream.
_S_APS, _S_POOL, _S_VOLUME, _S_FIXED, _S_RANDOM, _S_ROWS, _S_EVENT, _S_MAC = range(1, 9)
# Randomised MACs are a bijection of (UTC day, serial) on 46 bits, so none ever repeats on another day: 15 bits
# of day (1970-2059), then 31 of serial: a device's number, or for events a flag, the event's index and number.
_DAY_BITS, _SERIAL_BITS, _EVENT_SHIFT = 15, 31, 20
_EVENT_FLAG = 1 << (_SERIAL_BITS - 1)
_MAX_EVENTS = 1 << (_SERIAL_BITS - 1 - _EVENT_SHIFT)
_MULTIPLIERS = (0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB)


@dataclass(frozen=True)
class SynthAccessPoint:
    code: str  # the controller's name for the AP, e.g. "PD-AP-0001" or "STCP-BUS-1234"
    lat: float
    lon: float
    on_bus: bool  # on-bus APs (sessions short, spread over the service day 6h-24h)


@dataclass(frozen=True)
class SynthEvent:
    name: str
    lat: float
    lon: float
    radius_m: float
    day: date  # local (Europe/Lisbon) date
    start_hour: int  # local hour, inclusive
    end_hour: int  # local hour, exclusive
    extra_devices: int  # distinct extra devices attending


def default_events(start: date, days: int) -> list[SynthEvent]:
    """A market day at Mercado do Bolhão (41.1496, -8.6059), morning 8-13h, and an evening concert at
    Estádio do Dragão (41.1617, -8.5837), 19-24h, both within the last 7 days of [start, start+days)
    (market on the Saturday, concert on another day), sized relative to normal traffic so they stand out.

    `extra_devices` here is the real-world attendance; `write_logs(events=None)` rescales it to the
    generated city's traffic (5 extra devices per normal session at the event's APs in its hours), since
    only it knows how busy those access points are. The concert is on the Wednesday (a typical match or
    concert night) or, in a short range without one, on the latest other day.
    """
    if days <= 0:
        return []
    first = start + timedelta(days=max(0, days - 7))
    window = [first + timedelta(days=i) for i in range((start + timedelta(days=days) - first).days)]
    market = next((d for d in window if d.weekday() == 5), window[-1])
    others = [d for d in window if d != market] or [market]
    concert = next((d for d in others if d.weekday() == 2), others[-1])
    return [SynthEvent("Dia de mercado no Bolhão", 41.1496, -8.6059, 250.0, market, 8, 13, 6_000),
            SynthEvent("Concerto no Estádio do Dragão", 41.1617, -8.5837, 500.0, concert, 19, 24, 45_000)]


def write_logs(out_dir: Path, access_points: Sequence[SynthAccessPoint], *, start: date, days: int,
               sessions_per_day: int, seed: int = 2026, fmt: Literal["csv", "parquet"] = "csv",
               events: Sequence[SynthEvent] | None = None,
               progress: Callable[[int], None] | None = None) -> list[Path]:
    """One file per day, returns the paths in day order. `progress(n)` is called with the number of
    sessions just written (for a progress bar).

    `events=None` uses `default_events(start, days)`, sized to the traffic; explicit events keep their
    `extra_devices` exactly (pass `[]` for none). Raises ValueError on unusable arguments (no access
    points, a code that would need CSV quoting, impossible event hours).
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"Unknown format {fmt!r}: csv or parquet.")
    if days < 0 or sessions_per_day < 0:
        raise ValueError("days and sessions_per_day cannot be negative.")
    city = _City(access_points, sessions_per_day, seed)
    relative = events is None
    chosen = default_events(start, days) if events is None else list(events)
    if len(chosen) > _MAX_EVENTS:
        raise ValueError(f"At most {_MAX_EVENTS} events.")
    plans = [_EventPlan(ev, city) for ev in chosen]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write = _write_parquet if fmt == "parquet" else _write_csv
    dates = [start + timedelta(days=i) for i in range(days)]
    paths = []
    # The next day is generated while this one is written: both cores busy, at most two days in memory.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="wifi-synth") as pool:
        ahead = pool.submit(_day_sessions, city, dates[0], plans, relative) if dates else None
        for i, day in enumerate(dates):
            assert ahead is not None
            sessions = ahead.result()
            ahead = pool.submit(_day_sessions, city, dates[i + 1], plans, relative) if i + 1 < days else None
            paths.append(out_dir / f"wifi-{day:%Y-%m-%d}.{fmt}")
            write(paths[-1], city, day, sessions, progress)
            del sessions
    return paths


# --- the city: access points and the persistent fixed-MAC population ---------------------------------------


def _rng(seed: int, *purpose: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed & 0xFFFF_FFFF_FFFF_FFFF, *purpose]))


def _mix(x: np.ndarray, bits: int, keys: np.ndarray) -> np.ndarray:
    """A keyed bijection of [0, 2**bits): distinct inputs give distinct, random-looking outputs."""
    mask = np.uint64((1 << bits) - 1)
    shift = np.uint64(bits // 2 + 1)
    x = x.astype(np.uint64, copy=True)
    for key, mul in zip(keys, _MULTIPLIERS, strict=False):
        np.add(x, np.uint64(key), out=x)
        np.multiply(x, np.uint64(mul), out=x)
        np.bitwise_and(x, mask, out=x)
        np.bitwise_xor(x, x >> shift, out=x)
    return x


class _Sampler:
    """Draws indices in proportion to weights, from uniforms, for several weight vectors ("groups") at once.

    Same answer as `searchsorted` on the cumulative weights, but a bucket table and a few vectorised steps
    replace the binary search, which is the slowest part of drawing 100 M sessions. The groups are laid
    side by side in [0, 1), so one call serves rows that each use their own group's weights.
    """

    def __init__(self, *groups: Sequence[float] | np.ndarray) -> None:
        parts = []
        for k, weights in enumerate(groups):
            w = np.asarray(weights, dtype=np.float64)
            if not len(w) or (w < 0).any() or w.sum() <= 0:
                raise ValueError("Sampling weights must be non-negative with a positive sum.")
            part = (k + np.cumsum(w) / w.sum()) / len(groups)
            part[np.flatnonzero(w)[-1]:] = (k + 1) / len(groups)  # exact group edges, despite rounding
            parts.append(part)
        self.groups = len(groups)
        self.offsets = np.concatenate(([0], np.cumsum([len(p) for p in parts])[:-1]))
        self.last = np.array([np.flatnonzero(np.asarray(w))[-1] for w in groups])  # the last drawable index
        self.cdf = np.concatenate(parts)
        self.bits = int(np.clip(math.ceil(math.log2(len(self.cdf))) + 4, 10, 16))
        first = np.searchsorted(self.cdf, np.arange((1 << self.bits) + 1) / (1 << self.bits), side="right")
        self.first = np.minimum(first[:-1], len(self.cdf) - 1)
        self.steps = int((first[1:] - first[:-1]).max())  # the answer lies in [first[b], first[b + 1]]

    def __call__(self, u: np.ndarray, group: np.ndarray | None = None) -> np.ndarray:
        x = u if group is None else np.minimum((group + u) / self.groups, 1 - 2**-53)  # rounding stays below 1
        idx = self.first[(x * (1 << self.bits)).astype(np.intp)]
        for _ in range(self.steps):
            idx += x >= self.cdf[idx]
        if group is None:
            return idx
        return np.minimum(idx - self.offsets[group], self.last[group])


def _poisson_pmf(lam: float, top: int = 20) -> np.ndarray:
    k = np.arange(top)
    return np.exp(-lam + k * math.log(lam) - np.array([math.lgamma(i + 1) for i in k]))


class _City:
    """Access points (popularity, neighbourhoods) and the fixed-MAC devices that live and work around them."""

    def __init__(self, access_points: Sequence[SynthAccessPoint], sessions_per_day: int, seed: int) -> None:
        if not access_points:
            raise ValueError("At least one access point is needed.")
        for ap in access_points:
            if not ap.code or any(c in ap.code for c in ',"\r\n'):
                raise ValueError(f"Access-point code {ap.code!r}: non-empty, without commas, quotes or newlines.")
        self.seed, self.sessions_per_day = seed, sessions_per_day
        self.codes = [ap.code for ap in access_points]
        self.code_array = pa.array(self.codes, type=pa.string())
        self.lat = np.array([ap.lat for ap in access_points], dtype=np.float64)
        self.lon = np.array([ap.lon for ap in access_points], dtype=np.float64)
        bus = np.array([ap.on_bus for ap in access_points], dtype=bool)
        self.bus = np.flatnonzero(bus)
        # Without street APs, buses stand in for them (and vice versa): every session still has somewhere to go.
        self.static = np.flatnonzero(~bus) if (~bus).any() else self.bus
        self.has_bus = bool(self.bus.size) and self.bus is not self.static
        rng = _rng(seed, _S_APS)
        self.popularity = rng.lognormal(0.0, 1.0, len(access_points))  # a few busy squares, many quiet corners
        self.static_pick = _Sampler(self.popularity[self.static])
        # Randomised devices' anchors: group 0 a street AP (position in `static`), group 1 a bus (in `bus`).
        self.anchor_pick = _Sampler(self.popularity[self.static], self.popularity[self.bus] if self.has_bus else [1])
        self.bus_pick = _Sampler(self.popularity[self.bus]) if self.has_bus else self.static_pick
        self.neighbours = self._neighbours()
        self.k = self.neighbours.shape[1]
        self._pool(seed)

    def metres(self, lat: float | np.ndarray, lon: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Local equirectangular metres: exact enough at city scale, and cheap."""
        lat0 = float(np.mean(self.lat))
        return (np.asarray(lon) * 111_320.0 * math.cos(math.radians(lat0)), np.asarray(lat) * 110_540.0)

    def _neighbours(self) -> np.ndarray:
        """For each static AP (by position in `static`), the global indices of its nearest static APs, itself first."""
        x, y = self.metres(self.lat[self.static], self.lon[self.static])
        n, k = len(self.static), min(_NEIGHBOURS, len(self.static))
        out = np.empty((n, k), dtype=np.int32)
        for lo in range(0, n, 1024):  # chunks keep the distance matrix small for big cities
            hi = min(n, lo + 1024)
            d2 = (x[lo:hi, None] - x[None, :]) ** 2 + (y[lo:hi, None] - y[None, :]) ** 2
            d2[np.arange(hi - lo), np.arange(lo, hi)] = -1.0  # itself first, even if another AP shares its spot
            part = np.argpartition(d2, k - 1, axis=1)[:, :k] if k < n else np.tile(np.arange(n), (hi - lo, 1))
            order = np.argsort(np.take_along_axis(d2, part, axis=1), axis=1, kind="stable")
            out[lo:hi] = self.static[np.take_along_axis(part, order, axis=1)]
        return out

    def _pool(self, seed: int) -> None:
        """The fixed-MAC devices, sized so that they make ~40 % of an average week's sessions."""
        rng = _rng(seed, _S_POOL)
        share = np.array(_TYPE_SHARE)
        active = np.array(_TYPE_ACTIVE)
        per_day = (active * (1 + np.array(_TYPE_EXTRA))[:, None]) @ np.array([5 / 7, 2 / 7])
        n = round((1 - RANDOMISED_SHARE) * self.sessions_per_day / float(share @ per_day))
        self.pool_types = _Sampler(share)(rng.random(n)).astype(np.int8)
        self.propensity = (rng.beta(2.5, 1.5, n) / 0.625).astype(np.float32)  # mean 1: some daily, some rarely
        x, y = self.metres(self.lat[self.static], self.lon[self.static])
        d = np.hypot(x - x.mean(), y - y.mean())
        downtown = self.popularity[self.static] * np.exp(-d / max(float(np.median(d)), 1.0))  # jobs are central
        # Home and work anchors: positions in `static` (rows of `neighbours`).
        self.home = self.static_pick(rng.random(n)).astype(np.int32)
        self.work = _Sampler(downtown)(rng.random(n)).astype(np.int32)
        # MACs: a vendor OUI and a NIC part that is a bijection of the device's rank within its OUI (no clashes).
        ouis = np.array([o for _, group in _VENDOR_OUIS for o in group], dtype=np.uint64)
        weights = np.array([w / len(group) for w, group in _VENDOR_OUIS for _ in group])
        oui = _Sampler(weights)(rng.random(n))
        order = np.argsort(oui, kind="stable")
        starts = np.searchsorted(oui[order], np.arange(len(ouis)))
        rank = np.empty(n, dtype=np.uint64)
        rank[order] = np.arange(n, dtype=np.uint64) - starts[oui[order]].astype(np.uint64)
        if n and int(rank.max()) >= 1 << 24:
            raise ValueError("sessions_per_day is too large for the fixed-MAC population.")
        keys = _rng(seed, _S_MAC, 1).integers(0, 1 << 62, 3, dtype=np.uint64)
        nic = _mix((rank + oui.astype(np.uint64) * np.uint64(7919)) & np.uint64(0xFFFFFF), 24, keys)
        self.pool_macs = ((ouis[oui] & np.uint64(0xFCFFFF)) << np.uint64(24)) | nic
        self.mac_keys = _rng(seed, _S_MAC, 2).integers(0, 1 << 62, 3, dtype=np.uint64)

    def randomised_macs(self, day_numbers: np.ndarray | int, serial: np.ndarray) -> np.ndarray:
        """Locally administered unicast MACs, unique across (day, serial): bit 0x02 of the first octet set."""
        day_bits = np.asarray(day_numbers).astype(np.uint64) << np.uint64(_SERIAL_BITS)
        v = _mix(day_bits | serial.astype(np.uint64), 46, self.mac_keys)
        return ((v >> np.uint64(40)) << np.uint64(42)) | np.uint64(0x02 << 40) | (v & np.uint64((1 << 40) - 1))


# --- calendar: UTC hours of a file day seen in Lisbon local time -------------------------------------------


@lru_cache(maxsize=64)
def _porto_holidays(year: int) -> frozenset[date]:
    """Portuguese public holidays and Porto's own (São João, 24 June): these days look like Sundays."""
    return frozenset(holidays.country_holidays("PT", years=year)) | {date(year, 6, 24)}


@dataclass
class _Clock:
    """For each UTC hour of a file day: the local hour and whether the local day is a weekend or holiday."""

    day: date
    day0: int  # Unix seconds of the UTC midnight
    local_hour: np.ndarray
    weekend: np.ndarray
    service: tuple[int, int]  # the bus service day (local 6h-24h) as UTC seconds of the file day

    @classmethod
    def of(cls, day: date) -> _Clock:
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        free = _porto_holidays(day.year - 1) | _porto_holidays(day.year) | _porto_holidays(day.year + 1)
        hours, weekend = [], []
        for h in range(24):
            local = (midnight + timedelta(hours=h)).astimezone(LISBON)
            hours.append(local.hour)
            weekend.append(local.weekday() >= 5 or local.date() in free)
        svc_lo = datetime(day.year, day.month, day.day, 6, tzinfo=LISBON).timestamp() - midnight.timestamp()
        svc_hi = datetime.combine(day + timedelta(days=1), datetime.min.time(), LISBON).timestamp() \
            - midnight.timestamp()
        service = (int(max(0, svc_lo)), int(min(_DAY_S, svc_hi)))
        return cls(day, int(midnight.timestamp()), np.array(hours), np.array(weekend, dtype=np.int8), service)

    def weights(self, profile: tuple[Sequence[float], Sequence[float]]) -> np.ndarray:
        """A local-time profile as weights of the file day's 24 UTC hours."""
        return np.array(profile, dtype=np.float64)[self.weekend, self.local_hour]

    @property
    def volume_weekday(self) -> int:
        """Day of the week for the day's volume (public holidays count as Sundays)."""
        free = self.day.weekday() >= 5 or self.day in _porto_holidays(self.day.year)
        return 6 if free and self.day.weekday() < 5 else self.day.weekday()


def _fold(t: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Reflect times that spill out of [lo, hi) back inside it (no pile-up at the edges)."""
    out = (t < lo) | (t >= hi)
    if out.any():
        span = max(hi - lo, 1)
        x = np.mod(t[out] - lo, 2 * span)
        t = t.copy()
        t[out] = lo + np.where(x >= span, 2 * span - 1 - x, x)
    return t


def _seconds(rng: np.random.Generator, hours: np.ndarray) -> np.ndarray:
    return hours * 3600 + (rng.random(len(hours)) * 3600).astype(np.int64)


# --- one day of sessions -----------------------------------------------------------------------------------

# Devices per block: big NumPy temporaries are slow (fresh pages for every array), blocks stay in cache.
_BLOCK = 1 << 16


@dataclass
class _Sessions:
    mac: np.ndarray  # uint64
    ap: np.ndarray  # int32, index into the access points
    sec: np.ndarray  # int32, seconds since the file's UTC midnight
    kind: np.ndarray  # uint8, session kind (sets the duration)

    @staticmethod
    def of(mac: np.ndarray, ap: np.ndarray, sec: np.ndarray, kind: np.ndarray | int) -> _Sessions:
        kinds = np.broadcast_to(np.asarray(kind, dtype=np.uint8), mac.shape)
        return _Sessions(mac, ap.astype(np.int32), sec.astype(np.int32), kinds)


def _group_offsets(rng: np.random.Generator, counts: np.ndarray, mean_gap: float) -> tuple[np.ndarray, np.ndarray]:
    """For sessions grouped by device (`counts` >= 1 each): the device's row per session and each session's
    offset from the middle of the device's visit, from exponential gaps between its sessions."""
    owner = np.repeat(np.arange(len(counts)), counts)
    gaps = rng.exponential(mean_gap, len(owner))
    ends = np.cumsum(counts)
    first = ends - counts
    gaps[first] = 0.0
    run = np.cumsum(gaps)
    middle = (run[first] + run[ends - 1]) / 2
    return owner, (run - middle[owner]).astype(np.int64)


def _place_table(has_bus: bool) -> np.ndarray:
    """P(home, work, bus, out | device type, local hour, weekend), cumulated over the places, as
    [(type * 24 + hour) * 2 + weekend, 3]."""
    table = np.zeros((3, 24, 2, 4))
    for h in range(24):
        bus = 0.0 if h < 6 else 1.0
        table[RESIDENT, h, :] = (0.78, 0, 0.06 * bus, 0.16)
        table[COMMUTER, h, 1] = (0.7, 0, 0.12 * bus, 0.18)
        table[WORKER, h, 1] = (0, 0.3, 0.2 * bus, 0.5)
        if h in (7, 8):
            table[COMMUTER, h, 0], table[WORKER, h, 0] = (0.35, 0.1, 0.45, 0.1), (0, 0.45, 0.45, 0.1)
        elif 9 <= h < 17:
            table[COMMUTER, h, 0], table[WORKER, h, 0] = (0.05, 0.85, 0.03, 0.07), (0, 0.88, 0.02, 0.1)
        elif 17 <= h < 20:
            table[COMMUTER, h, 0], table[WORKER, h, 0] = (0.25, 0.2, 0.45, 0.1), (0, 0.4, 0.45, 0.15)
        else:
            table[COMMUTER, h, 0], table[WORKER, h, 0] = (0.85, 0, 0.05 * bus, 0.1), (0, 0.6, 0.1 * bus, 0.3)
    if not has_bus:  # no buses: those trips end up at home (residents, commuters) or at work (workers)
        table[:2, :, :, HOME] += table[:2, :, :, BUS]
        table[WORKER, :, :, WORK] += table[WORKER, :, :, BUS]
        table[..., BUS] = 0
    table /= table.sum(axis=-1, keepdims=True)
    return np.cumsum(table, axis=-1)[..., :3].reshape(-1, 3)


def _fixed_sessions(city: _City, clock: _Clock) -> Iterator[_Sessions]:
    """Fixed-MAC devices, block by block: who is out today, when, and at which of their places."""
    rng = _rng(city.seed, _S_FIXED, clock.day.toordinal())
    hour_pick = _Sampler(*(clock.weights(profile) for profile in _TYPE_PROFILE))
    extra_pick = _Sampler(*(_poisson_pmf(lam) for lam in _TYPE_EXTRA))
    home_rank = _Sampler(_HOME_RANKS[:city.k])
    places = _place_table(city.has_bus)
    p_active = np.array(_TYPE_ACTIVE, dtype=np.float32)[:, int(clock.weekend[12])]
    for lo in range(0, len(city.pool_types), _BLOCK):
        types_all = city.pool_types[lo:lo + _BLOCK]
        active = np.flatnonzero(rng.random(len(types_all), dtype=np.float32)
                                < np.minimum(p_active[types_all] * city.propensity[lo:lo + _BLOCK], 0.98))
        types = types_all[active]
        counts = 1 + extra_pick(rng.random(len(active)), types)
        dev = lo + np.repeat(active, counts)
        t = np.repeat(types, counts).astype(np.intp)
        hours = hour_pick(rng.random(len(dev)), t)
        sec = _seconds(rng, hours)
        cum = places[(t * 24 + clock.local_hour[hours]) * 2 + clock.weekend[hours]]
        place = (rng.random(len(dev))[:, None] >= cum).sum(axis=1)
        rank = home_rank(rng.random(len(dev)))
        if city.k > 3:  # "out": the wider ring of the neighbourhood
            rank = np.where(place == OUT, 3 + (rng.random(len(dev)) * (city.k - 3)).astype(np.intp), rank)
        anchor = np.where((place == WORK) | (t == WORKER), city.work[dev], city.home[dev])
        ap = city.neighbours[anchor, rank]
        if city.has_bus:
            ap = np.where(place == BUS, city.bus[city.bus_pick(rng.random(len(dev)))], ap)
        kind = np.where(place == BUS, _K_BUS, np.where(place == WORK, _K_WORK, _K_BASE))
        yield _Sessions.of(city.pool_macs[dev], ap, sec, kind)


def _randomised_sessions(city: _City, clock: _Clock, n_sessions: int) -> Iterator[_Sessions]:
    """Randomised-MAC devices, block by block: one short visit each around a popular spot, or a bus ride."""
    rng = _rng(city.seed, _S_RANDOM, clock.day.toordinal())
    n_dev = max(0, round(n_sessions / (1 + _RANDOM_EXTRA)))
    if n_dev >= _EVENT_FLAG:
        raise ValueError("sessions_per_day is too large for the randomised-MAC serials.")
    hour_pick = _Sampler(clock.weights(_VISIT), clock.weights(_BUS))
    extra_pick = _Sampler(_poisson_pmf(_RANDOM_EXTRA))
    visit_rank = _Sampler(_VISIT_RANKS[:city.k])
    day_number = (clock.day - _EPOCH).days
    for lo in range(0, n_dev, _BLOCK):
        n = min(_BLOCK, n_dev - lo)
        counts = 1 + extra_pick(rng.random(n))
        rider = (rng.random(n) < _RIDERS).astype(np.intp) if city.has_bus else np.zeros(n, dtype=np.intp)
        centre = _seconds(rng, hour_pick(rng.random(n), rider))
        anchor = city.anchor_pick(rng.random(n), rider)  # riders: their bus; the others: a street AP
        owner, offset = _group_offsets(rng, counts, 1500.0)
        on_bus = rider[owner].astype(bool)
        sec = np.where(on_bus, _fold(centre[owner] + offset // 3, *clock.service),
                       _fold(centre[owner] + offset, 0, _DAY_S))
        ap = city.neighbours[np.where(on_bus, 0, anchor[owner]), visit_rank(rng.random(len(owner)))]
        if city.has_bus:  # riders mostly stay on their bus; a quarter of sessions are after a change
            transfer = rng.random(len(owner)) < 0.25
            bus = np.where(transfer, city.bus_pick(rng.random(len(owner))), anchor[owner])
            ap = np.where(on_bus, city.bus[np.where(on_bus, bus, 0)], ap)
        macs = city.randomised_macs(day_number, np.arange(lo, lo + n))
        yield _Sessions.of(macs[owner], ap, sec, np.where(on_bus, _K_BUS, _K_BASE))


class _EventPlan:
    """An event's access points and UTC window; its size is fixed once, on the first day it touches."""

    def __init__(self, event: SynthEvent, city: _City) -> None:
        if not 0 <= event.start_hour < event.end_hour <= 24:
            raise ValueError(f"Event {event.name!r}: hours must satisfy 0 <= start_hour < end_hour <= 24.")
        if event.extra_devices < 0 or event.extra_devices > _EVENT_MAX_DEVICES or event.radius_m < 0:
            raise ValueError(f"Event {event.name!r}: extra_devices 0..{_EVENT_MAX_DEVICES}, radius_m >= 0.")
        self.event = event
        x, y = city.metres(city.lat[city.static], city.lon[city.static])
        ex, ey = city.metres(event.lat, event.lon)
        d = np.hypot(x - ex, y - ey)
        inside = np.flatnonzero(d <= event.radius_m)
        self.aps = city.static[inside if inside.size else np.argsort(d, kind="stable")[:3]]
        self.here = np.zeros(len(city.codes), dtype=bool)
        self.here[self.aps] = True
        begin = datetime(event.day.year, event.day.month, event.day.day, event.start_hour, tzinfo=LISBON)
        end = datetime.combine(event.day, datetime.min.time(), LISBON) + timedelta(hours=event.end_hour)  # wall clock
        self.window = (int(begin.timestamp()), int(end.timestamp()))
        self.size: int | None = None

    def seen(self, clock: _Clock, s: _Sessions) -> int:
        """Sessions of `s` at this event's APs in its hours: the normal traffic it is sized against."""
        lo, hi = self.window[0] - clock.day0, self.window[1] - clock.day0
        return int((self.here[s.ap] & (s.sec >= lo) & (s.sec < hi)).sum())


def _event_sessions(city: _City, index: int, plan: _EventPlan, clock: _Clock) -> _Sessions:
    """The event's attendees (30 % with fixed MACs from the population), 1-3 sessions each, all inside its
    hours at its access points; only the sessions that start on this file's UTC day are returned."""
    assert plan.size is not None
    rng = _rng(city.seed, _S_EVENT, index, plan.event.day.toordinal())
    n = plan.size
    n_fixed = min(round(0.3 * n), len(city.pool_macs))
    counts = rng.integers(1, 4, n)
    lo, hi = plan.window
    arrival = lo + (rng.random(n) * (hi - lo)).astype(np.int64)
    owner, offset = _group_offsets(rng, counts, 2400.0)
    sec_abs = _fold(arrival[owner] + offset, lo, hi)
    pick = _Sampler(city.popularity[plan.aps])
    main = plan.aps[pick(rng.random(n))]
    wander = rng.random(len(owner)) < 0.3
    ap = np.where(wander, plan.aps[pick(rng.random(len(owner)))], main[owner])
    fixed = rng.choice(len(city.pool_macs), size=n_fixed, replace=False) if n_fixed else np.zeros(0, np.int64)
    serial = np.uint64(_EVENT_FLAG | index << _EVENT_SHIFT) | owner.astype(np.uint64)
    macs = city.randomised_macs(sec_abs // _DAY_S, serial)  # a new MAC on each UTC day, like the others
    is_fixed = owner < n_fixed
    macs[is_fixed] = city.pool_macs[fixed[owner[is_fixed]]]
    keep = (sec_abs >= clock.day0) & (sec_abs < clock.day0 + _DAY_S)
    return _Sessions.of(macs[keep], ap[keep], sec_abs[keep] - clock.day0, _K_EVENT)


def _day_volume(city: _City, clock: _Clock) -> int:
    noise = float(np.exp(_rng(city.seed, _S_VOLUME, clock.day.toordinal()).normal(0.0, 0.04)))
    return round(city.sessions_per_day * _DOW_VOLUME[clock.volume_weekday] * noise)


@dataclass
class _Day:
    """A day's sessions in generation order, and the order that sorts them by start."""

    sessions: _Sessions
    order: np.ndarray


def _day_sessions(city: _City, day: date, plans: list[_EventPlan], relative: bool) -> _Day:
    """All sessions starting on the UTC `day`."""
    if not 0 <= (day - _EPOCH).days < 1 << _DAY_BITS:
        raise ValueError("Days must fall between 1970 and 2059.")
    clock = _Clock.of(day)
    total = _day_volume(city, clock)
    here = [(i, p) for i, p in enumerate(plans)
            if max(p.window[0], clock.day0) < min(p.window[1], clock.day0 + _DAY_S)]
    to_size = [p for _, p in here if p.size is None]
    seen = [0] * len(to_size)
    blocks: list[_Sessions] = []
    fixed = 0
    for block in _fixed_sessions(city, clock):
        blocks.append(block)
        fixed += len(block.mac)
    for block in _randomised_sessions(city, clock, max(total - fixed, round(0.2 * total))):
        blocks.append(block)
    if relative:
        for block in blocks:
            seen = [n + p.seen(clock, block) for n, p in zip(seen, to_size, strict=True)]
    for n, plan in zip(seen, to_size, strict=True):
        plan.size = min(_EVENT_MAX_DEVICES, max(30, _EVENT_FACTOR * n)) if relative else plan.event.extra_devices
    blocks += [_event_sessions(city, i, p, clock) for i, p in here if p.size]
    s = _Sessions(*(np.concatenate([getattr(b, f) for b in blocks]) for f in ("mac", "ap", "sec", "kind")))
    # Start order, ties in generation order: one in-place sort of (second << 32 | row) keys, fast and stable.
    key = s.sec.astype(np.uint64)
    key <<= np.uint64(32)
    key |= np.arange(len(key), dtype=np.uint64)
    key.sort()
    key &= np.uint64(0xFFFF_FFFF)
    return _Day(s, key.view(np.int64))


# --- writing -----------------------------------------------------------------------------------------------


@dataclass
class _Rows:
    """A chunk of sessions in start order, with durations (s) and octets from and to the client."""

    mac: np.ndarray
    ap: np.ndarray
    sec: np.ndarray
    dur: np.ndarray
    up: np.ndarray
    down: np.ndarray


def _chunks(city: _City, day: date, d: _Day) -> Iterator[_Rows]:
    """Chunk by chunk in start order, the sessions with their durations and byte counts (drawn here)."""
    rng = _rng(city.seed, _S_ROWS, day.toordinal())
    for lo in range(0, len(d.order), CHUNK_ROWS):
        rows = d.order[lo:lo + CHUNK_ROWS]
        n = len(rows)
        kind = d.sessions.kind[rows]
        dur = np.exp(_DURATION[kind, 0] + _DURATION[kind, 1] * rng.standard_normal(n))
        dur = np.clip(dur, MIN_DURATION_S, MAX_DURATION_S).astype(np.int64)
        rate = np.clip(np.exp(math.log(5000) + 1.1 * rng.standard_normal(n)), 100, 60_000)  # bytes per second
        total = (dur * rate).astype(np.int64) + 1500 + (rng.random(n) * 3000).astype(np.int64)
        down = (total * (0.6 + 0.35 * rng.random(n))).astype(np.int64)
        yield _Rows(d.sessions.mac[rows], d.sessions.ap[rows], d.sessions.sec[rows].astype(np.int64), dur,
                    total - down, down)


def _half_mac_tables(digits: bytes, sep: int) -> tuple[np.ndarray, np.ndarray]:
    """Lookup tables that turn 24 bits of a MAC into its 8 characters "aa:bb:cc" as one uint64, 12 bits at a
    time: the high half gives "aa:b", the low half "b:cc". Two small gathers per 8 characters."""
    v = np.arange(4096)
    d = np.frombuffer(digits, dtype=np.uint8).astype(np.uint64)
    hi = d[v >> 8] | d[(v >> 4) & 15] << np.uint64(8) | np.uint64(sep << 16) | d[v & 15] << np.uint64(24)
    lo = d[v >> 8] | np.uint64(sep << 8) | d[(v >> 4) & 15] << np.uint64(16) | d[v & 15] << np.uint64(24)
    return hi, lo << np.uint64(32)


def _clock_table() -> np.ndarray:
    """"HH:MM:SS" of every second of a day as one uint64 each."""
    s = np.arange(_DAY_S)
    word = np.zeros(_DAY_S, dtype=np.uint64)
    for pos, value in ((0, s // 3600), (3, s // 60 % 60), (6, s % 60)):
        word |= (48 + value // 10).astype(np.uint64) << np.uint64(8 * pos)
        word |= (48 + value % 10).astype(np.uint64) << np.uint64(8 * pos + 8)
    return word | np.uint64(ord(":") << 16 | ord(":") << 40)


_RADIUS_MAC = (*_half_mac_tables(b"0123456789ABCDEF", ord("-")), ord("-"))  # AA-BB-CC-DD-EE-FF
_CONTROLLER_MAC = (*_half_mac_tables(b"0123456789abcdef", ord(":")), ord(":"))  # aa:bb:cc:dd:ee:ff
_CLOCK = _clock_table()


def _fixed_width(text: np.ndarray) -> pa.Array:
    """An (n, w) uint8 array of ASCII as an Arrow string array, without a Python object per row."""
    n, w = text.shape
    offsets = np.arange(0, n * w + 1, w, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(text)))


def _mac_text(mac: np.ndarray, style: tuple[np.ndarray, np.ndarray, int]) -> pa.Array:
    """MACs as 17-character text, 8 characters per table lookup rather than one at a time."""
    hi, lo, sep = style
    x = mac.view(np.int64)  # MACs are 48 bits, so int64 indices need no conversion
    text = np.empty((len(x), 17), dtype=np.uint8)
    for half, cols in ((x >> 24, slice(0, 8)), (x & 0xFFFFFF, slice(9, 17))):
        word = hi[half >> 12]
        word |= lo[half & 0xFFF]
        text[:, cols] = word.view(np.uint8).reshape(-1, 8)
    text[:, 8] = sep
    return _fixed_width(text)


def _time_text(day: date, sec: np.ndarray) -> pa.Array:
    """ISO 8601 UTC with Z, e.g. 2026-11-01T10:00:00Z; the date is the file's, since every start is on it."""
    text = np.empty((len(sec), 20), dtype=np.uint8)
    text[:, 0:11] = np.frombuffer(f"{day:%Y-%m-%d}T".encode(), dtype=np.uint8)
    text[:, 11:19] = _CLOCK[sec].view(np.uint8).reshape(-1, 8)
    text[:, 19] = ord("Z")
    return _fixed_width(text)


def _ap_names(city: _City, ap: np.ndarray) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(ap, type=pa.int32()), city.code_array).cast(pa.string())


def _write_parquet(path: Path, city: _City, day: date, d: _Day, progress: Callable[[int], None] | None) -> None:
    start0 = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * 1_000_000
    # Delta-encoded (sorted) starts and no statistics on the MACs: smaller and faster, read by any engine.
    with pq.ParquetWriter(path, PARQUET_SCHEMA, compression="zstd", use_dictionary=["ap_name"],
                          write_statistics=["ap_name", "start", "stop", "bytes"],
                          column_encoding={"start": "DELTA_BINARY_PACKED"}) as writer:
        for rows in _chunks(city, day, d):
            begin = start0 + rows.sec * 1_000_000
            table = pa.table({
                "client_mac": _mac_text(rows.mac, _CONTROLLER_MAC),
                "ap_name": _ap_names(city, rows.ap),
                "start": pa.array(begin, type=pa.int64()).view(pa.timestamp("us", tz="UTC")),
                "stop": pa.array(begin + rows.dur * 1_000_000, type=pa.int64()).view(pa.timestamp("us", tz="UTC")),
                "bytes": pa.array(rows.up + rows.down, type=pa.int64()),
            })
            writer.write_table(table, row_group_size=CHUNK_ROWS)
            if progress is not None:
                progress(len(rows.mac))
        if not len(d.order):
            writer.write_table(PARQUET_SCHEMA.empty_table())


def _write_csv(path: Path, city: _City, day: date, d: _Day, progress: Callable[[int], None] | None) -> None:
    options = pacsv.WriteOptions(include_header=False, quoting_style="none")  # codes were checked: no quoting
    with path.open("wb") as fh:
        fh.write((",".join(CSV_COLUMNS) + "\n").encode())
        for rows in _chunks(city, day, d):
            table = pa.table({
                CSV_COLUMNS[0]: _mac_text(rows.mac, _RADIUS_MAC),
                CSV_COLUMNS[1]: _ap_names(city, rows.ap),
                CSV_COLUMNS[2]: _time_text(day, rows.sec),
                CSV_COLUMNS[3]: pa.array(rows.dur, type=pa.int64()),
                CSV_COLUMNS[4]: pa.array(rows.up, type=pa.int64()),
                CSV_COLUMNS[5]: pa.array(rows.down, type=pa.int64()),
            })
            pacsv.write_csv(table, fh, options)
            if progress is not None:
                progress(len(rows.mac))


__all__ = ["SynthAccessPoint", "SynthEvent", "default_events", "write_logs"]
