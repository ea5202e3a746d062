"""Plain factory functions with sensible defaults and keyword overrides."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from praca.core import auth
from praca.core.auth import Department, User
from praca.registry import service as registry_service
from praca.registry.models import Device, Operator
from praca.registry.schemas import DeviceCreate
from praca.settings import Settings

_seq = itertools.count(1)
PASSWORD = "correct horse battery staple"
ALIADOS = (41.1496, -8.6109)


def make_department(session: Session, slug: str = "mobilidade") -> Department:
    found = session.scalar(select(Department).where(Department.slug == slug))
    if found:
        return found
    dep = Department(slug=slug, name_pt=f"Departamento {slug}", name_en=f"Department {slug}")
    session.add(dep)
    session.flush()
    return dep


def make_operator(session: Session, slug: str = "mobilidade", department: str | None = "mobilidade",
                  **kw: Any) -> Operator:
    dep = make_department(session, department) if department else None
    return registry_service.ensure_operator(
        session, slug=slug, name=kw.pop("name", f"Operator {slug}"), kind=kw.pop("kind", "municipal_department"),
        department_id=dep.id if dep else None, **kw)


def device_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": f"Sensor de ruído {next(_seq)}",
        "type": "noise_sensor",
        "lat": ALIADOS[0],
        "lon": ALIADOS[1],
        "operator": "mobilidade",
        "purposes": ["noise_monitoring"],
        "data_types": ["sound_levels"],
        "personal_data": False,
        "legal_basis": "not_applicable",
        "status": "active",
        "retention_days": 365,
    }
    data.update(overrides)
    return data


def make_device(session: Session, settings: Settings, **overrides: Any) -> Device:
    data = device_data(**overrides)
    if not session.scalar(select(Operator.id).where(Operator.slug == data["operator"])):
        make_operator(session, data["operator"])
    return registry_service.create_device(session, settings, DeviceCreate.model_validate(data), "test")


def make_user(session: Session, role: str = "dpo", department: str | None = None,
              email: str | None = None) -> User:
    if department:
        make_department(session, department)
    return auth.create_user(session, email=email or f"{role}{next(_seq)}@cm-porto.example", name=f"{role} user",
                            role=role, password=PASSWORD, department_slug=department)


def api_headers(session: Session, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {auth.issue_api_token(session, user, 'test')}"}
