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


@periodic("core.outbox_retention", every=timedelta(hours=6))
def outbox_retention(session: Session, settings: Settings) -> dict[str, int]:
    """Messages that could not be delivered do not keep a citizen's address: erased after a week."""
    return {"erased": notify.erase_undeliverable(session, older_than=timedelta(days=7))}
