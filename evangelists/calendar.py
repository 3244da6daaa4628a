"""The programme's clock: Japan's. Every "today" and "now" of the app comes from here,
never from the server's own zone (a server in UTC is a day behind Japan from 00:00 to
09:00 JST). The zone is defined here and nowhere else (tests/test_one_clock.py holds it).

Every function takes ``now`` (an aware datetime) so that a caller, or a test, can pass
a clock; without it they read :func:`utc_now`, the one place the system clock is read.
Services do not read the clock for dates: the web layer and the CLI pass them
``today_in_japan()``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

# The IANA key (config's BABEL_DEFAULT_TIMEZONE reads it) and the zone itself.
PROGRAMME_ZONE_KEY = "Asia/Tokyo"
PROGRAMME_ZONE = ZoneInfo(PROGRAMME_ZONE_KEY)


def utc_now() -> datetime:
    """This moment, aware, in UTC. The only reading of the system clock."""
    return datetime.now(UTC)


def now_in_japan(now: datetime | None = None) -> datetime:
    """``now`` (an aware datetime; default: this moment) as Japan's local time, aware."""
    return (now or utc_now()).astimezone(PROGRAMME_ZONE)


def today_in_japan(now: datetime | None = None) -> date:
    """The date in Japan at ``now`` (an aware datetime; default: this moment)."""
    return now_in_japan(now).date()


def day_in_japan(moment: datetime) -> date:
    """The Japanese calendar day an aware ``moment`` falls on."""
    return moment.astimezone(PROGRAMME_ZONE).date()


def start_of_day_in_japan(day: date) -> datetime:
    """The moment (aware, in UTC) the Japanese day ``day`` begins."""
    return datetime.combine(day, time.min, tzinfo=PROGRAMME_ZONE).astimezone(UTC)


# Japan's eras (元号): the first day of each, newest first, and the Western year its
# year 1 is. 明治 (year 1 = 1868) is mapped from 1873-01-01, when Japan took up the
# Gregorian calendar (earlier dates are lunisolar).
ERAS: tuple[tuple[date, int, str, str], ...] = (
    (date(2019, 5, 1), 2019, "令和", "Reiwa"),
    (date(1989, 1, 8), 1989, "平成", "Heisei"),
    (date(1926, 12, 25), 1926, "昭和", "Showa"),
    (date(1912, 7, 30), 1912, "大正", "Taisho"),
    (date(1873, 1, 1), 1868, "明治", "Meiji"),
)


def japanese_era(day: date) -> tuple[str, str, int] | None:
    """``(era name, its romanisation, year of the era)`` of ``day``: 2026-12-03 is
    ``("令和", "Reiwa", 8)``, 2019-04-30 ``("平成", "Heisei", 31)``. The first year of an
    era is 1 (written 元年). None before 1873 (no Gregorian date to map)."""
    for first, year_one, name, romaji in ERAS:
        if day >= first:
            return name, romaji, day.year - year_one + 1
    return None


def japanese_era_year(day: date) -> str:
    """The era and year of ``day`` as officials write them: "令和8年", "令和元年" for the
    first year; "" before 1873."""
    era = japanese_era(day)
    if era is None:
        return ""
    name, _romaji, year = era
    return f"{name}{'元' if year == 1 else year}年"
