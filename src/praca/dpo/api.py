"""The DPO desk's JSON API under /api/v1/cases: staff only, with a personal API token.

Thin, as the pages are: parse → service → schema. The same rules hold as on the pages (a liaison sees
and works on their own department's cases only; a case out of sight is 404, a read-only role 403),
and every refusal is the app's one error body with a 4xx and nothing changed. The list never carries
message text; one case's thread does, internal notes marked as such.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, BeforeValidator, Field
from sqlalchemy import select

from praca.core.auth import AnyStaff, Department, User
from praca.core.db import DbSession, refuse_nul, utcnow
from praca.dpo import clock, inbox, notifications, service
from praca.dpo.models import Case, CaseStatus
from praca.dpo.schemas import (
    BULK_MAX,
    AssignForm,
    CaseQuery,
    ExtendForm,
    IdentityForm,
    RegisterCaseForm,
    RejectForm,
    StaffMessageForm,
    StatusForm,
)

router = APIRouter(tags=["dpo"])


class CaseSummary(BaseModel):
    """One inbox row: codes, dates and who works on it; never the citizen's words, name or address."""

    public_id: str
    reference: str
    kind: str
    topic: str | None
    data_right: str | None
    status: str
    channel: str
    department: str | None = Field(description="The department's slug; null: the DPO's own desk")
    assignee_id: int | None
    received_at: datetime
    due_date: date | None
    days_left: int | None = Field(description="Calendar days to the due date (Lisbon), while awaiting an answer")
    overdue: bool
    extension_months: int
    first_answer_at: datetime | None
    closed_at: datetime | None


class CasePage(BaseModel):
    items: list[CaseSummary]
    total: int


class MessageRead(BaseModel):
    author: str = Field(description="citizen, staff or system")
    author_user_id: int | None
    body: str
    internal: bool = Field(description="An internal note: never shown to the citizen")
    created_at: datetime


class AttachmentRead(BaseModel):
    public_id: str
    media_type: str
    size_bytes: int
    author: str
    created_at: datetime


class CaseDetail(CaseSummary):
    locale: str
    requester_name: str | None
    has_contact_email: bool
    verified_at: datetime | None
    extension_reason: str | None
    rejection_reason: str | None
    outcome: str | None
    device_public_id: str | None
    messages: list[MessageRead]
    attachments: list[AttachmentRead]


class CaseRegistered(BaseModel):
    """The follow-up token and link exist only in this answer: the city keeps their hash alone."""

    case: CaseDetail
    token: str
    follow_url: str


class BulkAssign(AssignForm):
    cases: Annotated[list[Annotated[str, Field(max_length=36), BeforeValidator(refuse_nul)]],
                     Field(min_length=1, max_length=BULK_MAX)]


class BulkAssigned(BaseModel):
    items: list[CaseSummary]


def _slugs(session: DbSession, cases: list[Case]) -> dict[int, str]:
    ids = {c.department_id for c in cases if c.department_id}
    rows = session.execute(select(Department.id, Department.slug).where(Department.id.in_(ids))).all() if ids else []
    return dict(rows)  # type: ignore[arg-type]


def _summary_fields(case: Case, slugs: dict[int, str], today: date) -> dict[str, object]:
    pending = case.status in service.PENDING and case.due_date is not None
    days_left = clock.days_left(case.due_date, today) if pending and case.due_date else None
    return {
        "public_id": case.public_id, "reference": case.reference, "kind": case.kind, "topic": case.topic,
        "data_right": case.data_right, "status": case.status, "channel": case.channel,
        "department": slugs.get(case.department_id) if case.department_id else None,
        "assignee_id": case.assignee_id, "received_at": case.received_at, "due_date": case.due_date,
        "days_left": days_left, "overdue": days_left is not None and days_left < 0,
        "extension_months": case.extension_months, "first_answer_at": case.first_answer_at,
        "closed_at": case.closed_at,
    }


def _summaries(session: DbSession, cases: list[Case]) -> list[CaseSummary]:
    slugs, today = _slugs(session, cases), clock.local_date(utcnow())
    return [CaseSummary.model_validate(_summary_fields(c, slugs, today)) for c in cases]


def _detail(session: DbSession, user: User, public_id: str) -> CaseDetail:
    case = service.get_case(session, user, public_id)
    fields = _summary_fields(case, _slugs(session, [case]), clock.local_date(utcnow()))
    return CaseDetail.model_validate({
        **fields, "locale": case.locale, "requester_name": case.requester_name,
        "has_contact_email": case.contact_email is not None, "verified_at": case.verified_at,
        "extension_reason": case.extension_reason, "rejection_reason": case.rejection_reason,
        "outcome": case.outcome, "device_public_id": case.device_public_id,
        "messages": [MessageRead.model_validate(m, from_attributes=True) for m in case.messages],
        "attachments": [AttachmentRead.model_validate(a, from_attributes=True) for a in case.attachments],
    })


@router.get("/cases", response_model=CasePage, summary="The DPO desk's inbox (staff)")
def list_cases(session: DbSession, user: AnyStaff, f: Annotated[CaseQuery, Query()]) -> CasePage:
    """Open cases, nearest deadline first, unless the filter says otherwise; a liaison's own
    department's only. `overdue` and `due_within` count Lisbon days for cases awaiting an answer."""
    items, total = inbox.list_cases(session, user, f)
    return CasePage(items=_summaries(session, items), total=total)


@router.post("/cases", response_model=CaseRegistered, status_code=201,
             summary="Register a case received by e-mail, phone, letter or in person (staff)")
def register_case(request: Request, session: DbSession, user: AnyStaff, data: RegisterCaseForm) -> CaseRegistered:
    settings = request.app.state.settings
    case, token = service.register_case(session, settings, user, data)
    session.commit()
    return CaseRegistered(case=_detail(session, user, case.public_id), token=token,
                          follow_url=notifications.follow_url(settings, token, case.locale))


@router.post("/cases/assign", response_model=BulkAssigned, summary="Assign several cases, all or none (staff)")
def bulk_assign(session: DbSession, user: AnyStaff, data: BulkAssign) -> BulkAssigned:
    """Fields left out stay as they are; `department: null` is the DPO's own desk, `assignee: null` nobody."""
    form = AssignForm.model_validate(data.model_dump(include=data.model_fields_set & {"department", "assignee"}))
    cases = service.bulk_assign(session, user, data.cases, form)
    session.commit()
    return BulkAssigned(items=_summaries(session, cases))


@router.get("/cases/{public_id}", response_model=CaseDetail, summary="One case with its thread (staff)")
def get_case(session: DbSession, user: AnyStaff, public_id: str) -> CaseDetail:
    return _detail(session, user, public_id)


@router.post("/cases/{public_id}/status", response_model=CaseDetail, summary="Change a case's status (staff)")
def change_status(session: DbSession, user: AnyStaff, public_id: str, data: StatusForm) -> CaseDetail:
    """Only the allowed transitions; rejecting goes through /reject with its reason."""
    service.change_status(session, user, public_id, CaseStatus(data.status))
    session.commit()
    return _detail(session, user, public_id)


@router.post("/cases/{public_id}/assign", response_model=CaseDetail, summary="Assign a case (staff)")
def assign(session: DbSession, user: AnyStaff, public_id: str, data: AssignForm) -> CaseDetail:
    """Fields left out stay as they are; `department: null` is the DPO's own desk, `assignee: null` nobody."""
    service.assign(session, user, public_id, data)
    session.commit()
    return _detail(session, user, public_id)


@router.post("/cases/{public_id}/extend", response_model=CaseDetail,
             summary="Extend the deadline, GDPR Art. 12(3) (DPO, admin)")
def extend(request: Request, session: DbSession, user: AnyStaff, public_id: str, data: ExtendForm) -> CaseDetail:
    """`months` is the extension in all (1 or 2), counted from receipt; the citizen is told the reason."""
    service.extend(session, request.app.state.settings, user, public_id, data)
    session.commit()
    return _detail(session, user, public_id)


@router.post("/cases/{public_id}/identity", response_model=CaseDetail,
             summary="Record that the requester's identity was checked (staff)")
def confirm_identity(session: DbSession, user: AnyStaff, public_id: str, data: IdentityForm) -> CaseDetail:
    """For a rights request taken by phone or e-mail; `how` is kept as an internal note."""
    service.confirm_identity(session, user, public_id, data)
    session.commit()
    return _detail(session, user, public_id)


@router.post("/cases/{public_id}/reject", response_model=CaseDetail, summary="Reject with a reason (staff)")
def reject(request: Request, session: DbSession, user: AnyStaff, public_id: str, data: RejectForm) -> CaseDetail:
    service.reject(session, request.app.state.settings, user, public_id, data)
    session.commit()
    return _detail(session, user, public_id)


@router.post("/cases/{public_id}/replies", response_model=CaseDetail, status_code=201,
             summary="Reply to the citizen (staff)")
def reply(request: Request, session: DbSession, user: AnyStaff, public_id: str, data: StaffMessageForm) -> CaseDetail:
    """Public: the citizen reads it and, with an address, gets a notice. `mark_answered` too."""
    service.reply(session, request.app.state.settings, user, public_id, data)
    session.commit()
    return _detail(session, user, public_id)


@router.post("/cases/{public_id}/notes", response_model=CaseDetail, status_code=201,
             summary="Add an internal note (staff)")
def add_note(session: DbSession, user: AnyStaff, public_id: str, data: StaffMessageForm) -> CaseDetail:
    service.add_note(session, user, public_id, data.body)
    session.commit()
    return _detail(session, user, public_id)
