"""The DPO desk's figures as pages: the staff KPIs (with a CSV) and the public statistics.

Charts are inline SVG drawn on the server (no chart library, no JavaScript): each has a text
alternative and sits above a table with the same numbers, so a screen-reader user, a keyboard user
and someone printing the page all get every figure. Numbers are written the reader's way ("2,4 dias").
"""

from __future__ import annotations

import csv
import io
import math
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal, format_percent
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from praca.core import web
from praca.core.auth import AnyStaff, Department, Role, User
from praca.core.db import DbSession, utcnow
from praca.core.errors import InvalidInput
from praca.core.i18n import Locale, _
from praca.dpo import clock, kpis
from praca.dpo.forms import FieldError, parse
from praca.dpo.kpis import KpiQuery, KpiReport, PublicStatistics
from praca.dpo.labels import KIND_LABELS, N_
from praca.dpo.models import CaseKind

router = APIRouter(include_in_schema=False)

FILTER_FIELDS = ("from", "to", "kind", "department")
FILTER_MESSAGES = {
    "from": N_("Enter the first day as a date from 2000 to 2100, on or before the last day."),
    "to": N_("Enter the last day as a date from 2000 to 2100, on or after the first day."),
    "kind": N_("Choose one of the kinds offered, or all."),
    "department": N_("Choose one of the departments offered, or all."),
}
UNKNOWN_DEPARTMENT = FILTER_MESSAGES["department"]
PUBLIC_CACHE_S = 300.0  # the public figures change slowly; an anonymous page must not cost a year's query each


# --- numbers the reader's way ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Numbers:
    """Formats figures for one locale: Portugal's decimal comma, England's point; a dash when there is none."""

    locale: str

    @property
    def _babel(self) -> str:
        return _babel_locale(self.locale)

    def count(self, value: int | None) -> str:
        return "—" if value is None else format_decimal(value, locale=self._babel)

    def decimal(self, value: float | None) -> str:
        return "—" if value is None else format_decimal(value, "#,##0.0", locale=self._babel)

    def days(self, value: float | None) -> str:
        return "—" if value is None else _("%(days)s days") % {"days": self.decimal(value)}

    def pct(self, value: float | None) -> str:
        return "—" if value is None else format_percent(value / 100, "#,##0.0%", locale=self._babel)


def _babel_locale(locale: str) -> str:
    return "pt_PT" if locale == "pt" else "en_GB"


def month_name(month: str, locale: str, width: str = "abbreviated", *, with_year: bool = False) -> str:
    """'2026-03' as 'mar.' / 'Mar' on a chart's axis (with the year in January or when asked),
    'março de 2026' / 'March 2026' in a table."""
    year, number = map(int, month.split("-"))
    day = date(year, number, 1)
    if width == "abbreviated":
        return format_date(day, "MMM y" if number == 1 or with_year else "MMM", locale=_babel_locale(locale))
    return format_skeleton("yMMMM", day, locale=_babel_locale(locale))


def long_date(day: date, locale: str) -> str:
    return format_date(day, "long", locale=_babel_locale(locale))


# --- charts ----------------------------------------------------------------------------------------------------

@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int
    title: str


@dataclass
class Chart:
    """A bar chart's geometry, in SVG user units; the template only draws it."""

    id: str
    title: str
    description: str
    width: int
    height: int
    bars: list[Bar] = field(default_factory=list)
    ticks: list[tuple[float, str]] = field(default_factory=list)  # (y, label)
    labels: list[tuple[float, str]] = field(default_factory=list)  # (x of the group's centre, label)
    legend: list[str] = field(default_factory=list)
    baseline: float = 0.0
    left: float = 0.0
    right: float = 0.0


def _tick_step(value: float) -> float:
    """A round step (1, 2, 2.5 or 5 × 10ⁿ) that covers value in at most four steps."""
    if value <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(value / 4))
    return next(f * magnitude for f in (1, 2, 2.5, 5, 10) if 4 * f * magnitude >= value)


CHAR_W = 6.2  # roughly, at the charts' 11 px font: enough to keep axis labels from running into each other


def bar_chart(chart_id: str, title: str, description: str, categories: list[str], series: list[str],
              values: list[list[float | None]], fmt: Any, numbers: Numbers, *, whole: bool = True) -> Chart:
    """Grouped bars: values[s][c] is series s in category c (None: nothing to draw); `whole`: counts,
    so the axis steps by whole numbers."""
    left, top, bottom, right = 48.0, 12.0, 28.0, 8.0
    group_w = max(28.0, min(120.0, 640.0 / max(1, len(categories))))
    width = int(left + right + group_w * len(categories))
    height = 220
    plot_h = height - top - bottom
    step = _tick_step(max((v for row in values for v in row if v is not None), default=0.0))
    if whole:
        step = float(max(1, math.ceil(step)))
    top_value = step * 4
    chart = Chart(chart_id, title, description, width, height, legend=series, baseline=height - bottom,
                  left=left, right=width - right)
    for i in range(5):
        label = numbers.count(round(step * i)) if step == int(step) else numbers.decimal(step * i)
        chart.ticks.append((height - bottom - i * plot_h / 4, label))
    # Every k-th category is labelled when the labels would not fit side by side.
    mean_chars = sum(map(len, categories)) / max(1, len(categories))
    every = max(1, math.ceil((mean_chars * CHAR_W + 6) / group_w))
    bar_w = (group_w - 8) / max(1, len(series))
    for c, category in enumerate(categories):
        x0 = left + c * group_w + 4
        if c % every == 0:
            chart.labels.append((x0 + (group_w - 8) / 2, category))
        for s, name in enumerate(series):
            value = values[s][c]
            if value is None:
                continue
            h = plot_h * value / top_value
            chart.bars.append(Bar(x0 + s * bar_w, height - bottom - h, max(bar_w - 2, 1), h, s,
                                  f"{category}, {name}: {fmt(value)}"))
    return chart


# --- the staff page --------------------------------------------------------------------------------------------

def _filter_values(request: Request) -> dict[str, str]:
    return {name: request.query_params.get(name, "") for name in FILTER_FIELDS}


def _departments(session: Session, user: User, locale: str) -> list[tuple[str, str]]:
    """The department filter's choices: a liaison has only their own."""
    stmt = select(Department.slug, Department.name_pt, Department.name_en)
    if user.role == Role.LIAISON:
        stmt = stmt.where(Department.id == user.department_id)
    rows = [(slug, pt if locale == "pt" else en) for slug, pt, en in session.execute(stmt).all()]
    choices = sorted(rows, key=lambda r: r[1].casefold())
    if user.role != Role.LIAISON:
        choices.append((kpis.NO_DEPARTMENT, _(kpis.NO_DEPARTMENT_LABEL)))
    return choices


def _staff_report(request: Request, session: Session, user: User, locale: str
                  ) -> tuple[KpiReport | None, list[FieldError], dict[str, str]]:
    """The figures the filter asks for, as this user may see them; or the filter's errors."""
    values = _filter_values(request)
    query, errors = parse(KpiQuery, dict(values), FILTER_MESSAGES)
    report = None
    if query is not None:
        try:
            report = kpis.compute(session, query, user=user, locale=locale)
        except InvalidInput:
            errors = [FieldError("department", _(UNKNOWN_DEPARTMENT))]
    return report, errors, values


def _trend_charts(report_months: list[Any], locale: str, numbers: Numbers, prefix: str) -> list[Chart]:
    months = [month_name(m.month, locale, with_year=i == 0) for i, m in enumerate(report_months)]
    received = [m.received for m in report_months]
    answered = [m.answered for m in report_months]
    busiest = max(report_months, key=lambda m: m.received or 0, default=None)
    summary = _("Cases received and answered per month.")
    if busiest is not None and busiest.received:
        summary += " " + _("The busiest month was %(month)s, with %(count)s cases received.") % {
            "month": month_name(busiest.month, locale, "wide"), "count": numbers.count(busiest.received)}
    summary += " " + _("The table below gives every figure.")
    volume = bar_chart(f"{prefix}-volume", _("Cases per month"), summary, months, [_("Received"), _("Answered")],
                       [received, answered], numbers.count, numbers)
    means = [m.mean_days for m in report_months]
    slowest = max((m for m in report_months if m.mean_days is not None), key=lambda m: m.mean_days, default=None)
    summary = _("Mean days from receipt to the first answer, per month.")
    if slowest is not None:
        summary += " " + _("The slowest month was %(month)s, with a mean of %(days)s.") % {
            "month": month_name(slowest.month, locale, "wide"), "days": numbers.days(slowest.mean_days)}
    summary += " " + _("The table below gives every figure.")
    speed = bar_chart(f"{prefix}-days", _("Mean days to the first answer"), summary, months, [_("Mean days")],
                      [means], numbers.days, numbers, whole=False)
    return [volume, speed]


@router.get("/staff/kpis")
def kpi_page(request: Request, session: DbSession, locale: Locale, user: AnyStaff) -> Response:
    report, errors, values = _staff_report(request, session, user, locale)
    numbers = Numbers(locale)
    charts: list[Chart] = []
    if report is not None:
        charts = _trend_charts(report.months, locale, numbers, "trend")
        bands = [b.label for b in report.backlog]
        summary = _("Open cases without an answer on %(day)s, by days since receipt: %(bands)s.") % {
            "day": long_date(report.as_of, locale),
            "bands": "; ".join(f"{b.label}: {numbers.count(b.open)}" for b in report.backlog)}
        charts.append(bar_chart("backlog", _("Backlog by age"), summary, bands, [_("Open"), _("Past due")],
                                [[b.open for b in report.backlog], [b.overdue for b in report.backlog]],
                                numbers.count, numbers))
    response = web.render(request, "dpo/staff/kpis.html", {
        "report": report, "errors": errors, "values": values, "n": numbers, "charts": charts,
        "month_label": lambda r: month_name(r.month, locale, "wide"), "group_label": lambda r: r.label,
        "kinds": [(k.value, _(KIND_LABELS.get(k, k.value))) for k in CaseKind],
        "departments": _departments(session, user, locale), "is_liaison": user.role == Role.LIAISON,
        "csv_url": "/staff/kpis.csv" + (f"?{request.url.query}" if request.url.query else ""),
        "fmt_date": lambda d: long_date(d, locale),
    }, status_code=422 if errors else 200)
    return web.no_store(response)


CSV_COLUMNS = ("section", "key", "label", "received", "answered", "mean_days", "median_days", "within_deadline",
               "within_deadline_pct", "overdue_unanswered")


def kpi_csv(report: KpiReport, locale: str) -> str:
    """The monthly trend and the department breakdown as one table, one row per month or department.

    Decimals use a point whatever the language, so spreadsheets and scripts read them as numbers."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    figures = CSV_COLUMNS[3:]

    def row(section: str, key: str, label: str, r: kpis.Figures) -> None:
        data = r.model_dump()
        writer.writerow([section, key, label, *("" if data[f] is None else data[f] for f in figures)])

    for m in report.months:
        row("month", m.month, month_name(m.month, locale, "wide"), m)
    for d in report.departments:
        row("department", d.key, d.label, d)
    row("total", f"{report.period_from.isoformat()}/{report.period_to.isoformat()}", _("All cases"), report.totals)
    return out.getvalue()


@router.get("/staff/kpis.csv")
def kpi_csv_download(request: Request, session: DbSession, locale: Locale, user: AnyStaff) -> Response:
    report, errors, _values = _staff_report(request, session, user, locale)
    if report is None:
        first = errors[0] if errors else FieldError("", "")
        raise InvalidInput(first.message, field=first.field)
    name = f"dpo-kpis-{report.period_from.isoformat()}-{report.period_to.isoformat()}.csv"
    return Response(kpi_csv(report, locale), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


# --- the public page -------------------------------------------------------------------------------------------

def cached_public_statistics(request: Request, session: Session, locale: str) -> PublicStatistics:
    """The public figures, computed at most every few minutes per language and day (per process)."""
    today = clock.local_date(utcnow())
    state = request.app.state
    if not hasattr(state, "dpo_public_statistics"):
        state.dpo_public_statistics = {}
    cache: dict[tuple[str, date], tuple[float, PublicStatistics]] = state.dpo_public_statistics
    hit = cache.get((locale, today))
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    stats = kpis.public_statistics(session, today=today, locale=locale)
    for stale in [key for key in cache if key[1] != today]:  # one entry per language, today's only
        del cache[stale]
    cache[(locale, today)] = (time.monotonic() + PUBLIC_CACHE_S, stats)
    return stats


@router.get("/statistics")
def statistics_page(request: Request, session: DbSession, locale: Locale) -> Response:
    stats = cached_public_statistics(request, session, locale)
    numbers = Numbers(locale)
    year, twelve = stats.periods
    charts = _trend_charts(twelve.months, locale, numbers, "public")
    return web.render(request, "dpo/statistics.html", {
        "stats": stats, "year": year, "twelve": twelve, "n": numbers, "charts": charts,
        "month_label": lambda r: month_name(r.month, locale, "wide"), "group_label": lambda r: r.label,
        "fmt_date": lambda d: long_date(d, locale),
    })
