"""The use cases' moves between statuses and the population bands (evangelists.use_cases)."""

import pytest

from evangelists.use_cases import (
    POPULATION_BANDS,
    PUBLIC_STATUSES,
    TRANSITIONS,
    USE_CASE_STATUSES,
    TransitionError,
    may_edit,
    may_move,
    next_status,
    population_band,
)


@pytest.mark.parametrize(("population", "band"), [
    (0, "under_10k"), (9_999, "under_10k"), (10_000, "10k_50k"), (49_999, "10k_50k"),
    (50_000, "50k_100k"), (100_000, "100k_300k"), (299_999, "100k_300k"), (300_000, "300k_plus"),
    (3_700_000, "300k_plus"), (None, None), (-1, None),
])
def test_population_bands(population, band):
    assert population_band(population) == band


def test_every_band_is_reachable_and_in_order():
    assert [population_band(p) for p in (1, 20_000, 70_000, 200_000, 400_000)] == list(POPULATION_BANDS)


def test_only_the_town_publishes():
    ways_in = {(status, action) for status, moves in TRANSITIONS.items()
               for action, target in moves.items() if target in PUBLIC_STATUSES}
    assert ways_in == {("with_town", "agree")}


def test_every_status_can_be_left_and_every_move_lands_on_a_status():
    assert set(TRANSITIONS) == set(USE_CASE_STATUSES)
    assert {t for moves in TRANSITIONS.values() for t in moves.values()} <= set(USE_CASE_STATUSES)


def test_a_move_the_status_does_not_allow_is_refused():
    assert next_status("with_town", "agree") == "published"
    with pytest.raises(TransitionError):
        next_status("draft", "agree")
    with pytest.raises(TransitionError):
        next_status("published", "ask_changes")


def test_an_author_may_discard_a_draft_and_it_can_come_back():
    assert next_status("draft", "withdraw") == "withdrawn"
    assert next_status("withdrawn", "recall") == "with_coordinator"


def test_who_makes_which_move():
    assert may_move("draft", "submit", "author") and may_move("draft", "submit", "staff")
    assert may_move("draft", "withdraw", "author")
    assert not may_move("with_coordinator", "withdraw", "author")  # the author's own draft only
    assert not may_move("with_coordinator", "send", "author") and may_move("with_coordinator", "send", "staff")
    assert may_move("with_town", "agree", "town") and may_move("with_town", "ask_changes", "town")
    assert not may_move("with_town", "agree", "staff") and not may_move("with_town", "agree", "author")
    assert not may_move("draft", "send", "staff")  # the coordinators have it first
    assert not may_move("published", "agree", "town")


def test_who_edits_in_which_status():
    assert may_edit("draft", "author") and not may_edit("with_coordinator", "author")
    assert all(may_edit(s, "staff") for s in ("draft", "with_coordinator", "changes_asked"))
    assert not any(may_edit(s, who) for s in ("with_town", "published", "withdrawn") for who in ("staff", "author"))
    assert not may_edit("draft", "town")
