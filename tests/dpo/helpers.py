"""Plain helpers for the DPO desk's tests: forms with sensible defaults, and a whole-database search."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from praca.all_models import metadata
from praca.core.audit import AuditEntry
from praca.dpo.schemas import QuestionForm, ReportForm
from tests.factories import ALIADOS

DESCRIPTION = "A black dome camera on the lamp post by the kiosk, facing the benches."
QUESTION = "How long does this camera keep its video, and who can watch it?"


def report_form(**overrides: Any) -> ReportForm:
    data: dict[str, Any] = {"lat": ALIADOS[0], "lon": ALIADOS[1], "device_type": "cctv_camera",
                            "description": DESCRIPTION, "email": None}
    return ReportForm.model_validate({**data, **overrides})


def question_form(**overrides: Any) -> QuestionForm:
    return QuestionForm.model_validate({"message": QUESTION, "email": None, **overrides})


def columns_containing(session: Session, needle: str) -> list[str]:
    """Every table.column, across the whole schema, whose value contains `needle`."""
    session.flush()
    hits = []
    for table in metadata.sorted_tables:
        for row in session.execute(select(table)).all():
            for column, value in zip(table.columns, row, strict=True):
                if value is not None and needle in str(value):
                    hits.append(f"{table.name}.{column.name}")
    return hits


def dpo_audit(session: Session) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action.like("dpo.%")).order_by(AuditEntry.seq)))
