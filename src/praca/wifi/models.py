"""The Wi-Fi module's tables. Sessions themselves never enter the database: pseudonymised sessions live
as Parquet under the data dir until their period is final; only zone-hour aggregates are kept."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from praca.core.db import Base, UTCDateTime, new_public_id, utcnow


class AccessPoint(Base):
    """The controller's name for an access point, tied to its entry in the public register."""

    __tablename__ = "wifi_access_point"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    device_public_id: Mapped[str] = mapped_column(String(36), index=True)


class KeyPeriod(Base):
    """One pseudonymisation key period. Its HMAC key is not here but in `keystore` (a database keeps old
    values); it is destroyed once the period's aggregates are final, after which its pseudonyms can be
    linked to nothing."""

    __tablename__ = "wifi_key_period"

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), unique=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sessions: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    aggregated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    key_destroyed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sessions_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Ingest(Base):
    """The ledger of raw log files: one row per file content (SHA-256), so a file is never counted twice."""

    __tablename__ = "wifi_ingest"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    file_name: Mapped[str] = mapped_column(String(255))
    file_format: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))  # ingested | partial | rejected
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_ingested: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    first_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    raw_path: Mapped[str | None] = mapped_column(String(500))  # until the raw file is deleted
    raw_deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Zone(Base):
    """A zone access points are grouped into: an H3 hexagon, a parish, or the on-bus fleet."""

    __tablename__ = "wifi_zone"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # h3 | parish | bus
    name: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    boundary: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # GeoJSON Polygon
    access_points: Mapped[int] = mapped_column(Integer, default=0)


class Footfall(Base):
    """One zone-hour's aggregate. Every count is stored so that DP releases can add noise to the true
    figure, but `service.visible` is the only reader for people: it drops cells under k."""

    __tablename__ = "wifi_footfall"
    __table_args__ = (UniqueConstraint("zone", "hour"), Index("ix_wifi_footfall_hour", "hour"))

    id: Mapped[int] = mapped_column(primary_key=True)
    zone: Mapped[str] = mapped_column(String(60))
    hour: Mapped[datetime] = mapped_column(UTCDateTime())
    devices: Mapped[int] = mapped_column(Integer)
    sessions: Mapped[int] = mapped_column(Integer)
    median_dwell_s: Mapped[int] = mapped_column(Integer)
    # Distinct devices when each device counts in at most PRACA_WIFI_DP_MAX_CELLS zone-hours per
    # key period: the bounded contribution that gives DP releases their sensitivity.
    devices_bounded: Mapped[int] = mapped_column(Integer)


class DpDataset(Base):
    """A differentially private series the city publishes, with the total epsilon it may ever spend."""

    __tablename__ = "wifi_dp_dataset"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    epsilon_budget: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DpRelease(Base):
    """One release of a DP dataset: the budget ledger is the sum of its releases' epsilons."""

    __tablename__ = "wifi_dp_release"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("wifi_dp_dataset.id"), index=True)
    epsilon: Mapped[float] = mapped_column(Float)
    period_from: Mapped[datetime] = mapped_column(UTCDateTime())
    period_to: Mapped[datetime] = mapped_column(UTCDateTime())
    sensitivity: Mapped[int] = mapped_column(Integer)
    k: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # cells under it were left out
    domain_cells: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # zones × hours noised
    cells_published: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DpReleaseCell(Base):
    """A published, noisy zone-hour of a release (only cells whose noisy count reaches k)."""

    __tablename__ = "wifi_dp_release_cell"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("wifi_dp_release.id", ondelete="CASCADE"), index=True)
    zone: Mapped[str] = mapped_column(String(60))
    hour: Mapped[datetime] = mapped_column(UTCDateTime())
    devices: Mapped[int] = mapped_column(Integer)
