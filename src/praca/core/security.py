"""Security headers, CSRF for forms, and rate limits on public POSTs."""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from praca.core.errors import Forbidden, RateLimited

CSRF_COOKIE = "praca_csrf"
CSRF_FIELD = "csrf_token"


def content_security_policy(tile_url: str) -> str:
    tile_origin = "/".join(tile_url.split("/")[:3]).replace("{s}.", "*.")
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src 'self' data: blob: {tile_origin}; connect-src 'self'; font-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


class SecurityHeadersMiddleware:
    """Pure ASGI (cheap on the hot path): CSP, no sniffing, no framing, no referrer.

    `Referrer-Policy: no-referrer` matters: follow-up URLs carry a citizen's secret token.
    """

    def __init__(self, app: ASGIApp, csp: str, hsts: bool) -> None:
        self.app = app
        headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"permissions-policy", b"geolocation=(self), camera=(), microphone=()"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if hsts:
            headers.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
        self.headers = headers
        self.csp = (b"content-security-policy", csp.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(self.headers)
                ctype = next((v for k, v in headers if k == b"content-type"), b"")
                if ctype.startswith(b"text/html"):
                    headers.append(self.csp)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def csrf_token(request: Request) -> str:
    """The double-submit token for this browser: the cookie value, created on first use."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return token


def set_csrf_cookie(request: Request, response: Any) -> None:
    new = getattr(request.state, "new_csrf", None)
    if new:
        secure = request.app.state.settings.secure_cookies
        response.set_cookie(CSRF_COOKIE, new, httponly=True, samesite="strict", secure=secure, path="/")


async def csrf_protect(request: Request) -> None:
    """Forms must echo the cookie's token (double submit) and come from our own origin."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not isinstance(sent, str) or not hmac.compare_digest(cookie, sent):
        raise Forbidden("The form has expired or was not sent from this site. Reload the page and try again.",
                        details={"reason": "csrf"})
    origin = request.headers.get("origin")
    if origin and origin != "null" and origin.rstrip("/") != f"{request.url.scheme}://{request.url.netloc}":
        raise Forbidden("Cross-site form submissions are refused.", details={"reason": "origin"})


class RateLimiter:
    """Sliding-window counter per (bucket, client), in process memory.

    With several web processes each keeps its own window; the limit is then per process, which
    still stops a single client from flooding the DPO's inbox.
    """

    def __init__(self) -> None:
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, bucket: str, client: str, limit: int, window_s: float) -> float | None:
        """Record a hit; return None if allowed, else seconds until the next one is."""
        now = time.monotonic()
        with self._lock:
            q = self._hits.setdefault((bucket, client), deque())
            while q and q[0] <= now - window_s:
                q.popleft()
            if len(q) >= limit:
                return q[0] + window_s - now
            q.append(now)
            if len(self._hits) > 100_000:
                self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - window_s}
            return None


def rate_limit(bucket: str) -> Callable[[Request], None]:
    def dependency(request: Request) -> None:
        settings = request.app.state.settings
        client = request.client.host if request.client else "unknown"
        wait = request.app.state.rate_limiter.hit(bucket, client, settings.public_post_rate,
                                                   settings.public_post_window_s)
        if wait is not None:
            raise RateLimited("Too many submissions from your connection. Please wait and try again.",
                              details={"retry_after_s": int(wait) + 1})

    return dependency
