"""Suggestions, assignments, the batch plan, and never overbooking an evangelist."""

from __future__ import annotations

import re
import threading

import pytest
import sqlalchemy as sa

from app.models import Assignment, AuditEvent, SupportRequest
from app.services.topics import sync_topics
from tests.conftest import sign_in
from tests.factories import (
    make_evangelist,
    make_municipality,
    make_prefecture,
    make_request,
)


@pytest.fixture
def scene(db, make_account):
    """A triaged request in Tobetsu, a near evangelist with a matching skill, a far one."""
    topics = {t.slug: t for t in _topics(db)}
    hokkaido = make_prefecture()
    tobetsu = make_municipality(code="013030", name="当別町", lat=43.224, lon=141.517, prefecture=hokkaido)
    sapporo = make_municipality(code="011002", name="札幌市", lat=43.062, lon=141.354, prefecture=hokkaido)
    asahikawa = make_municipality(code="012041", name="旭川市", lat=43.771, lon=142.365, prefecture=hokkaido)
    request = make_request(municipality=tobetsu, status="triaged", preferred_mode="onsite",
                           topics=[topics["gis"], topics["licensing"]])
    near_user, far_user = make_account("evangelist"), make_account("evangelist")
    near = make_evangelist(user=near_user, family_name="近藤", given_name="花子", home_municipality=sapporo,
                           lat=sapporo.lat, lon=sapporo.lon, skills=[topics["gis"]], capacity=2)
    far = make_evangelist(user=far_user, family_name="遠藤", given_name="太郎", home_municipality=asahikawa,
                          lat=asahikawa.lat, lon=asahikawa.lon, skills=[topics["gis"]],
                          travel_radius_km=150, capacity=1)
    db.session.commit()
    return {"request": request, "near": near, "far": far, "near_user": near_user, "far_user": far_user,
            "tobetsu": tobetsu}


def _topics(db):
    sync_topics()
    from app.models import Topic

    return db.session.scalars(sa.select(Topic)).all()


def test_the_request_page_suggests_evangelists_with_reasons_in_words(coordinator_client, scene):
    coordinator_client.set_cookie("lang", "en")
    html = coordinator_client.get(f"/coordinator/requests/{scene['request'].id}").get_data(as_text=True)
    assert html.index("近藤 花子") < html.index("遠藤 太郎")
    assert "km away" in html and "covers 1 of 2 topics" in html and "0 of 2 slots in use" in html


def test_assigning_freezes_the_match_and_the_evangelist_accepts(app, coordinator_client, db, scene):
    req = scene["request"]
    coordinator_client.post(f"/coordinator/requests/{req.id}/assign", data={"evangelist_id": scene["near"].id, "confirmed": "1"})
    assignment = db.session.scalars(sa.select(Assignment)).one()
    db.session.refresh(req)
    assert (assignment.status, req.status) == ("proposed", "assigned")
    assert 0 < assignment.score <= 1 and assignment.reasons[0][0] == "distance_km"

    evangelist = app.test_client()
    evangelist.set_cookie("lang", "en")
    sign_in(evangelist, scene["near_user"])
    page = evangelist.get("/me/").get_data(as_text=True)
    assert "当別町" in page and req.email in page
    evangelist.post(f"/me/assignments/{assignment.id}/accept")
    db.session.refresh(assignment)
    db.session.refresh(scene["tobetsu"])
    assert assignment.status == "accepted" and scene["tobetsu"].engagement_stage == "assigned"
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"assignment.proposed", "request.assigned", "assignment.accepted"} <= actions


def test_a_decline_returns_the_request_and_excludes_that_evangelist(app, coordinator_client, db, scene):
    req = scene["request"]
    coordinator_client.post(f"/coordinator/requests/{req.id}/assign", data={"evangelist_id": scene["near"].id, "confirmed": "1"})
    assignment = db.session.scalars(sa.select(Assignment)).one()
    evangelist = app.test_client()
    sign_in(evangelist, scene["near_user"])
    evangelist.post(f"/me/assignments/{assignment.id}/decline", data={"reason": ""})
    db.session.refresh(assignment)
    assert assignment.status == "proposed"  # a reason is required
    evangelist.post(f"/me/assignments/{assignment.id}/decline", data={"reason": "その週は出張です"})
    db.session.refresh(assignment)
    db.session.refresh(req)
    assert (assignment.status, assignment.decline_reason, req.status) == ("declined", "その週は出張です", "triaged")
    html = coordinator_client.get(f"/coordinator/requests/{req.id}").get_data(as_text=True)
    suggestions = html.split('class="card mb-3 suggestions"')[1].split("</section>")[0]
    assert "近藤 花子" not in suggestions and "遠藤 太郎" in suggestions


def test_an_evangelist_cannot_answer_someone_elses_assignment(app, coordinator_client, db, scene):
    req = scene["request"]
    coordinator_client.post(f"/coordinator/requests/{req.id}/assign", data={"evangelist_id": scene["near"].id, "confirmed": "1"})
    assignment = db.session.scalars(sa.select(Assignment)).one()
    intruder = app.test_client()
    sign_in(intruder, scene["far_user"])
    assert intruder.post(f"/me/assignments/{assignment.id}/accept").status_code == 404
    assert "当別町" not in intruder.get("/me/").get_data(as_text=True)


def test_an_evangelist_out_of_reach_cannot_be_assigned(coordinator_client, db, scene):
    from tests.factories import make_evangelist as make

    okinawa = make_municipality(code="472018", name="那覇市", lat=26.21, lon=127.68,
                                prefecture=make_prefecture(code="47", name_ja="沖縄県", name_kana="オキナワケン", name_en="Okinawa", region="kyushu"))
    remote = make(home_municipality=okinawa, lat=okinawa.lat, lon=okinawa.lon, online_ok=False)
    db.session.commit()
    coordinator_client.set_cookie("lang", "en")
    html = coordinator_client.post(f"/coordinator/requests/{scene['request'].id}/assign",
                                   data={"evangelist_id": remote.id, "confirmed": "1"},
                                   follow_redirects=True).get_data(as_text=True)
    assert "cannot take this request" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)) == 0


def test_the_batch_plan_shows_the_optimal_plan_and_applies_it(coordinator_client, db, scene):
    second = make_request(municipality=scene["tobetsu"], status="triaged", preferred_mode="onsite")
    db.session.commit()
    coordinator_client.set_cookie("lang", "en")
    html = coordinator_client.get("/coordinator/plan").get_data(as_text=True)
    assert "Served by the plan" in html and f"#{second.id}" in html
    # Proposing asks first, listing what will happen; nothing is saved until confirmed.
    review = coordinator_client.post("/coordinator/plan", data={"row": [second.id], "scope": "ticked"})
    assert review.status_code == 200 and f"{second.id}-{scene['near'].id}" in review.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)) == 0
    coordinator_client.post("/coordinator/plan", data={"confirmed": "1", "pair": [f"{second.id}-{scene['near'].id}"]})
    assignments = db.session.scalars(sa.select(Assignment)).all()
    assert [a.request_id for a in assignments] == [second.id]
    review = coordinator_client.post("/coordinator/plan", data={"scope": "all"}).get_data(as_text=True)
    pairs = re.findall(r'name="pair" value="([0-9-]+)"', review)
    assert len(pairs) == 1
    coordinator_client.post("/coordinator/plan", data={"confirmed": "1", "pair": pairs})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)) == 2
    statuses = set(db.session.scalars(sa.select(SupportRequest.status)))
    assert statuses == {"assigned"}


def test_twenty_concurrent_assignments_never_overbook_an_evangelist(app, db, make_account):
    """Twenty coordinators propose the same evangelist (one free slot) for twenty requests
    at the same moment: exactly one proposal succeeds."""
    from app.services.matching import CapacityFull, propose

    town = make_municipality(lat=43.0, lon=141.3)
    evangelist = make_evangelist(home_municipality=town, lat=43.0, lon=141.3, capacity=1)
    coordinator = make_account("coordinator")
    requests = [make_request(municipality=town, status="triaged") for _ in range(20)]
    db.session.commit()
    ids, evangelist_id, coordinator_id = [r.id for r in requests], evangelist.id, coordinator.id
    outcomes, barrier = [], threading.Barrier(20)

    def attempt(request_id):
        with app.app_context():
            from app.extensions import db as thread_db
            from app.models import SupportRequest as SR
            from app.models import User

            actor = thread_db.session.get(User, coordinator_id)
            target = thread_db.session.get(SR, request_id)
            # Give the connection back before waiting: twenty threads holding one each
            # would exhaust the pool (15) and never all reach the barrier.
            thread_db.session.commit()
            barrier.wait(timeout=60)
            try:
                propose(actor, target, evangelist_id, address=None)
                outcomes.append("ok")
            except CapacityFull:
                outcomes.append("full")
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                outcomes.append(repr(error))

    threads = [threading.Thread(target=attempt, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["full"] * 19 + ["ok"]
    live = db.session.scalar(
        sa.select(sa.func.count()).select_from(Assignment).where(Assignment.evangelist_id == evangelist_id)
    )
    assert live == 1


def test_applying_a_plan_saves_all_rows_or_none(db, scene, make_account):
    from app.services.matching import CapacityFull, apply_plan

    second = make_request(municipality=scene["tobetsu"], status="triaged", preferred_mode="onsite")
    full = make_evangelist(home_municipality=scene["tobetsu"], lat=43.224, lon=141.517, capacity=0)
    coordinator = make_account("coordinator")
    db.session.commit()
    with pytest.raises(CapacityFull):
        apply_plan(coordinator, [(scene["request"].id, scene["near"].id), (second.id, full.id)], address=None)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)) == 0
    db.session.refresh(scene["request"])
    assert scene["request"].status == "triaged"
