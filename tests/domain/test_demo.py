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
    assert (len(network.evangelists), len(network.communities), len(network.requests)) == (300, 60, 200)


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


def test_every_request_story_starts_with_its_submission_and_ends_before_today(network):
    from evangelists.calendar import start_of_day_in_japan

    cutoff = start_of_day_in_japan(TODAY)
    for r in network.requests:
        assert r.steps[0].kind == "submitted" and r.steps[0].at == r.submitted_at
        assert [s.at for s in r.steps] == sorted(s.at for s in r.steps)
        assert r.steps[-1].at < cutoff
        assert r.status == demo.STATUS_AFTER_STEP[r.steps[-1].kind]


def test_past_work_goes_to_people_appointed_before_it_and_never_to_the_demo_evangelist(network):
    for r in network.requests:
        for a in r.assignments:
            person = network.evangelists[a.evangelist_index]
            assert a.evangelist_index != network.demo_evangelist
            assert person.status == "active" and person.appointed_on <= a.proposed_at.date()


def test_apportion_follows_the_weights_and_gives_everyone_the_minimum():
    assert demo.apportion({"a": 1, "b": 1, "c": 2}, 8) == {"a": 2, "b": 2, "c": 4}
    assert demo.apportion({"a": 100, "b": 1}, 5, minimum=1) == {"a": 4, "b": 1}
    assert sum(demo.apportion({"a": 1, "b": 2, "c": 3}, 7).values()) == 7


def test_the_shares_cover_the_vocabularies():
    from evangelists.vocabulary import AGE_BANDS, GENDERS

    assert [a for a, _ in demo.AGE_BAND_SHARES] == list(AGE_BANDS)
    assert {g for g, _ in demo.GENDER_SHARES} == set(GENDERS)
    assert set(demo.SUMMARY_TOPICS) == set(TOPIC_SLUGS)
    assert len(demo.prefecture_population()) == 47
    assert sum(demo.prefecture_population().values()) == 126_146_099  # the 2020 census
