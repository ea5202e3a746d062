"""The staff desk's new pages and JSON API: registering a paper case, assigning (one and in bulk),
extending, rejecting with a reason, the inbox's filters and CSV export, and a role × endpoint matrix
over all of them (2xx, 403 or 404, and nothing changed on a refusal)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from praca.core.audit import AuditEntry
from praca.core.db import utcnow
from praca.dpo import clock, service
from praca.dpo.models import Case, CaseStatus
from praca.dpo.schemas import RegisterCaseForm
from tests.dpo.helpers import QUESTION, question_form
from tests.dpo.pages import csrf_from, error_fields, login, post_form, text_of
from tests.factories import api_headers, make_department, make_user

EMAIL = "rui.telefone@example.org"
REASON = "Three departments hold the footage and each must search its archive."


def today():
    return clock.local_date(utcnow())


@pytest.fixture
def ambiente_case(session, settings) -> Case:
    make_department(session, "cultura")
    make_department(session, "ambiente")
    case, _ = service.open_question(session, settings, question_form(email=EMAIL), locale="en")
    case.department_id = make_department(session, "ambiente").id
    session.commit()
    return case


def act(client, case: Case, action: str, data: dict):
    page = client.get(f"/staff/cases/{case.public_id}?lang=en")
    token = csrf_from(page.text if page.status_code == 200 else client.get("/staff/login").text)
    return client.post(f"/staff/cases/{case.public_id}/{action}?lang=en", data={"csrf_token": token, **data},
                       follow_redirects=False)


def state(session, case: Case) -> tuple:
    session.expire_all()
    fresh = session.get(Case, case.id)
    messages = service.get_case(session, make_user(session, "admin"), case.public_id).messages
    audit_entries = session.scalar(select(func.count(AuditEntry.seq)).where(AuditEntry.action.like("dpo.case.%")))
    return (fresh.status, fresh.department_id, fresh.assignee_id, fresh.extension_months, fresh.due_date,
            len(messages), audit_entries)


# --- registering a case from paper or the phone ------------------------------------------------------------------

def test_staff_register_a_letter_and_hand_over_the_follow_up_link(client, session, settings):
    login(client, make_user(session, "dpo").email)
    received = today() - timedelta(days=12)
    response = post_form(client, "/staff/cases/new?lang=en", {
        "kind": "rights_request", "data_right": "access", "topic": "", "channel": "letter",
        "received_on": received.isoformat(), "message": QUESTION, "email": EMAIL, "name": "Rui Telefone",
        "locale": "pt", "department": "", "lat": "", "lon": ""}, action="/staff/cases/new?lang=en")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    reference = re.search(r'id="reference">(P-\d{4}-\d{6})<', response.text).group(1)
    follow_url = re.search(r'id="follow-url">([^<]+)<', response.text).group(1)
    case = session.scalar(select(Case).where(Case.reference == reference))
    assert case.due_date == clock.due_date(received, settings.holiday_subdivision)
    assert (case.channel, case.data_right, case.verified_at is not None) == ("letter", "access", True)
    follow = client.get(follow_url.removeprefix(settings.base_url.rstrip("/")))
    assert follow.status_code == 200 and QUESTION in follow.text

    page = text_of(client.get(f"/staff/cases/{case.public_id}?lang=en").text)
    assert "Access (Article 15)" in page and "Letter" in page and "Rui Telefone" in page
    assert case.due_date.strftime("%B") in page and "days left" in page


def test_a_registration_with_mistakes_comes_back_with_them(client, session):
    login(client, make_user(session, "dpo").email)
    response = post_form(client, "/staff/cases/new?lang=en", {
        "kind": "question", "topic": "", "channel": "web", "received_on": "", "message": "", "locale": "pt"},
        action="/staff/cases/new?lang=en")
    assert response.status_code == 422
    assert error_fields(response.text) == ["topic", "channel", "received_on", "message"]
    future = post_form(client, "/staff/cases/new?lang=en", {
        "kind": "question", "topic": "wifi", "channel": "phone", "message": QUESTION, "locale": "pt",
        "received_on": (today() + timedelta(days=3)).isoformat()}, action="/staff/cases/new?lang=en")
    assert future.status_code == 422 and error_fields(future.text) == ["received_on"]
    assert session.scalar(select(func.count(Case.id))) == 0


# --- acting on a case from its page --------------------------------------------------------------------------

def test_assign_extend_and_reject_from_the_case_page(client, session, settings, ambiente_case, smtp):
    liaison = make_user(session, "liaison", department="ambiente")
    session.commit()
    login(client, make_user(session, "dpo").email)
    case = ambiente_case
    refused = act(client, case, "assign", {"department": "cultura", "assignee": str(liaison.id)})
    assert refused.status_code == 422 and error_fields(refused.text) == ["assign-assignee"]
    assert act(client, case, "assign", {"department": "ambiente", "assignee": str(liaison.id)}).status_code == 303
    assert case.assignee_id == liaison.id

    short = act(client, case, "extend", {"months": "1", "reason": "busy"})
    assert short.status_code == 422 and error_fields(short.text) == ["extend-reason"]
    response = act(client, case, "extend", {"months": "2", "reason": REASON})
    assert response.status_code == 303 and case.extension_months == 2
    page = client.get(response.headers["location"] + "&lang=en").text
    assert "The deadline was extended and the citizen told why." in page and REASON in page
    assert 'action="/staff/cases/' + case.public_id + '/extend"' not in page  # two months: no more
    follow_html = text_of(client.get(f"/staff/cases/{case.public_id}?lang=en").text)
    assert "Article 12(3)" in follow_html

    assert act(client, case, "reject", {"reason": ""}).status_code == 422
    assert act(client, case, "reject", {"reason": REASON}).status_code == 303
    assert case.status == CaseStatus.REJECTED and case.rejection_reason == REASON


# --- the inbox: filters, bulk assignment, export ----------------------------------------------------------------

def test_the_inbox_filters_by_deadline_and_shows_overdue_in_words(client, session, settings, ambiente_case):
    late, _ = service.open_question(session, settings, question_form(), locale="pt")
    late.due_date = today() - timedelta(days=2)
    session.commit()
    login(client, make_user(session, "dpo").email)
    html = client.get("/staff/cases?lang=en").text
    refs = re.findall(r'<th scope="row"><a href="/staff/cases/[^"]+">(P-\d{4}-\d{6})</a></th>', html)
    assert refs == [late.reference, ambiente_case.reference]  # nearest deadline first
    assert "Overdue by 2 days" in html
    overdue = client.get("/staff/cases?overdue=true&lang=en").text
    assert late.reference in overdue and ambiente_case.reference not in overdue
    assert 'href="/staff/cases.csv?overdue=true"' in overdue
    by_department = client.get("/staff/cases?department=ambiente").text
    assert ambiente_case.reference in by_department and late.reference not in by_department
    descending = client.get("/staff/cases?sort=-due&lang=en").text
    assert descending.index(ambiente_case.reference) < descending.index(late.reference)
    assert client.get("/staff/cases?due_within=999").status_code == 422


def test_bulk_assignment_from_the_inbox_is_all_or_nothing(client, session, settings, ambiente_case):
    general, _ = service.open_question(session, settings, question_form(), locale="pt")
    liaison = make_user(session, "liaison", department="ambiente")
    dpo = make_user(session, "dpo")
    session.commit()
    login(client, dpo.email)
    token = csrf_from(client.get("/staff/cases").text)
    ids = [ambiente_case.public_id, general.public_id]
    refused = client.post("/staff/cases/assign?lang=en", data={
        "csrf_token": token, "cases": ids, "department": "keep", "assignee": str(liaison.id), "back": ""})
    assert refused.status_code == 422 and error_fields(refused.text) == ["bulk-assignee"]
    assert "Nothing was changed" in text_of(refused.text)
    assert (ambiente_case.assignee_id, general.assignee_id) == (None, None)
    done = client.post("/staff/cases/assign", data={
        "csrf_token": token, "cases": ids, "department": "keep", "assignee": str(dpo.id), "back": "sort=-due"},
        follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/staff/cases?sort=-due&done=assigned"
    assert (ambiente_case.assignee_id, general.assignee_id) == (dpo.id, dpo.id)
    mine = client.get("/staff/cases?assignee=me").text
    assert ambiente_case.reference in mine and general.reference in mine


def test_the_csv_export_keeps_the_filters_and_leaves_personal_data_out(client, session, ambiente_case):
    login(client, make_user(session, "viewer").email)
    response = client.get("/staff/cases.csv?department=ambiente")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["reference"] for r in rows] == [ambiente_case.reference] and rows[0]["department"] == "ambiente"
    assert EMAIL not in response.text and QUESTION not in response.text
    assert session.scalar(select(AuditEntry.action).order_by(AuditEntry.seq.desc()).limit(1)) == "dpo.cases.exported"


# --- the JSON API -----------------------------------------------------------------------------------------------

def test_the_api_lists_registers_and_works_a_case(client, session, settings, ambiente_case):
    headers = api_headers(session, make_user(session, "dpo"))
    session.commit()
    page = client.get("/api/v1/cases?department=ambiente", headers=headers).json()
    assert page["total"] == 1 and page["items"][0]["reference"] == ambiente_case.reference
    assert page["items"][0]["department"] == "ambiente" and page["items"][0]["days_left"] > 0
    assert "messages" not in page["items"][0]

    created = client.post("/api/v1/cases", headers=headers, json={
        "kind": "complaint", "channel": "in_person", "received_on": today().isoformat(), "message": QUESTION,
        "locale": "en"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["follow_url"].endswith(f"/follow/{body['token']}?lang=en")
    public_id = body["case"]["public_id"]
    assert body["case"]["channel"] == "in_person" and body["case"]["messages"][0]["body"] == QUESTION

    note = client.post(f"/api/v1/cases/{public_id}/notes", headers=headers, json={"body": "Call them back."})
    assert note.status_code == 201 and note.json()["messages"][-1]["internal"] is True
    refused = client.post(f"/api/v1/cases/{public_id}/status", headers=headers, json={"status": "rejected"})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_input"
    extended = client.post(f"/api/v1/cases/{public_id}/extend", headers=headers, json={"months": 3, "reason": REASON})
    assert extended.status_code == 422 and extended.json()["error"]["details"]["field"] == "months"
    reply = client.post(f"/api/v1/cases/{public_id}/replies", headers=headers,
                        json={"body": "We have passed it to the Ombudsman.", "mark_answered": True})
    assert reply.status_code == 201 and reply.json()["status"] == "answered"
    assert client.get("/api/v1/cases/nope", headers=headers).status_code == 404
    assert client.get("/api/v1/cases").status_code == 401


# --- who may do what -------------------------------------------------------------------------------------------

ROLES = [("admin", None), ("dpo", None), ("viewer", None), ("liaison", "ambiente"), ("liaison", "cultura")]
OK, NO, HIDDEN = "ok", 403, 404


def expected(role: str, department: str | None, action: str) -> object:
    if department == "cultura":
        return HIDDEN
    if role == "viewer":
        return OK if action == "read" else NO
    if action == "extend" and role == "liaison":
        return NO
    return OK


@pytest.mark.parametrize("role, department", ROLES)
def test_the_role_matrix_over_the_pages(client, session, settings, ambiente_case, role, department):
    user = make_user(session, role, department=department)
    assignee = make_user(session, "liaison", department="ambiente")
    session.commit()
    login(client, user.email)
    case = ambiente_case
    read = client.get(f"/staff/cases/{case.public_id}")
    assert read.status_code == {OK: 200, HIDDEN: 404}[expected(role, department, "read")]
    for action, data in (("assign", {"assignee": str(assignee.id)}), ("extend", {"months": "1", "reason": REASON}),
                         ("reject", {"reason": REASON})):
        before = state(session, case)
        outcome = expected(role, department, action)
        response = act(client, case, action, data)
        assert response.status_code == (303 if outcome == OK else outcome), (role, action)
        if outcome != OK:
            assert state(session, case) == before, (role, action)
    new = client.get("/staff/cases/new")
    assert new.status_code == (403 if role == "viewer" else 200)
    assert client.get("/staff/cases.csv").status_code == 200


@pytest.mark.parametrize("role, department", ROLES)
def test_the_role_matrix_over_the_api(client, session, settings, ambiente_case, role, department):
    user = make_user(session, role, department=department)
    assignee = make_user(session, "liaison", department="ambiente")
    headers = api_headers(session, user)
    session.commit()
    case = ambiente_case
    url = f"/api/v1/cases/{case.public_id}"
    read = client.get(url, headers=headers)
    assert read.status_code == {OK: 200, HIDDEN: 404}[expected(role, department, "read")]
    if read.status_code == 200:
        assert read.json()["messages"][0]["body"] == QUESTION
    listed = client.get("/api/v1/cases", headers=headers).json()
    assert listed["total"] == (0 if department == "cultura" else 1)
    calls = [
        ("notes", {"body": "Checked the archive."}, 201),
        ("replies", {"body": "We are on it."}, 201),
        ("assign", {"assignee": assignee.id}, 200),
        ("status", {"status": "acknowledged"}, 200),
        ("extend", {"months": 1, "reason": REASON}, 200),
        ("reject", {"reason": REASON}, 200),
    ]
    for action, body, success in calls:
        before = state(session, case)
        outcome = expected(role, department, action)
        response = client.post(f"{url}/{action}", headers=headers, json=body)
        assert response.status_code == (success if outcome == OK else outcome), (role, action, response.text)
        if outcome != OK:
            assert response.json()["error"]["code"] in ("forbidden", "not_found")
            assert state(session, case) == before, (role, action)
    registered = client.post("/api/v1/cases", headers=headers, json={
        "kind": "question", "topic": "wifi", "channel": "phone", "received_on": today().isoformat(),
        "message": QUESTION})
    assert registered.status_code == (403 if role == "viewer" else 201)
    if role == "liaison":
        assert registered.json()["case"]["department"] == department


# --- identifying the requester of a rights request taken by phone ---------------------------------------------------

def test_staff_record_the_identity_check_of_a_phone_request(client, session, settings):
    dpo = make_user(session, "dpo")
    make_department(session, "ambiente")
    case, _ = service.register_case(session, settings, dpo, RegisterCaseForm.model_validate({
        "kind": "rights_request", "data_right": "access", "channel": "phone", "received_on": today().isoformat(),
        "message": QUESTION, "department": "ambiente"}))
    session.commit()
    login(client, make_user(session, "liaison", department="cultura").email)
    assert act(client, case, "identity", {"how": "Citizen card shown at the counter."}).status_code == 404
    login(client, dpo.email)
    page = client.get(f"/staff/cases/{case.public_id}?lang=en").text
    assert "Not checked yet" in text_of(page) and 'action="/staff/cases/' + case.public_id + '/identity"' in page
    before = state(session, case)
    refused = act(client, case, "identity", {"how": "ok"})  # too short to say how
    assert refused.status_code == 422 and error_fields(refused.text) == ["identity-how"]
    assert state(session, case) == before
    done = act(client, case, "identity", {"how": "Citizen card shown at the counter."})
    assert done.status_code == 303
    page = client.get(done.headers["location"] + "&lang=en").text
    assert "Checked on" in text_of(page) and "/identity" not in page
