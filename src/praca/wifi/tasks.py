"""The worker runs the Wi-Fi pipeline: ingest the inbox, finalise the periods that are due, purge."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from praca.core.jobs import periodic
from praca.settings import Settings
from praca.wifi import ingest, lifecycle


@periodic("wifi.pipeline", every=timedelta(minutes=15))
def pipeline(session: Session, settings: Settings) -> dict[str, int]:
    """One step after the other, each safe to re-run: a crash anywhere is mended by the next run."""
    outcomes = ingest.ingest_inbox(session, settings)
    final = lifecycle.finalise(session, settings)
    purged = lifecycle.purge(session, settings)
    return {"files": len(outcomes), "rows": sum(o.rows_ingested for o in outcomes), "finalised": len(final),
            "raw_deleted": purged.raw_deleted, "expired": len(purged.periods_expired)}
