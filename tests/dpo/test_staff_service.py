"""The staff half of the DPO desk's service: cases registered from paper or the phone, assignment,
the legal clock's extension, rejection with a reason, the inbox's filters and sorts, the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from praca.core.auth import sha256
from praca.core.db import utcnow
from praca.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from praca.core.notify import OutboxEmail
from praca.dpo import clock, service
from praca.dpo import inbox as case_inbox
from praca.dpo.models import Case, CaseStatus
from praca.dpo.schemas import AssignForm, CaseFilter, ExtendForm, IdentityForm, RegisterCaseForm, RejectForm
from tests.dpo.helpers import QUESTION, columns_containing, dpo_audit, question_form
from tests.factories import make_department, make_user

EMAIL = "ana.papel@example.org"
NAME = "Ana Papel Testemunha"
REASON = "The request covers six years of CCTV footage held by three departments."


def today() -> date:
    return clock.local_date(utcnow())


def register_form(**overrides) -> RegisterCaseForm:
    data = {"kind": "question", "topic": "wifi", "channel": "phone", "received_on": today().isoformat(),
            "message": QUESTION, "email": None, "locale": "pt"}
    return RegisterCaseForm.model_validate({**data, **overrides})


def open_case(session, settings, **fields) -> Case:
    case, _ = service.open_question(session, settings, question_form(), locale="en")
    for name, value in fields.items():
        setattr(case, name, value)
    session.flush()
    return case


# --- registering a case from paper, the phone, e-mail, in person --------------------------------------------

def test_a_letter_received_weeks_ago_is_due_one_month_after_its_receipt(session, settings, dpo):
    received = today() - timedelta(days=20)
    case, token = service.register_case(session, settings, dpo, register_form(
        kind="rights_request", data_right="access", channel="letter", received_on=received.isoformat(),
        email=EMAIL, name=NAME))
    assert clock.local_date(case.received_at) == received
    assert case.due_date == clock.due_date(received, settings.holiday_subdivision)
    assert case.due_date != clock.due_date(today(), settings.holiday_subdivision)
    assert (case.kind, case.data_right, case.topic, case.channel) == ("rights_request", "access", None, "letter")
    assert case.requester_name == NAME and case.created_by_id == dpo.id
    assert case.verified_at == case.received_at  # a signed letter: identified at receipt
    assert case.token_hash == sha256(token) and columns_containing(session, token) == ["outbox_email.body"]
    [message] = case.messages
    assert (message.author, message.body, message.internal) == ("citizen", QUESTION, False)
    [entry] = dpo_audit(session)
    assert (entry.actor, entry.action) == (dpo.actor, "dpo.case.registered")
    assert entry.details["received_on"] == received.isoformat() and NAME not in str(entry.details)
    assert service.get_case(session, dpo, case.public_id) is case  # identified, so in the inbox


def test_a_rights_request_by_phone_is_not_identified(session, settings, dpo):
    case, _ = service.register_case(session, settings, dpo, register_form(kind="rights_request",
                                                                          data_right="erasure"))
    assert case.verified_at is None and case.due_date is not None


def test_staff_record_a_later_identity_check_without_moving_the_clock(session, settings, dpo, viewer):
    received = today() - timedelta(days=3)
    case, _ = service.register_case(session, settings, dpo, register_form(
        kind="rights_request", channel="phone", data_right="erasure", name=NAME, received_on=received.isoformat()))
    due = case.due_date
    form = IdentityForm(how="Citizen card shown at the Loja do Munícipe counter.")
    with pytest.raises(Forbidden):
        service.confirm_identity(session, viewer, case.public_id, form)
    assert case.verified_at is None
    service.confirm_identity(session, dpo, case.public_id, form)
    assert case.verified_at is not None and case.due_date == due
    assert service.clock_start(case) == case.received_at  # extensions still count from receipt
    note = case.messages[-1]
    assert (note.internal, note.body) == (True, form.how) and note not in service.public_thread(case)
    entry = dpo_audit(session)[-1]
    assert (entry.actor, entry.action, entry.details) == (dpo.actor, "dpo.case.identity_confirmed",
                                                          {"message_id": note.id})
    with pytest.raises(Conflict):  # once is enough
        service.confirm_identity(session, dpo, case.public_id, form)
    question = open_case(session, settings)
    with pytest.raises(Conflict):  # only rights requests
        service.confirm_identity(session, dpo, question.public_id, form)


def test_a_phone_call_today_counts_from_now(session, settings, dpo):
    case, _ = service.register_case(session, settings, dpo, register_form())
    assert utcnow() - case.received_at < timedelta(minutes=1)
    assert case.topic == "wifi" and case.department_id is None


@pytest.mark.parametrize("received, field", [
    (lambda: today() + timedelta(days=1), "received_on"),
    (lambda: today() - timedelta(days=400), "received_on"),
])
def test_the_day_of_receipt_is_neither_in_the_future_nor_years_ago(session, settings, dpo, received, field):
    with pytest.raises(InvalidInput) as err:
        service.register_case(session, settings, dpo, register_form(received_on=received().isoformat()))
    assert err.value.details["field"] == field
    assert session.scalar(select(func.count(Case.id))) == 0


def test_a_moment_in_the_future_is_refused_too(session, settings, dpo):
    with pytest.raises(InvalidInput):
        service.register_case(session, settings, dpo, register_form(
            received_on=(datetime.now().astimezone() + timedelta(hours=2)).isoformat()))


def test_the_form_names_what_each_kind_needs(session):
    for overrides, field in (({"topic": None}, "topic"), ({"kind": "rights_request"}, "data_right"),
                             ({"kind": "unlisted_device"}, "lat"), ({"channel": "web"}, "channel")):
        with pytest.raises(ValueError, match=field):
            register_form(**overrides)
    report = register_form(kind="unlisted_device", lat=41.15, lon=-8.61, topic="wifi")
    assert report.topic is None and (report.lat, report.lon) == (41.15, -8.61)


def test_a_liaison_registers_for_their_own_department_only(session, settings, viewer):
    make_department(session, "cultura")
    liaison = make_user(session, "liaison", department="ambiente")
    case, _ = service.register_case(session, settings, liaison, register_form())
    assert case.department_id == liaison.department_id
    with pytest.raises(Forbidden):
        service.register_case(session, settings, liaison, register_form(department="cultura"))
    with pytest.raises(Forbidden):
        service.register_case(session, settings, viewer, register_form())
    assert session.scalar(select(func.count(Case.id))) == 1


# --- assignment -------------------------------------------------------------------------------------------------

@pytest.fixture
def people(session):
    return {
        "ambiente": make_user(session, "liaison", department="ambiente"),
        "ambiente2": make_user(session, "liaison", department="ambiente"),
        "cultura": make_user(session, "liaison", department="cultura"),
        "viewer": make_user(session, "viewer"),
    }


def test_the_dpo_assigns_department_and_person_and_the_log_says_from_and_to(session, settings, dpo, people):
    case = open_case(session, settings)
    ambiente = people["ambiente"].department_id
    service.assign(session, dpo, case.public_id, AssignForm(department="ambiente", assignee=people["ambiente"].id))
    assert (case.department_id, case.assignee_id) == (ambiente, people["ambiente"].id)
    entry = dpo_audit(session)[-1]
    assert (entry.actor, entry.action) == (dpo.actor, "dpo.case.assigned")
    assert entry.details == {"from": {"department": None, "assignee": None},
                             "to": {"department": ambiente, "assignee": people["ambiente"].id}}
    service.assign(session, dpo, case.public_id, AssignForm(assignee=dpo.id))  # department kept
    assert (case.department_id, case.assignee_id) == (ambiente, dpo.id)


def test_assignment_rules(session, settings, dpo, people):
    case = open_case(session, settings)
    service.assign(session, dpo, case.public_id, AssignForm(department="ambiente", assignee=None))
    before = (case.department_id, case.assignee_id)
    refusals = [
        (dpo, AssignForm(assignee=people["cultura"].id), InvalidInput),  # a liaison of another department
        (dpo, AssignForm(assignee=people["viewer"].id), InvalidInput),  # cannot act
        (dpo, AssignForm(assignee=999_999), InvalidInput),
        (dpo, AssignForm(department="nowhere"), InvalidInput),
        (people["ambiente"], AssignForm(department="cultura"), Forbidden),  # a liaison moves no case away
        (people["ambiente"], AssignForm(assignee=dpo.id), Forbidden),  # nor assigns outside their department
        (people["cultura"], AssignForm(assignee=people["cultura"].id), NotFound),  # not in their sight
        (people["viewer"], AssignForm(assignee=dpo.id), Forbidden),
    ]
    for user, form, error in refusals:
        with pytest.raises(error):
            service.assign(session, user, case.public_id, form)
        assert (case.department_id, case.assignee_id) == before, form
    service.assign(session, people["ambiente"], case.public_id, AssignForm(assignee=people["ambiente2"].id))
    assert case.assignee_id == people["ambiente2"].id
    with pytest.raises(InvalidInput):  # moving the case would strand its liaison: say who takes it
        service.assign(session, dpo, case.public_id, AssignForm(department="cultura"))
    service.assign(session, dpo, case.public_id, AssignForm(department="cultura", assignee=people["cultura"].id))
    assert case.assignee_id == people["cultura"].id


def test_bulk_assignment_is_all_or_nothing(session, settings, dpo, people):
    ours = [open_case(session, settings) for _ in range(3)]
    service.bulk_assign(session, dpo, [c.public_id for c in ours[:2]], AssignForm(department="ambiente"))
    with pytest.raises(InvalidInput):  # the third case is not Ambiente's: its liaison cannot take it
        service.bulk_assign(session, dpo, [c.public_id for c in ours], AssignForm(assignee=people["ambiente"].id))
    assert [c.assignee_id for c in ours] == [None, None, None]
    with pytest.raises(NotFound):
        service.bulk_assign(session, dpo, [ours[0].public_id, "no-such-case"], AssignForm(assignee=dpo.id))
    assert ours[0].assignee_id is None
    with pytest.raises(InvalidInput):
        service.bulk_assign(session, dpo, [], AssignForm(assignee=dpo.id))
    service.bulk_assign(session, dpo, [c.public_id for c in ours], AssignForm(assignee=dpo.id))
    assert {c.assignee_id for c in ours} == {dpo.id}
    assert [e.action for e in dpo_audit(session)].count("dpo.case.assigned") == 5


# --- the extension -----------------------------------------------------------------------------------------------

def test_an_extension_counts_again_from_receipt_and_the_citizen_is_told(session, settings, dpo):
    received = today() - timedelta(days=10)
    case, _ = service.register_case(session, settings, dpo, register_form(
        received_on=received.isoformat(), email=EMAIL, locale="en"))
    service.extend(session, settings, dpo, case.public_id, ExtendForm(months=1, reason=REASON))
    assert case.due_date == clock.due_date(received, settings.holiday_subdivision, 1)
    assert (case.extension_months, case.extension_reason) == (1, REASON)
    service.extend(session, settings, dpo, case.public_id, ExtendForm(months=2, reason=REASON + " Still."))
    assert case.due_date == clock.due_date(received, settings.holiday_subdivision, 2)
    assert case.extension_months == 2 and case.status == CaseStatus.RECEIVED

    told = service.public_thread(case)[-1]
    assert told.author == "staff" and not told.internal and told.author_user_id == dpo.id
    assert "Article 12(3)" in told.body and REASON in told.body and case.reference in told.body
    assert case.due_date.strftime("%B") in told.body  # the new date, in words, in English
    subjects = session.scalars(select(OutboxEmail.subject).order_by(OutboxEmail.id)).all()
    assert subjects[-2:] == [f"New date for our answer to your request {case.reference}"] * 2
    notice = session.scalars(select(OutboxEmail.body).order_by(OutboxEmail.id.desc())).first()
    assert str(case.due_date.year) in notice and REASON not in notice
    entries = [e for e in dpo_audit(session) if e.action == "dpo.case.extended"]
    assert [e.details["months"] for e in entries] == [1, 2] and all(e.actor == dpo.actor for e in entries)
    assert REASON not in str([e.details for e in entries])

    with pytest.raises(InvalidInput):  # never beyond two months
        service.extend(session, settings, dpo, case.public_id, ExtendForm.model_construct(months=3, reason=REASON))
    with pytest.raises(InvalidInput):
        service.extend(session, settings, dpo, case.public_id, ExtendForm(months=2, reason=REASON))
    assert case.extension_months == 2


def test_the_citizen_reads_the_extension_in_portuguese(session, settings, dpo):
    case, _ = service.register_case(session, settings, dpo, register_form(locale="pt"))
    service.extend(session, settings, dpo, case.public_id, ExtendForm(months=2, reason=REASON))
    body = service.public_thread(case)[-1].body
    assert "Regulamento Geral sobre a Proteção de Dados" in body and " de 20" in body


def test_who_may_extend_and_when(session, settings, dpo, people):
    case = open_case(session, settings, department_id=people["ambiente"].department_id)
    for user, error in ((people["ambiente"], Forbidden), (people["viewer"], Forbidden),
                        (people["cultura"], NotFound)):
        with pytest.raises(error):
            service.extend(session, settings, user, case.public_id, ExtendForm(months=1, reason=REASON))
    answered = open_case(session, settings, status=CaseStatus.ANSWERED)
    reopened = open_case(session, settings, status=CaseStatus.IN_PROGRESS, first_answer_at=utcnow())
    late = open_case(session, settings, due_date=today() - timedelta(days=1))
    for other in (answered, reopened, late):
        with pytest.raises(Conflict):
            service.extend(session, settings, dpo, other.public_id, ExtendForm(months=1, reason=REASON))
        assert other.extension_months == 0
    assert case.extension_months == 0 and len(case.messages) == 1
    with pytest.raises(ValueError):
        ExtendForm(months=1, reason="Too busy")  # a reason of substance: 10 characters at least


# --- rejection and the transitions around it -------------------------------------------------------------------

def test_rejecting_needs_a_reason_the_citizen_reads(session, settings, dpo):
    case, _ = service.register_case(session, settings, dpo, register_form(email=EMAIL, locale="en"))
    with pytest.raises(InvalidInput):
        service.change_status(session, dpo, case.public_id, CaseStatus.REJECTED)
    assert case.status == CaseStatus.RECEIVED
    assert CaseStatus.REJECTED not in service.next_statuses(case, dpo)

    service.reject(session, settings, dpo, case.public_id, RejectForm(reason=REASON))
    assert case.status == CaseStatus.REJECTED and case.rejection_reason == REASON
    assert case.closed_at is not None and case.first_answer_at is not None
    reply = service.public_thread(case)[-1]
    assert reply.body.startswith(f"We cannot take your request {case.reference} forward") and REASON in reply.body
    assert [e.action for e in dpo_audit(session)][-2:] == ["dpo.case.rejected", "dpo.case.status_changed"]
    assert session.scalars(select(OutboxEmail.subject).order_by(OutboxEmail.id.desc())).first() == (
        f"New reply to your request {case.reference}")
    with pytest.raises(InvalidInput):  # rejected is final
        service.reject(session, settings, dpo, case.public_id, RejectForm(reason=REASON))


def test_an_answered_case_cannot_be_rejected(session, settings, dpo):
    case = open_case(session, settings, status=CaseStatus.ANSWERED)
    with pytest.raises(InvalidInput):
        service.reject(session, settings, dpo, case.public_id, RejectForm(reason=REASON))
    assert case.status == CaseStatus.ANSWERED and case.rejection_reason is None and len(case.messages) == 1


# --- the inbox --------------------------------------------------------------------------------------------------

TODAY = date(2026, 3, 16)


@pytest.fixture
def inbox(session, settings, dpo, people):
    """Six cases with known deadlines around TODAY, two departments, two assignees."""
    ambiente, cultura = people["ambiente"].department_id, people["cultura"].department_id
    specs = {
        "late": dict(due_date=TODAY - timedelta(days=3), department_id=ambiente, assignee_id=people["ambiente"].id),
        "today": dict(due_date=TODAY, department_id=ambiente),
        "soon": dict(due_date=TODAY + timedelta(days=5), assignee_id=dpo.id),
        "later": dict(due_date=TODAY + timedelta(days=25), department_id=cultura),
        "answered_late": dict(due_date=TODAY - timedelta(days=10), status=CaseStatus.ANSWERED),
        "closed": dict(due_date=TODAY - timedelta(days=30), status=CaseStatus.CLOSED, kind="unlisted_device"),
    }
    cases = {}
    for age, (name, fields) in enumerate(specs.items()):
        cases[name] = open_case(session, settings, received_at=utcnow() - timedelta(days=40 - age), **fields)
    return cases


def names(inbox, items) -> list[str]:
    by_id = {c.id: n for n, c in inbox.items()}
    return [by_id[c.id] for c in items]


def listed(session, user, inbox, **query) -> list[str]:
    items, total = case_inbox.list_cases(session, user, CaseFilter.model_validate(query), today=TODAY)
    assert total == len(items)
    return names(inbox, items)


def test_by_default_the_inbox_is_open_cases_nearest_deadline_first(session, dpo, inbox):
    assert listed(session, dpo, inbox) == ["answered_late", "late", "today", "soon", "later"]
    assert listed(session, dpo, inbox, sort="-due") == ["later", "soon", "today", "late", "answered_late"]
    assert listed(session, dpo, inbox, open_only="false", sort="received") == [
        "late", "today", "soon", "later", "answered_late", "closed"]
    assert listed(session, dpo, inbox, open_only="false", sort="-received")[0] == "closed"
    assert listed(session, dpo, inbox, status="closed") == ["closed"]  # a status of its own: final ones too
    assert listed(session, dpo, inbox, q=inbox["closed"].reference) == ["closed"]  # a reference: any status


def test_overdue_and_due_within_count_only_cases_awaiting_an_answer(session, dpo, inbox):
    assert listed(session, dpo, inbox, overdue="true") == ["late"]
    assert listed(session, dpo, inbox, overdue="false") == ["today", "soon", "later"]
    assert listed(session, dpo, inbox, due_within=0) == ["late", "today"]
    assert listed(session, dpo, inbox, due_within=7) == ["late", "today", "soon"]
    assert listed(session, dpo, inbox, due_within=90) == ["late", "today", "soon", "later"]


def test_department_and_assignee_filters(session, dpo, inbox, people):
    ambiente = people["ambiente"].department_id
    assert listed(session, dpo, inbox, department="ambiente") == ["late", "today"]
    assert listed(session, dpo, inbox, department=str(ambiente)) == ["late", "today"]
    assert listed(session, dpo, inbox, department="none") == ["answered_late", "soon"]
    assert listed(session, dpo, inbox, assignee="me") == ["soon"]
    assert listed(session, dpo, inbox, assignee=str(people["ambiente"].id)) == ["late"]
    assert listed(session, dpo, inbox, assignee="none", kind="question") == ["answered_late", "today", "later"]
    assert listed(session, people["ambiente"], inbox) == ["late", "today"]  # a liaison: their department only
    assert listed(session, people["ambiente"], inbox, department="cultura") == []
    with pytest.raises(InvalidInput):
        listed(session, dpo, inbox, department="nowhere")
    for bad in ({"due_within": 91}, {"assignee": "someone"}, {"sort": "name"}, {"department": "'; --"}):
        with pytest.raises(ValueError):
            CaseFilter.model_validate(bad)


def test_the_csv_export_has_the_inbox_rows_and_no_personal_data(session, settings, dpo, inbox, people):
    case, _ = service.register_case(session, settings, dpo, register_form(
        kind="rights_request", data_right="portability", channel="in_person", email=EMAIL, name=NAME))
    service.assign(session, dpo, case.public_id, AssignForm(department="ambiente", assignee=people["ambiente"].id))
    f = CaseFilter(department="ambiente")
    text = "".join(case_inbox.cases_csv(session, dpo, f, today=TODAY))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["reference"] for r in rows] == [inbox["late"].reference, inbox["today"].reference, case.reference]
    late = rows[0]
    assert late == {
        "reference": inbox["late"].reference, "kind": "question", "topic_or_right": "other", "status": "received",
        "channel": "web", "department": "ambiente", "assignee": people["ambiente"].name,
        "received_lisbon": inbox["late"].received_at.astimezone(clock.CITY_TZ).strftime("%Y-%m-%d %H:%M"),
        "due_date": (TODAY - timedelta(days=3)).isoformat(), "days_left": "-3", "first_answer_lisbon": "",
        "extension_months": "0"}
    assert (rows[2]["topic_or_right"], rows[2]["channel"]) == ("portability", "in_person")
    for personal in (EMAIL, NAME, QUESTION):
        assert personal not in text
    export = dpo_audit(session)[-1]
    assert (export.action, export.actor, export.details) == (
        "dpo.cases.exported", dpo.actor, {"filter": {"department": "ambiente"}, "rows": 3})
    liaison_rows = "".join(case_inbox.cases_csv(session, people["cultura"], CaseFilter(), today=TODAY))
    assert liaison_rows.count("\r\n") == 2 and inbox["later"].reference in liaison_rows
