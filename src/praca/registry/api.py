"""The register's JSON API under /api/v1: public reads, staff writes with a personal API token."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any, get_args, get_origin

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from praca.core.auth import EditorStaff
from praca.core.db import DbSession, request_session
from praca.core.errors import InvalidInput, NotFound
from praca.core.files import read_capped
from praca.core.i18n import Locale, get_locale
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


# --- the hot read path ---------------------------------------------------------------------------------------
# "Near me" and device look-ups run on the event loop and touch neither a thread nor the database while
# the in-memory index is fresh. Through `DbSession` and `Locale` (plain functions, which FastAPI runs in
# its thread pool) each request paid three thread hand-offs, more than the query itself costs; the
# session is now opened (through core.db.request_session) only when the index's version must be checked.

async def _read_locale(request: Request) -> str:
    """`Locale`, negotiated on the event loop: it only reads the request."""
    return get_locale(request)


ReadLocale = Annotated[str, Depends(_read_locale)]


def _checked_index(request: Request) -> DeviceIndex:
    with request_session(request) as session:
        return request.app.state.registry_index.get(session)


async def _read_index(request: Request) -> DeviceIndex:
    index = request.app.state.registry_index.fresh()
    if index is None:  # the version must be checked, perhaps the index rebuilt: database work, in a thread
        index = await run_in_threadpool(_checked_index, request)
    return index


def _page(index: DeviceIndex, f: DeviceFilter, default_radius_m: float, locale: str) -> bytes:
    return index.page_json(index.query(f, default_radius_m), locale)


async def _list(request: Request, locale: str, f: DeviceFilter) -> Response:
    settings = request.app.state.settings
    service.check_filter(settings, f)
    index = await _read_index(request)
    if f.q:  # text search tests every candidate in Python: keep it off the event loop
        body = await run_in_threadpool(_page, index, f, settings.default_radius_m, locale)
    else:
        body = _page(index, f, settings.default_radius_m, locale)
    return Response(body, media_type="application/json")


_LIST_PARAMS = frozenset(name for name, field in DeviceFilter.model_fields.items()
                         if any(get_origin(a) is list for a in (field.annotation, *get_args(field.annotation))))


def _plain_filter(request: Request) -> DeviceFilter | None:
    """The DeviceFilter FastAPI would parse from a plain, valid query string; None for anything else.

    FastAPI's generic query-model parsing costs more than a "near me" query. For valid parameters
    it amounts to validating this dict (repeated keys as lists for the list fields, each other key
    once), so this does it directly. A repeated single-valued key, no parameters at all or any
    validation error return None: FastAPI then parses the request itself and words any 422 its way.
    """
    params = request.query_params
    if not params:
        return None
    data: dict[str, Any] = {}
    for key, value in params.multi_items():
        if key in _LIST_PARAMS:
            data.setdefault(key, []).append(value)
        elif key in data:
            return None
        else:
            data[key] = value
    try:
        return DeviceFilter.model_validate(data)
    except ValidationError:
        return None


async def _list_plain(request: Request) -> Response | None:
    f = _plain_filter(request)
    return None if f is None else await _list(request, get_locale(request), f)


def _route_with_fast_path(fast: Callable[[Request], Awaitable[Response | None]]) -> type[APIRoute]:
    """An APIRoute that offers each request to `fast` first and lets FastAPI handle it when `fast`
    declines (returns None). The route's signature, OpenAPI and errors stay FastAPI's."""

    class FastPathRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            full = super().get_route_handler()

            async def handler(request: Request) -> Response:
                response = await fast(request)
                return response if response is not None else await full(request)

            return handler

    return FastPathRoute


async def list_devices(request: Request, locale: ReadLocale, f: Annotated[DeviceFilter, Query()]) -> Response:
    """Filter by type, operator, personal data, status, text and bounding box; with `lat`/`lon`,
    only devices within `radius_m` are returned, nearest first, each with its `distance_m`."""
    return await _list(request, locale, f)


router.add_api_route("/devices", list_devices, methods=["GET"], response_model=DevicePage,
                     summary="Search the register", route_class_override=_route_with_fast_path(_list_plain))


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
async def get_device(request: Request, locale: ReadLocale, device_id: str) -> Response:
    index = await _read_index(request)
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
