"""core/geo: great-circle distances, the radius prefilter box and bbox parsing."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from praca.core import geo

PORTO_ALIADOS = (41.1496, -8.6109)
LISBON_ROSSIO = (38.7139, -9.1394)

lats = st.floats(min_value=-90, max_value=90, allow_nan=False)
lons = st.floats(min_value=-180, max_value=180, allow_nan=False)


def central_angle_vincenty(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """An independent formula for the same sphere (Vincenty's special case), for cross-checking."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    y = math.hypot(math.cos(p2) * math.sin(dl),
                   math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl))
    x = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return math.atan2(y, x)


def destination(lat: float, lon: float, bearing_deg: float, distance_m: float) -> tuple[float, float]:
    """The point reached from (lat, lon) along a great circle; longitude normalised to [-180, 180]."""
    p1, l1, b = math.radians(lat), math.radians(lon), math.radians(bearing_deg)
    d = distance_m / geo.EARTH_RADIUS_M
    p2 = math.asin(max(-1.0, min(1.0, math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    lon2 = math.degrees(l2)
    if not -180.0 <= lon2 <= 180.0:
        lon2 = (lon2 + 540.0) % 360.0 - 180.0
    return math.degrees(p2), lon2


# --- haversine -----------------------------------------------------------------------------------------

def test_porto_to_lisbon():
    d = geo.haversine_m(*PORTO_ALIADOS, *LISBON_ROSSIO)
    assert d == pytest.approx(274_000, rel=0.005)
    assert d == pytest.approx(geo.EARTH_RADIUS_M * central_angle_vincenty(*PORTO_ALIADOS, *LISBON_ROSSIO), rel=1e-9)


def test_one_degree_of_latitude():
    expected = 2 * math.pi * 6_371_008.8 / 360  # 111 195.08 m on the IUGG mean sphere
    assert geo.haversine_m(41.0, -8.6, 42.0, -8.6) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(111_195.08, abs=0.01)


def test_one_degree_of_longitude_on_the_equator_and_at_60_degrees():
    assert geo.haversine_m(0, 10, 0, 11) == pytest.approx(2 * math.pi * geo.EARTH_RADIUS_M / 360, rel=1e-12)
    # Along a parallel the great circle is a little shorter than the parallel's arc (R·cos60°·1°).
    d = geo.haversine_m(60, 10, 60, 11)
    assert d == pytest.approx(geo.EARTH_RADIUS_M * central_angle_vincenty(60, 10, 60, 11), rel=1e-9)
    assert d < math.pi * geo.EARTH_RADIUS_M * 0.5 / 180


def test_zero_symmetric_and_antipodal():
    assert geo.haversine_m(*PORTO_ALIADOS, *PORTO_ALIADOS) == 0.0
    assert geo.haversine_m(*PORTO_ALIADOS, *LISBON_ROSSIO) == geo.haversine_m(*LISBON_ROSSIO, *PORTO_ALIADOS)
    # Haversine loses a little precision near antipodes (tens of centimetres over 20 000 km).
    assert geo.haversine_m(10, 20, -10, -160) == pytest.approx(math.pi * geo.EARTH_RADIUS_M, rel=1e-7)
    assert geo.haversine_m(90, 0, -90, 0) == pytest.approx(math.pi * geo.EARTH_RADIUS_M, rel=1e-12)


def test_across_the_antimeridian_is_short():
    assert geo.haversine_m(0, 179.5, 0, -179.5) == pytest.approx(geo.haversine_m(0, 0, 0, 1), rel=1e-9)


@given(lat1=lats, lon1=lons, lat2=lats, lon2=lons)
def test_haversine_matches_an_independent_formula(lat1, lon1, lat2, lon2):
    expected = geo.EARTH_RADIUS_M * central_angle_vincenty(lat1, lon1, lat2, lon2)
    assert geo.haversine_m(lat1, lon1, lat2, lon2) == pytest.approx(expected, rel=1e-6, abs=1e-3)


@given(lat=lats, lon=lons, points=st.lists(st.tuples(lats, lons), min_size=1, max_size=30))
def test_many_equals_one_by_one(lat, lon, points):
    p_lats = np.array([p[0] for p in points])
    p_lons = np.array([p[1] for p in points])
    many = geo.haversine_m_many(lat, lon, p_lats, p_lons)
    assert many.shape == (len(points),)
    one_by_one = [geo.haversine_m(lat, lon, la, lo) for la, lo in points]
    np.testing.assert_allclose(many, one_by_one, rtol=1e-9, atol=1e-6)


# --- radius_bbox ---------------------------------------------------------------------------------------

@given(lat=lats, lon=lons,
       radius=st.floats(min_value=0, max_value=200_000),
       bearing=st.floats(min_value=0, max_value=360), fraction=st.floats(min_value=0, max_value=1))
def test_radius_bbox_contains_every_point_within_the_radius(lat, lon, radius, bearing, fraction):
    box = geo.radius_bbox(lat, lon, radius)
    p_lat, p_lon = destination(lat, lon, bearing, radius * fraction)
    if geo.haversine_m(lat, lon, p_lat, p_lon) <= radius:  # within, as the exact second filter decides
        assert box.contains(p_lat, p_lon), (box, p_lat, p_lon)


@given(lat=lats, lon=lons, radius=st.floats(min_value=0, max_value=200_000))
def test_radius_bbox_contains_the_centre_and_stays_on_the_globe(lat, lon, radius):
    box = geo.radius_bbox(lat, lon, radius)
    assert box.contains(lat, lon)
    assert -90 <= box.min_lat <= box.max_lat <= 90
    assert -180 <= box.min_lon <= box.max_lon <= 180


def test_radius_bbox_is_tight_in_a_city():
    box = geo.radius_bbox(*PORTO_ALIADOS, 5000)
    # 5 km is 0.04497° of latitude and, at 41.15° N, 0.05972° of longitude; the box should not be much wider.
    assert box.max_lat - box.min_lat == pytest.approx(2 * 0.044966, rel=1e-4)
    assert box.max_lon - box.min_lon == pytest.approx(2 * 0.059716, rel=1e-4)


def test_radius_bbox_covers_the_circles_widest_point():
    # A circle's easternmost point lies poleward of its centre, further east than r / cos(lat) reaches:
    # at 60° N a 200 km circle sticks out ~100 m beyond that estimate.
    lat, lon, radius = 60.0, 10.0, 200_000
    ring = [destination(lat, lon, b / 100, radius * (1 - 1e-12)) for b in range(0, 36_000)]
    east = max(ring, key=lambda p: p[1])
    west = min(ring, key=lambda p: p[1])
    assert east[0] > lat + 0.01  # poleward
    box = geo.radius_bbox(lat, lon, radius)
    assert box.contains(*east) and box.contains(*west)
    assert all(box.contains(*p) for p in ring)
    assert box.max_lon - east[1] < 1e-4  # and still tight


def test_radius_bbox_near_the_pole_covers_the_far_side():
    # From 10 km below the North Pole, a 15 km circle reaches across it to the opposite meridian.
    lat, lon = 90 - math.degrees(10_000 / geo.EARTH_RADIUS_M), 10.0
    far = destination(lat, lon, 0, 14_000)
    assert far[1] == pytest.approx(-170.0)
    assert geo.radius_bbox(lat, lon, 15_000).contains(*far)


def test_radius_bbox_across_the_antimeridian():
    # Taveuni, Fiji, sits on 180°: a neighbour 2 km east has a longitude near -179.99.
    lat, lon = -16.8, 179.99
    east = destination(lat, lon, 90, 2_000)
    assert east[1] < -179.9
    assert geo.radius_bbox(lat, lon, 5_000).contains(*east)


# --- parse_bbox ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("-8.72,41.12,-8.52,41.20", geo.BBox(-8.72, 41.12, -8.52, 41.20)),
    (" -8.7 , 41.1 , -8.5 , 41.2 ", geo.BBox(-8.7, 41.1, -8.5, 41.2)),
    ("-180,-90,180,90", geo.BBox(-180, -90, 180, 90)),
    ("1,2,1,2", geo.BBox(1, 2, 1, 2)),
    ("1e-3,0,2E1,0.5", geo.BBox(0.001, 0, 20, 0.5)),
])
def test_parse_bbox_good(raw, expected):
    assert geo.parse_bbox(raw) == expected


@pytest.mark.parametrize("raw, message", [
    ("", "four numbers"),
    ("1,2,3", "four numbers"),
    ("1,2,3,4,5", "four numbers"),
    ("1;2;3;4", "four numbers"),
    ("a,b,c,d", "four numbers"),
    ("1,2,,4", "four numbers"),
    ("0x1,2,3,4", "four numbers"),
    ("nan,0,1,1", "finite"),
    ("0,0,inf,1", "finite"),
    ("-infinity,0,1,1", "finite"),
    ("-181,0,1,1", "±180"),
    ("0,0,180.5,1", "±180"),
    ("0,-90.1,1,1", "±90"),
    ("0,0,1,91", "±90"),
    ("2,0,1,1", "must not exceed"),
    ("0,2,1,1", "must not exceed"),
])
def test_parse_bbox_bad(raw, message):
    with pytest.raises(ValueError, match=message):
        geo.parse_bbox(raw)


def test_bbox_contains_is_inclusive():
    box = geo.BBox(-8.72, 41.12, -8.52, 41.20)
    assert box.contains(41.12, -8.72) and box.contains(41.20, -8.52) and box.contains(41.15, -8.6)
    assert not box.contains(41.21, -8.6) and not box.contains(41.15, -8.5)
