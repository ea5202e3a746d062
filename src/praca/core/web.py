"""Jinja2 environment, the base layout and the one helper pages use to render."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import jinja2
from babel.dates import format_datetime
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from praca.core import i18n
from praca.core.security import CSRF_FIELD, csrf_token, set_csrf_cookie

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
CITY_TZ = ZoneInfo("Europe/Lisbon")


def local_datetime(value: datetime | None, fmt: str = "medium") -> str:
    """UTC in storage, Lisbon time on the page, in the reader's language."""
    if value is None:
        return ""
    return format_datetime(value.astimezone(CITY_TZ), fmt, locale=i18n.current_locale())


def make_templates() -> Jinja2Templates:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR), autoescape=True,
                             extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_callables(i18n.gettext_, i18n.ngettext_, newstyle=True)  # type: ignore[attr-defined]
    env.filters["localtime"] = local_datetime
    env.globals["LOCALES"] = i18n.LOCALES
    env.globals["CSRF_FIELD"] = CSRF_FIELD
    return Jinja2Templates(env=env)


def render(request: Request, template: str, context: dict[str, Any] | None = None,
           status_code: int = 200) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    ctx = {
        "locale": getattr(request.state, "locale", i18n.DEFAULT_LOCALE),
        "settings": request.app.state.settings,
        "csrf_token": csrf_token(request),
        "staff": getattr(request.state, "staff", None),
        **(context or {}),
    }
    response = templates.TemplateResponse(request, template, ctx, status_code=status_code)
    set_csrf_cookie(request, response)
    return response


def lang_url(request: Request, locale: str) -> str:
    return str(request.url.include_query_params(lang=locale))


R = TypeVar("R", bound=Response)
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'


def tile_attribution(tile_url: str) -> str:
    """The credit the map's tile server asks for (OpenStreetMap's licence requires it)."""
    return OSM_ATTRIBUTION if "openstreetmap" in tile_url else ""


def no_store(response: R) -> R:
    """For pages with a citizen's token or staff-only figures: no cache, shared or private, keeps them."""
    response.headers["Cache-Control"] = "no-store"
    return response
