"""The DPO desk's key figures: how fast the city answers, how much waits, month by month.

Definitions, as the DPO's annual report states them (GDPR Art. 12(3): one month, extendable by two):

- **Cases** are those received (by their Lisbon date of receipt) from `from` to `to`, both included,
  with the kind and department filters. A rights request still awaiting e-mail confirmation has no
  legal clock (`due_date` is None) and is not a case yet: it is left out everywhere. Anonymised
  cases keep their dates and count.
- **Answered**: cases of the period with a first substantive answer (`first_answer_at`: the case first
  became answered, closed or rejected; an acknowledgement is not an answer), whenever it came. The
  period picks the cohort by receipt, so a March case answered in April counts for March.
- **Days to the first answer**: (first answer − receipt) in days, as a decimal (0.5 = twelve hours);
  mean and median over the answered cases.
- **Within the legal deadline**: answered cases whose first answer fell, in Lisbon, on or before
  their due date (any extension included), as a share of the answered cases. **Overdue, unanswered**:
  cases of the period still without an answer today and past their due date.
- **Backlog**: a snapshot at the end of the period (or today, if the period runs into the future):
  every case received by then and not yet answered then (nor closed), whatever its receipt date, by
  age in days since receipt: 0–7, 8–14, 15–30, over 30; each band says how many are past due.
- **Monthly trend**: the same figures per month of receipt; **breakdowns** per department (and "no
  department") and per kind.

A liaison's figures are their own department's only: `compute` adds the condition to the query.

The public statistics (`public_statistics`) are these aggregates and nothing else, with small cells
withheld: a figure that rests on 1 to 4 cases could single someone out, so it is shown as "fewer
than 5"; when a table would then hide exactly one row, the next smallest is hidden too, so the
hidden one cannot be recovered by subtracting from the total.

Speed (bench/dpo_inbox.py: a year of 100,000 cases in a few hundred ms on SQLite and PostgreSQL): one
query reads the period's cases, five columns with Core (no ORM objects, no datetime objects: the
database gives epoch seconds), filtered in SQL; another finds the backlog through the status index;
the arithmetic is numpy over the columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from sqlalchemy import ColumnElement, Float, cast, extract, false, func, or_, select
from sqlalchemy.orm import Session

from praca.core.auth import Department, Role, User
from praca.core.db import utcnow
from praca.core.errors import InvalidInput
from praca.core.i18n import translate
from praca.dpo import clock
from praca.dpo.labels import KIND_LABELS, N_
from praca.dpo.models import Case, CaseKind
from praca.dpo.service import PENDING

MIN_CELL = 5  # fewer cases than this behind a public figure, and it is withheld
FIRST_DAY = date(2000, 1, 1)  # the range of periods one may ask for: wide, but bounded
LAST_DAY = date(2100, 12, 31)
NO_DEPARTMENT = "none"  # the department filter's value for cases routed to no department
DAY_S = 86_400.0
LEGAL_LIMIT_MONTHS = clock.BASE_MONTHS

# Age bands of the backlog: (first day, last day or None, key, label).
BANDS: tuple[tuple[int, int | None, str, str], ...] = (
    (0, 7, "0-7", N_("0 to 7 days")),
    (8, 14, "8-14", N_("8 to 14 days")),
    (15, 30, "15-30", N_("15 to 30 days")),
    (31, None, "31+", N_("over 30 days")),
)
NO_DEPARTMENT_LABEL = N_("No department")


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _in_range(value: date | None) -> date | None:
    if value is not None and not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"a day from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}")
    return value


Blank = BeforeValidator(_blank_to_none)
# A GET form sends an empty field for "not given"; the API accepts the same, and its schema says so.
BLANK_SCHEMA = {"type": "string", "pattern": r"^\s*$"}
Day = Annotated[date | None, Blank, AfterValidator(_in_range), WithJsonSchema(
    {"anyOf": [{"type": "string", "format": "date"}, BLANK_SCHEMA, {"type": "null"}]})]
Kind = Annotated[CaseKind | None, Blank, WithJsonSchema(
    {"anyOf": [{"type": "string", "enum": [k.value for k in CaseKind]}, BLANK_SCHEMA, {"type": "null"}]})]


class KpiQuery(BaseModel):
    """The figures' filter, as a GET form or the API sends it; blanks mean "not given"."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, str_strip_whitespace=True)

    from_: Day = Field(None, alias="from", description="First day of receipt (Lisbon); default 1 January")
    to: Day = Field(None, description="Last day of receipt (Lisbon), included; default today")
    kind: Kind = None
    department: Annotated[Annotated[str, Field(max_length=60)] | None, Blank] = Field(
        None, description=f"A department's slug, or '{NO_DEPARTMENT}' for cases routed to none")

    @field_validator("to")
    @classmethod
    def _ordered(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("from_")
        if value is not None and start is not None and start > value:
            raise ValueError("'to' must be on or after 'from'")
        return value

    def period(self, today: date) -> tuple[date, date]:
        """The period asked for, defaults filled in: this calendar year to date."""
        end = self.to or (today if not self.from_ or self.from_ <= today else self.from_)
        start = self.from_ or date(end.year, 1, 1)
        return start, end


# --- the report ------------------------------------------------------------------------------------------------

class Figures(BaseModel):
    received: int = Field(description="Cases received in the period")
    answered: int = Field(description="Of those, cases with a first substantive answer")
    mean_days: float | None = Field(description="Mean days from receipt to the first answer")
    median_days: float | None = Field(description="Median days from receipt to the first answer")
    within_deadline: int = Field(description="Answered cases answered on or before their due date")
    within_deadline_pct: float | None = Field(description="within_deadline as a percentage of answered")
    overdue_unanswered: int = Field(description="Cases not answered yet and past their due date")


class MonthRow(Figures):
    month: str = Field(description="Month of receipt, YYYY-MM (Lisbon)")


class GroupRow(Figures):
    key: str = Field(description="A department's slug ('none': no department) or a case kind")
    label: str


class BacklogBand(BaseModel):
    band: str = Field(description="Age since receipt in days: 0-7, 8-14, 15-30, 31+")
    label: str
    min_days: int
    max_days: int | None
    open: int = Field(description="Cases unanswered at the snapshot, of this age")
    overdue: int = Field(description="Of those, cases past their due date")


class KpiReport(BaseModel):
    period_from: date
    period_to: date
    as_of: date = Field(description="The backlog's snapshot day: the period's end, or today if earlier")
    kind: CaseKind | None
    department: str | None
    legal_limit_months: int = LEGAL_LIMIT_MONTHS
    totals: Figures
    backlog: list[BacklogBand]
    backlog_open: int
    backlog_overdue: int
    months: list[MonthRow]
    departments: list[GroupRow]
    kinds: list[GroupRow]


# --- computing -------------------------------------------------------------------------------------------------

def midnight(day: date) -> datetime:
    """The UTC instant at which a Lisbon calendar day begins."""
    return datetime(day.year, day.month, day.day, tzinfo=clock.CITY_TZ).astimezone(UTC)


def _month_starts(start: date, end: date) -> list[date]:
    """The first day of every month from start's to end's, and of the month after."""
    months = [date(start.year, start.month, 1)]
    while months[-1] <= end:
        months.append(clock.add_months(months[-1], 1))
    return months


def _department_condition(session: Session, slug: str | None) -> ColumnElement[bool] | None:
    if slug is None:
        return None
    if slug == NO_DEPARTMENT:
        return Case.department_id.is_(None)
    found = session.scalar(select(Department.id).where(Department.slug == slug))
    if found is None:
        raise InvalidInput(f"Unknown department '{slug}'.", field="department")
    return Case.department_id == found


def _conditions(session: Session, q: KpiQuery, user: User | None) -> list[ColumnElement[bool]]:
    """Filters shared by both queries; a liaison's own department is one of them, whatever they ask."""
    where: list[ColumnElement[bool]] = [Case.due_date.is_not(None)]
    if q.kind:
        where.append(Case.kind == q.kind)
    if (department := _department_condition(session, q.department)) is not None:
        where.append(department)
    if user is not None and user.role == Role.LIAISON:
        where.append(Case.department_id == user.department_id if user.department_id else false())
    return where


@dataclass
class _Cohort:
    """The period's cases as parallel arrays, one element per case."""

    kind: np.ndarray
    department: np.ndarray  # department id (as float), -1 for none
    received: np.ndarray  # epoch seconds
    answered_at: np.ndarray  # epoch seconds, NaN when unanswered
    due_end: np.ndarray  # epoch seconds at which the due date ends in Lisbon
    answered: np.ndarray
    days: np.ndarray
    on_time: np.ndarray
    overdue: np.ndarray

    def subset(self, mask: np.ndarray) -> _Cohort:
        return _Cohort(**{name: getattr(self, name)[mask] for name in self.__dataclass_fields__})

    def figures(self, mask: np.ndarray | None = None) -> dict[str, Any]:
        if mask is None:
            mask = np.ones(len(self.received), dtype=bool)
        answered = mask & self.answered
        n_answered = int(answered.sum())
        days = self.days[answered]
        on_time = int((mask & self.on_time).sum())
        return {
            "received": int(mask.sum()), "answered": n_answered,
            "mean_days": round(float(days.mean()), 3) if n_answered else None,
            "median_days": round(float(np.median(days)), 3) if n_answered else None,
            "within_deadline": on_time,
            "within_deadline_pct": round(100.0 * on_time / n_answered, 1) if n_answered else None,
            "overdue_unanswered": int((mask & self.overdue).sum()),
        }


def _epoch(column: Any) -> ColumnElement[float]:
    """A date or naive-UTC timestamp column as epoch seconds, computed by the database (SQLAlchemy's
    portable EXTRACT: strftime('%s') on SQLite, to the second): no datetime object per row in Python."""
    return cast(extract("epoch", column), Float)


def _cohort(rows: list[Any], today: date) -> _Cohort:
    # One list per column (zip(*rows) would build 80,000 argument tuples first, several times slower).
    kinds, departments, received, answered_at, due = ([row[i] for row in rows] for i in range(5))
    received_s = np.array(received, dtype=float)
    answered_s = np.array(answered_at, dtype=float)  # None: NaN
    # A due date ends at the next Lisbon midnight: a few hundred distinct dates, each converted once.
    due_days, which = np.unique(np.array(due, dtype=float), return_inverse=True)
    ends = np.array([midnight(datetime.fromtimestamp(d, UTC).date() + timedelta(days=1)).timestamp()
                     for d in due_days.tolist()])
    due_end = ends[which] if len(rows) else np.empty(0)
    answered = ~np.isnan(answered_s)
    with np.errstate(invalid="ignore"):
        on_time = answered & (answered_s < due_end)
    return _Cohort(
        kind=np.array(kinds, dtype=object), department=np.nan_to_num(np.array(departments, dtype=float), nan=-1),
        received=received_s, answered_at=answered_s, due_end=due_end, answered=answered,
        days=(answered_s - received_s) / DAY_S, on_time=on_time,
        overdue=~answered & (due_end <= midnight(today).timestamp()))


def _backlog(session: Session, where: list[ColumnElement[bool]], as_of: date, today: date,
             locale: str) -> list[BacklogBand]:
    end = midnight(as_of + timedelta(days=1))
    conditions = [*where, Case.received_at < end, or_(Case.first_answer_at.is_(None), Case.first_answer_at >= end),
                  or_(Case.closed_at.is_(None), Case.closed_at >= end)]
    if as_of >= today:
        # Today's backlog: a case without a first answer is in a pending status (reaching any other sets
        # `first_answer_at`), so saying so changes no result and lets the (status, received_at) index find
        # the few open cases instead of reading the whole table.
        conditions.append(Case.status.in_(sorted(PENDING)))
    rows = session.execute(select(Case.received_at, Case.due_date).where(*conditions)).all()
    counts = {key: [0, 0] for _, _, key, _ in BANDS}
    for received_at, due in rows:
        age = (as_of - clock.local_date(received_at)).days
        key = next(k for _, high, k, _ in BANDS if high is None or age <= high)
        counts[key][0] += 1
        counts[key][1] += due < as_of
    return [BacklogBand(band=key, label=translate(label, locale), min_days=low, max_days=high,
                        open=counts[key][0], overdue=counts[key][1]) for low, high, key, label in BANDS]


def _fetch(session: Session, where: list[ColumnElement[bool]], start: date, end: date, today: date) -> _Cohort:
    """The cases received from start to end (Lisbon days, both included)."""
    # Core on the session's connection (no ORM result machinery), dates as epoch seconds: a year of a
    # big city's cases is 100,000 rows, and a datetime object per value would cost most of the time.
    # The period is most of the table, so reading the table beats any index we have: SQLite would pick
    # (status, received_at) and skip-scan it, one row look-up per case, 3x slower than a plain scan;
    # coalesce(x, x) keeps it from doing so (PostgreSQL scans the table either way). An index that
    # starts with received_at and covers these five columns would beat both: then compare the column.
    received = func.coalesce(Case.received_at, Case.received_at)
    result = session.connection().execute(
        select(Case.kind, Case.department_id, _epoch(Case.received_at), _epoch(Case.first_answer_at),
               _epoch(Case.due_date))
        .where(*where, received >= midnight(start), received < midnight(end + timedelta(days=1))))
    with result:  # plain str, int and float columns: the driver's tuples as they are, no Row per case
        rows = result.cursor.fetchall() if result.cursor is not None else []
    return _cohort(rows, today)


def _department_names(session: Session, locale: str) -> dict[int, tuple[str, str]]:
    return {d.id: (d.slug, d.name_pt if locale == "pt" else d.name_en)
            for d in session.execute(select(Department.id, Department.slug, Department.name_pt,
                                            Department.name_en)).all()}


def _report(cohort: _Cohort, q: KpiQuery, start: date, end: date, as_of: date, backlog: list[BacklogBand],
            names: dict[int, tuple[str, str]], locale: str) -> KpiReport:
    starts = _month_starts(start, end)
    bounds = np.array([midnight(m).timestamp() for m in starts])
    month_of = np.searchsorted(bounds, cohort.received, side="right") - 1
    months = [MonthRow(month=f"{m:%Y-%m}", **cohort.figures(month_of == i)) for i, m in enumerate(starts[:-1])]
    departments = sorted(
        (GroupRow(key=names[d][0], label=names[d][1], **cohort.figures(cohort.department == d))
         for d in map(int, np.unique(cohort.department)) if d != -1), key=lambda r: r.label.casefold())
    if (cohort.department == -1).any():
        departments.append(GroupRow(key=NO_DEPARTMENT, label=translate(NO_DEPARTMENT_LABEL, locale),
                                    **cohort.figures(cohort.department == -1)))
    kinds = [GroupRow(key=k.value, label=translate(KIND_LABELS.get(k, k.value), locale),
                      **cohort.figures(cohort.kind == k.value))
             for k in CaseKind if q.kind in (None, k)]
    return KpiReport(period_from=start, period_to=end, as_of=as_of, kind=q.kind, department=q.department,
                     totals=Figures(**cohort.figures()), backlog=backlog,
                     backlog_open=sum(b.open for b in backlog), backlog_overdue=sum(b.overdue for b in backlog),
                     months=months, departments=departments, kinds=kinds)


def compute(session: Session, q: KpiQuery, *, user: User | None = None, today: date | None = None,
            locale: str = "pt") -> KpiReport:
    """The figures for `q`, as `user` may see them (None: the whole city, for the public aggregates)."""
    today = today or clock.local_date(utcnow())
    start, end = q.period(today)
    where = _conditions(session, q, user)
    as_of = min(end, today)
    return _report(_fetch(session, where, start, end, today), q, start, end, as_of,
                   _backlog(session, where, as_of, today, locale), _department_names(session, locale), locale)


# --- the public statistics -------------------------------------------------------------------------------------

class PublicFigures(BaseModel):
    """Aggregates a citizen may read; a withheld figure is null, and `withheld` says why."""

    received: int | None
    answered: int | None
    mean_days: float | None
    median_days: float | None
    within_deadline_pct: float | None
    withheld: Literal["fewer_than_min_cell", "protects_another_cell"] | None = Field(
        description=f"Why some figures here are null: they rest on fewer than {MIN_CELL} cases, or they would "
                    "give away a withheld figure of the same table by subtraction")


class PublicMonth(PublicFigures):
    month: str


class PublicGroup(PublicFigures):
    key: str
    label: str


class PublicPeriod(BaseModel):
    key: Literal["year", "last_12_months"]
    period_from: date
    period_to: date
    totals: PublicFigures
    kinds: list[PublicGroup]
    departments: list[PublicGroup]
    months: list[PublicMonth]


class PublicStatistics(BaseModel):
    generated_on: date
    legal_limit_months: int = LEGAL_LIMIT_MONTHS
    min_cell: int = MIN_CELL
    periods: list[PublicPeriod]


_ANSWER_FIGURES = ("answered", "mean_days", "median_days", "within_deadline_pct")


def _small(n: int) -> bool:
    return 0 < n < MIN_CELL


def _withhold(rows: list[Figures]) -> list[dict[str, Any]]:
    """Public values of a table's rows: small cells withheld, and a second one when one alone would be.

    Primary: fewer than MIN_CELL cases received hides the row's figures; fewer than MIN_CELL answered
    hides the answer figures. Complementary: a table whose total is public and that hides exactly one
    row (or one row's answer figures) hides the next smallest non-empty one too.
    """
    small = [_small(r.received) for r in rows]
    small_answers = [_small(r.answered) for r in rows]
    hide_all, hide_answers = list(small), [a or b for a, b in zip(small, small_answers, strict=True)]
    for hidden, size in ((hide_all, "received"), (hide_answers, "answered")):
        if sum(hidden) == 1:
            others = [(getattr(r, size), i) for i, r in enumerate(rows) if not hidden[i] and getattr(r, size) > 0]
            if others:
                i = min(others)[1]
                hidden[i] = hide_answers[i] = True
    public = []
    for i, r in enumerate(rows):
        values: dict[str, Any] = r.model_dump(include={"received", *_ANSWER_FIGURES})
        if hide_answers[i]:
            values |= dict.fromkeys(_ANSWER_FIGURES)
        if hide_all[i]:
            values["received"] = None
        reason = None
        if small[i] or small_answers[i]:
            reason = "fewer_than_min_cell"
        elif hide_all[i] or hide_answers[i]:
            reason = "protects_another_cell"
        public.append({**values, "withheld": reason})
    return public


def _public_period(key: Literal["year", "last_12_months"], report: KpiReport) -> PublicPeriod:
    totals = _withhold([report.totals])[0]
    return PublicPeriod(
        key=key, period_from=report.period_from, period_to=report.period_to, totals=PublicFigures(**totals),
        kinds=[PublicGroup(key=r.key, label=r.label, **v) for r, v in zip(report.kinds, _withhold(report.kinds),
                                                                           strict=True)],
        departments=[PublicGroup(key=r.key, label=r.label, **v)
                     for r, v in zip(report.departments, _withhold(report.departments), strict=True)],
        months=[PublicMonth(month=r.month, **v) for r, v in zip(report.months, _withhold(report.months),
                                                                strict=True)])


def public_statistics(session: Session, *, today: date | None = None, locale: str = "pt") -> PublicStatistics:
    """This calendar year to date, and the last 12 months (this month to date and the 11 before it).

    The twelve months always include 1 January, so the cases are read once and the year is a part of them."""
    today = today or clock.local_date(utcnow())
    twelve_from, year_from = clock.add_months(date(today.year, today.month, 1), -11), date(today.year, 1, 1)
    where = _conditions(session, KpiQuery(), None)
    cases = _fetch(session, where, twelve_from, today, today)
    backlog, names = _backlog(session, where, today, today, locale), _department_names(session, locale)
    year = cases.subset(cases.received >= midnight(year_from).timestamp())
    return PublicStatistics(generated_on=today, periods=[
        _public_period("year", _report(year, KpiQuery(), year_from, today, today, backlog, names, locale)),
        _public_period("last_12_months", _report(cases, KpiQuery(), twelve_from, today, today, backlog, names,
                                                 locale))])
