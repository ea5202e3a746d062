"""The data stewards' pages under /staff/data: the list, a dataset's metadata, its resources, publication
through the gate, the gate's report with the DPO's override, withdrawal, deletion and the history.

Thin, like the desk's pages: parse the form → `service` → template. An invalid form is shown again
with one message per field (422); a valid one commits once and redirects (POST/redirect/GET) with a
notice. Stewards, administrators and the DPO use these pages; only the DPO overrides the gate.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from praca.core import audit, web
from praca.core.auth import Role, User, require_role
from praca.core.db import DbSession
from praca.core.errors import Conflict, Forbidden, InvalidInput, NotFound, PracaError
from praca.core.i18n import Locale, _
from praca.core.security import csrf_protect
from praca.opendata import service, staff_forms
from praca.opendata.models import Dataset, DatasetVersion
from praca.opendata.schemas import ResourceIn
from praca.opendata.staff_forms import N_, FieldError
from praca.opendata.vocab import FORMATS, FREQUENCIES, LICENSES, THEMES
from praca.settings import Settings

router = APIRouter(prefix="/staff/data", include_in_schema=False)

_data_staff = require_role(Role.STEWARD, Role.ADMIN, Role.DPO)
DataStaff = Annotated[User, Depends(_data_staff)]
STAFF_POST = [Depends(_data_staff), Depends(csrf_protect)]  # the role first: a stranger's form is never read
PAGE = 50
FORM_SLACK = 1024 * 1024  # the other fields and the multipart framing around the file
CHUNK = 1024 * 1024


async def _posted_form(request: Request) -> FormData:
    """The parsed form (Starlette caches it: the CSRF check and the route read it once)."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(_posted_form)]


def upload_limit(settings: Settings) -> int:
    """Data files are far larger than the photos `upload_max_bytes` is sized for."""
    return settings.opendata_upload_max_bytes


# --- shared pieces ----------------------------------------------------------------------------------------------

def _dataset(session: Session, dataset_id: UUID) -> Dataset:
    return service.get_dataset_for_staff(session, str(dataset_id))


def _title(dataset: Dataset, locale: str) -> str:
    return dataset.title_pt if locale == "pt" else dataset.title_en


def _actors(session: Session, actors: set[str]) -> dict[str, str]:
    """Staff names for the audit actors "user:<id>" (staff read their colleagues' names; logs never do)."""
    names = {audit.SYSTEM: _("Praça (automatic)")}
    for actor in actors:
        if actor.startswith("user:") and actor[5:].isdigit():
            user = session.get(User, int(actor[5:]))
            names[actor] = user.name if user is not None else actor
    return names


def _resource_names(dataset: Dataset, locale: str) -> dict[str, str]:
    return {r.public_id: r.name_pt if locale == "pt" else r.name_en for r in dataset.resources}


def _page(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    locale = getattr(request.state, "locale", "pt")
    dataset = context.get("dataset")
    base = {"resource_names": _resource_names(dataset, locale) if isinstance(dataset, Dataset) else {},
            "labels": staff_forms, "label": staff_forms.label, "is_dpo": _is_dpo(request),
            "title_of": lambda d: _title(d, locale), "dpo_email": request.app.state.settings.dpo_email,
            "notice": staff_forms.NOTICES.get(request.query_params.get("done", ""))}
    return web.no_store(web.render(request, template, {**base, **context}, status_code=status_code))


def _is_dpo(request: Request) -> bool:
    staff = getattr(request.state, "staff", None)
    return staff is not None and staff.role == Role.DPO


def _done(dataset: Dataset, what: str, suffix: str = "") -> RedirectResponse:
    return RedirectResponse(f"/staff/data/{dataset.public_id}{suffix}?done={what}", status_code=303)


def _vocab(locale: str, session: Session) -> dict[str, list[tuple[str, str]]]:
    """Every select's and checkbox group's options as (code, label) in the reader's language."""
    i = 0 if locale == "pt" else 1
    return {
        "organization": [(org.name, org.title_pt if i == 0 else org.title_en)
                         for org, _count in service.list_organizations(session)],
        "themes": [(code, names[i]) for code, names in THEMES.items()],
        "frequency": [(code, names[i]) for code, names in FREQUENCIES.items()],
        "license_id": [(lic.id, lic.title) for lic in LICENSES.values()],
        "format": [(code, code) for code in FORMATS],
    }


# --- the list ---------------------------------------------------------------------------------------------------

@router.get("")
def dataset_list(request: Request, session: DbSession, locale: Locale, user: DataStaff, state: str = "",
                 organization: str = "", page: int = 1) -> Response:
    state = state if state in service.STATES else ""
    publishers = _vocab(locale, session)["organization"]
    organization = organization if organization in {name for name, _title in publishers} else ""
    page = max(page, 1)
    rows, total = service.staff_datasets(session, state=state or None, organization=organization or None,
                                         limit=PAGE, offset=(page - 1) * PAGE)
    query = {k: v for k, v in (("state", state), ("organization", organization)) if v}
    pages = max(-(-total // PAGE), 1)
    return _page(request, "opendata/staff_list.html", {
        "rows": rows, "total": total, "state": state, "organization": organization, "publishers": publishers,
        "states": service.STATES, "page": page, "pages": pages,
        "prev_url": f"/staff/data?{urlencode({**query, 'page': page - 1})}" if page > 1 else None,
        "next_url": f"/staff/data?{urlencode({**query, 'page': page + 1})}" if page < pages else None,
    })


# --- metadata ---------------------------------------------------------------------------------------------------

def _columns(dataset: Dataset | None, values: dict[str, Any]) -> list[str]:
    """The tabular resources' columns, for the quasi-identifier checkboxes, with any already declared."""
    columns: list[str] = []
    for resource in dataset.resources if dataset is not None else []:
        columns += [f["id"] for f in resource.fields if f["id"] not in columns]
    return columns + [c for c in values.get("quasi_identifiers", []) if c not in columns]


def _form_page(request: Request, session: Session, locale: str, values: dict[str, Any],
               dataset: Dataset | None = None, errors: list[FieldError] | None = None) -> HTMLResponse:
    return _page(request, "opendata/staff_form.html", {
        "dataset": dataset, "values": values, "errors": errors or [], "vocab": _vocab(locale, session),
        "columns": _columns(dataset, values), "bbox": staff_forms.BBOX,
    }, status_code=422 if errors else 200)


def _metadata_errors(exc: ValidationError | PracaError) -> list[FieldError]:
    if isinstance(exc, ValidationError):
        return staff_forms.dataset_errors(exc)
    field = str(exc.details.get("field", ""))
    if isinstance(exc, Conflict) and field == "name":
        return [FieldError("name", _(staff_forms.NAME_TAKEN))]
    if field == "organization":
        return [FieldError("organization", _(staff_forms.UNKNOWN_PUBLISHER))]
    if isinstance(exc, Conflict):
        return [FieldError("name", _(staff_forms.DELETED))]
    raise exc


@router.get("/new")
def new_dataset(request: Request, session: DbSession, locale: Locale, user: DataStaff) -> Response:
    return _form_page(request, session, locale, {"license_id": "CC-BY-4.0", "k_threshold": "10", "themes": [],
                                                 "quasi_identifiers": [], "bbox": {}})


@router.post("/new", dependencies=STAFF_POST)
def create_dataset(request: Request, session: DbSession, locale: Locale, user: DataStaff,
                   form: PostedForm) -> Response:
    values = staff_forms.dataset_values(form)
    try:
        dataset = service.create_dataset(session, staff_forms.dataset_in(values), user.actor)
    except (ValidationError, PracaError) as exc:
        session.rollback()
        return _form_page(request, session, locale, values, errors=_metadata_errors(exc))
    session.commit()
    return _done(dataset, "created")


@router.get("/{dataset_id:uuid}")
def dataset_page(request: Request, session: DbSession, locale: Locale, user: DataStaff,
                 dataset_id: UUID) -> Response:
    return _dataset_page(request, session, _dataset(session, dataset_id))


def _dataset_page(request: Request, session: Session, dataset: Dataset,
                  errors: dict[str, list[FieldError]] | None = None, values: dict[str, str] | None = None
                  ) -> HTMLResponse:
    latest = service.latest_version(session, dataset)
    checked = service.last_gate_check(session, dataset)
    return _page(request, "opendata/staff_dataset.html", {
        "dataset": dataset, "latest": latest, "checked": checked,
        "gate": service.gate_result(checked) if checked else None,
        "refused_now": latest is not None and latest.change == "gate_refused",
        "themes": THEMES, "frequencies": FREQUENCIES, "licenses": LICENSES,
        "errors": errors or {}, "values": values or {},
    }, status_code=422 if errors else 200)


@router.get("/{dataset_id:uuid}/edit")
def edit_dataset(request: Request, session: DbSession, locale: Locale, user: DataStaff,
                 dataset_id: UUID) -> Response:
    dataset = _dataset(session, dataset_id)
    if dataset.state == "deleted":
        raise Conflict(staff_forms.DELETED)
    return _form_page(request, session, locale, staff_forms.values_of(dataset), dataset)


@router.post("/{dataset_id:uuid}/edit", dependencies=STAFF_POST)
def update_dataset(request: Request, session: DbSession, locale: Locale, user: DataStaff, dataset_id: UUID,
                   form: PostedForm) -> Response:
    dataset = _dataset(session, dataset_id)
    values = staff_forms.dataset_values(form)
    version = dataset.version
    try:
        service.update_dataset(session, dataset, staff_forms.dataset_data(values), user.actor)
    except (ValidationError, PracaError) as exc:
        session.rollback()
        return _form_page(request, session, locale, values, _dataset(session, dataset_id),
                          errors=_metadata_errors(exc))
    session.commit()
    return _done(dataset, "saved" if dataset.version != version else "unchanged")


# --- resources --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PostedUpload:
    """The resource form, or why it was not read: its declared size alone refuses a file too large."""

    form: FormData | None
    refused: str | None = None  # "length" (no Content-Length) | "too_large"


async def posted_upload(request: Request, user: DataStaff) -> PostedUpload:
    """Role, then declared length, then the form (spooled to disk by Starlette, CSRF checked). An upload
    without a Content-Length, or declaring more than the limit, is refused before its body is read;
    the server (h11) never delivers more than the length declared."""
    limit = upload_limit(request.app.state.settings)
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        return PostedUpload(None, "length")
    if int(length) > limit + FORM_SLACK:
        return PostedUpload(None, "too_large")
    await csrf_protect(request)
    return PostedUpload(await request.form())


def _resource_page(request: Request, dataset: Dataset, values: dict[str, str],
                   errors: list[FieldError] | None = None, *, lines: list[dict[str, Any]] | None = None,
                   gate: dict[str, Any] | None = None, problem: str | None = None,
                   status_code: int | None = None) -> HTMLResponse:
    settings = request.app.state.settings
    return _page(request, "opendata/staff_resource.html", {
        "dataset": dataset, "values": values, "errors": errors or [], "formats": list(FORMATS.values()),
        "max_mb": upload_limit(settings) // (1024 * 1024), "lines": lines or [], "report": gate, "problem": problem,
    }, status_code=status_code or (422 if errors else 200))


@router.get("/{dataset_id:uuid}/resources/new")
def new_resource(request: Request, session: DbSession, user: DataStaff, dataset_id: UUID) -> Response:
    dataset = _dataset(session, dataset_id)
    if dataset.state == "deleted":
        raise Conflict(staff_forms.DELETED)
    return _resource_page(request, dataset, {})


class _TooLarge(Exception):
    """The upload grew past the limit while being copied."""


def _spool(upload: UploadFile, folder: Path, limit: int) -> Path:
    """Copy the upload to a file of our own in 1 MB chunks, counting; never the whole file in memory."""
    folder.mkdir(parents=True, exist_ok=True)
    suffix = "." + "".join(c for c in Path(upload.filename or "").suffix[1:17] if c.isascii() and c.isalnum())
    fd, name = tempfile.mkstemp(prefix="upload-", suffix=suffix, dir=folder)
    path = Path(name)
    written = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := upload.file.read(CHUNK):
                written += len(chunk)
                if written > limit:
                    raise _TooLarge
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _conversion_lines(exc: PracaError) -> list[dict[str, Any]]:
    """The lines tabular.py names, as (line, reason): ragged or unreadable CSV lines (numbered as an editor
    numbers them), lines in another encoding than the UTF-8 ones, or the XLSX row at fault."""
    details = exc.details
    if isinstance(details.get("lines"), list):
        return [{"line": item.get("line"), "reason": item.get("reason")} for item in details["lines"]
                if isinstance(item, dict)]
    if isinstance(details.get("other_lines"), list):
        return [{"line": line, "reason": None, "encoding": True} for line in details["other_lines"]]
    if details.get("row") is not None:
        return [{"line": details["row"], "reason": None}]
    return []


@router.post("/{dataset_id:uuid}/resources/new")
def add_resource(request: Request, session: DbSession, locale: Locale, user: DataStaff, dataset_id: UUID,
                 posted: Annotated[PostedUpload, Depends(posted_upload)]) -> Response:
    settings: Settings = request.app.state.settings
    dataset = _dataset(session, dataset_id)
    limit = upload_limit(settings)
    too_large = FieldError("file", _(staff_forms.TOO_LARGE) % {"mb": limit // (1024 * 1024)})
    if posted.form is None:
        if posted.refused == "too_large":
            return _resource_page(request, dataset, {}, [too_large], status_code=413)
        return _resource_page(request, dataset, {}, [FieldError("file", _(staff_forms.NO_LENGTH))],
                              status_code=411)
    values = staff_forms.resource_values(posted.form)
    upload = staff_forms.uploaded(posted.form, "file")
    data = staff_forms.resource_data(values)
    if (upload is None) == (data["url"] is None):
        return _resource_page(request, dataset, values, [FieldError("file", _(staff_forms.FILE_OR_LINK))])
    try:
        meta = ResourceIn.model_validate(data)
    except ValidationError as exc:
        return _resource_page(request, dataset, values, staff_forms.resource_errors(exc))
    spooled: Path | None = None
    try:
        if upload is not None:
            spooled = _spool(upload, settings.data_dir / "opendata" / "incoming", limit)
            if spooled.stat().st_size == 0:
                return _resource_page(request, dataset, values, [FieldError("file", _(staff_forms.EMPTY_FILE))])
        service.add_resource(session, settings, dataset, meta, user.actor, upload=spooled,
                             filename=upload.filename if upload is not None else None)
    except _TooLarge:
        session.rollback()
        return _resource_page(request, _dataset(session, dataset_id), values, [too_large], status_code=413)
    except service.GateRefused as exc:
        session.rollback()
        return _resource_page(request, _dataset(session, dataset_id), values,
                              [FieldError("file", _(staff_forms.GATE_REFUSED_FILE))], gate=exc.details.get("gate"),
                              status_code=409)
    except PracaError as exc:
        session.rollback()
        dataset = _dataset(session, dataset_id)
        field = str(exc.details.get("field", ""))
        if field == "format":
            return _resource_page(request, dataset, values, [FieldError("format", _(staff_forms.UNKNOWN_FORMAT))])
        if isinstance(exc, Conflict):
            raise
        return _resource_page(request, dataset, values, [FieldError("file", _(staff_forms.UNREADABLE))],
                              lines=_conversion_lines(exc), problem=exc.message)
    finally:
        if spooled is not None:
            spooled.unlink(missing_ok=True)
    session.commit()
    return _done(dataset, "resource_added")


@router.post("/{dataset_id:uuid}/resources/{resource_id:uuid}/remove", dependencies=STAFF_POST)
def remove_resource(request: Request, session: DbSession, user: DataStaff, dataset_id: UUID,
                    resource_id: UUID) -> Response:
    settings: Settings = request.app.state.settings
    dataset = _dataset(session, dataset_id)
    files = service.remove_resource(session, settings, dataset, str(resource_id), user.actor)
    session.commit()
    service.discard_files(settings, files)
    return _done(dataset, "resource_removed")


# --- publication, the gate's report and the override --------------------------------------------------------

@router.post("/{dataset_id:uuid}/publish", dependencies=STAFF_POST)
def publish(request: Request, session: DbSession, user: DataStaff, dataset_id: UUID) -> Response:
    """Run the gate. A refusal is committed too: its report is kept with the version it checked."""
    dataset = _dataset(session, dataset_id)
    if dataset.state == "deleted":
        raise Conflict(staff_forms.DELETED)
    version = service.publish(session, request.app.state.settings, dataset, user.actor)
    session.commit()
    if version.gate_passed:
        return _done(dataset, "published")
    return RedirectResponse(f"/staff/data/{dataset.public_id}/gate/{version.number}", status_code=303)


def _gate_page(request: Request, session: Session, dataset: Dataset, version: DatasetVersion,
               errors: list[FieldError] | None = None, values: dict[str, str] | None = None) -> HTMLResponse:
    latest = service.latest_version(session, dataset)
    actors = {version.actor} | ({version.override_by} if version.override_by else set())
    return _page(request, "opendata/staff_gate.html", {
        "dataset": dataset, "version": version, "report": version.gate_report or {},
        "result": service.gate_result(version), "actors": _actors(session, actors),
        "can_override": (latest is not None and latest.number == version.number
                         and service.gate_result(version) == "refused" and dataset.state != "deleted"),
        "errors": errors or [], "values": values or {},
    }, status_code=422 if errors else 200)


@router.get("/{dataset_id:uuid}/gate")
def last_gate_report(session: DbSession, user: DataStaff, dataset_id: UUID) -> Response:
    dataset = _dataset(session, dataset_id)
    checked = service.last_gate_check(session, dataset)
    if checked is None:
        raise NotFound(N_("The gate has not checked this dataset yet."))
    return RedirectResponse(f"/staff/data/{dataset.public_id}/gate/{checked.number}", status_code=303)


@router.get("/{dataset_id:uuid}/gate/{number}")
def gate_report(request: Request, session: DbSession, locale: Locale, user: DataStaff, dataset_id: UUID,
                number: int) -> Response:
    dataset = _dataset(session, dataset_id)
    version = service.get_version(session, dataset, number)
    if version.gate_report is None:
        raise NotFound(N_("The gate did not check this version."))
    return _gate_page(request, session, dataset, version)


@router.post("/{dataset_id:uuid}/gate/{number}/override", dependencies=STAFF_POST)
def override(request: Request, session: DbSession, locale: Locale, user: DataStaff, dataset_id: UUID,
             number: int, form: PostedForm) -> Response:
    """Publish despite the gate: the DPO only, with a reason kept with the version."""
    if user.role != Role.DPO:
        raise Forbidden(N_("Only the Data Protection Officer can publish a dataset the gate refused."))
    dataset = _dataset(session, dataset_id)
    version = service.get_version(session, dataset, number)
    reason = staff_forms.reason(form)
    error = None
    if not 10 <= len(reason) <= 1000:
        error = staff_forms.OVERRIDE_REASON
    else:
        latest = service.latest_version(session, dataset)
        if latest is None or latest.number != number or service.gate_result(latest) != "refused":
            error = staff_forms.NOTHING_TO_OVERRIDE
        else:
            try:
                service.override_gate(session, dataset, reason, user.actor, actor_is_dpo=True)
            except Conflict:
                error = staff_forms.NOTHING_TO_OVERRIDE
    if error:
        session.rollback()
        return _gate_page(request, session, dataset, version, [FieldError("override-reason", _(error))],
                          {"reason": reason})
    session.commit()
    return _done(dataset, "overridden")


# --- withdrawal and deletion ----------------------------------------------------------------------------------

def _refused(request: Request, session: Session, dataset_id: UUID, form: str, message: str,
             values: dict[str, str]) -> HTMLResponse:
    session.rollback()
    dataset = _dataset(session, dataset_id)
    return _dataset_page(request, session, dataset, {form: [FieldError(f"{form}-reason" if form == "withdraw"
                                                                       else "delete-confirm", _(message))]},
                         {form: values})


@router.post("/{dataset_id:uuid}/withdraw", dependencies=STAFF_POST)
def withdraw(request: Request, session: DbSession, user: DataStaff, dataset_id: UUID,
             form: PostedForm) -> Response:
    dataset = _dataset(session, dataset_id)
    reason = staff_forms.reason(form)
    if not 1 <= len(reason) <= 500:
        return _refused(request, session, dataset_id, "withdraw", staff_forms.WITHDRAW_REASON, {"reason": reason})
    try:
        service.withdraw(session, dataset, reason, user.actor)
    except (Conflict, InvalidInput):
        return _refused(request, session, dataset_id, "withdraw", staff_forms.NOT_PUBLISHED, {"reason": reason})
    session.commit()
    return _done(dataset, "withdrawn")


@router.post("/{dataset_id:uuid}/delete", dependencies=STAFF_POST)
def delete(request: Request, session: DbSession, user: DataStaff, dataset_id: UUID, form: PostedForm) -> Response:
    dataset = _dataset(session, dataset_id)
    if dataset.state == "deleted":
        raise Conflict(staff_forms.DELETED)
    if form.get("confirm") != "yes":
        return _refused(request, session, dataset_id, "delete", staff_forms.CONFIRM_DELETE, {})
    service.delete_dataset(session, dataset, user.actor)
    session.commit()
    return _done(dataset, "deleted")


# --- history ----------------------------------------------------------------------------------------------------

@router.get("/{dataset_id:uuid}/history")
def dataset_history(request: Request, session: DbSession, locale: Locale, user: DataStaff,
                    dataset_id: UUID) -> Response:
    dataset = _dataset(session, dataset_id)
    versions = service.history(session, dataset)
    entries = audit.entries_for(session, f"dataset:{dataset.public_id}")
    actors = {v.actor for v in versions} | {v.override_by for v in versions if v.override_by}
    return _page(request, "opendata/staff_history.html", {
        "dataset": dataset, "versions": versions, "entries": entries,
        "actors": _actors(session, actors | {e.actor for e in entries}), "gate_result": service.gate_result,
        "resource_names": {**{r["id"]: r.get(f"name_{locale}") for v in reversed(versions)
                              for r in v.snapshot.get("resources", [])}, **_resource_names(dataset, locale)},
    })
