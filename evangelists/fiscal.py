"""Japan's fiscal year (年度): April to March, in the programme's clock.

The fiscal year is named by the Western year of its April: FY2026 (2026年度) runs from
2026-04-01 to 2027-03-31, Japan time. A moment belongs to the fiscal year of the Japanese
day it falls on, so 2026-03-31 15:00 UTC (00:00 on 1 April in Japan) is FY2026.

Its era year (令和8年度) is the era in force at the end of the calendar year the fiscal
year starts in: FY2019 began under 平成 on 1 April 2019 but is officially 令和元年度, the
era that took over on 1 May; FY1988 is 昭和63年度. Plain Python, no framework.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime

from evangelists.calendar import day_in_japan, japanese_era, start_of_day_in_japan

FIRST_MONTH = 4  # April
# The fiscal years a filter accepts: from the first of the 令和 era's neighbours to far
# enough ahead; anything else is a typing error.
EARLIEST = 2000
LATEST = 2100


def fiscal_year(day: date) -> int:
    """The fiscal year of a Japanese calendar ``day``: 2026-03-31 is 2025, 2026-04-01 2026."""
    return day.year if day.month >= FIRST_MONTH else day.year - 1


def fiscal_year_of_moment(moment: datetime) -> int:
    """The fiscal year of an aware ``moment``, by the Japanese day it falls on."""
    return fiscal_year(day_in_japan(moment))


def first_day(year: int) -> date:
    """1 April of fiscal ``year``."""
    return date(year, FIRST_MONTH, 1)


def end_day(year: int) -> date:
    """The day after fiscal ``year`` ends (1 April of the next): the bound is exclusive."""
    return date(year + 1, FIRST_MONTH, 1)


def bounds(year: int) -> tuple[date, date]:
    """``[first day, first day of the next)`` of fiscal ``year``, as Japanese days."""
    return first_day(year), end_day(year)


def moment_bounds(year: int) -> tuple[datetime, datetime]:
    """``[start, end)`` of fiscal ``year`` as aware UTC moments: JST midnight of 1 April,
    and of the next 1 April (15:00 UTC the day before)."""
    return start_of_day_in_japan(first_day(year)), start_of_day_in_japan(end_day(year))


def months(year: int) -> list[date]:
    """The first days of the twelve months of fiscal ``year``, April first."""
    return [date(year + (m < FIRST_MONTH), m, 1) for m in (*range(FIRST_MONTH, 13), *range(1, FIRST_MONTH))]


def era(year: int) -> tuple[str, str, int] | None:
    """``(era name, its romanisation, year of the era)`` of fiscal ``year``: 2026 is
    ``("令和", "Reiwa", 8)``, 2019 ``("令和", "Reiwa", 1)``, 1988 ``("昭和", "Showa", 63)``.
    None before the Gregorian calendar (1873)."""
    return japanese_era(date(year, 12, 31))


def era_year(year: int) -> str:
    """The era year as officials write it, without 度: "令和8年", "令和元年"; "" if none."""
    found = era(year)
    if found is None:
        return ""
    name, _romaji, n = found
    return f"{name}{'元' if n == 1 else n}年"


def per_fiscal_year(by_month: Mapping[tuple[int, int], int]) -> dict[int, int]:
    """Counts per (year, month) folded into counts per fiscal year (what a GROUP BY on
    the year and month of a date gives, turned into 年度)."""
    out: dict[int, int] = {}
    for (y, m), n in by_month.items():
        key = fiscal_year(date(y, m, 1))
        out[key] = out.get(key, 0) + n
    return out


def span(years: Iterable[int], until: int) -> list[int]:
    """Every fiscal year from the earliest of ``years`` to ``until`` (or the latest of
    ``years`` if later), none skipped, oldest first; just ``[until]`` when ``years`` is
    empty."""
    present = list(years)
    start = min([*present, until])
    end = max([*present, until])
    return list(range(start, end + 1))


def parse(text: str | None) -> int | None:
    """A fiscal year typed into a filter, as its Western year ("2026", or "FY2026"), or
    None when it is not one between EARLIEST and LATEST. Only ASCII digits."""
    if text is None:
        return None
    value = text.strip()
    if value[:2].upper() == "FY":
        value = value[2:]
    if not (len(value) == 4 and value.isascii() and value.isdigit()):
        return None
    year = int(value)
    return year if EARLIEST <= year <= LATEST else None
