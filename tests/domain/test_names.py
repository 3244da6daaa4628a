"""Finding a person by name or reading (issue 17, point 16), the reading as typed and
stored, and 五十音 order (issue 20, point 6)."""

from __future__ import annotations

import pytest

from evangelists.names import (
    FAMILY_READINGS,
    GIVEN_READINGS,
    READING_MAX,
    SORT_KEY_MAX,
    ReadingRefused,
    gojuon_key,
    name_matches,
    normalize_reading,
    query_forms,
    readings,
    search_key,
    sort_key,
)
from evangelists.romaji import kana_to_hepburn


@pytest.mark.parametrize("query", [
    "山田", "山田 花子", "山田花子", "花子", "やまだ", "ヤマダ", "ﾔﾏﾀﾞ", "yamada", "Yamada", "ＹＡＭＡＤＡ",
    "yamada hanako", "Hanako Yamada", "はなこ", "yama", "  山田  ",
])
def test_a_person_is_found_by_name_reading_or_romaji(query):
    assert name_matches(query, "山田", "花子", "ヤマダ", "ハナコ")


def test_the_stored_reading_is_what_finds_a_person_not_the_tables():
    # 中島 is ナカシマ for this person: the stored reading counts, the tables' ナカジマ does not.
    assert name_matches("nakashima", "中島", "陸", "ナカシマ", "リク")
    assert not name_matches("nakajima", "中島", "陸", "ナカシマ", "リク")
    # Without a stored reading only the written name finds them.
    assert name_matches("山田", "山田", "花子") and not name_matches("yamada", "山田", "花子")


@pytest.mark.parametrize("query", ["", "   ", "佐藤", "sato", "たなか", "xyz", "<script>", "{{7*7}}"])
def test_other_queries_do_not_find_them(query):
    assert not name_matches(query, "山田", "花子", "ヤマダ", "ハナコ")


def test_long_vowels_are_found_written_either_way():
    for query in ("sato", "satou", "SATO", "サトウ", "さとう"):
        assert name_matches(query, "佐藤", "誠", "サトウ", "マコト")
    assert name_matches("kondou", "近藤", "花子", "コンドウ", "ハナコ")
    assert name_matches("kondo", "近藤", "花子", "コンドウ", "ハナコ")
    assert name_matches("inoue", "井上", "花子", "イノウエ", "ハナコ")


def test_a_name_written_in_kana_is_its_own_reading():
    assert readings("北野", "さくら") == (("キタノ",), ("サクラ",))
    assert name_matches("sakura", "北野", "さくら")


def test_the_tables_guess_both_usual_readings_for_the_backfill():
    assert readings("中島", "陸") == (("ナカジマ", "ナカシマ"), ("リク",))


def test_an_unknown_name_has_no_guessed_reading():
    assert readings("試験", "花子") == ((), ("ハナコ",))
    assert name_matches("試験", "試験", "花子") and not name_matches("shiken", "試験", "花子")


def test_every_reading_in_the_tables_is_katakana_that_romanises():
    for table in (FAMILY_READINGS, GIVEN_READINGS):
        for name, kana in table.items():
            assert kana, name
            for reading in kana:
                assert kana_to_hepburn(reading)


@pytest.mark.parametrize(("typed", "stored"), [
    ("ヤマダ", "ヤマダ"), ("やまだ", "ヤマダ"), ("ﾔﾏﾀﾞ", "ヤマダ"), (" ナカ　ジマ ", "ナカジマ"),
    ("さとー", "サトー"), ("ｻﾄｳ", "サトウ"), ("ゔぃ", "ヴィ"), ("スミス・ジョン", "スミスジョン"), ("", ""), ("   ", ""), (None, ""),
])
def test_a_reading_is_stored_as_full_width_katakana(typed, stored):
    assert normalize_reading(typed) == stored


@pytest.mark.parametrize("typed", ["山田", "yamada", "ヤマダ1", "<script>", "{{7*7}}", "ヤマダ。", "\x00"])
def test_anything_but_kana_is_refused_on_its_field(typed):
    with pytest.raises(ReadingRefused) as refused:
        normalize_reading(typed, "family_name_kana")
    assert (refused.value.field, refused.value.reason) == ("family_name_kana", "not_kana")


def test_a_reading_too_long_is_refused():
    assert normalize_reading("ア" * READING_MAX)
    with pytest.raises(ReadingRefused) as refused:
        normalize_reading("ア" * (READING_MAX + 1))
    assert refused.value.reason == "too_long"


def test_people_sort_in_gojuon_order_of_their_reading():
    people = [("中村", "花子", "ナカムラ", "ハナコ"), ("井上", "誠", "イノウエ", "マコト"),
              ("中島", "陸", "ナカジマ", "リク"), ("阿部", "翔", "アベ", "ショウ"), ("謎", "太郎", "", ""),
              ("佐藤", "誠", "サトウ", "マコト"), ("佐藤", "亮", "サトウ", "リョウ"), ("阿部川", "恵", "アベカワ", "メグミ")]
    ordered = sorted(people, key=lambda p: sort_key(*p))
    assert [p[0] + p[1] for p in ordered] == [
        "阿部翔", "阿部川恵", "井上誠", "佐藤誠", "佐藤亮", "中島陸", "中村花子", "謎太郎"]


def test_gojuon_order_reads_voiced_small_and_long_kana_as_a_dictionary_does():
    # ガ sorts with カ (ガイ before カオ), ッ with ツ, ー as the vowel it lengthens.
    assert sorted(["カオ", "ガイ", "カイ"], key=lambda k: sort_key("x", "y", k)) == ["カイ", "ガイ", "カオ"]
    assert gojuon_key("サトー") == gojuon_key("サトオ") and gojuon_key("ハットリ") == "ハツトリ"
    assert sort_key("x", "", "カイ") < sort_key("x", "", "ガイ")  # ties: the plain kana first


def test_people_without_a_reading_sort_last_by_their_name():
    assert sort_key("阿部", "翔", "アベ", "ショウ") < sort_key("ワタナベ", "", "ワタナベ") < sort_key("亜", "翔")
    assert sort_key("亜", "翔") < sort_key("伊", "翔")


def test_a_sort_key_fits_its_column():
    assert len(sort_key("名" * 60, "名" * 60, "ア" * READING_MAX, "ア" * READING_MAX)) <= SORT_KEY_MAX


def test_the_search_key_holds_the_name_the_reading_and_its_romaji():
    key = search_key("井上", "花子", "イノウエ", "ハナコ")
    for form in ("井上花子", "花子井上", "イノウエハナコ", "ハナコイノウエ", "inoe", "hanako", "inoehanako",
                 "hanakoinoe"):
        assert form in key.split(" ")


@pytest.mark.parametrize("query", ["", "  ", "　"])
def test_an_empty_query_has_no_forms(query):
    assert query_forms(query) == ()
