"""Citizens' comments and questions, dataset requests and their supporters, reuses; staff moderation.

Thin, as every page module: parse the form → participation → template. Citizens need no account: every
form is CSRF-checked and rate-limited, an invalid one comes back with a summary of what to fix and
nothing written, and a valid one lands pending until a moderator (steward, admin or DPO) approves it
at /staff/data/moderation. The dataset page (pages.py) includes the partials
`opendata/participation_comments.html` and `opendata/participation_reuses.html`; /data/{name}/discussion
shows them on their own.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from praca.core import web
from praca.core.auth import Role, User, require_role
from praca.core.db import DbSession
from praca.core.errors import NotFound, PracaError
from praca.core.i18n import LOCALES, Locale, _
from praca.core.security import csrf_protect, rate_limit
from praca.opendata import participation, service
from praca.opendata.api import SUBMIT_BUCKET, SUPPORT_BUCKET, keep_supporter_token, supporter_token
from praca.opendata.models import Dataset
from praca.opendata.participation_schemas import (
    ANSWER_MAX,
    AUTHOR_MAX,
    COMMENT_LIMITS,
    NAME_OR_ID,
    NOTE_MAX,
    REJECT_REASONS,
    REQUEST_DESCRIPTION_LIMITS,
    REQUEST_TITLE_LIMITS,
    REUSE_DESCRIPTION_MAX,
    REUSE_TITLE_LIMITS,
    STAFF_REQUEST_STATUSES,
    URL_MAX,
    AnswerIn,
    CommentIn,
    Decision,
    RequestIn,
    RequestUpdate,
    ReuseIn,
)

router = APIRouter(include_in_schema=False)

N_ = str  # marks a message for extraction; translated where it is shown
M = TypeVar("M", bound=BaseModel)
PAGE = 20
CITIZEN_SUBMIT = [Depends(csrf_protect), Depends(rate_limit(SUBMIT_BUCKET))]
CITIZEN_SUPPORT = [Depends(csrf_protect), Depends(rate_limit(SUPPORT_BUCKET))]
STAFF_POST = [Depends(csrf_protect)]
Moderator = Annotated[User, Depends(require_role(Role.STEWARD, Role.ADMIN, Role.DPO))]
CHECK_FIELD = N_("Check this field.")

COMMENT_MESSAGES = {
    "kind": N_("Choose whether it is a comment or a question."),
    "body": N_("Write your message in 3 to 2000 characters."),
    "author": N_("Write a name of at most 80 characters, or leave it empty."),
}
REQUEST_MESSAGES = {
    "title": N_("Give the request a title of 5 to 200 characters."),
    "description": N_("Describe the data you need in 10 to 4000 characters."),
    "organization": N_("Choose a publisher from the list, or “I do not know”."),
}
REUSE_MESSAGES = {
    "title": N_("Give the reuse a title of 3 to 200 characters."),
    "url": N_("Enter the web address where it can be seen, starting with https:// or http://."),
    "kind": N_("Choose what kind of reuse it is."),
    "description": N_("Describe it in at most 2000 characters."),
    "author": N_("Write a name of at most 80 characters, or leave it empty."),
    "datasets": N_("Choose at least one of the portal's datasets that it uses (at most 20)."),
}
STAFF_MESSAGES = {
    "action": N_("Choose approve or reject."),
    "reason": N_("Choose why it is rejected."),
    "note": N_("Write the note in at most 1000 characters."),
    "answer": N_("Write the answer: at most 4000 characters."),
    "status": N_("Choose one of the statuses offered."),
    "dataset": N_("Choose the published dataset that fulfils the request."),
}
# Every refusal participation.py words (tests check the list is whole): pages show them translated,
# and the app's error page translates the ones that reach it.
REFUSALS = (
    N_("This contribution was already moderated."), N_("Choose why it is rejected."),
    N_("Approve the comment before answering it."), N_("No such comment."), N_("No such dataset request."),
    N_("This request is not open for support."), N_("Moderate the request first."),
    N_("This request cannot move to that status."), N_("Say why the request is declined."),
    N_("Choose the published dataset that fulfils the request."), N_("Only a fulfilled request links to a dataset."),
    N_("Nothing to change: choose another status or write an answer."), N_("No such reuse."),
    N_("Unknown request status."), N_("No such dataset."),
)


@dataclass(frozen=True)
class FieldError:
    """One message for one form control; `field` is the control's id, so the summary links to it."""

    field: str
    message: str


def _parse(model: type[M], values: dict[str, Any], messages: dict[str, str], prefix: str = ""
           ) -> tuple[M | None, list[FieldError]]:
    """Validate; on failure, one translated message per field, in the form's order."""
    try:
        return model.model_validate(values), []
    except ValidationError as exc:
        failed = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
        order = [f for f in model.model_fields if f in failed]  # the schemas list fields in the forms' order
        return None, [FieldError(prefix + f, _(messages.get(f, CHECK_FIELD))) for f in order]


def _texts(form: FormData, fields: tuple[str, ...]) -> dict[str, str]:
    """The text fields we expect and nothing else (files and unknown fields are left out)."""
    return {name: value for name in fields if isinstance(value := form.get(name), str)}


def _with_lang(request: Request, url: str) -> str:
    """Keep an explicit ?lang= across a form post (the locale is read from the URL, not the form)."""
    lang = request.query_params.get("lang")
    if lang not in LOCALES:
        return url
    path, _sep, fragment = url.partition("#")
    return f"{path}{'&' if '?' in path else '?'}lang={lang}" + (f"#{fragment}" if fragment else "")


def _redirect(request: Request, url: str) -> RedirectResponse:
    """POST/redirect/GET, so a reload cannot post twice."""
    return RedirectResponse(_with_lang(request, url), status_code=303)


def _dataset(session: DbSession, name: str) -> Dataset:
    """A public dataset by name or id; anything that cannot be one (a NUL, a space) is simply not found."""
    if not re.fullmatch(NAME_OR_ID, name):
        raise NotFound("No such dataset.", field="id")
    return service.get_dataset(session, name)


def _public_id(value: str) -> str:
    """A contribution's id as stored (a UUID), or not found."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise NotFound("Nothing here: check the address.") from None


def _pages(total: int) -> int:
    return max(1, -(-total // PAGE))


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and 0 < len(raw) < 6 else 1


# --- comments and questions ---------------------------------------------------------------------------------

COMMENT_LIMIT_CONTEXT = {"comment": COMMENT_LIMITS, "author": AUTHOR_MAX}


def _discussion(request: Request, session: DbSession, dataset: Dataset, values: dict[str, str] | None = None,
                errors: list[FieldError] | None = None, status_code: int = 200) -> Response:
    return web.render(request, "opendata/participation_discussion.html", {
        "dataset": dataset, "comments": participation.public_comments(session, dataset),
        "reuses": participation.public_reuses(session, dataset), "comment_values": values or {},
        "comment_errors": errors or [], "comments_return": "discussion", "limits": COMMENT_LIMIT_CONTEXT,
    }, status_code=status_code)


@router.get("/data/{name}/discussion")
def discussion(request: Request, session: DbSession, locale: Locale, name: str) -> Response:
    """A dataset's comments, questions and reuses on their own page (the dataset page includes them too)."""
    return _discussion(request, session, _dataset(session, name))


@router.post("/data/{name}/comments", dependencies=CITIZEN_SUBMIT)
async def post_comment(request: Request, session: DbSession, locale: Locale, name: str) -> Response:
    dataset = _dataset(session, name)
    form = await request.form()
    values = _texts(form, ("kind", "body", "author"))
    comment, errors = _parse(CommentIn, values, COMMENT_MESSAGES, prefix="comment-")
    if comment is None:
        return _discussion(request, session, dataset, values, errors, status_code=422)
    participation.submit_comment(session, dataset, comment)
    session.commit()
    page = f"/data/{dataset.name}" if form.get("return_to") != "discussion" else f"/data/{dataset.name}/discussion"
    return _redirect(request, f"{page}?sent=comment#discussion")


# --- dataset requests -----------------------------------------------------------------------------------------

REQUEST_LIMIT_CONTEXT = {"title": REQUEST_TITLE_LIMITS, "description": REQUEST_DESCRIPTION_LIMITS}


@router.get("/data/requests")
def request_list(request: Request, session: DbSession, locale: Locale, status: str | None = None,
                 sort: str | None = None, page: str | None = None) -> Response:
    """Requests with their supporters, most supported first; declined ones on their own tab."""
    declined = status == "declined"
    order = "newest" if sort == "newest" else "support"
    number = _page_number(page)
    total, views = participation.list_requests(
        session, statuses=("declined",) if declined else participation.LISTED_REQUESTS, sort=order, limit=PAGE,
        offset=(number - 1) * PAGE)
    return web.render(request, "opendata/participation_requests.html", {
        "views": views, "total": total, "declined": declined, "sort": order, "page": number, "pages": _pages(total)})


def _request_form(request: Request, session: DbSession, values: dict[str, str], errors: list[FieldError],
                  status_code: int = 200) -> Response:
    organizations = [org for org, _count in service.list_organizations(session)]
    return web.render(request, "opendata/participation_request_form.html", {
        "values": values, "errors": errors, "organizations": organizations, "limits": REQUEST_LIMIT_CONTEXT,
    }, status_code=status_code)


@router.get("/data/requests/new")
def new_request(request: Request, session: DbSession, locale: Locale) -> Response:
    return _request_form(request, session, {}, [])


@router.post("/data/requests/new", dependencies=CITIZEN_SUBMIT)
async def post_request(request: Request, session: DbSession, locale: Locale) -> Response:
    values = _texts(await request.form(), ("title", "description", "organization"))
    data, errors = _parse(RequestIn, values, REQUEST_MESSAGES)
    if data is None:
        return _request_form(request, session, values, errors, status_code=422)
    token = supporter_token(request) or participation.new_supporter_token()
    try:
        created = participation.submit_request(session, data, token)
    except PracaError:  # a publisher that left the list while the form was open
        session.rollback()
        message = REQUEST_MESSAGES["organization"]
        errors = [FieldError("organization", _(message))]
        return _request_form(request, session, values, errors, status_code=422)
    session.commit()
    response = _redirect(request, f"/data/requests/{created.public_id}?sent=new")
    keep_supporter_token(request, response, token)
    return response


def _find_request(request: Request, session: DbSession, request_id: str, token: str | None):
    return participation.get_request(session, _public_id(request_id), supporter_token=token)


@router.get("/data/requests/{request_id}")
def request_page(request: Request, session: DbSession, locale: Locale, request_id: str) -> Response:
    """A request with its status and answer; its author's browser sees it while it is pending, too."""
    token = supporter_token(request)
    found = _find_request(request, session, request_id, token)
    response = web.render(request, "opendata/participation_request.html", {
        "view": participation.request_view(session, found), "supported": participation.supports(session, found, token),
    })
    return web.no_store(response) if found.status in ("pending", "rejected") else response


@router.post("/data/requests/{request_id}/support", dependencies=CITIZEN_SUPPORT)
def support_request(request: Request, session: DbSession, locale: Locale, request_id: str) -> Response:
    token = supporter_token(request) or participation.new_supporter_token()
    found = _find_request(request, session, request_id, token)
    counted = participation.support(session, found, token)
    session.commit()
    response = _redirect(request, f"/data/requests/{found.public_id}?supported={int(counted)}")
    keep_supporter_token(request, response, token)
    return response


# --- reuses -------------------------------------------------------------------------------------------------------

REUSE_LIMIT_CONTEXT = {"title": REUSE_TITLE_LIMITS, "url": URL_MAX, "description": REUSE_DESCRIPTION_MAX,
                       "author": AUTHOR_MAX}


def _kinds() -> list[tuple[str, str]]:
    return [("application", _("Application")), ("article", _("Article")), ("visualization", _("Visualisation")),
            ("api", _("API")), ("idea", _("Idea"))]


def _public_dataset(session: DbSession, name: str | None) -> Dataset | None:
    if not name:
        return None
    try:
        return _dataset(session, name)
    except NotFound:
        return None


@router.get("/data/reuses")
def reuse_list(request: Request, session: DbSession, locale: Locale, kind: str | None = None,
               dataset: str | None = None, page: str | None = None) -> Response:
    chosen_kind = kind if kind in dict(_kinds()) else None
    filtered_by = _public_dataset(session, dataset)
    number = _page_number(page)
    total, views = participation.list_reuses(session, kind=chosen_kind, dataset=filtered_by, limit=PAGE,
                                             offset=(number - 1) * PAGE)
    return web.render(request, "opendata/participation_reuse_list.html", {
        "views": views, "total": total, "kinds": _kinds(), "kind": chosen_kind, "dataset": filtered_by,
        "page": number, "pages": _pages(total)})


def _reuse_form(request: Request, session: DbSession, values: dict[str, str], chosen: list[str],
                errors: list[FieldError], status_code: int = 200) -> Response:
    return web.render(request, "opendata/participation_reuse_form.html", {
        "values": values, "chosen": chosen, "errors": errors, "kinds": _kinds(),
        "datasets": service.public_datasets(session), "limits": REUSE_LIMIT_CONTEXT,
    }, status_code=status_code)


@router.get("/data/reuses/new")
def new_reuse(request: Request, session: DbSession, locale: Locale, dataset: str | None = None) -> Response:
    return _reuse_form(request, session, {}, [dataset] if dataset else [], [])


@router.post("/data/reuses/new", dependencies=CITIZEN_SUBMIT)
async def post_reuse(request: Request, session: DbSession, locale: Locale) -> Response:
    form = await request.form()
    values = _texts(form, ("title", "url", "kind", "description", "author"))
    chosen = [v for v in form.getlist("datasets") if isinstance(v, str)]
    data, errors = _parse(ReuseIn, {**values, "datasets": chosen}, REUSE_MESSAGES)
    if data is not None:
        try:
            participation.submit_reuse(session, data)
        except PracaError:  # a dataset withdrawn while the form was open
            session.rollback()
            message = REUSE_MESSAGES["datasets"]
            errors = [FieldError("datasets", _(message))]
    if errors:
        return _reuse_form(request, session, values, chosen, errors, status_code=422)
    session.commit()
    return _redirect(request, "/data/reuses?sent=reuse")


# --- staff moderation -------------------------------------------------------------------------------------------

MODERATION = "/staff/data/moderation"


def _moderation(request: Request, session: DbSession, error: str | None = None, status_code: int = 200) -> Response:
    response = web.render(request, "opendata/participation_moderation.html", {
        "comments": participation.pending_comments(session), "questions": participation.unanswered_questions(session),
        "pending_requests": participation.list_requests(session, statuses=("pending",), sort="newest", limit=500)[1],
        "active_requests": participation.list_requests(session, statuses=("open", "planned"), limit=500)[1],
        "reuses": participation.pending_reuses(session), "datasets": service.public_datasets(session),
        "reasons": REJECT_REASONS, "statuses": STAFF_REQUEST_STATUSES,
        "limits": {"answer": ANSWER_MAX, "note": NOTE_MAX}, "done": request.query_params.get("done") == "1",
        "error": error,
    }, status_code=status_code)
    return web.no_store(response)


def _refusal(exc: ValidationError | PracaError) -> str:
    """A moderator's mistake in their language: the field's message, or the domain's refusal."""
    if isinstance(exc, ValidationError):
        field = next((str(e["loc"][0]) for e in exc.errors() if e["loc"]), "")
        return _(STAFF_MESSAGES.get(field, CHECK_FIELD))
    return _(exc.message)


async def _staff_action(request: Request, session: DbSession, fields: tuple[str, ...], model: type[M],
                        act) -> Response:
    values = _texts(await request.form(), fields)
    try:
        act(model.model_validate(values))
    except (ValidationError, PracaError) as exc:
        if isinstance(exc, NotFound):
            raise
        session.rollback()
        return _moderation(request, session, _refusal(exc), status_code=422 if isinstance(exc, ValidationError)
                           else exc.status)
    session.commit()
    return RedirectResponse(f"{MODERATION}?done=1", status_code=303)


@router.get(MODERATION)
def moderation(request: Request, session: DbSession, locale: Locale, user: Moderator) -> Response:
    return _moderation(request, session)


@router.post(MODERATION + "/comments/{public_id}", dependencies=STAFF_POST)
async def moderate_comment(request: Request, session: DbSession, locale: Locale, user: Moderator,
                           public_id: str) -> Response:
    comment = participation.get_comment(session, _public_id(public_id))
    return await _staff_action(request, session, ("action", "reason"), Decision,
                               lambda d: participation.moderate_comment(session, comment, d, user.actor))


@router.post(MODERATION + "/comments/{public_id}/answer", dependencies=STAFF_POST)
async def answer_comment(request: Request, session: DbSession, locale: Locale, user: Moderator,
                         public_id: str) -> Response:
    comment = participation.get_comment(session, _public_id(public_id))
    return await _staff_action(request, session, ("answer",), AnswerIn,
                               lambda a: participation.answer_comment(session, comment, a.answer, user.actor))


def _staff_request(session: DbSession, public_id: str):
    return participation.get_request(session, _public_id(public_id), include_hidden=True)


@router.post(MODERATION + "/requests/{public_id}", dependencies=STAFF_POST)
async def moderate_request(request: Request, session: DbSession, locale: Locale, user: Moderator,
                           public_id: str) -> Response:
    found = _staff_request(session, public_id)
    return await _staff_action(request, session, ("action", "reason", "note"), Decision,
                               lambda d: participation.moderate_request(session, found, d, user.actor))


@router.post(MODERATION + "/requests/{public_id}/status", dependencies=STAFF_POST)
async def update_request(request: Request, session: DbSession, locale: Locale, user: Moderator,
                         public_id: str) -> Response:
    found = _staff_request(session, public_id)
    return await _staff_action(request, session, ("status", "answer", "dataset"), RequestUpdate,
                               lambda u: participation.update_request(session, found, u, user.actor))


@router.post(MODERATION + "/reuses/{public_id}", dependencies=STAFF_POST)
async def moderate_reuse(request: Request, session: DbSession, locale: Locale, user: Moderator,
                         public_id: str) -> Response:
    reuse = participation.get_reuse(session, _public_id(public_id))
    return await _staff_action(request, session, ("action", "reason"), Decision,
                               lambda d: participation.moderate_reuse(session, reuse, d, user.actor))
