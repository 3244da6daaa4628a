"""Katakana readings to Hepburn romaji (evangelists.romaji). Readings are real ones from the
gazetteer unless a comment says otherwise."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from evangelists import romaji
from evangelists.romaji import kana_to_hepburn, municipality_romaji


@pytest.mark.parametrize(
    ("kana", "hepburn"),
    [
        # Plain syllables.
        ("ハコダテ", "hakodate"),
        ("ヒガシクルメ", "higashikurume"),
        ("ツキガタ", "tsukigata"),
        ("フクシマ", "fukushima"),
        # ッ doubles the next consonant, and is "t" before チ.
        ("サッポロ", "sapporo"),
        ("ワッカナイ", "wakkanai"),
        ("スッツ", "suttsu"),
        ("ヨッカイチ", "yokkaichi"),
        ("ピップ", "pippu"),
        ("ニッシン", "nisshin"),
        ("クッチャン", "kutchan"),
        # Digraphs with small ャュョ.
        ("キョナン", "kyonan"),
        ("シチカシュク", "shichikashuku"),
        ("ゴジョウメ", "gojome"),
        ("シベチャ", "shibecha"),
        ("チャタン", "chatan"),
        ("ハニュウ", "hanyu"),
        ("ギョクトウ", "gyokuto"),
        # ヂ and ヅ.
        ("オヂヤ", "ojiya"),
        ("キサラヅ", "kisarazu"),
        # ン is always "n": before b/m/p, before a vowel or y, no apostrophe.
        ("ナンポロ", "nanporo"),
        ("モンベツ", "monbetsu"),
        ("ニホンマツ", "nihonmatsu"),
        ("シンオンセン", "shinonsen"),
        ("カンオンジ", "kanonji"),
        ("ナンヨウ", "nanyo"),
        ("センナン", "sennan"),
        # Long vowels folded: ou → o, oo → o, uu → u; ii, ei kept.
        ("トウキョウ", "tokyo"),
        ("トウベツ", "tobetsu"),
        ("コウチ", "kochi"),
        ("オウメ", "ome"),
        ("ユウバリ", "yubari"),
        ("オオサカ", "osaka"),
        ("オオイタ", "oita"),
        ("トオカマチ", "tokamachi"),
        ("キタキュウシュウ", "kitakyushu"),
        ("クジュウクリ", "kujukuri"),
        ("ニイガタ", "niigata"),
        ("テンエイ", "tenei"),
        # Three o/u vowels in a row: only the first pair folds, once.
        ("トウオン", "toon"),
        ("チュウオウ", "chuo"),
        ("サンヨウオノダ", "sanyoonoda"),
        # Folding can merge readings: 箕面 (the city writes Minoh) and 美濃 are both "mino".
        ("ミノオ", "mino"),
        ("ミノ", "mino"),
        # Not in the gazetteer: ヴ, small vowels, and the long-vowel mark.
        ("ヴィラ", "vira"),
        ("ヴ", "vu"),
        ("ファーム", "famu"),
        ("コーチ", "kochi"),
    ],
)
def test_kana_to_hepburn(kana, hepburn):
    assert kana_to_hepburn(kana) == hepburn


@pytest.mark.parametrize(
    ("kana", "message"),
    [
        ("", "empty"),
        ("さっぽろ", "not full-width katakana"),
        ("ｻｯﾎﾟﾛ", "not full-width katakana"),
        ("Sapporo", "not full-width katakana"),
        ("サッ", "not followed by a consonant"),
        ("サッア", "not followed by a consonant"),
        ("ャマ", "follows no i-row kana"),
        ("カャ", "follows no i-row kana"),
    ],
)
def test_kana_to_hepburn_refuses_what_is_not_a_katakana_reading(kana, message):
    with pytest.raises(ValueError, match=message):
        kana_to_hepburn(kana)


@pytest.mark.parametrize(
    ("name", "kana", "kind", "english"),
    [
        ("札幌市", "サッポロシ", "designated_city", "Sapporo-shi"),
        ("函館市", "ハコダテシ", "city", "Hakodate-shi"),
        ("四日市市", "ヨッカイチシ", "city", "Yokkaichi-shi"),  # only the last シ is the suffix
        ("十日町市", "トオカマチシ", "city", "Tokamachi-shi"),  # マチ inside a city's name
        ("千代田区", "チヨダク", "special_ward", "Chiyoda-ku"),
        ("当別町", "トウベツチョウ", "town", "Tobetsu-cho"),
        ("当麻町", "トウマチョウ", "town", "Toma-cho"),  # チョウ, not マチ+ョウ
        ("八丈町", "ハチジョウマチ", "town", "Hachijo-machi"),
        ("大町町", "オオマチチョウ", "town", "Omachi-cho"),
        ("三宅村", "ミヤケムラ", "village", "Miyake-mura"),
        ("恩納村", "オンナソン", "village", "Onna-son"),
        ("日吉津村", "ヒエヅソン", "village", "Hiezu-son"),
        ("さいたま市", "サイタマシ", "designated_city", "Saitama-shi"),
        ("勝央町", "ショウオウチョウ", "town", "Shoo-cho"),
    ],
)
def test_municipality_romaji(name, kana, kind, english):
    assert municipality_romaji(name, kana, kind) == english


@pytest.mark.parametrize(
    ("name", "kana", "kind", "message"),
    [
        # The reading does not end the way the kanji suffix is read.
        ("当別町", "トウベツムラ", "town", r"does not end in チョウ or マチ"),
        ("三宅村", "ミヤケマチ", "village", r"does not end in ムラ or ソン"),
        ("札幌市", "サッポロ", "designated_city", r"does not end in シ"),
        ("千代田区", "チヨダ", "special_ward", r"does not end in ク"),
        # Nothing before the suffix.
        ("町", "マチ", "town", r"after a stem"),
        # The kind and the name disagree, or the kind is unknown.
        ("当別町", "トウベツチョウ", "village", r"does not end in 村"),
        ("札幌市", "サッポロシ", "prefecture", r"unknown kind"),
        # The stem is not katakana.
        ("札幌市", "さっぽろシ", "city", r"not full-width katakana"),
    ],
)
def test_municipality_romaji_refuses_a_reading_that_does_not_fit(name, kana, kind, message):
    with pytest.raises(ValueError, match=message):
        municipality_romaji(name, kana, kind)


def test_romaji_imports_only_the_standard_library():
    tree = ast.parse(Path(romaji.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    assert imported - {"__future__"} <= sys.stdlib_module_names
