"""Finding a person by name or reading (issue 17, point 16)."""

from __future__ import annotations

import pytest

from evangelists.names import FAMILY_READINGS, GIVEN_READINGS, name_matches, readings
from evangelists.romaji import kana_to_hepburn


@pytest.mark.parametrize("query", [
    "山田", "山田 花子", "山田花子", "花子", "やまだ", "ヤマダ", "ﾔﾏﾀﾞ", "yamada", "Yamada", "ＹＡＭＡＤＡ",
    "yamada hanako", "Hanako Yamada", "はなこ", "yama", "  山田  ",
])
def test_a_person_is_found_by_name_reading_or_romaji(query):
    assert name_matches(query, "山田", "花子")


@pytest.mark.parametrize("query", ["", "   ", "佐藤", "sato", "たなか", "xyz", "<script>", "{{7*7}}"])
def test_other_queries_do_not_find_them(query):
    assert not name_matches(query, "山田", "花子")


def test_long_vowels_are_found_written_either_way():
    for query in ("sato", "satou", "SATO", "サトウ", "さとう"):
        assert name_matches(query, "佐藤", "誠")
    assert name_matches("kondou", "近藤", "花子") and name_matches("kondo", "近藤", "花子")


def test_a_name_written_in_kana_is_its_own_reading():
    assert readings("北野", "さくら") == (("キタノ",), ("サクラ",))
    assert name_matches("sakura", "北野", "さくら")


def test_a_name_with_two_readings_is_found_by_either():
    assert name_matches("nakajima", "中島", "陸") and name_matches("nakashima", "中島", "陸")


def test_an_unknown_name_is_found_by_its_written_form_only():
    assert readings("試験", "花子") == ((), ("ハナコ",))
    assert name_matches("試験", "試験", "花子") and not name_matches("shiken", "試験", "花子")


def test_every_reading_in_the_tables_is_katakana_that_romanises():
    for table in (FAMILY_READINGS, GIVEN_READINGS):
        for name, kana in table.items():
            assert kana, name
            for reading in kana:
                assert kana_to_hepburn(reading)
