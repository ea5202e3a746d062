"""The DPO desk for staff: the inbox and one case (thread, pin, photo, reply, note, status, outcome).

Any staff role reads (a liaison only their department's cases); the DPO and admins act. Each action
is a small form posting to its own URL; an invalid one re-renders the case with the form's errors
(422), a valid one commits once and redirects back (POST/redirect/GET).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from praca.core import files, web
from praca.core.auth import AnyStaff, Department, User
from praca.core.db import DbSession
from praca.core.errors import InvalidInput, NotFound
from praca.core.i18n import Locale, _
from praca.core.security import csrf_protect
from praca.dpo import labels, service
from praca.dpo.forms import FieldError, parse, posted_form, text_values, tile_attribution
from praca.dpo.labels import N_
from praca.dpo.models import Case, CaseKind, CaseStatus
from praca.dpo.register_draft import draft_device
from praca.dpo.schemas import CaseFilter, OutcomeForm, StaffMessageForm, StatusForm
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
NOTICES = {
    "replied": N_("Your reply was posted."),
    "noted": N_("Your internal note was added."),
    "status": N_("The status was changed."),
    "closed": N_("The report was closed with its outcome."),
}


# --- the inbox -------------------------------------------------------------------------------------------------

def _inbox_url(f: CaseFilter, offset: int) -> str:
    query = {k: v for k, v in {"kind": f.kind, "status": f.status, "q": f.q}.items() if v}
    if offset:
        query["offset"] = str(offset)
    if f.limit != CaseFilter().limit:
        query["limit"] = str(f.limit)
    return "/staff/cases" + (f"?{urlencode(query)}" if query else "")


@router.get("/cases")
def inbox(request: Request, session: DbSession, locale: Locale, user: AnyStaff,
          f: Annotated[CaseFilter, Query()]) -> Response:
    items, total = service.list_cases(session, user, f)
    prev_url = _inbox_url(f, max(f.offset - f.limit, 0)) if f.offset else None
    next_url = _inbox_url(f, f.offset + f.limit) if f.offset + f.limit < total else None
    return web.render(request, "dpo/staff/inbox.html", {
        "cases": items, "total": total, "f": f, "labels": labels, "prev_url": prev_url, "next_url": next_url,
        "first": f.offset + 1 if items else 0, "last": f.offset + len(items),
        "kinds": list(CaseKind), "statuses": list(CaseStatus),
    })


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
    is_report = case.kind == CaseKind.UNLISTED_DEVICE
    can_act = service.can_act(user)
    context: dict[str, Any] = {
        "case": case, "labels": labels, "authors": _authors(session, case), "can_act": can_act,
        "is_report": is_report, "is_final": case.status in service.FINAL,
        "next_statuses": service.next_statuses(case, user) if can_act else [],
        "department": (department.name_pt if locale == "pt" else department.name_en) if department else None,
        "device": registry_service.find_device(session, case.device_public_id),
        "outcome_device": registry_service.find_device(session, case.outcome_device_public_id),
        "type_label": taxonomy.label(case.suspected_type, locale),
        "notice": NOTICES.get(request.query_params.get("done", "")),
        "errors": errors or {}, "values": values or {},
        "tile_attribution": tile_attribution(request.app.state.settings.map_tile_url),
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
    response.headers["Cache-Control"] = "no-store"
    return response


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
