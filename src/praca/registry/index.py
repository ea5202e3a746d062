"""The public register as an in-memory read model: filters, "near me" and ready-made JSON.

The register changes a few times a day and is read constantly, so every process keeps the public
view in NumPy arrays and answers reads without an ORM query per request. A write bumps
`registry_version` in its own transaction; readers compare versions at most every
`registry_cache_s` seconds (0 = on every read) and rebuild when it moved. Filters and distances are
computed here once, for the API, the GeoJSON and the citizen pages alike.
"""

from __future__ import annotations

import gc
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import orjson
from sqlalchemy.orm import Session

from praca.core.geo import EARTH_RADIUS_M, BBox, haversine_m_many, radius_bbox
from praca.registry import service
from praca.registry.models import Device
from praca.registry.schemas import DeviceFilter
from praca.registry.taxonomy import DeviceType, Status

_TYPES = list(DeviceType)
_STATUSES = list(Status)


@dataclass
class Result:
    indices: np.ndarray  # positions in the index, in answer order, already sliced by limit/offset
    distances: np.ndarray | None
    total: int


def _nearest(cand: np.ndarray, dist: np.ndarray, f: DeviceFilter) -> Result:
    """The page of `cand` (every device within the radius, with its distance) nearest first."""
    total = len(cand)
    end = min(total, f.offset + f.limit)
    # Everything up to the page's last distance, ties included, so every page cuts the same order.
    part = np.flatnonzero(dist <= np.partition(dist, end - 1)[end - 1]) if end < total else np.arange(total)
    # distance first, then the index's own (name) order for ties: stable answers for paging
    part = part[np.lexsort((cand[part], dist[part]))][f.offset:end]
    return Result(cand[part], dist[part], total)


@dataclass(frozen=True)
class _Planar:
    """Planar distances around a "near me" centre that bound the great-circle distance both ways.

    With p = R·hypot(cos(lat0)·Δlon, Δlat) (radians; an equirectangular plane at the centre's latitude),
    the great-circle distance h from the centre to any point of the search box satisfies
    alpha·p <= h <= beta·p, where, from sin²(t/2) <= t²/4 <= sin²(t/2) / (1 - t²/12) and
    cos(lat)/cos(lat0) between m and M over the box:
        alpha = sqrt(min(1, m) · (1 - t_max²/12)),  beta = sqrt(max(1, M) / (1 - c_max²/12)),
    t_max the box's largest half-width in radians and c_max its largest central angle. For a 500 m
    radius in Porto both are within 1e-4 of 1. Margins of 1e-9 (relative) and 1e-6 m (absolute) cover
    the rounding of p and of `haversine_m_many`, so a decision taken on p is the one the computed
    great-circle distance would take: it is the only distance ever reported or compared with the radius.
    """

    lat0: float
    lon0: float
    ky: float  # metres per degree of latitude
    kx: float  # metres per degree of longitude at lat0
    alpha: float
    beta: float

    _REL = 1e-9
    _ABS_M = 1e-6

    @classmethod
    def around(cls, lat: float, lon: float, box: BBox) -> _Planar | None:
        """None when the box is too large or too near a pole for the bounds to be worth it."""
        if (box.max_lat - box.min_lat > 2.0 or box.max_lon - box.min_lon > 2.0
                or box.max_lat > 85.0 or box.min_lat < -85.0):
            return None
        rad = math.radians
        c0 = math.cos(rad(lat))
        c_south, c_north = math.cos(rad(box.min_lat)), math.cos(rad(box.max_lat))
        m = min(c_south, c_north) / c0
        big_m = (1.0 if box.min_lat <= 0.0 <= box.max_lat else max(c_south, c_north)) / c0
        t_max = rad(max(box.max_lat - lat, lat - box.min_lat, box.max_lon - lon, lon - box.min_lon))
        hav_max = max(1.0, big_m) * (rad(box.max_lat - box.min_lat) ** 2
                                     + (c0 * rad(box.max_lon - box.min_lon)) ** 2) / 4
        c_max = 2.0 * math.asin(min(1.0, math.sqrt(hav_max)))
        ky = rad(1.0) * EARTH_RADIUS_M
        return cls(lat, lon, ky, ky * c0, math.sqrt(min(1.0, m) * (1.0 - t_max**2 / 12.0)),
                   math.sqrt(max(1.0, big_m) / (1.0 - c_max**2 / 12.0)))

    def distance_sq(self, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
        y = (lats - self.lat0) * self.ky
        x = (lons - self.lon0) * self.kx
        y *= y
        x *= x
        y += x
        return y

    def inside_sq(self, radius: float) -> float:
        """p² at most this: the great-circle distance is surely within `radius`."""
        r = radius - self._ABS_M
        return (r / (self.beta * (1.0 + self._REL))) ** 2 if r > 0 else -1.0

    def outside_sq(self, radius: float) -> float:
        """p² above this: the great-circle distance is surely beyond `radius`."""
        return ((radius + self._ABS_M) / (self.alpha * (1.0 - self._REL))) ** 2

    def reach_sq(self, p_sq: float) -> float:
        """p² at most this for every point as near (great-circle) as some point at p² = `p_sq`, or nearer."""
        h = self.beta * (1.0 + self._REL) * math.sqrt(p_sq) + self._ABS_M
        return ((h + self._ABS_M) / (self.alpha * (1.0 - self._REL))) ** 2


@dataclass
class DeviceIndex:
    version: int
    devices: list[Device]
    lat: np.ndarray
    lon: np.ndarray
    type_code: np.ndarray
    status_code: np.ndarray
    personal: np.ndarray
    operator_code: np.ndarray
    operators: dict[str, int]
    search: list[str]
    by_id: dict[str, int]
    lat_order: np.ndarray  # positions sorted by latitude
    lat_sorted: np.ndarray  # lat[lat_order]
    lon_by_lat: np.ndarray  # lon[lat_order]
    _items: dict[str, list[bytes | None]] = field(default_factory=dict)
    _features: dict[str, list[bytes | None]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(cls, session: Session) -> DeviceIndex:
        version = service.current_version(session)
        devices = list(service.all_devices(session))
        operators: dict[str, int] = {}
        op_codes = [operators.setdefault(d.operator.slug, len(operators)) for d in devices]
        lat = np.fromiter((d.lat for d in devices), dtype=np.float64, count=len(devices))
        lon = np.fromiter((d.lon for d in devices), dtype=np.float64, count=len(devices))
        order = np.argsort(lat, kind="stable")
        return cls(
            version=version, devices=devices, lat=lat, lon=lon,
            type_code=np.fromiter((_TYPES.index(DeviceType(d.type)) for d in devices), dtype=np.int16,
                                  count=len(devices)),
            status_code=np.fromiter((_STATUSES.index(Status(d.status)) for d in devices), dtype=np.int8,
                                    count=len(devices)),
            personal=np.fromiter((d.personal_data for d in devices), dtype=bool, count=len(devices)),
            operator_code=np.asarray(op_codes, dtype=np.int32), operators=operators,
            search=[d.search_text for d in devices], by_id={d.public_id: i for i, d in enumerate(devices)},
            lat_order=order, lat_sorted=lat[order], lon_by_lat=lon[order],
        )

    def __len__(self) -> int:
        return len(self.devices)

    # --- queries ---------------------------------------------------------------------------------------

    def query(self, f: DeviceFilter, default_radius_m: float) -> Result:
        if f.lat is None or f.lon is None:
            cand = self._filter(np.arange(len(self.devices)), f)
            return Result(cand[f.offset:f.offset + f.limit], None, len(cand))
        lat, lon = f.lat, f.lon
        radius = f.radius_m or default_radius_m
        box = radius_bbox(lat, lon, radius)
        # The latitude band is a contiguous slice of the lat-sorted arrays: its longitudes are read in
        # order, not gathered from scattered positions.
        lo = int(self.lat_sorted.searchsorted(box.min_lat, side="left"))
        hi = int(self.lat_sorted.searchsorted(box.max_lat, side="right"))
        band_lon = self.lon_by_lat[lo:hi]
        pos = np.flatnonzero((band_lon >= box.min_lon) & (band_lon <= box.max_lon))
        cand = self.lat_order[lo:hi][pos]
        filtered = self._filter(cand, f)
        if filtered is cand:  # no other filter: the band's own coordinates, again without a gather
            lats, lons = self.lat_sorted[lo:hi][pos], band_lon[pos]
        else:
            cand = filtered
            lats, lons = self.lat[cand], self.lon[cand]
        planar = _Planar.around(lat, lon, box)
        want = f.offset + f.limit
        if planar is not None:
            # Great-circle distances only where they decide something (see _Planar): for devices whose
            # planar distance leaves it open whether they are within the radius, and for the few that
            # may be among the `want` nearest. The rest are counted as surely inside or dropped.
            p2 = planar.distance_sq(lats, lons)
            inside = p2 <= planar.inside_sq(radius)
            open_ = (p2 <= planar.outside_sq(radius)) & ~inside
            n_inside = int(np.count_nonzero(inside))
            if n_inside > want:
                reach = planar.reach_sq(float(np.partition(p2, want - 1)[want - 1]))  # the want nearest are inside
                exact = np.flatnonzero((inside & (p2 <= reach)) | open_)
            else:
                exact = np.flatnonzero(inside | open_)
            dist = haversine_m_many(lat, lon, lats[exact], lons[exact])
            keep = inside[exact] | (dist <= radius)
            exact, dist = exact[keep], dist[keep]
            total = n_inside + int(np.count_nonzero(~inside[exact]))
            end = min(total, want)
            if n_inside <= want:  # every device within the radius has its distance: as below
                return _nearest(cand[exact], dist, f)
            # `exact` holds every device as near as the end-th nearest; unless several tie for the
            # end-th place, the page is the same set whichever devices the rest of the circle holds.
            dk = np.partition(dist, end - 1)[end - 1]
            nearest = np.flatnonzero(dist <= dk)
            if len(nearest) == end:
                c = cand[exact]
                part = nearest[np.lexsort((c[nearest], dist[nearest]))][f.offset:end]
                return Result(c[part], dist[part], total)
        dist = haversine_m_many(lat, lon, lats, lons)
        keep = dist <= radius
        return _nearest(cand[keep], dist[keep], f)

    def _filter(self, cand: np.ndarray, f: DeviceFilter) -> np.ndarray:
        if f.type:
            cand = cand[np.isin(self.type_code[cand], [_TYPES.index(t) for t in f.type])]
        if f.status:
            cand = cand[np.isin(self.status_code[cand], [_STATUSES.index(s) for s in f.status])]
        if f.personal_data is not None:
            cand = cand[self.personal[cand] == f.personal_data]
        if f.operator:
            code = self.operators.get(f.operator)
            cand = cand[self.operator_code[cand] == code] if code is not None else cand[:0]
        box = f.box
        if box is not None:
            la, lo = self.lat[cand], self.lon[cand]
            cand = cand[(la >= box.min_lat) & (la <= box.max_lat) & (lo >= box.min_lon) & (lo <= box.max_lon)]
        if f.q:
            words = service.normalise(f.q).split()
            search = self.search
            cand = np.fromiter((i for i in cand if all(w in search[i] for w in words)), dtype=np.int64)
        return cand

    def position(self, public_id: str) -> int | None:
        return self.by_id.get(public_id)

    # --- ready-made JSON ---------------------------------------------------------------------------------

    def _item_cache(self, locale: str) -> list[bytes | None]:
        cache = self._items.get(locale)
        if cache is None:
            with self._lock:
                cache = self._items.setdefault(locale, [None] * len(self.devices))
        return cache

    def item_json(self, i: int, locale: str) -> bytes:
        """The device's DeviceRead JSON without its closing brace, rendered once per locale."""
        cache = self._item_cache(locale)
        raw = cache[i]
        if raw is None:
            raw = orjson.dumps(service.device_read(self.devices[i], locale).model_dump(mode="json"))[:-1]
            cache[i] = raw
        return raw

    def page_json(self, result: Result, locale: str) -> bytes:
        cache = self._item_cache(locale)
        indices = result.indices.tolist()
        if not indices:
            return b'{"items":[],"total":%d}' % result.total
        if result.distances is None:
            tails = [b',"distance_m":null},'] * len(indices)
        else:
            tails = [b',"distance_m":%.1f},' % d for d in result.distances.tolist()]
        tails[-1] = tails[-1][:-1]
        parts = [b'{"items":[']
        for i, tail in zip(indices, tails, strict=True):
            parts.append(cache[i] or self.item_json(i, locale))
            parts.append(tail)
        parts.append(b'],"total":%d}' % result.total)
        return b"".join(parts)  # one copy of the page, not one per item and two of the whole

    def feature_json(self, i: int, locale: str, distance: float | None) -> bytes:
        props = orjson.loads(self.item_json(i, locale) + b"}")
        geometry = props.pop("geometry") or {"type": "Point", "coordinates": [props["lon"], props["lat"]]}
        props["distance_m"] = None if distance is None else round(distance, 1)
        return orjson.dumps({"type": "Feature", "id": props["id"], "geometry": geometry, "properties": props})

    def geojson(self, result: Result, locale: str) -> bytes:
        dists = [None] * len(result.indices) if result.distances is None else result.distances.tolist()
        feats = [self.feature_json(i, locale, d) for i, d in zip(result.indices.tolist(), dists, strict=True)]
        return (b'{"type":"FeatureCollection","features":[' + b",".join(feats)
                + b'],"totalFeatures":%d}' % result.total)


# The index is about a dozen GC-tracked objects per device (the ORM rows with their state, lists and
# dicts), all long-lived. While it is built, the cyclic collector would walk the growing heap again and
# again (half the build time at 100,000 devices); once built, every full collection would walk all of it
# (about 1 s per 100,000 devices, every few seconds under load: the p99). So the build runs with the
# collector paused, and a large index is then frozen: gc.freeze() moves every object alive into the
# permanent generation, which collections skip. The index holds no reference cycles, so a replaced one
# is still freed by reference counting; what freezing can pin is cyclic garbage alive at that moment.
_FREEZE_FROM = 1000  # devices; below this a full collection over the index is cheap anyway
_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = True


@contextmanager
def _collector_paused() -> Iterator[None]:
    """gc.disable() for the duration, nestable and thread-safe; the collector's prior state is restored."""
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


class IndexHolder:
    """One index per process, rebuilt when the register's version moves."""

    def __init__(self, check_every_s: float) -> None:
        self._check_every_s = check_every_s
        self._index: DeviceIndex | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    def fresh(self) -> DeviceIndex | None:
        """The index when it may be used without looking at the database now, else None: call `get`."""
        index = self._index
        if index is not None and time.monotonic() - self._checked_at < self._check_every_s:
            return index
        return None

    def get(self, session: Session) -> DeviceIndex:
        """The current index; `session` is only used when the version must be checked."""
        index, now = self._index, time.monotonic()
        if index is not None and now - self._checked_at < self._check_every_s:
            return index
        if index is not None and not self._lock.acquire(blocking=False):
            return index  # another request is checking or rebuilding: serve the last index meanwhile
        if index is None:
            self._lock.acquire()
        try:
            if self._index is not None and time.monotonic() - self._checked_at < self._check_every_s:
                return self._index
            version = service.current_version(session)
            if self._index is None or self._index.version != version:
                with _collector_paused():
                    self._index = DeviceIndex.build(session)
                    if len(self._index) >= _FREEZE_FROM:
                        gc.freeze()
            self._checked_at = time.monotonic()
            return self._index
        finally:
            self._lock.release()

    def invalidate(self) -> None:
        self._checked_at = 0.0

