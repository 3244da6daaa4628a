"""The batch plan page by page, its totals over the whole plan, proposing across pages,
and a plan that changed since it was shown (issue 19 §4); the request page's statements
at two data sizes."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.coordinator import routes
from app.models import Assignment, SupportRequest, Topic
from app.services.topics import sync_topics
from tests.factories import make_assignment, make_evangelist, make_municipality, make_request


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(routes, "PLAN_PAGE_SIZE", 2)
    monkeypatch.setattr(routes, "CONFIRM_SHOWN", 2)


def scene(db, n_requests=5, n_evangelists=6):
    sync_topics()
    gis = db.session.scalar(sa.select(Topic).where(Topic.slug == "gis"))
    town = make_municipality(name="当別町", lat=43.224, lon=141.517)
    people = [make_evangelist(home_municipality=town, given_name=f"花子{k}", skills=[gis], capacity=1,
                              travel_radius_km=100) for k in range(n_evangelists)]
    requests = [make_request(municipality=town, status="triaged", preferred_mode="onsite", topics=[gis])
                for _ in range(n_requests)]
    db.session.commit()
    return town, people, requests


def pairs_of(html: str) -> list[str]:
    return re.findall(r'name="pair" value="([0-9-]+)"', html)


def test_the_plan_is_shown_page_by_page_with_totals_over_all_pages(coordinator_client, db, small_pages):
    _town, _people, requests = scene(db, n_requests=5, n_evangelists=4)
    coordinator_client.set_cookie("lang", "en")
    first = coordinator_client.get("/coordinator/plan").get_data(as_text=True)
    third = coordinator_client.get("/coordinator/plan?page=3").get_data(as_text=True)
    shown = re.findall(r'name="row" value="(\d+)"', first)
    assert len(shown) == 2 and "Rows 1 to 2 of 5." in first and "Pages of the plan" in first
    assert "Propose all 4…" in first and "Mean distance (km)" in first
    # Four people, one slot each: one request is unserved, on the last page.
    assert "Unserved" in third and "Rows 5 to 5 of 5." in third
    assert coordinator_client.get("/coordinator/plan?page=abc").get_data(as_text=True).count('name="row"') == 2
    beyond = coordinator_client.get("/coordinator/plan?page=99")
    assert beyond.status_code == 200 and "past the end of the plan" in beyond.get_data(as_text=True)


def test_ticked_rows_of_a_page_are_proposed(coordinator_client, db, small_pages):
    _town, _people, requests = scene(db)
    coordinator_client.set_cookie("lang", "en")
    page2 = coordinator_client.get("/coordinator/plan?page=2").get_data(as_text=True)
    digest = re.search(r'name="plan" value="(\w+)"', page2).group(1)
    ticked = re.findall(r'name="row" value="(\d+)"', page2)[:1]
    review = coordinator_client.post("/coordinator/plan", data={"row": ticked, "scope": "ticked", "plan": digest,
                                                                "page": "2"}).get_data(as_text=True)
    assert "Propose this assignment?" in review and len(pairs_of(review)) == 1
    done = coordinator_client.post("/coordinator/plan", data={"confirmed": "1", "pair": pairs_of(review)},
                                   follow_redirects=True).get_data(as_text=True)
    assert "1 assignment proposed:" in done
    assert db.session.scalars(sa.select(Assignment.request_id)).all() == [int(ticked[0])]


def test_propose_all_covers_every_page(coordinator_client, db, small_pages):
    _town, _people, requests = scene(db, n_requests=5, n_evangelists=6)
    coordinator_client.set_cookie("lang", "en")
    review = coordinator_client.post("/coordinator/plan", data={"scope": "all"}).get_data(as_text=True)
    assert "Propose these 5 assignments?" in review and "…and 3 more" in review
    assert len(pairs_of(review)) == 5 and review.count('class="small"') <= 2 + 1
    done = coordinator_client.post("/coordinator/plan", data={"confirmed": "1", "pair": pairs_of(review)},
                                   follow_redirects=True).get_data(as_text=True)
    assert "5 assignments proposed:" in done and count(db, Assignment) == 5
    assert set(db.session.scalars(sa.select(SupportRequest.status))) == {"assigned"}


def test_a_plan_that_changed_since_it_was_shown_proposes_nothing(coordinator_client, db, small_pages):
    town, people, requests = scene(db, n_requests=3, n_evangelists=3)
    coordinator_client.set_cookie("lang", "en")
    page = coordinator_client.get("/coordinator/plan").get_data(as_text=True)
    digest = re.search(r'name="plan" value="(\w+)"', page).group(1)
    review = coordinator_client.post("/coordinator/plan", data={"scope": "all", "plan": digest})
    pairs = pairs_of(review.get_data(as_text=True))
    # Someone retires meanwhile: their row of the plan no longer holds.
    taken = int(pairs[0].split("-")[1])
    next(p for p in people if p.id == taken).status = "retired"
    db.session.commit()
    again = coordinator_client.post("/coordinator/plan", data={"scope": "all", "plan": digest},
                                    follow_redirects=True).get_data(as_text=True)
    assert "The plan changed since this page was shown" in again and count(db, Assignment) == 0
    done = coordinator_client.post("/coordinator/plan", data={"confirmed": "1", "pair": pairs},
                                   follow_redirects=True).get_data(as_text=True)
    assert "Nothing was saved; here is a fresh plan." in done and count(db, Assignment) == 0
    # An unrelated write leaves the plan as it was: its pairs still apply.
    make_municipality(name="遠い町", lat=26.2, lon=127.7)
    db.session.commit()
    review = coordinator_client.post("/coordinator/plan", data={"scope": "all"}).get_data(as_text=True)
    fresh = pairs_of(review)
    make_municipality(name="もう一つの町", lat=26.3, lon=127.7)
    db.session.commit()
    done = coordinator_client.post("/coordinator/plan", data={"confirmed": "1", "pair": fresh},
                                   follow_redirects=True).get_data(as_text=True)
    assert f"{len(fresh)} assignments proposed:" in done and count(db, Assignment) == len(fresh) == 2


def test_the_plan_and_request_pages_read_as_much_at_two_sizes(coordinator_client, db, count_queries):
    """Statements of the request page (suggestions, history, assignments, messages) and of
    the plan's page do not grow with the evangelists, requests and assignments."""
    sizes = []
    for n_requests, n_evangelists in ((2, 3), (30, 40)):
        town, people, requests = scene(db, n_requests=n_requests, n_evangelists=n_evangelists)
        for person in people[:n_evangelists // 2]:
            make_assignment(request=make_request(municipality=town, status="completed"), evangelist=person,
                            status="completed")
        db.session.commit()
        target = requests[0].id
        coordinator_client.get(f"/coordinator/requests/{target}")  # the pool is read and kept
        coordinator_client.get("/coordinator/plan")
        measured = []
        for path in (f"/coordinator/requests/{target}", "/coordinator/plan", "/coordinator/plan?page=2"):
            with count_queries() as counted:
                assert coordinator_client.get(path).status_code == 200
            measured.append(counted.count)
        sizes.append(measured)
    assert sizes[0] == sizes[1], sizes
