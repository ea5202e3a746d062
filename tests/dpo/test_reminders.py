"""Reminders before a due date and escalations after it: who is told, once per due date (again after an
extension), nothing for answered or closed cases, no citizen content in the e-mails, audit by user id."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from praca.core import jobs
from praca.core.notify import OutboxEmail
from praca.dpo import clock, reminders, service
from praca.dpo.models import Case, CaseStatus
from tests.dpo.helpers import QUESTION, dpo_audit, question_form
from tests.factories import make_department, make_user

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
TODAY = date(2026, 3, 10)
EMAIL = "citizen.reminder-test@example.org"


def open_case(session, settings, *, due: date, **fields) -> Case:
    case, _ = service.open_question(session, settings, question_form(email=EMAIL), locale="pt")
    case.received_at = NOW - timedelta(days=25)
    case.due_date = due
    for name, value in fields.items():
        setattr(case, name, value)
    session.flush()
    session.query(OutboxEmail).delete()  # the citizen's acknowledgement is not what these tests are about
    return case


def outbox(session) -> list[OutboxEmail]:
    return list(session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def actions(session, action: str) -> list:
    return [e for e in dpo_audit(session) if e.action == action]


def test_the_assignee_is_reminded_once(session, settings, dpo):
    liaison = make_user(session, "liaison", department="ambiente")
    case = open_case(session, settings, due=TODAY + timedelta(days=3), assignee_id=liaison.id)

    assert reminders.send_reminders(session, settings, now=NOW) == 1
    [mail] = outbox(session)
    assert mail.to_address == liaison.email
    assert case.reference in mail.subject and "2026-03-13" in mail.subject
    assert f"{settings.base_url}/staff/cases/{case.public_id}" in mail.body
    assert case.reminded_at == NOW
    [entry] = actions(session, "dpo.case.reminded")
    assert entry.subject == f"case:{case.public_id}" and entry.actor == "system"
    assert entry.details == {"due_date": "2026-03-13", "users": [liaison.id], "dpo_mailbox": False}

    assert reminders.send_reminders(session, settings, now=NOW) == 0
    assert reminders.send_reminders(session, settings, now=NOW + timedelta(days=2)) == 0
    assert len(outbox(session)) == 1


def test_without_an_assignee_the_departments_liaisons_then_the_dpo_then_the_mailbox(session, settings):
    dep = make_department(session, "cultura")
    liaisons = [make_user(session, "liaison", department="cultura") for _ in range(2)]
    make_user(session, "liaison", department="ambiente")  # another department's: not told
    gone = make_user(session, "liaison", department="cultura")
    gone.active = False
    to_department = open_case(session, settings, due=TODAY + timedelta(days=1), department_id=dep.id)
    to_nobody = open_case(session, settings, due=TODAY + timedelta(days=1))

    assert reminders.send_reminders(session, settings, now=NOW) == 2
    assert sorted(m.to_address for m in outbox(session)) == sorted([*(u.email for u in liaisons),
                                                                     settings.dpo_email])
    by_case = {e.subject: e.details for e in actions(session, "dpo.case.reminded")}
    assert by_case[f"case:{to_department.public_id}"]["users"] == [u.id for u in liaisons]
    assert by_case[f"case:{to_nobody.public_id}"] == {"due_date": "2026-03-11", "users": [],
                                                       "dpo_mailbox": True}

    dpo = make_user(session, "dpo")
    inactive = make_user(session, "liaison", department="cultura")
    inactive.active = False
    third = open_case(session, settings, due=TODAY, assignee_id=inactive.id, department_id=dep.id)
    assert reminders.send_reminders(session, settings, now=NOW) == 1
    assert outbox(session)[-1].to_address in {u.email for u in liaisons}  # the inactive assignee is skipped
    third.department_id = None
    third.reminded_at = None
    assert reminders.send_reminders(session, settings, now=NOW) == 1
    assert outbox(session)[-1].to_address == dpo.email


@pytest.mark.parametrize(("days", "reminded"), [(-1, False), (0, True), (5, True), (6, False)])
def test_only_inside_the_reminder_window(session, settings, dpo, days, reminded):
    open_case(session, settings, due=TODAY + timedelta(days=days), assignee_id=dpo.id)
    assert reminders.send_reminders(session, settings, now=NOW) == int(reminded)


def test_the_window_is_configurable(session, settings, dpo):
    open_case(session, settings, due=TODAY + timedelta(days=10), assignee_id=dpo.id)
    assert reminders.send_reminders(session, settings, now=NOW) == 0
    settings.dpo_reminder_days = 10
    assert reminders.send_reminders(session, settings, now=NOW) == 1


@pytest.mark.parametrize("state", ["answered", "closed", "rejected", "no_clock"])
def test_nothing_for_answered_final_or_unstarted_cases(session, settings, dpo, state):
    case = open_case(session, settings, due=TODAY - timedelta(days=2), assignee_id=dpo.id)
    if state == "answered":
        case.status, case.first_answer_at = CaseStatus.ANSWERED, NOW - timedelta(days=5)
    elif state == "no_clock":
        case.due_date = None
    else:
        case.status, case.closed_at = state, NOW - timedelta(days=5)
    session.flush()
    assert reminders.send_reminders(session, settings, now=NOW - timedelta(days=4)) == 0
    assert reminders.escalate_overdue(session, settings, now=NOW) == 0
    assert outbox(session) == []


def test_an_extension_reminds_and_escalates_again_for_the_new_due_date(session, settings, dpo):
    case = open_case(session, settings, due=TODAY + timedelta(days=2), assignee_id=dpo.id)
    assert reminders.send_reminders(session, settings, now=NOW) == 1
    assert reminders.escalate_overdue(session, settings, now=NOW + timedelta(days=3)) == 1
    assert reminders.escalate_overdue(session, settings, now=NOW + timedelta(days=4)) == 0

    # Granted one more month (service.py moves the due date; the alarms' columns are left as they are).
    case.extension_months = 1
    case.due_date = clock.due_date(TODAY - timedelta(days=25), settings.holiday_subdivision, 1)
    new_due = case.due_date
    assert new_due > TODAY + timedelta(days=20)
    later = NOW + timedelta(days=4)
    assert reminders.send_reminders(session, settings, now=later) == 0  # the new window is not open yet
    assert reminders.escalate_overdue(session, settings, now=later) == 0  # not overdue any more
    in_window = datetime.combine(new_due - timedelta(days=2), NOW.timetz())
    assert reminders.send_reminders(session, settings, now=in_window) == 1
    assert reminders.send_reminders(session, settings, now=in_window + timedelta(hours=3)) == 0
    after = datetime.combine(new_due + timedelta(days=1), NOW.timetz())
    assert reminders.escalate_overdue(session, settings, now=after) == 1
    assert reminders.escalate_overdue(session, settings, now=after + timedelta(days=1)) == 0
    assert [e.details["due_date"] for e in actions(session, "dpo.case.reminded")] == [
        "2026-03-12", new_due.isoformat()]
    assert len(actions(session, "dpo.case.escalated")) == 2


def test_overdue_cases_go_to_every_dpo_in_one_e_mail(session, settings):
    dpos = [make_user(session, "dpo") for _ in range(2)]
    make_user(session, "admin")  # admins are not the DPO
    late = open_case(session, settings, due=TODAY - timedelta(days=3))
    later = open_case(session, settings, due=TODAY - timedelta(days=10), assignee_id=dpos[0].id)
    today = open_case(session, settings, due=TODAY)  # due today: not overdue yet

    assert reminders.escalate_overdue(session, settings, now=NOW) == 2
    mails = outbox(session)
    assert sorted(m.to_address for m in mails) == sorted(u.email for u in dpos)
    for mail in mails:
        assert late.reference in mail.body and later.reference in mail.body
        assert "2" in mail.subject
        assert f"{settings.base_url}/staff/cases/{later.public_id}" in mail.body
    assert "days overdue: 10" in mails[0].body and "dias de atraso: 10" in mails[0].body
    details = {e.subject: e.details for e in actions(session, "dpo.case.escalated")}
    assert details[f"case:{late.public_id}"] == {"due_date": "2026-03-07", "days_overdue": 3,
                                                  "users": [u.id for u in dpos], "dpo_mailbox": False}
    assert late.escalated_at == later.escalated_at == NOW
    assert today.escalated_at is None
    assert reminders.escalate_overdue(session, settings, now=NOW + timedelta(days=1)) == 1  # only today's
    assert today.reference in outbox(session)[-1].body and late.reference not in outbox(session)[-1].body
    assert reminders.escalate_overdue(session, settings, now=NOW + timedelta(days=2)) == 0


def test_the_e_mails_carry_no_citizen_content(session, settings, dpo):
    case = open_case(session, settings, due=TODAY + timedelta(days=1), requester_name="Maria Testemunha")
    assert reminders.send_reminders(session, settings, now=NOW) == 1
    assert reminders.escalate_overdue(session, settings, now=NOW + timedelta(days=3)) == 1
    mails = outbox(session)
    assert len(mails) == 2
    for mail in mails:
        text = mail.subject + mail.body
        assert case.reference in text
        for secret in (EMAIL, QUESTION, "Maria Testemunha", QUESTION[:20]):
            assert secret not in text
    # Portuguese first, English below: staff accounts have no language of their own.
    body = mails[0].body
    assert body.index("Olá") < body.index("Hello")
    for entry in actions(session, "dpo.case.reminded") + actions(session, "dpo.case.escalated"):
        assert EMAIL not in str(entry.details) and dpo.email not in str(entry.details)


def test_a_batch_commits_with_its_audit_entries(session, settings, dpo, monkeypatch):
    """A crash after the first batch: that batch is done for good, the rest is done by the next run."""
    monkeypatch.setattr(service, "BATCH", 2)
    for _ in range(5):
        open_case(session, settings, due=TODAY + timedelta(days=1), assignee_id=dpo.id)
    session.commit()
    calls = 0
    real = reminders.audit.record

    def crash_in_second_batch(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("the worker died")
        return real(*args, **kwargs)

    monkeypatch.setattr(reminders.audit, "record", crash_in_second_batch)
    with pytest.raises(RuntimeError):
        reminders.send_reminders(session, settings, now=NOW)
    session.rollback()
    assert len(actions(session, "dpo.case.reminded")) == 2
    assert len(outbox(session)) == 2
    monkeypatch.setattr(reminders.audit, "record", real)
    assert reminders.send_reminders(session, settings, now=NOW) == 3
    assert len(outbox(session)) == len(actions(session, "dpo.case.reminded")) == 5


def test_the_worker_runs_the_desks_jobs():
    names = set(jobs.load_jobs())
    assert {"dpo.remind", "dpo.escalate", "dpo.erase_contacts", "dpo.anonymise", "dpo.expire_unverified",
            "dpo.backfill_due_dates", "dpo.sweep_documents"} <= names
    assert jobs.REGISTRY["dpo.remind"].every <= timedelta(hours=1)


def test_workload_counts(session, settings, dpo):
    open_case(session, settings, due=TODAY - timedelta(days=1), assignee_id=dpo.id)
    open_case(session, settings, due=TODAY + timedelta(days=2))
    open_case(session, settings, due=TODAY + timedelta(days=20), assignee_id=dpo.id)
    open_case(session, settings, due=TODAY - timedelta(days=9), status=CaseStatus.CLOSED,
              closed_at=NOW, first_answer_at=NOW)
    load = reminders.workload(session, dpo, TODAY, settings.dpo_reminder_days)
    assert (load.open, load.overdue, load.due_soon, load.unassigned) == (3, 1, 1, 1)
    liaison = make_user(session, "liaison", department="ambiente")
    assert reminders.workload(session, liaison, TODAY, 5).open == 0
