"""The citizen's side of new kinds of case: exercising a data-protection right, complaining to the
Inhabitant Ombudsman, and documents sent with a request or a later message.

A rights request (GDPR Art. 15-22) asks for an e-mail address and confirms it before any work
starts: the case is opened with no due date and stays out of every staff inbox until the citizen
opens the confirmation link and presses its button. Only then is the request received for the
legal clock: the EDPB's Guidelines 01/2022 on the right of access let the one-month period
start once the controller can identify who is asking, and an unconfirmed address identifies nobody.
As with follow-up tokens, only the SHA-256 of the confirmation token is kept, and it is cleared
once used, so a link works once and a forged or stale one changes nothing.

Documents are validated in full (type, size, pixels) before anything is written, then stored under
a random name; the citizen's file name is never kept. A file whose transaction later fails is an
orphan that `referenced_documents` lets the worker sweep.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from praca.core import audit, files
from praca.core.auth import sha256
from praca.core.db import utcnow
from praca.core.errors import NotFound, PracaError
from praca.core.i18n import translate
from praca.dpo import clock, notifications, service
from praca.dpo.labels import N_
from praca.dpo.models import Case, CaseAttachment, CaseKind, CaseMessage
from praca.dpo.schemas import ComplaintForm, RightsRequestForm
from praca.settings import Settings

CITIZEN = service.CITIZEN
DOCUMENT_SUBDIR = "case-documents"
NOT_FOUND = "Nothing here: check the address."
EARLIER_CASE = N_("Earlier case: {reference}")


class VerificationExpired(PracaError):
    """The confirmation link is genuine but too old: the request lapsed, nothing was changed."""

    status = 410
    code = "gone"


@dataclass(frozen=True)
class StoredDocument:
    """A validated document already written under `document_dir`, ready to be recorded on a case."""

    name: str
    media_type: str
    size_bytes: int


# --- documents -----------------------------------------------------------------------------------------------

def document_dir(settings: Settings) -> Path:
    return settings.upload_dir / DOCUMENT_SUBDIR


def read_document(stream: BinaryIO, settings: Settings) -> files.CleanDocument | files.CleanImage:
    """Check a document in memory (a PDF by its bytes, or a picture re-encoded without its metadata);
    raises a PracaError naming the field `document`, having written nothing."""
    return files.sanitise_document(stream, max_bytes=settings.upload_max_bytes,
                                   max_pixels=settings.image_max_pixels, field="document")


def store_document(settings: Settings, document: files.CleanDocument | files.CleanImage) -> StoredDocument:
    name = files.store(document_dir(settings), document)
    return StoredDocument(name, document.content_type, len(document.data))


def referenced_documents(session: Session) -> set[str]:
    """Every stored document a case still refers to; the rest of `document_dir` is orphans."""
    return set(session.scalars(select(CaseAttachment.stored_name)))


def _attach(session: Session, case: Case, message: CaseMessage, document: StoredDocument) -> CaseAttachment:
    attachment = CaseAttachment(case_id=case.id, message_id=message.id, stored_name=document.name,
                                media_type=document.media_type, size_bytes=document.size_bytes, author=CITIZEN,
                                created_at=utcnow())
    session.add(attachment)
    session.flush()
    audit.record(session, CITIZEN, "dpo.case.document_added", service.audit_subject(case),
                 {"attachment": attachment.public_id, "message_id": message.id,
                  "media_type": document.media_type, "size_bytes": document.size_bytes})
    return attachment


def documents_by_message(session: Session, case: Case) -> dict[int | None, list[CaseAttachment]]:
    """The case's documents, grouped by the message they came with (for the thread)."""
    grouped: dict[int | None, list[CaseAttachment]] = {}
    for attachment in session.scalars(select(CaseAttachment).where(CaseAttachment.case_id == case.id)
                                      .order_by(CaseAttachment.id)):
        grouped.setdefault(attachment.message_id, []).append(attachment)
    return grouped


def attachment_of(session: Session, case: Case, public_id: str) -> CaseAttachment:
    """One document of a case the caller already may see; another case's is "not found"."""
    attachment = session.scalar(select(CaseAttachment).where(CaseAttachment.case_id == case.id,
                                                             CaseAttachment.public_id == public_id))
    if attachment is None:
        raise NotFound("No such document on this case.")
    return attachment


# --- rights requests ---------------------------------------------------------------------------------------------

def open_rights_request(session: Session, settings: Settings, form: RightsRequestForm, *, locale: str,
                        document: StoredDocument | None = None) -> tuple[Case, str, str]:
    """Open a rights request awaiting confirmation; returns the case, its follow-up token and its
    confirmation token (both raw, both e-mailed once, neither kept).

    No due date yet: the clock starts when the address is confirmed (`verify`), not now.
    """
    verification_token = secrets.token_urlsafe(service.TOKEN_BYTES)
    case, token = service._open(session, settings, kind=CaseKind.RIGHTS_REQUEST, locale=locale, body=form.message,
                                email=str(form.email), acknowledge=False, due_date=None,
                                data_right=form.data_right.value, requester_name=form.name,
                                verification_hash=sha256(verification_token), verified_at=None)
    if document is not None:
        _attach(session, case, case.messages[0], document)
    notifications.queue_confirmation_request(session, settings, case, verification_token, token)
    return case, token, verification_token


def awaiting_confirmation(case: Case) -> bool:
    """A web rights request whose address is not confirmed yet (staff-registered ones never wait)."""
    return case.kind == CaseKind.RIGHTS_REQUEST and case.verified_at is None and case.created_by_id is None


def request_to_verify(session: Session, settings: Settings, token: str, *, now: datetime | None = None) -> Case:
    """The unconfirmed rights request behind a confirmation link.

    NotFound, the same for a forged token, a used one and one of a deleted request; VerificationExpired
    when the link is older than `dpo_verification_hours`.
    """
    if not token or len(token) > 200:
        raise NotFound(NOT_FOUND)
    case = session.scalar(select(Case).options(selectinload(Case.messages))
                          .where(Case.verification_hash == sha256(token), Case.kind == CaseKind.RIGHTS_REQUEST,
                                 Case.verified_at.is_(None)))
    if case is None:
        raise NotFound(NOT_FOUND)
    if (now or utcnow()) >= case.received_at + timedelta(hours=settings.dpo_verification_hours):
        raise VerificationExpired("This confirmation link has expired.", details={"reference": case.reference})
    return case


def verify(session: Session, settings: Settings, token: str, *, now: datetime | None = None) -> Case:
    """The citizen confirmed their address: the request is received now, and its clock starts.

    The token is spent (its hash cleared); the step is in the audit log; the citizen is told the
    date by which we must answer.
    """
    now = now or utcnow()
    case = request_to_verify(session, settings, token, now=now)
    case.verified_at = now
    case.due_date = clock.due_date(clock.local_date(now), settings.holiday_subdivision)
    case.verification_hash = None
    case.updated_at = now
    session.flush()
    audit.record(session, CITIZEN, "dpo.case.verified", service.audit_subject(case),
                 {"reference": case.reference, "due_date": case.due_date.isoformat()})
    notifications.queue_confirmed_notice(session, settings, case)
    return case


# --- complaints ------------------------------------------------------------------------------------------------

def open_complaint(session: Session, settings: Settings, form: ComplaintForm, *, locale: str,
                   document: StoredDocument | None = None) -> tuple[Case, str]:
    """A complaint to the Inhabitant Ombudsman, received (and its clock started) at once.

    An earlier case's reference heads the citizen's text, in their language, where staff read it
    first; it is not looked up, so the form says nothing about which references exist.
    """
    body = form.message
    if form.reference:
        body = f"{translate(EARLIER_CASE, locale).format(reference=form.reference)}\n\n{body}"
    case, token = service._open(session, settings, kind=CaseKind.COMPLAINT, locale=locale, body=body,
                                email=form.email)
    if document is not None:
        _attach(session, case, case.messages[0], document)
    return case, token


# --- later messages --------------------------------------------------------------------------------------------

def add_citizen_message_with_document(session: Session, case: Case, body: str,
                                      document: StoredDocument | None = None) -> CaseMessage:
    """A message from the follow-up page, with or without a document (a document may come alone)."""
    message = service.add_citizen_message(session, case, body)
    if document is not None:
        _attach(session, case, message, document)
    return message
