"""Staff pages for data-protection training under /staff/training: completion, roster, CSV import,
sessions and their attendance.

Every staff role opens the overview (a liaison sees their own department's completion only); the
roster and sessions are read by the DPO, admins and viewers; only the DPO and admins change them.
Forms post to their own URL; a refused one re-renders its page with the form's errors (422), an
accepted one commits once and redirects (POST/redirect/GET).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from praca.core import files, web
from praca.core.auth import AnyStaff, DpoStaff, User
from praca.core.db import DbSession, utcnow
from praca.core.errors import PracaError
from praca.core.i18n import Locale, _
from praca.core.security import csrf_protect
from praca.dpo import clock, training
from praca.dpo.forms import FieldError, posted_form, text_values, uploaded
from praca.dpo.labels import N_

router = APIRouter(prefix="/staff/training", include_in_schema=False)
PostedForm = Annotated[FormData, Depends(posted_form)]
STAFF_POST = [Depends(csrf_protect)]

FIELD_MESSAGES: dict[str, str] = {
    "employee_ref": N_("Give the employee number: 1 to 40 characters."),
    "name": N_("Give the name: 1 to 200 characters."),
    "department": N_("Choose a department."),
    "started_on": N_("Give the start date as YYYY-MM-DD."),
    "left_on": N_("Give a leaving date, not before the start date."),
    "title": N_("Give the session a title of 1 to 200 characters."),
    "held_on": N_("Give the date the session was held."),
    "hours": N_("Give the length in hours, more than 0 and at most 40."),
    "trainees": N_("Some of the trainees marked are not on the roster."),
    "file": N_("Choose a CSV file saved as UTF-8."),
}
DUPLICATE_REF = N_("A trainee with this employee number is already on the roster.")
NOTICES = {
    "added": N_("The trainee was added to the roster."),
    "left": N_("The trainee was marked as having left."),
    "recorded": N_("The session and its attendance were recorded."),
    "attendance": N_("The attendance was saved."),
}


def _today() -> date:
    return clock.local_date(utcnow())


def _department_name(department: Any, locale: str) -> str:
    return department.name_pt if locale == "pt" else department.name_en


def _parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _parse_hours(value: str | None) -> float | None:
    try:
        return float((value or "").strip().replace(",", "."))
    except ValueError:
        return None


def _ids(form: FormData, name: str) -> list[int]:
    return [int(v) for v in form.getlist(name) if isinstance(v, str) and v.isdigit()]


def _message(field: str) -> str:
    return _(FIELD_MESSAGES[field])


def _error(exc: PracaError, fallback: str) -> FieldError:
    """The service's refusal as a message next to its field (or the form's main field)."""
    field = str(exc.details.get("field") or fallback)
    if field not in FIELD_MESSAGES:
        field = fallback
    return FieldError(field, _(DUPLICATE_REF) if exc.code == "conflict" else _message(field))


def _common(request: Request, session: DbSession, locale: str) -> dict[str, Any]:
    return {"name_of": lambda d: _department_name(d, locale),
            "notice": NOTICES.get(request.query_params.get("done", ""))}


# --- overview ------------------------------------------------------------------------------------------------

@router.get("")
def overview(request: Request, session: DbSession, locale: Locale, user: AnyStaff) -> Response:
    rows = training.completion(session, user, _today())
    context = {**_common(request, session, locale), "rows": rows, "total": training.overall(rows),
               "can_record": training.can_record(user), "can_see_roster": training.can_see_roster(user),
               "sessions": training.list_sessions(session) if training.can_see_roster(user) else [],
               "new_staff_days": training.NEW_STAFF_DAYS}
    return web.render(request, "dpo/staff/training.html", context)


# --- the roster ----------------------------------------------------------------------------------------------

def _roster_page(request: Request, session: DbSession, locale: str, user: User, *, errors: list[FieldError]
                 | None = None, values: dict[str, str] | None = None, status_code: int = 200) -> Response:
    training.check_can_see_roster(user)
    slug = request.query_params.get("department") or ""
    department = training.department_by_slug(session, slug)
    include_left = request.query_params.get("include_left") == "1"
    today = _today()
    trainees = training.list_trainees(session, user, department_id=department.id if department else None,
                                      today=today, include_left=include_left)
    context = {**_common(request, session, locale), "trainees": trainees, "department": department,
               "departments": training.visible_departments(session, user), "include_left": include_left,
               "can_record": training.can_record(user), "errors": errors or [], "values": values or {},
               "today": today, "new_since": today - timedelta(days=training.NEW_STAFF_DAYS)}
    return web.render(request, "dpo/staff/training_trainees.html", context, status_code=status_code)


@router.get("/trainees")
def roster(request: Request, session: DbSession, locale: Locale, user: AnyStaff) -> Response:
    return _roster_page(request, session, locale, user)


@router.post("/trainees", dependencies=STAFF_POST)
def add_trainee(request: Request, session: DbSession, locale: Locale, user: DpoStaff, form: PostedForm) -> Response:
    values = text_values(form, ("employee_ref", "name", "department", "started_on"))
    try:
        training.add_trainee(session, user, employee_ref=values.get("employee_ref", ""),
                             name=values.get("name", ""), department_slug=values.get("department", ""),
                             started_on=_parse_day(values.get("started_on")))
    except PracaError as exc:
        session.rollback()
        return _roster_page(request, session, locale, user, errors=[_error(exc, "name")], values=values,
                            status_code=422)
    session.commit()
    return RedirectResponse("/staff/training/trainees?done=added", status_code=303)


@router.post("/trainees/{trainee_id}/left", dependencies=STAFF_POST)
def mark_left(request: Request, session: DbSession, locale: Locale, user: DpoStaff, trainee_id: int,
              form: PostedForm) -> Response:
    values = text_values(form, ("left_on",))
    left_on = _parse_day(values.get("left_on")) or _today()
    try:
        training.mark_left(session, user, trainee_id, left_on)
    except PracaError as exc:
        if exc.status == 404:
            raise
        session.rollback()
        return _roster_page(request, session, locale, user, errors=[FieldError("left_on", _message("left_on"))],
                            status_code=422)
    session.commit()
    return RedirectResponse("/staff/training/trainees?done=left", status_code=303)


# --- CSV import ----------------------------------------------------------------------------------------------

def _import_page(request: Request, session: DbSession, locale: str, report: training.TraineeImport | None = None,
                 error: str | None = None, status_code: int = 200) -> Response:
    context = {**_common(request, session, locale), "report": report, "error": error,
               "columns": training.CSV_COLUMNS, "row_messages": training.ROW_MESSAGES,
               "departments": training.visible_departments(session, request.state.staff)}
    return web.render(request, "dpo/staff/training_import.html", context, status_code=status_code)


@router.get("/import")
def import_form(request: Request, session: DbSession, locale: Locale, user: DpoStaff) -> Response:
    return _import_page(request, session, locale)


@router.post("/import", dependencies=STAFF_POST)
def import_upload(request: Request, session: DbSession, locale: Locale, user: DpoStaff, form: PostedForm) -> Response:
    settings = request.app.state.settings
    upload = uploaded(form, "file")
    if upload is None:
        return _import_page(request, session, locale, error=_message("file"), status_code=422)
    try:
        raw = files.read_capped(upload.file, settings.upload_max_bytes, "file")
        report = training.import_trainees(session, user, raw)
    except PracaError:
        session.rollback()
        return _import_page(request, session, locale, error=_message("file"), status_code=422)
    if report.invalid or not report.imported:
        session.rollback()
        return _import_page(request, session, locale, report, status_code=422 if report.invalid else 200)
    session.commit()
    return _import_page(request, session, locale, report)


# --- sessions ------------------------------------------------------------------------------------------------

def _session_page(request: Request, session: DbSession, locale: str, user: User, public_id: str | None, *,
                  errors: list[FieldError] | None = None, values: dict[str, Any] | None = None,
                  status_code: int = 200) -> Response:
    """The form for a new session, or one session with its attendance; trainees filterable by department."""
    training.check_can_see_roster(user)
    held = training.get_session(session, public_id) if public_id else None
    slug = request.query_params.get("department") or ""
    department = training.department_by_slug(session, slug)
    today = _today()
    trainees = training.list_trainees(session, user, department_id=department.id if department else None,
                                      today=held.held_on if held else today, include_left=held is not None)
    attended = training.attendee_ids(session, held) if held else set(values.get("trainees", []) if values else [])
    context = {**_common(request, session, locale), "held": held, "trainees": [t for t, _n in trainees],
               "attended": attended, "department": department, "can_record": training.can_record(user),
               "departments": training.visible_departments(session, user), "errors": errors or [],
               "values": values or {"held_on": today.isoformat(), "hours": "2"},
               "filter_query": urlencode({"department": slug}) if slug else ""}
    return web.render(request, "dpo/staff/training_session.html", context, status_code=status_code)


@router.get("/sessions/new")
def new_session(request: Request, session: DbSession, locale: Locale, user: DpoStaff) -> Response:
    return _session_page(request, session, locale, user, None)


@router.post("/sessions", dependencies=STAFF_POST)
def record_session(request: Request, session: DbSession, locale: Locale, user: DpoStaff,
                   form: PostedForm) -> Response:
    values: dict[str, Any] = text_values(form, ("title", "held_on", "hours", "trainer"))
    values["trainees"] = _ids(form, "trainees")
    try:
        held = training.record_session(session, user, title=values.get("title", ""),
                                       held_on=_parse_day(values.get("held_on")),
                                       hours=_parse_hours(values.get("hours")), trainer=values.get("trainer"),
                                       trainee_ids=values["trainees"])
    except PracaError as exc:
        session.rollback()
        return _session_page(request, session, locale, user, None, errors=[_error(exc, "title")], values=values,
                             status_code=422)
    session.commit()
    return RedirectResponse(f"/staff/training/sessions/{held.public_id}?done=recorded", status_code=303)


@router.get("/sessions/{public_id}")
def session_page(request: Request, session: DbSession, locale: Locale, user: AnyStaff, public_id: str) -> Response:
    return _session_page(request, session, locale, user, public_id)


@router.post("/sessions/{public_id}/attendance", dependencies=STAFF_POST)
def attendance(request: Request, session: DbSession, locale: Locale, user: DpoStaff, public_id: str,
               form: PostedForm) -> Response:
    try:
        training.set_attendance(session, user, public_id, shown_ids=_ids(form, "shown"),
                                attended_ids=_ids(form, "trainees"))
    except PracaError as exc:
        if exc.status == 404:
            raise
        session.rollback()
        return _session_page(request, session, locale, user, public_id, errors=[_error(exc, "trainees")],
                             status_code=422)
    session.commit()
    back = request.query_params.get("department")
    query = urlencode({"department": back, "done": "attendance"} if back else {"done": "attendance"})
    return RedirectResponse(f"/staff/training/sessions/{public_id}?{query}", status_code=303)
