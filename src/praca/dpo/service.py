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
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import Select, false, or_, select
from sqlalchemy.orm import Session, selectinload

from praca.core import audit
from praca.core.auth import Department, Role, User, sha256
from praca.core.db import utcnow
from praca.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from praca.core.i18n import DEFAULT_LOCALE, LOCALES, translate
from praca.dpo import clock, notifications
from praca.dpo.labels import N_, OUTCOME_REPLIES
from praca.dpo.models import Case, CaseKind, CaseMessage, CaseStatus, Channel, QuestionTopic, ReportOutcome
from praca.dpo.schemas import (
    BULK_MAX,
    RECEIVED_MAX_AGE_DAYS,
    AssignForm,
    ExtendForm,
    IdentityForm,
    OutcomeForm,
    QuestionForm,
    RegisterCaseForm,
    RejectForm,
    ReportForm,
    StaffMessageForm,
)
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


def clock_start(case: Case) -> datetime:
    """When the legal clock started: receipt, or, for a rights request sent on the web, the moment its
    e-mail was confirmed (see intake.py). Extensions count again from here, never from a rolled date.
    A request staff registered runs from receipt even if the requester's identity is checked later."""
    if case.created_by_id is None and case.verified_at is not None:
        return case.verified_at
    return case.received_at


def photo_dir(settings: Settings) -> Path:
    return settings.upload_dir / PHOTO_SUBDIR


def audit_subject(case: Case) -> str:
    """How the audit log names a case: its public id, never its reference or anything of the citizen."""
    return f"case:{case.public_id}"


BATCH = 200  # cases per page of a job (read at each call, so a test can make pages small)


def case_batches(session: Session, stmt: Select[tuple[Case]]) -> Iterator[list[Case]]:
    """Keyset pages of `stmt` by id, for jobs: the caller commits each page before the next is read,
    so a crash loses at most one page's work and a re-run picks up what is still to do."""
    last_id = 0
    while True:
        rows = list(session.scalars(stmt.where(Case.id > last_id).order_by(Case.id).limit(BATCH)))
        if not rows:
            return
        last_id = rows[-1].id
        yield rows


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
          email: str | None, acknowledge: bool = True, **fields: object) -> tuple[Case, str]:
    """A new web case and its raw follow-up token. A caller may pass `due_date=None` (a rights request
    awaiting confirmation) and `acknowledge=False` when it sends its own first e-mail (intake.py)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    fields.setdefault("due_date", clock.due_date(clock.local_date(now), settings.holiday_subdivision))
    case = Case(reference=_new_reference(session, now), kind=kind, status=S.RECEIVED, channel=Channel.WEB,
                token_hash=sha256(token), locale=locale if locale in LOCALES else DEFAULT_LOCALE,
                contact_email=email, received_at=now, updated_at=now, **fields)
    case.messages = [CaseMessage(author=CITIZEN, body=body, created_at=now)]
    session.add(case)
    session.flush()
    audit.record(session, CITIZEN, "dpo.case.opened", audit_subject(case),
                 {"kind": kind.value, "reference": case.reference, "device": case.device_public_id,
                  "photo": case.photo is not None, "email": email is not None})
    if acknowledge:
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
    """A question, in general or about one register entry (then routed to its operator's department,
    and its topic is the device, whatever the form said)."""
    department_id = None
    topic = form.topic or QuestionTopic.OTHER
    if device_public_id is not None:
        device = registry_service.get_device(session, device_public_id)
        department_id = device.operator.department_id
        topic = QuestionTopic.DEVICE
    return _open(session, settings, kind=CaseKind.QUESTION, locale=locale, body=form.message,
                 email=form.email, device_public_id=device_public_id, department_id=department_id,
                 topic=topic.value)


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
    audit.record(session, CITIZEN, "dpo.case.citizen_message", audit_subject(case), {"message_id": message.id})
    return message


# --- staff: reading ---------------------------------------------------------------------------------------

def visible_cases(user: User) -> Select[tuple[Case]]:
    """The cases this user may see; a liaison's department filter is part of the query. A rights request
    made on the web whose e-mail is not confirmed yet is nobody's work (intake.py), so it is in no one's
    sight; one staff registered (phone, e-mail) is theirs to follow up, confirmed or not."""
    stmt = select(Case).where(or_(Case.kind != CaseKind.RIGHTS_REQUEST, Case.verified_at.is_not(None),
                                  Case.created_by_id.is_not(None)))
    if user.role == Role.LIAISON:
        stmt = stmt.where(Case.department_id == user.department_id if user.department_id else false())
    return stmt


# Statuses in which a case still awaits its answer: the legal clock runs ("overdue", "due within").
PENDING = frozenset({S.RECEIVED, S.ACKNOWLEDGED, S.IN_PROGRESS, S.WAITING_CITIZEN})
OPEN = frozenset(CaseStatus) - FINAL


def resolve_department(session: Session, ref: str) -> int | None:
    """A department named by slug or id; None for "none" (the DPO's own desk). Unknown: 422."""
    if ref == "none":
        return None
    by_id = ref.isdigit() and len(ref) <= 9  # a longer number is no id (and would overflow an INTEGER)
    found = session.scalar(select(Department.id).where(Department.id == int(ref) if by_id else Department.slug == ref))
    if found is None:
        raise InvalidInput(f"Unknown department '{ref}'.", field="department")
    return found


def get_case(session: Session, user: User, public_id: str) -> Case:
    case = session.scalar(visible_cases(user).options(selectinload(Case.messages), selectinload(Case.attachments))
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
    allowed.discard(S.REJECTED)  # a rejection needs its reason: `reject`
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
    audit.record(session, actor, "dpo.case.status_changed", audit_subject(case), {"from": old, "to": status.value})


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
    audit.record(session, user.actor, "dpo.case.replied", audit_subject(case), {"message_id": message.id})
    if form.mark_answered:
        _set_status(session, case, S.ANSWERED, user.actor)
    return message


def add_note(session: Session, user: User, public_id: str, body: str) -> CaseMessage:
    """An internal note: staff only, never shown to the citizen, allowed on closed cases too."""
    case = case_to_act_on(session, user, public_id)
    message = CaseMessage(author="staff", author_user_id=user.id, body=body, internal=True, created_at=utcnow())
    case.messages.append(message)
    session.flush()
    audit.record(session, user.actor, "dpo.case.noted", audit_subject(case), {"message_id": message.id})
    return message


def change_status(session: Session, user: User, public_id: str, status: CaseStatus) -> Case:
    case = case_to_act_on(session, user, public_id)
    if status not in next_statuses(case, user):
        hint = (" Close a report by choosing its outcome." if status == S.CLOSED
                else " A rejection needs a reason the citizen is told." if status == S.REJECTED else "")
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
    audit.record(session, user.actor, "dpo.case.outcome", audit_subject(case),
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


# --- staff: registering a case that came on paper, by phone, by e-mail or in person ---------------------------

# Channels where staff saw the person or their signed letter: a rights request is identified at receipt.
IDENTIFIED_CHANNELS = frozenset({Channel.LETTER, Channel.IN_PERSON})
NOON = time(12, 0)


def _acting(user: User) -> None:
    if not can_act(user):
        raise Forbidden("Your role lets you read cases, not act on them.")


def _received_moment(received: date | datetime, now: datetime) -> datetime:
    """When a case registered by staff counts as received (UTC). A bare date is noon in Lisbon that
    day (the hour is seldom known; noon keeps the date whatever the offset), or now if it is today."""
    if isinstance(received, datetime):
        moment = received if received.tzinfo else received.replace(tzinfo=CITY_TZ)
    elif received == clock.local_date(now):
        moment = now
    else:
        moment = datetime.combine(received, NOON, tzinfo=CITY_TZ)
    try:
        moment = moment.astimezone(now.tzinfo)
    except (OverflowError, ValueError):  # year 1 or 9999 at an offset: no such moment in UTC
        raise InvalidInput("The day of receipt is not a date we can use.", field="received_on") from None
    day, today = clock.local_date(moment), clock.local_date(now)
    if moment > now:
        raise InvalidInput("The day of receipt cannot be in the future.", field="received_on")
    if (today - day).days > RECEIVED_MAX_AGE_DAYS:
        raise InvalidInput(f"The day of receipt is more than {RECEIVED_MAX_AGE_DAYS} days ago.",
                           field="received_on")
    return moment


def register_case(session: Session, settings: Settings, user: User, form: RegisterCaseForm
                  ) -> tuple[Case, str]:
    """A case that reached the city outside the web form, typed in by staff. Returns it and its raw
    follow-up token, for staff to hand over (printed or read out) with the reference.

    The legal clock runs from the day it arrived, not the day it is typed in. A rights request
    handed over in person or by signed letter counts as identified at receipt (staff checked who was
    asking); one by phone or e-mail does not, and staff ask for what they need. A liaison registers
    cases for their own department only (any other would vanish from their sight).
    """
    _acting(user)
    now = utcnow()
    received_at = _received_moment(form.received_on, now)
    if user.role == Role.LIAISON:
        if form.department is not None and resolve_department(session, form.department) != user.department_id:
            raise Forbidden("A liaison registers cases for their own department only.",
                            details={"field": "department"})
        department_id = user.department_id
    else:
        department_id = resolve_department(session, form.department) if form.department else None
    if form.lat is not None and form.lon is not None and outside_city(settings, form.lat, form.lon):
        raise InvalidInput(f"The location is outside {settings.city_name}.", field="lat",
                           details={"reason": "outside_city"})
    token = secrets.token_urlsafe(TOKEN_BYTES)
    identified = form.kind == CaseKind.RIGHTS_REQUEST and form.channel in IDENTIFIED_CHANNELS
    case = Case(reference=_new_reference(session, received_at), kind=form.kind, status=S.RECEIVED,
                channel=form.channel, token_hash=sha256(token), locale=form.locale, contact_email=form.email,
                requester_name=form.name, topic=form.topic, data_right=form.data_right, lat=form.lat,
                lon=form.lon, department_id=department_id, created_by_id=user.id, received_at=received_at,
                verified_at=received_at if identified else None, updated_at=now,
                due_date=clock.due_date(clock.local_date(received_at), settings.holiday_subdivision))
    case.messages = [CaseMessage(author=CITIZEN, body=form.message, created_at=received_at)]
    session.add(case)
    session.flush()
    audit.record(session, user.actor, "dpo.case.registered", audit_subject(case),
                 {"kind": form.kind.value, "channel": form.channel.value, "reference": case.reference,
                  "received_on": clock.local_date(received_at).isoformat(), "department": department_id,
                  "email": form.email is not None, "identified": identified})
    notifications.queue_acknowledgement(session, settings, case, token)
    return case, token


# --- staff: who works on a case ----------------------------------------------------------------------------

def assignable_users(session: Session, user: User) -> list[User]:
    """The people a case may be given to by this user: active staff who can act (a liaison's choice:
    their own department's people)."""
    stmt = select(User).where(User.active.is_(True), User.role.in_(sorted(ACTING_ROLES)))
    if user.role == Role.LIAISON:
        stmt = stmt.where(User.department_id == user.department_id)
    return list(session.scalars(stmt.order_by(User.name, User.id)))


def departments(session: Session) -> list[Department]:
    return list(session.scalars(select(Department).order_by(Department.slug)))


def _assignment(session: Session, user: User, case: Case, form: AssignForm) -> tuple[int | None, int | None]:
    """Check one assignment without changing anything; returns the new (department id, assignee id).
    A field the form did not set stays as it is."""
    department_id = case.department_id
    if "department" in form.model_fields_set:
        department_id = resolve_department(session, form.department) if form.department else None
        if department_id != case.department_id and user.role not in REOPENING_ROLES:
            raise Forbidden("Only the DPO or an administrator moves a case to another department.",
                            details={"field": "department"})
    assignee_id = form.assignee if "assignee" in form.model_fields_set else case.assignee_id
    if assignee_id is not None:
        person = session.get(User, assignee_id)
        if person is None or not person.active or person.role not in ACTING_ROLES:
            raise InvalidInput("Assign the case to active staff who can act on cases.", field="assignee")
        if user.role == Role.LIAISON and person.department_id != user.department_id:
            raise Forbidden("A liaison assigns cases within their own department only.",
                            details={"field": "assignee"})
        if person.role == Role.LIAISON and person.department_id != department_id:
            raise InvalidInput("A liaison can only be given their own department's cases.", field="assignee")
    return department_id, assignee_id


def _apply_assignment(session: Session, user: User, case: Case, department_id: int | None,
                      assignee_id: int | None) -> None:
    before = {"department": case.department_id, "assignee": case.assignee_id}
    after = {"department": department_id, "assignee": assignee_id}
    if before == after:
        return
    case.department_id, case.assignee_id = department_id, assignee_id
    session.flush()
    audit.record(session, user.actor, "dpo.case.assigned", audit_subject(case), {"from": before, "to": after})


def assign(session: Session, user: User, public_id: str, form: AssignForm) -> Case:
    """Give a case to a department (a slug; None: the DPO's own desk) and/or a person (a user id;
    None: nobody). Only the DPO and admins move cases between departments; a liaison's case can
    only go to a liaison of its department; a liaison assigns within their department only."""
    case = case_to_act_on(session, user, public_id)
    _apply_assignment(session, user, case, *_assignment(session, user, case, form))
    return case


def bulk_assign(session: Session, user: User, public_ids: list[str], form: AssignForm) -> list[Case]:
    """`assign` for many cases, all or nothing: every case is checked before any is changed."""
    if not public_ids or len(public_ids) > BULK_MAX:
        raise InvalidInput(f"Choose 1 to {BULK_MAX} cases.", field="cases")
    cases = [case_to_act_on(session, user, public_id) for public_id in dict.fromkeys(public_ids)]
    plans = [_assignment(session, user, case, form) for case in cases]
    for case, (department_id, assignee_id) in zip(cases, plans, strict=True):
        _apply_assignment(session, user, case, department_id, assignee_id)
    return cases


# --- staff: the legal clock's extension, and rejection -----------------------------------------------------

EXTENSION_REPLY = N_(
    "We need more time to answer your request {reference}. The General Data Protection Regulation "
    "(Article 12(3)) lets us extend the one-month deadline by up to two further months when a request "
    "is complex or one of many. We will answer by {due_date}.\n\nThe reason: {reason}")
REJECTION_REPLY = N_("We cannot take your request {reference} forward, for this reason:\n\n{reason}")


def extend(session: Session, settings: Settings, user: User, public_id: str, form: ExtendForm,
           *, today: date | None = None) -> Case:
    """Extend the deadline to `form.months` further months in all (GDPR Art. 12(3): at most two),
    counted again from receipt, and tell the citizen why in their language (message and e-mail).

    Only the DPO or an administrator decides it, on a case still awaiting its first answer and
    before its current deadline has passed: the Regulation has the citizen told within the period.
    """
    case = get_case(session, user, public_id)
    if user.role not in REOPENING_ROLES:
        raise Forbidden("Only the DPO or an administrator extends a deadline.")
    today = today or clock.local_date(utcnow())
    if case.status not in PENDING or case.first_answer_at is not None or case.due_date is None:
        raise Conflict("Only a case still awaiting its first answer can be extended.", field="months")
    if case.due_date < today:
        raise Conflict("The deadline has passed: an extension must be announced before it.", field="months")
    if not case.extension_months < form.months <= clock.MAX_EXTENSION_MONTHS:
        raise InvalidInput(f"The extension is now {case.extension_months} month(s); it can grow to at most "
                           f"{clock.MAX_EXTENSION_MONTHS}.", field="months",
                           details={"current": case.extension_months})
    old_due = case.due_date
    case.extension_months, case.extension_reason = form.months, form.reason
    case.due_date = clock.due_date(clock.local_date(clock_start(case)), settings.holiday_subdivision, form.months)
    body = translate(EXTENSION_REPLY, case.locale).format(
        reference=case.reference, due_date=notifications.format_day(case.due_date, case.locale), reason=form.reason)
    message = CaseMessage(author="staff", author_user_id=user.id, body=body, internal=False, created_at=utcnow())
    case.messages.append(message)
    session.flush()
    notifications.queue_extension_notice(session, settings, case)
    audit.record(session, user.actor, "dpo.case.extended", audit_subject(case),
                 {"months": form.months, "from": old_due.isoformat(), "to": case.due_date.isoformat(),
                  "message_id": message.id})
    return case


def confirm_identity(session: Session, user: User, public_id: str, form: IdentityForm) -> Case:
    """Record that staff checked who made a rights request taken by phone or e-mail (GDPR Art. 12(6)).

    Such a request is worked on at once (its clock runs from receipt), but nothing should be disclosed
    or erased before the requester is known to be the data subject. This records the check: when and
    by whom in the audit log, how in an internal note (it may name the document shown). The clock
    does not move. Web requests are identified by their e-mail confirmation instead (intake.py)."""
    case = case_to_act_on(session, user, public_id)
    if case.kind != CaseKind.RIGHTS_REQUEST or case.verified_at is not None:
        raise Conflict("Only a rights request whose requester is not identified yet needs this.", field="how")
    now = utcnow()
    case.verified_at = now
    note = CaseMessage(author="staff", author_user_id=user.id, body=form.how, internal=True, created_at=now)
    case.messages.append(note)
    session.flush()
    audit.record(session, user.actor, "dpo.case.identity_confirmed", audit_subject(case), {"message_id": note.id})
    return case


def reject(session: Session, settings: Settings, user: User, public_id: str, form: RejectForm) -> Case:
    """Reject with a reason: a public reply carrying it (the citizen must know why, and that they may
    complain), kept on the case as `rejection_reason`."""
    case = case_to_act_on(session, user, public_id)
    if S.REJECTED not in TRANSITIONS[case.status]:
        raise InvalidInput(f"A case cannot go from '{case.status}' to 'rejected'.", field="status",
                           details={"from": case.status, "to": S.REJECTED.value})
    body = translate(REJECTION_REPLY, case.locale).format(reference=case.reference, reason=form.reason)
    message = _post_public(session, settings, case, user, body)
    case.rejection_reason = form.reason
    audit.record(session, user.actor, "dpo.case.rejected", audit_subject(case), {"message_id": message.id})
    _set_status(session, case, S.REJECTED, user.actor)
    return case


# --- open data: the desk's public statistics as a table --------------------------------------------------------

OPEN_DATA_COLUMNS = ["periodo", "de", "ate", "grupo", "chave", "nome", "recebidos", "respondidos", "media_dias",
                     "mediana_dias", "no_prazo_pct", "omitido"]


def write_public_statistics(session: Session, out: TextIO) -> None:
    """The statistics page's figures, one row per period × group (total, kind, department, month), with
    the same small-cell withholding: the portal publishes exactly what the page shows."""
    import csv

    from praca.dpo.kpis import public_statistics

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(OPEN_DATA_COLUMNS)
    for period in public_statistics(session).periods:
        groups = [("total", "total", "Total", period.totals)]
        groups += [("tipo", g.key, g.label, g) for g in period.kinds]
        groups += [("departamento", g.key, g.label, g) for g in period.departments]
        groups += [("mes", m.month, m.month, m) for m in period.months]
        for group, key, label, f in groups:
            writer.writerow([period.key, period.period_from.isoformat(), period.period_to.isoformat(), group, key,
                             label, f.received, f.answered, f.mean_days, f.median_days, f.within_deadline_pct,
                             f.withheld or ""])
