import numpy as np
import pytest

from evangelists.geo import haversine_km, haversine_matrix_km
from evangelists.text import normalize_query, to_katakana


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("さっぽろ", "サッポロ"),
        ("サッポロ", "サッポロ"),
        ("ちよだく", "チヨダク"),
        ("札幌", "札幌"),
        ("abc", "abc"),
    ],
)
def test_to_katakana_turns_hiragana_into_katakana_and_leaves_the_rest(typed, expected):
    assert to_katakana(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ｻｯﾎﾟﾛ", "サッポロ"),  # half-width kana
        ("０１１００２", "011002"),  # full-width digits
        ("  札幌\u3000市 ", "札幌 市"),  # ideographic space collapsed
    ],
)
def test_normalize_query_folds_widths_and_spaces(typed, expected):
    assert normalize_query(typed) == expected


def test_haversine_tokyo_to_osaka_is_about_400_km():
    # Tokyo Station to Osaka Station: 403 km on the geodesic.
    assert haversine_km(35.6812, 139.7671, 34.7025, 135.4959) == pytest.approx(403, rel=0.01)


def test_haversine_of_a_point_to_itself_is_zero():
    assert haversine_km(43.06, 141.35, 43.06, 141.35) == 0


def test_matrix_agrees_with_scalar_distance():
    lat1, lon1 = np.array([43.06, 35.68]), np.array([141.35, 139.77])
    lat2, lon2 = np.array([34.70, 26.21, 35.68]), np.array([135.50, 127.68, 139.77])
    matrix = haversine_matrix_km(lat1, lon1, lat2, lon2)
    assert matrix.shape == (2, 3)
    for i in range(2):
        for j in range(3):
            assert matrix[i, j] == pytest.approx(haversine_km(lat1[i], lon1[i], lat2[j], lon2[j]))


# --- issue 17 point 5: one name per town, variants folded in search ---------------------


def test_variant_folding_makes_the_common_and_the_official_form_equal():
    from evangelists.text import fold_variants

    for typed, official in [("梼原町", "檮原町"), ("桧原村", "檜原村"), ("竜ヶ崎市", "龍ケ崎市"),
                            ("鯵ヶ沢町", "鰺ヶ沢町"), ("飯館村", "飯舘村")]:
        assert fold_variants(typed) == fold_variants(official), (typed, official)
    assert fold_variants("札幌市") == "札幌市"


def test_the_gazetteer_stores_each_name_in_the_national_code_lists_form():
    from evangelists.gazetteer import load_municipalities

    names = {m.code: m.name for m in load_municipalities()}
    assert names["394050"] == "檮原町"
    assert not [name for name in names.values() if "梼" in name]
