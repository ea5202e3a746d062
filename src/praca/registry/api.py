"""The register's JSON API under /api/v1: public reads, staff writes with a personal API token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response, StreamingResponse

from praca.core.auth import EditorStaff
from praca.core.db import DbSession
from praca.core.errors import InvalidInput, NotFound
from praca.core.files import read_capped
from praca.core.i18n import Locale
from praca.registry import csv_io, service
from praca.registry.index import DeviceIndex
from praca.registry.schemas import (
    Decommission,
    DeviceCreate,
    DeviceFilter,
    DevicePage,
    DeviceRead,
    DeviceUpdate,
    ImportReport,
    MapFilter,
    OperatorRead,
)

router = APIRouter(tags=["register"])
GEOJSON = "application/geo+json"


def _index(request: Request, session: DbSession) -> DeviceIndex:
    return request.app.state.registry_index.get(session)


def _query(request: Request, session: DbSession, f: DeviceFilter):
    settings = request.app.state.settings
    service.check_filter(settings, f)
    index = _index(request, session)
    return index, index.query(f, settings.default_radius_m)


@router.get("/devices", response_model=DevicePage, summary="Search the register")
def list_devices(request: Request, session: DbSession, locale: Locale,
                 f: Annotated[DeviceFilter, Query()]) -> Response:
    """Filter by type, operator, personal data, status, text and bounding box; with `lat`/`lon`,
    only devices within `radius_m` are returned, nearest first, each with its `distance_m`."""
    index, result = _query(request, session, f)
    return Response(index.page_json(result, locale), media_type="application/json")


@router.get("/devices.geojson", summary="The register as GeoJSON",
            responses={200: {"content": {GEOJSON: {}}, "description": "A GeoJSON FeatureCollection"}})
def devices_geojson(request: Request, session: DbSession, locale: Locale,
                    f: Annotated[MapFilter, Query()]) -> Response:
    index, result = _query(request, session, f)
    return Response(index.geojson(result, locale), media_type=GEOJSON)


@router.get("/devices.csv", summary="The whole register as CSV",
            responses={200: {"content": {"text/csv": {}}, "description": "One row per device"}})
def devices_csv(session: DbSession) -> StreamingResponse:
    return StreamingResponse(csv_io.export_rows(service.all_devices(session)), media_type="text/csv",
                             headers={"Content-Disposition": 'attachment; filename="register.csv"'})


@router.get("/devices/{device_id}", response_model=DeviceRead, summary="One device")
def get_device(request: Request, session: DbSession, locale: Locale, device_id: str) -> Response:
    index = _index(request, session)
    pos = index.position(device_id)
    if pos is None:
        raise NotFound("No device with this id in the register.", field="device_id")
    return Response(index.item_json(pos, locale) + b"}", media_type="application/json")


@router.get("/operators", response_model=list[OperatorRead], summary="Who operates devices")
def list_operators(session: DbSession, locale: Locale) -> list[OperatorRead]:
    return [service.operator_read(op, locale) for op in service.list_operators(session)]


@router.post("/devices", response_model=DeviceRead, status_code=201, summary="Register a device (staff)")
def create_device(request: Request, session: DbSession, locale: Locale, user: EditorStaff,
                  data: DeviceCreate) -> DeviceRead:
    device = service.create_device(session, request.app.state.settings, data, user)
    session.commit()
    return service.device_read(device, locale)


@router.patch("/devices/{device_id}", response_model=DeviceRead, summary="Change a device (staff)")
def update_device(request: Request, session: DbSession, locale: Locale, user: EditorStaff, device_id: str,
                  changes: DeviceUpdate) -> DeviceRead:
    device = service.update_device(session, request.app.state.settings, device_id, changes, user)
    session.commit()
    return service.device_read(device, locale)


@router.post("/devices/{device_id}/decommission", response_model=DeviceRead,
             summary="Decommission a device (staff)")
def decommission_device(session: DbSession, locale: Locale, user: EditorStaff, device_id: str,
                        body: Decommission) -> DeviceRead:
    device = service.decommission_device(session, device_id, body.reason, user)
    session.commit()
    return service.device_read(device, locale)


@router.post("/devices/import", response_model=ImportReport, summary="Bulk registration from CSV (staff)",
             responses={422: {"description": "Invalid rows; nothing imported. `details.report` lists them."}})
def import_devices(request: Request, session: DbSession, user: EditorStaff,
                   file: Annotated[UploadFile, File(description="CSV in the export's columns")],
                   skip_invalid: Annotated[bool, Form()] = False) -> Response:
    """Every row is checked first. A file with any invalid row imports nothing, unless
    `skip_invalid` is true: then the valid rows are imported and the invalid ones reported."""
    settings = request.app.state.settings
    raw = read_capped(file.file, settings.upload_max_bytes, "file")
    report = csv_io.import_csv(session, settings, raw, user, skip_invalid=skip_invalid)
    if report.invalid and not report.skipped_invalid:
        session.rollback()
        error = InvalidInput(
            f"{report.invalid} of {len(report.rows)} rows are invalid, so nothing was imported. "
            "Fix them, or send the file again with skip_invalid=true to import only the valid rows.",
            field="file", details={"report": report.model_dump()})
        return JSONResponse(error.body(), status_code=422)
    session.commit()
    return JSONResponse(report.model_dump())
