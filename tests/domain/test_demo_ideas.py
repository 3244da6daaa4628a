"""The demo's idea box (evangelists/demo_ideas.py) tells the truth: deterministic, inside
each theme's period, and its people look like the Ideabox's (most are men aged 30–59)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from evangelists import demo_ideas

NOW = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
TOWNS = [(f"01{n:03d}0", f"町{n}", "01") for n in range(40)]


def _make(seed=1):
    return demo_ideas.generate(TOWNS, ["gis", "licensing", "dashboards"], now=NOW, seed=seed)


def test_the_same_seed_makes_the_same_dialogue_and_another_seed_another():
    assert _make(1) == _make(1)
    assert _make(1) != _make(2)


def test_posts_fall_inside_their_theme_and_before_now():
    dialogue = _make()
    phases = [("closed" if t.closes_at <= NOW else "open" if t.opens_at <= NOW else "upcoming") for t in dialogue.themes]
    assert phases == ["closed", "open", "upcoming"]
    for idea in dialogue.ideas:
        theme = dialogue.themes[idea.theme]
        moments = [idea.at, *(c.at for c in idea.comments), *(at for _p, _v, at in idea.votes)]
        assert all(theme.opens_at <= at < min(theme.closes_at, NOW) for at in moments)
        assert all(c.at >= idea.at for c in idea.comments)
        assert len({p for p, _v, _at in idea.votes}) == len(idea.votes)  # one vote each
    # Only the closed theme's ideas have official answers.
    assert {idea.theme for idea in dialogue.ideas if idea.answer} == {0}


def test_participants_are_mostly_men_aged_30_to_59_with_distinct_handles():
    people = _make().participants
    assert len({p.handle.casefold() for p in people}) == len(people)
    genders = Counter(p.gender for p in people if p.gender)
    ages = Counter(p.age_band for p in people if p.age_band)
    assert genders["male"] > 2 * genders["female"] > 0
    assert sum(ages[a] for a in ("30s", "40s", "50s")) > sum(ages.values()) / 2
    assert any(p.age_band is None for p in people)  # the questions are optional
