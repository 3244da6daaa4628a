"""The use cases' moves between statuses and the population bands (evangelists.use_cases)."""

import pytest

from evangelists.use_cases import (
    POPULATION_BANDS,
    PUBLIC_STATUSES,
    TRANSITIONS,
    USE_CASE_STATUSES,
    TransitionError,
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
