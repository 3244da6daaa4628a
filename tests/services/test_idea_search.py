"""Searching a theme's ideas (app.services.ideas.idea_list with ``q``): a query with nothing
that has a case (kana, kanji, digits) is matched with LIKE, one with letters with ILIKE, so
a Japanese query reads no lowered copy of every body (bench/bench_dialogue.py) and a Latin
one still ignores case; under three characters by a scan, from three by the text index."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.services import ideas
from tests.factories import make_idea, make_theme


@pytest.fixture
def theme(db):
    theme = make_theme()
    make_idea(theme=theme, title="防災マップの公開", body="ハザードマップをオープンデータにしてください。")
    make_idea(theme=theme, title="窓口の予約", body="住民票の API があると便利です。")
    make_idea(theme=theme, title="Open data portal", body="An api for every dataset, 500 of them.")
    make_idea(theme=theme, title="図書館", body="蔵書の検索をスマホで。")
    make_idea(title="防災", body="別のテーマの防災の話。")  # another theme: never found here
    db.session.commit()
    return theme


def found(theme, q: str) -> list[str]:
    statement = ideas.idea_list(theme, ideas.IdeaFilters(q=q))
    return sorted(idea.title for idea in db.session.scalars(statement).unique())


@pytest.mark.parametrize(("q", "titles"), [
    ("防災", ["防災マップの公開"]),
    ("窓口", ["窓口の予約"]),
    ("オープンデータ", ["防災マップの公開"]),
    ("ハザードマップ", ["防災マップの公開"]),
    ("スマホ", ["図書館"]),
    ("ｵｰﾌﾟﾝﾃﾞｰﾀ", ["防災マップの公開"]),  # half-width katakana, NFKC
    ("500", ["Open data portal"]),
    ("消防", []),
])
def test_a_query_without_case_finds_what_contains_it(theme, q, titles):
    assert found(theme, q) == titles


@pytest.mark.parametrize("q", ["api", "API", "Api", "ＡＰＩ", "ap", "AP"])
def test_a_latin_query_ignores_case(theme, q):
    assert found(theme, q) == ["Open data portal", "窓口の予約"]


def test_like_wildcards_in_a_query_are_plain_characters(theme):
    assert found(theme, "50%") == []
    assert found(theme, "5_0") == []
    assert found(theme, "%") == []
