"""The public register as an in-memory read model: filters, "near me" and ready-made JSON.

The register changes a few times a day and is read constantly, so every process keeps the public
view in NumPy arrays and answers reads without an ORM query per request. A write bumps
`registry_version` in its own transaction; readers compare versions at most every
`registry_cache_s` seconds (0 = on every read) and rebuild when it moved. Filters and distances are
computed here once, for the API, the GeoJSON and the citizen pages alike.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np
import orjson
from sqlalchemy.orm import Session

from praca.core.geo import haversine_m_many, radius_bbox
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
    lat_order: np.ndarray
    lat_sorted: np.ndarray
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
        order = np.argsort(lat, kind="stable")
        return cls(
            version=version, devices=devices, lat=lat,
            lon=np.fromiter((d.lon for d in devices), dtype=np.float64, count=len(devices)),
            type_code=np.fromiter((_TYPES.index(DeviceType(d.type)) for d in devices), dtype=np.int16,
                                  count=len(devices)),
            status_code=np.fromiter((_STATUSES.index(Status(d.status)) for d in devices), dtype=np.int8,
                                    count=len(devices)),
            personal=np.fromiter((d.personal_data for d in devices), dtype=bool, count=len(devices)),
            operator_code=np.asarray(op_codes, dtype=np.int32), operators=operators,
            search=[d.search_text for d in devices], by_id={d.public_id: i for i, d in enumerate(devices)},
            lat_order=order, lat_sorted=lat[order],
        )

    def __len__(self) -> int:
        return len(self.devices)

    # --- queries ---------------------------------------------------------------------------------------

    def query(self, f: DeviceFilter, default_radius_m: float) -> Result:
        near = f.lat is not None and f.lon is not None
        if near:
            radius = f.radius_m or default_radius_m
            box = radius_bbox(f.lat, f.lon, radius)  # type: ignore[arg-type]
            lo = np.searchsorted(self.lat_sorted, box.min_lat, side="left")
            hi = np.searchsorted(self.lat_sorted, box.max_lat, side="right")
            cand = self.lat_order[lo:hi]
            cand = cand[(self.lon[cand] >= box.min_lon) & (self.lon[cand] <= box.max_lon)]
        else:
            cand = np.arange(len(self.devices))
        cand = self._filter(cand, f)
        if near:
            dist = haversine_m_many(f.lat, f.lon, self.lat[cand], self.lon[cand])  # type: ignore[arg-type]
            keep = dist <= radius
            cand, dist = cand[keep], dist[keep]
            total = len(cand)
            end = min(total, f.offset + f.limit)
            part = np.argpartition(dist, end - 1)[:end] if end < total else np.arange(total)
            # distance first, then the index's own (name) order for ties: stable answers for paging
            part = part[np.lexsort((cand[part], dist[part]))][f.offset:end]
            return Result(cand[part], dist[part], total)
        total = len(cand)
        return Result(cand[f.offset:f.offset + f.limit], None, total)

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

    def item_json(self, i: int, locale: str) -> bytes:
        """The device's DeviceRead JSON without its closing brace, rendered once per locale."""
        cache = self._items.get(locale)
        if cache is None:
            with self._lock:
                cache = self._items.setdefault(locale, [None] * len(self.devices))
        raw = cache[i]
        if raw is None:
            raw = orjson.dumps(service.device_read(self.devices[i], locale).model_dump(mode="json"))[:-1]
            cache[i] = raw
        return raw

    def page_json(self, result: Result, locale: str) -> bytes:
        parts = []
        if result.distances is None:
            for i in result.indices.tolist():
                parts.append(self.item_json(i, locale) + b',"distance_m":null}')
        else:
            for i, d in zip(result.indices.tolist(), result.distances.tolist(), strict=True):
                parts.append(self.item_json(i, locale) + b',"distance_m":%.1f}' % d)
        return b'{"items":[' + b",".join(parts) + b'],"total":%d}' % result.total

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


class IndexHolder:
    """One index per process, rebuilt when the register's version moves."""

    def __init__(self, check_every_s: float) -> None:
        self._check_every_s = check_every_s
        self._index: DeviceIndex | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    def get(self, session: Session) -> DeviceIndex:
        """The current index; `session` is only used when the version must be checked."""
        index, now = self._index, time.monotonic()
        if index is not None and now - self._checked_at < self._check_every_s:
            return index
        with self._lock:
            if self._index is not None and time.monotonic() - self._checked_at < self._check_every_s:
                return self._index
            version = service.current_version(session)
            if self._index is None or self._index.version != version:
                self._index = DeviceIndex.build(session)
            self._checked_at = time.monotonic()
            return self._index

    def invalidate(self) -> None:
        self._checked_at = 0.0
