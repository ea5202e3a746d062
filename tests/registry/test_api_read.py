"""The public register API: every filter, "near me", paging, GeoJSON, errors."""

import math

import pytest

from praca.core.geo import haversine_m
from tests.factories import ALIADOS, make_device, make_operator


@pytest.fixture
def city(session, settings):
    make_operator(session, "ambiente", department="ambiente", name="Departamento de Ambiente")
    make_operator(session, "psp", department=None, kind="other", name="PSP")
    devices = {
        "aliados": make_device(session, settings, name="Ruído Aliados", lat=41.1496, lon=-8.6109),
        "trindade": make_device(session, settings, name="Ar Trindade", type="air_quality_sensor",
                                data_types=["environmental"], purposes=["environmental_monitoring"],
                                operator="ambiente", lat=41.1527, lon=-8.6093),
        "ribeira": make_device(session, settings, name="Câmara Ribeira", type="cctv_camera", operator="psp",
                               data_types=["video"], purposes=["public_safety"], personal_data=True,
                               personal_data_categories=["images_of_people"], legal_basis="public_task",
                               lat=41.1407, lon=-8.6131, description="Videovigilância do cais"),
        "foz": make_device(session, settings, name="Câmara Foz", type="cctv_camera", operator="psp",
                           data_types=["video"], purposes=["public_safety"], personal_data=True,
                           personal_data_categories=["images_of_people"], legal_basis="public_task",
                           lat=41.1496, lon=-8.6650, status="planned"),
        "dragao": make_device(session, settings, name="Ruído Dragão", lat=41.1617, lon=-8.5836,
                              status="decommissioned"),
    }
    session.commit()
    return devices


def names(r):
    return sorted(i["name"] for i in r.json()["items"])


def test_lists_everything_with_total(client, city):
    r = client.get("/api/v1/devices")
    assert r.status_code == 200
    assert r.json()["total"] == 5
    assert len(r.json()["items"]) == 5


@pytest.mark.parametrize("query, expected", [
    ("type=cctv_camera", ["Câmara Foz", "Câmara Ribeira"]),
    ("type=cctv_camera&type=air_quality_sensor", ["Ar Trindade", "Câmara Foz", "Câmara Ribeira"]),
    ("operator=ambiente", ["Ar Trindade"]),
    ("operator=nobody", []),
    ("personal_data=true", ["Câmara Foz", "Câmara Ribeira"]),
    ("personal_data=false", ["Ar Trindade", "Ruído Aliados", "Ruído Dragão"]),
    ("status=planned", ["Câmara Foz"]),
    ("status=active&status=decommissioned", ["Ar Trindade", "Câmara Ribeira", "Ruído Aliados", "Ruído Dragão"]),
    ("q=camara", ["Câmara Foz", "Câmara Ribeira"]),
    ("q=CAIS", ["Câmara Ribeira"]),
    ("q=psp ribeira", ["Câmara Ribeira"]),
    ("q=no-such-device", []),
    ("q=qualidade do ar", ["Ar Trindade"]),
    ("q=air quality", ["Ar Trindade"]),
    ("bbox=-8.62,41.14,-8.60,41.155", ["Ar Trindade", "Câmara Ribeira", "Ruído Aliados"]),
    ("bbox=-8.62,41.14,-8.60,41.155&personal_data=false", ["Ar Trindade", "Ruído Aliados"]),
])
def test_filters(client, city, query, expected):
    r = client.get(f"/api/v1/devices?{query}")
    assert r.status_code == 200, r.text
    assert names(r) == expected
    assert r.json()["total"] == len(expected)


def test_near_me_orders_by_great_circle_distance(client, city):
    lat, lon = ALIADOS
    r = client.get(f"/api/v1/devices?lat={lat}&lon={lon}&radius_m=1200")
    items = r.json()["items"]
    assert [i["name"] for i in items] == ["Ruído Aliados", "Ar Trindade", "Câmara Ribeira"]
    for item in items:
        expected = haversine_m(lat, lon, item["lat"], item["lon"])
        assert math.isclose(item["distance_m"], expected, abs_tol=0.05)
    assert items[0]["distance_m"] == 0.0
    # Trindade is ≈ 370 m north-east of Aliados on the 6,371,008.8 m sphere
    assert 350 < items[1]["distance_m"] < 400


def test_near_me_radius_excludes_farther_devices(client, city):
    r = client.get(f"/api/v1/devices?lat={ALIADOS[0]}&lon={ALIADOS[1]}&radius_m=400")
    assert names(r) == ["Ar Trindade", "Ruído Aliados"]
    assert r.json()["total"] == 2


def test_near_me_combines_with_filters(client, city):
    r = client.get(f"/api/v1/devices?lat={ALIADOS[0]}&lon={ALIADOS[1]}&radius_m=5000&type=cctv_camera")
    assert [i["name"] for i in r.json()["items"]] == ["Câmara Ribeira", "Câmara Foz"]


def test_pagination_keeps_total_and_order(client, city):
    all_items = client.get("/api/v1/devices?limit=500").json()["items"]
    pages = [client.get(f"/api/v1/devices?limit=2&offset={o}").json() for o in (0, 2, 4, 6)]
    assert [p["total"] for p in pages] == [5, 5, 5, 5]
    assert [i["id"] for p in pages for i in p["items"]] == [i["id"] for i in all_items]
    assert pages[3]["items"] == []
    near = [client.get(f"/api/v1/devices?lat={ALIADOS[0]}&lon={ALIADOS[1]}&radius_m=5000&limit=1&offset={o}")
            .json() for o in range(5)]
    assert [n["items"][0]["name"] for n in near] == ["Ruído Aliados", "Ar Trindade", "Câmara Ribeira",
                                                     "Ruído Dragão", "Câmara Foz"]
    assert {n["total"] for n in near} == {5}


def test_get_one_and_404s(client, city):
    device = city["ribeira"]
    r = client.get(f"/api/v1/devices/{device.public_id}")
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == device.public_id
    assert body["legal_basis"]["code"] == "public_task"
    assert body["operator"]["slug"] == "psp"
    for bad in ("00000000-0000-0000-0000-000000000000", "not-a-uuid", "1", "%27%20or%201=1"):
        r = client.get(f"/api/v1/devices/{bad}")
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "not_found"


def test_labels_follow_the_language(client, city):
    device = city["ribeira"]
    pt = client.get(f"/api/v1/devices/{device.public_id}?lang=pt").json()
    en = client.get(f"/api/v1/devices/{device.public_id}", headers={"Accept-Language": "en-GB,en;q=0.8"}).json()
    assert pt["type_label"] == "Câmara de videovigilância"
    assert en["type_label"] == "CCTV camera"
    assert en["data_types"] == [{"code": "video", "label": "Video"}]


def test_geojson_feature_collection(client, city):
    r = client.get("/api/v1/devices.geojson?personal_data=true")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["type"] == "FeatureCollection"
    assert len(fc["features"]) == 2
    for feature in fc["features"]:
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "Point"
        lon, lat = feature["geometry"]["coordinates"]
        assert (lat, lon) == (feature["properties"]["lat"], feature["properties"]["lon"])


@pytest.mark.parametrize("query, field", [
    ("lat=91&lon=-8.6", "lat"),
    ("lat=41.15", ""),
    ("lat=38.71&lon=-9.14", "lat"),  # Lisbon: outside the configured city
    ("lat=41.15&lon=-8.61&radius_m=50000", "radius_m"),
    ("lat=41.15&lon=-8.61&radius_m=-5", "radius_m"),
    ("type=flying_saucer", "type"),
    ("status=broken", "status"),
    ("personal_data=maybe", "personal_data"),
    ("bbox=1,2,3", "bbox"),
    ("bbox=-8.6,41.2,-8.7,41.1", "bbox"),
    ("limit=0", "limit"),
    ("limit=100000", "limit"),
    ("offset=-1", "offset"),
    ("colour=blue", "colour"),
])
def test_bad_filters_get_a_422_naming_the_field(client, city, query, field):
    r = client.get(f"/api/v1/devices?{query}")
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["message"]
    assert error["details"]["field"] == field
