"""The legal clock: GDPR Art. 12(3) periods counted by Regulation 1182/71, Portuguese and Porto holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from praca.dpo import clock

PORTO = "13"


@pytest.mark.parametrize(("received", "due"), [
    (date(2026, 3, 10), date(2026, 4, 10)),  # same day-number next month (a Friday)
    (date(2026, 1, 31), date(2026, 3, 2)),  # no 31 February: 28 Feb, a Saturday → Monday 2 March
    (date(2027, 1, 31), date(2027, 3, 1)),  # 28 Feb 2027 is a Sunday → Monday 1 March
    (date(2027, 12, 31), date(2028, 1, 31)),  # across a year end (a Monday)
])
def test_one_month_from_receipt(received, due):
    assert clock.due_date(received, PORTO) == due


def test_month_without_the_day_number_ends_on_its_last_day():
    assert clock.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert clock.add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)  # leap year
    assert clock.add_months(date(2026, 3, 31), 1) == date(2026, 4, 30)
    assert clock.add_months(date(2026, 8, 31), 1) == date(2026, 9, 30)
    assert clock.add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)  # across a year end
    assert clock.add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)


def test_leap_day_receipt():
    assert clock.add_months(date(2028, 2, 29), 1) == date(2028, 3, 29)
    assert clock.due_date(date(2028, 1, 31), PORTO) == date(2028, 2, 29)  # a Tuesday


def test_a_period_ending_on_a_weekend_ends_on_the_next_monday():
    assert date(2026, 4, 11).weekday() == 5  # Saturday
    assert clock.due_date(date(2026, 3, 11), PORTO) == date(2026, 4, 13)
    assert clock.due_date(date(2026, 3, 12), PORTO) == date(2026, 4, 13)  # Sunday → Monday


def test_national_holidays_move_the_end():
    # 1 May 2026 (Labour Day, a Friday) → Monday 4 May.
    assert clock.due_date(date(2026, 4, 1), PORTO) == date(2026, 5, 4)
    # 25 April 2027 is a Sunday anyway; 10 June 2026 (Portugal Day, Wednesday) → Thursday 11 June.
    assert clock.due_date(date(2026, 5, 10), PORTO) == date(2026, 6, 11)
    # Christmas 2026 is a Friday → Monday 28 December.
    assert clock.due_date(date(2026, 11, 25), PORTO) == date(2026, 12, 28)
    # Good Friday 2027 (26 March) → Monday 29 March.
    assert clock.due_date(date(2027, 2, 26), PORTO) == date(2027, 3, 29)


def test_porto_municipal_holiday_24_june_counts_only_in_porto():
    # 24 June 2026 is a Wednesday: São João in Porto, a working day in Lisbon (district 11).
    assert clock.due_date(date(2026, 5, 24), PORTO) == date(2026, 6, 25)
    assert clock.due_date(date(2026, 5, 24), "11") == date(2026, 6, 24)
    assert clock.due_date(date(2026, 5, 24), None) == date(2026, 6, 24)


def test_holidays_in_a_row_with_a_weekend():
    # 4 June 2026 Corpus Christi (Thu); 5 June is a working Friday.
    assert clock.due_date(date(2026, 5, 4), PORTO) == date(2026, 6, 5)
    # 8 Dec 2029 is a Saturday; 1 Dec 2029 Saturday too: 1 Nov 2029 + 1 month = 1 Dec (Sat) → Mon 3 Dec.
    assert clock.due_date(date(2029, 11, 1), PORTO) == date(2029, 12, 3)


@pytest.mark.parametrize(("months", "due"), [
    (0, date(2026, 2, 27)),  # 27 Feb 2026 is a Friday
    (1, date(2026, 3, 27)),
    (2, date(2026, 4, 27)),
])
def test_extensions_count_from_receipt_not_from_the_rolled_date(months, due):
    assert clock.due_date(date(2026, 1, 27), PORTO, extension_months=months) == due


def test_an_extension_of_31_january_counts_months_from_receipt():
    # 31 Jan + 3 months = 30 April (Thursday); not 28 Feb/2 March + 2 months.
    assert clock.due_date(date(2026, 1, 31), PORTO, extension_months=2) == date(2026, 4, 30)


@pytest.mark.parametrize("months", [-1, 3])
def test_extensions_are_at_most_two_months(months):
    with pytest.raises(ValueError, match="0 to 2"):
        clock.due_date(date(2026, 1, 1), PORTO, extension_months=months)


def test_receipt_is_a_lisbon_calendar_day():
    # 23:30 UTC on 31 March 2026 is 00:30 on 1 April in Lisbon (summer time).
    assert clock.local_date(datetime(2026, 3, 31, 23, 30, tzinfo=UTC)) == date(2026, 4, 1)
    assert clock.local_date(datetime(2026, 1, 31, 23, 30, tzinfo=UTC)) == date(2026, 1, 31)  # winter: UTC+0


def test_days_left():
    assert clock.days_left(date(2026, 5, 4), date(2026, 5, 4)) == 0
    assert clock.days_left(date(2026, 5, 4), date(2026, 5, 1)) == 3
    assert clock.days_left(date(2026, 5, 4), date(2026, 5, 6)) == -2
