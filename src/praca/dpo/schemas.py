"""What the desk's forms accept. Shape checks live here, so a bad field is named before any code runs.

Browsers send every field as text, empty when left blank: blanks become None, and a decimal comma
("41,15", as Portuguese keyboards type it) is read as a point.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, EmailStr, Field, ValidationInfo, field_validator

from praca.dpo.models import CaseKind, CaseStatus, ReportOutcome
from praca.registry.taxonomy import DeviceType


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _decimal(value: Any) -> Any:
    value = _blank_to_none(value)
    return value.strip().replace(",", ".") if isinstance(value, str) else value


Optional = BeforeValidator(_blank_to_none)
Latitude = Annotated[float, BeforeValidator(_decimal), Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, BeforeValidator(_decimal), Field(ge=-180, le=180, allow_inf_nan=False)]
ContactEmail = Annotated[Annotated[EmailStr, Field(max_length=320)] | None, Optional]

DESCRIPTION_LIMITS = (10, 2000)
QUESTION_LIMITS = (10, 4000)
FOLLOW_UP_MAX = 4000
STAFF_MESSAGE_MAX = 8000


class _Form(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class ReportForm(_Form):
    """A citizen reports a device that is not in the register."""

    lat: Latitude
    lon: Longitude
    device_type: Annotated[DeviceType | None, Optional] = None
    description: Annotated[str, Field(min_length=DESCRIPTION_LIMITS[0], max_length=DESCRIPTION_LIMITS[1])]
    email: ContactEmail = None


class QuestionForm(_Form):
    """A citizen asks the DPO, about one device or in general."""

    message: Annotated[str, Field(min_length=QUESTION_LIMITS[0], max_length=QUESTION_LIMITS[1])]
    email: ContactEmail = None


class FollowUpForm(_Form):
    """A citizen adds to their own case from the follow-up page."""

    message: Annotated[str, Field(min_length=1, max_length=FOLLOW_UP_MAX)]


class StaffMessageForm(_Form):
    """A public reply or an internal note."""

    body: Annotated[str, Field(min_length=1, max_length=STAFF_MESSAGE_MAX)]
    mark_answered: bool = False


class StatusForm(_Form):
    status: CaseStatus


class OutcomeForm(_Form):
    """Closing a report without creating a device (registered_now has its own form: the device)."""

    outcome: Literal[ReportOutcome.ALREADY_REGISTERED, ReportOutcome.NOT_A_DEVICE]
    device_id: Annotated[Annotated[str, Field(max_length=36)] | None, Optional, Field(validate_default=True)] = None
    message: Annotated[Annotated[str, Field(max_length=STAFF_MESSAGE_MAX)] | None, Optional] = None

    @field_validator("device_id")
    @classmethod
    def _device_named(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("outcome") == ReportOutcome.ALREADY_REGISTERED and not value:
            raise ValueError("name the register entry the report is about")
        return value


class CaseFilter(BaseModel):
    """The inbox's query: unknown parameters (such as ?lang=) are ignored, bad values refused."""

    kind: Annotated[CaseKind | None, Optional] = None
    status: Annotated[CaseStatus | None, Optional] = None
    q: Annotated[Annotated[str, Field(max_length=40)] | None, Optional] = None
    limit: Annotated[int, Field(ge=1, le=100)] = 25
    offset: Annotated[int, Field(ge=0, le=1_000_000)] = 0
