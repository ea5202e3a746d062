"""Points, bounding boxes and great-circle distances (no PostGIS needed)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean Earth radius


@dataclass(frozen=True)
class BBox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def contains(self, lat: float, lon: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon


def parse_bbox(raw: str) -> BBox:
    """`minlon,minlat,maxlon,maxlat` → BBox, or ValueError with a message a person can act on."""
    parts = raw.split(",")
    if len(parts) != 4:
        raise ValueError("bbox must be four numbers: minlon,minlat,maxlon,maxlat")
    try:
        min_lon, min_lat, max_lon, max_lat = (float(p) for p in parts)
    except ValueError:
        raise ValueError("bbox must be four numbers: minlon,minlat,maxlon,maxlat") from None
    if not all(math.isfinite(v) for v in (min_lon, min_lat, max_lon, max_lat)):
        raise ValueError("bbox values must be finite numbers")
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180 and -90 <= min_lat <= 90 and -90 <= max_lat <= 90):
        raise ValueError("bbox longitudes must be within ±180 and latitudes within ±90")
    if min_lon > max_lon or min_lat > max_lat:
        raise ValueError("bbox minimums must not exceed its maximums")
    return BBox(min_lon, min_lat, max_lon, max_lat)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres on the mean Earth sphere."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def haversine_m_many(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """The same distance from one point to many, vectorised."""
    p1, p2 = math.radians(lat), np.radians(lats)
    dp, dl = p2 - p1, np.radians(lons - lon)
    a = np.sin(dp / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))


_BOX_MARGIN_DEG = 1e-9  # ~0.1 mm: keeps points exactly on the circle inside despite float rounding


def radius_bbox(lat: float, lon: float, radius_m: float) -> BBox:
    """A box that surely contains the circle: the SQL prefilter before exact distances.

    The circle is widest poleward of its centre, so its longitude half-width is asin(sin r / cos lat),
    a little more than r / cos lat. A circle that reaches a pole or the ±180° meridian gets every
    longitude: one box in stored coordinates cannot wrap, and a wider prefilter is still correct.
    """
    angular = radius_m / EARTH_RADIUS_M
    dlat = math.degrees(angular) + _BOX_MARGIN_DEG
    min_lat, max_lat = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    if min_lat <= -90.0 or max_lat >= 90.0:
        return BBox(-180.0, min_lat, 180.0, max_lat)
    dlon = math.degrees(math.asin(min(1.0, math.sin(angular) / math.cos(math.radians(lat))))) + _BOX_MARGIN_DEG
    if lon - dlon < -180.0 or lon + dlon > 180.0:
        return BBox(-180.0, min_lat, 180.0, max_lat)
    return BBox(lon - dlon, min_lat, lon + dlon, max_lat)
