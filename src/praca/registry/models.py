"""The register's tables: operators and devices."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from praca.core.db import Base, UTCDateTime, new_public_id, utcnow


class Operator(Base):
    """Who runs a device: a municipal department, a municipal company or another body."""

    __tablename__ = "registry_operator"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    website: Mapped[str | None] = mapped_column(String(300))
    contact_email: Mapped[str | None] = mapped_column(String(320))  # an office address, never a person's


class Device(Base):
    __tablename__ = "registry_device"
    __table_args__ = (
        Index("ix_registry_device_lat_lon", "lat", "lon"),
        Index("ix_registry_device_type_status", "type", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(Text)
    # A point; for areas and routes, a representative point plus the GeoJSON geometry.
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    geometry_kind: Mapped[str] = mapped_column(String(10), default="point")
    geometry: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    operator_id: Mapped[int] = mapped_column(ForeignKey("registry_operator.id"), index=True)
    purposes: Mapped[list[str]] = mapped_column(JSON, default=list)
    data_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    personal_data: Mapped[bool] = mapped_column(Boolean, index=True)
    personal_data_categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    legal_basis: Mapped[str] = mapped_column(String(30))
    retention_days: Mapped[int | None] = mapped_column(Integer)
    retention_note: Mapped[str | None] = mapped_column(String(500))
    access: Mapped[str | None] = mapped_column(String(500))  # who can see the data
    deidentified: Mapped[bool] = mapped_column(Boolean, default=False)
    deidentification: Mapped[str] = mapped_column(String(30), default="none")
    deidentification_note: Mapped[str | None] = mapped_column(String(500))
    storage_location: Mapped[str | None] = mapped_column(String(300))
    dpia_ref: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    installed_on: Mapped[date | None] = mapped_column(Date)
    last_verified_on: Mapped[date | None] = mapped_column(Date)
    photo: Mapped[str | None] = mapped_column(String(100))
    more_info_url: Mapped[str | None] = mapped_column(String(500))
    # Lower-case, accent-free name, description, operator and type labels: "camara" finds "Câmara".
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    decommissioned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    operator: Mapped[Operator] = relationship(lazy="raise")


class RegistryVersion(Base):
    """One row, bumped in every write transaction: readers' caches compare it to know they are stale."""

    __tablename__ = "registry_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
