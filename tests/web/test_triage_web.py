"""Issue 17 on the coordinator's request page and plan: forward moves only, sending back
with a reason and a confirmation (point 2), withdrawing a proposal (point 8), proposing
anyone (point 16), asking before proposing and saying what happened (point 17), and the
words of an online match (point 19)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.models import Assignment, AuditEvent, Topic
from app.services.topics import sync_topics
from evangelists.lifecycle import back_moves, forward_moves
from evangelists.vocabulary import REQUEST_STATUSES
from tests.conftest import sign_in
from tests.factories import make_assignment, make_evangelist, make_municipality, make_prefecture, make_request

HOSTILE = "<script>alert(1)</script>{{7*7}}{{"


@pytest.fixture
def scene(db, make_account):
    """A triaged request in Tobetsu; a near evangelist; eleven more in Sapporo who push a far
    one (Naha, 1,900 km, online) out of the suggested ten; a full one; a retired one."""
    sync_topics()
    gis = db.session.scalar(sa.select(Topic).where(Topic.slug == "gis"))
    hokkaido = make_prefecture()
    okinawa = make_prefecture(code="47", name_ja="沖縄県", name_kana="オキナワケン", name_en="Okinawa", region="kyushu")
    tobetsu = make_municipality(code="013030", name="当別町", lat=43.224, lon=141.517, prefecture=hokkaido)
    sapporo = make_municipality(code="011002", name="札幌市", lat=43.062, lon=141.354, prefecture=hokkaido)
    naha = make_municipality(code="472018", name="那覇市", lat=26.21, lon=127.68, prefecture=okinawa)
    request = make_request(municipality=tobetsu, status="triaged", preferred_mode="either", topics=[gis])
    near_user = make_account("evangelist")
    near = make_evangelist(user=near_user, family_name="近藤", given_name="花子", home_municipality=sapporo,
                           lat=sapporo.lat, lon=sapporo.lon, skills=[gis])
    crowd = [make_evangelist(family_name="佐藤", given_name=f"太郎{i}", home_municipality=sapporo, lat=sapporo.lat,
                             lon=sapporo.lon, skills=[gis]) for i in range(11)]
    far_user = make_account("evangelist")
    far = make_evangelist(user=far_user, family_name="南", given_name="陸", home_municipality=naha, lat=naha.lat,
                          lon=naha.lon, travel_radius_km=50, online_ok=True)
    full = make_evangelist(family_name="南野", given_name="葵", home_municipality=sapporo, lat=sapporo.lat,
                           lon=sapporo.lon, capacity=0)
    retired = make_evangelist(user=None, status="retired", family_name="南田", given_name="修",
                              home_municipality=sapporo, lat=sapporo.lat, lon=sapporo.lon)
    offline = make_evangelist(family_name="南条", given_name="誠", home_municipality=naha, lat=naha.lat, lon=naha.lon,
                              travel_radius_km=50, online_ok=False)
    db.session.commit()
    return dict(request=request, near=near, near_user=near_user, far=far, far_user=far_user, full=full,
                retired=retired, offline=offline, crowd=crowd, tobetsu=tobetsu)


def page(client, url: str, **kw) -> str:
    return client.get(url, **kw).get_data(as_text=True)


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- Point 2: forward only; back is explicit -------------------------------------------------


@pytest.mark.parametrize("status", REQUEST_STATUSES)
def test_the_triage_panel_offers_only_forward_moves_and_send_back_for_back_moves(coordinator_client, db, status):
    request = make_request(status=status, decline_reason="理由" if status == "declined" else None)
    db.session.commit()
    coordinator_client.set_cookie("lang", "en")
    html = page(coordinator_client, f"/coordinator/requests/{request.id}")
    assert ("Mark as triaged" in html) == ("triaged" in forward_moves("request", status))
    assert ("Decline the request" in html) == ("declined" in forward_moves("request", status))
    assert ("/send-back" in html) == bool(back_moves("request", status))


@pytest.mark.parametrize("status", ["assigned", "scheduled"])
def test_mark_as_triaged_no_longer_sends_an_assigned_request_back(coordinator_client, db, status):
    request = make_request(status=status)
    db.session.commit()
    coordinator_client.set_cookie("lang", "ja")
    html = page(coordinator_client, f"/coordinator/requests/{request.id}")
    assert "確認済みにする" not in html and "差し戻す" in html
    answer = coordinator_client.post(f"/coordinator/requests/{request.id}/triage", follow_redirects=True)
    db.session.refresh(request)
    assert request.status == status
    assert "差し戻す" in answer.get_data(as_text=True)


def test_sending_back_needs_a_reason_and_a_ticked_confirmation(app, coordinator_client, db, scene):
    request = scene["request"]
    request.status = "assigned"
    assignment = make_assignment(request=request, evangelist=scene["near"], status="accepted")
    db.session.commit()
    url = f"/coordinator/requests/{request.id}/send-back"
    coordinator_client.set_cookie("lang", "en")
    for data in ({"target": "triaged", "reason": "", "confirm": "y"},
                 {"target": "triaged", "reason": HOSTILE}):
        answer = coordinator_client.post(url, data=data)
        assert answer.status_code == 422
        db.session.refresh(request)
        assert request.status == "assigned"
    html = answer.get_data(as_text=True)
    assert "Tick the box to confirm." in html and "<script>alert(1)" not in html and "&lt;script&gt;" in html
    done = coordinator_client.post(url, data={"target": "triaged", "reason": HOSTILE, "confirm": "y"},
                                   follow_redirects=True).get_data(as_text=True)
    db.session.refresh(request)
    db.session.refresh(assignment)
    assert (request.status, assignment.status) == ("triaged", "cancelled")
    assert "Sent back to “Triaged”" in done and "近藤 花子" in done
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "request.sent_back"))
    assert event.after["reason"] == HOSTILE
    # The evangelist is told on their page.
    evangelist = app.test_client()
    evangelist.set_cookie("lang", "ja")
    sign_in(evangelist, scene["near_user"])
    mine = page(evangelist, "/me/")
    assert "コーディネーターが取り下げました" in mine
    assert "&lt;script&gt;alert(1)&lt;/script&gt;{{7*7}}{{" in mine and "<script>alert(1)" not in mine


def test_send_back_is_refused_where_the_lifecycle_has_no_back_move(coordinator_client, db):
    request = make_request(status="triaged")
    db.session.commit()
    coordinator_client.post(f"/coordinator/requests/{request.id}/send-back",
                            data={"target": "new", "reason": "x", "confirm": "y"})
    db.session.refresh(request)
    assert request.status == "triaged"


# --- Point 8: withdraw a proposal -------------------------------------------------------------


def test_a_coordinator_withdraws_a_proposal_and_the_evangelist_is_told(app, coordinator_client, db, scene):
    request = scene["request"]
    coordinator_client.post(f"/coordinator/requests/{request.id}/assign",
                            data={"evangelist_id": scene["near"].id, "confirmed": "1"})
    assignment = db.session.scalars(sa.select(Assignment)).one()
    evangelist = app.test_client()
    evangelist.set_cookie("lang", "ja")
    sign_in(evangelist, scene["near_user"])
    assert "取り下げ" not in page(evangelist, "/me/")

    coordinator_client.set_cookie("lang", "en")
    html = page(coordinator_client, f"/coordinator/requests/{request.id}")
    assert "Withdraw the proposal" in html
    done = coordinator_client.post(f"/coordinator/requests/{request.id}/assignments/{assignment.id}/withdraw",
                                   follow_redirects=True).get_data(as_text=True)
    assert "Proposal to 近藤 花子 withdrawn" in done and "The request is now “Triaged”" in done
    db.session.refresh(assignment)
    db.session.refresh(request)
    assert (assignment.status, request.status) == ("cancelled", "triaged")
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "assignment.withdrawn")) is not None
    mine = page(evangelist, "/me/")
    assert "コーディネーターが取り下げました" in mine and "当別町" in mine
    # Nothing left to withdraw; a second press says so.
    again = coordinator_client.post(f"/coordinator/requests/{request.id}/assignments/{assignment.id}/withdraw",
                                    follow_redirects=True).get_data(as_text=True)
    assert "can no longer be withdrawn" in again


def test_an_accepted_assignment_is_not_withdrawn_and_another_requests_assignment_is_a_404(coordinator_client, db,
                                                                                             scene):
    request = scene["request"]
    request.status = "assigned"
    accepted = make_assignment(request=request, evangelist=scene["near"], status="accepted")
    other = make_request(status="triaged")
    db.session.commit()
    assert coordinator_client.post(f"/coordinator/requests/{other.id}/assignments/{accepted.id}/withdraw"
                                   ).status_code == 404
    coordinator_client.post(f"/coordinator/requests/{request.id}/assignments/{accepted.id}/withdraw")
    db.session.refresh(accepted)
    assert accepted.status == "accepted"


# --- Point 16: propose anyone -----------------------------------------------------------------


def test_someone_outside_the_suggested_ten_is_found_by_reading_and_shows_score_and_reasons(coordinator_client,
                                                                                            scene):
    url = f"/coordinator/requests/{scene['request'].id}"
    coordinator_client.set_cookie("lang", "en")
    suggested = page(coordinator_client, url)
    suggestions = suggested[suggested.index("suggestions"):suggested.index("person-search")]
    assert "南 陸" not in suggestions  # out of the top ten
    for query in ("南 陸", "みなみ", "minami riku", "ミナミ"):
        html = page(coordinator_client, url, query_string={"who": query})
        found = html[html.index('class="list-unstyled mb-0 found"'):]
        assert "南 陸" in found, query
        assert "Can help online" in found and "km away" in found
    html = page(coordinator_client, url, query_string={"who": "みなみ"})
    found = html[html.index('class="list-unstyled mb-0 found"'):]
    assert f'name="evangelist_id" value="{scene["far"].id}"' in found


def test_ineligible_people_are_listed_with_why_and_no_button(coordinator_client, scene):
    coordinator_client.set_cookie("lang", "en")
    html = page(coordinator_client, f"/coordinator/requests/{scene['request'].id}", query_string={"who": "南"})
    found = html[html.index('class="list-unstyled mb-0 found"'):]
    assert "4 people found." in html
    assert "at capacity (0 of 0 slots in use)" in found
    assert "not active (Retired)" in found
    assert "too far to visit" in found and "does not advise online" in found
    for person in (scene["full"], scene["retired"], scene["offline"]):
        assert f'name="evangelist_id" value="{person.id}"' not in found


def test_a_hostile_search_is_shown_escaped(coordinator_client, scene):
    coordinator_client.set_cookie("lang", "en")
    html = page(coordinator_client, f"/coordinator/requests/{scene['request'].id}", query_string={"who": HOSTILE})
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;{{7*7}}{{" in html
    assert "0 people found." in html


# --- Point 17: ask first, then say what happened ---------------------------------------------


def test_proposing_asks_first_with_the_score_then_says_who(coordinator_client, db, scene):
    url = f"/coordinator/requests/{scene['request'].id}/assign"
    coordinator_client.set_cookie("lang", "en")
    ask = coordinator_client.post(url, data={"evangelist_id": scene["far"].id})
    html = ask.get_data(as_text=True)
    assert ask.status_code == 200 and "Propose 南 陸 for request" in html and "Can help online" in html
    assert count(db, Assignment) == 0
    done = coordinator_client.post(url, data={"evangelist_id": scene["far"].id, "confirmed": "1"},
                                   follow_redirects=True).get_data(as_text=True)
    assert "Proposed to 南 陸." in done
    assert db.session.scalars(sa.select(Assignment.evangelist_id)).all() == [scene["far"].id]


def test_the_confirmation_page_says_why_someone_cannot_be_proposed(coordinator_client, db, scene):
    coordinator_client.set_cookie("lang", "en")
    html = coordinator_client.post(f"/coordinator/requests/{scene['request'].id}/assign",
                                   data={"evangelist_id": scene["retired"].id}).get_data(as_text=True)
    assert "not active (Retired)" in html and 'name="confirmed"' not in html
    assert count(db, Assignment) == 0


def test_the_plan_asks_before_proposing_and_never_proposes_everything_unasked(coordinator_client, db, scene):
    second = make_request(municipality=scene["tobetsu"], status="triaged", preferred_mode="onsite")
    db.session.commit()
    coordinator_client.set_cookie("lang", "en")
    plan = page(coordinator_client, "/coordinator/plan")
    assert "all rows if none is ticked" not in plan and "Propose all 2…" in plan
    # The old single button with nothing ticked: nothing is proposed.
    nothing = coordinator_client.post("/coordinator/plan", data={"scope": "ticked"}, follow_redirects=True)
    assert "Tick the rows to propose" in nothing.get_data(as_text=True) and count(db, Assignment) == 0
    nothing = coordinator_client.post("/coordinator/plan", data={}, follow_redirects=True)
    assert count(db, Assignment) == 0
    review = coordinator_client.post("/coordinator/plan", data={"scope": "all"}).get_data(as_text=True)
    assert "Propose these 2 assignments?" in review and count(db, Assignment) == 0
    assert f"#{scene['request'].id} 当別町" in review and f"#{second.id} 当別町" in review
    pairs = re.findall(r'name="pair" value="([0-9-]+)"', review)
    done = coordinator_client.post("/coordinator/plan", data={"confirmed": "1", "pair": pairs},
                                   follow_redirects=True).get_data(as_text=True)
    assert "2 assignments proposed:" in done and f"#{second.id} 当別町 →" in done
    assert count(db, Assignment) == 2


def test_a_plan_confirmed_after_a_change_saves_nothing(coordinator_client, db, scene):
    review = coordinator_client.post("/coordinator/plan", data={"scope": "all"}).get_data(as_text=True)
    pairs = re.findall(r'name="pair" value="([0-9-]+)"', review)
    scene["request"].status = "declined"
    scene["request"].decline_reason = "x"
    db.session.commit()
    coordinator_client.set_cookie("lang", "en")
    done = coordinator_client.post("/coordinator/plan", data={"confirmed": "1", "pair": pairs},
                                   follow_redirects=True).get_data(as_text=True)
    assert "Nothing was saved" in done and count(db, Assignment) == 0
    assert coordinator_client.post("/coordinator/plan", data={"confirmed": "1", "pair": ["1-x"]}).status_code == 400


# --- Point 19: an online match is "can help online", not "online only" -------------------------


def test_an_online_requests_suggestions_say_can_help_online(coordinator_client, db, scene):
    scene["request"].preferred_mode = "online"
    db.session.commit()
    coordinator_client.set_cookie("lang", "ja")
    html = page(coordinator_client, f"/coordinator/requests/{scene['request'].id}")
    assert "オンラインのみ" not in html and "オンライン対応可" in html
    coordinator_client.set_cookie("lang", "en")
    html = page(coordinator_client, f"/coordinator/requests/{scene['request'].id}")
    assert "online only" not in html and "Can help online" in html

