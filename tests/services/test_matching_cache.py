"""The matcher's pool and the batch plan, kept per data version (issue 19 §4): the kept
and the fresh paths rank the same, a write is seen at once, and the reads do not grow."""

from __future__ import annotations

import sqlalchemy as sa

from app.models import Assignment
from app.services import matching
from app.services.topics import sync_topics
from app.services.versioned import kept_values
from evangelists.calendar import today_in_japan
from evangelists.matching import rank
from tests.factories import make_assignment, make_evangelist, make_municipality, make_request


def world(db, n_evangelists: int = 6, n_requests: int = 3):
    from app.models import Topic

    sync_topics()
    topics = db.session.scalars(sa.select(Topic).order_by(Topic.position)).all()
    towns = [make_municipality(lat=43.0 + k * 0.05, lon=141.3 + k * 0.04) for k in range(4)]
    people = [
        make_evangelist(home_municipality=towns[k % 4], lat=towns[k % 4].lat + 0.01 * k, lon=towns[k % 4].lon,
                        skills=topics[k % 3: k % 3 + 2], capacity=1 + k % 3, online_ok=k % 2 == 0)
        for k in range(n_evangelists)
    ]
    requests = [make_request(municipality=towns[k % 4], status="triaged", topics=topics[k % 4: k % 4 + 2],
                             preferred_mode=("onsite", "either", "online")[k % 3])
                for k in range(n_requests)]
    db.session.commit()
    return towns, people, requests


def fresh_suggestions(request, limit=10):
    exclude = matching._already_tried([request.id]).get(request.id, set())
    return rank(matching._need(request), matching._candidates(exclude), limit=limit)


def test_kept_and_fresh_suggestions_rank_the_same(db):
    _towns, people, requests = world(db, n_evangelists=12, n_requests=4)
    for request in requests:
        kept = [s.match for s in matching.suggestions(request)]
        again = [s.match for s in matching.suggestions(request)]
        assert kept == again == fresh_suggestions(request)
        assert kept  # the scene has someone for each


def _reads_the_pool(statements) -> bool:
    return any(s.startswith("SELECT evangelist_skills.evangelist_id, topics.slug") for s in statements)


def test_the_pool_is_read_once_while_its_tables_are_unchanged(app, db, count_queries):
    _towns, _people, requests = world(db)
    matching.suggestions(requests[0])
    with count_queries() as first:
        matching.suggestions(requests[0])
    cache = kept_values(app)
    hits = cache.hits
    with count_queries() as second:
        matching.suggestions(requests[1])
    assert cache.hits >= hits + 1
    assert not _reads_the_pool(first.statements + second.statements)


def test_the_pool_outlives_writes_elsewhere_and_not_a_change_of_its_own_tables(db, count_queries):
    """A message or a new request moves the data version, not the pool's fingerprint; a
    person's edit, a skill added or an assignment's answer makes the pool again."""
    from app.models import Topic

    towns, people, requests = world(db)
    matching.suggestions(requests[0])
    make_request(municipality=towns[0], status="new")  # a write elsewhere
    db.session.commit()
    with count_queries() as elsewhere:
        matching.suggestions(requests[0])
    assert not _reads_the_pool(elsewhere.statements)
    extra = db.session.scalars(sa.select(Topic).order_by(Topic.position.desc())).first()
    for change in (
        lambda: setattr(people[0], "capacity", people[0].capacity + 1),
        lambda: people[1].skills.append(extra),
        lambda: make_assignment(request=requests[1], evangelist=people[2], status="proposed"),
    ):
        change()
        db.session.commit()
        with count_queries() as after:
            matching.suggestions(requests[0])
        assert _reads_the_pool(after.statements)


def test_a_write_is_seen_by_the_next_suggestions_and_plan(db):
    towns, people, requests = world(db)
    before = matching.suggestions(requests[0])
    plan_before = matching.plan_result()
    assert matching.plan_result() is plan_before  # kept
    newcomer = make_evangelist(home_municipality=requests[0].municipality, lat=requests[0].municipality.lat,
                               lon=requests[0].municipality.lon, skills=list(requests[0].topics), capacity=3,
                               online_ok=True, travel_radius_km=200)
    db.session.commit()
    after = matching.suggestions(requests[0])
    assert newcomer.id not in {s.evangelist.id for s in before}
    assert newcomer.id in {s.evangelist.id for s in after}
    assert matching.plan_result() is not plan_before
    # Retiring them (another write) takes them out again.
    newcomer.status = "retired"
    db.session.commit()
    assert newcomer.id not in {s.evangelist.id for s in matching.suggestions(requests[0])}


def test_nothing_kept_is_used_inside_a_transaction_that_wrote(db):
    _towns, people, requests = world(db)
    matching.suggestions(requests[0])
    for person in people:
        person.status = "retired"
    db.session.flush()  # not committed: the version has not moved, the pool would be stale
    assert matching.suggestions(requests[0]) == []
    db.session.rollback()


def test_the_pool_depends_on_the_day(db):
    from datetime import timedelta

    _towns, people, requests = world(db)
    today = today_in_japan()
    people[0].status, people[0].paused_until = "paused", today
    db.session.commit()
    assert people[0].id not in matching.candidate_pool(today).index
    assert people[0].id in matching.candidate_pool(today + timedelta(days=1)).index


def statements(count_queries, call) -> int:
    with count_queries() as counted:
        call()
    return counted.count


def test_the_plan_and_suggestions_read_as_much_at_two_sizes(app, db, count_queries):
    """Fresh (after a write) and kept, the number of statements does not grow with the
    number of evangelists, requests and assignments."""
    from tests.factories import make_assignment

    sizes = []
    for n_evangelists, n_requests in ((4, 2), (40, 25)):
        _towns, people, requests = world(db, n_evangelists, n_requests)
        for person in people[: n_evangelists // 2]:
            make_assignment(request=make_request(municipality=requests[0].municipality, status="completed"),
                            evangelist=person, status="completed")
        db.session.commit()
        kept_values(app).clear()
        sizes.append((
            statements(count_queries, lambda first=requests[0]: matching.suggestions(first)),
            statements(count_queries, lambda last=requests[-1]: matching.suggestions(last)),
            statements(count_queries, lambda: matching.plan_page(1, 50)),
            statements(count_queries, lambda: matching.plan_page(1, 50)),
        ))
    assert sizes[0] == sizes[1], sizes


def test_a_plan_row_keeps_its_values_across_pages(db):
    _towns, _people, requests = world(db, n_evangelists=10, n_requests=5)
    whole = matching.batch_plan()
    pages = matching.plan_page(1, 2).page.items + matching.plan_page(2, 2).page.items + matching.plan_page(3, 2).page.items
    assert [(r.request.id, r.match) for r in pages] == [(r.request.id, r.match) for r in whole.rows]
    result = matching.plan_result()
    assert result.served == whole.served and result.total_score == whole.total_score
    assert matching.plan_page(4, 2).page.items == ()


def test_a_proposal_reads_only_its_evangelist(db, count_queries, make_account):
    _towns, people, requests = world(db, n_evangelists=8)
    coordinator = make_account("coordinator")
    db.session.commit()
    best = matching.suggestions(requests[1])[0].evangelist.id
    with count_queries() as counted:
        matching.propose(coordinator, requests[1], best, address=None)
    reads = [s for s in counted.statements if "FROM evangelists" in s and "JOIN municipalities" in s]
    assert reads and all("evangelists.id = " in s for s in reads)
    assert db.session.scalar(sa.select(Assignment.evangelist_id)) == best


def test_the_person_search_sees_a_renamed_person_at_once_and_keeps_name_order(db):
    _towns, people, requests = world(db, n_evangelists=4)
    people[1].family_name, people[1].given_name = "山田", "花子"
    people[3].family_name, people[3].given_name = "山田", "花子"
    people[2].family_name, people[2].given_name = "山田", "一郎"
    db.session.commit()
    found, total = matching.search_people(requests[0], "山田")
    assert total == 3 and [c.evangelist.id for c in found] == [people[2].id, people[1].id, people[3].id]
    people[0].family_name = "山田"
    db.session.commit()
    assert matching.search_people(requests[0], "山田")[1] == 4
