"""The citizen's PrivacyApp pages: the map, the list that works without JavaScript, each device's card.

No account, ever. The pages read the same in-memory index as the JSON API, so a filter means the same
thing on the map, in the list and in `/api/v1/devices`. The map page only draws on top of the list:
every question it answers can also be answered by the server-rendered list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
from babel.dates import format_date
from babel.numbers import format_decimal
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from praca.core import web
from praca.core.db import DbSession
from praca.core.errors import InvalidInput
from praca.core.i18n import LOCALES, Locale, _
from praca.registry import service, taxonomy
from praca.registry.index import DeviceIndex
from praca.registry.schemas import DeviceFilter, DeviceRead
from praca.registry.taxonomy import DeviceType
from praca.settings import Settings

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
LANG_COOKIE = "praca_lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
_TEXT_FIELDS = ("personal_data", "q", "lat", "lon", "radius_m", "limit", "offset")


@dataclass(frozen=True)
class FieldError:
    """One message for one form control; `field` is the control's id, so the summary can link to it."""

    field: str
    message: str


@dataclass(frozen=True)
class Hit:
    device: DeviceRead
    distance_m: float | None


@dataclass(frozen=True)
class Pager:
    total: int
    first: int
    last: int
    prev_url: str | None
    next_url: str | None


# --- helpers the templates use ---------------------------------------------------------------------------------

# Babel's plain "en" is American; a European city writes "15 March 2021".
_BABEL_LOCALE = {"en": "en_GB", "pt": "pt_PT"}


def _fmt_date(value: date | None, locale: str) -> str:
    return format_date(value, "long", locale=_BABEL_LOCALE.get(locale, locale)) if value else ""


def _fmt_num(value: float, locale: str) -> str:
    return format_decimal(round(value), locale=_BABEL_LOCALE.get(locale, locale))


def _page(request: Request, locale: str, template: str, context: dict[str, Any],
          status_code: int = 200) -> HTMLResponse:
    helpers = {
        "fmt_date": lambda d: _fmt_date(d, locale),
        "fmt_num": lambda n: _fmt_num(n, locale),
        "type_choices": [(t.value, taxonomy.label(t.value, locale)) for t in DeviceType],
        "lang_param": request.query_params.get("lang") if request.query_params.get("lang") in LOCALES else None,
        "tile_attribution": web.tile_attribution(request.app.state.settings.map_tile_url),
    }
    return web.render(request, template, {**helpers, **context}, status_code=status_code)


def _index(request: Request, session: DbSession) -> DeviceIndex:
    return request.app.state.registry_index.get(session)


# --- the list form: read, validate, explain ---------------------------------------------------------------------

def _form_values(request: Request) -> dict[str, Any]:
    """What the person typed, echoed back into the form whether or not it was valid."""
    params = request.query_params
    values: dict[str, Any] = {key: params.get(key, "").strip() for key in _TEXT_FIELDS}
    values["type"] = [t for t in params.getlist("type") if t]
    return values


def _field_message(field: str, settings: Settings) -> FieldError:
    messages = {
        "type": ("type-" + DeviceType.CCTV_CAMERA.value, _("Choose device types from the list.")),
        "personal_data": ("personal-any", _("Choose yes, no or either for personal data.")),
        "q": ("q", _("The search text may be at most 100 characters.")),
        "lat": ("lat", _("The latitude must be a number between -90 and 90.")),
        "lon": ("lon", _("The longitude must be a number between -180 and 180.")),
        "radius_m": ("radius_m", _("The radius must be a number of metres, at most %(max)s.")
                     % {"max": settings.max_radius_m}),
        "limit": ("results", _("The page size must be between 1 and 500.")),
        "offset": ("results", _("This page number does not exist.")),
    }
    control, message = messages.get(field, ("q", _("Check the search.")))
    return FieldError(control, message)


def _validation_errors(exc: ValidationError, settings: Settings) -> list[FieldError]:
    errors: list[FieldError] = []
    for e in exc.errors():
        field = str(e["loc"][0]) if e["loc"] else ""
        if field:
            error = _field_message(field, settings)
        elif "radius_m" in e["msg"]:
            error = FieldError("radius_m", _("A radius needs a latitude and a longitude."))
        else:
            error = FieldError("lat", _("Give both a latitude and a longitude, or neither."))
        if error not in errors:
            errors.append(error)
    return errors


def _settings_error(exc: InvalidInput, settings: Settings) -> FieldError:
    if exc.details.get("field") == "radius_m":
        return FieldError("radius_m", _("The radius may be at most %(max)s metres.") % {"max": settings.max_radius_m})
    return FieldError("lat", _("This point is outside the city limits. Choose a point in the city."))


def parse_filter(values: dict[str, Any], settings: Settings) -> tuple[DeviceFilter | None, list[FieldError]]:
    """The form's values as the API's DeviceFilter; empty fields mean "no filter", not an error."""
    raw: dict[str, Any] = {k: v for k, v in values.items() if v not in ("", [], None)}
    raw.setdefault("limit", PAGE_SIZE)
    try:
        f = DeviceFilter.model_validate(raw)
    except ValidationError as exc:
        return None, _validation_errors(exc, settings)
    try:
        service.check_filter(settings, f)
    except InvalidInput as exc:
        return None, [_settings_error(exc, settings)]
    return f, []


def _page_url(request: Request, offset: int) -> str:
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "offset" and v != ""]
    return f"{request.url.path}?{urlencode([*kept, ('offset', str(offset))])}"


def _pager(request: Request, f: DeviceFilter, total: int) -> Pager:
    prev_url = _page_url(request, max(0, f.offset - f.limit)) if f.offset > 0 else None
    next_url = _page_url(request, f.offset + f.limit) if f.offset + f.limit < total else None
    return Pager(total=total, first=min(total, f.offset + 1), last=min(total, f.offset + f.limit),
                 prev_url=prev_url, next_url=next_url)


# --- routes ----------------------------------------------------------------------------------------------------

@router.get("/", name="map")
def map_page(request: Request, session: DbSession, locale: Locale) -> HTMLResponse:
    """The map; its configuration travels in data-* attributes because the CSP forbids inline scripts."""
    settings: Settings = request.app.state.settings
    index = _index(request, session)
    counts = np.bincount(index.type_code, minlength=len(DeviceType)) if len(index) else np.zeros(len(DeviceType))
    personal = (np.bincount(index.type_code[index.personal], minlength=len(DeviceType))
                if len(index) else np.zeros(len(DeviceType)))
    by_type = [(t.value, taxonomy.label(t.value, locale), int(counts[i]), int(personal[i]))
               for i, t in enumerate(DeviceType) if counts[i]]
    strings = _map_strings(settings)
    values = _form_values(request)
    return _page(request, locale, "registry/map.html", {
        "total": len(index), "by_type": by_type, "strings": strings, "form": values,
    })


def _map_strings(settings: Settings) -> dict[str, str]:
    """Everything map.js says, in the page's language (JS has no catalogue of its own)."""
    return {
        "personal": _("Collects personal data"),
        "not_personal": _("No personal data"),
        "open_card": _("What is this? Open its card"),
        "shown_one": _("The map shows 1 device."),
        "shown_other": _("The map shows {count} devices."),
        "loading": _("Loading devices…"),
        "load_failed": _("The devices could not be loaded. The list view still works."),
        "cluster": _("{count} devices here; zoom in"),
        "zoom_in": _("Zoom in"),
        "zoom_out": _("Zoom out"),
        "close": _("Close"),
        "locating": _("Finding your location…"),
        "searching": _("Looking for devices near the point…"),
        "geo_unsupported": _("This browser cannot share your location. Enter a latitude and longitude instead."),
        "geo_denied": _("You did not allow the location. Click the map or enter a latitude and longitude instead."),
        "geo_unavailable": _("Your location could not be found. Click the map or enter a latitude and longitude."),
        "geo_timeout": _("Finding your location took too long. Try again, or enter a latitude and longitude."),
        "bad_point": (_("Enter a latitude and a longitude as numbers, for example %(lat)s and %(lon)s.")
                      % {"lat": settings.city_center[0], "lon": settings.city_center[1]}),
        "near_failed": (_("This point cannot be searched: it must be inside the city and the radius at most %(max)s m.")
                        % {"max": settings.max_radius_m}),
        "near_none": _("No devices within {radius} m of this point."),
        "near_one": _("1 device within {radius} m, nearest first:"),
        "near_other": _("{count} devices within {radius} m, nearest first:"),
        "near_more": _("Showing the nearest {shown}. See all {count} in the list view"),
        "near_list": _("See them in the list view"),
        "metres_away": _("{distance} m away"),
    }


@router.get("/devices", name="device_list")
def device_list(request: Request, session: DbSession, locale: Locale) -> HTMLResponse:
    """The whole register as text: filters, "near a point", paging; needs no JavaScript at all."""
    settings: Settings = request.app.state.settings
    values = _form_values(request)
    f, errors = parse_filter(values, settings)
    context: dict[str, Any] = {"form": values, "errors": errors, "hits": [], "pager": None, "filter": f,
                               "radius": None}
    if f is None:
        return _page(request, locale, "registry/list.html", context, status_code=422)
    index = _index(request, session)
    result = index.query(f, settings.default_radius_m)
    distances = result.distances.tolist() if result.distances is not None else [None] * len(result.indices)
    context["hits"] = [Hit(service.device_read(index.devices[i], locale), d)
                       for i, d in zip(result.indices.tolist(), distances, strict=True)]
    context["pager"] = _pager(request, f, result.total)
    if f.lat is not None:
        context["radius"] = f.radius_m or settings.default_radius_m
    return _page(request, locale, "registry/list.html", context)


@router.get("/devices/{device_id}", name="device_card")
def device_card(request: Request, session: DbSession, locale: Locale, device_id: str) -> HTMLResponse:
    """The plain-language card: what the device captures, why, who runs it, how long data is kept."""
    index = _index(request, session)
    pos = index.position(device_id)
    if pos is None:
        error = {"code": "not_found", "message": _("No device with this id in the register."), "details": {}}
        return _page(request, locale, "error.html", {"error": error, "status": 404}, status_code=404)
    device = service.device_read(index.devices[pos], locale)
    explanations = {c.code: taxonomy.explanation(c.code, locale) for c in device.data_types}
    report_url = "/report?" + urlencode({"lat": device.lat, "lon": device.lon})
    return _page(request, locale, "registry/card.html",
                 {"d": device, "explanations": explanations, "report_url": report_url,
                  "positions": _positions(device.geometry)})


def _positions(geometry: dict[str, Any] | None) -> list[tuple[float, float]]:
    """A route's points or an area's outer ring as (lon, lat), for the card's text alternative to the map."""
    if not geometry:
        return []
    coords = geometry.get("coordinates") or []
    ring = coords[0] if geometry.get("type") == "Polygon" and coords else coords
    if geometry.get("type") == "Polygon" and len(ring) > 1:
        ring = ring[:-1]  # the closing position repeats the first
    return [(float(p[0]), float(p[1])) for p in ring]


def safe_next(target: str | None) -> str:
    """Only paths on this site (a language link must not become an open redirect), minus any `lang=`,
    which would otherwise outvote the cookie just set."""
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(c.isspace() or not c.isprintable() for c in target)):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"])
    return urlunsplit(("", "", parts.path, query, parts.fragment))


@router.get("/lang/{code}", name="set_language")
def set_language(request: Request, code: str, next: str | None = None) -> Response:
    """Remember the reader's language for a year and go back to the page they were on."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if code not in LOCALES:
        return response
    response.set_cookie(LANG_COOKIE, code, max_age=LANG_COOKIE_MAX_AGE, samesite="lax", path="/",
                        secure=request.app.state.settings.secure_cookies)
    return response
