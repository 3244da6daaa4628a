"""The open dialogue's rules (evangelists/ideas.py): a theme's phase, the trending key, handles,
links in plain text, small groups."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from evangelists import ideas

T0 = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


def test_a_theme_is_open_from_its_start_until_its_end_exclusive():
    opens, closes = T0, T0 + timedelta(days=7)
    assert ideas.phase(opens, closes, opens - timedelta(seconds=1)) == "upcoming"
    assert ideas.phase(opens, closes, opens) == "open"
    assert ideas.phase(opens, closes, closes - timedelta(seconds=1)) == "open"
    assert ideas.phase(opens, closes, closes) == "closed"


def test_the_stored_key_orders_ideas_as_their_decayed_scores_do():
    """Three ideas with different activity: the order of their keys is the order of their
    scores at any later moment, and a score halves every half-life."""
    activity = {
        "old_busy": [(T0, 3), *((T0 + timedelta(hours=h), 1) for h in range(1, 30))],
        "new_quiet": [(T0 + timedelta(days=5), 3)],
        "steady": [(T0 + timedelta(days=d), 2) for d in range(6)],
    }
    keys = {}
    for name, events in activity.items():
        key = None
        for at, weight in events:
            key = ideas.add_activity(key, weight, at)
        keys[name] = key
    for later in (T0 + timedelta(days=6), T0 + timedelta(days=30)):
        scores = {}
        for name, events in activity.items():
            scores[name] = sum(w * 2 ** (-(later - at) / ideas.HALF_LIFE) for at, w in events)
            assert ideas.trend_score(keys[name], later) == pytest.approx(scores[name], rel=1e-9)
        assert sorted(keys, key=keys.get) == sorted(scores, key=scores.get)
    one = ideas.trend_key(1.0, T0)
    assert ideas.trend_score(one, T0 + ideas.HALF_LIFE) == pytest.approx(0.5)


def test_adding_activity_far_in_the_future_does_not_overflow():
    key = ideas.add_activity(None, 3, datetime(2020, 1, 1, tzinfo=UTC))
    key = ideas.add_activity(key, 1, datetime(2090, 1, 1, tzinfo=UTC))
    assert math.isfinite(key)
    assert ideas.trend_score(key, datetime(2090, 1, 1, tzinfo=UTC)) == pytest.approx(1.0, rel=1e-6)


@pytest.mark.parametrize(("handle", "problem"), [
    ("たろう", None),
    ("Taro_Yamada-2", None),
    ("やま ・ だ", None),
    ("あ", "too_short"),
    ("x" * 31, "too_long"),
    ("taro@example.jp", "characters"),
    ("<script>", "characters"),
    ("{{7*7}}", "characters"),
    ("事務局", "reserved"),
    ("Admin", "reserved"),
    ("退会したユーザー", "reserved"),
])
def test_handles(handle, problem):
    assert ideas.handle_problem(handle) == problem


def test_links_are_cut_out_of_plain_text_and_nothing_else_becomes_a_link():
    parts = ideas.segments("見て https://example.jp/data.csv。 javascript:alert(1) と <a href=x>y</a> (http://a.jp/b).")
    links = [p.href for p in parts if p.href]
    assert links == ["https://example.jp/data.csv", "http://a.jp/b"]
    assert "".join(p.text for p in parts) == "見て https://example.jp/data.csv。 javascript:alert(1) と <a href=x>y</a> (http://a.jp/b)."


def test_text_without_links_is_one_segment_and_empty_text_none():
    assert ideas.segments("ただの文") == [ideas.Segment("ただの文")]
    assert ideas.segments("") == []
    assert [p.href for p in ideas.segments("https://")] == [None]


def test_small_groups_are_taken_out_and_counted_together():
    shown, hidden = ideas.suppress_small({"a": 12, "b": 4, "c": 0, "d": 1, "e": 5})
    assert shown == {"a": 12, "c": 0, "e": 5}
    assert hidden == 5
