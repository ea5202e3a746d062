"""JSON logs without personal data, Prometheus metrics and the per-request context (locale)."""

from __future__ import annotations

import logging
import sys
import time

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from praca.core import i18n

REQUESTS = Counter("praca_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("praca_http_request_seconds", "HTTP request latency", ["route"],
                    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))

# Query strings and paths can carry follow-up tokens, e-mails or coordinates: logs never see them.
_SAFE_KEYS = frozenset({"event", "level", "timestamp", "logger"})


class _CurrentStderr:
    """Writes to whatever sys.stderr is now, so a replaced or captured stream never strands a logger."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(format="%(message)s", stream=sys.stderr, level=level.upper(), force=True)
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).disabled = True
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),
        cache_logger_on_first_use=True,
    )


def route_template(scope: Scope) -> str:
    """The route's pattern (`/follow/{token}`), never the concrete path with its secrets."""
    route = scope.get("route")
    return getattr(route, "path_format", None) or getattr(route, "path", None) or "unmatched"


class RequestContextMiddleware:
    """Sets the locale for templates, counts and times each request by route pattern."""

    def __init__(self, app: ASGIApp, access_log: bool = False) -> None:
        self.app = app
        self.access_log = access_log
        self.log = structlog.get_logger("praca.http")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        locale = i18n.negotiate(request.query_params.get("lang"), request.cookies.get("praca_lang"),
                                request.headers.get("accept-language"))
        i18n.set_locale(locale)
        scope.setdefault("state", {})["locale"] = locale
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = route_template(scope)
            elapsed = time.perf_counter() - start
            REQUESTS.labels(scope["method"], route, str(status)).inc()
            LATENCY.labels(route).observe(elapsed)
            if self.access_log or status >= 500:
                self.log.info("http.request", method=scope["method"], route=route, status=status,
                              ms=round(elapsed * 1000, 2))


def metrics_endpoint(_: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
