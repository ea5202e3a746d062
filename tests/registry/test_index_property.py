"""The in-memory index answers exactly what a plain reading of the filter would, for any filter.

Hypothesis draws filters (types, statuses, personal data, operator, text, bounding box, near me with
any radius, paging) and compares the index's answer with a brute-force scan of every device.
"""

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from praca.core.geo import haversine_m
from praca.registry import service
from praca.registry.index import DeviceIndex
from praca.registry.schemas import DeviceFilter
from praca.registry.taxonomy import DeviceType, Status
from tests.factories import make_device, make_operator

TYPES = [DeviceType.NOISE_SENSOR, DeviceType.CCTV_CAMERA, DeviceType.SMART_BIN]
WORDS = ["Aliados", "Bolhão", "Foz", "Campanhã"]


@pytest.fixture
def index(session, settings):
    make_operator(session, "mobilidade")
    make_operator(session, "ambiente", department="ambiente")
    rng = random.Random(7)
    for i in range(80):
        personal = rng.random() < 0.4
        lat, lon = round(rng.uniform(41.14, 41.18), 6), round(rng.uniform(-8.68, -8.56), 6)
        if i % 10 == 0:  # devices on one spot make ties in distance
            lat, lon = 41.1496, -8.6109
        make_device(
            session, settings, name=f"{rng.choice(WORDS)} {i:02d}", type=rng.choice(TYPES).value,
            operator=rng.choice(["mobilidade", "ambiente"]), status=rng.choice(list(Status)).value,
            lat=lat, lon=lon, personal_data=personal,
            personal_data_categories=["images_of_people"] if personal else [],
            legal_basis="public_task" if personal else "not_applicable")
    session.commit()
    return DeviceIndex.build(session)


def brute_force(index: DeviceIndex, f: DeviceFilter, default_radius: float) -> tuple[list[str], int]:
    hits = []
    for pos, d in enumerate(index.devices):
        if (f.type and d.type not in f.type) or (f.status and d.status not in f.status):
            continue
        if f.personal_data is not None and d.personal_data != f.personal_data:
            continue
        if f.operator and d.operator.slug != f.operator:
            continue
        if f.q and not all(w in d.search_text for w in service.normalise(f.q).split()):
            continue
        box = f.box
        if box and not box.contains(d.lat, d.lon):
            continue
        dist = None
        if f.lat is not None:
            dist = haversine_m(f.lat, f.lon, d.lat, d.lon)
            if dist > (f.radius_m or default_radius):
                continue
        hits.append((dist if dist is not None else 0.0, pos, d.public_id))
    hits.sort()
    return [h[2] for h in hits[f.offset:f.offset + f.limit]], len(hits)


filters = st.builds(
    DeviceFilter,
    type=st.none() | st.lists(st.sampled_from(TYPES), min_size=1, max_size=2),
    status=st.none() | st.lists(st.sampled_from(list(Status)), min_size=1, max_size=2),
    personal_data=st.none() | st.booleans(),
    operator=st.none() | st.sampled_from(["mobilidade", "ambiente", "nobody"]),
    q=st.none() | st.sampled_from(["aliados", "BOLHAO", "foz 1", "camara", "zzz"]),
    bbox=st.none() | st.sampled_from(["-8.65,41.14,-8.60,41.16", "-8.62,41.149,-8.60,41.15"]),
    lat=st.none(), lon=st.none(),
    limit=st.integers(1, 30), offset=st.integers(0, 90),
)
near = st.tuples(st.floats(41.13, 41.19), st.floats(-8.70, -8.55), st.none() | st.floats(1, 5000))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(f=filters, centre=st.none() | near)
def test_index_matches_brute_force(index, f, centre):
    if centre is not None:
        f = f.model_copy(update={"lat": centre[0], "lon": centre[1], "radius_m": centre[2]})
    result = index.query(f, 1000)
    ids, total = brute_force(index, f, 1000)
    assert result.total == total
    assert [index.devices[i].public_id for i in result.indices.tolist()] == ids
    if centre is not None:
        for i, dist in zip(result.indices.tolist(), result.distances.tolist(), strict=True):
            d = index.devices[i]
            assert abs(dist - haversine_m(centre[0], centre[1], d.lat, d.lon)) < 1e-6


def test_pages_cut_one_order_when_many_devices_tie(session, settings):
    make_operator(session, "mobilidade")
    rng = random.Random(3)
    for i in range(60):  # half of them on one spot: their distances tie across page edges
        spot = (41.1496, -8.6109) if i % 2 else (round(41.1496 + rng.uniform(-0.002, 0.002), 6), -8.6109)
        make_device(session, settings, name=f"Poste {rng.random():.6f}", lat=spot[0], lon=spot[1])
    session.commit()
    index = DeviceIndex.build(session)
    whole = index.query(DeviceFilter(lat=41.1497, lon=-8.6109, radius_m=1000, limit=500), 1000)
    for size in (3, 7, 11):
        pages = [index.query(DeviceFilter(lat=41.1497, lon=-8.6109, radius_m=1000, limit=size, offset=o), 1000)
                 for o in range(0, 60, size)]
        assert [i for p in pages for i in p.indices.tolist()] == whole.indices.tolist()
