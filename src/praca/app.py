"""create_app(settings) → the FastAPI application: every module's routers, one error handling."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match

from praca import __version__
from praca.core import auth_pages, i18n, web
from praca.core.db import make_engine, make_sessionmaker
from praca.core.errors import ERROR_RESPONSES, PracaError, Unauthenticated
from praca.core.observability import RequestContextMiddleware, metrics_endpoint
from praca.core.security import RateLimiter, SecurityHeadersMiddleware, content_security_policy
from praca.registry.index import IndexHolder
from praca.settings import Settings

API_PREFIX = "/api/v1"


def create_app(settings: Settings, *, engine: Any = None) -> FastAPI:
    from praca.dpo import api as dpo_api
    from praca.dpo import dashboard_pages as dpo_dashboard_pages
    from praca.dpo import kpi_api as dpo_kpi_api
    from praca.dpo import kpi_pages as dpo_kpi_pages
    from praca.dpo import pages as dpo_pages
    from praca.dpo import training_pages as dpo_training_pages
    from praca.opendata import api as opendata_api
    from praca.opendata import ckan_api, dcat
    from praca.opendata import pages as opendata_pages
    from praca.opendata import participation_pages as opendata_participation_pages
    from praca.opendata import staff_pages as opendata_staff_pages
    from praca.registry import api as registry_api
    from praca.registry import pages as registry_pages
    from praca.registry import staff_pages as registry_staff_pages
    from praca.wifi import api as wifi_api
    from praca.wifi import pages as wifi_pages
    from praca.wifi import release_api as wifi_release_api

    app = FastAPI(
        title="Praça API",
        version=__version__,
        description="The city's register of data-gathering devices in public space, and its privacy desk.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.sqlalchemy_url)
    app.state.sessionmaker = make_sessionmaker(app.state.engine)
    app.state.open_session = app.state.sessionmaker  # a Session closes itself at the end of `with`
    app.state.templates = web.make_templates()
    app.state.rate_limiter = RateLimiter()
    app.state.registry_index = IndexHolder(settings.registry_cache_s)

    app.include_router(registry_api.router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    app.include_router(dpo_api.router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    app.include_router(dpo_kpi_api.router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    app.include_router(wifi_api.router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    app.include_router(wifi_release_api.router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    app.include_router(opendata_api.router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    app.include_router(ckan_api.router)
    app.include_router(dcat.router)
    app.include_router(auth_pages.router)
    app.include_router(registry_pages.router)
    app.include_router(registry_staff_pages.router)
    app.include_router(dpo_pages.router)
    app.include_router(dpo_kpi_pages.router)
    app.include_router(dpo_dashboard_pages.router)
    app.include_router(dpo_training_pages.router)
    app.include_router(wifi_pages.router)
    app.include_router(opendata_pages.router)
    app.include_router(opendata_participation_pages.router)
    app.include_router(opendata_staff_pages.router)
    app.mount("/static", StaticFiles(directory=web.STATIC_DIR), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz(request: Request) -> dict[str, str]:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__}

    @app.get("/livez", include_in_schema=False)
    async def livez() -> dict[str, str]:
        """Liveness: the process answers. No database; the benchmark's trivial baseline."""
        return {"status": "ok"}

    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)
    _install_error_handlers(app)
    app.add_middleware(SecurityHeadersMiddleware, csp=content_security_policy(settings.map_tile_url),
                       hsts=settings.secure_cookies)
    app.add_middleware(RequestContextMiddleware, access_log=settings.access_log)
    return app


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def _error_response(request: Request, status: int, code: str, message: str,
                    details: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> Response:
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    headers = dict(headers or {})
    if details and "retry_after_s" in details:
        headers["Retry-After"] = str(details["retry_after_s"])
    if _wants_json(request):
        return JSONResponse(body, status_code=status, headers=headers)
    # People read the page in their language; the JSON keeps the stable English message.
    shown = {**body["error"], "message": i18n.gettext_(message)}
    response = web.render(request, "error.html", {"error": shown, "status": status}, status_code=status)
    response.headers.update(headers)
    return response


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(PracaError)
    async def praca_error(request: Request, exc: PracaError) -> Response:
        if isinstance(exc, Unauthenticated) and not _wants_json(request):
            return RedirectResponse(f"/staff/login?next={request.url.path}", status_code=303)
        return _error_response(request, exc.status, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]
                               if p not in ("query", "body", "path", "form") and not isinstance(p, int)),
             "message": e["msg"]}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": "", "message": "invalid input"}
        message = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
        return _error_response(request, 422, "invalid_input", message,
                               {"field": first["field"], "errors": errors})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        codes = {404: "not_found", 405: "method_not_allowed"}
        message = exc.detail if isinstance(exc.detail, str) else "Request failed."
        if exc.status_code == 404:
            message = "Nothing here: check the address."
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return _error_response(request, exc.status_code, codes.get(exc.status_code, "http_error"), message,
                               headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, BaseRoute) and route.matches(request.scope)[0] is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)
