"""The DPO desk: citizens' questions and reports become cases with a thread, a status and an outcome.

Plain functions taking a Session: they flush and never commit, so a change, its audit entry and its
e-mail land together when the route (or job) commits once. Citizens have no account: their key to a
case is a random token of which only the SHA-256 is stored. Staff see the cases their role lets them
see (a liaison: their own department's); the DPO, admins and liaisons act on what they see, viewers
only read. A case outside someone's sight is "not found", never "forbidden", so its existence does
not leak. Every case carries its legal due date (`clock.py`), set when the request counts as received.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session, selectinload

from praca.core import audit
from praca.core.auth import Role, User, sha256
from praca.core.db import utcnow
from praca.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from praca.core.i18n import DEFAULT_LOCALE, LOCALES, translate
from praca.dpo import clock, notifications
from praca.dpo.labels import OUTCOME_REPLIES
from praca.dpo.models import Case, CaseKind, CaseMessage, CaseStatus, Channel, ReportOutcome
from praca.dpo.schemas import CaseFilter, OutcomeForm, QuestionForm, ReportForm, StaffMessageForm
from praca.registry import service as registry_service
from praca.registry.schemas import DeviceCreate
from praca.settings import Settings

CITIZEN = "citizen"  # the audit log's actor for anything a citizen does
PHOTO_SUBDIR = "cases"
TOKEN_BYTES = 32
CITY_TZ = ZoneInfo("Europe/Lisbon")

S = CaseStatus
TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.ACKNOWLEDGED, S.IN_PROGRESS, S.ANSWERED, S.REJECTED}),
    S.ACKNOWLEDGED: frozenset({S.IN_PROGRESS, S.ANSWERED, S.WAITING_CITIZEN, S.REJECTED}),
    S.IN_PROGRESS: frozenset({S.ANSWERED, S.WAITING_CITIZEN, S.REJECTED}),
    S.WAITING_CITIZEN: frozenset({S.IN_PROGRESS, S.ANSWERED}),
    S.ANSWERED: frozenset({S.CLOSED, S.IN_PROGRESS}),
    S.CLOSED: frozenset(),
    S.REJECTED: frozenset(),
}
FINAL = frozenset({S.CLOSED, S.REJECTED})
ACTING_ROLES = frozenset({Role.ADMIN, Role.DPO, Role.LIAISON})  # a liaison: within their department
# Reaching one of these is the first substantive answer the KPIs measure (an acknowledgement is not one).
ANSWERING = frozenset({S.ANSWERED, S.CLOSED, S.REJECTED})
REOPENING_ROLES = frozenset({Role.ADMIN, Role.DPO})  # final is final, except for them


def photo_dir(settings: Settings) -> Path:
    return settings.upload_dir / PHOTO_SUBDIR


def _subject(case: Case) -> str:
    return f"case:{case.public_id}"


def _new_reference(session: Session, now: datetime) -> str:
    """A reference people can read out on the phone, like P-2026-004817.

    The number is random, not a counter: it says nothing about how many cases the city receives
    (DESIGN: nothing a citizen sees is a sequential integer), and needs no counter row to contend on.
    """
    year = now.astimezone(CITY_TZ).year
    for _ in range(50):
        candidate = f"P-{year}-{secrets.randbelow(1_000_000):06d}"
        if session.scalar(select(Case.id).where(Case.reference == candidate)) is None:
            return candidate
    raise Conflict("Could not allocate a case reference; try again.")


# --- citizens ---------------------------------------------------------------------------------------------

def outside_city(settings: Settings, lat: float, lon: float) -> bool:
    min_lon, min_lat, max_lon, max_lat = settings.city_bounds
    return not (min_lat <= lat <= max_lat and min_lon <= lon <= max_lon)


def _open(session: Session, settings: Settings, *, kind: CaseKind, locale: str, body: str,
          email: str | None, **fields: object) -> tuple[Case, str]:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    case = Case(reference=_new_reference(session, now), kind=kind, status=S.RECEIVED, channel=Channel.WEB,
                token_hash=sha256(token), locale=locale if locale in LOCALES else DEFAULT_LOCALE,
                contact_email=email, received_at=now, updated_at=now,
                due_date=clock.due_date(clock.local_date(now), settings.holiday_subdivision), **fields)
    case.messages = [CaseMessage(author=CITIZEN, body=body, created_at=now)]
    session.add(case)
    session.flush()
    audit.record(session, CITIZEN, "dpo.case.opened", _subject(case),
                 {"kind": kind.value, "reference": case.reference, "device": case.device_public_id,
                  "photo": case.photo is not None, "email": email is not None})
    notifications.queue_acknowledgement(session, settings, case, token)
    return case, token


def open_report(session: Session, settings: Settings, form: ReportForm, *, locale: str,
                photo: str | None = None) -> tuple[Case, str]:
    """A device seen in the street that is not in the register. Returns the case and its raw token."""
    if outside_city(settings, form.lat, form.lon):
        raise InvalidInput(f"The location is outside {settings.city_name}.", field="lat",
                           details={"reason": "outside_city"})
    return _open(session, settings, kind=CaseKind.UNLISTED_DEVICE, locale=locale, body=form.description,
                 email=form.email, lat=form.lat, lon=form.lon,
                 suspected_type=form.device_type.value if form.device_type else None, photo=photo)


def open_question(session: Session, settings: Settings, form: QuestionForm, *, locale: str,
                  device_public_id: str | None = None) -> tuple[Case, str]:
    """A question, in general or about one register entry (then routed to its operator's department)."""
    department_id = None
    if device_public_id is not None:
        device = registry_service.get_device(session, device_public_id)
        department_id = device.operator.department_id
    return _open(session, settings, kind=CaseKind.QUESTION, locale=locale, body=form.message,
                 email=form.email, device_public_id=device_public_id, department_id=department_id)


def case_for_token(session: Session, token: str) -> Case:
    """The case behind a follow-up link; the same NotFound whether it never existed or was forged."""
    if not token or len(token) > 200:
        raise NotFound("Nothing here: check the address.")
    case = session.scalar(select(Case).options(selectinload(Case.messages))
                          .where(Case.token_hash == sha256(token)))
    if case is None:
        raise NotFound("Nothing here: check the address.")
    return case


def public_thread(case: Case) -> list[CaseMessage]:
    """What the citizen may read: everything but internal notes."""
    return [m for m in case.messages if not m.internal]


def first_citizen_message(case: Case) -> str:
    return next((m.body for m in case.messages if m.author == CITIZEN), "")


def add_citizen_message(session: Session, case: Case, body: str) -> CaseMessage:
    """The citizen writes again; a case waiting on them, or already answered, needs staff's eyes again."""
    if case.status in FINAL:
        raise Conflict("This request is closed. To ask something new, send a new question.", field="message")
    message = CaseMessage(author=CITIZEN, body=body, created_at=utcnow())
    case.messages.append(message)
    if case.status in (S.WAITING_CITIZEN, S.ANSWERED):
        _set_status(session, case, S.IN_PROGRESS, CITIZEN)
    session.flush()
    audit.record(session, CITIZEN, "dpo.case.citizen_message", _subject(case), {"message_id": message.id})
    return message


# --- staff: reading ---------------------------------------------------------------------------------------

def visible_cases(user: User) -> Select[tuple[Case]]:
    """The cases this user may see; a liaison's department filter is part of the query."""
    stmt = select(Case)
    if user.role == Role.LIAISON:
        stmt = stmt.where(Case.department_id == user.department_id if user.department_id else false())
    return stmt


def list_cases(session: Session, user: User, f: CaseFilter) -> tuple[list[Case], int]:
    """The inbox: newest first, with the total for paging."""
    stmt = visible_cases(user)
    if f.kind:
        stmt = stmt.where(Case.kind == f.kind)
    if f.status:
        stmt = stmt.where(Case.status == f.status)
    if f.q:
        stmt = stmt.where(func.upper(Case.reference).contains(f.q.strip().upper(), autoescape=True))
    total = session.scalar(stmt.with_only_columns(func.count(Case.id)).order_by(None)) or 0
    items = session.scalars(stmt.order_by(Case.received_at.desc(), Case.id.desc())
                            .limit(f.limit).offset(f.offset)).all()
    return list(items), total


def get_case(session: Session, user: User, public_id: str) -> Case:
    case = session.scalar(visible_cases(user).options(selectinload(Case.messages))
                          .where(Case.public_id == public_id))
    if case is None:
        raise NotFound("No such case, or not one you can see.")
    return case


def can_act(user: User) -> bool:
    return user.role in ACTING_ROLES


def next_statuses(case: Case, user: User) -> list[CaseStatus]:
    """Where this user may move the case by hand (closing a report goes through an outcome instead)."""
    allowed = set(TRANSITIONS[case.status])
    if case.status in FINAL and user.role in REOPENING_ROLES:
        allowed.add(S.IN_PROGRESS)
    if case.kind == CaseKind.UNLISTED_DEVICE:
        allowed.discard(S.CLOSED)
    return [s for s in CaseStatus if s in allowed]


def referenced_photos(session: Session) -> set[str]:
    return set(session.scalars(select(Case.photo).where(Case.photo.is_not(None))))


# --- staff: acting ----------------------------------------------------------------------------------------

def case_to_act_on(session: Session, user: User, public_id: str) -> Case:
    """The case, if this user may act on it: out of their sight is 404 (a liaison sees only their
    department's), read-only roles get 403."""
    case = get_case(session, user, public_id)
    if not can_act(user):
        raise Forbidden("Your role lets you read cases, not act on them.")
    return case


def _open_for_replies(case: Case) -> None:
    if case.status in FINAL:
        raise Conflict("This case is closed; reopen it first.", field="status")


def _set_status(session: Session, case: Case, status: CaseStatus, actor: str) -> None:
    old = case.status
    if old == status:
        return
    case.status = status
    case.closed_at = utcnow() if status in FINAL else None
    if status in ANSWERING and case.first_answer_at is None:
        case.first_answer_at = utcnow()
    session.flush()
    audit.record(session, actor, "dpo.case.status_changed", _subject(case), {"from": old, "to": status.value})


def _post_public(session: Session, settings: Settings, case: Case, user: User, body: str) -> CaseMessage:
    message = CaseMessage(author="staff", author_user_id=user.id, body=body, internal=False, created_at=utcnow())
    case.messages.append(message)
    session.flush()
    notifications.queue_reply_notice(session, settings, case)
    return message


def reply(session: Session, settings: Settings, user: User, public_id: str, form: StaffMessageForm) -> CaseMessage:
    """A public reply: the citizen reads it on the follow-up page and, with an address, gets a notice."""
    case = case_to_act_on(session, user, public_id)
    _open_for_replies(case)
    message = _post_public(session, settings, case, user, form.body)
    audit.record(session, user.actor, "dpo.case.replied", _subject(case), {"message_id": message.id})
    if form.mark_answered:
        _set_status(session, case, S.ANSWERED, user.actor)
    return message


def add_note(session: Session, user: User, public_id: str, body: str) -> CaseMessage:
    """An internal note: staff only, never shown to the citizen, allowed on closed cases too."""
    case = case_to_act_on(session, user, public_id)
    message = CaseMessage(author="staff", author_user_id=user.id, body=body, internal=True, created_at=utcnow())
    case.messages.append(message)
    session.flush()
    audit.record(session, user.actor, "dpo.case.noted", _subject(case), {"message_id": message.id})
    return message


def change_status(session: Session, user: User, public_id: str, status: CaseStatus) -> Case:
    case = case_to_act_on(session, user, public_id)
    if status not in next_statuses(case, user):
        hint = " Close a report by choosing its outcome." if status == S.CLOSED else ""
        raise InvalidInput(f"A case cannot go from '{case.status}' to '{status.value}'.{hint}", field="status",
                           details={"from": case.status, "to": status.value})
    _set_status(session, case, status, user.actor)
    return case


def _close_with(session: Session, settings: Settings, user: User, case: Case, outcome: ReportOutcome,
                device_public_id: str | None, note: str | None) -> Case:
    """Outcome, public explanation in the citizen's language, closed: one step from any open status."""
    url = f"{settings.base_url.rstrip('/')}/devices/{device_public_id}" if device_public_id else ""
    text = translate(OUTCOME_REPLIES[outcome], case.locale).format(url=url)
    message = _post_public(session, settings, case, user, f"{text}\n\n{note}" if note else text)
    case.outcome, case.outcome_device_public_id = outcome.value, device_public_id
    audit.record(session, user.actor, "dpo.case.outcome", _subject(case),
                 {"outcome": outcome.value, "device": device_public_id, "message_id": message.id})
    _set_status(session, case, S.CLOSED, user.actor)
    return case


def _open_report(session: Session, user: User, public_id: str) -> Case:
    case = case_to_act_on(session, user, public_id)
    if case.kind != CaseKind.UNLISTED_DEVICE:
        raise InvalidInput("Only reports of unlisted devices have an outcome.", field="outcome")
    _open_for_replies(case)
    return case


def close_report(session: Session, settings: Settings, user: User, public_id: str, form: OutcomeForm) -> Case:
    """Close as "already registered" (naming the entry) or "not a data-gathering device"."""
    case = _open_report(session, user, public_id)
    device_id = None
    if form.outcome == ReportOutcome.ALREADY_REGISTERED:
        try:
            device_id = registry_service.get_device(session, form.device_id or "").public_id
        except NotFound:
            raise InvalidInput("No device with this id in the register.", field="device_id") from None
    return _close_with(session, settings, user, case, ReportOutcome(form.outcome), device_id, form.message)


def register_and_close(session: Session, settings: Settings, user: User, public_id: str, data: DeviceCreate,
                       note: str | None = None) -> tuple[Case, str]:
    """Add the reported device to the register (the register's own checks apply), then close the report."""
    case = _open_report(session, user, public_id)
    device = registry_service.create_device(session, settings, data, user)
    _close_with(session, settings, user, case, ReportOutcome.REGISTERED_NOW, device.public_id, note)
    return case, device.public_id
