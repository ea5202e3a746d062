"""A chart of one column as people read it: a title, labelled rows, and an inline SVG of horizontal bars.

The SVG is drawn here, server-side, so the chart needs no library and no script (the page's CSP allows
none inline anyway). It is `role="img"` with a title; the same numbers are in a table beside it, which is
its text alternative.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from praca.core.i18n import _
from praca.opendata.portal_view import fmt_date, fmt_int, fmt_num
from praca.opendata.preview import GEOMETRY, NUMBER, TEXT, TIME, Chart, Column

N_ = str  # marks a message for extraction; translated where it is shown

UNITS = {"hour": N_("hour"), "day": N_("day"), "week": N_("week"), "month": N_("month"), "year": N_("year")}

WIDTH = 720
LABEL_WIDTH = 210  # the label column, left
VALUE_WIDTH = 90  # the value column, right
ROW = 26
BAR = 18
LABEL_CHARS = 30


@dataclass(frozen=True)
class Row:
    label: str
    value: str
    rows: str


@dataclass(frozen=True)
class SvgBar:
    y: float
    x: float
    width: float
    label: str  # shortened to fit; the table has it whole
    value: str


@dataclass(frozen=True)
class ChartView:
    title: str
    key_heading: str
    value_heading: str
    show_rows: bool  # a mean's table also says how many rows each mean covers
    rows: list[Row]
    notes: list[str]
    bars: list[SvgBar]
    height: int
    width: int = WIDTH
    zero_x: float = LABEL_WIDTH


def _shape(col: Column) -> bool:
    """A GeoJSON upload's shapes (GeoJSON text, one per row): drawn on the map, never counted."""
    return col.id == GEOMETRY and col.type == "VARCHAR"


def chartable(cols: list[Column]) -> list[Column]:
    return [c for c in cols if c.kind in (NUMBER, TIME, TEXT) and not _shape(c)]


def group_columns(cols: list[Column]) -> list[Column]:
    """Columns a number can be shown by: categories and times."""
    return [c for c in cols if c.kind in (TEXT, TIME) and not _shape(c)]


def _key_label(chart: Chart, key: object) -> str:
    if chart.kind == "histogram":
        low, high = key  # type: ignore[misc]
        return f"{fmt_num(low)} – {fmt_num(high)}"
    if chart.kind == "values":
        return fmt_num(key)  # type: ignore[arg-type]
    if chart.kind in ("by_time", "count_by_time"):
        return _period(key, chart.unit or "day")  # type: ignore[arg-type]
    return str(key)


def _period(key: date | datetime, unit: str) -> str:
    if unit == "hour" and isinstance(key, datetime):  # wall time already (Lisbon for instants)
        return f"{fmt_date(key.date(), 'medium')} {key:%H:%M}"
    day = key.date() if isinstance(key, datetime) else key
    if unit == "week":
        return _("Week of %(day)s") % {"day": fmt_date(day, "medium")}
    if unit == "month":
        return fmt_date(day, "LLLL y")
    if unit == "year":
        return str(day.year)
    return fmt_date(day, "medium")


def _title(chart: Chart) -> tuple[str, str, str]:
    """(title, key column heading, value column heading)."""
    col = chart.column.id
    if chart.kind == "histogram":
        return (_("Distribution of %(column)s") % {"column": col},
                _("%(column)s (from – to)") % {"column": col}, _("Rows"))
    if chart.kind == "values":
        return _("Distribution of %(column)s") % {"column": col}, col, _("Rows")
    if chart.kind == "top":
        return (_("The %(n)s most frequent values of %(column)s") % {"n": len(chart.bars) or 10, "column": col},
                col, _("Rows"))
    if chart.kind == "by_category":
        by = chart.by.id if chart.by else ""
        return (_("Mean of %(column)s by %(by)s") % {"column": col, "by": by}, by,
                _("Mean of %(column)s") % {"column": col})
    unit = _(UNITS.get(chart.unit or "day", "day"))
    by = chart.by.id if chart.by else col
    if chart.kind == "count_by_time":
        return (_("Rows per %(unit)s of %(column)s") % {"unit": unit, "column": col}, unit.capitalize(), _("Rows"))
    return (_("Mean of %(column)s per %(unit)s of %(by)s") % {"column": col, "unit": unit, "by": by},
            unit.capitalize(), _("Mean of %(column)s") % {"column": col})


def _notes(chart: Chart) -> list[str]:
    notes = []
    if chart.kind == "histogram":
        notes.append(_("Each bar counts the values from its first number up to, but not including, its second; "
                       "the last bar includes both."))
    if chart.kind in ("by_category", "by_time"):
        notes.append(_("Each bar is the mean of the rows in its group."))
    if chart.others:
        notes.append(_("%(rows)s more rows have other values, not shown.") % {"rows": fmt_int(chart.others)})
    if chart.missing:
        notes.append(_("%(rows)s rows have no value here and are not counted.") % {"rows": fmt_int(chart.missing)})
    return notes


def view(chart: Chart) -> ChartView:
    title, key_heading, value_heading = _title(chart)
    counts = chart.kind in ("histogram", "values", "top", "count_by_time")
    value_text = fmt_int if counts else fmt_num
    rows = [Row(_key_label(chart, bar.key), value_text(bar.value), fmt_int(bar.rows)) for bar in chart.bars]
    values = [bar.value for bar in chart.bars]
    low, high = min([0.0, *values]), max([0.0, *values])
    span = (high - low) or 1.0
    area = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 10
    zero = LABEL_WIDTH + (0 - low) / span * area
    bars = []
    for i, (bar, row) in enumerate(zip(chart.bars, rows, strict=True)):
        end = LABEL_WIDTH + (bar.value - low) / span * area
        label = row.label if len(row.label) <= LABEL_CHARS else row.label[:LABEL_CHARS - 1] + "…"
        bars.append(SvgBar(y=i * ROW + 4, x=round(min(zero, end), 1), width=round(max(abs(end - zero), 1.0), 1),
                           label=label, value=row.value))
    return ChartView(title=title, key_heading=key_heading, value_heading=value_heading, show_rows=not counts,
                     rows=rows, notes=_notes(chart), bars=bars, height=max(len(bars), 1) * ROW + 8,
                     zero_x=round(zero, 1))
