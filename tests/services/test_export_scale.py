"""Exports at scale (issue 19.3): one SQL statement per export whatever its size, rows read
a chunk at a time, and memory that does not grow with the rows."""

from __future__ import annotations

import tracemalloc
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.models import Municipality, Outcome, Topic, Visit, visit_topics
from app.services import exports
from app.services.exports import export_csv
from app.services.topics import sync_topics
from tests.factories import (
    make_assignment,
    make_community,
    make_evangelist,
    make_municipality,
    make_outcome,
    make_request,
    make_visit,
)

URL = "/coordinator/data/export/{}.csv"


def grow(db, n: int) -> None:
    """``n`` more of everything each export lists: towns, communities, evangelists with
    skills, requests with topics, visits with topics, outcomes."""
    topics = list(db.session.scalars(sa.select(Topic).order_by(Topic.id)))
    made = db.session.scalar(sa.select(sa.func.count()).select_from(Municipality))
    for i in range(made, made + n):
        town = make_municipality(code=f"01{i:04d}")
        community = make_community(municipality=town)
        evangelist = make_evangelist(home_municipality=town, home_community=community if i % 2 else None,
                                     skills=topics[i % 5:i % 5 + 2], family_name=f"姓{i}", languages=["ja", "en"])
        request = make_request(municipality=town, topics=topics[i % 3:i % 3 + 2], phone=f"+8131234{i:04d}",
                               message="=SUM(A1)" if i % 7 == 0 else "相談")
        assignment = make_assignment(request=request, evangelist=evangelist, status="accepted")
        visit = make_visit(assignment=assignment, visited_on=date(2024, 1, 1) + timedelta(days=i),
                           topics=topics[i % 4:i % 4 + 3])
        make_outcome(visit=visit)
    db.session.commit()


@pytest.fixture
def topics(db):
    sync_topics()


def statements(count_queries, kind: str, **options) -> int:
    with count_queries() as counted:
        text = "".join(export_csv(kind, {}, **options))
    assert text.count("\r\n") > 1, kind
    return counted.count


@pytest.mark.parametrize("kind", exports.KINDS)
def test_an_export_issues_the_same_statements_whatever_its_size(db, topics, count_queries, kind):
    """Read in chunks of 4 rows: 3 rows of each are one chunk, 40 are ten; the count of
    statements is the same (the rows come from one statement, a chunk per fetch)."""
    grow(db, 3)
    small = statements(count_queries, kind, chunk_size=4)
    grow(db, 37)
    assert statements(count_queries, kind, chunk_size=4) == small
    # The rows, the topics' order, a filter's check at most; and on PostgreSQL the two
    # SET LOCALs that plan the cursor for every row.
    assert small <= 3 + (2 if db.engine.dialect.name == "postgresql" else 0)


@pytest.mark.parametrize("query", ["", "?format=codes"])
def test_every_export_page_issues_the_same_statements_at_two_sizes(db, topics, coordinator_client,
                                                                   count_queries, query):
    grow(db, 3)
    counts = {}
    for kind in exports.KINDS:
        coordinator_client.get(URL.format(kind) + query).get_data()  # the first request warms up
        with count_queries() as counted:
            coordinator_client.get(URL.format(kind) + query).get_data()
        counts[kind] = counted.count
    grow(db, 30)
    for kind in exports.KINDS:
        with count_queries() as counted:
            response = coordinator_client.get(URL.format(kind) + query)
            assert response.status_code == 200 and response.get_data().count(b"\r\n") > 30
        assert counted.count == counts[kind], kind


def add_visits(db, n: int) -> None:
    """``n`` more visits (with two topics each and an outcome) under one assignment,
    inserted in bulk: only the export's memory is measured, so the rows need no factory."""
    assignment_id = db.session.scalar(sa.select(Visit.assignment_id).limit(1))
    topic_ids = list(db.session.scalars(sa.select(Topic.id).order_by(Topic.id).limit(2)))
    first = (db.session.scalar(sa.select(sa.func.max(Visit.id))) or 0) + 1
    ids = range(first, first + n)
    db.session.execute(sa.insert(Visit), [
        {"id": i, "assignment_id": assignment_id, "visited_on": date(2024, 1, 1) + timedelta(days=i % 700),
         "mode": "onsite", "duration_minutes": 90, "attendee_count": 4, "attendee_departments": "情報政策課、企画課",
         "summary": f"オープンデータの進め方について相談 {i}。" * 4, "next_steps": "次回はデータセットの選定"}
        for i in ids])
    db.session.execute(sa.insert(visit_topics), [{"visit_id": i, "topic_id": t} for i in ids for t in topic_ids])
    db.session.execute(sa.insert(Outcome), [
        {"visit_id": i, "type": "event_held", "achieved_on": date(2024, 1, 1) + timedelta(days=i % 700), "note": "開催"}
        for i in ids])
    db.session.commit()


def peak_bytes(kind: str, **options) -> tuple[int, int]:
    """The peak of memory allocated while the whole export is read and thrown away, and
    how many rows it had."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        rows = sum(chunk.count("\r\n") for chunk in export_csv(kind, {}, chunk_size=200, **options)) - 1
        return tracemalloc.get_traced_memory()[1], rows
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("kind", ["visits", "outcomes"])
def test_memory_does_not_grow_with_the_rows(db, topics, app, kind):
    """The peak while 4,000 rows are exported is about that of 400: a chunk of rows and
    its text at a time, never the whole file nor every row."""
    from app.data.columns import readable

    grow(db, 1)
    add_visits(db, 399)
    with app.test_request_context():
        options = readable(kind, "labels", "ja")
    peak_bytes(kind, **options)  # compiled statements and caches, once
    small, small_rows = peak_bytes(kind, **options)
    add_visits(db, 3600)
    large, large_rows = peak_bytes(kind, **options)
    assert (small_rows, large_rows) == (400, 4000)
    assert large < small * 1.5, (small, large)
