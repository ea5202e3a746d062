"""A whole Praça in a folder, for tests that run `praca wifi …` as a real process (logs, kill -9)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from praca.core.db import make_engine
from praca.core.migrate import upgrade
from praca.settings import Settings
from praca.wifi.models import Footfall
from tests.wifi.conftest import AP_SPOTS, wifi_device


def make_world(folder: Path) -> Settings:
    """A migrated SQLite city in `folder` with the three test access points mapped."""
    from praca.wifi import service

    folder.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=folder, secret_key="test", _env_file=None)
    upgrade(settings.sqlalchemy_url)
    engine = make_engine(settings.sqlalchemy_url)
    with Session(engine) as session:
        for code in AP_SPOTS:
            service.map_access_point(session, code, wifi_device(session, settings, code).public_id, "test")
        session.commit()
    engine.dispose()
    return settings


def praca(settings: Settings, *args: str, wait: bool = True, log_level: str = "INFO"):
    env = {**os.environ, "PRACA_DATA_DIR": str(settings.data_dir), "PRACA_SECRET_KEY": "test",
           "PRACA_LOG_LEVEL": log_level, "PRACA_DATABASE_URL": ""}
    cmd = [sys.executable, "-m", "praca", *args]
    if not wait:
        return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


def footfall(settings: Settings) -> list[tuple]:
    engine = make_engine(settings.sqlalchemy_url)
    with Session(engine) as session:
        rows = [(f.zone, f.hour, f.devices, f.sessions, f.median_dwell_s, f.devices_bounded)
                for f in session.scalars(select(Footfall).order_by(Footfall.zone, Footfall.hour))]
    engine.dispose()
    return rows
