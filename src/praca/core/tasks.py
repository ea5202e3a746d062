"""Core jobs: deliver queued e-mail."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from praca.core import notify
from praca.core.jobs import periodic
from praca.settings import Settings


@periodic("core.send_email", every=timedelta(seconds=30))
def send_email(session: Session, settings: Settings) -> dict[str, int]:
    return {"sent": notify.send_pending(session, settings)}
