"""The register's part of the demo city: departments' operators and ~1,500 devices, loaded once."""

from __future__ import annotations

from sqlalchemy.orm import Session

from praca.registry import demo_data, service
from praca.registry.schemas import DeviceCreate
from praca.settings import Settings


def seed(session: Session, settings: Settings, department_ids: dict[str, int]) -> list[str]:
    for op in demo_data.operators():
        dep = op.pop("department_slug", None)
        service.ensure_operator(session, **op, department_id=department_ids.get(dep) if dep else None)
    if service.count_devices(session):
        return ["Register: already loaded, left as it is."]
    devices = demo_data.devices()
    for data in devices:
        service.create_device(session, settings, DeviceCreate.model_validate(data), "demo")
    return [f"Register: {len(devices)} devices from {len(demo_data.operators())} operators."]
