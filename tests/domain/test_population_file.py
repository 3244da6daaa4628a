"""Reading a population file (evangelists.gazetteer.read_populations / load_populations):
what an operator's `flask geo load-population FILE` accepts, and every bad line named by
its number."""

from __future__ import annotations

import pytest

from evangelists.gazetteer import PopulationFileError, load_populations, read_populations


def problems(text: str) -> list[tuple[int, str]]:
    with pytest.raises(PopulationFileError) as caught:
        read_populations(text)
    return caught.value.problems


def test_a_good_file_gives_six_digit_codes_and_whole_numbers():
    text = "code,population\n011002,1960668\n01424,5090\n131016,\"67,049\"\n\n"
    assert read_populations(text) == {"011002": 1_960_668, "014249": 5_090, "131016": 67_049}


def test_other_columns_and_their_order_do_not_matter_and_a_bom_is_allowed():
    text = "\ufeffname,Population,CODE\n札幌市,1960668,011002\n"
    assert read_populations(text) == {"011002": 1_960_668}


def test_every_bad_line_is_named_by_its_number():
    text = (
        "code,population\n"
        "011002,1960668\n"   # line 2: good
        "011003,100\n"       # line 3: wrong check digit
        "12345678,100\n"     # line 4: not a code
        "012025,many\n"      # line 5: not a number
        "012033,-3\n"        # line 6: negative
        "012041,1.5\n"       # line 7: not whole
        "011002,1960669\n"   # line 8: code again
        "012050\n"           # line 9: too few columns
        "012068,99999999\n"  # line 10: more than any town
    )
    found = problems(text)
    assert [line for line, _ in found] == [3, 4, 5, 6, 7, 8, 9, 10]
    said = dict(found)
    assert "011003" in said[3] and "check digit" in said[3]
    assert "'many'" in said[5] and "whole number" in said[5]
    assert "already on line 2" in said[8]
    assert "at least 2 columns" in said[9]


def test_a_file_without_the_columns_or_without_rows_is_refused():
    assert problems("municipality,people\n011002,1\n")[0][0] == 1
    assert "population" in problems("code,people\n011002,1\n")[0][1]
    assert problems("") == [(1, "the header row must name the columns code, population; missing code, population")]
    assert problems("code,population\n\n") == [(0, "the file names no municipality")]


def test_a_file_that_is_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "sjis.csv"
    path.write_bytes(b"code,population\n011002,1\n" + "札幌市".encode("shift_jis") + b"\n")
    with pytest.raises(PopulationFileError) as caught:
        load_populations(path)
    assert caught.value.problems == [(3, "not UTF-8 text (save the file as UTF-8 CSV)")]
