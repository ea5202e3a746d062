"""From a posted HTML form to a schema model, or to messages people can act on, in their language.

Pydantic's own messages are English and technical; each field here has one plain message saying
what is expected, shown next to the field and in the summary at the top of the form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData, UploadFile

from praca.core.errors import PracaError, TooLarge, UnsupportedMedia
from praca.core.i18n import _
from praca.dpo.labels import N_

M = TypeVar("M", bound=BaseModel)

FIELD_MESSAGES: dict[str, str] = {
    "lat": N_("Enter the latitude as a number, like 41.1496, or set the pin on the map."),
    "lon": N_("Enter the longitude as a number, like -8.6109, or set the pin on the map."),
    "device_type": N_("Choose a kind of device from the list, or leave it empty."),
    "description": N_("Describe what you saw in 10 to 2000 characters."),
    "message": N_("Write your message in 10 to 4000 characters."),
    "email": N_("Enter an e-mail address like name@example.org, or leave it empty."),
    "body": N_("Write a message: at most 8000 characters."),
    "status": N_("Choose one of the statuses offered."),
    "outcome": N_("Choose an outcome."),
    "device_id": N_("Give the id of the register entry the report is about."),
    "topic": N_("Choose one of the topics offered, or none."),
    "data_right": N_("Choose the right you want to exercise."),
    "name": N_("Enter your name: at most 200 characters."),
    "reference": N_("Enter the reference of the earlier case like P-2026-000123, or leave it empty."),
}
# A rights request cannot go ahead without an address to confirm, so its message differs.
REQUIRED_EMAIL = N_("Enter your e-mail address, like name@example.org: we need it to confirm your request.")


@dataclass(frozen=True)
class FieldError:
    """One message for one form control; `field` is the control's id, so the summary links to it."""

    field: str
    message: str


async def posted_form(request: Request) -> FormData:
    """The parsed form (Starlette caches it, so CSRF checking and the route read it once)."""
    return await request.form()


def text_values(form: FormData, fields: tuple[str, ...]) -> dict[str, str]:
    """The text fields we expect, and nothing else (files and unknown fields are left out)."""
    values = {}
    for name in fields:
        value = form.get(name)
        if isinstance(value, str):
            values[name] = value
    return values


def all_text_values(form: FormData, fields: tuple[str, ...]) -> dict[str, str]:
    """Like `text_values`, with an empty string for a field not sent at all (an unticked radio group),
    so that every field keeps its place in the error summary."""
    sent = text_values(form, fields)
    return {name: sent.get(name, "") for name in fields}


def uploaded(form: FormData, name: str) -> UploadFile | None:
    """The file in an <input type=file>, or None when nothing was chosen."""
    value = form.get(name)
    return value if isinstance(value, UploadFile) and value.filename else None


def parse(model: type[M], values: dict[str, object], messages: dict[str, str] | None = None
          ) -> tuple[M | None, list[FieldError]]:
    """Validate; on failure, one translated message per field, in the order of `values`."""
    try:
        return model.model_validate(values), []
    except ValidationError as exc:
        failed = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
        texts = {**FIELD_MESSAGES, **(messages or {})}
        order = list(values) + sorted(failed - set(values))
        return None, [FieldError(f, _(texts.get(f, N_("Check this field.")))) for f in order if f in failed]


def photo_error(exc: PracaError, max_bytes: int) -> FieldError:
    if isinstance(exc, TooLarge) and "max_pixels" in exc.details:
        text = _("The photo has too many pixels. Send a smaller picture.")
    elif isinstance(exc, TooLarge):
        text = _("The photo is too large: send one of at most %(mb)s MB.") % {"mb": max_bytes // (1024 * 1024)}
    elif isinstance(exc, UnsupportedMedia):
        text = _("The photo must be a JPEG, PNG or WebP picture.")
    else:
        text = _("We could not read the photo; it may be damaged. Try another one.")
    return FieldError("photo", text)


def document_error(exc: PracaError, max_bytes: int) -> FieldError:
    """What to do about a refused document, in the reader's language."""
    if isinstance(exc, TooLarge) and "max_pixels" in exc.details:
        text = _("The picture has too many pixels. Send a smaller one.")
    elif isinstance(exc, TooLarge):
        text = _("The document is too large: send one of at most %(mb)s MB.") % {"mb": max_bytes // (1024 * 1024)}
    elif isinstance(exc, UnsupportedMedia):
        text = _("The document must be a PDF, or a JPEG, PNG or WebP picture.")
    else:
        text = _("We could not read the document; it may be empty or damaged. Try another one.")
    return FieldError("document", text)
