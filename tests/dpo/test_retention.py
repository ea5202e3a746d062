"""Retention, enforced by the desk's jobs: contact e-mails erased after the configured delay, closed cases
anonymised (nothing of the citizen left anywhere in the schema, files gone, KPI columns kept),
unconfirmed rights requests deleted, due dates backfilled; every step audited; re-running is a no-op."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from praca.core.auth import sha256
from praca.core.errors import NotFound
from praca.core.notify import OutboxEmail
from praca.dpo import clock, intake, retention, service
from praca.dpo.models import Case, CaseAttachment, CaseKind, CaseMessage, CaseStatus, Channel
from tests.dpo.helpers import DESCRIPTION, columns_containing, dpo_audit, report_form
from tests.factories import make_department

NOW = datetime(2026, 6, 15, 9, 30, tzinfo=UTC)
EMAIL = "ana.retention-test@example.org"
NAME = "Ana Retenção Testemunha"
REPLY = "Dear Ana, we found the camera you describe near your home at Rua Nova 12."
NOTE = "Internal: the requester Ana called twice about Rua Nova 12."
REJECTION = "We could not confirm that Ana Retenção is the person the data is about."


def actions(session, action: str) -> list:
    return [e for e in dpo_audit(session) if e.action == action]


def closed_report(session, settings, *, closed_days_ago: float, email: str | None = EMAIL,
                  status: str = CaseStatus.CLOSED, with_files: bool = False) -> tuple[Case, str]:
    """A report with a full thread, closed `closed_days_ago` days before NOW; returns it and its token."""
    case, token = service.open_report(session, settings, report_form(email=email), locale="pt")
    closed = NOW - timedelta(days=closed_days_ago)
    dep = make_department(session, "urbanismo")
    case.received_at = closed - timedelta(days=3)
    case.first_answer_at = closed - timedelta(days=1)
    case.closed_at = closed
    case.status = status
    case.department_id = dep.id
    case.requester_name = NAME
    case.rejection_reason = REJECTION if status == CaseStatus.REJECTED else None
    case.extension_months, case.extension_reason = 1, "Ana sent 40 pages to review."
    case.messages.append(CaseMessage(author="staff", body=REPLY, created_at=closed - timedelta(days=1)))
    case.messages.append(CaseMessage(author="staff", body=NOTE, internal=True, created_at=closed))
    if with_files:
        photos = service.photo_dir(settings)
        photos.mkdir(parents=True, exist_ok=True)
        case.photo = f"{secrets.token_urlsafe(12)}.jpg"
        (photos / case.photo).write_bytes(b"jpeg of Ana's street")
        docs = intake.document_dir(settings)
        docs.mkdir(parents=True, exist_ok=True)
        stored = f"{secrets.token_urlsafe(12)}.pdf"
        (docs / stored).write_bytes(b"%PDF- Ana's ID card %%EOF")
        session.flush()
        session.add(CaseAttachment(case_id=case.id, stored_name=stored, media_type="application/pdf",
                                   size_bytes=24, author="citizen"))
    session.flush()
    return case, token


def rights_request(session, *, hours_ago: float, verified: bool = False, by_staff: bool = False,
                   email: str = EMAIL) -> Case:
    received = NOW - timedelta(hours=hours_ago)
    case = Case(reference=f"P-2026-{secrets.randbelow(10**6):06d}", kind=CaseKind.RIGHTS_REQUEST,
                data_right="access", status=CaseStatus.RECEIVED, channel=Channel.WEB,
                token_hash=sha256(secrets.token_urlsafe(32)), contact_email=email, requester_name=NAME,
                verification_hash=None if verified else sha256(secrets.token_urlsafe(32)),
                verified_at=received + timedelta(hours=1) if verified else None, received_at=received,
                due_date=date(2026, 7, 15) if verified else None)
    if by_staff:
        from tests.factories import make_user

        case.created_by_id = make_user(session, "dpo").id
        case.channel = Channel.LETTER
    case.messages = [CaseMessage(author="citizen", body=DESCRIPTION, created_at=received)]
    session.add(case)
    session.flush()
    return case


# --- contact e-mails ------------------------------------------------------------------------------------------

def test_a_contact_is_erased_only_after_the_configured_delay(session, settings):
    recent, _ = closed_report(session, settings, closed_days_ago=29)
    old, _ = closed_report(session, settings, closed_days_ago=31)
    open_case, _ = service.open_report(session, settings, report_form(email="someone.else@example.org"),
                                       locale="pt")

    assert retention.erase_contacts(session, settings, now=NOW) == 1
    assert old.contact_email is None and old.contact_erased_at == NOW
    assert recent.contact_email == EMAIL and recent.contact_erased_at is None
    assert open_case.contact_email == "someone.else@example.org"
    [entry] = actions(session, "dpo.case.contact_erased")
    assert (entry.subject, entry.actor, entry.details) == (f"case:{old.public_id}", "system", {})

    assert retention.erase_contacts(session, settings, now=NOW) == 0  # nothing twice
    assert len(actions(session, "dpo.case.contact_erased")) == 1
    assert retention.erase_contacts(session, settings, now=NOW + timedelta(days=2)) == 1
    assert columns_containing(session, EMAIL) == []  # the unsent acknowledgements lost it too
    assert sorted(columns_containing(session, "someone.else@example.org")) == ["dpo_case.contact_email",
                                                                               "outbox_email.to_address"]


def test_the_delay_is_configurable_and_rejected_cases_count(session, settings):
    settings.dpo_contact_retention_days = 0
    case, _ = closed_report(session, settings, closed_days_ago=0.01, status=CaseStatus.REJECTED)
    answered, _ = closed_report(session, settings, closed_days_ago=90, status=CaseStatus.ANSWERED)
    assert retention.erase_contacts(session, settings, now=NOW) == 1
    assert case.contact_email is None
    assert answered.contact_email == EMAIL  # answered is not final: the citizen may still write back


def test_queued_mail_to_an_address_another_case_still_needs_is_kept(session, settings):
    closed_report(session, settings, closed_days_ago=40)
    service.open_report(session, settings, report_form(email=EMAIL), locale="pt")  # same person, still open
    assert retention.erase_contacts(session, settings, now=NOW) == 1
    queued = session.scalars(select(OutboxEmail.to_address).where(OutboxEmail.sent_at.is_(None))).all()
    assert queued.count(EMAIL) == 2


# --- anonymisation --------------------------------------------------------------------------------------------

def test_an_anonymised_case_keeps_nothing_of_the_citizen_anywhere(session, settings):
    case, token = closed_report(session, settings, closed_days_ago=731, status=CaseStatus.REJECTED,
                                with_files=True)
    photo = service.photo_dir(settings) / case.photo
    [document] = intake.document_dir(settings).iterdir()
    kept = {c: getattr(case, c) for c in ("kind", "status", "channel", "department_id", "received_at", "due_date",
                                          "first_answer_at", "closed_at", "extension_months", "suspected_type",
                                          "reference", "public_id", "locale")}
    session.commit()

    assert retention.anonymise_closed(session, settings, now=NOW) == 1
    session.expire_all()
    for needle in (EMAIL, NAME, DESCRIPTION, REPLY, NOTE, REJECTION, "Ana sent 40 pages", photo.name,
                   document.name):
        assert columns_containing(session, needle) == [], needle
    case = session.get(Case, case.id)
    assert {c: getattr(case, c) for c in kept} == kept
    assert case.anonymised_at == NOW and case.contact_erased_at == NOW
    assert (case.lat, case.lon, case.photo, case.requester_name, case.contact_email) == (None,) * 5
    assert case.rejection_reason == case.extension_reason == retention.ANONYMISED
    bodies = session.scalars(select(CaseMessage.body).where(CaseMessage.case_id == case.id)).all()
    assert bodies == [retention.ANONYMISED] * 3  # the thread's length stays, for the figures
    assert session.scalar(select(func.count(CaseAttachment.id))) == 0
    assert not photo.exists() and not document.exists()
    with pytest.raises(NotFound):
        service.case_for_token(session, token)
    [entry] = actions(session, "dpo.case.anonymised")
    assert entry.subject == f"case:{case.public_id}"
    assert entry.details == {"contact_erased": True, "files_deleted": 2, "attachments": 1}
    assert retention.anonymise_closed(session, settings, now=NOW) == 0
    assert len(actions(session, "dpo.case.anonymised")) == 1


def test_the_younger_case_still_holds_its_content(session, settings):
    young, _ = closed_report(session, settings, closed_days_ago=100)
    assert retention.anonymise_closed(session, settings, now=NOW) == 0
    assert columns_containing(session, REPLY) == ["dpo_case_message.body"]
    settings.dpo_case_retention_days = 90
    assert retention.anonymise_closed(session, settings, now=NOW) == 1
    assert columns_containing(session, REPLY) == []
    assert young.status == CaseStatus.CLOSED


def test_a_crash_before_the_commit_leaves_the_case_whole_for_the_next_run(session, settings, monkeypatch):
    case, _ = closed_report(session, settings, closed_days_ago=800, with_files=True)
    session.commit()
    photo = service.photo_dir(settings) / case.photo

    def crash(*args, **kwargs):
        raise RuntimeError("the worker died")

    monkeypatch.setattr(retention.audit, "record", crash)
    with pytest.raises(RuntimeError):
        retention.anonymise_closed(session, settings, now=NOW)
    session.rollback()
    monkeypatch.undo()
    assert columns_containing(session, REPLY) == ["dpo_case_message.body"] and photo.exists()
    assert retention.anonymise_closed(session, settings, now=NOW) == 1
    assert columns_containing(session, REPLY) == [] and not photo.exists()


# --- unconfirmed rights requests ---------------------------------------------------------------------------------

def test_unconfirmed_rights_requests_expire_whole(session, settings):
    expired = rights_request(session, hours_ago=73)
    docs = intake.document_dir(settings)
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "idcard.pdf").write_bytes(b"%PDF- id %%EOF")
    session.add(CaseAttachment(case_id=expired.id, stored_name="idcard.pdf", media_type="application/pdf",
                               size_bytes=14, author="citizen"))
    fresh = rights_request(session, hours_ago=71, email="fresh@example.org")
    confirmed = rights_request(session, hours_ago=200, verified=True, email="confirmed@example.org")
    on_paper = rights_request(session, hours_ago=200, by_staff=True, email="paper@example.org")
    public_id = expired.public_id
    session.commit()

    assert retention.expire_unverified(session, settings, now=NOW) == 1
    assert session.scalar(select(Case.id).where(Case.public_id == public_id)) is None
    assert {c.id for c in session.scalars(select(Case))} == {fresh.id, confirmed.id, on_paper.id}
    assert session.scalar(select(func.count(CaseAttachment.id))) == 0
    assert not (docs / "idcard.pdf").exists()
    assert columns_containing(session, EMAIL) == []
    [entry] = actions(session, "dpo.case.expired_unverified")
    assert entry.subject == f"case:{public_id}" and entry.details == {"files_deleted": 1}
    assert retention.expire_unverified(session, settings, now=NOW) == 0
    settings.dpo_verification_hours = 24 * 30
    assert retention.expire_unverified(session, settings, now=NOW + timedelta(hours=3)) == 0


def test_documents_left_behind_by_a_crash_are_swept(session, settings):
    """A crash between a retention job's commit and its deleting the files leaves orphans: swept."""
    import os
    import time

    from praca.dpo import tasks

    case, _ = closed_report(session, settings, closed_days_ago=800, with_files=True)
    [document] = intake.document_dir(settings).iterdir()
    session.execute(CaseAttachment.__table__.delete())  # as if anonymised, files not yet deleted
    session.flush()
    hour_ago = time.time() - 7200
    os.utime(document, (hour_ago, hour_ago))
    assert tasks.sweep_documents(session, settings) == {"removed": 1}
    assert not document.exists()
    assert [e.details for e in dpo_audit(session) if e.action == "dpo.documents.swept"] == [{"removed": 1}]
    assert case.photo  # the photo sweep is the photos' own job


# --- due dates ---------------------------------------------------------------------------------------------------

def test_cases_older_than_the_clock_get_their_due_date(session, settings):
    question, _ = service.open_report(session, settings, report_form(), locale="pt")
    question.due_date, question.received_at = None, datetime(2026, 1, 30, 23, 30, tzinfo=UTC)
    extended, _ = service.open_report(session, settings, report_form(), locale="pt")
    extended.due_date, extended.received_at, extended.extension_months = None, datetime(2026, 3, 2, tzinfo=UTC), 2
    confirmed = rights_request(session, hours_ago=10, verified=True)
    confirmed.due_date = None
    awaiting = rights_request(session, hours_ago=10)
    session.flush()

    assert retention.backfill_due_dates(session, settings) == 3
    assert question.due_date == clock.due_date(date(2026, 1, 30), "13") == date(2026, 3, 2)
    assert extended.due_date == clock.due_date(date(2026, 3, 2), "13", 2)
    assert confirmed.due_date == clock.due_date(clock.local_date(confirmed.verified_at), "13")
    assert awaiting.due_date is None
    assert retention.backfill_due_dates(session, settings) == 0
    [entry] = actions(session, "dpo.cases.due_dates_backfilled")
    assert sorted(entry.details["cases"]) == sorted([question.id, extended.id, confirmed.id])
