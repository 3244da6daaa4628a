"""Japan's working days, for reminders that count them ("within two working days").

A working day is a weekday that is neither a national holiday (``jpholiday``: the
holidays by law, substitute holidays 振替休日 and the "sandwiched" days 国民の休日
included) nor part of the government's year-end closure, 29 December to 3 January
(行政機関の休日に関する法律, art. 1). Plain dates only; no clock is read here.

Counting: ``working_days_between(a, b)`` counts the working days after ``a`` up to and
including ``b``, so a request received on a Friday before a Monday holiday has had one
working day by Tuesday evening. ``working_deadline`` moves a moment forward by whole
working days, keeping its time of day: the clock of "n working days" runs only on
working days.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import jpholiday

from evangelists.calendar import PROGRAMME_ZONE

ONE_DAY = timedelta(days=1)


def is_year_end_closure(day: date) -> bool:
    """Whether ``day`` falls in the government's year-end closure (12/29 to 1/3)."""
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a working day in Japan (see the module's docstring)."""
    return day.weekday() < 5 and not is_year_end_closure(day) and not jpholiday.is_holiday(day)


def next_working_day(day: date) -> date:
    """``day`` itself if it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += ONE_DAY
    return day


def add_working_days(day: date, n: int) -> date:
    """The ``n``-th working day after ``day`` (``day`` itself is not counted, whatever it
    is); ``n`` = 0 gives ``day``. A negative ``n`` counts back: the ``|n|``-th working
    day before ``day``."""
    step = ONE_DAY if n >= 0 else -ONE_DAY
    left = abs(n)
    while left:
        day += step
        if is_working_day(day):
            left -= 1
    return day


def working_days_between(start_day: date, end_day: date) -> int:
    """How many working days come after ``start_day`` up to and including ``end_day``;
    negative (the same count) when ``end_day`` is before ``start_day``, 0 when equal."""
    if end_day < start_day:
        return -working_days_between(end_day, start_day)
    count, day = 0, start_day
    while day < end_day:
        day += ONE_DAY
        count += is_working_day(day)
    return count


def working_deadline(moment: datetime, n: int) -> datetime:
    """The moment (aware, in Japan's zone) at which ``n`` working days have passed since
    the aware ``moment``: the same time of day on the ``n``-th working day after it. A
    moment on a day off starts the clock at 00:00 of the next working day (received on a
    Saturday, two working days have passed at Wednesday 00:00: all of Monday and Tuesday)."""
    local = moment.astimezone(PROGRAMME_ZONE)
    if not is_working_day(local.date()):
        local = datetime.combine(next_working_day(local.date()), time.min, tzinfo=PROGRAMME_ZONE)
    if n <= 0:
        return local
    day = add_working_days(local.date(), n)
    return datetime.combine(day, local.time(), tzinfo=PROGRAMME_ZONE)
