"""Open data jobs: Praça's own datasets (the register, the DPO desk's statistics, Wi-Fi releases) kept fresh."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from praca.core.jobs import periodic
from praca.opendata import self_publish
from praca.settings import Settings


@periodic("opendata.self_publish", every=timedelta(hours=1))
def refresh_own_datasets(session: Session, settings: Settings) -> dict[str, str]:
    return self_publish.refresh(session, settings)
