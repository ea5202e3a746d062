"""What every CKAN action shares: the call's context, CKAN's error kinds, the action registry, parameter parsing.

CKAN's clients branch on the error's `__type` (ckanapi turns "Not Found Error" into NotFound, "Validation
Error" into ValidationError…), so errors here are named and shaped as CKAN names and shapes them; the
router (ckan_api.py) turns them into the envelope.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from praca.core.auth import Role, User
from praca.settings import Settings

# Roles that may write the catalogue through the API, and see what is not public yet.
WRITERS = frozenset({Role.STEWARD, Role.ADMIN, Role.DPO})
MAX_INT = 2**31 - 1  # bigger offsets and limits mean nothing here and overflow SQL integers


@dataclass
class Upload:
    """A file sent as multipart `upload` (how ckanapi sends `files={"upload": …}`), spooled to disk."""

    path: Path
    filename: str


@dataclass
class Context:
    session: Session
    settings: Settings
    user: User | None
    action: str
    uploads: dict[str, Upload] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return self.settings.base_url.rstrip("/")

    @property
    def can_write(self) -> bool:
        return self.user is not None and self.user.role in WRITERS


# --- CKAN's error kinds --------------------------------------------------------------------------------------

class CkanError(Exception):
    status = 400
    kind = "Bad request"

    def __init__(self, message: str = "", **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields

    def error(self) -> dict[str, Any]:
        return {"__type": self.kind, "message": self.message, **self.fields}


class NotFound(CkanError):
    status, kind = 404, "Not Found Error"

    def error(self) -> dict[str, Any]:
        return {"__type": self.kind, "message": f"Not found: {self.message}" if self.message else "Not found"}


class NotAuthorized(CkanError):
    status, kind = 403, "Authorization Error"

    def error(self) -> dict[str, Any]:
        return {"__type": self.kind,
                "message": f"Access denied: {self.message}" if self.message else "Access denied"}


class Invalid(CkanError):
    """CKAN's ValidationError: {field: [messages]}, with `message` only when no field is to blame."""

    status, kind = 409, "Validation Error"

    def __init__(self, errors: dict[str, Any], message: str = "") -> None:
        super().__init__(message or "; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors

    def error(self) -> dict[str, Any]:
        return {"__type": self.kind, **self.errors}


class SearchQueryError(CkanError):
    status, kind = 400, "Search Query Error"

    def error(self) -> dict[str, Any]:
        return {"__type": self.kind, "message": f"Search Query is invalid: {self.message}"}


class SearchError(CkanError):
    status, kind = 409, "Search Error"

    def error(self) -> dict[str, Any]:
        return {"__type": self.kind, "message": f"Search error: {self.message}"}


# --- the registry ----------------------------------------------------------------------------------------------

ActionFn = Callable[[Context, dict[str, Any]], Any]


@dataclass(frozen=True)
class Action:
    fn: ActionFn
    side_effect_free: bool  # CKAN serves these by GET too; the others only by POST


ACTIONS: dict[str, Action] = {}


def action(name: str, *, side_effect_free: bool = True) -> Callable[[ActionFn], ActionFn]:
    def register(fn: ActionFn) -> ActionFn:
        ACTIONS[name] = Action(fn, side_effect_free)
        return fn
    return register


def require_writer(ctx: Context) -> User:
    if ctx.user is None:
        raise NotAuthorized(f"Action {ctx.action} requires an authenticated user")
    if ctx.user.role not in WRITERS:
        raise NotAuthorized(f"User not authorized to run {ctx.action}: the data steward, DPO or admin role is needed")
    return ctx.user


# --- parameters, as CKAN's validators read them ------------------------------------------------------------

def text(data: dict[str, Any], key: str, default: str = "") -> str:
    value = data.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Invalid({key: ["Must be a string"]})
    return str(value)


def required(data: dict[str, Any], key: str) -> str:
    value = text(data, key).strip()
    if not value:
        raise Invalid({key: ["Missing value"]})
    return value


def natural(data: dict[str, Any], key: str, default: int | None = None, *, maximum: int = MAX_INT) -> int | None:
    """A whole number ≥ 0, given as a number or a string; larger than `maximum` is cut to it, as CKAN's
    limit_to_configured_maximum does for rows."""
    value = data.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise Invalid({key: ["Invalid integer"]})
    try:
        number = int(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError, OverflowError):
        raise Invalid({key: ["Invalid integer"]}) from None
    if number < 0:
        raise Invalid({key: ["Must be a natural number"]})
    return min(number, maximum)


def boolean(data: dict[str, Any], key: str, default: bool = False) -> bool:
    """CKAN's asbool: true/false, yes/no, on/off, 1/0, in any case."""
    value = data.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        word = value.strip().lower()
        if word in ("true", "yes", "on", "y", "t", "1"):
            return True
        if word in ("false", "no", "off", "n", "f", "0"):
            return False
    raise Invalid({key: ["Must be a boolean (true or false)"]})


def string_list(data: dict[str, Any], key: str) -> list[str] | None:
    """A list of strings: a JSON list, a JSON-encoded list, one string, or a comma-separated string."""
    value = data.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            try:
                value = json.loads(stripped)
            except ValueError:
                raise Invalid({key: ["Invalid JSON list"]}) from None
        else:
            return [p.strip() for p in stripped.split(",") if p.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid({key: ["Must be a list of strings"]})
    return value


def json_object(data: dict[str, Any], key: str) -> dict[str, Any] | None:
    """A JSON object, given as one or encoded in a string (GET parameters are strings)."""
    value = data.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise Invalid({key: ["Cannot parse JSON"]}) from None
    if not isinstance(value, dict):
        raise Invalid({key: ["Not a json object"]})
    return value


def find_nul(value: Any, path: str = "") -> str | None:
    """The first parameter holding a NUL character: no one types it, and PostgreSQL cannot compare it."""
    if isinstance(value, str):
        return path or "data" if "\x00" in value else None
    if isinstance(value, dict):
        for k, v in value.items():
            where = find_nul(k, path or str(k)) or find_nul(v, path or str(k))
            if where:
                return where
    if isinstance(value, list):
        for v in value:
            where = find_nul(v, path)
            if where:
                return where
    return None
