"""Japan's working days: weekends, national holidays and the year-end closure are off."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from evangelists.calendar import PROGRAMME_ZONE
from evangelists.workdays import (
    add_working_days,
    is_working_day,
    is_year_end_closure,
    next_working_day,
    working_days_between,
    working_deadline,
)

days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


def jst(*args) -> datetime:
    return datetime(*args, tzinfo=PROGRAMME_ZONE)


def test_weekdays_are_working_days_and_weekends_are_not():
    assert is_working_day(date(2026, 12, 3))  # a Thursday
    assert not is_working_day(date(2026, 12, 5)) and not is_working_day(date(2026, 12, 6))


def test_national_holidays_substitute_holidays_and_sandwiched_days_are_off():
    assert not is_working_day(date(2026, 11, 23))  # 勤労感謝の日, a Monday
    assert not is_working_day(date(2026, 5, 6))  # 振替休日 (憲法記念日 fell on a Sunday)
    # The 2026 "silver week": 敬老の日, the day between (国民の休日), 秋分の日.
    assert [is_working_day(date(2026, 9, d)) for d in range(18, 25)] == [
        True, False, False, False, False, False, True]


def test_the_year_end_closure_is_off_on_weekdays_too():
    closure = [date(2026, 12, 29) + timedelta(days=i) for i in range(6)]
    assert closure[-1] == date(2027, 1, 3)
    assert all(is_year_end_closure(d) and not is_working_day(d) for d in closure)
    assert is_working_day(date(2026, 12, 28)) and is_working_day(date(2027, 1, 4))
    assert not is_year_end_closure(date(2026, 12, 28)) and not is_year_end_closure(date(2027, 1, 4))


def test_adding_working_days_skips_weekends_holidays_and_the_closure():
    assert add_working_days(date(2026, 12, 3), 2) == date(2026, 12, 7)  # Thu -> Mon
    assert add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 24)  # Fri before a Monday holiday
    assert add_working_days(date(2026, 9, 18), 1) == date(2026, 9, 24)  # across the silver week
    assert add_working_days(date(2026, 12, 28), 1) == date(2027, 1, 4)  # across the closure
    assert add_working_days(date(2026, 12, 5), 1) == date(2026, 12, 7)  # from a Saturday
    assert add_working_days(date(2026, 12, 7), -1) == date(2026, 12, 4)
    assert add_working_days(date(2026, 12, 5), 0) == date(2026, 12, 5)


def test_counting_working_days_between_two_dates():
    assert working_days_between(date(2026, 11, 20), date(2026, 11, 24)) == 1
    assert working_days_between(date(2026, 12, 25), date(2027, 1, 5)) == 3  # 12/28, 1/4, 1/5
    assert working_days_between(date(2027, 1, 5), date(2026, 12, 25)) == -3
    assert working_days_between(date(2026, 12, 5), date(2026, 12, 6)) == 0


def test_a_deadline_keeps_the_time_of_day_and_a_day_off_starts_the_clock_next_working_morning():
    assert working_deadline(jst(2026, 11, 20, 14, 0), 2) == jst(2026, 11, 25, 14, 0)
    assert working_deadline(jst(2026, 12, 5, 10, 0), 2) == jst(2026, 12, 9, 0, 0)  # a Saturday
    assert working_deadline(jst(2026, 12, 28, 9, 0), 1) == jst(2027, 1, 4, 9, 0)
    # An aware UTC moment is read in Japan's zone: 2026-12-04 16:00 UTC is Saturday 01:00.
    assert working_deadline(datetime(2026, 12, 4, 16, 0, tzinfo=UTC), 1) == jst(2026, 12, 8, 0, 0)


@settings(max_examples=200, deadline=None)
@given(day=days, n=st.integers(min_value=1, max_value=40))
def test_the_nth_working_day_after_is_a_working_day_n_working_days_later(day, n):
    later = add_working_days(day, n)
    assert later > day and is_working_day(later)
    assert working_days_between(day, later) == n
    assert working_days_between(day, later - timedelta(days=1)) == n - 1
    assert add_working_days(later, -n) == (day if is_working_day(day) else add_working_days(next_working_day(day), -1))


@settings(max_examples=200, deadline=None)
@given(start=days, length=st.integers(min_value=0, max_value=60), split=st.integers(min_value=0, max_value=60))
def test_counts_add_up_and_never_exceed_the_days(start, length, split):
    end = start + timedelta(days=length)
    middle = start + timedelta(days=min(split, length))
    count = working_days_between(start, end)
    assert 0 <= count <= length
    assert count == working_days_between(start, middle) + working_days_between(middle, end)
    assert count == sum(is_working_day(start + timedelta(days=i)) for i in range(1, length + 1))


@settings(max_examples=200, deadline=None)
@given(day=days, minutes=st.integers(min_value=0, max_value=24 * 60 - 1), n=st.integers(min_value=1, max_value=15))
def test_a_deadline_falls_on_a_working_day_after_n_working_days(day, minutes, n):
    moment = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=PROGRAMME_ZONE)
    deadline = working_deadline(moment, n)
    assert deadline > moment and is_working_day(deadline.date())
    start = day if is_working_day(day) else next_working_day(day)
    assert working_days_between(start, deadline.date()) == n
