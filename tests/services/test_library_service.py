"""The library's reading (app.services.library): only published use cases; the search
(folded like ``search_text``; 1-2 characters by a scan, 3 or more by the text index) and
every filter; "towns like yours" in its order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Topic
from app.services import library
from app.services.topics import sync_topics
from evangelists.use_cases import USE_CASE_STATUSES
from tests.factories import make_municipality, make_places, make_prefecture, make_use_case


def topic(slug: str) -> Topic:
    return db.session.scalar(sa.select(Topic).where(Topic.slug == slug))


def titles(**filters) -> list[str]:
    statement = library.library_list(library.LibraryFilters(**filters))
    return [u.title for u in db.session.scalars(statement).unique()]


@pytest.fixture
def shelf(db):
    sync_topics()
    towns = make_places("sapporo", "tobetsu", "aomori")
    make_use_case(municipality=towns["sapporo"], title="避難所データの公開", kind="story",
                  topics=[topic("gis")], population_band="300k_plus",
                  published_at=datetime(2025, 5, 1, tzinfo=UTC), what_was_done="ハザードマップをCSVにした。",
                  starting_point="担当者がいなかった。")
    make_use_case(municipality=towns["tobetsu"], title="Open Data Day in Tobetsu", kind="participation",
                  topics=[topic("hackathons")], population_band="10k_50k",
                  published_at=datetime(2026, 4, 1, tzinfo=UTC), what_was_done="ｵｰﾌﾟﾝﾃﾞｰﾀの日に高校生と。",
                  results="参加者30人。")
    make_use_case(municipality=towns["aomori"], title="公園の一覧", kind="story", topics=[topic("gis")],
                  population_band="100k_300k", published_at=datetime(2026, 3, 31, 16, tzinfo=UTC),
                  what_was_done="公園とトイレの位置。50%のデータ。", results="2件。", starting_point="")
    for status in USE_CASE_STATUSES:
        if status != "published":
            make_use_case(municipality=towns["sapporo"], status=status, title=f"非公開 {status} 公園 避難所")
    db.session.commit()
    return towns


def test_only_published_use_cases_are_listed_newest_first(shelf):
    # By the moment of publication (2026-04-01 00:00 UTC is after 2026-03-31 16:00 UTC).
    assert titles() == ["Open Data Day in Tobetsu", "公園の一覧", "避難所データの公開"]


def test_nothing_unpublished_is_found_by_any_search_or_filter(shelf):
    for filters in ({"q": "非公開"}, {"q": "公園"}, {"q": "避難所"}, {"prefecture": "01"}, {"q": "pu"}):
        assert not any(t.startswith("非公開") for t in titles(**filters)), filters
    for status in USE_CASE_STATUSES:
        found = db.session.scalar(sa.select(library.UseCase.id).where(library.UseCase.status == status))
        assert (library.published_use_case(found) is not None) is (status == "published"), status


@pytest.mark.parametrize(("q", "expected"), [
    ("公園", ["公園の一覧"]),  # two characters: a scan
    ("園", ["公園の一覧"]),  # one
    ("避難所", ["避難所データの公開"]),  # three: the text index
    ("ハザードマップ", ["避難所データの公開"]),
    ("オープンデータ", ["Open Data Day in Tobetsu"]),  # stored half-width, folded by NFKC
    ("ｵｰﾌﾟﾝ", ["Open Data Day in Tobetsu"]),  # typed half-width
    ("ＯＰＥＮ　ＤＡＴＡ", ["Open Data Day in Tobetsu"]),  # full-width letters and space
    ("open", ["Open Data Day in Tobetsu"]),
    ("op", ["Open Data Day in Tobetsu"]),
    ("当別", ["Open Data Day in Tobetsu"]),  # the town's name
    ("GIS・地図", ["公園の一覧", "避難所データの公開"]),  # a topic's name
    ("公園 トイレ", ["公園の一覧"]),  # every word must occur
    ("公園 避難所", []),
    ("消防", []),
    ("50%", ["公園の一覧"]),
    ("5_", []),  # LIKE's wildcards are plain characters
    ("%", ["公園の一覧"]),
    ('"公園"', []),  # quotes are characters, not FTS syntax
    ("   ", ["Open Data Day in Tobetsu", "公園の一覧", "避難所データの公開"]),
    ("a\x00b", []),
])
def test_search(shelf, q, expected):
    assert titles(q=q) == expected


def test_search_words_are_folded_like_the_index():
    assert library.search_words("  ＡＢＣ　ｶﾀｶﾅ abc \x00 ") == ["abc", "カタカナ"]
    assert len(library.search_words(" ".join(f"w{i}" for i in range(20)))) == library.QUERY_WORDS_MAX


def test_filters(shelf):
    assert titles(topic="gis") == ["公園の一覧", "避難所データの公開"]
    assert titles(town_kind="city") == ["公園の一覧"]
    assert titles(town_kind="designated_city") == ["避難所データの公開"]
    assert titles(band="10k_50k") == ["Open Data Day in Tobetsu"]
    assert titles(prefecture="02") == ["公園の一覧"]
    assert titles(prefecture="01") == ["Open Data Day in Tobetsu", "避難所データの公開"]
    assert titles(kind="participation") == ["Open Data Day in Tobetsu"]
    # 年度 by the day in Japan: 2026-03-31 16:00 UTC is 1 April 2026 there, FY2026.
    assert titles(fy=2026) == ["Open Data Day in Tobetsu", "公園の一覧"]
    assert titles(fy=2025) == ["避難所データの公開"]
    assert titles(fy=2024) == []
    assert titles(topic="gis", prefecture="01", q="避難") == ["避難所データの公開"]


def test_publication_years_run_from_the_first_to_this_year(shelf):
    from datetime import date

    assert library.publication_years(date(2027, 5, 1)) == [2027, 2026, 2025]


def test_publication_years_without_use_cases_is_this_year(db):
    from datetime import date

    assert library.publication_years(date(2026, 12, 4)) == [2026]


@pytest.fixture
def neighbours(db):
    """A town of 30,000 and use cases of towns alike and not, near and far."""
    sync_topics()
    hokkaido, aomori = make_prefecture(code="01"), make_prefecture(code="02")
    me = make_municipality(prefecture=hokkaido, name="自町", kind="town", population=30_000, lat=43.0, lon=141.0)
    near_city = make_municipality(prefecture=hokkaido, name="近市", kind="city", population=30_000, lat=43.05,
                                  lon=141.0)
    far_alike = make_municipality(prefecture=aomori, name="遠町", kind="town", population=20_000, lat=40.8,
                                  lon=140.7)
    nearer_alike = make_municipality(prefecture=hokkaido, name="中町", kind="town", population=40_000, lat=42.5,
                                     lon=141.0)
    other_band = make_municipality(prefecture=hokkaido, name="小町", kind="town", population=5_000, lat=43.1,
                                   lon=141.0)
    make_use_case(municipality=me, title="自町の事例", population_band="10k_50k", topics=[topic("licensing")])
    make_use_case(municipality=near_city, title="近市の事例", population_band="10k_50k", topics=[topic("gis")])
    make_use_case(municipality=far_alike, title="遠町の事例", population_band="10k_50k", topics=[topic("gis")])
    make_use_case(municipality=nearer_alike, title="中町の二つ目", population_band="10k_50k",
                  published_at=datetime(2026, 1, 1, tzinfo=UTC))
    make_use_case(municipality=nearer_alike, title="中町の事例", population_band="10k_50k",
                  published_at=datetime(2026, 6, 1, tzinfo=UTC))  # the newer of the town's two
    make_use_case(municipality=other_band, title="小町の事例", population_band="under_10k", topics=[topic("gis")])
    make_use_case(municipality=near_city, title="下書き", status="draft", population_band="10k_50k")
    db.session.commit()
    return me


def suggested(town, **kwargs) -> list[tuple[str, str]]:
    return [(s.use_case.title, s.reason) for s in library.similar_use_cases(town, **kwargs)]


def test_towns_like_yours_own_first_then_alike_nearest_first_then_nearest(neighbours):
    assert suggested(neighbours, limit=10) == [
        ("自町の事例", "own"),
        ("中町の事例", "alike"),  # same kind and band, 55 km
        ("遠町の事例", "alike"),  # same kind and band, 270 km
        ("近市の事例", "near"),  # 6 km, but a city
        ("小町の事例", "near"),  # 11 km, a town of another band
        ("中町の二つ目", "alike"),  # one per town until every town had its turn
    ]
    assert suggested(neighbours) == [("自町の事例", "own"), ("中町の事例", "alike"), ("遠町の事例", "alike")]


def test_towns_like_yours_by_topic(neighbours):
    assert suggested(neighbours, topics=["gis"]) == [("遠町の事例", "alike"), ("近市の事例", "near"),
                                                      ("小町の事例", "near")]
    assert suggested(neighbours, topics=[topic("licensing")]) == [("自町の事例", "own")]
    assert suggested(neighbours, topics=["accessibility"]) == []
    assert suggested(neighbours, topics=["no-such-topic"]) == []


def test_a_town_of_unknown_population_is_alike_by_kind(neighbours):
    neighbours.population = None
    db.session.commit()
    reasons = dict(suggested(neighbours, limit=10))
    assert reasons["小町の事例"] == "alike" and reasons["近市の事例"] == "near"


def test_distances_are_given(neighbours):
    far = next(s for s in library.similar_use_cases(neighbours, limit=10) if s.use_case.title == "遠町の事例")
    assert 240 < far.distance_km < 300


def test_town_by_code_takes_only_codes(shelf):
    assert library.town_by_code("011002").name == "札幌市"
    for code in ("", None, "01100", "0110020", "01100x", "０１１００２", "999999"):
        assert library.town_by_code(code) is None
