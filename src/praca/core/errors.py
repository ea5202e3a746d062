"""One error hierarchy, one JSON body: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class PracaError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.details = dict(details or {})
        if field:
            self.details.setdefault("field", field)

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class InvalidInput(PracaError):
    status = 422
    code = "invalid_input"


class NotFound(PracaError):
    status = 404
    code = "not_found"


class Unauthenticated(PracaError):
    status = 401
    code = "unauthenticated"


class Forbidden(PracaError):
    status = 403
    code = "forbidden"


class Conflict(PracaError):
    status = 409
    code = "conflict"


class TooLarge(PracaError):
    status = 413
    code = "too_large"


class UnsupportedMedia(PracaError):
    status = 415
    code = "unsupported_media_type"


class RateLimited(PracaError):
    status = 429
    code = "rate_limited"


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = {}


class ErrorBody(BaseModel):
    """The one error body, declared in OpenAPI for every 4xx."""

    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorBody} for s in (400, 401, 403, 404, 409, 413, 415, 422, 429)
}
