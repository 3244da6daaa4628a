"""The arithmetic of a municipality's public results (evangelists.town_results)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from evangelists.town_results import (
    OWN,
    PROGRAMME,
    PublishedUseCase,
    catalogue_of,
    open_data_origin,
    town_results,
    web_address,
)

MAY = date(2025, 5, 10)


@pytest.mark.parametrize("url, expected", [
    ("https://catalog.example.jp/", "https://catalog.example.jp/"),
    ("  HTTP://Example.jp/data  ", "HTTP://Example.jp/data"),
    ("javascript:alert(1)", None),
    ("JaVaScRiPt:alert(1)", None),
    ("data:text/html,<script>alert(1)</script>", None),
    ("ftp://example.jp/", None),
    ("//example.jp/", None),
    ("https://", None),
    ("https://exa mple.jp/", None),
    ("https://example.jp/\nSet-Cookie: x", None),
    ("https://[::1/", None),
    ("", None),
    (None, None),
    ("https://example.jp/" + "a" * 600, None),
])
def test_only_an_http_address_with_a_host_is_a_web_address(url, expected):
    assert web_address(url) == expected


@pytest.mark.parametrize("status, since, achieved, visited, expected", [
    ("non_active", None, None, None, None),
    ("non_active", MAY, MAY, MAY, None),  # not active now: no origin at all
    ("active", date(2019, 4, 1), None, None, OWN),  # the survey alone
    ("active", None, None, None, OWN),
    ("active", MAY, MAY, MAY, PROGRAMME),  # the visit's outcome made it active
    ("active", None, MAY, MAY, PROGRAMME),
    ("active", date(2019, 4, 1), MAY, MAY, OWN),  # active before the programme came
    ("active", date(2025, 5, 12), MAY, MAY, PROGRAMME),  # the survey noticed later
    ("active", date(2025, 5, 9), MAY, date(2025, 5, 8), PROGRAMME),  # the visit came first
])
def test_the_origin_of_a_towns_open_data(status, since, achieved, visited, expected):
    assert open_data_origin(status, since, achieved, visited) == expected


def test_the_catalogue_is_the_first_web_address():
    assert catalogue_of([None, "javascript:alert(1)", "https://b.example.jp/", "https://c.example.jp/"]) \
        == "https://b.example.jp/"
    assert catalogue_of([None, "", "mailto:a@example.jp"]) is None


def test_results_of_a_town_with_nothing_say_nothing():
    results = town_results(status="non_active", since=date(2024, 1, 1), first_achieved=None, first_visited=None,
                           datasets=None, catalogue_candidates=[])
    assert results.nothing and not results.active
    assert results.open_data_since is None and results.datasets == 0 and results.more_use_cases == 0


def test_results_count_the_use_cases_beyond_those_listed():
    listed = [PublishedUseCase(i, f"事例{i}", datetime(2026, 1, i, tzinfo=UTC)) for i in range(1, 4)]
    results = town_results(status="active", since=MAY, first_achieved=MAY, first_visited=MAY, datasets=7,
                           catalogue_candidates=["https://a.example.jp/"], use_cases=listed, published_total=5)
    assert (results.origin, results.datasets, results.more_use_cases) == (PROGRAMME, 7, 2)
    assert results.catalogue_url == "https://a.example.jp/" and not results.nothing
    # A town with only a published use case still has something to show.
    only = town_results(status="non_active", since=None, first_achieved=None, first_visited=None, datasets=0,
                        catalogue_candidates=[], use_cases=listed[:1], published_total=1)
    assert not only.nothing and only.more_use_cases == 0
