"""Page and the services that return one page of a list (items + total)."""

from __future__ import annotations

import pytest

from app.services.admin import AuditFilters, UserFilters, audit_page, user_page
from app.services.audit import record_event
from app.services.communities import CommunityFilters, community_page
from app.services.geography import MunicipalityFilters, municipality_page
from app.services.pages import Page
from app.services.requests import QueueFilters, queue_page
from tests.factories import (
    make_community,
    make_municipality,
    make_prefecture,
    make_request,
    make_user,
)


def test_an_empty_list_has_no_pages():
    page = Page(items=(), total=0, page=1, per_page=10)
    assert (page.pages, page.first, page.last, page.has_prev, page.has_next) == (0, 0, 0, False, False)
    assert (page.prev_num, page.next_num, list(page.iter_pages())) == (None, None, [])


def test_a_middle_page_knows_its_neighbours_and_rows():
    page = Page(items=tuple(range(10)), total=95, page=3, per_page=10)
    assert (page.pages, page.first, page.last) == (10, 21, 30)
    assert (page.has_prev, page.prev_num, page.has_next, page.next_num) == (True, 2, True, 4)


@pytest.mark.parametrize(("current", "expected"), [
    (1, [1, 2, 3, None, 20]),
    (7, [1, None, 6, 7, 8, 9, None, 20]),
    (20, [1, None, 19, 20]),
])
def test_the_page_links_leave_gaps_like_flask_sqlalchemy(current, expected):
    page = Page(items=(object(),), total=200, page=current, per_page=10)
    assert list(page.iter_pages(left_edge=1, left_current=1, right_current=2, right_edge=1)) == expected


def test_the_last_page_may_be_short_and_past_the_end_is_empty():
    assert Page(items=(1, 2, 3), total=23, page=3, per_page=10).last == 23
    assert Page(items=(), total=23, page=9, per_page=10).first == 0


def test_users_come_a_page_at_a_time_with_the_total(db):
    for n in range(5):
        make_user(email=f"person{n}@example.jp", role="evangelist")
    db.session.commit()
    first = user_page(UserFilters(role="evangelist"), page=1, per_page=2)
    last = user_page(UserFilters(role="evangelist"), page=3, per_page=2)
    beyond = user_page(UserFilters(role="evangelist"), page=4, per_page=2)
    assert isinstance(first, Page) and (first.total, len(first.items), first.pages) == (5, 2, 3)
    assert [u.email for u in last.items] == ["person4@example.jp"]
    assert (beyond.items, beyond.total) == ((), 5)


def test_audit_events_page(db):
    for n in range(3):
        record_event("system", "test.happened", "thing", n)
    db.session.commit()
    page = audit_page(AuditFilters(action="test.happened"), page=1, per_page=2)
    assert (page.total, [e.entity_id for e in page.items]) == (3, [2, 1])  # newest first


def test_the_request_queue_communities_and_municipalities_page(db):
    hokkaido = make_prefecture()
    town = make_municipality(prefecture=hokkaido)
    requests = [make_request(municipality=town) for _ in range(3)]
    make_community(municipality=town)
    db.session.commit()
    queue = queue_page(QueueFilters(), page=2, per_page=2)
    assert (queue.total, len(queue.items), queue.page) == (3, 1, 2)
    assert {r.id for r in queue_page(QueueFilters(), page=1, per_page=5).items} == {r.id for r in requests}
    assert community_page(CommunityFilters(), page=1, per_page=10).total == 1
    towns = municipality_page(MunicipalityFilters(prefecture=hokkaido.code), page=1, per_page=10)
    assert [m.code for m in towns.items] == [town.code] and towns.total == 1
