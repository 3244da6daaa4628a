"""The evangelist's side in the browser's terms: assignments, logging and editing visits,
completing, the municipality timeline, and what one evangelist can never see of another."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, Visit
from app.services import visits as visit_service
from app.services.topics import sync_topics
from evangelists.calendar import today_in_japan
from tests.conftest import sign_in
from tests.factories import (
    make_assignment,
    make_evangelist,
    make_municipality,
    make_request,
    make_visit,
)


@pytest.fixture
def two(db, app, make_account):
    """Two evangelists, each with an accepted assignment in a different town."""
    sync_topics()
    people = {}
    for key, town, contact in (("mine", "自分村", "mine@town.example.jp"), ("theirs", "他人町", "theirs@town.example.jp")):
        user = make_account("evangelist")
        municipality = make_municipality(name=town, open_data_status="non_active", engagement_stage="assigned")
        request = make_request(municipality=municipality, status="assigned", email=contact)
        assignment = make_assignment(request=request, evangelist=make_evangelist(user=user), status="accepted",
                                     distance_km=3)
        people[key] = (user, assignment)
    db.session.commit()
    client = app.test_client()
    sign_in(client, people["mine"][0])
    people["client"] = client
    return people


def form_data(**overrides) -> dict:
    data = {
        "visited_on": today_in_japan().isoformat(), "mode": "onsite", "duration_minutes": "60",
        "attendee_count": "3", "attendee_departments": "情報政策課", "topics": ["open_data_publication"],
        "summary": "公開手順を説明しました", "next_steps": "カタログの準備",
        "outcomes-0-type": "open_data_published", "outcomes-0-evidence_url": "https://example.jp/opendata",
        "outcomes-0-note": "", "outcomes-0-count": "",
        "outcomes-1-type": "", "outcomes-2-type": "",
    }
    data.update(overrides)
    return data


def test_logging_a_visit_with_open_data_published_makes_the_town_active(two, db):
    client, (_user, assignment) = two["client"], two["mine"]
    page = client.get(f"/me/assignments/{assignment.id}/visits/new")
    assert page.status_code == 200 and 'name="outcomes-2-type"' in page.get_data(as_text=True)
    response = client.post(f"/me/assignments/{assignment.id}/visits/new", data=form_data())
    assert response.status_code == 302
    visit = db.session.scalars(sa.select(Visit)).one()
    assert [o.type for o in visit.outcomes] == ["open_data_published"]
    town = assignment.request.municipality
    db.session.refresh(town)
    assert (town.open_data_status, town.engagement_stage) == ("active", "active")
    # The public list shows it at once.
    listing = client.get("/municipalities?open_data_status=active&q=自分村").get_data(as_text=True)
    assert "自分村" in listing


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"summary": ""}, "summary", "Write a few words about the visit."),
    ({"duration_minutes": "0"}, "duration_minutes", "Between 1 and 1,440 minutes."),
    ({"visited_on": (today_in_japan() + timedelta(days=10)).isoformat()}, "visited_on", "cannot be in the future"),
    ({"outcomes-0-type": "datasets_published"}, "outcomes-0-count", "how many datasets"),
    ({"outcomes-0-evidence_url": "catalog page"}, "outcomes-0-evidence_url", "full web address"),
    ({"mode": ""}, "mode", "Choose on site or online."),
])
def test_a_bad_answer_is_named_next_to_its_field_and_nothing_typed_is_lost(two, app, db, overrides, field, message):
    client, (_user, assignment) = two["client"], two["mine"]
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    response = client.post(f"/me/assignments/{assignment.id}/visits/new", data=form_data(**overrides))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert f'id="{field}-error"' in html or (field == "mode" and "invalid-feedback" in html)
    assert "カタログの準備" in html and "情報政策課" in html  # what was typed is still there
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 0


def test_an_evangelist_sees_only_their_own_assignments_visits_and_contacts(two, db):
    client = two["client"]
    _their_user, theirs = two["theirs"]
    visit = make_visit(assignment=theirs, author_id=_their_user.id, duration_minutes=30, summary="他人の訪問")
    db.session.commit()
    home = client.get("/me/").get_data(as_text=True)
    assert "自分村" in home and "mine@town.example.jp" in home
    assert "他人町" not in home and "theirs@town.example.jp" not in home
    assert client.get(f"/me/visits/{visit.id}").status_code == 404
    assert client.post(f"/me/visits/{visit.id}", data=form_data()).status_code == 404
    assert client.get(f"/me/assignments/{theirs.id}/visits/new").status_code == 404
    assert client.post(f"/me/assignments/{theirs.id}/complete").status_code == 404
    # The other town's timeline is not theirs to read either.
    town = client.get(f"/municipalities/{theirs.request.municipality.code}").get_data(as_text=True)
    assert "他人の訪問" not in town and "timeline" not in town


def test_the_timeline_shows_an_evangelist_their_own_part_and_the_public_only_participation(two, app, client, db):
    me, (_user, assignment) = two["client"], two["mine"]
    me.post(f"/me/assignments/{assignment.id}/visits/new", data=form_data(**{"outcomes-0-type": "event_held"}))
    code = assignment.request.municipality.code
    mine = me.get(f"/municipalities/{code}").get_data(as_text=True)
    assert 'class="list-unstyled timeline"' in mine and "公開手順を説明しました" in mine
    # Steps in words of what happened, not the assignment's status now ("承諾済み").
    name = assignment.evangelist.display_name
    assert f"{name} さんに打診" in mine and "承諾済み" not in mine
    assignment.responded_at = assignment.created_at
    db.session.commit()
    assert f"{name} さんが引き受け" in me.get(f"/municipalities/{code}").get_data(as_text=True)
    public = client.get(f"/municipalities/{code}").get_data(as_text=True)
    assert "公開手順を説明しました" not in public and 'class="list-unstyled timeline"' not in public


def test_staff_see_the_whole_timeline_and_correct_a_visit_with_an_audit_trail(two, signed_in_client, db):
    me, (_user, assignment) = two["client"], two["mine"]
    me.post(f"/me/assignments/{assignment.id}/visits/new", data=form_data(**{"outcomes-0-type": ""}))
    visit = db.session.scalars(sa.select(Visit)).one()
    staff, coordinator = signed_in_client("coordinator")
    town = staff.get(f"/municipalities/{assignment.request.municipality.code}").get_data(as_text=True)
    assert "公開手順を説明しました" in town
    assert staff.get(f"/coordinator/visits/{visit.id}").status_code == 200
    response = staff.post(f"/coordinator/visits/{visit.id}", data=form_data(summary="訂正済み", **{"outcomes-0-type": ""}))
    assert response.status_code == 302
    db.session.refresh(visit)
    assert visit.summary == "訂正済み"
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "visit.corrected")).one()
    assert event.actor_id == coordinator.id and event.after["summary"] == "訂正済み"


def test_after_14_days_the_visit_is_read_only_for_its_author(two, db, monkeypatch):
    client, (_user, assignment) = two["client"], two["mine"]
    client.post(f"/me/assignments/{assignment.id}/visits/new", data=form_data())
    visit = db.session.scalars(sa.select(Visit)).one()
    assert 'name="summary"' in client.get(f"/me/visits/{visit.id}").get_data(as_text=True)
    later = visit.created_at + timedelta(days=15)
    monkeypatch.setattr(visit_service, "utcnow", lambda: later)
    page = client.get(f"/me/visits/{visit.id}").get_data(as_text=True)
    assert 'name="summary"' not in page and "公開手順を説明しました" in page
    client.post(f"/me/visits/{visit.id}", data=form_data(summary="書き換え"))
    db.session.refresh(visit)
    assert visit.summary == "公開手順を説明しました"


def test_completing_after_a_visit_closes_the_request(two, db):
    client, (_user, assignment) = two["client"], two["mine"]
    client.post(f"/me/assignments/{assignment.id}/complete")
    db.session.refresh(assignment)
    assert assignment.status == "accepted"  # no visit yet: refused with a message
    client.post(f"/me/assignments/{assignment.id}/visits/new", data=form_data(**{"outcomes-0-type": ""}))
    client.post(f"/me/assignments/{assignment.id}/complete")
    db.session.refresh(assignment)
    db.session.refresh(assignment.request)
    assert assignment.status == "completed" and assignment.request.status == "completed"


def test_a_decline_without_a_valid_reason_keeps_the_box_open_with_what_was_typed(app, db, make_account):
    user = make_account("evangelist")
    assignment = make_assignment(request=make_request(status="assigned"), evangelist=make_evangelist(user=user),
                                 status="proposed", distance_km=3)
    db.session.commit()
    client = app.test_client()
    sign_in(client, user)
    too_long = "忙しい" * 200
    response = client.post(f"/me/assignments/{assignment.id}/decline", data={"reason": too_long})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert too_long in html and f'id="reason-{assignment.id}-error"' in html and "<details open>" in html
    db.session.refresh(assignment)
    assert assignment.status == "proposed"


def test_a_long_timeline_comes_in_pages_that_jump_back_to_it(app, signed_in_client, db, monkeypatch):
    monkeypatch.setitem(app.config, "TIMELINE_PER_PAGE", 3)
    town = make_municipality(name="長い歴史の町")
    for n in range(2):
        make_visit(assignment=make_assignment(request=make_request(municipality=town), status="accepted",
                                              distance_km=3),
                   summary=f"<script>訪問{n}</script>", visited_on=today_in_japan() - timedelta(days=n))
    db.session.commit()
    staff, _user = signed_in_client("coordinator")
    first = staff.get(f"/municipalities/{town.code}").get_data(as_text=True)
    assert "&lt;script&gt;訪問0" in first and "<script>訪問" not in first
    assert f'href="/municipalities/{town.code}?page=2#timeline-heading"' in first
    second = staff.get(f"/municipalities/{town.code}?page=2").get_data(as_text=True)
    assert "訪問0" not in second and 'class="list-unstyled timeline"' in second
    assert staff.get(f"/municipalities/{town.code}?page=abc").status_code == 200
