"""The staff inbox: which cases a filter selects, in which order, one page at a time, and as CSV.

Every condition is on an indexed column (status, due_date, department_id, assignee_id; see the
indexes on `Case`) and the list never loads messages, so a page stays fast with 100,000 cases
(`bench/dpo_inbox.py`). What a user may see at all is `service.visible_cases`; this module only narrows it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from sqlalchemy import Select, func
from sqlalchemy.orm import Session, aliased

from praca.core import audit
from praca.core.auth import Department, User
from praca.core.db import utcnow
from praca.dpo import clock
from praca.dpo.models import Case
from praca.dpo.schemas import CaseFilter
from praca.dpo.service import OPEN, PENDING, resolve_department, visible_cases


def filtered_cases(session: Session, user: User, f: CaseFilter, today: date | None = None) -> Select[tuple[Case]]:
    """The inbox's query without order or paging: every condition is on an indexed column
    (status, due_date, department_id, assignee_id), so the inbox stays fast with many cases."""
    today = today or clock.local_date(utcnow())
    stmt = visible_cases(user)
    if f.kind:
        stmt = stmt.where(Case.kind == f.kind)
    if f.status:
        stmt = stmt.where(Case.status == f.status)
    elif f.open_only and not f.q:
        stmt = stmt.where(Case.status.in_(sorted(OPEN)))
    if f.department is not None:
        department_id = resolve_department(session, f.department)
        stmt = stmt.where(Case.department_id == department_id if department_id else Case.department_id.is_(None))
    if f.assignee == "me":
        stmt = stmt.where(Case.assignee_id == user.id)
    elif f.assignee == "none":
        stmt = stmt.where(Case.assignee_id.is_(None))
    elif f.assignee:
        stmt = stmt.where(Case.assignee_id == int(f.assignee))
    if f.overdue is not None or f.due_within is not None:
        stmt = stmt.where(Case.status.in_(sorted(PENDING)))
    if f.overdue:
        stmt = stmt.where(Case.due_date < today)
    elif f.overdue is False:
        stmt = stmt.where(Case.due_date >= today)
    if f.due_within is not None:
        stmt = stmt.where(Case.due_date <= today + timedelta(days=f.due_within))
    if f.q:
        q = f.q.strip().upper()
        # A whole reference (read out on the phone) is one look-up in the unique index; a part of one scans.
        stmt = stmt.where(Case.reference == q if WHOLE_REFERENCE.fullmatch(q)
                          else func.upper(Case.reference).contains(q, autoescape=True))
    return stmt


WHOLE_REFERENCE = re.compile(r"P-\d{4}-\d{6}")
SORTS = {
    "due": (Case.due_date.asc().nulls_last(), Case.id.asc()),
    "-due": (Case.due_date.desc().nulls_last(), Case.id.desc()),
    "received": (Case.received_at.asc(), Case.id.asc()),
    "-received": (Case.received_at.desc(), Case.id.desc()),
}


def list_cases(session: Session, user: User, f: CaseFilter, *, today: date | None = None
               ) -> tuple[list[Case], int]:
    """The inbox: one page of cases (without their messages) and the total for paging.

    `today` (a Lisbon date) is for tests; "overdue" and "due within" count from it."""
    stmt = filtered_cases(session, user, f, today)
    total = session.scalar(stmt.with_only_columns(func.count(Case.id)).order_by(None)) or 0
    items = session.scalars(stmt.order_by(*SORTS[f.sort]).limit(f.limit).offset(f.offset)).all()
    return list(items), total


# --- the inbox as CSV -------------------------------------------------------------------------------------------

CSV_COLUMNS = ("reference", "kind", "topic_or_right", "status", "channel", "department", "assignee",
               "received_lisbon", "due_date", "days_left", "first_answer_lisbon", "extension_months")


def _lisbon(moment: datetime | None) -> str:
    return moment.astimezone(clock.CITY_TZ).strftime("%Y-%m-%d %H:%M") if moment else ""


def cases_csv(session: Session, user: User, f: CaseFilter, *, today: date | None = None) -> Iterator[str]:
    """The filtered inbox as CSV lines (a header, then one per case, by the filter's order), for staff
    to count and plan with. Data minimisation: codes, dates and who works on it, never the citizen's
    name, address or words. The export itself is audited (with its filter and row count).

    The rows are read with one query of plain columns (no ORM objects, no messages), then streamed."""
    today = today or clock.local_date(utcnow())
    assignee = aliased(User)
    stmt = (filtered_cases(session, user, f, today)
            .outerjoin(Department, Department.id == Case.department_id)
            .outerjoin(assignee, assignee.id == Case.assignee_id)
            .with_only_columns(Case.reference, Case.kind, Case.topic, Case.data_right, Case.status, Case.channel,
                               Department.slug, assignee.name, Case.received_at, Case.due_date,
                               Case.first_answer_at, Case.extension_months)
            .order_by(*SORTS[f.sort]))
    rows = session.execute(stmt).all()
    audit.record(session, user.actor, "dpo.cases.exported", "dpo:cases",
                 {"filter": f.model_dump(mode="json", exclude_defaults=True), "rows": len(rows)})

    def lines() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for (reference, kind, topic, right, status, channel, department, assignee_name, received_at, due,
             first_answer_at, extension_months) in rows:
            pending = due is not None and status in PENDING
            writer.writerow((reference, kind, topic or right or "", status, channel, department or "",
                             assignee_name or "", _lisbon(received_at), due.isoformat() if due else "",
                             clock.days_left(due, today) if pending else "", _lisbon(first_answer_at),
                             extension_months))
            yield out.getvalue()
            out.seek(0)
            out.truncate()

    return lines()
