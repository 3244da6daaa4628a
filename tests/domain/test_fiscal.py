"""Japan's fiscal year (年度) in the core (evangelists/fiscal.py): April to March by the
day in Japan, with the era year officials write."""

from datetime import UTC, date, datetime

import pytest

from evangelists import fiscal


@pytest.mark.parametrize(("day", "year"), [
    (date(2026, 3, 31), 2025),
    (date(2026, 4, 1), 2026),
    (date(2026, 12, 31), 2026),
    (date(2027, 1, 1), 2026),
    (date(2027, 3, 31), 2026),
    (date(2027, 4, 1), 2027),
])
def test_the_fiscal_year_turns_on_the_first_of_april(day, year):
    assert fiscal.fiscal_year(day) == year


def test_a_moment_counts_by_its_day_in_japan():
    # 15:00 UTC on 31 March is midnight on 1 April in Japan.
    assert fiscal.fiscal_year_of_moment(datetime(2026, 3, 31, 14, 59, 59, tzinfo=UTC)) == 2025
    assert fiscal.fiscal_year_of_moment(datetime(2026, 3, 31, 15, 0, tzinfo=UTC)) == 2026
    # The same instant written in Japan's zone.
    assert fiscal.fiscal_year_of_moment(datetime.fromisoformat("2026-04-01T00:00:00+09:00")) == 2026


def test_bounds_are_half_open_at_jst_midnight():
    assert fiscal.bounds(2026) == (date(2026, 4, 1), date(2027, 4, 1))
    start, end = fiscal.moment_bounds(2026)
    assert start == datetime(2026, 3, 31, 15, 0, tzinfo=UTC)
    assert end == datetime(2027, 3, 31, 15, 0, tzinfo=UTC)
    assert fiscal.fiscal_year_of_moment(start) == 2026
    assert fiscal.fiscal_year_of_moment(end) == 2027


def test_the_twelve_months_start_in_april():
    months = fiscal.months(2026)
    assert months[0] == date(2026, 4, 1) and months[8] == date(2026, 12, 1)
    assert months[9] == date(2027, 1, 1) and months[-1] == date(2027, 3, 1)
    assert len(months) == 12 and all(fiscal.fiscal_year(m) == 2026 for m in months)


@pytest.mark.parametrize(("year", "era", "written"), [
    (2026, ("令和", "Reiwa", 8), "令和8年"),
    (2019, ("令和", "Reiwa", 1), "令和元年"),  # began under 平成 on 1 April; officially 令和元年度
    (2018, ("平成", "Heisei", 30), "平成30年"),
    (1989, ("平成", "Heisei", 1), "平成元年"),
    (1988, ("昭和", "Showa", 63), "昭和63年"),
    (1800, None, ""),
])
def test_the_era_year_of_a_fiscal_year(year, era, written):
    assert fiscal.era(year) == era
    assert fiscal.era_year(year) == written


def test_months_fold_into_fiscal_years():
    assert fiscal.per_fiscal_year({(2026, 3, ): 2, (2026, 4): 3, (2027, 3): 1, (2025, 4): 5}) == {2025: 7, 2026: 4}
    assert fiscal.per_fiscal_year({}) == {}


def test_a_span_skips_no_year():
    assert fiscal.span([2023, 2025], 2026) == [2023, 2024, 2025, 2026]
    assert fiscal.span([], 2026) == [2026]
    assert fiscal.span([2027], 2026) == [2026, 2027]


@pytest.mark.parametrize(("text", "year"), [
    ("2026", 2026), ("FY2026", 2026), ("fy2019", 2019), (" 2026 ", 2026),
    ("", None), (None, None), ("abc", None), ("1999", None), ("2101", None), ("２０２６", None),
    ("20260", None), ("-2026", None), ("2026.0", None),
])
def test_a_typed_fiscal_year(text, year):
    assert fiscal.parse(text) == year
