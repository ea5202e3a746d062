"""What the desk's forms accept. Shape checks live here, so a bad field is named before any code runs.

Browsers send every field as text, empty when left blank: blanks become None, and a decimal comma
("41,15", as Portuguese keyboards type it) is read as a point.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, EmailStr, Field, ValidationInfo, field_validator

from praca.core.db import refuse_nul
from praca.dpo.models import CaseKind, CaseStatus, Channel, DataSubjectRight, QuestionTopic, ReportOutcome
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

    _text = field_validator("*", mode="before")(refuse_nul)


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
    topic: Annotated[QuestionTopic | None, Optional] = None  # none chosen: "other"


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


CaseSort = Literal["due", "-due", "received", "-received"]
DUE_WITHIN_MAX = 90


class CaseFilter(BaseModel):
    """The inbox's query: unknown parameters (such as ?lang=) are ignored, bad values refused.

    By default the inbox is a work queue: open cases (not closed or rejected), the nearest legal
    deadline first, because that is the order a DPO must answer in; a search by reference, or an
    explicit status, looks at every case, since a reference read out on the phone may be a closed one.
    `department` is a slug, an id or "none" (the DPO's own desk); `assignee` a user id, "me" or "none".
    "Overdue" and "due within" count in Lisbon calendar days, and only cases still awaiting an answer.
    """

    kind: Annotated[CaseKind | None, Optional] = None
    status: Annotated[CaseStatus | None, Optional] = None
    department: Annotated[Annotated[str, Field(max_length=60, pattern=r"^[a-z0-9][a-z0-9_-]*$")] | None,
                          Optional] = None
    assignee: Annotated[Annotated[str, Field(pattern=r"^(me|none|[0-9]{1,9})$")] | None, Optional] = None
    overdue: Annotated[bool | None, Optional] = None
    due_within: Annotated[Annotated[int, Field(ge=0, le=DUE_WITHIN_MAX)] | None, Optional] = None
    open_only: bool = True
    q: Annotated[Annotated[str, Field(max_length=40)] | None, Optional] = None
    sort: CaseSort = "due"
    limit: Annotated[int, Field(ge=1, le=100)] = 25
    offset: Annotated[int, Field(ge=0, le=1_000_000)] = 0

    _text = field_validator("*", mode="before")(refuse_nul)


DepartmentRef = Annotated[str, Field(max_length=60, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
AssigneeRef = Annotated[str, Field(pattern=r"^(me|none|[0-9]{1,9})$")]


class CaseQuery(CaseFilter):
    """CaseFilter for the JSON API: the same fields, without the HTML form's "blank means any"
    (a program leaves a parameter out), and unknown parameters refused, so the OpenAPI document says
    exactly what is accepted."""

    model_config = ConfigDict(extra="forbid")

    kind: CaseKind | None = None
    status: CaseStatus | None = None
    department: DepartmentRef | None = None
    assignee: AssigneeRef | None = None
    overdue: bool | None = None
    due_within: Annotated[int, Field(ge=0, le=DUE_WITHIN_MAX)] | None = None
    q: Annotated[str, Field(max_length=40)] | None = None
    lang: Literal["pt", "en"] | None = Field(None, description="Accepted for symmetry with the pages; unused")


# --- staff forms: registering a case, assigning, extending, rejecting ------------------------------------------

REASON_LIMITS = (10, 2000)
BULK_MAX = 100
REQUESTER_NAME_MAX = 200
RECEIVED_MAX_AGE_DAYS = 366  # older paper is a records question, not a live case with a legal clock
Reason = Annotated[str, Field(min_length=REASON_LIMITS[0], max_length=REASON_LIMITS[1])]
StaffChannel = Literal[Channel.EMAIL, Channel.PHONE, Channel.LETTER, Channel.IN_PERSON]


class RegisterCaseForm(_Form):
    """A case that reached the city by e-mail, phone, letter or in person, typed in by staff.

    `received_on` is the day it arrived (the legal clock runs from it), not the day it is typed in.
    A question names its topic, a rights request its right; a report of an unlisted device needs
    where it was seen. `locale` is the language the citizen reads replies in.
    """

    kind: CaseKind
    topic: Annotated[QuestionTopic | None, Optional, Field(validate_default=True)] = None
    data_right: Annotated[DataSubjectRight | None, Optional, Field(validate_default=True)] = None
    channel: StaffChannel
    received_on: date | datetime  # a date, or the moment when known (naive: Lisbon time)
    message: Annotated[str, Field(min_length=1, max_length=STAFF_MESSAGE_MAX)]
    email: ContactEmail = None
    name: Annotated[Annotated[str, Field(max_length=REQUESTER_NAME_MAX)] | None, Optional] = None
    locale: Literal["pt", "en"] = "pt"
    department: Annotated[Annotated[str, Field(max_length=60)] | None, Optional] = None
    lat: Annotated[Latitude | None, Optional, Field(validate_default=True)] = None
    lon: Annotated[Longitude | None, Optional, Field(validate_default=True)] = None

    @field_validator("topic")
    @classmethod
    def _topic(cls, value: QuestionTopic | None, info: ValidationInfo) -> QuestionTopic | None:
        if info.data.get("kind") != CaseKind.QUESTION:
            return None
        if value is None:
            raise ValueError("a question needs its topic")
        return value

    @field_validator("data_right")
    @classmethod
    def _right(cls, value: DataSubjectRight | None, info: ValidationInfo) -> DataSubjectRight | None:
        if info.data.get("kind") != CaseKind.RIGHTS_REQUEST:
            return None
        if value is None:
            raise ValueError("a rights request names its right")
        return value

    @field_validator("lat", "lon")
    @classmethod
    def _where(cls, value: float | None, info: ValidationInfo) -> float | None:
        if info.data.get("kind") != CaseKind.UNLISTED_DEVICE:
            return None
        if value is None:
            raise ValueError("a report needs where the device was seen")
        return value


class AssignForm(_Form):
    """Who works on a case: a department (slug; empty: the DPO's own desk) and a person (user id)."""

    department: Annotated[Annotated[str, Field(max_length=60)] | None, Optional] = None
    assignee: Annotated[Annotated[int, Field(ge=1, le=2_000_000_000)] | None, Optional] = None


class ExtendForm(_Form):
    """GDPR Art. 12(3): up to two further months, for a reason the citizen is told."""

    months: Annotated[int, Field(ge=1, le=2)]
    reason: Reason


class RejectForm(_Form):
    reason: Reason


class IdentityForm(_Form):
    """How staff checked who made a rights request (kept as an internal note, never shown to them)."""

    how: Reason


# --- citizen forms: exercising a right, a complaint (intake.py) ---------------------------------------------------

NAME_MAX = 200
CASE_REFERENCE = r"^P-\d{4}-\d{6}$"


def _reference(value: Any) -> Any:
    """A case reference as people type it: spaces around, lower case ("p-2026-000123") are fine."""
    value = _blank_to_none(value)
    return value.strip().upper() if isinstance(value, str) else value


class RightsRequestForm(_Form):
    """A data subject exercises one of their GDPR rights (Art. 15-22). The e-mail is required: it is
    how we confirm the request comes from someone we can answer, before the legal clock starts."""

    data_right: DataSubjectRight
    name: Annotated[str, Field(min_length=1, max_length=NAME_MAX)]
    email: Annotated[EmailStr, Field(max_length=320)]
    message: Annotated[str, Field(min_length=QUESTION_LIMITS[0], max_length=QUESTION_LIMITS[1])]


class ComplaintForm(_Form):
    """A complaint to the Inhabitant Ombudsman, perhaps about an earlier case (by its reference)."""

    message: Annotated[str, Field(min_length=QUESTION_LIMITS[0], max_length=QUESTION_LIMITS[1])]
    reference: Annotated[Annotated[str, Field(pattern=CASE_REFERENCE)] | None, BeforeValidator(_reference)] = None
    email: ContactEmail = None
