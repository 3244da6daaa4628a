"""The duplicate rule of community registrations (evangelists/community_names.py)."""

from __future__ import annotations

import pytest

from evangelists.community_names import SHOWN, Named, match_of, matches, member_band, name_key, similarity


@pytest.mark.parametrize("typed", [
    "Code for Sapporo", "CodeForSapporo", "code4sapporo", "Code 4 Sapporo", "CODE FOR SAPPORO",
    "Ｃｏｄｅ　ｆｏｒ　Ｓａｐｐｏｒｏ", "Code-for-Sapporo", "code.for.sapporo", "  Code  for\tSapporo ",
    "一般社団法人 Code for Sapporo", "Code for Sapporo 合同会社", "NPO法人Code for Sapporo",
])
def test_spellings_of_one_brigade_have_one_key(typed):
    assert name_key(typed) == "codeforsapporo"


@pytest.mark.parametrize(("a", "b"), [
    ("コード・フォー・サッポロ", "コードフォーさっぽろ"),  # 中黒, hiragana
    ("ｺｰﾄﾞﾌｫｰｻｯﾎﾟﾛ", "コードフォーサッポロ"),  # half-width kana
    ("札幌シビックテック", "札幌 シビックテック"),
    ("竜ヶ崎データ部", "龍ケ崎データ部"),  # variant characters, as the gazetteer folds them
    ("特定非営利活動法人 札幌オープンデータ研究会", "札幌オープンデータ研究会"),
])
def test_width_kana_punctuation_variants_and_legal_forms_do_not_matter(a, b):
    assert name_key(a) == name_key(b)


def test_a_name_of_punctuation_only_has_an_empty_key_and_matches_nothing():
    assert name_key("・・・ !!") == ""
    assert match_of(Named("registration", None, "!!!", "01"), Named("community", 1, "???", "01")) is None


def test_a_legal_form_alone_is_kept_as_the_name():
    assert name_key("一般社団法人") == "一般社団法人"


def _c(id_, name, prefecture="01", kind="community"):
    return Named(kind, id_, name, prefecture)


def test_the_same_name_in_the_same_prefecture_is_the_same():
    found = match_of(_c(None, "Code 4 Sapporo", kind="registration"), _c(1, "Code for Sapporo"))
    assert found is not None and found.how == "same" and found.ratio == 1.0


def test_another_prefecture_never_matches():
    assert match_of(_c(None, "Code for Sapporo", "13", "registration"), _c(1, "Code for Sapporo", "01")) is None


def test_a_typing_slip_is_similar_but_another_town_is_not():
    candidate = _c(None, "Code for Sappro", kind="registration")
    slip = match_of(candidate, _c(1, "Code for Sapporo"))
    assert slip is not None and slip.how == "similar" and 0.85 <= slip.ratio < 1
    # The brigade prefix every such name shares does not make two towns alike.
    assert match_of(_c(None, "Code for Chiba", kind="registration"), _c(2, "Code for Chita")) is None
    assert match_of(_c(None, "札幌シビックテック", kind="registration"), _c(3, "旭川シビックテック")) is None


def test_the_name_without_the_brigade_prefix_is_similar():
    found = match_of(_c(None, "Sapporo", kind="registration"), _c(1, "Code for Sapporo"))
    assert found is not None and found.how == "similar"


def test_short_names_match_only_when_equal():
    assert match_of(_c(None, "CfA", kind="registration"), _c(1, "CfB")) is None
    assert match_of(_c(None, "cfa", kind="registration"), _c(1, "CfA")).how == "same"


def test_a_registration_is_not_its_own_duplicate_but_a_community_of_its_number_may_be():
    me = _c(7, "Code for Sapporo", kind="registration")
    assert match_of(me, me) is None
    assert match_of(me, _c(7, "Code for Sapporo")) is not None


def test_matches_come_same_first_then_by_likeness_communities_first_and_are_limited():
    candidate = _c(None, "Code for Sappro", kind="registration")
    others = [
        _c(1, "Code for Sapporo"),
        _c(2, "code4sappro", kind="registration"),
        _c(3, "Code for Sappro"),
        _c(4, "Code for Chiba"),
        _c(5, "Code for Sappro", "13"),
    ]
    found = matches(candidate, others)
    assert [(m.other.kind, m.other.id, m.how) for m in found] == [
        ("community", 3, "same"), ("registration", 2, "same"), ("community", 1, "similar")]
    many = [_c(n, "Code for Sappro") for n in range(1, 20)]
    assert len(matches(candidate, many)) == SHOWN


def test_similarity_bounds():
    assert similarity("abc", "abc") == 1.0
    assert similarity("", "abc") == 0.0
    assert 0 < similarity("sapporo", "sappro") < 1


@pytest.mark.parametrize(("count", "band"), [
    (0, None), (None, None), (-3, None), (1, "under_10"), (9, "under_10"), (10, "10_29"), (29, "10_29"),
    (30, "30_99"), (99, "30_99"), (100, "100_plus"), (1_000_000, "100_plus"),
])
def test_member_bands(count, band):
    assert member_band(count) == band
