"""The CKAN Action API (/api/3/action/… and /api/action/…): CKAN's envelope and field names over our service.

Served as CKAN 2.10 serves it (ckan/views/api.py): side-effect-free actions by GET with query parameters or
by POST; the others by POST only, with a JSON body, a form, or multipart with an `upload` file (how ckanapi
sends files). Every answer is `{"help", "success", "result"}` or `{"help", "success": false, "error":
{"__type", …}}` with CKAN's status codes. The token is the raw value of `Authorization` (as ckanapi sends
it), `Bearer <token>`, or `X-CKAN-API-Key`.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import structlog
from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from praca.core import auth
from praca.core.db import request_session
from praca.core.errors import Conflict, Forbidden, InvalidInput, PracaError, TooLarge, Unauthenticated, UnsupportedMedia
from praca.core.errors import NotFound as PracaNotFound
from praca.opendata import ckan_actions, ckan_datastore, ckan_files, ckan_writes, service
from praca.opendata.ckan_base import (
    ACTIONS,
    CkanError,
    Context,
    Invalid,
    NotAuthorized,
    NotFound,
    Upload,
    find_nul,
)
from praca.opendata.ckan_dicts import CKAN_FIELD, validation_error

log = structlog.get_logger(__name__)
router = APIRouter(include_in_schema=False)
router.include_router(ckan_files.router)
router.include_router(ckan_datastore.router)

MAX_BODY_BYTES = 10 * 1024 * 1024  # a JSON or form body; files go as multipart
MULTIPART_OVERHEAD = 1024**2  # the form's other fields and boundaries around the file
assert ckan_actions and ckan_writes  # imported for their @action registrations (ckan_datastore's too)


class CkanJSON(Response):
    media_type = "application/json;charset=utf-8"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=str, option=orjson.OPT_NON_STR_KEYS)


class _BadRequest(Exception):
    """CKAN's 400 for a request it cannot read: 'Bad request - JSON Error: …'."""


class _TooLarge(Exception):
    pass


def _help(request: Request, name: str) -> str:
    base = request.app.state.settings.base_url.rstrip("/")
    return f"{base}/api/3/action/help_show?name={quote(name, safe='')}"


def _bad_request(help_url: str, message: str) -> Response:
    # CKAN 2.10 answers this with the bare string; the envelope around it keeps every client's parser happy
    # and still carries CKAN's words.
    return CkanJSON({"help": help_url, "success": False,
                     "error": {"__type": "Bad request", "message": f"Bad request - {message}"}}, status_code=400)


# --- reading the request -------------------------------------------------------------------------------------

def _mixed(items: list[tuple[str, Any]]) -> dict[str, Any]:
    """CKAN's multi-dict reading: a key given once is a string, given more often a list."""
    out: dict[str, Any] = {}
    for key, value in items:
        if key in out:
            out[key] = (out[key] if isinstance(out[key], list) else [out[key]]) + [value]
        else:
            out[key] = value
    return out


def _capped(request: Request, cap: int) -> Request:
    """The same request, refusing to read more than `cap` bytes of body (whatever Content-Length claims)."""
    received = 0

    async def receive():
        nonlocal received
        message = await request.receive()
        received += len(message.get("body", b""))
        if received > cap:
            raise _TooLarge
        return message

    return Request(request.scope, receive)


async def _request_data(request: Request, side_effect_free: bool) -> tuple[dict[str, Any], dict[str, UploadFile]]:
    if request.method == "GET":
        if not side_effect_free:
            raise _BadRequest("Invalid request. Please use POST method for your request")
        return _mixed(list(request.query_params.multi_items())), {}
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        limit = request.app.state.settings.opendata_upload_max_bytes  # one resource file
        form = await _capped(request, limit + MULTIPART_OVERHEAD).form(max_files=4, max_fields=200)
        files = {k: v for k, v in form.multi_items() if isinstance(v, UploadFile)}
        if any((f.size or 0) > limit for f in files.values()):
            for f in files.values():
                await f.close()
            raise _TooLarge
        fields = [(k, v) for k, v in form.multi_items() if not isinstance(v, UploadFile)]
        return _mixed(fields), files
    capped = _capped(request, MAX_BODY_BYTES)
    body = await capped.body()
    if ctype == "application/x-www-form-urlencoded":
        form = await capped.form(max_fields=1000)
        items = list(form.multi_items())
        if len(items) == 1 and items[0][1] in ("1", ""):  # CKAN's old clients: the JSON as the only key
            body = items[0][0].encode()
        else:
            return _mixed(items), {}
    if not body.strip():
        if side_effect_free and request.query_params:
            return _mixed(list(request.query_params.multi_items())), {}
        return {}, {}
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise _BadRequest(f"Error decoding JSON data. Error: {exc}") from None
    if not isinstance(data, dict):
        raise _BadRequest(f"Request data JSON decoded to {type(data).__name__} but it needs to be a dictionary.")
    return data, {}


def _spool(settings: Any, files: dict[str, UploadFile]) -> dict[str, Upload]:
    """Uploaded files onto the data dir's disk (where the service copies them from), each under a random name."""
    incoming = settings.data_dir / "opendata" / "incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    spooled: dict[str, Upload] = {}
    for key, file in files.items():
        target = incoming / secrets.token_hex(16)
        with target.open("wb") as out:
            file.file.seek(0)
            shutil.copyfileobj(file.file, out, 1 << 20)
        spooled[key] = Upload(target, os.path.basename(file.filename or "upload"))
    return spooled


# --- running the action ------------------------------------------------------------------------------------------

def _user(session: Any, request: Request) -> auth.User | None:
    header = (request.headers.get("authorization") or request.headers.get("x-ckan-api-key") or "").strip()
    scheme, _, rest = header.partition(" ")
    token = rest.strip() if scheme.lower() == "bearer" else header
    if not token:
        return None
    user = auth.user_for_api_token(session, token)
    if user is None:
        raise NotAuthorized("The API token is invalid or revoked.")
    return user


def _ckan_error(exc: Exception) -> CkanError:
    """The service's and the schemas' errors in CKAN's kinds."""
    if isinstance(exc, ValidationError):
        return validation_error(exc)
    if isinstance(exc, PracaNotFound):
        return NotFound(exc.message)
    if isinstance(exc, Forbidden | Unauthenticated):
        return NotAuthorized(exc.message)
    if isinstance(exc, service.GateRefused):
        report = exc.details.get("gate") or {}
        return Invalid({"upload": [exc.message], "gate": ckan_writes.gate_messages(report), "gate_report": report})
    if isinstance(exc, InvalidInput | Conflict | TooLarge | UnsupportedMedia):
        field = exc.details.get("field")
        if field:
            return Invalid({CKAN_FIELD.get(field, field): [exc.message]}, message=exc.message)
    return Invalid({"message": getattr(exc, "message", str(exc))})


def _run(request: Request, name: str, data: dict[str, Any], files: dict[str, UploadFile]) -> Any:
    settings = request.app.state.settings
    uploads: dict[str, Upload] = {}
    try:
        with request_session(request) as session:
            where = find_nul(data)
            if where:
                raise Invalid({where: ["Text cannot contain NUL characters"]})
            ctx = Context(session, settings, _user(session, request), name)
            if files:
                uploads = _spool(settings, files)
                ctx.uploads = uploads
            try:
                return ACTIONS[name].fn(ctx, data)
            except BaseException as exc:
                session.rollback()  # nothing half-done survives a refusal
                if isinstance(exc, PracaError | ValidationError):
                    raise _ckan_error(exc) from None
                raise
    finally:
        for upload in uploads.values():
            Path(upload.path).unlink(missing_ok=True)


async def _action(request: Request, name: str) -> Response:
    help_url = _help(request, name)
    found = ACTIONS.get(name)
    if found is None:
        return _bad_request(help_url, f"Action name not known: {name}")
    files: dict[str, UploadFile] = {}
    try:
        data, files = await _request_data(request, found.side_effect_free)
        result = await run_in_threadpool(_run, request, name, data, files)
    except _BadRequest as exc:
        return _bad_request(help_url, f"JSON Error: {exc}")
    except _TooLarge:
        multipart = request.headers.get("content-type", "").lower().startswith("multipart/")
        limit = request.app.state.settings.opendata_upload_max_bytes
        error = Invalid({"upload": [f"The file is larger than {limit:,} bytes."]} if multipart
                        else {"message": f"The request body is larger than {MAX_BODY_BYTES:,} bytes."})
        return CkanJSON({"help": help_url, "success": False, "error": error.error()}, status_code=413)
    except CkanError as exc:
        return CkanJSON({"help": help_url, "success": False, "error": exc.error()}, status_code=exc.status)
    except Exception as exc:  # CKAN's last resort, without the request's content in the log
        log.error("ckan.action.failed", action=name, error=type(exc).__name__)
        return CkanJSON({"help": help_url, "success": False,
                         "error": {"__type": "Internal Server Error", "message": "Internal Server Error"}},
                        status_code=500)
    finally:
        for file in files.values():
            await file.close()
    return CkanJSON({"help": help_url, "success": True, "result": result})


@router.api_route("/api/3/action/{name}", methods=["GET", "POST"])
async def action_v3(request: Request, name: str) -> Response:
    return await _action(request, name)


@router.api_route("/api/action/{name}", methods=["GET", "POST"])
async def action_unversioned(request: Request, name: str) -> Response:
    return await _action(request, name)
