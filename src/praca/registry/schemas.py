"""What the register's API accepts and returns. Shape checks live here, so bad input is a 422 naming the field."""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Any, Literal, Self

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator, model_validator

from praca.core.db import refuse_nul
from praca.core.geo import BBox, parse_bbox
from praca.registry.taxonomy import (
    DataType,
    Deidentification,
    DeviceType,
    GeometryKind,
    LegalBasis,
    OperatorKind,
    PersonalDataCategory,
    Purpose,
    Status,
)

Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
Note = Annotated[str, Field(max_length=500)]


def _check_geometry(kind: GeometryKind, geometry: dict[str, Any] | None) -> None:
    """Areas are GeoJSON Polygons, routes LineStrings; points carry no geometry."""
    if kind is GeometryKind.POINT:
        if geometry is not None:
            raise ValueError("geometry must be empty for a point device")
        return
    expected = "Polygon" if kind is GeometryKind.AREA else "LineString"
    if not isinstance(geometry, dict) or geometry.get("type") != expected:
        raise ValueError(f"geometry must be a GeoJSON {expected} for a device of kind '{kind.value}'")
    coords = geometry.get("coordinates")
    rings = coords if expected == "Polygon" else [coords]
    if not isinstance(rings, list) or not rings:
        raise ValueError("geometry has no coordinates")
    for ring in rings:
        if not isinstance(ring, list) or len(ring) < (4 if expected == "Polygon" else 2):
            raise ValueError(f"geometry {expected} has too few positions")
        for pos in ring:
            if (not isinstance(pos, list | tuple) or len(pos) < 2
                    or not all(isinstance(v, int | float) and math.isfinite(v) for v in pos[:2])
                    or not (-180 <= pos[0] <= 180 and -90 <= pos[1] <= 90)):
                raise ValueError("geometry positions must be [longitude, latitude] numbers in range")
        if expected == "Polygon" and list(ring[0][:2]) != list(ring[-1][:2]):
            raise ValueError("a Polygon ring must end where it starts")


def _check_privacy(personal: bool, categories: list[PersonalDataCategory], basis: LegalBasis,
                   deidentified: bool, method: Deidentification) -> None:
    if personal:
        if not categories:
            raise ValueError("personal_data_categories: name what personal data the device processes")
        if basis is LegalBasis.NOT_APPLICABLE:
            raise ValueError("legal_basis: a device that processes personal data needs a GDPR Art. 6 basis")
    else:
        if categories:
            raise ValueError("personal_data_categories must be empty when personal_data is false")
        if basis is not LegalBasis.NOT_APPLICABLE:
            raise ValueError("legal_basis must be 'not_applicable' when personal_data is false")
    if deidentified == (method is Deidentification.NONE):
        raise ValueError("deidentification: name the method if and only if the data is de-identified")


class DeviceFields(BaseModel):
    """Every field a device records; Create requires them, Update makes them optional."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    _text = field_validator("*", mode="before")(refuse_nul)

    name: ShortText
    type: DeviceType
    description: Annotated[str, Field(max_length=2000)] | None = None
    lat: Lat
    lon: Lon
    geometry_kind: GeometryKind = GeometryKind.POINT
    geometry: dict[str, Any] | None = None
    operator: Annotated[str, Field(min_length=1, max_length=80, description="The operator's slug")]
    purposes: Annotated[list[Purpose], Field(min_length=1, max_length=20)]
    data_types: Annotated[list[DataType], Field(min_length=1, max_length=20)]
    personal_data: bool
    personal_data_categories: Annotated[list[PersonalDataCategory], Field(max_length=20)] = []
    legal_basis: LegalBasis
    retention_days: Annotated[int, Field(ge=0, le=36500)] | None = None
    retention_note: Note | None = None
    access: Note | None = None
    deidentified: bool = False
    deidentification: Deidentification = Deidentification.NONE
    deidentification_note: Note | None = None
    storage_location: Annotated[str, Field(max_length=300)] | None = None
    dpia_ref: Annotated[str, Field(max_length=100)] | None = None
    status: Status = Status.ACTIVE
    installed_on: date | None = None
    last_verified_on: date | None = None
    more_info_url: AnyHttpUrl | None = None


class DeviceCreate(DeviceFields):
    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _check_geometry(self.geometry_kind, self.geometry)
        _check_privacy(self.personal_data, self.personal_data_categories, self.legal_basis,
                       self.deidentified, self.deidentification)
        return self


class DeviceUpdate(BaseModel):
    """A partial update; the merged device is checked again as a whole by the service."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    _text = field_validator("*", mode="before")(refuse_nul)

    name: ShortText | None = None
    type: DeviceType | None = None
    description: Annotated[str, Field(max_length=2000)] | None = None
    lat: Lat | None = None
    lon: Lon | None = None
    geometry_kind: GeometryKind | None = None
    geometry: dict[str, Any] | None = None
    operator: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    purposes: Annotated[list[Purpose], Field(min_length=1, max_length=20)] | None = None
    data_types: Annotated[list[DataType], Field(min_length=1, max_length=20)] | None = None
    personal_data: bool | None = None
    personal_data_categories: Annotated[list[PersonalDataCategory], Field(max_length=20)] | None = None
    legal_basis: LegalBasis | None = None
    retention_days: Annotated[int, Field(ge=0, le=36500)] | None = None
    retention_note: Note | None = None
    access: Note | None = None
    deidentified: bool | None = None
    deidentification: Deidentification | None = None
    deidentification_note: Note | None = None
    storage_location: Annotated[str, Field(max_length=300)] | None = None
    dpia_ref: Annotated[str, Field(max_length=100)] | None = None
    status: Status | None = None
    installed_on: date | None = None
    last_verified_on: date | None = None
    more_info_url: AnyHttpUrl | None = None


class Decommission(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class Coded(BaseModel):
    """A vocabulary code with its label in the reader's language."""

    code: str
    label: str


class OperatorRead(BaseModel):
    slug: str
    name: str
    kind: OperatorKind
    kind_label: str
    website: str | None
    contact_email: str | None


class DeviceRead(BaseModel):
    id: str = Field(description="Opaque public identifier (UUID)")
    name: str
    type: DeviceType
    type_label: str
    description: str | None
    lat: float
    lon: float
    geometry_kind: GeometryKind
    geometry: dict[str, Any] | None
    operator: OperatorRead
    purposes: list[Coded]
    data_types: list[Coded]
    personal_data: bool
    personal_data_categories: list[Coded]
    legal_basis: Coded
    retention_days: int | None
    retention_note: str | None
    access: str | None
    deidentified: bool
    deidentification: Coded
    deidentification_note: str | None
    storage_location: str | None
    dpia_ref: str | None
    status: Status
    status_label: str
    installed_on: date | None
    last_verified_on: date | None
    photo_url: str | None
    more_info_url: str | None
    url: str = Field(description="The device's plain-language card for citizens")


class DeviceHit(DeviceRead):
    distance_m: float | None = Field(None, description="Great-circle distance from lat/lon, in metres")


class DevicePage(BaseModel):
    items: list[DeviceHit]
    total: int


class DeviceFilter(BaseModel):
    """Query parameters of the public list; unknown parameters and values are refused."""

    model_config = ConfigDict(extra="forbid")

    type: list[DeviceType] | None = Field(None, description="Device type; repeat for several")
    operator: Annotated[str, Field(max_length=80)] | None = Field(None, description="Operator slug")
    personal_data: bool | None = None
    status: list[Status] | None = None
    q: Annotated[str, Field(max_length=100)] | None = Field(None, description="Text search")
    bbox: str | None = Field(None, description="minlon,minlat,maxlon,maxlat", examples=["-8.62,41.14,-8.60,41.16"])
    lat: Lat | None = Field(None, description="Centre for 'near me'; requires lon")
    lon: Lon | None = Field(None, description="Centre for 'near me'; requires lat")
    radius_m: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = Field(
        None, description="'Near me' radius in metres (default 1000; capped)")
    limit: Annotated[int, Field(ge=1, le=500)] = 50
    offset: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    lang: Literal["pt", "en"] | None = Field(None, description="Language of the labels (else Accept-Language)")

    @field_validator("bbox")
    @classmethod
    def _bbox(cls, v: str | None) -> str | None:
        if v is not None:
            parse_bbox(v)
        return v

    @model_validator(mode="after")
    def _near(self) -> Self:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon must be given together")
        if self.radius_m is not None and self.lat is None:
            raise ValueError("radius_m needs lat and lon")
        return self

    @property
    def box(self) -> BBox | None:
        return parse_bbox(self.bbox) if self.bbox else None


class MapFilter(DeviceFilter):
    """The GeoJSON export and the map take the whole register in one answer."""

    limit: Annotated[int, Field(ge=1, le=20_000)] = 20_000


class RowError(BaseModel):
    field: str
    message: str


class ImportRow(BaseModel):
    line: int = Field(description="Line number in the file (the header is line 1)")
    ok: bool
    errors: list[RowError] = []
    device_id: str | None = None


class ImportReport(BaseModel):
    imported: int
    invalid: int
    skipped_invalid: bool
    rows: list[ImportRow]
