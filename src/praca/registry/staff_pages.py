"""The register's staff pages under /staff/devices: list, create, edit, decommission, photo, CSV import."""

from __future__ import annotations

import contextlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from praca.core import files
from praca.core.auth import AnyStaff, EditorStaff, User
from praca.core.db import DbSession
from praca.core.errors import NotFound, PracaError
from praca.core.i18n import Locale
from praca.core.security import csrf_protect
from praca.core.web import render
from praca.registry import csv_io, service, taxonomy
from praca.registry.schemas import DeviceCreate, DeviceFields, DeviceFilter, DeviceUpdate

router = APIRouter(include_in_schema=False)
PAGE = 50
LIST_FIELDS = ("purposes", "data_types", "personal_data_categories")
BOOL_FIELDS = ("personal_data", "deidentified")


def _vocab(locale: str) -> dict[str, list[tuple[str, str]]]:
    """Every select's options as (code, label) in the reader's language."""
    enums = {"type": taxonomy.DeviceType, "status": taxonomy.Status, "geometry_kind": taxonomy.GeometryKind,
             "legal_basis": taxonomy.LegalBasis, "deidentification": taxonomy.Deidentification,
             "purposes": taxonomy.Purpose, "data_types": taxonomy.DataType,
             "personal_data_categories": taxonomy.PersonalDataCategory}
    return {k: [(c.value, taxonomy.label(c.value, locale)) for c in e] for k, e in enums.items()}


def _form_values(form: FormData) -> dict[str, Any]:
    """Form fields → the schema's shape; empty inputs mean 'not given'."""
    values: dict[str, Any] = {}
    for name in DeviceFields.model_fields:
        if name in LIST_FIELDS:
            values[name] = [v for v in form.getlist(name) if isinstance(v, str) and v]
        elif name in BOOL_FIELDS:
            values[name] = form.get(name) == "on"
        else:
            raw = form.get(name)
            if isinstance(raw, str) and raw.strip():
                values[name] = raw.strip()
    if isinstance(values.get("geometry"), str):
        with contextlib.suppress(json.JSONDecodeError):  # else the schema says it is not a GeoJSON object
            values["geometry"] = json.loads(values["geometry"])
    return values


def _field_errors(exc: ValidationError | PracaError) -> dict[str, str]:
    if isinstance(exc, PracaError):
        return {exc.details.get("field") or "_": exc.message}
    errors: dict[str, str] = {}
    for e in exc.errors():
        field = next((str(p) for p in e["loc"] if isinstance(p, str)), "_")
        errors.setdefault(field, e["msg"].removeprefix("Value error, "))
    return errors


def _render_form(request: Request, session: DbSession, locale: str, values: dict[str, Any],
                 errors: dict[str, str] | None = None, device: Any = None, status_code: int = 200) -> Response:
    return render(request, "staff/device_form.html", {
        "values": values, "errors": errors or {}, "device": device, "vocab": _vocab(locale),
        "operators": service.list_operators(session)}, status_code=422 if errors else status_code)


@router.get("/staff/devices")
def device_list(request: Request, session: DbSession, locale: Locale, user: AnyStaff, q: str | None = None,
                type: str | None = None, status: str | None = None, page: int = 1) -> Response:
    try:
        f = DeviceFilter(q=q or None, type=[type] if type else None, status=[status] if status else None,
                         limit=PAGE, offset=max(page - 1, 0) * PAGE)
    except ValidationError:
        f = DeviceFilter(limit=PAGE)
    index = request.app.state.registry_index.get(session)
    result = index.query(f, request.app.state.settings.default_radius_m)
    devices = [index.devices[i] for i in result.indices.tolist()]
    return render(request, "staff/devices.html", {
        "devices": devices, "total": result.total, "page": max(page, 1), "pages": -(-result.total // PAGE),
        "q": q or "", "type": type or "", "status": status or "", "vocab": _vocab(locale),
        "label": lambda code: taxonomy.label(code, locale), "can_edit": user.role != "viewer"})


@router.get("/staff/devices/new")
def new_device(request: Request, session: DbSession, locale: Locale, user: EditorStaff) -> Response:
    return _render_form(request, session, locale, {"status": "active", "geometry_kind": "point",
                                                   "legal_basis": "not_applicable", "deidentification": "none"})


@router.post("/staff/devices/new", dependencies=[Depends(csrf_protect)])
async def create_device(request: Request, session: DbSession, locale: Locale, user: EditorStaff) -> Response:
    values = _form_values(await request.form())
    try:
        device = service.create_device(session, request.app.state.settings, DeviceCreate.model_validate(values),
                                       user)
    except (ValidationError, PracaError) as exc:
        session.rollback()
        return _render_form(request, session, locale, values, _field_errors(exc))
    session.commit()
    return RedirectResponse(f"/staff/devices/{device.public_id}?saved=1", status_code=303)


@router.get("/staff/devices/import")
def import_form(request: Request, user: EditorStaff) -> Response:
    return render(request, "staff/device_import.html", {"columns": csv_io.COLUMNS})


@router.post("/staff/devices/import", dependencies=[Depends(csrf_protect)])
def import_upload(request: Request, session: DbSession, user: EditorStaff,
                  file: Annotated[UploadFile, File()], skip_invalid: Annotated[bool, Form()] = False) -> Response:
    settings = request.app.state.settings
    try:
        raw = files.read_capped(file.file, settings.upload_max_bytes, "file")
        report = csv_io.import_csv(session, settings, raw, user, skip_invalid=skip_invalid)
    except PracaError as exc:
        session.rollback()
        return render(request, "staff/device_import.html", {"columns": csv_io.COLUMNS, "error": exc.message},
                      status_code=exc.status)
    if report.invalid and not report.skipped_invalid:
        session.rollback()
        status = 422
    else:
        session.commit()
        status = 200
    return render(request, "staff/device_import.html", {"columns": csv_io.COLUMNS, "report": report},
                  status_code=status)


def _editable(session: DbSession, device_id: str, user: User) -> Any:
    device = service.get_device(session, device_id)
    service.check_can_edit(user, device.operator)
    return device


@router.get("/staff/devices/{device_id}")
def edit_device(request: Request, session: DbSession, locale: Locale, user: AnyStaff, device_id: str) -> Response:
    device = service.get_device(session, device_id)
    values = {k: getattr(device, k) for k in DeviceFields.model_fields if k != "operator"}
    values["operator"] = device.operator.slug
    return _render_form(request, session, locale, values, device=device)


@router.post("/staff/devices/{device_id}", dependencies=[Depends(csrf_protect)])
async def update_device(request: Request, session: DbSession, locale: Locale, user: EditorStaff,
                        device_id: str) -> Response:
    device = _editable(session, device_id, user)
    values = _form_values(await request.form())
    try:
        full = DeviceCreate.model_validate(values)
        changes = DeviceUpdate.model_validate(full.model_dump(exclude_unset=False))
        service.update_device(session, request.app.state.settings, device_id, changes, user)
    except (ValidationError, PracaError) as exc:
        session.rollback()
        return _render_form(request, session, locale, values, _field_errors(exc), device=device)
    session.commit()
    return RedirectResponse(f"/staff/devices/{device_id}?saved=1", status_code=303)


@router.post("/staff/devices/{device_id}/decommission", dependencies=[Depends(csrf_protect)])
def decommission(session: DbSession, user: EditorStaff, device_id: str,
                 reason: Annotated[str, Form(min_length=1, max_length=500)]) -> Response:
    service.decommission_device(session, device_id, reason, user)
    session.commit()
    return RedirectResponse(f"/staff/devices/{device_id}?saved=1", status_code=303)


@router.post("/staff/devices/{device_id}/photo", dependencies=[Depends(csrf_protect)])
def upload_photo(request: Request, session: DbSession, locale: Locale, user: EditorStaff, device_id: str,
                 photo: Annotated[UploadFile, File()]) -> Response:
    settings = request.app.state.settings
    device = _editable(session, device_id, user)
    try:
        clean = files.sanitise_image(photo.file, max_bytes=settings.upload_max_bytes,
                                     max_pixels=settings.image_max_pixels)
    except PracaError as exc:
        values = {k: getattr(device, k) for k in DeviceFields.model_fields if k != "operator"}
        values["operator"] = device.operator.slug
        return _render_form(request, session, locale, values, {"photo": exc.message}, device=device)
    name = files.store(service.photo_dir(settings), clean)
    service.set_photo(session, device_id, name, user)
    session.commit()
    return RedirectResponse(f"/staff/devices/{device_id}?saved=1", status_code=303)


@router.get("/media/devices/{name}")
def device_photo(request: Request, name: str) -> Response:
    """Device photos are public, like the register; they were re-encoded without metadata on upload."""
    path = files.resolve(service.photo_dir(request.app.state.settings), name)
    if path is None:
        raise NotFound("No such photo.")
    return FileResponse(path, headers={"Cache-Control": "public, max-age=86400"})
