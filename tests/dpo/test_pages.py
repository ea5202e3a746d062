"""The citizen's pages: report an unlisted device, ask (in general or about a device), follow the case.

Forms are driven as a browser would: GET for the CSRF cookie and token, then POST it back.
"""

from __future__ import annotations

import pytest
from PIL import Image
from sqlalchemy import func, select

from praca.core.auth import sha256
from praca.dpo import service
from praca.dpo.models import Case, CaseStatus
from praca.dpo.schemas import OutcomeForm, StaffMessageForm
from tests.dpo.helpers import DESCRIPTION, QUESTION, columns_containing, question_form, report_form
from tests.dpo.pages import GPS_DATUM, csrf_from, error_fields, jpeg_with_gps, post_form, text_of
from tests.factories import ALIADOS, make_device, make_operator

REPORT = {"lat": str(ALIADOS[0]), "lon": str(ALIADOS[1]), "device_type": "cctv_camera",
          "description": DESCRIPTION, "email": ""}


def cases(session) -> int:
    return session.scalar(select(func.count(Case.id))) or 0


def token_of(response) -> str:
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/follow/")
    return location.removeprefix("/follow/").split("?")[0]


# --- report -----------------------------------------------------------------------------------------------

def test_the_report_form_is_prefilled_from_the_map_and_has_every_field(client):
    html = client.get("/report?lat=41.15&lon=-8.61&lang=en").text
    assert 'id="lat" name="lat"' in html and 'value="41.150000"' in html and 'value="-8.610000"' in html
    for field in ('name="device_type"', 'name="description"', 'name="photo" type="file"', 'name="email" type="email"',
                  'id="pin-map"', 'id="use-location"', '/static/js/pin.js', '/static/vendor/leaflet/leaflet.js'):
        assert field in html
    for control in ("lat", "lon", "device_type", "description", "photo", "email"):
        assert f'<label for="{control}">' in html
    assert "style=" not in html and "<script>" not in html  # the CSP allows neither
    junk = client.get("/report?lat=north&lon=999").text
    assert 'id="lat" name="lat" type="text" inputmode="decimal" autocomplete="off" spellcheck="false"\n' \
           '               value=""' in junk


def test_a_report_with_a_photo_opens_a_case_and_the_photo_loses_its_gps(client, session, settings):
    response = post_form(client, "/report?lang=en", {**REPORT, "email": "maria@example.org"},
                         files={"photo": ("IMG_0042.jpg", jpeg_with_gps(), "image/jpeg")})
    token = token_of(response)
    case = session.scalar(select(Case))
    assert case.token_hash == sha256(token) and case.locale == "en"
    assert (case.lat, case.lon, case.suspected_type, case.contact_email) == (*ALIADOS, "cctv_camera",
                                                                              "maria@example.org")
    stored = service.photo_dir(settings) / case.photo
    assert case.photo != "IMG_0042.jpg" and stored.is_file()
    data = stored.read_bytes()
    assert GPS_DATUM.encode() not in data and b"PracaTestCam" not in data
    with Image.open(stored) as image:
        assert image.format == "JPEG" and not image.getexif()

    page = client.get(response.headers["location"])
    assert page.status_code == 200
    assert case.reference in page.text and "Thank you. We have received your report." in page.text
    assert case.photo not in page.text  # never shown publicly


def test_a_report_without_a_photo_or_an_e_mail(client, session):
    token = token_of(post_form(client, "/report", {**REPORT, "device_type": ""},
                               files={"photo": ("", b"", "application/octet-stream")}))
    case = service.case_for_token(session, token)
    assert case.photo is None and case.contact_email is None and case.suspected_type is None
    assert case.locale == "pt"
    assert columns_containing(session, token) == []


def test_a_decimal_comma_is_a_decimal_point(client, session):
    token_of(post_form(client, "/report", {**REPORT, "lat": "41,1496", "lon": "-8,6109"}))
    assert (session.scalar(select(Case)).lat, session.scalar(select(Case)).lon) == ALIADOS


@pytest.mark.parametrize("changes, fields", [
    ({"description": ""}, ["description"]),
    ({"description": "Too short"}, ["description"]),
    ({"description": "x" * 2001}, ["description"]),
    ({"lat": ""}, ["lat"]),
    ({"lat": "north"}, ["lat"]),
    ({"lon": "-200"}, ["lon"]),
    ({"lat": "nan"}, ["lat"]),
    ({"email": "maria@"}, ["email"]),
    ({"device_type": "ufo"}, ["device_type"]),
    ({"lat": "", "description": "", "email": "x"}, ["lat", "description", "email"]),
    ({"lat": "38.7223", "lon": "-9.1393"}, ["lat"]),  # Lisbon: outside the city
])
def test_bad_reports_come_back_with_what_to_fix_and_nothing_written(client, session, settings, changes, fields):
    response = post_form(client, "/report?lang=en", {**REPORT, **changes},
                         files={"photo": ("ok.jpg", jpeg_with_gps(), "image/jpeg")})
    assert response.status_code == 422
    assert error_fields(response.text) == fields
    assert 'role="alert"' in response.text
    for field in fields:
        assert f'id="{field}-error"' in response.text and 'aria-invalid="true"' in response.text
    assert cases(session) == 0
    assert not service.photo_dir(settings).exists() or not any(service.photo_dir(settings).iterdir())
    kept = {k: v for k, v in {**REPORT, **changes}.items() if k == "description" and v}
    for value in kept.values():
        assert value in response.text  # what the citizen typed is kept


def test_a_pin_outside_the_city_is_explained(client):
    response = post_form(client, "/report?lang=en", {**REPORT, "lat": "41.5", "lon": "-8.61"})
    assert response.status_code == 422
    assert "This place is outside Porto." in text_of(response.text)


@pytest.mark.parametrize("photo, message", [
    (("notes.txt", b"not an image at all", "text/plain"), "The photo must be a JPEG, PNG or WebP"),
    (("cut.jpg", jpeg_with_gps()[:400], "image/jpeg"), "We could not read the photo"),
    (("anim.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif"), "The photo must be a JPEG, PNG or WebP"),
])
def test_a_bad_photo_is_refused(client, session, photo, message):
    response = post_form(client, "/report?lang=en", REPORT, files={"photo": photo})
    assert response.status_code == 422
    assert error_fields(response.text) == ["photo"] and message in response.text
    assert "choose it again" in response.text
    assert cases(session) == 0


def test_a_photo_over_the_size_limit_is_refused(client, app, session):
    app.state.settings.upload_max_bytes = 1024
    response = post_form(client, "/report?lang=en", REPORT,
                         files={"photo": ("big.png", b"\x89PNG" + b"0" * 4096, "image/png")})
    assert response.status_code == 422 and "The photo is too large" in response.text
    assert cases(session) == 0


def test_forms_without_the_csrf_token_are_refused(client, session):
    client.get("/report")
    assert client.post("/report", data=REPORT, follow_redirects=False).status_code == 403
    assert client.post("/report", data={**REPORT, "csrf_token": "forged"}, follow_redirects=False).status_code == 403
    client.cookies.clear()
    assert client.post("/ask", data={"message": QUESTION, "csrf_token": "x"}).status_code == 403
    assert cases(session) == 0


def test_posts_are_rate_limited(client, app, session):
    app.state.settings.public_post_rate = 3
    token = csrf_from(client.get("/report").text)
    statuses = [client.post("/report", data={**REPORT, "csrf_token": token}, follow_redirects=False).status_code
                for _ in range(4)]
    assert statuses == [303, 303, 303, 429]
    assert cases(session) == 3
    assert int(client.post("/ask", data={"message": QUESTION, "csrf_token": token}).headers["retry-after"]) > 0


# --- ask ------------------------------------------------------------------------------------------------------

def test_a_general_question(client, session):
    token = token_of(post_form(client, "/ask", {"message": QUESTION, "email": "alex@example.org"}))
    case = service.case_for_token(session, token)
    assert (case.kind, case.device_public_id, case.contact_email) == ("question", None, "alex@example.org")


def test_a_question_about_a_device(client, session, settings):
    make_operator(session, "ambiente", department="ambiente")
    device = make_device(session, settings, operator="ambiente", name="Sensor de ruído da Trindade")
    session.commit()
    url = f"/devices/{device.public_id}/ask"
    page = client.get(url)
    assert "Sensor de ruído da Trindade" in page.text and f'action="{url}"' in page.text
    case = service.case_for_token(session, token_of(post_form(client, url, {"message": QUESTION})))
    assert case.device_public_id == device.public_id
    assert case.department_id == device.operator.department_id


def test_asking_about_an_unknown_device_is_not_found(client, session):
    assert client.get("/devices/no-such-device/ask").status_code == 404
    token = csrf_from(client.get("/ask").text)
    response = client.post("/devices/no-such-device/ask", data={"message": QUESTION, "csrf_token": token})
    assert response.status_code == 404
    assert cases(session) == 0


@pytest.mark.parametrize("message", ["", "Too short", "x" * 4001])
def test_a_bad_question_comes_back(client, session, message):
    response = post_form(client, "/ask", {"message": message, "email": "not-an-address"})
    assert response.status_code == 422
    assert error_fields(response.text) == ["message", "email"]
    assert cases(session) == 0


# --- follow ---------------------------------------------------------------------------------------------------

def test_the_follow_up_page_shows_public_replies_and_never_internal_notes(client, session, settings, dpo):
    case, token = service.open_question(session, settings, question_form(), locale="en")
    service.add_note(session, dpo, case.public_id, "INTERNAL: ask the police first")
    service.reply(session, settings, dpo, case.public_id,
                  StaffMessageForm(body="PUBLIC: thirty days, then deleted.", mark_answered=True))
    session.commit()
    response = client.get(f"/follow/{token}?lang=en")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert '<meta name="robots" content="noindex, nofollow">' in response.text
    page = text_of(response.text)
    assert case.reference in page and QUESTION in page and "PUBLIC: thirty days, then deleted." in page
    assert "INTERNAL" not in response.text
    assert "<strong>Answered</strong>: We have answered: read our reply below." in response.text
    assert "Bookmark this page" in page


def test_forged_tokens_get_the_same_not_found(client, session, settings):
    _, token = service.open_question(session, settings, question_form(), locale="en")
    session.commit()
    never, forged = "A" * 43, token[:-1] + ("A" if token[-1] != "A" else "B")
    first, second = client.get(f"/follow/{never}"), client.get(f"/follow/{forged}")
    assert first.status_code == second.status_code == 404
    assert first.text.replace(never, "T") == second.text.replace(forged, "T")  # the page links back to itself
    assert client.get(f"/follow/{sha256(token)}").status_code == 404
    assert client.post(f"/follow/{'A' * 43}/message",
                       data={"message": "hi", "csrf_token": csrf_from(client.get("/ask").text)}).status_code == 404


def test_the_citizen_can_write_again(client, session, settings):
    case, token = service.open_question(session, settings, question_form(), locale="en")
    case.status = CaseStatus.WAITING_CITIZEN
    session.commit()
    response = post_form(client, f"/follow/{token}", {"message": "It is the one at number 12."},
                         action=f"/follow/{token}/message")
    assert response.status_code == 303 and response.headers["location"] == f"/follow/{token}?sent=message"
    assert case.status == CaseStatus.IN_PROGRESS
    assert "It is the one at number 12." in client.get(f"/follow/{token}").text

    empty = post_form(client, f"/follow/{token}", {"message": "  "}, action=f"/follow/{token}/message")
    assert empty.status_code == 422 and error_fields(empty.text) == ["message"]
    assert empty.headers["cache-control"] == "no-store"


def test_a_closed_case_shows_its_outcome_and_takes_no_messages(client, session, settings, dpo):
    device = make_device(session, settings, name="Câmara do quiosque")
    report, token = service.open_report(session, settings, report_form(), locale="en")
    service.close_report(session, settings, dpo, report.public_id,
                         OutcomeForm(outcome="already_registered", device_id=device.public_id))
    session.commit()
    html = client.get(f"/follow/{token}?lang=en").text
    assert "Already in the register" in html and f'href="/devices/{device.public_id}"' in html
    assert f'action="/follow/{token}/message' not in html
    response = post_form(client, "/ask", {"message": "One more thing."}, action=f"/follow/{token}/message?lang=en")
    assert response.status_code == 422 and "This request is closed." in response.text
    assert len(report.messages) == 2


# --- language ----------------------------------------------------------------------------------------------------

def test_the_pages_speak_european_portuguese(client, session, settings):
    report = client.get("/report?lang=pt").text
    assert "Comunicar um aparelho que não está no registo" in report and "Usar a minha localização" in report
    assert "O seu e-mail" in report
    ask = client.get("/ask?lang=pt").text
    assert "Pergunte ao Encarregado da Proteção de Dados" in ask
    sent = post_form(client, "/report?lang=pt", REPORT)
    assert sent.headers["location"].endswith("?lang=pt&sent=new")
    follow = text_of(client.get(sent.headers["location"]).text)
    assert "Obrigado. Recebemos a sua comunicação." in follow
    assert "Recebido : Recebemos a sua mensagem e vamos lê-la em breve." in follow
    bad = post_form(client, "/report?lang=pt", {**REPORT, "description": "curta"})
    assert "Há um problema" in bad.text and "Descreva o que viu em 10 a 2000 caracteres." in bad.text


def test_the_acknowledgement_e_mail_brings_the_citizen_back(client, session, settings, smtp):
    from praca.core import notify

    settings.smtp_host, settings.smtp_port = smtp.host, smtp.port
    token = token_of(post_form(client, "/report?lang=pt", {**REPORT, "email": "maria@example.org"}))
    assert notify.send_pending(session, settings) == 1
    [ack] = smtp.messages
    case = service.case_for_token(session, token)
    assert ack["To"] == "maria@example.org"
    assert ack["Subject"] == f"Recebemos o seu pedido {case.reference}"
    link = next(line for line in ack.get_content().splitlines() if "/follow/" in line)
    assert link == f"{settings.base_url}/follow/{token}?lang=pt"
    page = client.get(link.removeprefix(settings.base_url))
    assert page.status_code == 200 and case.reference in page.text
