"""All configuration, read once from `PRACA_*` environment variables and passed down explicitly."""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PRACA_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("var"), description="Where the SQLite file, uploads and keys live.")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite in the data dir.")
    secret_key: str | None = Field(None, description="Signs cookies; default: generated once in the data dir.")
    base_url: str = Field("http://127.0.0.1:8000", description="Public URL, used in e-mailed links.")
    secure_cookies: bool = Field(False, description="Mark cookies Secure and send HSTS (behind HTTPS).")

    city_name: str = "Porto"
    # min_lon, min_lat, max_lon, max_lat: devices and reports must fall inside.
    city_bounds: tuple[float, float, float, float] = (-8.72, 41.12, -8.52, 41.20)
    city_center: tuple[float, float] = (41.1579, -8.6291)
    max_radius_m: int = Field(5000, description="Cap on the 'near me' radius.")
    default_radius_m: int = Field(1000, description="'Near me' radius when none is given.")
    registry_cache_s: float = Field(1.0, description="How stale the in-memory register may be, in seconds.")
    map_tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

    dpo_email: str = "dpo@cm-porto.example"
    holiday_subdivision: str = Field(
        "13", description="Portuguese district whose capital's municipal holiday counts (13: Porto, 24 June).")
    dpo_reminder_days: int = Field(5, ge=0, le=30, description="Remind the assignee this many days before a due date.")
    dpo_verification_hours: int = Field(
        72, ge=1, description="An unconfirmed rights request is deleted after this many hours.")
    dpo_contact_retention_days: int = Field(
        30, ge=0, description="Days after a case closes before its contact e-mail is deleted.")
    dpo_case_retention_days: int = Field(
        730, ge=1, description="Days after a case closes before its content is anonymised.")
    wifi_engine: str = Field("duckdb", pattern="^(duckdb|spark)$",
                             description="Runs the Wi-Fi pipeline: duckdb (in-process) or spark (extra `spark`).")
    wifi_spark_master: str = Field("local[2]", description="Spark master URL when the engine is spark.")
    wifi_key_period_hours: int = Field(
        24, ge=1, le=24, description="Hours one pseudonymisation key lives; 24 must be a multiple of it.")
    wifi_final_after_hours: int = Field(
        2, ge=0, le=24, description="Hours after a key period ends before its aggregates are final.")
    wifi_session_retention_hours: int = Field(
        48, ge=1, le=168, description="Pseudonymised sessions are purged after this many hours at the latest.")
    wifi_raw_grace_hours: int = Field(0, ge=0, le=168, description="Hours an ingested raw log is kept.")
    wifi_key_dir: Path | None = Field(
        None, description="Where the key periods' HMAC keys live (default <data dir>/wifi/keys); not to be backed up.")
    wifi_k: int = Field(10, ge=2, description="Zone-hours with fewer distinct devices are never shown.")
    wifi_zones: str = Field("h3", pattern="^(h3|parish)$", description="How access points form zones: h3 or parish.")
    wifi_zones_file: Path | None = Field(
        None, description="GeoJSON polygons with a `name` property (e.g. parishes) for the parish zones.")
    wifi_h3_resolution: int = Field(8, ge=5, le=11, description="H3 resolution of the hexagonal zones.")
    wifi_dp_max_cells: int = Field(
        12, ge=1, le=168, description="Zone-hours one device may count in per key period, for DP releases.")
    wifi_dp_budget: float = Field(10.0, gt=0, description="Total epsilon a DP dataset may ever spend.")
    wifi_threads: int = Field(2, ge=1, description="DuckDB threads for the Wi-Fi pipeline.")
    wifi_memory_limit: str = Field("3GB", description="DuckDB memory limit for the Wi-Fi pipeline.")

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = "Praça <no-reply@cm-porto.example>"

    upload_max_bytes: int = 8 * 1024 * 1024
    opendata_upload_max_bytes: int = Field(1024**3, ge=1024, description="Largest data file a steward uploads.")
    image_max_pixels: int = 40_000_000
    public_post_rate: int = Field(10, description="Public form posts allowed per client per window.")
    public_post_window_s: int = 600
    session_hours: int = 12
    log_level: str = "INFO"
    access_log: bool = False

    @field_validator("database_url")
    @classmethod
    def _empty_is_none(cls, v: str | None) -> str | None:
        return v or None

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'praca.db').resolve()}"

    @property
    def wifi_dir(self) -> Path:
        return self.data_dir / "wifi"

    @property
    def upload_dir(self) -> Path:
        return self.data_dir / "uploads"

    def signing_key(self) -> str:
        """The configured secret, or one generated on first use and kept in the data dir."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        self.secret_key = path.read_text().strip()
        return self.secret_key
