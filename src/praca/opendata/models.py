"""The open data portal's tables: publishers, datasets, resources, versions and citizens' participation.

Field names follow CKAN's where CKAN has one (`name` is the URL slug, `notes` the description), so the
Action API translates without renaming; titles and descriptions are kept in both of the city's languages.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from praca.core.db import Base, UTCDateTime, new_public_id, utcnow


class Organization(Base):
    """A publisher: a municipal department, a municipal company or a partner body."""

    __tablename__ = "opendata_organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)  # the slug, as CKAN calls it
    title_pt: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    description_pt: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(30))  # department | municipal_company | partner
    website: Mapped[str | None] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320))  # an office address, never a person's
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Dataset(Base):
    __tablename__ = "opendata_dataset"
    __table_args__ = (Index("ix_opendata_dataset_state_modified", "state", "modified_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title_pt: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    notes_pt: Mapped[str] = mapped_column(Text, default="")
    notes_en: Mapped[str] = mapped_column(Text, default="")
    organization_id: Mapped[int] = mapped_column(ForeignKey("opendata_organization.id"), index=True)
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)  # EU data-theme codes: ENVI, TRAN…
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    license_id: Mapped[str] = mapped_column(String(40), default="CC-BY-4.0")
    temporal_start: Mapped[date | None] = mapped_column(Date)
    temporal_end: Mapped[date | None] = mapped_column(Date)
    spatial: Mapped[str | None] = mapped_column(String(200))  # a place name ("Porto")
    spatial_bbox: Mapped[list[float] | None] = mapped_column(JSON)  # [west, south, east, north]
    frequency: Mapped[str | None] = mapped_column(String(20))  # EU frequency code: DAILY, MONTHLY…
    contact_name: Mapped[str | None] = mapped_column(String(200))  # a team, never a person
    contact_email: Mapped[str | None] = mapped_column(String(320))
    # draft → active (published) → withdrawn; deleted is CKAN's soft delete.
    state: Mapped[str] = mapped_column(String(20), default="draft")
    withdrawn_reason: Mapped[str | None] = mapped_column(String(500))
    quasi_identifiers: Mapped[list[str]] = mapped_column(JSON, default=list)
    k_threshold: Mapped[int] = mapped_column(Integer, default=10)
    # "praca:registry", "praca:dpo-statistics", "praca:wifi-footfall": kept up to date by the worker.
    source: Mapped[str | None] = mapped_column(String(60), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=0)  # the last DatasetVersion's number
    search_text: Mapped[str] = mapped_column(Text, default="")  # lower-case, accent-free
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # first published
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organization: Mapped[Organization] = relationship(lazy="raise")
    resources: Mapped[list[Resource]] = relationship(
        lazy="raise", order_by="Resource.position", back_populates="dataset")


class Resource(Base):
    """A file of a dataset, uploaded (kept under the data dir) or linked; tabular ones also as Parquet."""

    __tablename__ = "opendata_resource"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("opendata_dataset.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name_pt: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    description_pt: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[str] = mapped_column(String(20))  # CSV, JSON, GEOJSON, PARQUET, XLSX, …
    mimetype: Mapped[str | None] = mapped_column(String(100))
    url: Mapped[str | None] = mapped_column(String(1000))  # a link, for resources not uploaded
    file: Mapped[str | None] = mapped_column(String(200))  # the upload, relative to the data dir
    parquet: Mapped[str | None] = mapped_column(String(200))  # the datastore copy, relative to the data dir
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{"id", "type"}]
    rows: Mapped[int | None] = mapped_column(BigInteger)
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    dataset: Mapped[Dataset] = relationship(lazy="raise", back_populates="resources")


class DatasetVersion(Base):
    """One saved state of a dataset: the change history, and the publication gate's report of it."""

    __tablename__ = "opendata_dataset_version"
    __table_args__ = (UniqueConstraint("dataset_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("opendata_dataset.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    change: Mapped[str] = mapped_column(String(40))  # created, updated, resource_added, published, …
    changed_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)  # metadata and resources as they were
    gate_report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    gate_passed: Mapped[bool | None] = mapped_column(Boolean)
    override_reason: Mapped[str | None] = mapped_column(String(1000))
    override_by: Mapped[str | None] = mapped_column(String(100))


class Comment(Base):
    """A citizen's comment on or question about a dataset; shown once a moderator approves it."""

    __tablename__ = "opendata_comment"
    __table_args__ = (Index("ix_opendata_comment_dataset_status", "dataset_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("opendata_dataset.id"))
    kind: Mapped[str] = mapped_column(String(20), default="comment")  # comment | question
    author: Mapped[str | None] = mapped_column(String(80))  # a display name the citizen chose, optional
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | approved | rejected
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DatasetRequest(Base):
    """A citizen's request for data the portal does not have yet; others can support it."""

    __tablename__ = "opendata_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("opendata_organization.id"))
    # pending (moderation) → open → planned | fulfilled | declined; rejected by moderation.
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    supporters: Mapped[int] = mapped_column(Integer, default=0)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("opendata_dataset.id"))  # once fulfilled
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RequestSupport(Base):
    """One supporter of a request, known only by the hash of a random browser token: counted once, never named."""

    __tablename__ = "opendata_request_support"
    __table_args__ = (UniqueConstraint("request_id", "supporter_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("opendata_request.id"))
    supporter_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Reuse(Base):
    """An application, article or visualisation built on datasets of the portal, as uData lists them."""

    __tablename__ = "opendata_reuse"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(1000))
    kind: Mapped[str] = mapped_column(String(20))  # application | article | visualization | api | idea
    author: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | approved | rejected
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReuseDataset(Base):
    __tablename__ = "opendata_reuse_dataset"

    reuse_id: Mapped[int] = mapped_column(ForeignKey("opendata_reuse.id"), primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("opendata_dataset.id"), primary_key=True)
