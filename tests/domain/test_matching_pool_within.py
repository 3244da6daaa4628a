"""CandidatePool.within: a regional coordinator's part of the pool keeps its columns."""

from evangelists.matching import Candidate, CandidatePool


def _candidate(cid, pref, skills=(), visited=()):
    return Candidate(id=cid, lat=35.0 + cid / 100, lon=135.0, skills=frozenset(skills), capacity=3,
                     active_load=1, travel_radius_km=50.0, online_ok=bool(cid % 2), prefecture_code=pref,
                     visited=frozenset(visited))


def test_within_keeps_only_the_given_prefectures_with_every_column():
    people = [_candidate(1, "01", {"budget"}, {"011002"}), _candidate(2, "13", {"gis", "budget"}),
              _candidate(3, "40", (), {"401005"}), _candidate(4, "13", {"gis"}, {"131016"})]
    pool = CandidatePool(people)
    part = pool.within({"13", "40"})
    assert part.ids.tolist() == [2, 3, 4]
    for person in people[1:]:
        assert part.candidate(person.id) == person
    assert len(pool.within(set())) == 0
    assert pool.within({"01", "13", "40"}).ids.tolist() == [1, 2, 3, 4]
