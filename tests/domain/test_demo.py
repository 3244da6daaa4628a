from collections import Counter
from datetime import date

import pytest

from evangelists import demo
from evangelists.gazetteer import load_municipalities
from evangelists.geo import haversine_km
from evangelists.vocabulary import TOPIC_SLUGS

TODAY = date(2026, 11, 26)


@pytest.fixture(scope="module")
def places():
    return [demo.Place(m.code, m.name, m.kind, m.lat, m.lon) for m in load_municipalities()]


@pytest.fixture(scope="module")
def network(places):
    return demo.generate(places, list(TOPIC_SLUGS), seed=7, today=TODAY)


def test_same_seed_gives_the_same_network(places, network):
    assert demo.generate(places, list(TOPIC_SLUGS), seed=7, today=TODAY) == network


def test_another_seed_gives_another_network(places, network):
    assert demo.generate(places, list(TOPIC_SLUGS), seed=8, today=TODAY) != network


def test_default_counts(network):
    assert (len(network.evangelists), len(network.communities), len(network.requests)) == (300, 60, 120)


def test_open_data_share_is_realistic_and_lower_for_villages(places, network):
    share = len(network.open_data_active) / len(places)
    assert 0.80 <= share <= 0.90
    by_kind = Counter(p.kind for p in places)
    active_by_kind = Counter(p.kind for p in places if p.code in network.open_data_active)
    assert active_by_kind["village"] / by_kind["village"] < active_by_kind["city"] / by_kind["city"]


def test_communities_are_in_cities_and_have_unique_names(places, network):
    kinds = {p.code: p.kind for p in places}
    assert {kinds[c.municipality_code] for c in network.communities} <= {"city", "designated_city", "special_ward"}
    assert len({c.name for c in network.communities}) == len(network.communities)


def test_evangelists_live_near_their_community(places, network):
    by_code = {p.code: p for p in places}
    for e in network.evangelists:
        if e.community_index is None:
            continue
        home = by_code[network.communities[e.community_index].municipality_code]
        # 40 km neighbourhood plus at most 3 km of jitter on each axis.
        assert haversine_km(home.lat, home.lon, e.lat, e.lon) < 40 + 5


def test_requests_come_only_from_municipalities_without_open_data(network):
    assert all(r.municipality_code not in network.open_data_active for r in network.requests)
    assert len({r.municipality_code for r in network.requests}) == len(network.requests)


def test_generated_contacts_use_the_reserved_example_domain(network):
    assert all(r.email.endswith("@example.jp") for r in network.requests)
    assert all(r.phone.startswith("+8130000") and len(r.phone) == 12 for r in network.requests)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"evangelists": -1}, "evangelists must be 0 or more"),
        ({"communities": 0, "evangelists": 5}, "at least one"),
        ({"communities": 100_000}, "cannot place"),
    ],
)
def test_impossible_requests_are_refused_with_a_reason(places, kwargs, message):
    with pytest.raises(ValueError, match=message):
        demo.generate(places, list(TOPIC_SLUGS), today=TODAY, **kwargs)


def test_an_empty_topic_vocabulary_is_refused(places):
    with pytest.raises(ValueError, match="topic"):
        demo.generate(places, [], today=TODAY)
