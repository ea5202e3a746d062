"""The demo city of Porto: every module's demo data, in dependency order. Deterministic and idempotent."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from praca.core import auth
from praca.core.auth import Department
from praca.registry import demo as registry_demo
from praca.registry import demo_data
from praca.settings import Settings

DEMO_PASSWORD = "praca-demo-2026"  # noqa: S105 — printed by `make run`; a demo city only
DEMO_STAFF = [
    ("admin@cm-porto.example", "Administração Praça", "admin", None),
    ("dpo@cm-porto.example", "Encarregada de Proteção de Dados", "dpo", None),
    ("viewer@cm-porto.example", "Auditoria Interna", "viewer", None),
    ("dados@cm-porto.example", "Equipa de Dados Abertos", "steward", None),
    ("liaison.mobilidade@cm-porto.example", "Ligação – Mobilidade", "liaison", "mobilidade"),
    ("liaison.ambiente@cm-porto.example", "Ligação – Ambiente", "liaison", "ambiente"),
    ("liaison.seguranca@cm-porto.example", "Ligação – Polícia Municipal", "liaison", "seguranca"),
    ("liaison.sistemas@cm-porto.example", "Ligação – Sistemas de Informação", "liaison", "sistemas-informacao"),
    ("liaison.urbanismo@cm-porto.example", "Ligação – Urbanismo", "liaison", "urbanismo"),
]


def _departments(session: Session) -> dict[str, int]:
    for dep in demo_data.departments():
        if session.scalar(select(Department.id).where(Department.slug == dep["slug"])) is None:
            session.add(Department(**dep))
    session.flush()
    return dict(session.execute(select(Department.slug, Department.id)).tuples().all())


def _staff(session: Session) -> list[str]:
    created = 0
    for email, name, role, dep in DEMO_STAFF:
        if session.scalar(select(auth.User.id).where(auth.User.email == email)) is None:
            auth.create_user(session, email=email, name=name, role=role, password=DEMO_PASSWORD,
                             department_slug=dep, actor="demo")
            created += 1
    return [f"Staff: {created} demo accounts created; sign in at /staff/login as "
            f"dpo@cm-porto.example / {DEMO_PASSWORD} (also admin@, viewer@, liaison.mobilidade@ …)."]


def seed(session: Session, settings: Settings) -> list[str]:
    lines: list[str] = []
    department_ids = _departments(session)
    lines += _staff(session)
    lines += registry_demo.seed(session, settings, department_ids)
    try:
        from praca.dpo import demo as dpo_demo
    except ImportError:  # the DPO desk's demo cases arrive with that module
        return lines
    lines += dpo_demo.seed(session, settings)
    from praca.wifi import demo as wifi_demo

    lines += wifi_demo.seed(session, settings)
    from praca.opendata import demo as opendata_demo

    lines += opendata_demo.seed(session, settings)
    return lines
