"""Staff writes through the JSON API with a personal token: roles, validation, audit."""

import pytest
from sqlalchemy import func, select

from praca.core import audit
from praca.core.audit import AuditEntry
from praca.registry.models import Device
from tests.factories import api_headers, device_data, make_device, make_operator, make_user


@pytest.fixture
def operators(session):
    make_operator(session, "mobilidade", department="mobilidade")
    make_operator(session, "ambiente", department="ambiente")
    session.commit()


def _count(session) -> int:
    return session.scalar(select(func.count(Device.id)))


def test_create_update_decommission_are_audited(client, session, operators):
    headers = api_headers(session, make_user(session, "dpo"))
    session.commit()
    r = client.post("/api/v1/devices", json=device_data(name="Sensor Bolhão"), headers=headers)
    assert r.status_code == 201, r.text
    device_id = r.json()["id"]
    assert client.get(f"/api/v1/devices/{device_id}").json()["name"] == "Sensor Bolhão"

    r = client.patch(f"/api/v1/devices/{device_id}", json={"name": "Sensor do Bolhão", "retention_days": 30},
                     headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["retention_days"] == 30
    assert client.get("/api/v1/devices?q=sensor do bolhao").json()["total"] == 1

    r = client.post(f"/api/v1/devices/{device_id}/decommission", json={"reason": "removed in works"},
                    headers=headers)
    assert r.status_code == 200 and r.json()["status"] == "decommissioned"
    again = client.post(f"/api/v1/devices/{device_id}/decommission", json={"reason": "x"}, headers=headers)
    assert again.status_code == 422

    actions = [e.action for e in audit.entries_for(session, f"device:{device_id}")]
    assert actions == ["registry.device.created", "registry.device.updated", "registry.device.decommissioned"]
    updated = audit.entries_for(session, f"device:{device_id}")[1]
    assert updated.details == {"fields": ["name", "retention_days"]}
    assert audit.verify(session).ok


ANON, VIEWER, LIAISON_OWN, LIAISON_OTHER, DPO, ADMIN = "anon", "viewer", "liaison-own", "liaison-other", "dpo", "admin"


@pytest.mark.parametrize("who, status", [
    (ANON, 401), (VIEWER, 403), (LIAISON_OTHER, 403), (LIAISON_OWN, 201), (DPO, 201), (ADMIN, 201)])
def test_role_matrix_for_create(client, session, operators, who, status):
    headers = {}
    if who != ANON:
        role, dep = {VIEWER: ("viewer", None), LIAISON_OWN: ("liaison", "mobilidade"),
                     LIAISON_OTHER: ("liaison", "ambiente"), DPO: ("dpo", None), ADMIN: ("admin", None)}[who]
        headers = api_headers(session, make_user(session, role, department=dep))
    session.commit()
    before = _count(session)
    r = client.post("/api/v1/devices", json=device_data(operator="mobilidade"), headers=headers)
    assert r.status_code == status, r.text
    assert _count(session) == before + (1 if status == 201 else 0)
    if status != 201:
        assert set(r.json()["error"]) == {"code", "message", "details"}


def test_liaison_cannot_edit_other_departments_devices(client, session, settings, operators):
    device = make_device(session, settings, operator="ambiente")
    headers = api_headers(session, make_user(session, "liaison", department="mobilidade"))
    session.commit()
    r = client.patch(f"/api/v1/devices/{device.public_id}", json={"name": "x"}, headers=headers)
    assert r.status_code == 403
    r = client.post(f"/api/v1/devices/{device.public_id}/decommission", json={"reason": "x"}, headers=headers)
    assert r.status_code == 403


def test_revoked_or_bogus_token_is_refused(client, session, operators):
    r = client.post("/api/v1/devices", json=device_data(), headers={"Authorization": "Bearer praca_nonsense"})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize("override, field", [
    ({"name": ""}, "name"),
    ({"type": "ufo"}, "type"),
    ({"lat": 95}, "lat"),
    ({"lat": 38.71, "lon": -9.14}, "lat"),  # Lisbon, outside the city
    ({"operator": "nobody"}, "operator"),
    ({"purposes": []}, "purposes"),
    ({"personal_data": True}, ""),  # personal data without categories or legal basis
    ({"legal_basis": "public_task"}, ""),  # a legal basis for no personal data
    ({"geometry_kind": "route"}, ""),  # a route needs a LineString
    ({"geometry": {"type": "Point", "coordinates": [-8.6, 41.1]}}, ""),
    ({"retention_days": -1}, "retention_days"),
    ({"more_info_url": "javascript:alert(1)"}, "more_info_url"),
    ({"colour": "blue"}, "colour"),
    ({"name": "Camera\x00"}, "name"),  # PostgreSQL cannot store NUL: refused on both engines alike
])
def test_invalid_devices_are_refused_and_nothing_is_stored(client, session, operators, override, field):
    headers = api_headers(session, make_user(session, "dpo"))
    session.commit()
    before, audit_before = _count(session), session.scalar(select(func.count(AuditEntry.seq)))
    data = device_data(**override)
    r = client.post("/api/v1/devices", json=data, headers=headers)
    assert r.status_code == 422, r.text
    body = r.json()["error"]
    assert body["code"] == "invalid_input" and body["message"]
    assert body["details"]["field"] == field
    assert _count(session) == before
    assert session.scalar(select(func.count(AuditEntry.seq))) == audit_before


def test_route_devices_keep_their_geometry(client, session, operators):
    headers = api_headers(session, make_user(session, "admin"))
    session.commit()
    line = {"type": "LineString", "coordinates": [[-8.61, 41.15], [-8.60, 41.16], [-8.59, 41.165]]}
    r = client.post("/api/v1/devices", json=device_data(type="bus_wifi", geometry_kind="route", geometry=line,
                                                       lat=41.16, lon=-8.60), headers=headers)
    assert r.status_code == 201, r.text
    feature = client.get("/api/v1/devices.geojson?type=bus_wifi").json()["features"][0]
    assert feature["geometry"] == line


def test_update_that_breaks_consistency_is_refused(client, session, settings, operators):
    device = make_device(session, settings)
    headers = api_headers(session, make_user(session, "dpo"))
    session.commit()
    r = client.patch(f"/api/v1/devices/{device.public_id}", json={"personal_data": True}, headers=headers)
    assert r.status_code == 422
    assert "personal_data_categories" in r.json()["error"]["message"]
    r = client.patch(f"/api/v1/devices/{device.public_id}", json={}, headers=headers)
    assert r.status_code == 422
    r = client.patch("/api/v1/devices/not-there", json={"name": "x"}, headers=headers)
    assert r.status_code == 404
