"""Retention of the DPO desk, enforced by code: what a case no longer needs is deleted on schedule.

- A closed (or rejected) case's contact e-mail is deleted `dpo_contact_retention_days` after it closed:
  it was kept only to announce replies, and a closed case has none to announce.
- A closed case is anonymised `dpo_case_retention_days` after it closed: every text written in it
  (by the citizen or by staff, who quote and name the citizen), the requester's name, the place a
  report was made from, the photo and the documents are gone; the follow-up link stops working. What
  the desk's figures need stays: kind, topic, right, status, outcome, channel, department, assignee
  and every date of the legal clock, so a year's KPIs can still be computed from anonymous cases.
- A rights request whose e-mail was never confirmed is deleted whole after `dpo_verification_hours`:
  an unconfirmed request never started, and nothing in it may be kept.

The coordinates of a report go too. They say where a device stands, but also where a person stood on
a given day, and once the report is closed they are no use: a device that was added keeps its
position in the register, and one that was not (not a device, already listed) needs none.

Each job works in batches of cases selected by what is still to be done (a contact still there, no
`anonymised_at` yet), commits each batch together with its audit entries, and only then deletes the
batch's files. A crash before the commit leaves the batch untouched, to be done again on the next
run; a crash after it leaves at worst files no row refers to, which the orphan sweeps delete. So a
run repeated after a crash does nothing twice, and a run with nothing to do changes nothing.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Select, delete, exists, select, update
from sqlalchemy.orm import Session, selectinload

from praca.core import audit, files
from praca.core.auth import sha256
from praca.core.db import utcnow
from praca.core.notify import OutboxEmail
from praca.dpo import clock, intake, service
from praca.dpo.models import Case, CaseAttachment, CaseKind, CaseMessage
from praca.settings import Settings

ANONYMISED = "[anonymised]"  # what every text of an anonymised case reads; a marker, not a message


def _closed_before(cutoff: datetime) -> Select[tuple[Case]]:
    return select(Case).where(Case.status.in_(service.FINAL), Case.closed_at.is_not(None), Case.closed_at < cutoff)


def _forget_queued_mail(session: Session, address: str) -> int:
    """Unsent outbox messages to an address no case holds any more lose it (as undeliverable ones do).

    Sent messages already lost it (core.notify); an unsent one would keep the address alive past the
    case's retention. If another case of the same person still holds the address, its mail is left
    alone: that case still needs it."""
    still_needed = session.scalar(select(exists().where(Case.contact_email == address)))
    if still_needed:
        return 0
    result = session.execute(
        update(OutboxEmail).where(OutboxEmail.sent_at.is_(None), OutboxEmail.to_address == address)
        .values(to_address=None, body="", last_error="erased: retention"))
    return result.rowcount or 0


def _files_of(case: Case, settings: Settings) -> list[Path]:
    """The stored files of a case that exist (files.resolve refuses any name that could escape its dir)."""
    found = [files.resolve(service.photo_dir(settings), case.photo)] if case.photo else []
    found += [files.resolve(intake.document_dir(settings), a.stored_name) for a in case.attachments]
    return [path for path in found if path is not None]


def _delete_files(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


# --- contact e-mails ------------------------------------------------------------------------------------------

def erase_contacts(session: Session, settings: Settings, *, now: datetime | None = None) -> int:
    """Delete the contact e-mail of cases closed more than `dpo_contact_retention_days` ago."""
    now = now or utcnow()
    stmt = _closed_before(now - timedelta(days=settings.dpo_contact_retention_days)).where(
        Case.contact_email.is_not(None))
    erased = 0
    for batch in service.case_batches(session, stmt):
        addresses = set()
        for case in batch:
            addresses.add(case.contact_email)
            case.contact_email, case.contact_erased_at = None, now
            audit.record(session, audit.SYSTEM, "dpo.case.contact_erased", service.audit_subject(case))
        session.flush()
        for address in addresses:
            if address:
                _forget_queued_mail(session, address)
        erased += len(batch)
        session.commit()
    return erased


# --- anonymisation --------------------------------------------------------------------------------------------

def anonymise_case(session: Session, case: Case, settings: Settings, now: datetime) -> list[Path]:
    """Strip one case of everything personal, in the caller's transaction; returns the files to delete
    once that transaction has committed. Needs `case.attachments` loaded."""
    to_delete = _files_of(case, settings)
    session.execute(update(CaseMessage).where(CaseMessage.case_id == case.id).values(body=ANONYMISED))
    attachments = len(case.attachments)
    session.execute(delete(CaseAttachment).where(CaseAttachment.case_id == case.id))
    address = case.contact_email
    if address:
        case.contact_email, case.contact_erased_at = None, now
    case.requester_name = None
    case.lat = case.lon = None
    case.photo = None
    case.rejection_reason = ANONYMISED if case.rejection_reason else None
    case.extension_reason = ANONYMISED if case.extension_reason else None
    case.verification_hash = None
    case.token_hash = sha256(secrets.token_urlsafe(32))  # a hash of nothing anyone holds: the link is dead
    case.anonymised_at = now
    session.flush()
    if address:
        _forget_queued_mail(session, address)
    audit.record(session, audit.SYSTEM, "dpo.case.anonymised", service.audit_subject(case),
                 {"contact_erased": address is not None, "files_deleted": len(to_delete),
                  "attachments": attachments})
    return to_delete


def anonymise_closed(session: Session, settings: Settings, *, now: datetime | None = None) -> int:
    """Anonymise cases closed more than `dpo_case_retention_days` ago; returns how many."""
    now = now or utcnow()
    stmt = (_closed_before(now - timedelta(days=settings.dpo_case_retention_days))
            .where(Case.anonymised_at.is_(None)).options(selectinload(Case.attachments)))
    done = 0
    for batch in service.case_batches(session, stmt):
        to_delete = [p for case in batch for p in anonymise_case(session, case, settings, now)]
        session.commit()
        _delete_files(to_delete)
        session.expire_all()  # the deleted attachments must not linger in the identity map
        done += len(batch)
    return done


# --- rights requests never confirmed ---------------------------------------------------------------------------

def expire_unverified(session: Session, settings: Settings, *, now: datetime | None = None) -> int:
    """Delete rights requests whose e-mail was not confirmed within `dpo_verification_hours`.

    Only requests made on the web await confirmation; one recorded by staff (paper, phone, in person)
    has `created_by_id` and is never expired here."""
    now = now or utcnow()
    stmt = (select(Case).where(Case.kind == CaseKind.RIGHTS_REQUEST, Case.verified_at.is_(None),
                               Case.created_by_id.is_(None),
                               Case.received_at < now - timedelta(hours=settings.dpo_verification_hours))
            .options(selectinload(Case.attachments), selectinload(Case.messages)))
    expired = 0
    for batch in service.case_batches(session, stmt):
        to_delete: list[Path] = []
        addresses = set()
        for case in batch:
            case_files = _files_of(case, settings)
            to_delete += case_files
            addresses.add(case.contact_email)
            audit.record(session, audit.SYSTEM, "dpo.case.expired_unverified", service.audit_subject(case),
                         {"files_deleted": len(case_files)})
            session.delete(case)
        session.flush()
        for address in addresses:
            if address:
                _forget_queued_mail(session, address)
        session.commit()
        _delete_files(to_delete)
        expired += len(batch)
    return expired


# --- due dates for cases older than the clock ------------------------------------------------------------------

def backfill_due_dates(session: Session, settings: Settings) -> int:
    """Give a due date to every case that should have one: cases received before the legal clock
    existed. A rights request still awaiting confirmation has none: its clock has not started."""
    awaiting = (Case.kind == CaseKind.RIGHTS_REQUEST) & Case.verified_at.is_(None) & Case.created_by_id.is_(None)
    stmt = select(Case).where(Case.due_date.is_(None), ~awaiting)
    filled = 0
    for batch in service.case_batches(session, stmt):
        for case in batch:
            start = clock.local_date(service.clock_start(case))
            case.due_date = clock.due_date(start, settings.holiday_subdivision, case.extension_months or 0)
        audit.record(session, audit.SYSTEM, "dpo.cases.due_dates_backfilled", "dpo:cases",
                     {"cases": [c.id for c in batch]})
        filled += len(batch)
        session.commit()
    return filled
