"""Where the pipeline keeps things under the data dir, and the engine to use.

    wifi/inbox/                 raw logs dropped by the controllers (the worker ingests them)
    wifi/sessions/<period>/     pseudonymised sessions, one Parquet file per ingested file, until final
    wifi/staging/<file>/        an ingest in progress; moved into sessions/ before its ledger commit
    wifi/tmp/                   the engine's spill space
    wifi/keys/                  the open key periods' HMAC keys (`keystore`; PRACA_WIFI_KEY_DIR moves it)
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from praca.settings import Settings


def inbox(settings: Settings) -> Path:
    return settings.wifi_dir / "inbox"


def sessions_root(settings: Settings) -> Path:
    return settings.wifi_dir / "sessions"


def period_dir(settings: Settings, period: datetime) -> Path:
    return sessions_root(settings) / f"{period:%Y%m%dT%H}"


def key_dir(settings: Settings) -> Path:
    return settings.wifi_key_dir or settings.wifi_dir / "keys"


def staging(settings: Settings, name: str) -> Path:
    return settings.wifi_dir / "staging" / name


def session_file(settings: Settings, period: datetime, sha256: str) -> Path:
    """A file's sessions of one period: named after the raw file's content, so a re-run overwrites."""
    return period_dir(settings, period) / f"{sha256[:32]}.parquet"


def remove_tree(path: Path) -> bool:
    if path.exists():
        shutil.rmtree(path)
        return True
    return False


def engine(settings: Settings) -> Any:
    """The configured engine; Spark is imported only when asked for (it is an optional extra)."""
    if settings.wifi_engine == "spark":
        from praca.wifi.spark_engine import SparkEngine

        return SparkEngine(master=settings.wifi_spark_master)
    from praca.wifi.duckdb_engine import DuckDBEngine

    return DuckDBEngine(threads=settings.wifi_threads, memory_limit=settings.wifi_memory_limit,
                        temp_dir=settings.wifi_dir / "tmp")
