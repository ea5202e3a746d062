"""The citizen's side of the DPO desk: report an unlisted device, ask a question, exercise a right,
complain to the Inhabitant Ombudsman, confirm an e-mail address, follow the case.

No account: on success the browser is sent to `/follow/<token>`, and that link is the citizen's only
key. Every form is CSRF-checked and rate-limited; an invalid one comes back with a summary of what
to fix and nothing written (a document is checked with the rest, before anything is stored). Staff
pages are in `staff_pages.py` and `attachment_pages.py`, mounted through this router.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from praca.core import files, web
from praca.core.db import DbSession
from praca.core.errors import PracaError
from praca.core.i18n import LOCALES, Locale, _
from praca.core.security import csrf_protect, rate_limit
from praca.dpo import attachment_pages, intake, labels, notifications, service, staff_pages
from praca.dpo.forms import (
    REQUIRED_EMAIL,
    FieldError,
    all_text_values,
    document_error,
    parse,
    photo_error,
    posted_form,
    text_values,
    uploaded,
)
from praca.dpo.labels import N_
from praca.dpo.models import Case, CaseKind
from praca.dpo.schemas import (
    DESCRIPTION_LIMITS,
    FOLLOW_UP_MAX,
    NAME_MAX,
    QUESTION_LIMITS,
    ComplaintForm,
    FollowUpForm,
    QuestionForm,
    ReportForm,
    RightsRequestForm,
)
from praca.registry import service as registry_service
from praca.registry import taxonomy
from praca.settings import Settings

router = APIRouter(include_in_schema=False)
router.include_router(staff_pages.router)
router.include_router(attachment_pages.router)

# One budget per client for everything that lands in the DPO's inbox.
CITIZEN_POST = [Depends(csrf_protect), Depends(rate_limit("report"))]
PostedForm = Annotated[FormData, Depends(posted_form)]
REPORT_FIELDS = ("lat", "lon", "device_type", "description", "email")
QUESTION_FIELDS = ("topic", "message", "email")
RIGHTS_FIELDS = ("data_right", "name", "email", "message")
COMPLAINT_FIELDS = ("message", "reference", "email")
FOLLOW_UP_MESSAGES = {"message": N_("Write your message: at most 4000 characters.")}


def _lang_query(request: Request) -> str:
    """Keep an explicit ?lang= across a form post (the locale is read from the URL, not the form)."""
    lang = request.query_params.get("lang")
    return f"?lang={lang}" if lang in LOCALES else ""


def _page(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    common = {
        "lang_query": _lang_query(request),
        "labels": labels,
        "limits": {"description": DESCRIPTION_LIMITS, "question": QUESTION_LIMITS, "follow_up": FOLLOW_UP_MAX,
                   "name": NAME_MAX},
        "tile_attribution": web.tile_attribution(settings.map_tile_url),
        "max_mb": settings.upload_max_bytes // (1024 * 1024),
    }
    return web.render(request, template, {**common, **context}, status_code=status_code)


def _choices(texts: dict[str, str], explanations: dict[str, str] | None = None) -> list[tuple[str, str, str | None]]:
    """A radio group's (code, label, explanation) in the reader's language, in the codes' order."""
    return [(code, _(text), _(explanations[code]) if explanations else None) for code, text in texts.items()]


def _follow_redirect(request: Request, token: str, notice: str) -> RedirectResponse:
    """POST/redirect/GET to the case's page, so a reload cannot post twice."""
    query = _lang_query(request)
    query = f"{query}&{notice}" if query else f"?{notice}"
    return RedirectResponse(f"/follow/{token}{query}", status_code=303)


# --- report an unlisted device ---------------------------------------------------------------------------------

def _coordinate(raw: str | None, low: float, high: float) -> str:
    """A prefilled coordinate from the map's link, if it is a number in range; otherwise empty."""
    try:
        value = float(raw or "")
    except ValueError:
        return ""
    return f"{value:.6f}" if low <= value <= high else ""


def _report_page(request: Request, locale: str, values: dict[str, str], errors: list[FieldError],
                 status_code: int = 200) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    centre = (values.get("lat") or settings.city_center[0], values.get("lon") or settings.city_center[1])
    return _page(request, "dpo/report.html", {
        "values": values, "errors": errors, "centre": centre,
        "type_choices": [(t.value, taxonomy.label(t.value, locale)) for t in taxonomy.DeviceType],
    }, status_code)


@router.get("/report", name="dpo_report")
def report_form(request: Request, locale: Locale, lat: str | None = None, lon: str | None = None) -> Response:
    values = {"lat": _coordinate(lat, -90, 90), "lon": _coordinate(lon, -180, 180)}
    return _report_page(request, locale, values, [])


@router.post("/report", dependencies=CITIZEN_POST)
def submit_report(request: Request, session: DbSession, locale: Locale, form: PostedForm) -> Response:
    settings: Settings = request.app.state.settings
    values = text_values(form, REPORT_FIELDS)
    report, errors = parse(ReportForm, values)
    if report is not None and service.outside_city(settings, report.lat, report.lon):
        errors.append(FieldError("lat", _("This place is outside %(city)s. Put the pin where you saw the device.")
                                 % {"city": settings.city_name}))
    image = None
    if (upload := uploaded(form, "photo")) is not None:
        try:
            image = files.sanitise_image(upload.file, max_bytes=settings.upload_max_bytes,
                                         max_pixels=settings.image_max_pixels)
        except PracaError as exc:
            errors.append(photo_error(exc, settings.upload_max_bytes))
    if errors or report is None:
        return _report_page(request, locale, values, errors, status_code=422)
    photo = files.store(service.photo_dir(settings), image) if image else None
    token = service.open_report(session, settings, report, locale=locale, photo=photo)[1]
    session.commit()
    return _follow_redirect(request, token, "sent=new")


# --- ask a question ------------------------------------------------------------------------------------------

def _device(session: DbSession, device_id: str | None) -> Any:
    return registry_service.get_device(session, device_id) if device_id is not None else None


def _ask_page(request: Request, device: Any, values: dict[str, str], errors: list[FieldError],
              status_code: int = 200) -> HTMLResponse:
    action = f"/devices/{device.public_id}/ask" if device is not None else "/ask"
    return _page(request, "dpo/ask.html", {"device": device, "action": action, "values": values, "errors": errors,
                                           "topics": _choices(labels.TOPIC_LABELS)}, status_code)


def _submit_question(request: Request, session: DbSession, locale: str, form: FormData,
                     device_id: str | None) -> Response:
    device = _device(session, device_id)
    values = text_values(form, QUESTION_FIELDS)
    question, errors = parse(QuestionForm, values)
    if question is None:
        return _ask_page(request, device, values, errors, status_code=422)
    token = service.open_question(session, request.app.state.settings, question, locale=locale,
                                  device_public_id=device_id)[1]
    session.commit()
    return _follow_redirect(request, token, "sent=new")


@router.get("/ask", name="dpo_ask")
def ask_form(request: Request, locale: Locale) -> Response:
    return _ask_page(request, None, {}, [])


@router.post("/ask", dependencies=CITIZEN_POST)
def submit_question(request: Request, session: DbSession, locale: Locale, form: PostedForm) -> Response:
    return _submit_question(request, session, locale, form, None)


@router.get("/devices/{device_id}/ask", name="dpo_ask_device")
def ask_about_device(request: Request, session: DbSession, locale: Locale, device_id: str) -> Response:
    return _ask_page(request, _device(session, device_id), {}, [])


@router.post("/devices/{device_id}/ask", dependencies=CITIZEN_POST)
def submit_device_question(request: Request, session: DbSession, locale: Locale, form: PostedForm,
                           device_id: str) -> Response:
    return _submit_question(request, session, locale, form, device_id)


# --- documents ----------------------------------------------------------------------------------------------

def _document(request: Request, form: FormData) -> tuple[Any, FieldError | None]:
    """The chosen document, checked in memory (nothing stored yet), or the message saying why not."""
    settings: Settings = request.app.state.settings
    upload = uploaded(form, "document")
    if upload is None:
        return None, None
    try:
        return intake.read_document(upload.file, settings), None
    except PracaError as exc:
        return None, document_error(exc, settings.upload_max_bytes)


def _store(request: Request, document: Any) -> intake.StoredDocument | None:
    return intake.store_document(request.app.state.settings, document) if document is not None else None


# --- exercise a right ----------------------------------------------------------------------------------------

def _rights_page(request: Request, values: dict[str, str], errors: list[FieldError],
                 status_code: int = 200) -> HTMLResponse:
    return _page(request, "dpo/rights.html", {
        "values": values, "errors": errors, "rights": _choices(labels.RIGHT_LABELS, labels.RIGHT_EXPLANATIONS),
    }, status_code)


@router.get("/rights", name="dpo_rights")
def rights_form(request: Request, locale: Locale) -> Response:
    return _rights_page(request, {}, [])


@router.post("/rights", dependencies=CITIZEN_POST)
def submit_rights_request(request: Request, session: DbSession, locale: Locale, form: PostedForm) -> Response:
    """Open the request, e-mail the confirmation link, and show the follow-up page, which says so."""
    values = all_text_values(form, RIGHTS_FIELDS)
    data, errors = parse(RightsRequestForm, values, {"email": REQUIRED_EMAIL})
    document, problem = _document(request, form)
    if problem is not None:
        errors.append(problem)
    if errors or data is None:
        return _rights_page(request, values, errors, status_code=422)
    token = intake.open_rights_request(session, request.app.state.settings, data, locale=locale,
                                       document=_store(request, document))[1]
    session.commit()
    return _follow_redirect(request, token, "sent=new")


# --- confirm the e-mail address of a rights request ---------------------------------------------------------

def _verify_page(request: Request, token: str, case: Case | None, status_code: int = 200) -> Response:
    settings: Settings = request.app.state.settings
    return web.no_store(_page(request, "dpo/verify.html", {"case": case, "token": token,
                                                        "hours": settings.dpo_verification_hours}, status_code))


@router.get("/verify/{token}", name="dpo_verify")
def verify_form(request: Request, session: DbSession, locale: Locale, token: str) -> Response:
    """A button, never the change itself: mail scanners and link previews open links on their own."""
    try:
        case = intake.request_to_verify(session, request.app.state.settings, token)
    except intake.VerificationExpired:
        return _verify_page(request, token, None, status_code=410)
    return _verify_page(request, token, case)


@router.post("/verify/{token}", dependencies=CITIZEN_POST)
def verify(request: Request, session: DbSession, locale: Locale, token: str) -> Response:
    try:
        intake.verify(session, request.app.state.settings, token)
    except intake.VerificationExpired:
        return _verify_page(request, token, None, status_code=410)
    session.commit()
    return RedirectResponse(f"/verified{_lang_query(request)}", status_code=303)


@router.get("/verified", name="dpo_verified")
def verified(request: Request, locale: Locale) -> Response:
    """After confirming: the citizen's case is behind the follow-up link, which only the e-mail holds."""
    return _page(request, "dpo/verified.html", {})


# --- complain to the Inhabitant Ombudsman ---------------------------------------------------------------------

def _complaint_page(request: Request, values: dict[str, str], errors: list[FieldError],
                    status_code: int = 200) -> HTMLResponse:
    return _page(request, "dpo/complaint.html", {"values": values, "errors": errors}, status_code)


@router.get("/complaint", name="dpo_complaint")
def complaint_form(request: Request, locale: Locale) -> Response:
    return _complaint_page(request, {}, [])


@router.post("/complaint", dependencies=CITIZEN_POST)
def submit_complaint(request: Request, session: DbSession, locale: Locale, form: PostedForm) -> Response:
    values = all_text_values(form, COMPLAINT_FIELDS)
    data, errors = parse(ComplaintForm, values)
    document, problem = _document(request, form)
    if problem is not None:
        errors.append(problem)
    if errors or data is None:
        return _complaint_page(request, values, errors, status_code=422)
    token = intake.open_complaint(session, request.app.state.settings, data, locale=locale,
                                  document=_store(request, document))[1]
    session.commit()
    return _follow_redirect(request, token, "sent=new")


# --- follow a case ---------------------------------------------------------------------------------------------

SUBMISSION_TITLES = {
    CaseKind.QUESTION: N_("Your question"),
    CaseKind.UNLISTED_DEVICE: N_("Your report"),
    CaseKind.RIGHTS_REQUEST: N_("Your request"),
    CaseKind.COMPLAINT: N_("Your complaint"),
}
RECEIVED_NOTICES = {
    CaseKind.QUESTION: N_("Thank you. We have received your question."),
    CaseKind.UNLISTED_DEVICE: N_("Thank you. We have received your report."),
    CaseKind.RIGHTS_REQUEST: N_("Thank you. One more step: confirm your e-mail address."),
    CaseKind.COMPLAINT: N_("Thank you. We have received your complaint."),
}
MEDIA_NAMES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP"}


def _follow_page(request: Request, session: DbSession, token: str, case: Case, values: dict[str, str],
                 errors: list[FieldError], status_code: int = 200) -> Response:
    settings: Settings = request.app.state.settings
    thread = service.public_thread(case)
    locale = request.state.locale
    return web.no_store(_page(request, "dpo/follow.html", {
        "case": case, "token": token, "submission": thread[0] if thread else None, "thread": thread[1:],
        "is_report": case.kind == CaseKind.UNLISTED_DEVICE,
        "submission_title": SUBMISSION_TITLES[case.kind], "received_notice": RECEIVED_NOTICES[case.kind],
        "awaiting_confirmation": intake.awaiting_confirmation(case),
        "verification_hours": settings.dpo_verification_hours,
        "due_text": notifications.format_day(case.due_date, locale) if case.due_date else None,
        "documents": intake.documents_by_message(session, case), "media_names": MEDIA_NAMES,
        "type_label": taxonomy.label(case.suspected_type, locale),
        "device": registry_service.find_device(session, case.device_public_id),
        "outcome_device": registry_service.find_device(session, case.outcome_device_public_id),
        "is_final": case.status in service.FINAL,
        "follow_url": f"{settings.base_url.rstrip('/')}/follow/{token}",
        "sent": request.query_params.get("sent"),
        "values": values, "errors": errors,
    }, status_code))


@router.get("/follow/{token}", name="dpo_follow")
def follow(request: Request, session: DbSession, locale: Locale, token: str) -> Response:
    return _follow_page(request, session, token, service.case_for_token(session, token), {}, [])


@router.post("/follow/{token}/message", dependencies=CITIZEN_POST)
def add_message(request: Request, session: DbSession, locale: Locale, form: PostedForm, token: str) -> Response:
    """A message, a document, or both; everything is checked before the document is stored."""
    case = service.case_for_token(session, token)
    values = text_values(form, ("message",))
    document, problem = _document(request, form)
    body: str | None = None
    if document is not None and not values.get("message", "").strip():
        body, errors = "", []  # a document may come on its own
    else:
        follow_up, errors = parse(FollowUpForm, values, FOLLOW_UP_MESSAGES)
        body = follow_up.message if follow_up is not None else None
    if problem is not None:
        errors.append(problem)
    if case.status in service.FINAL:
        errors = [FieldError("message", _("This request is closed. To ask something new, send a new question."))]
    if errors or body is None:  # refused before anything was written
        return _follow_page(request, session, token, case, values, errors, 422)
    intake.add_citizen_message_with_document(session, case, body, _store(request, document))
    session.commit()
    return _follow_redirect(request, token, "sent=message")
