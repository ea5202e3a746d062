"""The DPO desk for staff: the inbox and one case (thread, pin, photo, reply, note, status, outcome).

Any staff role reads (a liaison only their department's cases); the DPO and admins act. Each action
is a small form posting to its own URL; an invalid one re-renders the case with the form's errors
(422), a valid one commits once and redirects back (POST/redirect/GET).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response, StreamingResponse
from pydantic import ValidationError
from sqlalchemy import select
from starlette.datastructures import FormData

from praca.core import files, web
from praca.core.auth import AnyStaff, Department, Role, User
from praca.core.db import DbSession, utcnow
from praca.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from praca.core.i18n import Locale, _
from praca.core.security import csrf_protect
from praca.dpo import clock, inbox, labels, notifications, service
from praca.dpo.forms import FieldError, parse, posted_form, text_values
from praca.dpo.labels import N_
from praca.dpo.models import Case, CaseKind, CaseStatus, Channel, DataSubjectRight, QuestionTopic
from praca.dpo.register_draft import draft_device
from praca.dpo.schemas import (
    BULK_MAX,
    AssignForm,
    CaseFilter,
    ExtendForm,
    IdentityForm,
    OutcomeForm,
    RegisterCaseForm,
    RejectForm,
    StaffMessageForm,
    StatusForm,
)
from praca.registry import service as registry_service
from praca.registry import taxonomy
from praca.registry.schemas import DeviceCreate
from praca.settings import Settings

router = APIRouter(prefix="/staff", include_in_schema=False)
PostedForm = Annotated[FormData, Depends(posted_form)]
STAFF_POST = [Depends(csrf_protect)]

DEVICE_TEXT_FIELDS = ("name", "type", "operator", "lat", "lon", "description", "legal_basis", "retention_days",
                      "status")
DEVICE_LIST_FIELDS = ("purposes", "data_types", "personal_data_categories")
DEVICE_MESSAGES: dict[str, str] = {
    "name": N_("Give the device a name of at most 200 characters."),
    "type": N_("Choose the type of device."),
    "operator": N_("Choose who operates the device."),
    "lat": N_("Give a latitude inside the city."),
    "lon": N_("Give a longitude inside the city."),
    "description": N_("The description may have at most 2000 characters."),
    "purposes": N_("Tick at least one purpose."),
    "data_types": N_("Tick at least one kind of data it gathers."),
    "personal_data_categories": N_(
        "Tick the kinds of personal data it processes, or untick 'It processes personal data'."),
    "legal_basis": N_(
        "A device that processes personal data needs a legal basis; one that does not takes 'not applicable'."),
    "retention_days": N_("Give the retention as a whole number of days, or leave it empty."),
    "status": N_("Choose the device's status."),
    "deidentification": N_("The register entry's de-identification is inconsistent."),
}
STATUS_REFUSED = N_("This change of status is not allowed from the case's current status.")
NO_SUCH_DEVICE = N_("No device with this id in the register.")
NOT_AN_OPEN_REPORT = N_("Only open reports of unlisted devices can be closed with an outcome.")
REGISTER_MESSAGES: dict[str, str] = {
    "kind": N_("Choose what kind of case it is."),
    "topic": N_("Choose what the question is about."),
    "data_right": N_("Choose the right the person wants to exercise."),
    "channel": N_("Choose how the case reached the city."),
    "received_on": N_("Give the day it arrived: today or an earlier day, at most a year ago."),
    "message": N_("Write down what the person asked for: at most 8000 characters."),
    "email": N_("Enter an e-mail address like name@example.org, or leave it empty."),
    "name": N_("The name may have at most 200 characters."),
    "locale": N_("Choose the language the person reads our replies in."),
    "department": N_("Choose a department from the list (a liaison: their own)."),
    "lat": N_("Give where the device was seen: a latitude and a longitude inside the city."),
    "lon": N_("Give where the device was seen: a latitude and a longitude inside the city."),
}
ASSIGN_MESSAGES: dict[str, str] = {
    "department": N_("Choose a department from the list."),
    "assignee": N_("Choose someone from the list."),
}
ASSIGN_REFUSED = N_(
    "This assignment is not possible: a liaison only takes their own department's cases, and only the DPO or "
    "an administrator moves a case to another department.")
BULK_REFUSED = N_(
    "Nothing was changed: at least one of the ticked cases cannot be assigned like this (a liaison only takes "
    "their own department's cases, and only the DPO or an administrator moves cases between departments).")
NO_CASES_TICKED = N_("Tick at least one case.")
NOTHING_TO_CHANGE = N_("Choose a department or a person to assign the cases to.")
EXTEND_MONTHS = N_("Choose one or two months in all, more than the extension so far.")
EXTEND_MESSAGES: dict[str, str] = {
    "months": EXTEND_MONTHS,
    "reason": N_("Give the reason the citizen will read: 10 to 2000 characters."),
}
EXTEND_REFUSED = N_(
    "This case cannot be extended: only a case still awaiting its first answer, before its deadline has passed.")
REJECT_MESSAGES: dict[str, str] = {
    "reason": N_("Give the reason the citizen will read: 10 to 2000 characters."),
}
REJECT_REFUSED = N_("This case cannot be rejected from its current status.")
IDENTITY_MESSAGES: dict[str, str] = {
    "how": N_("Say how you checked the identity (for the case file only): 10 to 2000 characters."),
}
IDENTITY_REFUSED = N_("Only a rights request whose requester is not identified yet needs this.")
INBOX_NOTICES = {
    "assigned": N_("The cases were assigned."),
}
NOTICES = {
    "assigned": N_("The case was assigned."),
    "extended": N_("The deadline was extended and the citizen told why."),
    "rejected": N_("The case was rejected and the citizen told why."),
    "identified": N_("The requester's identity is recorded as checked."),
    "replied": N_("Your reply was posted."),
    "noted": N_("Your internal note was added."),
    "status": N_("The status was changed."),
    "closed": N_("The report was closed with its outcome."),
}


# --- the inbox -------------------------------------------------------------------------------------------------

BULK_KEEP = "keep"  # the bulk form's "leave as it is"
NOBODY = "none"


def _inbox_query(f: CaseFilter, **changes: Any) -> str:
    """The filter as a query string (defaults left out), with some values changed: links keep the filters."""
    values = {**f.model_dump(mode="json", exclude_defaults=True), **changes}
    defaults = CaseFilter().model_dump(mode="json")
    query = {k: ("true" if v is True else "false" if v is False else str(v)) for k, v in values.items()
             if v is not None and v != defaults.get(k)}
    return urlencode(query)


def _inbox_url(f: CaseFilter, offset: int) -> str:
    query = _inbox_query(f, offset=offset)
    return "/staff/cases" + (f"?{query}" if query else "")


def _names(session: DbSession, locale: str, cases: list[Case]) -> tuple[dict[int, str], dict[int, str]]:
    """Department and assignee names for one page of cases: one query each, however many rows."""
    dep_ids = {c.department_id for c in cases if c.department_id}
    user_ids = {c.assignee_id for c in cases if c.assignee_id}
    deps = session.scalars(select(Department).where(Department.id.in_(dep_ids))).all() if dep_ids else []
    users = session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all() if user_ids else []
    return ({d.id: _department_name(d, locale) for d in deps}, {uid: name for uid, name in users})


def _department_name(department: Department, locale: str) -> str:
    return department.name_pt if locale == "pt" else department.name_en


def _inbox_page(request: Request, session: DbSession, locale: str, user: User, f: CaseFilter,
                errors: list[FieldError] | None = None, values: dict[str, Any] | None = None,
                status_code: int = 200) -> HTMLResponse:
    items, total = inbox.list_cases(session, user, f)
    prev_url = _inbox_url(f, max(f.offset - f.limit, 0)) if f.offset else None
    next_url = _inbox_url(f, f.offset + f.limit) if f.offset + f.limit < total else None
    department_names, assignee_names = _names(session, locale, items)
    can_act = service.can_act(user)
    response = web.render(request, "dpo/staff/inbox.html", {
        "cases": items, "total": total, "f": f, "labels": labels, "prev_url": prev_url, "next_url": next_url,
        "first": f.offset + 1 if items else 0, "last": f.offset + len(items),
        "kinds": list(CaseKind), "statuses": list(CaseStatus), "today": clock.local_date(utcnow()),
        "pending": service.PENDING, "department_names": department_names, "assignee_names": assignee_names,
        "departments": [(d.slug, _department_name(d, locale)) for d in service.departments(session)],
        "people": [(u.id, u.name) for u in service.assignable_users(session, user)] if can_act else [],
        "can_act": can_act, "moves_departments": user.role in service.REOPENING_ROLES,
        "query": _inbox_query(f), "due_sort_url": "/staff/cases?" + _inbox_query(
            f, sort="-due" if f.sort == "due" else "due", offset=0),
        "csv_url": "/staff/cases.csv" + (f"?{q}" if (q := _inbox_query(f, offset=0, limit=None)) else ""),
        "errors": errors or [], "values": values or {},
        "notice": INBOX_NOTICES.get(request.query_params.get("done", "")),
    }, status_code=status_code)
    return web.no_store(response)


@router.get("/cases")
def inbox_page(request: Request, session: DbSession, locale: Locale, user: AnyStaff,
               f: Annotated[CaseFilter, Query()]) -> Response:
    return _inbox_page(request, session, locale, user, f)


@router.get("/cases.csv")
def inbox_csv(session: DbSession, user: AnyStaff, f: Annotated[CaseFilter, Query()]) -> Response:
    """The filtered inbox as CSV (every page of it): codes and dates, no names, addresses or text."""
    lines = inbox.cases_csv(session, user, f)
    session.commit()  # the export's audit entry
    day = clock.local_date(utcnow()).isoformat()
    return StreamingResponse(lines, media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="cases-{day}.csv"',
                                      "Cache-Control": "no-store"})


def _assign_values(form: FormData, fields: tuple[str, ...]) -> dict[str, str]:
    """The assign forms' fields, "keep" left out (not set, so left as it is) and "none" as blank."""
    values = text_values(form, fields)
    return {k: ("" if v == NOBODY and k == "assignee" else v) for k, v in values.items() if v != BULK_KEEP}


@router.post("/cases/assign", dependencies=STAFF_POST)
def bulk_assign(request: Request, session: DbSession, locale: Locale, user: AnyStaff, form: PostedForm) -> Response:
    """Assign the ticked cases, all or none; back to the same inbox view."""
    back = form.get("back")
    back = back if isinstance(back, str) and len(back) < 2000 else ""
    try:
        f = CaseFilter.model_validate(dict(parse_qsl(back)))
    except ValidationError:
        back, f = "", CaseFilter()
    if not service.can_act(user):
        raise Forbidden("Your role lets you read cases, not act on them.")
    public_ids = [v for v in form.getlist("cases") if isinstance(v, str)][: BULK_MAX + 1]
    values = _assign_values(form, ("department", "assignee"))
    data, errors = parse(AssignForm, values, ASSIGN_MESSAGES)
    if not public_ids:
        errors = [FieldError("bulk-cases", _(NO_CASES_TICKED)), *errors]
    elif not values:
        errors = [FieldError("bulk-assignee", _(NOTHING_TO_CHANGE))]
    try:
        if data is not None and not errors:
            service.bulk_assign(session, user, public_ids, data)
    except (InvalidInput, Forbidden, NotFound) as exc:
        errors = [FieldError("bulk-" + ("department" if exc.details.get("field") == "department" else "assignee"),
                             _(BULK_REFUSED))]
    if errors:
        session.rollback()
        errors = [FieldError(e.field if e.field.startswith("bulk-") else f"bulk-{e.field}", e.message)
                  for e in errors]
        return _inbox_page(request, session, locale, user, f, errors, {**values, "cases": public_ids},
                           status_code=422)
    session.commit()
    return RedirectResponse(f"/staff/cases?{back + '&' if back else ''}done=assigned", status_code=303)


# --- registering a case that came by e-mail, phone, letter or in person ---------------------------------------

REGISTER_FIELDS = ("kind", "topic", "data_right", "channel", "received_on", "message", "email", "name", "locale",
                   "department", "lat", "lon")


def _register_page(request: Request, session: DbSession, locale: str, user: User,
                   errors: list[FieldError] | None = None, values: dict[str, Any] | None = None,
                   status_code: int = 200) -> HTMLResponse:
    if not service.can_act(user):
        raise Forbidden("Your role lets you read cases, not act on them.")
    today = clock.local_date(utcnow())
    response = web.render(request, "dpo/staff/register.html", {
        "labels": labels, "errors": errors or [], "values": values or {"received_on": today.isoformat()},
        "kinds": list(CaseKind), "topics": list(QuestionTopic), "rights": list(DataSubjectRight),
        "channels": [c for c in Channel if c != Channel.WEB], "today": today,
        "departments": [(d.slug, _department_name(d, locale)) for d in service.departments(session)
                        if user.role != Role.LIAISON or d.id == user.department_id],
        "liaison": user.role == Role.LIAISON,
    }, status_code=status_code)
    return web.no_store(response)


@router.get("/cases/new")
def register_form(request: Request, session: DbSession, locale: Locale, user: AnyStaff) -> Response:
    return _register_page(request, session, locale, user)


@router.post("/cases/new", dependencies=STAFF_POST)
def register_case(request: Request, session: DbSession, locale: Locale, user: AnyStaff, form: PostedForm) -> Response:
    """Register the case; the answer shows its reference and follow-up link once (only a hash is kept)."""
    settings: Settings = request.app.state.settings
    values = text_values(form, REGISTER_FIELDS)
    data, errors = parse(RegisterCaseForm, values, REGISTER_MESSAGES)
    try:
        if data is not None:
            case, token = service.register_case(session, settings, user, data)
    except (InvalidInput, Forbidden) as exc:
        field = str(exc.details.get("field", "received_on"))
        errors = [FieldError(field, _(REGISTER_MESSAGES.get(field, N_("Check this field."))))]
    if errors:
        session.rollback()
        return _register_page(request, session, locale, user, errors, values, status_code=422)
    session.commit()
    response = web.render(request, "dpo/staff/registered.html", {
        "case": case, "follow_url": notifications.follow_url(settings, token, case.locale), "labels": labels})
    return web.no_store(response)


# --- one case --------------------------------------------------------------------------------------------------

def _authors(session: DbSession, case: Case) -> dict[int, str]:
    ids = {m.author_user_id for m in case.messages if m.author_user_id}
    return {uid: user.name for uid in ids if (user := session.get(User, uid)) is not None}



def _choices(locale: str, codes: Any) -> list[tuple[str, str]]:
    return [(c.value, taxonomy.label(c.value, locale)) for c in codes]


def _case_page(request: Request, session: DbSession, user: User, locale: str, public_id: str,
               errors: dict[str, list[FieldError]] | None = None, values: dict[str, Any] | None = None,
               status_code: int = 200) -> HTMLResponse:
    case = service.get_case(session, user, public_id)
    department = session.get(Department, case.department_id) if case.department_id else None
    assignee = session.get(User, case.assignee_id) if case.assignee_id else None
    is_report = case.kind == CaseKind.UNLISTED_DEVICE
    can_act = service.can_act(user)
    today = clock.local_date(utcnow())
    pending = case.status in service.PENDING
    is_dpo = user.role in service.REOPENING_ROLES
    context: dict[str, Any] = {
        "case": case, "labels": labels, "authors": _authors(session, case), "can_act": can_act,
        "is_report": is_report, "is_final": case.status in service.FINAL,
        "next_statuses": service.next_statuses(case, user) if can_act else [],
        "department": _department_name(department, locale) if department else None,
        "assignee": assignee.name if assignee else None,
        "days_left": clock.days_left(case.due_date, today) if case.due_date and pending else None,
        "due_day": notifications.format_day(case.due_date, locale) if case.due_date else None,
        "can_extend": (is_dpo and pending and case.first_answer_at is None and case.due_date is not None
                       and case.due_date >= today and case.extension_months < clock.MAX_EXTENSION_MONTHS),
        "can_reject": can_act and service.S.REJECTED in service.TRANSITIONS[case.status],
        "needs_identity": can_act and case.kind == CaseKind.RIGHTS_REQUEST and case.verified_at is None,
        "moves_departments": is_dpo,
        "departments": [(d.slug, _department_name(d, locale)) for d in service.departments(session)],
        "people": [(u.id, u.name) for u in service.assignable_users(session, user)] if can_act else [],
        "department_slug": department.slug if department else "",
        "device": registry_service.find_device(session, case.device_public_id),
        "outcome_device": registry_service.find_device(session, case.outcome_device_public_id),
        "type_label": taxonomy.label(case.suspected_type, locale),
        "notice": NOTICES.get(request.query_params.get("done", "")),
        "errors": errors or {}, "values": values or {},
        "tile_attribution": web.tile_attribution(request.app.state.settings.map_tile_url),
    }
    if is_report and can_act and case.status not in service.FINAL:
        draft = (values or {}).get("register") or draft_device(case, service.first_citizen_message(case))
        context |= {
            "draft": draft,
            "operators": registry_service.list_operators(session),
            "choices": {
                "type": _choices(locale, taxonomy.DeviceType), "purposes": _choices(locale, taxonomy.Purpose),
                "data_types": _choices(locale, taxonomy.DataType),
                "personal_data_categories": _choices(locale, taxonomy.PersonalDataCategory),
                "legal_basis": _choices(locale, taxonomy.LegalBasis), "status": _choices(locale, taxonomy.Status),
            },
        }
    response = web.render(request, "dpo/staff/case.html", context, status_code=status_code)
    return web.no_store(response)


def _done(public_id: str, what: str) -> RedirectResponse:
    return RedirectResponse(f"/staff/cases/{public_id}?done={what}", status_code=303)


def _refused(request: Request, session: DbSession, user: User, locale: str, public_id: str, form: str,
             errors: list[FieldError], values: dict[str, Any], prefix: str | None = None) -> HTMLResponse:
    """Undo anything the failed action flushed, then show the case with that form's errors.

    Several forms share the page, so each form's controls have ids prefixed with its name."""
    session.rollback()
    ids = [FieldError(f"{prefix or form}-{e.field}", e.message) for e in errors]
    return _case_page(request, session, user, locale, public_id, {form: ids}, {form: values}, status_code=422)


@router.get("/cases/{public_id}")
def case_page(request: Request, session: DbSession, locale: Locale, user: AnyStaff, public_id: str) -> Response:
    return _case_page(request, session, user, locale, public_id)


@router.get("/cases/{public_id}/photo")
def case_photo(request: Request, session: DbSession, user: AnyStaff, public_id: str) -> Response:
    """The report's photo, for staff who can see the case; it is never served publicly."""
    case = service.get_case(session, user, public_id)
    path = files.resolve(service.photo_dir(request.app.state.settings), case.photo) if case.photo else None
    if path is None:
        raise NotFound("This case has no photo.")
    media = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}.get(path.suffix.lstrip("."))
    return FileResponse(path, media_type=media or "application/octet-stream",
                        headers={"Cache-Control": "private, no-store"})


@router.post("/cases/{public_id}/reply", dependencies=STAFF_POST)
def reply(request: Request, session: DbSession, locale: Locale, user: AnyStaff, public_id: str,
          form: PostedForm) -> Response:
    service.case_to_act_on(session, user, public_id)
    values: dict[str, Any] = text_values(form, ("body",))
    values["mark_answered"] = form.get("mark_answered") == "on"
    data, errors = parse(StaffMessageForm, values)
    if data is None:
        return _refused(request, session, user, locale, public_id, "reply", errors, values)
    service.reply(session, request.app.state.settings, user, public_id, data)
    session.commit()
    return _done(public_id, "replied")


@router.post("/cases/{public_id}/note", dependencies=STAFF_POST)
def note(request: Request, session: DbSession, locale: Locale, user: AnyStaff, public_id: str,
         form: PostedForm) -> Response:
    service.case_to_act_on(session, user, public_id)
    values = text_values(form, ("body",))
    data, errors = parse(StaffMessageForm, values)
    if data is None:
        return _refused(request, session, user, locale, public_id, "note", errors, values)
    service.add_note(session, user, public_id, data.body)
    session.commit()
    return _done(public_id, "noted")


@router.post("/cases/{public_id}/status", dependencies=STAFF_POST)
def change_status(request: Request, session: DbSession, locale: Locale, user: AnyStaff, public_id: str,
                  form: PostedForm) -> Response:
    service.case_to_act_on(session, user, public_id)
    values = text_values(form, ("status",))
    data, errors = parse(StatusForm, values)
    try:
        if data is not None:
            service.change_status(session, user, public_id, data.status)
    except InvalidInput:
        errors = [FieldError("status", _(STATUS_REFUSED))]
    if errors:
        return _refused(request, session, user, locale, public_id, "status", errors, values)
    session.commit()
    return _done(public_id, "status")


@router.post("/cases/{public_id}/outcome", dependencies=STAFF_POST)
def close_with_outcome(request: Request, session: DbSession, locale: Locale, user: AnyStaff, public_id: str,
                       form: PostedForm) -> Response:
    """Close a report as already registered (naming the entry) or as not a data-gathering device."""
    service.case_to_act_on(session, user, public_id)
    values = text_values(form, ("outcome", "device_id", "message"))
    data, errors = parse(OutcomeForm, values)
    try:
        if data is not None:
            service.close_report(session, request.app.state.settings, user, public_id, data)
    except InvalidInput as exc:
        unknown_device = exc.details.get("field") == "device_id"
        errors = [FieldError("device_id", _(NO_SUCH_DEVICE)) if unknown_device
                  else FieldError("outcome", _(NOT_AN_OPEN_REPORT))]
    if errors:
        return _refused(request, session, user, locale, public_id, "outcome", errors, values)
    session.commit()
    return _done(public_id, "closed")


def _device_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = text_values(form, DEVICE_TEXT_FIELDS)
    for name in DEVICE_LIST_FIELDS:
        values[name] = [v for v in form.getlist(name) if isinstance(v, str)]
    values["personal_data"] = form.get("personal_data") == "on"
    if not values.get("retention_days", "").strip():
        values["retention_days"] = None
    if not values.get("description", "").strip():
        values["description"] = None
    return values


def _device_errors(exc: ValidationError) -> list[FieldError]:
    """One message per field; whole-model checks name their field before a colon."""
    fields: list[str] = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else error["msg"].removeprefix("Value error, ").split(":")[0]
        if field not in fields:
            fields.append(field)
    return [FieldError(f, _(DEVICE_MESSAGES.get(f, N_("Check this field.")))) for f in fields]


@router.post("/cases/{public_id}/register", dependencies=STAFF_POST)
def register_and_close(request: Request, session: DbSession, locale: Locale, user: AnyStaff, public_id: str,
                       form: PostedForm) -> Response:
    """Close a report as registered now: the pre-filled register entry, checked by the register."""
    settings: Settings = request.app.state.settings
    service.case_to_act_on(session, user, public_id)
    values = _device_values(form)
    note_text = form.get("message")
    note_text = note_text.strip()[:8000] if isinstance(note_text, str) and note_text.strip() else None
    errors: list[FieldError] = []
    try:
        data = DeviceCreate.model_validate(values)
        service.register_and_close(session, settings, user, public_id, data, note_text)
    except ValidationError as exc:
        errors = _device_errors(exc)
    except InvalidInput as exc:
        field = str(exc.details.get("field", ""))
        errors = ([FieldError(field, _(DEVICE_MESSAGES[field]))] if field in DEVICE_MESSAGES
                  else [FieldError("name", _(NOT_AN_OPEN_REPORT))])
    if errors:
        return _refused(request, session, user, locale, public_id, "register", errors,
                        {**values, "message": note_text or ""}, prefix="device")
    session.commit()
    return _done(public_id, "closed")


@router.post("/cases/{public_id}/assign", dependencies=STAFF_POST)
def assign(request: Request, session: DbSession, locale: Locale, user: AnyStaff, public_id: str,
           form: PostedForm) -> Response:
    service.case_to_act_on(session, user, public_id)
    values = _assign_values(form, ("department", "assignee"))
    data, errors = parse(AssignForm, values, ASSIGN_MESSAGES)
    try:
        if data is not None:
            service.assign(session, user, public_id, data)
    except (InvalidInput, Forbidden) as exc:
        field = "department" if exc.details.get("field") == "department" else "assignee"
        errors = [FieldError(field, _(ASSIGN_REFUSED))]
    if errors:
        return _refused(request, session, user, locale, public_id, "assign", errors, values)
    session.commit()
    return _done(public_id, "assigned")


@router.post("/cases/{public_id}/extend", dependencies=STAFF_POST)
def extend(request: Request, session: DbSession, locale: Locale, user: AnyStaff, public_id: str,
           form: PostedForm) -> Response:
    """GDPR Art. 12(3): more time, for a reason the citizen reads (DPO and admins only)."""
    service.get_case(session, user, public_id)
    if user.role not in service.REOPENING_ROLES:
        raise Forbidden("Only the DPO or an administrator extends a deadline.")
    values = text_values(form, ("months", "reason"))
    data, errors = parse(ExtendForm, values, EXTEND_MESSAGES)
    try:
        if data is not None:
            service.extend(session, request.app.state.settings, user, public_id, data)
    except InvalidInput:
        errors = [FieldError("months", _(EXTEND_MONTHS))]
    except Conflict:
        errors = [FieldError("months", _(EXTEND_REFUSED))]
    if errors:
        return _refused(request, session, user, locale, public_id, "extend", errors, values)
    session.commit()
    return _done(public_id, "extended")


@router.post("/cases/{public_id}/identity", dependencies=STAFF_POST)
def confirm_identity(request: Request, session: DbSession, locale: Locale, user: AnyStaff, public_id: str,
                     form: PostedForm) -> Response:
    """GDPR Art. 12(6): record that the requester of a phone or e-mail rights request was identified."""
    service.case_to_act_on(session, user, public_id)
    values = text_values(form, ("how",))
    data, errors = parse(IdentityForm, values, IDENTITY_MESSAGES)
    try:
        if data is not None:
            service.confirm_identity(session, user, public_id, data)
    except Conflict:
        errors = [FieldError("how", _(IDENTITY_REFUSED))]
    if errors:
        return _refused(request, session, user, locale, public_id, "identity", errors, values)
    session.commit()
    return _done(public_id, "identified")


@router.post("/cases/{public_id}/reject", dependencies=STAFF_POST)
def reject(request: Request, session: DbSession, locale: Locale, user: AnyStaff, public_id: str,
           form: PostedForm) -> Response:
    """Reject with the reason the citizen reads; a rejection without one is refused."""
    service.case_to_act_on(session, user, public_id)
    values = text_values(form, ("reason",))
    data, errors = parse(RejectForm, values, REJECT_MESSAGES)
    try:
        if data is not None:
            service.reject(session, request.app.state.settings, user, public_id, data)
    except InvalidInput:
        errors = [FieldError("reason", _(REJECT_REFUSED))]
    if errors:
        return _refused(request, session, user, locale, public_id, "reject", errors, values)
    session.commit()
    return _done(public_id, "rejected")
