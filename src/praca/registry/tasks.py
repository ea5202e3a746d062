"""Registry jobs: remove device photos that no device refers to (a failed commit, a replaced photo)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from praca.core import audit, files
from praca.core.jobs import periodic
from praca.registry import service
from praca.settings import Settings


@periodic("registry.sweep_photos", every=timedelta(hours=6))
def sweep_photos(session: Session, settings: Settings) -> dict[str, int]:
    removed = files.sweep_orphans(service.photo_dir(settings), service.referenced_photos(session))
    if removed:
        audit.record(session, audit.SYSTEM, "registry.photos.swept", "registry", {"removed": len(removed)})
    return {"removed": len(removed)}
