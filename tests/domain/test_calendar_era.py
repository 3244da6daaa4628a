"""Japan's eras, computed in the core (evangelists/calendar.py)."""

from datetime import date

import pytest

from evangelists.calendar import japanese_era, japanese_era_year


@pytest.mark.parametrize(("day", "expected"), [
    (date(2026, 12, 3), ("令和", "Reiwa", 8)),
    (date(2019, 5, 1), ("令和", "Reiwa", 1)),
    (date(2019, 4, 30), ("平成", "Heisei", 31)),
    (date(1989, 1, 8), ("平成", "Heisei", 1)),
    (date(1989, 1, 7), ("昭和", "Showa", 64)),
    (date(1926, 12, 25), ("昭和", "Showa", 1)),
    (date(1926, 12, 24), ("大正", "Taisho", 15)),
    (date(1912, 7, 29), ("明治", "Meiji", 45)),
    (date(1868, 1, 1), None),
])
def test_era_of_a_day(day, expected):
    assert japanese_era(day) == expected


def test_era_year_as_written():
    assert japanese_era_year(date(2026, 12, 3)) == "令和8年"
    assert japanese_era_year(date(2019, 5, 1)) == "令和元年"
    assert japanese_era_year(date(2019, 4, 30)) == "平成31年"
    assert japanese_era_year(date(1800, 1, 1)) == ""
