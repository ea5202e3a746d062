"""What the catalogue accepts: one validated shape for datasets and resources, whatever door they come in by."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, model_validator

from praca.core.db import refuse_nul
from praca.opendata.vocab import FORMATS, FREQUENCIES, LICENSES, THEMES

NAME_PATTERN = r"^[a-z0-9_-]{2,100}$"  # CKAN's rule for dataset and organisation names
RESERVED_NAMES = frozenset({"requests", "reuses", "new", "search"})  # the portal's own pages under /data/


def _known(vocabulary: dict[str, object], what: str):
    def check(value: str) -> str:
        if value not in vocabulary:
            raise ValueError(f"unknown {what} '{value}'; use one of: {', '.join(sorted(vocabulary))}")
        return value
    return check


Text = Annotated[str, AfterValidator(refuse_nul)]
Theme = Annotated[str, AfterValidator(_known(THEMES, "theme"))]
Frequency = Annotated[str, AfterValidator(_known(FREQUENCIES, "frequency"))]
LicenseId = Annotated[str, AfterValidator(_known(LICENSES, "licence"))]
FormatCode = Annotated[str, AfterValidator(lambda v: _known(FORMATS, "format")(v.upper()))]
Keyword = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(refuse_nul)]
QuasiIdentifier = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(refuse_nul)]


class DatasetIn(BaseModel):
    """A dataset's metadata. On update every field is optional: only those given change."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(pattern=NAME_PATTERN, description="URL slug: lower-case letters, digits, - and _.")
    title_pt: Text = Field(min_length=1, max_length=300)
    title_en: Text = Field(min_length=1, max_length=300)
    notes_pt: Text = Field("", max_length=20_000)
    notes_en: Text = Field("", max_length=20_000)
    organization: str = Field(pattern=NAME_PATTERN, description="The publisher's name (slug).")
    themes: list[Theme] = Field(default_factory=list, max_length=13)
    keywords: list[Keyword] = Field(default_factory=list, max_length=50)
    license_id: LicenseId = "CC-BY-4.0"
    temporal_start: date | None = None
    temporal_end: date | None = None
    spatial: Text | None = Field(None, max_length=200)
    spatial_bbox: list[float] | None = Field(None, min_length=4, max_length=4,
                                             description="[west, south, east, north] in WGS 84 degrees.")
    frequency: Frequency | None = None
    contact_name: Text | None = Field(None, max_length=200)
    contact_email: EmailStr | None = None
    quasi_identifiers: list[QuasiIdentifier] = Field(default_factory=list, max_length=20)
    k_threshold: int = Field(10, ge=2, le=1000)

    @model_validator(mode="after")
    def _coherent(self) -> DatasetIn:
        if self.name in RESERVED_NAMES:
            raise ValueError(f"'{self.name}' is the name of a portal page; choose another dataset name")
        if self.temporal_start and self.temporal_end and self.temporal_end < self.temporal_start:
            raise ValueError("temporal_end is before temporal_start")
        if self.spatial_bbox:
            west, south, east, north = self.spatial_bbox
            if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
                raise ValueError("spatial_bbox must be [west, south, east, north] within WGS 84 bounds")
        self.keywords = list(dict.fromkeys(k.strip() for k in self.keywords))
        return self


# Every field a caller may change with a patch; `name` is changed on purpose, never by omission.
PATCHABLE = tuple(f for f in DatasetIn.model_fields if f != "name")


class ResourceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name_pt: Text = Field(min_length=1, max_length=300)
    name_en: Text = Field(min_length=1, max_length=300)
    description_pt: Text = Field("", max_length=5000)
    description_en: Text = Field("", max_length=5000)
    format: FormatCode | None = Field(None, description="Guessed from the file name when omitted.")
    url: Text | None = Field(None, max_length=1000, pattern=r"^https?://",
                             description="A link, for a resource that is not uploaded.")
