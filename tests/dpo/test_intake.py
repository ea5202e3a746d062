"""The citizen's new kinds of case, below the pages: a rights request waits for its e-mail to be
confirmed before its clock starts and before staff see it; complaints; question topics; documents."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from praca.core.auth import sha256
from praca.core.errors import InvalidInput, NotFound, TooLarge, UnsupportedMedia
from praca.core.notify import OutboxEmail
from praca.dpo import clock, inbox, intake, service
from praca.dpo.models import CaseAttachment, CaseStatus
from praca.dpo.schemas import CaseFilter, ComplaintForm, ExtendForm, RightsRequestForm
from tests.dpo.helpers import columns_containing, dpo_audit, question_form
from tests.dpo.pages import GPS_DATUM, jpeg_with_gps
from tests.factories import make_device, make_operator

REQUEST = "Please send me a copy of the CCTV images of me at Avenida dos Aliados on 3 March, 10:00-10:30."
COMPLAINT = "I asked for my data two months ago and nobody has answered me yet."
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def rights_form(**overrides: Any) -> RightsRequestForm:
    return RightsRequestForm.model_validate({"data_right": "access", "name": "Maria Silva",
                                             "email": "maria@example.org", "message": REQUEST, **overrides})


def outbox(session) -> list[OutboxEmail]:
    session.flush()
    return list(session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def inbox_references(session, user) -> list[str]:
    return [c.reference for c in inbox.list_cases(session, user, CaseFilter())[0]]


def stored_files(settings) -> list[str]:
    folder = intake.document_dir(settings)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- rights requests ---------------------------------------------------------------------------------------------

def test_a_rights_request_waits_for_its_e_mail_to_be_confirmed(session, settings, dpo):
    case, token, confirm = intake.open_rights_request(session, settings, rights_form(data_right="erasure"),
                                                      locale="pt")
    assert (case.kind, case.data_right, case.requester_name, case.contact_email) == (
        "rights_request", "erasure", "Maria Silva", "maria@example.org")
    assert case.verification_hash == sha256(confirm) and case.token_hash == sha256(token)
    assert case.verified_at is None and case.due_date is None and case.status == CaseStatus.RECEIVED
    assert intake.awaiting_confirmation(case)
    # Nobody's work yet: not in the inbox, not even by reference.
    assert inbox_references(session, dpo) == []
    with pytest.raises(NotFound):
        service.get_case(session, dpo, case.public_id)
    # One e-mail, in the citizen's language, with both links; neither token is stored.
    [mail] = outbox(session)
    assert mail.to_address == "maria@example.org" and mail.subject == f"Confirme o seu pedido {case.reference}"
    assert f"{settings.base_url}/verify/{confirm}?lang=pt" in mail.body
    assert f"{settings.base_url}/follow/{token}?lang=pt" in mail.body
    assert "72 horas" in mail.body and REQUEST not in mail.body
    session.delete(mail)  # the outbox row is the one place a link may live until delivery
    assert columns_containing(session, token) == [] and columns_containing(session, confirm) == []


def test_confirming_starts_the_clock_and_puts_the_request_in_the_inbox(session, settings, dpo):
    case, _, confirm = intake.open_rights_request(session, settings, rights_form(), locale="en")
    moment = case.received_at + timedelta(hours=5)
    assert intake.verify(session, settings, confirm, now=moment) is case
    assert case.verified_at == moment and case.verification_hash is None
    assert case.due_date == clock.due_date(clock.local_date(moment), settings.holiday_subdivision)
    assert case.received_at < moment  # the clock counts from confirmation, not from the form
    [entry] = [e for e in dpo_audit(session) if e.action == "dpo.case.verified"]
    assert entry.actor == "citizen" and entry.subject == f"case:{case.public_id}"
    assert entry.details["due_date"] == case.due_date.isoformat()
    notice = outbox(session)[-1]
    assert notice.subject == f"Your request {case.reference} is confirmed"
    assert f"We must answer by {case.due_date:%B} {case.due_date.day}, {case.due_date.year}" in notice.body
    assert inbox_references(session, dpo) == [case.reference]
    with pytest.raises(NotFound):  # a link works once
        intake.verify(session, settings, confirm)


def test_the_confirmed_notice_speaks_portuguese(session, settings):
    case, _, confirm = intake.open_rights_request(session, settings, rights_form(), locale="pt")
    intake.verify(session, settings, confirm)
    notice = outbox(session)[-1]
    assert notice.subject == f"O seu pedido {case.reference} está confirmado"
    assert re.search(r"Temos de responder até \d{1,2} de \w+ de \d{4}\.", notice.body)


def test_an_expired_or_forged_link_changes_nothing(session, settings, dpo):
    case, token, confirm = intake.open_rights_request(session, settings, rights_form(), locale="pt")
    question, question_token = service.open_question(session, settings, question_form(), locale="pt")
    session.flush()
    mails, entries = len(outbox(session)), len(dpo_audit(session))
    late = case.received_at + timedelta(hours=settings.dpo_verification_hours)
    with pytest.raises(intake.VerificationExpired) as refused:
        intake.verify(session, settings, confirm, now=late)
    assert refused.value.status == 410
    for forged in (confirm[:-1] + ("A" if confirm[-1] != "A" else "B"), token, question_token, sha256(confirm), "",
                   "x" * 300):
        with pytest.raises(NotFound):
            intake.verify(session, settings, forged)
    assert case.verified_at is None and case.due_date is None and case.verification_hash == sha256(confirm)
    assert question.due_date is not None
    assert len(outbox(session)) == mails and len(dpo_audit(session)) == entries
    assert inbox_references(session, dpo) == [question.reference]
    # Just inside the window it still works.
    intake.verify(session, settings, confirm, now=late - timedelta(seconds=1))
    assert case.verified_at is not None


def test_a_rights_request_staff_registered_by_phone_stays_in_sight_unconfirmed(session, settings, dpo):
    """Only web requests wait for the e-mail link; staff follow up a phoned-in one themselves."""
    from tests.dpo.test_staff_service import register_form

    case = service.register_case(session, settings, dpo, register_form(kind="rights_request", data_right="access",
                                                                       topic=None, name="Maria Silva"))[0]
    assert case.verified_at is None and not intake.awaiting_confirmation(case)
    assert inbox_references(session, dpo) == [case.reference]


# --- complaints and questions --------------------------------------------------------------------------------------

def test_a_complaint_is_received_at_once_and_may_name_an_earlier_case(session, settings, dpo):
    form = ComplaintForm.model_validate({"message": COMPLAINT, "reference": " p-2026-000123 ",
                                         "email": "joao@example.org"})
    case, token = intake.open_complaint(session, settings, form, locale="pt")
    assert case.kind == "complaint" and case.topic is None and case.data_right is None
    assert case.due_date == clock.due_date(clock.local_date(case.received_at), settings.holiday_subdivision)
    assert service.first_citizen_message(case) == f"Processo anterior: P-2026-000123\n\n{COMPLAINT}"
    [ack] = outbox(session)
    assert ack.subject == f"Recebemos o seu pedido {case.reference}" and token in ack.body
    assert inbox_references(session, dpo) == [case.reference]
    anonymous = intake.open_complaint(session, settings, ComplaintForm(message=COMPLAINT), locale="en")[0]
    assert service.first_citizen_message(anonymous) == COMPLAINT and anonymous.contact_email is None


@pytest.mark.parametrize("reference", ["P-26-000123", "2026-000123", "P-2026-12345", "P-2026-0001234", "X" * 21])
def test_a_malformed_earlier_reference_is_refused(reference):
    with pytest.raises(ValueError, match="reference"):
        ComplaintForm.model_validate({"message": COMPLAINT, "reference": reference})


def test_questions_carry_their_topic(session, settings):
    general = service.open_question(session, settings, question_form(), locale="pt")[0]
    wifi = service.open_question(session, settings, question_form(topic="wifi"), locale="pt")[0]
    make_operator(session, "ambiente", department="ambiente")
    device = make_device(session, settings, operator="ambiente")
    about = service.open_question(session, settings, question_form(topic="wifi"), locale="pt",
                                  device_public_id=device.public_id)[0]
    assert (general.topic, wifi.topic, about.topic) == ("other", "wifi", "device")


# --- documents ----------------------------------------------------------------------------------------------------

def test_a_picture_loses_its_location_and_a_pdf_is_kept_as_sent(session, settings):
    picture = intake.store_document(settings, intake.read_document(io.BytesIO(jpeg_with_gps()), settings))
    case = intake.open_rights_request(session, settings, rights_form(), locale="pt", document=picture)[0]
    data = (intake.document_dir(settings) / picture.name).read_bytes()
    assert GPS_DATUM.encode() not in data and b"PracaTestCam" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG" and not image.getexif()

    pdf = intake.store_document(settings, intake.read_document(io.BytesIO(PDF), settings))
    assert pdf.name.endswith(".pdf") and pdf.media_type == "application/pdf" and pdf.size_bytes == len(PDF)
    assert (intake.document_dir(settings) / pdf.name).read_bytes() == PDF
    message = intake.add_citizen_message_with_document(session, case, "", pdf)  # a document on its own

    first, second = session.scalars(select(CaseAttachment).where(CaseAttachment.case_id == case.id)
                                    .order_by(CaseAttachment.id)).all()
    assert (first.message_id, first.media_type, first.author) == (case.messages[0].id, "image/jpeg", "citizen")
    assert (second.message_id, second.stored_name) == (message.id, pdf.name)
    assert intake.referenced_documents(session) >= {picture.name, pdf.name}
    added = [e for e in dpo_audit(session) if e.action == "dpo.case.document_added"]
    assert [e.details["attachment"] for e in added] == [first.public_id, second.public_id]
    assert {m: [a.public_id for a in docs] for m, docs in intake.documents_by_message(session, case).items()} == {
        case.messages[0].id: [first.public_id], message.id: [second.public_id]}


@pytest.mark.parametrize("content, error", [
    (b"Just some text with a .pdf name.", UnsupportedMedia),
    (b"%PDF-1.7\nbut the file was cut here", InvalidInput),
    (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", UnsupportedMedia),
    (b"", InvalidInput),
    (PDF + b"0" * 2048, InvalidInput),  # no end marker where readers look for it
])
def test_a_bad_document_is_refused_and_nothing_is_written(settings, content, error):
    with pytest.raises(error) as refused:
        intake.read_document(io.BytesIO(content), settings)
    assert refused.value.details["field"] == "document"
    assert stored_files(settings) == []


def test_an_oversized_document_is_refused_without_reading_it_all(settings):
    settings.upload_max_bytes = 1024
    stream = io.BytesIO(PDF + b"%" * 4096)
    with pytest.raises(TooLarge):
        intake.read_document(stream, settings)
    assert stream.tell() == 1025 and stored_files(settings) == []


def test_staff_reach_a_document_only_through_a_case_they_see(session, settings, dpo):
    pdf = intake.store_document(settings, intake.read_document(io.BytesIO(PDF), settings))
    case = intake.open_complaint(session, settings, ComplaintForm(message=COMPLAINT), locale="pt", document=pdf)[0]
    other = intake.open_complaint(session, settings, ComplaintForm(message=COMPLAINT), locale="pt")[0]
    [attachment] = session.scalars(select(CaseAttachment).where(CaseAttachment.case_id == case.id)).all()
    assert intake.attachment_of(session, case, attachment.public_id) is attachment
    with pytest.raises(NotFound):
        intake.attachment_of(session, other, attachment.public_id)


def test_an_extension_counts_from_the_confirmation_like_the_first_deadline(session, settings, dpo):
    case, _, confirm = intake.open_rights_request(session, settings, rights_form(), locale="en")
    moment = case.received_at + timedelta(days=2)  # confirmed two days after the form was sent
    intake.verify(session, settings, confirm, now=moment)
    service.extend(session, settings, dpo, case.public_id,
                   ExtendForm(months=2, reason="We must search the archives of three departments."),
                   today=clock.local_date(moment))
    assert case.due_date == clock.due_date(clock.local_date(moment), settings.holiday_subdivision, 2)
