"""The legal clock's alarms: remind whoever holds a case before its due date, escalate it to the DPO after.

Who is told about a reminder: the case's assignee; if nobody is assigned, the liaisons of its
department; if it has none, the DPO users; if there are none, the DPO's mailbox (`dpo_email`). An
escalation goes to every DPO user (or that mailbox). Only active accounts are told.

**Once per due date, without a column for it.** A case is reminded once its due date is within
`dpo_reminder_days` days (Lisbon calendar) and escalated once that date has passed. When an extension
moves the due date (GDPR Art. 12(3): up to two more months), the alarms must ring again for the new
date, yet the extension is granted elsewhere (service.py) and must not need to know about them. So
we compare dates instead of resetting flags: a reminder sent before the reminder window of the
*current* due date opened (`due_date - dpo_reminder_days`) belonged to an earlier due date, and so
did an escalation sent on or before the current due date (a case can only be escalated after its
due date has passed). Either one is "not sent yet" for the current date.

**What the e-mails say.** The reference, the due date, the days left or overdue, and a link to the
case in the staff desk: never what the citizen wrote, nor their name or address, so the outbox and
the staff's mailboxes hold nothing about the citizen. Staff accounts have no language of their own,
so each e-mail is written in Portuguese with the English text below it: the city works in Portuguese,
and the desk's staff pages are offered in both languages, so some readers may be English speakers.

Each batch of cases commits together with its audit entries and e-mails, so a crash mid-run loses or
repeats nothing: a committed case is no longer selected, an uncommitted one is selected again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from praca.core import audit, notify
from praca.core.auth import Role, User
from praca.core.db import utcnow
from praca.core.i18n import translate
from praca.dpo import clock, service
from praca.dpo.labels import N_
from praca.dpo.models import Case
from praca.settings import Settings

MAIL_LOCALES = ("pt", "en")  # Portuguese first, English below it
SEPARATOR = "\n\n" + "-" * 40 + "\n\n"

REMINDER_SUBJECT = N_("Case {reference} is due on {due}")
REMINDER_BODY = N_(
    "Hello,\n\n"
    "Case {reference} has not been answered yet. Its legal deadline is {due} (days left: {days}).\n\n"
    "Open the case here: {link}\n\n"
    "Praça {city}")
ESCALATION_SUBJECT = N_("Overdue cases without an answer: {count}")
ESCALATION_BODY = N_(
    "Hello,\n\n"
    "These cases have passed their legal deadline without an answer:\n\n"
    "{cases}\n\n"
    "Praça {city}")
ESCALATION_LINE = N_("{reference}: due on {due}, days overdue: {days}. {link}")


def bilingual(message: str, **values: object) -> str:
    """The message in each language the e-mails use, one below the other."""
    return SEPARATOR.join(translate(message, locale).format(**values) for locale in MAIL_LOCALES)


def bilingual_subject(message: str, **values: object) -> str:
    return " / ".join(translate(message, locale).format(**values) for locale in MAIL_LOCALES)[:200]


def case_url(settings: Settings, case: Case) -> str:
    return f"{settings.base_url.rstrip('/')}/staff/cases/{case.public_id}"


# --- which cases --------------------------------------------------------------------------------------------

def _unanswered() -> Select[tuple[Case]]:
    """Open cases still waiting for their first substantive answer, with a running clock."""
    return select(Case).where(Case.first_answer_at.is_(None), Case.status.not_in(service.FINAL),
                              Case.due_date.is_not(None))


def window_opens(due: date, reminder_days: int) -> date:
    """The first Lisbon day on which a case due on `due` is reminded."""
    return due - timedelta(days=reminder_days)


def needs_reminder(case: Case, today: date, reminder_days: int) -> bool:
    """Due within the window, and not reminded since the window of its *current* due date opened."""
    assert case.due_date is not None
    opens = window_opens(case.due_date, reminder_days)
    if not opens <= today <= case.due_date:
        return False
    return case.reminded_at is None or clock.local_date(case.reminded_at) < opens


def needs_escalation(case: Case, today: date) -> bool:
    """Overdue, and not escalated since its *current* due date passed."""
    assert case.due_date is not None
    if case.due_date >= today:
        return False
    return case.escalated_at is None or clock.local_date(case.escalated_at) <= case.due_date


# --- who is told ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recipients:
    """Staff accounts to e-mail, or the DPO's mailbox when there is no one to name."""

    users: list[User]
    mailbox: str | None = None

    @property
    def addresses(self) -> list[str]:
        return [u.email for u in self.users] + ([self.mailbox] if self.mailbox else [])

    def audit_details(self) -> dict[str, object]:
        """Who was told, by account id: staff addresses stay out of the audit log too."""
        return {"users": [u.id for u in self.users], "dpo_mailbox": self.mailbox is not None}


def _active(session: Session, *conditions: object) -> list[User]:
    return list(session.scalars(select(User).where(User.active.is_(True), *conditions).order_by(User.id)))


def dpo_recipients(session: Session, settings: Settings) -> Recipients:
    users = _active(session, User.role == Role.DPO)
    return Recipients(users) if users else Recipients([], settings.dpo_email)


def reminder_recipients(session: Session, settings: Settings, case: Case) -> Recipients:
    """The assignee; else the department's liaisons; else the DPO users; else the DPO's mailbox."""
    if case.assignee_id is not None:
        assignee = session.get(User, case.assignee_id)
        if assignee is not None and assignee.active:
            return Recipients([assignee])
    if case.department_id is not None:
        liaisons = _active(session, User.role == Role.LIAISON, User.department_id == case.department_id)
        if liaisons:
            return Recipients(liaisons)
    return dpo_recipients(session, settings)


# --- the jobs ------------------------------------------------------------------------------------------------

def send_reminders(session: Session, settings: Settings, *, now: datetime | None = None) -> int:
    """Remind about every unanswered case whose due date is near; returns how many cases were reminded."""
    now = now or utcnow()
    today = clock.local_date(now)
    days = settings.dpo_reminder_days
    stmt = _unanswered().where(Case.due_date >= today, Case.due_date <= today + timedelta(days=days))
    reminded = 0
    for batch in service.case_batches(session, stmt):
        for case in batch:
            if not needs_reminder(case, today, days):
                continue
            assert case.due_date is not None
            recipients = reminder_recipients(session, settings, case)
            values = {"reference": case.reference, "due": case.due_date.isoformat(),
                      "days": clock.days_left(case.due_date, today), "link": case_url(settings, case),
                      "city": settings.city_name}
            for address in recipients.addresses:
                notify.queue_email(session, address, bilingual_subject(REMINDER_SUBJECT, **values),
                                   bilingual(REMINDER_BODY, **values))
            case.reminded_at = now
            audit.record(session, audit.SYSTEM, "dpo.case.reminded", service.audit_subject(case),
                         {"due_date": case.due_date.isoformat(), **recipients.audit_details()})
            reminded += 1
        session.commit()
    return reminded


def escalate_overdue(session: Session, settings: Settings, *, now: datetime | None = None) -> int:
    """Tell the DPO about every overdue unanswered case, one e-mail per batch; returns how many cases."""
    now = now or utcnow()
    today = clock.local_date(now)
    escalated = 0
    for batch in service.case_batches(session, _unanswered().where(Case.due_date < today)):
        cases = [c for c in batch if needs_escalation(c, today)]
        if not cases:
            continue
        recipients = dpo_recipients(session, settings)
        lines = []
        for case in cases:
            assert case.due_date is not None
            days = -clock.days_left(case.due_date, today)
            lines.append({"reference": case.reference, "due": case.due_date.isoformat(), "days": days,
                          "link": case_url(settings, case)})
            case.escalated_at = now
            audit.record(session, audit.SYSTEM, "dpo.case.escalated", service.audit_subject(case),
                         {"due_date": case.due_date.isoformat(), "days_overdue": days,
                          **recipients.audit_details()})
        body = SEPARATOR.join(
            translate(ESCALATION_BODY, locale).format(
                city=settings.city_name,
                cases="\n".join(translate(ESCALATION_LINE, locale).format(**line) for line in lines))
            for locale in MAIL_LOCALES)
        subject = bilingual_subject(ESCALATION_SUBJECT, count=len(cases))
        for address in recipients.addresses:
            notify.queue_email(session, address, subject, body)
        escalated += len(cases)
        session.commit()
    return escalated


# --- the desk's workload, for the dashboard ------------------------------------------------------------------

@dataclass(frozen=True)
class Workload:
    open: int
    overdue: int
    due_soon: int  # within the reminder window, not yet overdue
    unassigned: int


def workload(session: Session, user: User, today: date, reminder_days: int) -> Workload:
    """Counts of the open cases this user can see (a liaison: their department's)."""
    open_cases = service.visible_cases(user).where(Case.status.not_in(service.FINAL)).subquery()
    c = open_cases.c
    unanswered = c.first_answer_at.is_(None) & c.due_date.is_not(None)
    row = session.execute(select(
        func.count(),
        func.count().filter(unanswered & (c.due_date < today)),
        func.count().filter(unanswered & (c.due_date >= today)
                            & (c.due_date <= today + timedelta(days=reminder_days))),
        func.count().filter(c.assignee_id.is_(None)),
    ).select_from(open_cases)).one()
    return Workload(*(int(v or 0) for v in row))
