"""What citizens' participation accepts and what /api/v1/opendata returns.

One shape per input, whatever door it comes in by (HTML form or JSON): text is trimmed, a blank optional
field is "not given", NUL characters and lone surrogates are refused (PostgreSQL can store neither, so
they are bad input, not a 500 on one engine), and every length is capped.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from praca.core.db import refuse_nul

CommentKind = Literal["comment", "question"]
ReuseKind = Literal["application", "article", "visualization", "api", "idea"]
# pending (moderation) → open → planned | fulfilled | declined; "rejected" is moderation's refusal.
RequestStatus = Literal["pending", "open", "planned", "fulfilled", "declined", "rejected"]
PublicRequestStatus = Literal["open", "planned", "fulfilled", "declined"]
StaffRequestStatus = Literal["open", "planned", "fulfilled", "declined"]
# Why a moderator hid a contribution: codes, so the audit log holds no free text.
RejectReason = Literal["spam", "offensive", "personal_data", "off_topic", "duplicate"]

COMMENT_KINDS: tuple[str, ...] = ("comment", "question")
REUSE_KINDS: tuple[str, ...] = ("application", "article", "visualization", "api", "idea")
REJECT_REASONS: tuple[str, ...] = ("spam", "offensive", "personal_data", "off_topic", "duplicate")
STAFF_REQUEST_STATUSES: tuple[str, ...] = ("open", "planned", "fulfilled", "declined")

COMMENT_LIMITS = (3, 2000)
AUTHOR_MAX = 80
REQUEST_TITLE_LIMITS = (5, 200)
REQUEST_DESCRIPTION_LIMITS = (10, 4000)
REUSE_TITLE_LIMITS = (3, 200)
REUSE_DESCRIPTION_MAX = 2000
URL_MAX = 1000
ANSWER_MAX = 4000
NOTE_MAX = 1000
REUSE_DATASETS_MAX = 20
NAME_OR_ID = r"^[A-Za-z0-9_-]{1,100}$"  # a dataset's or organisation's slug, or a UUID


def _clean_text(value: Any) -> Any:
    """Refuse what no one types and PostgreSQL cannot store: NUL and unpaired surrogates."""
    value = refuse_nul(value)
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("text must be valid Unicode") from None
    return value


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _web_address(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
        raise ValueError("give a web address starting with http:// or https://")
    return value


Clean = BeforeValidator(_clean_text)
Blank = BeforeValidator(_blank_to_none)
Slug = Annotated[str, Clean, Field(pattern=NAME_OR_ID)]


def _optional_text(max_length: int, description: str | None = None) -> Any:
    """Text that may be left blank (then None), capped."""
    return Annotated[Annotated[str, Clean, Field(max_length=max_length)] | None, Blank,
                     Field(description=description)]


Author = _optional_text(AUTHOR_MAX, "A name to show, if the citizen wants one.")
Note = _optional_text(NOTE_MAX)
Answer = _optional_text(ANSWER_MAX)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- what citizens send -----------------------------------------------------------------------------------------

class CommentIn(_In):
    """A comment on, or a question about, a dataset. No e-mail is asked: the answer is public."""

    kind: CommentKind = "comment"
    body: Annotated[str, Clean, Field(min_length=COMMENT_LIMITS[0], max_length=COMMENT_LIMITS[1])]
    author: Author = None


class RequestIn(_In):
    """A request for data the portal does not publish yet."""

    title: Annotated[str, Clean, Field(min_length=REQUEST_TITLE_LIMITS[0], max_length=REQUEST_TITLE_LIMITS[1])]
    description: Annotated[str, Clean, Field(min_length=REQUEST_DESCRIPTION_LIMITS[0],
                                             max_length=REQUEST_DESCRIPTION_LIMITS[1])]
    organization: Annotated[Slug | None, Blank,
                            Field(description="The publisher who may hold the data (its name).")] = None


class ReuseIn(_In):
    """An application, article, visualisation, API or idea built on datasets of the portal."""

    title: Annotated[str, Clean, Field(min_length=REUSE_TITLE_LIMITS[0], max_length=REUSE_TITLE_LIMITS[1])]
    url: Annotated[str, Clean, Field(min_length=10, max_length=URL_MAX, pattern=r"^https?://\S+$"),
                   AfterValidator(_web_address)]
    kind: ReuseKind
    description: Annotated[str, Clean, Field(max_length=REUSE_DESCRIPTION_MAX)] = ""
    author: Author = None
    datasets: Annotated[list[Slug], Field(min_length=1, max_length=REUSE_DATASETS_MAX,
                                          description="Names of the public datasets it uses.")]


# --- what moderators send ----------------------------------------------------------------------------------------

class Decision(_In):
    """Approve, or reject with a reason code; a rejected request may carry a note its author reads."""

    action: Literal["approve", "reject"]
    reason: Annotated[RejectReason | None, Blank] = None
    note: Note = None


class AnswerIn(_In):
    answer: Annotated[str, Clean, Field(min_length=1, max_length=ANSWER_MAX)]


class RequestUpdate(_In):
    """A request's next status; declining needs an answer, fulfilling needs the dataset that fulfils it."""

    status: StaffRequestStatus
    answer: Answer = None
    dataset: Annotated[Slug | None, Blank] = None


# --- what the API returns --------------------------------------------------------------------------------------

class OrganizationRef(BaseModel):
    name: str
    title_pt: str
    title_en: str


class FieldRead(BaseModel):
    id: str
    type: str


class ResourceRead(BaseModel):
    id: str = Field(description="The resource's public id, as the CKAN API names it.")
    name_pt: str
    name_en: str
    description_pt: str
    description_en: str
    format: str
    mimetype: str | None
    url: str | None = Field(description="The link, for a linked resource; null for an upload.")
    datastore: bool = Field(description="Tabular: queryable with datastore_search and dumpable as CSV/JSON/Parquet.")
    datastore_dump_url: str | None
    rows: int | None
    size: int | None
    fields: list[FieldRead]
    modified_at: datetime


class DatasetSummary(BaseModel):
    id: str
    name: str
    title_pt: str
    title_en: str
    notes_pt: str
    notes_en: str
    organization: OrganizationRef
    themes: list[str]
    keywords: list[str]
    license_id: str
    formats: list[str]
    issued_at: datetime | None
    modified_at: datetime
    page_url: str = Field(description="The dataset's page on the portal.")


class CommentRead(BaseModel):
    id: str
    kind: str
    author: str | None
    body: str
    status: str = Field(description="pending until a moderator approves it; only approved comments are listed")
    answer: str | None
    answered_at: datetime | None
    created_at: datetime


class ReuseRead(BaseModel):
    id: str
    title: str
    description: str
    url: str
    kind: str
    author: str | None
    status: str
    datasets: list[str] = Field(description="Names of the public datasets it uses.")
    created_at: datetime


class DatasetDetail(DatasetSummary):
    temporal_start: date | None
    temporal_end: date | None
    spatial: str | None
    spatial_bbox: list[float] | None
    frequency: str | None
    contact_name: str | None
    contact_email: str | None
    version: int
    resources: list[ResourceRead]
    comments: list[CommentRead] = Field(description="Approved comments and questions, oldest first, with answers.")
    reuses: list[ReuseRead] = Field(description="Approved reuses of this dataset, newest first.")


class DatasetPage(BaseModel):
    total: int
    items: list[DatasetSummary]
    facets: dict[str, dict[str, int]] = Field(
        description="For each filter (organization, theme, format, license, keyword): value → matching datasets.")


class RequestRead(BaseModel):
    id: str
    title: str
    description: str
    organization: str | None = Field(description="The publisher's name, if the requester named one.")
    status: str
    supporters: int
    answer: str | None
    answered_at: datetime | None
    dataset: str | None = Field(description="The dataset that fulfils the request, once published.")
    created_at: datetime


class RequestPage(BaseModel):
    total: int
    items: list[RequestRead]


class SupportResult(BaseModel):
    request_id: str
    supporters: int
    counted: bool = Field(description="False when this browser (its supporter cookie) had already supported it.")


class ReusePage(BaseModel):
    total: int
    items: list[ReuseRead]
