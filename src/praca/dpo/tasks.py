"""DPO desk jobs: the worker runs them on their schedule (see core.jobs)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from praca.core import audit, files
from praca.core.jobs import periodic
from praca.dpo import service
from praca.settings import Settings


@periodic("dpo.sweep_photos", every=timedelta(hours=6))
def sweep_photos(session: Session, settings: Settings) -> dict[str, int]:
    """Delete report photos no case refers to: left behind when a report's commit failed after the
    photo was stored. Files younger than an hour are spared, as their case may still be committing."""
    removed = files.sweep_orphans(service.photo_dir(settings), service.referenced_photos(session))
    if removed:
        audit.record(session, audit.SYSTEM, "dpo.photos.swept", "dpo:photos", {"removed": len(removed)})
    return {"removed": len(removed)}
