"""The staff desk's pages: sign-in, the role × action matrix, the inbox, replies and notes, statuses,
the three outcomes (one creating a register entry), the staff-only photo, audit without personal data."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from praca.core import files, notify
from praca.core.audit import AuditEntry
from praca.dpo import service
from praca.dpo.models import Case, CaseStatus
from praca.registry.models import Device
from tests.dpo.helpers import DESCRIPTION, QUESTION, question_form, report_form
from tests.dpo.pages import csrf_from, error_fields, jpeg_with_gps, login, text_of
from tests.factories import make_device, make_operator, make_user

EMAIL = "maria.staff-test@example.org"


@dataclass
class Desk:
    device: Device
    question: Case
    question_token: str
    report: Case
    report_token: str


@pytest.fixture
def desk(session, settings) -> Desk:
    """A question about a device run by the 'ambiente' department, and a report (with photo) for the DPO."""
    make_operator(session, "ambiente", department="ambiente", name="Departamento de Ambiente")
    device = make_device(session, settings, operator="ambiente", name="Sensor de ruído da Trindade")
    question, q_token = service.open_question(session, settings, question_form(email=EMAIL), locale="en",
                                              device_public_id=device.public_id)
    clean = files.sanitise_image(io.BytesIO(jpeg_with_gps()), max_bytes=settings.upload_max_bytes,
                                 max_pixels=settings.image_max_pixels)
    photo = files.store(service.photo_dir(settings), clean)
    report, r_token = service.open_report(session, settings, report_form(email=EMAIL), locale="pt", photo=photo)
    session.commit()
    return Desk(device, question, q_token, report, r_token)


def as_role(client, session, role: str, department: str | None = None) -> None:
    login(client, make_user(session, role, department=department).email)


def act(client, case: Case, action: str, data: dict, *, lang: str = "en"):
    """Post one of the case page's forms, with the CSRF token from the page (or the login page if hidden)."""
    page = client.get(f"/staff/cases/{case.public_id}?lang={lang}")
    token = csrf_from(page.text if page.status_code == 200 else client.get("/staff/login").text)
    return client.post(f"/staff/cases/{case.public_id}/{action}?lang={lang}", data={"csrf_token": token, **data},
                       follow_redirects=False)


# --- who may do what ---------------------------------------------------------------------------------------------

def test_anonymous_visitors_are_sent_to_sign_in(client, desk):
    for url in ("/staff/cases", f"/staff/cases/{desk.report.public_id}", f"/staff/cases/{desk.report.public_id}/photo"):
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == f"/staff/login?next={url}"
    token = csrf_from(client.get("/staff/login").text)
    response = client.post(f"/staff/cases/{desk.report.public_id}/reply", data={"csrf_token": token, "body": "x"},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login")


# role, department, sees the question (ambiente), sees the report (no department), may act
MATRIX = [
    ("admin", None, True, True, True),
    ("dpo", None, True, True, True),
    ("viewer", None, True, True, False),
    ("liaison", "ambiente", True, False, True),  # acts on their department's cases only
    ("liaison", "cultura", False, False, False),
]


@pytest.mark.parametrize("role, department, sees_question, sees_report, acts", MATRIX)
def test_the_role_matrix(client, session, desk, role, department, sees_question, sees_report, acts):
    as_role(client, session, role, department)
    inbox = client.get("/staff/cases").text
    assert (desk.question.reference in inbox) == sees_question
    assert (desk.report.reference in inbox) == sees_report

    for case, visible in ((desk.question, sees_question), (desk.report, sees_report)):
        page = client.get(f"/staff/cases/{case.public_id}?lang=en")
        assert page.status_code == (200 if visible else 404)
        if visible:
            assert ('action="/staff/cases/' in page.text) == acts
            assert ("Your role lets you read this case, not act on it." in page.text) == (not acts)
        expected = 404 if not visible else 303 if acts else 403
        for action, data in (("reply", {"body": "Thank you."}), ("note", {"body": "x"}),
                             ("status", {"status": "acknowledged"})):
            assert act(client, case, action, data).status_code == expected, (action, case.kind)
    assert act(client, desk.report, "outcome", {"outcome": "not_a_device"}).status_code == (
        404 if not sees_report else 303 if acts else 403)
    photo = client.get(f"/staff/cases/{desk.report.public_id}/photo")
    assert photo.status_code == (200 if sees_report else 404)


def test_staff_forms_need_the_csrf_token(client, session, desk):
    as_role(client, session, "dpo")
    response = client.post(f"/staff/cases/{desk.question.public_id}/reply", data={"body": "x", "csrf_token": "no"})
    assert response.status_code == 403
    assert len(service.public_thread(desk.question)) == 1


# --- the inbox ----------------------------------------------------------------------------------------------------

def test_the_inbox_lists_filters_and_pages(client, session, settings, desk):
    for _ in range(3):
        service.open_question(session, settings, question_form(), locale="pt")
    session.commit()
    as_role(client, session, "dpo")
    html = client.get("/staff/cases?lang=en&sort=-received").text
    assert "5 cases" in html
    rows = re.findall(r'<th scope="row"><a href="/staff/cases/[^"]+">(P-\d{4}-\d{6})</a></th>', html)
    assert len(rows) == 5 and rows[-1] == desk.question.reference  # newest first
    report_row = html.split(f">{desk.report.reference}</a>")[1].split("</tr>")[0]
    assert "Report of a device not in the register" in report_row and "The DPO's own desk" in text_of(report_row)
    question_row = html.split(f">{desk.question.reference}</a>")[1].split("</tr>")[0]
    assert "Department ambiente" in question_row and "Nobody yet" in question_row
    assert "days left" in question_row and str(desk.question.due_date) in question_row

    only_reports = client.get("/staff/cases?kind=unlisted_device&status=&q=").text
    assert desk.report.reference in only_reports and desk.question.reference not in only_reports
    found = client.get(f"/staff/cases?q={desk.question.reference[-6:]}&lang=en").text
    assert desk.question.reference in found and "1 case" in text_of(found)
    assert client.get("/staff/cases?status=lost").status_code == 422

    first = client.get("/staff/cases?limit=2&lang=en").text
    assert 'rel="next"' in first and 'rel="prev"' not in first
    last = client.get("/staff/cases?limit=2&offset=4&lang=en").text
    assert 'rel="prev"' in last and 'rel="next"' not in last and "showing 5 to 5" in last


# --- acting on a case ------------------------------------------------------------------------------------------------

def test_a_reply_reaches_the_follow_up_page_and_a_note_does_not(client, session, settings, desk, smtp):
    as_role(client, session, "dpo")
    assert act(client, desk.question, "note", {"body": "INTERNAL: check with Ambiente"}).status_code == 303
    response = act(client, desk.question, "reply", {"body": "PUBLIC: it measures decibels only.",
                                                   "mark_answered": "on"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/staff/cases/{desk.question.public_id}?done=replied"
    assert desk.question.status == CaseStatus.ANSWERED and desk.question.first_answer_at is not None

    staff_view = client.get(response.headers["location"] + "&lang=en").text
    assert "Your reply was posted." in staff_view
    assert "Internal note: never shown to the citizen" in staff_view and "INTERNAL: check with Ambiente" in staff_view

    citizen_view = client.get(f"/follow/{desk.question_token}?lang=en").text
    assert "PUBLIC: it measures decibels only." in citizen_view and "INTERNAL" not in citizen_view

    settings.smtp_host, settings.smtp_port = smtp.host, smtp.port
    assert notify.send_pending(session, settings) == 3  # two acknowledgements, one reply notice
    notice = next(m for m in smtp.messages if m["Subject"].startswith("New reply"))
    assert notice["Subject"] == f"New reply to your request {desk.question.reference}"
    assert notice["To"] == EMAIL and "decibels" not in notice.get_content()


def test_an_empty_reply_comes_back(client, session, desk):
    as_role(client, session, "dpo")
    response = act(client, desk.question, "reply", {"body": "   "})
    assert response.status_code == 422 and error_fields(response.text) == ["reply-body"]
    assert 'id="reply-body-error"' in response.text
    assert len(desk.question.messages) == 1


def test_status_changes_follow_the_allowed_transitions(client, session, desk):
    as_role(client, session, "dpo")
    assert act(client, desk.question, "status", {"status": "acknowledged"}).status_code == 303
    assert desk.question.status == CaseStatus.ACKNOWLEDGED
    refused = act(client, desk.question, "status", {"status": "closed"})
    assert refused.status_code == 422 and error_fields(refused.text) == ["status-status"]
    assert "This change of status is not allowed" in refused.text
    assert act(client, desk.question, "status", {"status": "nonsense"}).status_code == 422
    assert desk.question.status == CaseStatus.ACKNOWLEDGED
    assert act(client, desk.question, "status", {"status": "rejected"}).status_code == 422  # needs a reason
    assert act(client, desk.question, "reject", {"reason": "Not something the DPO handles."}).status_code == 303
    assert act(client, desk.question, "status", {"status": "in_progress"}).status_code == 303  # reopened
    assert desk.question.status == CaseStatus.IN_PROGRESS and desk.question.closed_at is None


def test_the_photo_is_served_to_staff_only(client, session, settings, desk):
    assert client.get(f"/staff/cases/{desk.report.public_id}/photo", follow_redirects=False).status_code == 303
    as_role(client, session, "viewer")
    photo = client.get(f"/staff/cases/{desk.report.public_id}/photo")
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert photo.headers["cache-control"] == "private, no-store"
    assert photo.content == (service.photo_dir(settings) / desk.report.photo).read_bytes()
    assert b"PracaTestCam" not in photo.content
    assert client.get(f"/staff/cases/{desk.question.public_id}/photo").status_code == 404
    page = client.get(f"/staff/cases/{desk.report.public_id}").text
    assert f'src="/staff/cases/{desk.report.public_id}/photo"' in page and 'id="pin-map"' in page


# --- outcomes ------------------------------------------------------------------------------------------------------

def test_already_registered(client, session, settings, desk):
    as_role(client, session, "dpo")
    unknown = act(client, desk.report, "outcome", {"outcome": "already_registered", "device_id": "nope"})
    assert unknown.status_code == 422 and error_fields(unknown.text) == ["outcome-device_id"]
    missing = act(client, desk.report, "outcome", {"outcome": "already_registered", "device_id": ""})
    assert missing.status_code == 422 and error_fields(missing.text) == ["outcome-device_id"]
    assert desk.report.status == CaseStatus.RECEIVED

    response = act(client, desk.report, "outcome", {"outcome": "already_registered",
                                                    "device_id": desk.device.public_id})
    assert response.status_code == 303
    assert (desk.report.status, desk.report.outcome) == (CaseStatus.CLOSED, "already_registered")
    follow = client.get(f"/follow/{desk.report_token}").text  # the citizen wrote in Portuguese
    assert "Já está no registo" in follow and f'href="/devices/{desk.device.public_id}"' in follow
    assert "Este aparelho já está no registo" in follow
    assert 'action="/staff/cases/' + desk.report.public_id + '/outcome"' not in client.get(
        f"/staff/cases/{desk.report.public_id}").text


def test_not_a_device(client, session, desk):
    as_role(client, session, "admin")
    response = act(client, desk.report, "outcome", {"outcome": "not_a_device", "message": "É um alarme de incêndio."})
    assert response.status_code == 303
    assert desk.report.outcome == "not_a_device" and desk.report.outcome_device_public_id is None
    follow = text_of(client.get(f"/follow/{desk.report_token}").text)
    assert "não se trata de um aparelho que recolha dados" in follow and "É um alarme de incêndio." in follow


def test_outcomes_are_only_for_reports(client, session, desk):
    as_role(client, session, "dpo")
    response = act(client, desk.question, "outcome", {"outcome": "not_a_device"})
    assert response.status_code == 422 and desk.question.outcome is None


def devices(session) -> int:
    return session.scalar(select(func.count(Device.id))) or 0


def register_fields(html: str) -> dict[str, object]:
    """The pre-filled register form as the browser would post it (selected options, checked boxes)."""
    form = html.split('/register" novalidate>', 1)[1].split("</form>", 1)[0]
    data: dict[str, object] = {}
    for name, value in re.findall(r'<input id="device-[\w]+" name="(\w+)" type="text"[^>]*value="([^"]*)"', form):
        data[name] = value
    for name, body in re.findall(r'<select id="device-\w+" name="(\w+)"[^>]*>(.*?)</select>', form, re.S):
        selected = re.search(r'<option value="([^"]*)" selected>', body)
        data[name] = selected.group(1) if selected else ""
    for name in ("purposes", "data_types", "personal_data_categories"):
        data[name] = re.findall(rf'name="{name}" value="(\w+)" checked', form)
    if re.search(r'name="personal_data" checked', form):
        data["personal_data"] = "on"
    data["description"] = re.search(r'name="description"[^>]*>(.*?)</textarea>', form, re.S).group(1)
    return data


def test_registered_now_creates_the_register_entry_from_the_report(client, session, settings, desk):
    make_operator(session, "psp", department=None, kind="other", name="PSP")
    session.commit()
    as_role(client, session, "dpo")
    page = client.get(f"/staff/cases/{desk.report.public_id}?lang=en").text
    draft = register_fields(page)
    assert draft["type"] == "cctv_camera" and draft["operator"] == ""
    assert (float(draft["lat"]), float(draft["lon"])) == (desk.report.lat, desk.report.lon)
    assert draft["purposes"] == ["public_safety"] and draft["data_types"] == ["video"]
    assert draft["personal_data"] == "on" and draft["legal_basis"] == "public_task"
    assert draft["description"] == DESCRIPTION and draft["name"]

    before = devices(session)
    no_operator = act(client, desk.report, "register", draft)
    assert no_operator.status_code == 422 and error_fields(no_operator.text) == ["device-operator"]
    inconsistent = act(client, desk.report, "register", {**draft, "operator": "psp", "personal_data_categories": []})
    assert inconsistent.status_code == 422 and error_fields(inconsistent.text) == ["device-personal_data_categories"]
    outside = act(client, desk.report, "register", {**draft, "operator": "psp", "lat": "38.72"})
    assert outside.status_code == 422 and error_fields(outside.text) == ["device-lat"]
    assert devices(session) == before and desk.report.status == CaseStatus.RECEIVED

    response = act(client, desk.report, "register", {**draft, "operator": "psp", "name": "Câmara do quiosque",
                                                     "retention_days": "30"})
    assert response.status_code == 303
    assert devices(session) == before + 1
    assert (desk.report.status, desk.report.outcome) == (CaseStatus.CLOSED, "registered_now")
    api = client.get(f"/api/v1/devices/{desk.report.outcome_device_public_id}")
    assert api.status_code == 200
    assert (api.json()["name"], api.json()["operator"]["slug"], api.json()["retention_days"]) == (
        "Câmara do quiosque", "psp", 30)
    follow = client.get(f"/follow/{desk.report_token}").text
    assert "Acrescentado ao registo" in follow and "acabámos de o acrescentar" in follow


# --- the audit trail ------------------------------------------------------------------------------------------

def test_staff_actions_are_audited_without_personal_data(client, session, desk):
    dpo = make_user(session, "dpo")
    login(client, dpo.email)
    act(client, desk.question, "note", {"body": "Note text 123"})
    act(client, desk.question, "reply", {"body": "Reply text 456", "mark_answered": "on"})
    act(client, desk.report, "outcome", {"outcome": "not_a_device", "message": "Outcome text 789"})
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action.like("dpo.%")).order_by(AuditEntry.seq)).all()
    assert [e.action for e in entries if e.actor == dpo.actor] == [
        "dpo.case.noted", "dpo.case.replied", "dpo.case.status_changed", "dpo.case.outcome",
        "dpo.case.status_changed"]
    everything = " ".join(f"{e.actor} {e.subject} {e.details}" for e in entries)
    for personal in (EMAIL, QUESTION, DESCRIPTION, "Note text", "Reply text", "Outcome text", str(desk.report.lat)):
        assert personal not in everything
