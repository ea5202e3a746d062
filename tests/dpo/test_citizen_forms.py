"""The citizen's forms for exercising a right, confirming the e-mail address, complaining, and adding
documents, driven as a browser would (GET for the CSRF token, then POST it back); and the staff
download of those documents.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from praca.dpo import intake, service
from praca.dpo.models import Case, CaseAttachment, CaseStatus
from praca.dpo.schemas import ComplaintForm
from tests.dpo.helpers import dpo_audit, question_form
from tests.dpo.pages import GPS_DATUM, csrf_from, error_fields, jpeg_with_gps, login, post_form, text_of
from tests.dpo.test_intake import COMPLAINT, PDF, REQUEST, outbox, rights_form, stored_files
from tests.factories import make_user

RIGHTS = {"data_right": "access", "name": "Maria Silva", "email": "maria@example.org", "message": REQUEST}
RIGHT_CODES = ("access", "rectification", "erasure", "restriction", "portability", "objection", "automated_decision")


def cases(session) -> int:
    return session.scalar(select(func.count(Case.id))) or 0


def follow_token(response) -> str:
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/follow/"), location
    return location.removeprefix("/follow/").split("?")[0]


def confirm_token(session) -> str:
    """The confirmation link's token, from the e-mail waiting in the outbox."""
    return re.search(r"/verify/([\w-]+)", outbox(session)[-1].body).group(1)


# --- the rights form ------------------------------------------------------------------------------------------

def test_the_rights_form_explains_each_right_in_both_languages(client):
    en = client.get("/rights?lang=en").text
    for code in RIGHT_CODES:
        assert f'name="data_right" value="{code}"' in en
    assert 'id="data_right" name="data_right" value="access"' in en  # the summary's link lands on the first
    assert "Find out whether the city holds data about you, and get a copy of it." in en
    assert 'aria-describedby="data_right-erasure-explanation"' in en
    for control in ("data_right", "name", "email", "message", "document"):
        assert f'<label for="{control}">' in en
    assert 'enctype="multipart/form-data"' in en and 'accept="application/pdf,image/jpeg,image/png,image/webp"' in en
    assert "style=" not in en and "<script>" not in en
    pt = text_of(client.get("/rights?lang=pt").text)
    assert "Exercer os seus direitos de proteção de dados" in pt and "Apagamento (artigo 17.º)" in pt
    assert "Saber se o município tem dados sobre si e receber uma cópia deles." in pt


def test_a_rights_request_is_confirmed_by_e_mail_before_it_starts(client, session, settings):
    token = follow_token(post_form(client, "/rights?lang=en", RIGHTS,
                                   files={"document": ("my-id-card.pdf", PDF, "application/pdf")}))
    case = service.case_for_token(session, token)
    assert case.verified_at is None and case.due_date is None and case.data_right == "access"
    follow = client.get(f"/follow/{token}?lang=en&sent=new")
    assert follow.headers["cache-control"] == "no-store"
    page = text_of(follow.text)
    assert "Thank you. One more step: confirm your e-mail address." in page
    assert "Open it within 72 hours" in page and "The month starts when you confirm your e-mail address." in page
    assert "Document attached: PDF, 1 KB." in page and "my-id-card" not in follow.text

    confirm = confirm_token(session)
    shown = client.get(f"/verify/{confirm}?lang=en")
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    assert case.reference in shown.text and "Access (Article 15)" in shown.text
    assert f'action="/verify/{confirm}?lang=en"' in shown.text
    assert case.verified_at is None and case.verification_hash is not None  # opening the link changes nothing

    response = client.post(f"/verify/{confirm}?lang=en", data={"csrf_token": csrf_from(shown.text)},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/verified?lang=en"
    assert "Your request is confirmed" in client.get(response.headers["location"]).text
    assert case.verified_at is not None and case.due_date is not None and case.verification_hash is None
    due = text_of(client.get(f"/follow/{token}?lang=en").text)
    assert f"We must answer by {case.due_date:%B} {case.due_date.day}, {case.due_date.year}" in due
    assert "Confirm your e-mail address" not in due
    assert client.get(f"/verify/{confirm}").status_code == 404  # spent


@pytest.mark.parametrize("changes, fields", [
    ({"email": "maria@"}, ["email"]),
    ({"email": ""}, ["email"]),
    ({"message": ""}, ["message"]),
    ({"message": "Too short"}, ["message"]),
    ({"message": "x" * 4001}, ["message"]),
    ({"data_right": ""}, ["data_right"]),
    ({"data_right": "everything"}, ["data_right"]),
    ({"name": " "}, ["name"]),
    ({"name": "N" * 201}, ["name"]),
    ({"data_right": "", "name": "", "email": "x", "message": ""}, ["data_right", "name", "email", "message"]),
])
def test_bad_rights_requests_come_back_with_what_to_fix_and_nothing_written(client, session, settings, changes,
                                                                             fields):
    response = post_form(client, "/rights?lang=en", {**RIGHTS, **changes},
                         files={"document": ("scan.jpg", jpeg_with_gps(), "image/jpeg")})
    assert response.status_code == 422
    assert error_fields(response.text) == fields
    for field in fields:
        assert f'id="{field}-error"' in response.text
    assert cases(session) == 0 and outbox(session) == [] and stored_files(settings) == []
    assert "choose it again" in response.text


def test_a_missing_right_is_named_even_when_the_field_is_not_sent(client, session):
    data = {k: v for k, v in RIGHTS.items() if k != "data_right"}
    response = post_form(client, "/rights?lang=en", data)
    assert response.status_code == 422 and error_fields(response.text) == ["data_right"]
    assert "Choose the right you want to exercise." in response.text
    assert 'aria-describedby="data_right-error"' in response.text
    assert cases(session) == 0


def test_the_rights_form_speaks_portuguese_when_refusing(client, session):
    response = post_form(client, "/rights?lang=pt", {**RIGHTS, "email": ""})
    assert "Há um problema" in response.text
    assert "Escreva o seu endereço de e-mail, como nome@exemplo.pt: precisamos dele para confirmar o seu pedido." \
        in response.text
    assert 'value="Maria Silva"' in response.text and REQUEST in response.text  # what was typed is kept


@pytest.mark.parametrize("document, message", [
    (("id.pdf", b"This is not really a PDF.", "application/pdf"), "The document must be a PDF, or a JPEG"),
    (("cut.pdf", b"%PDF-1.4\ncut", "application/pdf"), "We could not read the document"),
    (("empty.pdf", b"", "application/pdf"), None),  # an empty file input is "nothing chosen" only without a name
])
def test_a_bad_document_refuses_the_whole_request(client, session, settings, document, message):
    response = post_form(client, "/rights?lang=en", RIGHTS, files={"document": document})
    assert response.status_code == 422 and error_fields(response.text) == ["document"]
    if message:
        assert message in response.text
    assert cases(session) == 0 and stored_files(settings) == []


def test_an_oversized_document_is_refused(client, app, session, settings):
    app.state.settings.upload_max_bytes = 1024
    response = post_form(client, "/rights?lang=en", RIGHTS,
                         files={"document": ("big.pdf", PDF + b"%" * 4096, "application/pdf")})
    assert response.status_code == 422 and "The document is too large: send one of at most 0 MB." in response.text
    assert cases(session) == 0 and stored_files(settings) == []


def test_a_picture_sent_with_a_request_loses_its_location(client, session, settings):
    token = follow_token(post_form(client, "/rights", RIGHTS,
                                   files={"document": ("IMG_0042.jpg", jpeg_with_gps(), "image/jpeg")}))
    case = service.case_for_token(session, token)
    [attachment] = session.scalars(select(CaseAttachment).where(CaseAttachment.case_id == case.id)).all()
    assert attachment.stored_name != "IMG_0042.jpg" and attachment.media_type == "image/jpeg"
    assert GPS_DATUM.encode() not in (intake.document_dir(settings) / attachment.stored_name).read_bytes()


# --- confirming ----------------------------------------------------------------------------------------------

def test_expired_forged_and_unprotected_confirmations_change_nothing(client, session, settings):
    case, _, confirm = intake.open_rights_request(session, settings, rights_form(), locale="en")
    session.commit()
    csrf = csrf_from(client.get("/rights").text)
    assert client.post(f"/verify/{confirm}", data={}, follow_redirects=False).status_code == 403
    assert client.post(f"/verify/{confirm}", data={"csrf_token": "forged"}).status_code == 403
    forged = confirm[:-1] + ("A" if confirm[-1] != "A" else "B")
    assert client.get(f"/verify/{forged}").status_code == 404
    assert client.post(f"/verify/{forged}", data={"csrf_token": csrf}).status_code == 404

    case.received_at -= timedelta(hours=settings.dpo_verification_hours)
    session.commit()
    for response in (client.get(f"/verify/{confirm}?lang=en"),
                     client.post(f"/verify/{confirm}?lang=en", data={"csrf_token": csrf}, follow_redirects=False)):
        assert response.status_code == 410
        assert "This link has expired" in response.text and "Confirmation links work for 72 hours." in response.text
        assert 'href="/rights?lang=en"' in response.text
    assert case.verified_at is None and case.due_date is None and case.verification_hash is not None
    assert "Esta ligação expirou" in client.get(f"/verify/{confirm}?lang=pt").text


def test_posting_the_confirmation_needs_the_token_page(client, session, settings):
    """A cross-site page cannot confirm for the citizen: the CSRF cookie is strict, the origin checked."""
    _, _, confirm = intake.open_rights_request(session, settings, rights_form(), locale="en")
    session.commit()
    csrf = csrf_from(client.get(f"/verify/{confirm}").text)
    evil = client.post(f"/verify/{confirm}", data={"csrf_token": csrf}, headers={"origin": "https://evil.example"})
    assert evil.status_code == 403 and confirm_token(session) == confirm


# --- complaints ----------------------------------------------------------------------------------------------

def test_a_complaint_with_an_earlier_reference_and_a_document(client, session, settings):
    form = client.get("/complaint?lang=en").text
    for control in ("message", "reference", "document", "email"):
        assert f'<label for="{control}">' in form
    token = follow_token(post_form(client, "/complaint?lang=en",
                                   {"message": COMPLAINT, "reference": "p-2026-000123", "email": ""},
                                   files={"document": ("letter.pdf", PDF, "application/pdf")}))
    case = service.case_for_token(session, token)
    assert case.kind == "complaint" and case.due_date is not None and case.contact_email is None
    assert service.first_citizen_message(case) == f"Earlier case: P-2026-000123\n\n{COMPLAINT}"
    page = text_of(client.get(f"/follow/{token}?lang=en&sent=new").text)
    assert "Thank you. We have received your complaint." in page and "Your complaint" in page
    assert "Complaint to the Inhabitant Ombudsman" in page and "Document attached: PDF" in page


@pytest.mark.parametrize("changes, fields", [
    ({"message": ""}, ["message"]),
    ({"message": "x" * 4001}, ["message"]),
    ({"reference": "2026-123"}, ["reference"]),
    ({"email": "joao@@example.org"}, ["email"]),
    ({"message": "short", "reference": "P-1", "email": "no"}, ["message", "reference", "email"]),
])
def test_bad_complaints_come_back(client, session, changes, fields):
    response = post_form(client, "/complaint?lang=en", {"message": COMPLAINT, "reference": "", "email": "",
                                                        **changes})
    assert response.status_code == 422 and error_fields(response.text) == fields
    assert cases(session) == 0


def test_citizen_forms_need_the_csrf_token(client, session):
    client.get("/rights")
    assert client.post("/rights", data=RIGHTS, follow_redirects=False).status_code == 403
    assert client.post("/complaint", data={"message": COMPLAINT, "csrf_token": "x"}).status_code == 403
    assert cases(session) == 0


# --- the ask page's topic -------------------------------------------------------------------------------------

def test_the_ask_page_asks_for_a_topic_and_points_to_the_rights_form(client, session):
    html = client.get("/ask?lang=en").text
    for code in ("device", "wifi", "privacy_policy", "other"):
        assert f'name="topic" value="{code}"' in html
    assert 'href="/rights?lang=en"' in html
    token = follow_token(post_form(client, "/ask", {"topic": "wifi", "message": question_form().message}))
    assert service.case_for_token(session, token).topic == "wifi"
    bad = post_form(client, "/ask?lang=en", {"topic": "weather", "message": ""})
    assert bad.status_code == 422 and error_fields(bad.text) == ["topic", "message"]


# --- the follow-up page: a message with a document ---------------------------------------------------------------

def test_the_citizen_adds_a_document_with_or_without_a_message(client, session, settings):
    case, token = service.open_question(session, settings, question_form(), locale="en")
    case.status = CaseStatus.WAITING_CITIZEN
    session.commit()
    page = client.get(f"/follow/{token}").text
    assert 'enctype="multipart/form-data"' in page and 'name="document"' in page
    url = f"/follow/{token}/message"
    with_text = post_form(client, f"/follow/{token}", {"message": "The letter they sent me."}, action=url,
                          files={"document": ("letter.pdf", PDF, "application/pdf")})
    alone = post_form(client, f"/follow/{token}", {"message": ""}, action=url,
                      files={"document": ("photo.png", _png(), "image/png")})
    assert with_text.status_code == alone.status_code == 303
    attachments = session.scalars(select(CaseAttachment).where(CaseAttachment.case_id == case.id)
                                  .order_by(CaseAttachment.id)).all()
    assert [a.media_type for a in attachments] == ["application/pdf", "image/png"]
    assert [m.body for m in case.messages[1:]] == ["The letter they sent me.", ""]
    assert attachments[1].message_id == case.messages[2].id
    shown = text_of(client.get(f"/follow/{token}?lang=en").text)
    assert "Document attached: PDF, 1 KB." in shown and "Document attached: PNG" in shown

    neither = post_form(client, f"/follow/{token}", {"message": ""}, action=url)
    bad = post_form(client, f"/follow/{token}", {"message": "Here."}, action=url,
                    files={"document": ("x.pdf", b"nope", "application/pdf")})
    assert neither.status_code == bad.status_code == 422
    assert error_fields(neither.text) == ["message"] and error_fields(bad.text) == ["document"]
    assert len(case.messages) == 3 and len(stored_files(settings)) == 2


def test_a_closed_case_takes_no_document(client, session, settings, dpo):
    case, token = service.open_question(session, settings, question_form(), locale="en")
    case.status = CaseStatus.CLOSED
    session.commit()
    response = post_form(client, "/ask", {"message": ""}, action=f"/follow/{token}/message?lang=en",
                         files={"document": ("letter.pdf", PDF, "application/pdf")})
    assert response.status_code == 422 and "This request is closed." in response.text
    assert stored_files(settings) == [] and len(case.messages) == 1


# --- staff download the documents -------------------------------------------------------------------------------

def test_staff_download_a_document_only_through_a_case_they_see(client, session, settings):
    def stored_pdf() -> intake.StoredDocument:
        return intake.store_document(settings, intake.read_document(io.BytesIO(PDF), settings))

    case = intake.open_complaint(session, settings, ComplaintForm(message=COMPLAINT), locale="pt",
                                 document=stored_pdf())[0]
    pending = intake.open_rights_request(session, settings, rights_form(), locale="pt", document=stored_pdf())[0]
    session.commit()
    [attachment] = session.scalars(select(CaseAttachment).where(CaseAttachment.case_id == case.id)).all()
    [unconfirmed] = session.scalars(select(CaseAttachment).where(CaseAttachment.case_id == pending.id)).all()
    url = f"/staff/cases/{case.public_id}/attachments/{attachment.public_id}"

    anonymous = client.get(url, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/staff/login")
    login(client, make_user(session, "liaison", department="cultura").email)
    assert client.get(url).status_code == 404  # not their department's case

    viewer = make_user(session, "viewer")
    login(client, viewer.email)
    response = client.get(url)
    assert response.status_code == 200 and response.content == PDF
    [entry] = [e for e in dpo_audit(session) if e.action == "dpo.case.document_downloaded"]
    assert entry.actor == viewer.actor and entry.details == {"attachment": attachment.public_id}
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{case.reference}-{attachment.public_id[:8]}.pdf"')
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    other = f"/staff/cases/{case.public_id}/attachments/{unconfirmed.public_id}"
    assert client.get(other).status_code == 404  # another case's document, by this case's URL
    assert client.get(f"/staff/cases/{pending.public_id}/attachments/{unconfirmed.public_id}").status_code == 404
    (intake.document_dir(settings) / attachment.stored_name).unlink()
    assert client.get(url).status_code == 404


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(buf, format="PNG")
    return buf.getvalue()
