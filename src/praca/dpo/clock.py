"""The legal clock of GDPR Art. 12(3): answer within one month of receipt, extendable by two more.

Periods are counted as EU law counts them (Regulation 1182/71, Art. 3): the day of receipt is not
counted; a period of months ends on the same day-number in the last month, or on that month's last
day if it has none (31 January + 1 month = 28/29 February); and a period whose last day is a
Saturday, Sunday or public holiday ends on the next working day. Public holidays are Portugal's
national ones plus the municipal holiday of the city's district capital (Porto: São João, 24 June),
from the `holidays` library; an extension is counted again from receipt, never from a rolled date.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

CITY_TZ = ZoneInfo("Europe/Lisbon")
BASE_MONTHS = 1
MAX_EXTENSION_MONTHS = 2


def local_date(moment: datetime) -> date:
    """The calendar day in the city on which something happened (receipt is a local-time fact)."""
    return moment.astimezone(CITY_TZ).date()


def add_months(start: date, months: int) -> date:
    """Same day-number `months` later, or the last day of that month if it has no such day."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@lru_cache(maxsize=8)
def public_holidays(subdivision: str | None) -> holidays.HolidayBase:
    """Portugal's holidays, with the district's municipal holiday when `subdivision` names one ("13": Porto)."""
    return holidays.country_holidays("PT", subdiv=subdivision or None)


def is_working_day(day: date, subdivision: str | None) -> bool:
    return day.weekday() < 5 and day not in public_holidays(subdivision)


def next_working_day(day: date, subdivision: str | None) -> date:
    """`day` itself if it is a working day, otherwise the first working day after it."""
    while not is_working_day(day, subdivision):
        day += timedelta(days=1)
    return day


def due_date(received: date, subdivision: str | None, extension_months: int = 0) -> date:
    """The last day to answer a request received on `received`, with any extension granted."""
    if not 0 <= extension_months <= MAX_EXTENSION_MONTHS:
        raise ValueError(f"an extension is 0 to {MAX_EXTENSION_MONTHS} months, not {extension_months}")
    return next_working_day(add_months(received, BASE_MONTHS + extension_months), subdivision)


def days_left(due: date, today: date) -> int:
    """Calendar days until the due date: 0 on the day itself, negative once overdue."""
    return (due - today).days
