"""The DPO desk's service: opening cases, the follow-up key, staff scope and roles, transitions,
outcomes (including a new register entry), audit entries without personal data, the photo sweep."""

from __future__ import annotations

import os
import re
import time

import pytest
from sqlalchemy import func, select

from praca.core.auth import sha256
from praca.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from praca.core.notify import OutboxEmail
from praca.dpo import clock, inbox, service, tasks
from praca.dpo.models import Case, CaseKind, CaseStatus, ReportOutcome
from praca.dpo.schemas import CaseFilter, OutcomeForm, StaffMessageForm
from praca.registry import service as registry_service
from praca.registry.schemas import DeviceCreate
from tests.dpo.helpers import DESCRIPTION, QUESTION, columns_containing, dpo_audit, question_form, report_form
from tests.factories import device_data, make_device, make_operator, make_user

EMAIL = "maria.testemunha@example.org"


def test_a_report_becomes_a_case_with_a_reference_and_only_the_token_hash(session, settings):
    case, token = service.open_report(session, settings, report_form(), locale="en")
    assert re.fullmatch(r"P-\d{4}-\d{6}", case.reference)
    assert case.kind == CaseKind.UNLISTED_DEVICE and case.status == CaseStatus.RECEIVED
    assert (case.lat, case.lon, case.suspected_type, case.locale) == (41.1496, -8.6109, "cctv_camera", "en")
    assert len(token) >= 40
    assert case.token_hash == sha256(token)
    assert columns_containing(session, token) == []
    [message] = case.messages
    assert (message.author, message.body, message.internal) == ("citizen", DESCRIPTION, False)


def test_the_token_is_only_in_the_outbox_until_the_acknowledgement_is_delivered(session, settings, smtp):
    settings.smtp_host, settings.smtp_port = smtp.host, smtp.port
    _, token = service.open_report(session, settings, report_form(email=EMAIL), locale="pt")
    assert columns_containing(session, token) == ["outbox_email.body"]
    from praca.core import notify

    assert notify.send_pending(session, settings) == 1
    assert columns_containing(session, token) == []
    assert columns_containing(session, EMAIL) == ["dpo_case.contact_email"]


def test_references_are_unique(session, settings):
    refs = {service.open_question(session, settings, question_form(), locale="pt")[0].reference for _ in range(30)}
    assert len(refs) == 30


def test_a_report_outside_the_city_is_refused(session, settings):
    with pytest.raises(InvalidInput) as err:
        service.open_report(session, settings, report_form(lat=38.7223, lon=-9.1393), locale="pt")
    assert err.value.details["field"] == "lat"
    assert session.scalar(select(func.count(Case.id))) == 0


def test_a_question_about_a_device_goes_to_its_operators_department(session, settings):
    device = make_device(session, settings, operator="ambiente")
    case, _ = service.open_question(session, settings, question_form(), locale="pt",
                                    device_public_id=device.public_id)
    assert case.device_public_id == device.public_id
    assert case.department_id == device.operator.department_id is not None


def test_a_question_about_an_unknown_device_is_not_found(session, settings):
    with pytest.raises(NotFound):
        service.open_question(session, settings, question_form(), locale="pt", device_public_id="nope")


def test_the_token_finds_its_case_and_nothing_else(session, settings):
    case, token = service.open_question(session, settings, question_form(), locale="pt")
    assert service.case_for_token(session, token).id == case.id
    for forged in ("", token[:-1], token + "x", "x" * 500, sha256(token)):
        with pytest.raises(NotFound):
            service.case_for_token(session, forged)


def test_the_citizen_sees_replies_but_never_internal_notes(session, settings, dpo):
    case, _ = service.open_question(session, settings, question_form(), locale="pt")
    service.add_note(session, dpo, case.public_id, "Internal: check with the police first.")
    service.reply(session, settings, dpo, case.public_id, StaffMessageForm(body="Thirty days, then deleted."))
    thread = service.public_thread(case)
    assert [m.body for m in thread] == [QUESTION, "Thirty days, then deleted."]
    assert len(case.messages) == 3


def test_the_first_substantive_answer_is_the_reply_that_answers_not_the_first_reply(session, settings, dpo):
    case, _ = service.open_question(session, settings, question_form(), locale="pt")
    service.reply(session, settings, dpo, case.public_id, StaffMessageForm(body="We are checking."))
    assert case.first_answer_at is None and case.status == CaseStatus.RECEIVED
    service.reply(session, settings, dpo, case.public_id, StaffMessageForm(body="Done.", mark_answered=True))
    first = case.first_answer_at
    assert first is not None and case.status == CaseStatus.ANSWERED
    service.change_status(session, dpo, case.public_id, CaseStatus.IN_PROGRESS)
    service.reply(session, settings, dpo, case.public_id, StaffMessageForm(body="More.", mark_answered=True))
    assert case.first_answer_at == first


def test_a_new_case_is_due_one_month_after_receipt(session, settings):
    case, _ = service.open_question(session, settings, question_form(), locale="pt")
    received = clock.local_date(case.received_at)
    assert case.due_date == clock.due_date(received, settings.holiday_subdivision)
    assert case.due_date > received


def test_replies_notify_only_citizens_who_left_an_address(session, settings, dpo):
    with_email, _ = service.open_question(session, settings, question_form(email=EMAIL), locale="en")
    without, _ = service.open_question(session, settings, question_form(), locale="en")
    for case in (with_email, without):
        service.reply(session, settings, dpo, case.public_id, StaffMessageForm(body="An answer."))
    subjects = session.scalars(select(OutboxEmail.subject).order_by(OutboxEmail.id)).all()
    assert subjects == [f"We received your request {with_email.reference}",
                        f"New reply to your request {with_email.reference}"]


# --- transitions ----------------------------------------------------------------------------------------

# By a plain change of status; rejecting (from received, acknowledged, in progress) needs a reason and
# goes through service.reject (tests/dpo/test_staff_service.py).
ALLOWED = {
    "received": {"acknowledged", "in_progress", "answered"},
    "acknowledged": {"in_progress", "answered", "waiting_citizen"},
    "in_progress": {"answered", "waiting_citizen"},
    "waiting_citizen": {"in_progress", "answered"},
    "answered": {"closed", "in_progress"},
    "closed": {"in_progress"},  # reopening, admin and DPO only
    "rejected": {"in_progress"},
}


@pytest.mark.parametrize("start", list(CaseStatus))
def test_status_transitions(session, settings, dpo, start):
    case, _ = service.open_question(session, settings, question_form(), locale="pt")
    for target in CaseStatus:
        case.status, case.closed_at = start, None
        session.flush()
        if target in ALLOWED[start]:
            service.change_status(session, dpo, case.public_id, target)
            assert case.status == target
            assert (case.closed_at is not None) == (target in ("closed", "rejected"))
            assert dpo_audit(session)[-1].details == {"from": start.value, "to": target.value}
        else:
            with pytest.raises(InvalidInput):
                service.change_status(session, dpo, case.public_id, target)
            assert case.status == start, target


def test_a_report_is_closed_through_its_outcome_not_by_status(session, settings, dpo):
    case, _ = service.open_report(session, settings, report_form(), locale="pt")
    case.status = CaseStatus.ANSWERED
    assert CaseStatus.CLOSED not in service.next_statuses(case, dpo)
    with pytest.raises(InvalidInput):
        service.change_status(session, dpo, case.public_id, CaseStatus.CLOSED)


# --- roles and scope ---------------------------------------------------------------------------------------

def test_roles_and_department_scope(session, settings, dpo, viewer):
    make_operator(session, "ambiente", department="ambiente")
    device = make_device(session, settings, operator="ambiente")
    ours, _ = service.open_question(session, settings, question_form(), locale="pt", device_public_id=device.public_id)
    general, _ = service.open_question(session, settings, question_form(), locale="pt")
    liaison = make_user(session, "liaison", department="ambiente")
    other_liaison = make_user(session, "liaison", department="cultura")
    everything = CaseFilter()

    assert {c.id for c in inbox.list_cases(session, dpo, everything)[0]} == {ours.id, general.id}
    assert {c.id for c in inbox.list_cases(session, viewer, everything)[0]} == {ours.id, general.id}
    assert inbox.list_cases(session, liaison, everything) == ([ours], 1)
    assert inbox.list_cases(session, other_liaison, everything) == ([], 0)

    assert service.get_case(session, liaison, ours.public_id) is ours
    with pytest.raises(NotFound):
        service.get_case(session, liaison, general.public_id)
    # Out of sight is "not found" even for acting; in sight but read-only is "forbidden".
    with pytest.raises(NotFound):
        service.add_note(session, other_liaison, ours.public_id, "x")
    with pytest.raises(Forbidden):
        service.reply(session, settings, viewer, ours.public_id, StaffMessageForm(body="x"))
    with pytest.raises(Forbidden):
        service.change_status(session, viewer, ours.public_id, CaseStatus.ACKNOWLEDGED)
    assert ours.status == CaseStatus.RECEIVED and len(ours.messages) == 1
    # The liaison works on their own department's case.
    service.change_status(session, liaison, ours.public_id, CaseStatus.ACKNOWLEDGED)
    assert ours.status == CaseStatus.ACKNOWLEDGED


def test_the_inbox_filters_searches_and_pages(session, settings, dpo):
    report, _ = service.open_report(session, settings, report_form(), locale="pt")
    questions = [service.open_question(session, settings, question_form(), locale="pt")[0] for _ in range(4)]
    questions[0].status = CaseStatus.ANSWERED
    session.flush()

    items, total = inbox.list_cases(session, dpo, CaseFilter(kind="question"))
    assert total == 4 and report not in items
    assert inbox.list_cases(session, dpo, CaseFilter(status="answered")) == ([questions[0]], 1)
    number = report.reference.split("-")[-1]
    assert inbox.list_cases(session, dpo, CaseFilter(q=number.lower())) == ([report], 1)
    assert inbox.list_cases(session, dpo, CaseFilter(q="%")) == ([], 0)

    first, total = inbox.list_cases(session, dpo, CaseFilter(limit=2, sort="-received"))
    second, _ = inbox.list_cases(session, dpo, CaseFilter(limit=2, offset=2, sort="-received"))
    assert total == 5 and len(first) == 2
    ordered = first + second
    assert ordered == sorted(ordered, key=lambda c: (c.received_at, c.id), reverse=True)


# --- citizens writing again --------------------------------------------------------------------------------

def test_a_citizen_answer_puts_a_waiting_case_back_in_progress(session, settings):
    case, _ = service.open_question(session, settings, question_form(), locale="pt")
    case.status = CaseStatus.WAITING_CITIZEN
    service.add_citizen_message(session, case, "The camera is at number 12.")
    assert case.status == CaseStatus.IN_PROGRESS
    assert [e.action for e in dpo_audit(session)][-2:] == ["dpo.case.status_changed", "dpo.case.citizen_message"]
    assert dpo_audit(session)[-1].actor == "citizen"


def test_a_closed_case_takes_no_more_messages(session, settings):
    case, _ = service.open_question(session, settings, question_form(), locale="pt")
    case.status = CaseStatus.CLOSED
    with pytest.raises(Conflict):
        service.add_citizen_message(session, case, "One more thing.")


# --- outcomes ------------------------------------------------------------------------------------------------

def test_already_registered_links_the_device_and_explains_in_the_citizens_language(session, settings, dpo):
    device = make_device(session, settings)
    case, _ = service.open_report(session, settings, report_form(email=EMAIL), locale="en")
    service.close_report(session, settings, dpo, case.public_id,
                         OutcomeForm(outcome="already_registered", device_id=device.public_id))
    assert (case.status, case.outcome, case.outcome_device_public_id) == (
        CaseStatus.CLOSED, ReportOutcome.ALREADY_REGISTERED, device.public_id)
    assert case.closed_at is not None and case.first_answer_at is not None
    reply = service.public_thread(case)[-1]
    assert reply.body.startswith("Thank you for your report. This device is already in the register")
    assert f"{settings.base_url}/devices/{device.public_id}" in reply.body
    assert session.scalar(select(func.count(OutboxEmail.id))) == 2  # acknowledgement + reply notice


def test_already_registered_needs_a_device_that_exists(session, settings, dpo):
    case, _ = service.open_report(session, settings, report_form(), locale="pt")
    with pytest.raises(InvalidInput) as err:
        service.close_report(session, settings, dpo, case.public_id,
                             OutcomeForm(outcome="already_registered", device_id="no-such-device"))
    assert err.value.details["field"] == "device_id"
    assert case.status == CaseStatus.RECEIVED and case.outcome is None


def test_not_a_device_closes_with_a_note(session, settings, dpo):
    case, _ = service.open_report(session, settings, report_form(), locale="en")
    service.close_report(session, settings, dpo, case.public_id,
                         OutcomeForm(outcome="not_a_device", message="It is a fire alarm bell."))
    assert case.outcome == ReportOutcome.NOT_A_DEVICE and case.outcome_device_public_id is None
    assert service.public_thread(case)[-1].body.endswith("\n\nIt is a fire alarm bell.")


def test_registered_now_creates_the_register_entry(session, settings, dpo):
    make_operator(session, "psp", department=None, kind="other", name="PSP")
    case, _ = service.open_report(session, settings, report_form(), locale="pt")
    data = DeviceCreate.model_validate(device_data(
        name="Câmara junto ao quiosque", type="cctv_camera", operator="psp", data_types=["video"],
        purposes=["public_safety"], personal_data=True, personal_data_categories=["images_of_people"],
        legal_basis="public_task", lat=case.lat, lon=case.lon))
    _, device_id = service.register_and_close(session, settings, dpo, case.public_id, data)
    device = registry_service.get_device(session, device_id)
    assert device.name == "Câmara junto ao quiosque" and device.operator.slug == "psp"
    assert (case.status, case.outcome, case.outcome_device_public_id) == (
        CaseStatus.CLOSED, ReportOutcome.REGISTERED_NOW, device_id)
    actions = [e.action for e in dpo_audit(session)]
    assert actions[-2:] == ["dpo.case.outcome", "dpo.case.status_changed"]


def test_outcomes_are_for_open_reports_only(session, settings, dpo):
    question, _ = service.open_question(session, settings, question_form(), locale="pt")
    with pytest.raises(InvalidInput):
        service.close_report(session, settings, dpo, question.public_id, OutcomeForm(outcome="not_a_device"))
    report, _ = service.open_report(session, settings, report_form(), locale="pt")
    service.close_report(session, settings, dpo, report.public_id, OutcomeForm(outcome="not_a_device"))
    with pytest.raises(Conflict):
        service.close_report(session, settings, dpo, report.public_id, OutcomeForm(outcome="not_a_device"))


def test_reopening_a_closed_report_allows_a_new_outcome(session, settings, dpo):
    report, _ = service.open_report(session, settings, report_form(), locale="pt")
    service.close_report(session, settings, dpo, report.public_id, OutcomeForm(outcome="not_a_device"))
    service.change_status(session, dpo, report.public_id, CaseStatus.IN_PROGRESS)
    assert report.closed_at is None
    device = make_device(session, settings)
    service.close_report(session, settings, dpo, report.public_id,
                         OutcomeForm(outcome="already_registered", device_id=device.public_id))
    assert report.outcome == ReportOutcome.ALREADY_REGISTERED


# --- the audit log --------------------------------------------------------------------------------------------

def test_every_step_is_audited_without_personal_data(session, settings, dpo):
    device = make_device(session, settings)
    report, _ = service.open_report(session, settings, report_form(email=EMAIL), locale="pt")
    question, _ = service.open_question(session, settings, question_form(email=EMAIL), locale="en",
                                        device_public_id=device.public_id)
    service.add_note(session, dpo, question.public_id, "Secret internal note text")
    service.reply(session, settings, dpo, question.public_id,
                  StaffMessageForm(body="Public reply text", mark_answered=True))
    service.add_citizen_message(session, question, "Citizen follow-up text")
    service.close_report(session, settings, dpo, report.public_id,
                         OutcomeForm(outcome="already_registered", device_id=device.public_id, message="Note"))

    entries = dpo_audit(session)
    assert [(e.actor, e.action) for e in entries] == [
        ("citizen", "dpo.case.opened"),
        ("citizen", "dpo.case.opened"),
        (dpo.actor, "dpo.case.noted"),
        (dpo.actor, "dpo.case.replied"),
        (dpo.actor, "dpo.case.status_changed"),
        ("citizen", "dpo.case.status_changed"),
        ("citizen", "dpo.case.citizen_message"),
        (dpo.actor, "dpo.case.outcome"),
        (dpo.actor, "dpo.case.status_changed"),
    ]
    assert {e.subject for e in entries} == {f"case:{report.public_id}", f"case:{question.public_id}"}
    assert entries[1].details == {"kind": "question", "reference": question.reference,
                                  "device": device.public_id, "photo": False, "email": True}
    dumped = " ".join(str(e.details) for e in entries)
    for personal in (EMAIL, DESCRIPTION, QUESTION, "Secret internal", "Public reply", "Citizen follow-up",
                     "Note", str(report.lat)):
        assert personal not in dumped


# --- the photo sweep -------------------------------------------------------------------------------------------

def test_the_sweep_deletes_old_photos_no_case_refers_to(session, settings):
    folder = service.photo_dir(settings)
    folder.mkdir(parents=True)
    for name in ("kept.jpg", "orphan.jpg", "fresh-orphan.jpg"):
        (folder / name).write_bytes(b"x")
    two_hours_ago = time.time() - 7200
    for name in ("kept.jpg", "orphan.jpg"):
        os.utime(folder / name, (two_hours_ago, two_hours_ago))
    service.open_report(session, settings, report_form(), locale="pt", photo="kept.jpg")

    assert tasks.sweep_photos(session, settings) == {"removed": 1}
    assert sorted(p.name for p in folder.iterdir()) == ["fresh-orphan.jpg", "kept.jpg"]
    assert dpo_audit(session)[-1].details == {"removed": 1}
    assert tasks.sweep_photos(session, settings) == {"removed": 0}


def test_demo_cases_are_seeded_once(session, settings):
    from praca.dpo import demo

    make_user(session, "dpo")
    make_device(session, settings, type="cctv_camera", data_types=["video"], purposes=["public_safety"],
                personal_data=True, personal_data_categories=["images_of_people"], legal_basis="public_task")
    first = demo.seed_examples(session, settings)  # the few made through the service; the year: test_demo.py
    cases = session.scalars(select(Case)).all()
    assert len(cases) == 6 and "6 demo cases" in first[0]
    assert {c.kind for c in cases} == {"question", "unlisted_device"} and {c.locale for c in cases} == {"pt", "en"}
    answered = [c for c in cases if c.status == CaseStatus.ANSWERED]
    assert len(answered) == 1 and len(service.public_thread(answered[0])) == 2
    demo.seed_examples(session, settings)
    assert session.scalar(select(func.count(Case.id))) == 6


def test_the_sweep_is_a_registered_job():
    from praca.core import jobs

    assert jobs.load_jobs()["dpo.sweep_photos"].fn is tasks.sweep_photos


def test_e_mails_go_out_over_smtp_in_the_citizens_language(session, settings, dpo, smtp):
    """The acknowledgement carries the follow-up link (the only time we hold the token); the reply
    notice repeats the reference and carries neither the link nor what anybody wrote."""
    from praca.core import notify

    settings.smtp_host, settings.smtp_port = smtp.host, smtp.port
    case, token = service.open_question(session, settings, question_form(email=EMAIL), locale="en")
    assert notify.send_pending(session, settings) == 1
    service.reply(session, settings, dpo, case.public_id, StaffMessageForm(body="Thirty days."))
    assert notify.send_pending(session, settings) == 1

    ack, notice = smtp.messages
    assert [m["To"] for m in smtp.messages] == [EMAIL, EMAIL]
    assert ack["Subject"] == f"We received your request {case.reference}"
    assert f"{settings.base_url}/follow/{token}?lang=en" in ack.get_content()
    assert notice["Subject"] == f"New reply to your request {case.reference}"
    body = notice.get_content()
    assert case.reference in body and token not in body and "Thirty days" not in body
    assert QUESTION not in ack.get_content()
