"""DPO desk jobs: the worker runs them on their schedule (see core.jobs).

Each job commits its own work in batches with the audit entries that describe it, and selects only
what is still to be done, so a run repeated after a crash does nothing twice (reminders.py and
retention.py say how). The clock jobs run hourly so a new Lisbon day's alarms go out early in it.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from praca.core import audit, files
from praca.core.jobs import periodic
from praca.dpo import intake, reminders, retention, service
from praca.settings import Settings


@periodic("dpo.sweep_photos", every=timedelta(hours=6))
def sweep_photos(session: Session, settings: Settings) -> dict[str, int]:
    """Delete report photos no case refers to: left behind when a report's commit failed after the
    photo was stored. Files younger than an hour are spared, as their case may still be committing."""
    removed = files.sweep_orphans(service.photo_dir(settings), service.referenced_photos(session))
    if removed:
        audit.record(session, audit.SYSTEM, "dpo.photos.swept", "dpo:photos", {"removed": len(removed)})
    return {"removed": len(removed)}


@periodic("dpo.sweep_documents", every=timedelta(hours=6))
def sweep_documents(session: Session, settings: Settings) -> dict[str, int]:
    """Delete case documents no case refers to: left behind when a commit failed after the file was
    stored, or when a crash came between a retention job's commit and its deleting the files."""
    removed = files.sweep_orphans(intake.document_dir(settings), intake.referenced_documents(session))
    if removed:
        audit.record(session, audit.SYSTEM, "dpo.documents.swept", "dpo:documents", {"removed": len(removed)})
    return {"removed": len(removed)}


@periodic("dpo.remind", every=timedelta(hours=1))
def remind(session: Session, settings: Settings) -> dict[str, int]:
    """E-mail whoever holds a case `dpo_reminder_days` days before its due date, once per due date."""
    return {"reminded": reminders.send_reminders(session, settings)}


@periodic("dpo.escalate", every=timedelta(hours=1))
def escalate(session: Session, settings: Settings) -> dict[str, int]:
    """E-mail the DPO the cases that passed their due date unanswered, once per due date."""
    return {"escalated": reminders.escalate_overdue(session, settings)}


@periodic("dpo.expire_unverified", every=timedelta(hours=1))
def expire_unverified(session: Session, settings: Settings) -> dict[str, int]:
    """Delete rights requests whose e-mail was not confirmed within `dpo_verification_hours`."""
    return {"deleted": retention.expire_unverified(session, settings)}


@periodic("dpo.erase_contacts", every=timedelta(hours=6))
def erase_contacts(session: Session, settings: Settings) -> dict[str, int]:
    """Delete contact e-mails `dpo_contact_retention_days` after their case closed."""
    return {"erased": retention.erase_contacts(session, settings)}


@periodic("dpo.anonymise", every=timedelta(hours=24))
def anonymise(session: Session, settings: Settings) -> dict[str, int]:
    """Anonymise cases `dpo_case_retention_days` after they closed."""
    return {"anonymised": retention.anonymise_closed(session, settings)}


@periodic("dpo.backfill_due_dates", every=timedelta(hours=24))
def backfill_due_dates(session: Session, settings: Settings) -> dict[str, int]:
    """Give cases received before the legal clock existed their due date (a no-op once done)."""
    return {"filled": retention.backfill_due_dates(session, settings)}
