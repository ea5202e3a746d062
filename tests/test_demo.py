"""The demo city loads on both engines, and loading it again changes nothing."""

from sqlalchemy import func, select

from praca import demo
from praca.core import audit
from praca.core.audit import AuditEntry
from praca.core.auth import User
from praca.registry.models import Device


def test_demo_city_is_idempotent(session, settings):
    demo.seed(session, settings)
    session.commit()
    devices = session.scalar(select(func.count(Device.id)))
    users = session.scalar(select(func.count(User.id)))
    entries = session.scalar(select(func.count(AuditEntry.seq)))
    assert devices == 1500
    assert users == len(demo.DEMO_STAFF)
    demo.seed(session, settings)
    session.commit()
    assert session.scalar(select(func.count(Device.id))) == devices
    assert session.scalar(select(func.count(AuditEntry.seq))) == entries
    assert audit.verify(session).ok


def test_demo_register_is_searchable(client, session, settings):
    demo.seed(session, settings)
    session.commit()
    near = client.get("/api/v1/devices?lat=41.1496&lon=-8.6109&radius_m=300").json()
    assert near["total"] > 5
    assert client.get("/api/v1/devices?type=bus_wifi").json()["total"] > 50
    assert client.get("/api/v1/devices?personal_data=true&type=wifi_access_point").json()["total"] > 100
