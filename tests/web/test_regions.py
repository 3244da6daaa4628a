"""Regional coordinators (issue 20, point 1): a coordinator of one region reaches nothing
of another, on any endpoint, and everything of their own.

Two worlds, each with a request (with an addition, a proposal and a visit, a booking), a
community and an evangelist: one in Aomori (東北, the coordinator's region), one in
Hokkaido (outside it). Every endpoint of the access table is opened with the ids of each
world; every list, map layer and export is read for the outside world's names.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, BulkRun, Notice, OutreachCase
from app.services import regions as regions_service
from app.services.bulk import BulkRefused, bulk_apply
from app.services.ownership import OwnerRefused, change_owner
from app.services.regions import RegionsRefused, scope_of, set_regions
from app.services.topics import sync_topics
from tests.factories import (
    make_addition,
    make_application,
    make_assignment,
    make_booking,
    make_community,
    make_evangelist,
    make_municipality,
    make_places,
    make_registration,
    make_request,
    make_use_case,
    make_visit,
)
from tests.web.test_access import ACCESS
from tests.web.test_access import url_for_endpoint as _url_for_endpoint


def url_for_endpoint(app, endpoint: str, world: dict) -> str:
    """The endpoint's address for ``world``; outreach's bulk result is its own run."""
    if endpoint == "outreach.bulk_done":
        world = {**world, "run_id": world["outreach_run_id"]}
    if endpoint == "outreach.cases_bulk_done":
        world = {**world, "run_id": world["cases_run_id"]}
    return _url_for_endpoint(app, endpoint, world)

OBJECT_ARGS = {"request_id", "addition_id", "assignment_id", "visit_id", "community_id", "evangelist_id",
               "registration_id",
               "booking_id", "run_id", "user_id", "case_id", "code", "application_id", "use_case_id"}
STAFF_RULES = ({"coordinator", "admin"}, {"admin", "coordinator", "evangelist"})


def _world(db, town, tag: str, runner, outreach_runner) -> dict:
    """A request with everything hanging off it, a community and an evangelist in ``town``,
    their names carrying ``tag`` so that a page showing them can be told."""
    community = make_community(municipality=town, name=f"{tag}コミュニティ")
    # A community that registered itself on the public form, waiting for review.
    registration = make_registration(municipality=town, name=f"{tag}の登録", contact_email=f"{tag}@example.jp")
    person = make_evangelist(home_municipality=town, home_community=community, family_name=tag,
                             given_name="花子", family_name_kana="ソトガワ" if tag == "外側" else "ウチガワ",
                             given_name_kana="ハナコ")
    person.user.display_name = f"{tag} 花子"
    request = make_request(municipality=town, contact_name=f"{tag} 担当", status="scheduled",
                           message=f"{tag}の相談です。")
    addition = make_addition(request=request, contact_name=f"{tag} 別職員")
    assignment = make_assignment(request=request, evangelist=person, status="accepted", distance_km=2.0)
    visit = make_visit(assignment=assignment, author_id=person.user_id, summary=f"{tag}の訪問")
    booking = make_booking(assignment=assignment)
    run = BulkRun(nonce=f"run-{tag}", user_id=runner.id, action="triage",
                  rows=[{"request": request.id, "town": town.name, "unchanged": False}])
    db.session.add(run)
    case = OutreachCase(municipality=make_municipality(prefecture=town.prefecture, name="働きかけ村",
                                                       open_data_status="non_active"),
                        status="contacted", opened_by=runner, ask=f"{tag}の働きかけ",
                        next_step=f"{tag}の次の対応")
    db.session.add(case)
    db.session.flush()
    opened = BulkRun(nonce=f"outreach-{tag}", user_id=outreach_runner.id, action="outreach_open",
                     rows=[{"code": case.municipality.code, "town": case.municipality.name, "case": case.id}])
    db.session.add(opened)
    owned = BulkRun(nonce=f"cases-{tag}", user_id=outreach_runner.id, action="outreach_owner",
                    rows=[{"case": case.id, "town": case.municipality.name, "unchanged": False}])
    db.session.add(owned)
    # A public application that may be the person, waiting for a coordinator (issue 22).
    application = make_application(municipality=town, family_name=tag, family_name_kana=person.family_name_kana,
                                   matches=[person.id], motivation=f"{tag}の応募")
    use_case = make_use_case(municipality=town, request=request, status="with_coordinator", title=f"{tag}の事例",
                             author_id=person.user_id)
    db.session.commit()
    return {
        "application_id": application.id,
        "use_case_id": use_case.id, "attachment_id": 1,
        "case_id": case.id, "outreach_run_id": opened.id, "cases_run_id": owned.id,
        "request_id": request.id, "addition_id": addition.id, "assignment_id": assignment.id,
        "visit_id": visit.id, "community_id": community.id, "evangelist_id": person.id,
        "registration_id": registration.id,
        "booking_id": booking.id, "run_id": run.id, "user_id": person.user_id,
        "dataset": "requests", "code": town.code, "locale": "en", "purpose": "reset", "token": "x",
        "notice_id": 1, "job_id": 1,
    }


@pytest.fixture
def regional(app, db, make_account, signed_in_client):
    """(client of a coordinator of 東北 only, the inside world, the outside world)."""
    sync_topics()
    places = make_places("aomori", "sapporo")
    national = make_account("coordinator")
    client, user = signed_in_client("coordinator")
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    set_regions(national, user, ["tohoku"])
    inside = _world(db, places["aomori"], "内側", national, user)
    outside = _world(db, places["sapporo"], "外側", national, national)
    return client, user, inside, outside


def _staff_endpoints():
    """The endpoints staff may reach (staff only, or anyone signed in), old addresses aside."""
    for endpoint, (method, rule) in sorted(ACCESS.items()):
        if set(rule) not in STAFF_RULES or endpoint == "auth.logout":
            continue
        if endpoint.startswith("coordinator.moved_"):
            continue  # 308 to the new address, checked there
        yield endpoint, method


def _arguments(app, endpoint):
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    return set(rule.arguments)


def test_every_object_of_another_region_is_a_404(app, regional):
    client, _user, _inside, outside = regional
    wrong = []
    for endpoint, method in _staff_endpoints():
        if not _arguments(app, endpoint) & OBJECT_ARGS:
            continue
        response = client.open(url_for_endpoint(app, endpoint, outside), method=method)
        if response.status_code != 404:
            wrong.append(f"{endpoint}: {response.status_code}")
    assert wrong == []


def test_every_object_of_their_own_region_is_reached(app, regional):
    client, _user, inside, _outside = regional
    wrong = []
    for endpoint, method in _staff_endpoints():
        if not _arguments(app, endpoint) & OBJECT_ARGS:
            continue
        response = client.open(url_for_endpoint(app, endpoint, inside), method=method)
        if response.status_code in (403, 404) or response.status_code >= 500:
            wrong.append(f"{endpoint}: {response.status_code}")
    assert wrong == []


OUTSIDE_MARKS = ("外側", "ソトガワ", "Sotogawa", "sotogawa")

LISTS = [
    "/coordinator/", "/coordinator/?scope=all", "/coordinator/requests", "/coordinator/requests?status=scheduled",
    "/coordinator/plan", "/coordinator/communities", "/coordinator/communities/registrations",
    "/coordinator/recruitment", "/coordinator/recruitment?q=ハナコ",
    "/coordinator/reports", "/map", "/bookings/calendar",
    "/api/v1/evangelists", "/api/v1/requests?status=scheduled", "/api/v1/coverage-gap",
    *(f"/coordinator/data/export/{dataset}.csv" for dataset in ("requests", "communities", "evangelists", "visits",
                                                              "outcomes")),
    "/coordinator/data/export/evangelists.csv?format=codes",
    "/municipalities/011002",  # another region's town: seen as the public sees it
    # (the queries are not marks themselves: the page repeats them in its box)
    "/coordinator/search?q=外", "/coordinator/search?q=そとがわ", "/coordinator/search?q=sotoga",
    "/coordinator/outreach?status=", "/api/v1/outreach",
    "/use-cases/", "/use-cases/?status=with_coordinator",
]


def _bodies(client, urls) -> dict[str, str]:
    found = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        found[url] = response.get_data(as_text=True)
    return found


def test_no_list_layer_or_export_shows_another_region(app, regional, signed_in_client):
    client, _user, _inside, _outside = regional
    # The town page lists the communities near it to anyone: their names are public.
    public = {"/municipalities/011002": "外側コミュニティ"}
    leaks = [url for url, body in _bodies(client, LISTS).items()
             if any(mark in body.replace(public.get(url, "\0"), "") for mark in OUTSIDE_MARKS)]
    assert leaks == []
    # The marks are real: a national coordinator sees the outside world in these lists.
    national, _ = signed_in_client("coordinator")
    seen = _bodies(national, LISTS)
    for url in ("/coordinator/communities", "/coordinator/recruitment", "/api/v1/evangelists", "/municipalities/011002",
                "/coordinator/search?q=外", "/coordinator/search?q=そとがわ", "/coordinator/search?q=sotoga",
                "/coordinator/outreach?status=", "/use-cases/",
                "/coordinator/data/export/requests.csv", "/coordinator/data/export/visits.csv"):
        assert any(mark in seen[url] for mark in OUTSIDE_MARKS), url


def test_their_own_region_is_in_the_lists(regional):
    client, _user, _inside, _outside = regional
    bodies = _bodies(client, ["/coordinator/communities", "/coordinator/recruitment", "/api/v1/evangelists",
                              "/coordinator/data/export/requests.csv"])
    assert all("内側" in body for body in bodies.values())
    # The board's applications to check: their own region's only (the outside one is not there).
    board = bodies["/coordinator/recruitment"]
    assert "applications-to-check" in board and "内側 太郎" in board and "外側 太郎" not in board
    assert "青森市" in client.get("/coordinator/requests?status=scheduled").get_data(as_text=True)


def test_bulk_refuses_a_request_of_another_region(db, regional):
    _client, user, inside, outside = regional
    with pytest.raises(BulkRefused) as refused:
        bulk_apply(user, [inside["request_id"], outside["request_id"]], "owner", nonce="n1", owner_id=user.id)
    assert refused.value.reason == "unknown_request" and refused.value.params["number"] == outside["request_id"]


def test_a_regional_coordinator_cannot_own_a_request_of_another_region(db, regional):
    _client, user, _inside, outside = regional
    from app.models import SupportRequest

    request = db.session.get(SupportRequest, outside["request_id"])
    with pytest.raises(OwnerRefused) as refused:
        change_owner(user, request, user.id)
    assert refused.value.reason == "outside_regions"


def test_new_requests_are_told_to_the_coordinators_of_their_region(app, db, make_account, mailbox):
    from app.services.requests import coordinators

    places = make_places("aomori", "sapporo")
    national, tohoku, hokkaido = (make_account("coordinator") for _ in range(3))
    set_regions(national, tohoku, ["tohoku"])
    set_regions(national, hokkaido, ["hokkaido"])
    request = make_request(municipality=places["sapporo"])
    db.session.commit()
    assert {u.id for u in coordinators(request)} == {national.id, hokkaido.id}
    assert {u.id for u in coordinators()} == {national.id, tohoku.id, hokkaido.id}


def test_a_new_request_from_the_form_is_noticed_by_its_regions_coordinators_only(app, db, make_account, client,
                                                                                 reference_towns):
    from tests.web.test_support import form_data

    national, tohoku, hokkaido = (make_account("coordinator") for _ in range(3))
    set_regions(national, tohoku, ["tohoku"])
    set_regions(national, hokkaido, ["hokkaido"])
    assert client.post("/request", data=form_data()).status_code == 302  # 当別町, Hokkaido
    told = {n.user_id for n in db.session.scalars(sa.select(Notice).where(Notice.kind == "request_new"))}
    assert told == {national.id, hokkaido.id}


def test_scope_of_each_role(db, make_account):
    admin, coordinator, evangelist = make_account("admin"), make_account("coordinator"), make_account("evangelist")
    assert scope_of(admin).national and scope_of(coordinator).national
    assert scope_of(evangelist).regions == frozenset()
    assert scope_of(None).regions == frozenset()
    set_regions(admin, coordinator, ["kyushu", "hokkaido"])
    assert scope_of(coordinator).regions == {"kyushu", "hokkaido"}
    assert regions_service.regions_of(coordinator) == ("hokkaido", "kyushu")  # north to south


def test_set_regions_refuses_and_audits(db, make_account):
    admin, coordinator, evangelist = make_account("admin"), make_account("coordinator"), make_account("evangelist")
    with pytest.raises(RegionsRefused) as unknown:
        set_regions(admin, coordinator, ["kanto", "atlantis"])
    assert unknown.value.reason == "unknown"
    with pytest.raises(RegionsRefused) as not_coordinator:
        set_regions(admin, evangelist, ["kanto"])
    assert not_coordinator.value.reason == "not_coordinator"
    assert set_regions(admin, coordinator, ["kanto"]) is True
    assert set_regions(admin, coordinator, ["kanto"]) is False
    assert set_regions(admin, coordinator, []) is True
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "user.regions_changed")
                                .order_by(AuditEvent.id)).all()
    assert [(e.actor_id, e.before, e.after) for e in events] == [
        (admin.id, {"regions": []}, {"regions": ["kanto"]}), (admin.id, {"regions": ["kanto"]}, {"regions": []})]


# --- the admin's page ------------------------------------------------------------------------------


def test_an_admin_gives_a_coordinator_regions(app, db, signed_in_client, make_account):
    client, _admin = signed_in_client("admin")
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    coordinator = make_account("coordinator", display_name="地方 調整")
    page = client.get(f"/admin/users/{coordinator.id}/regions")
    assert page.status_code == 200 and "Kyushu and Okinawa" in page.get_data(as_text=True)
    done = client.post(f"/admin/users/{coordinator.id}/regions", data={"regions": ["tohoku", "kyushu"]},
                       follow_redirects=True)
    assert done.status_code == 200
    assert "now works in: Tohoku, Kyushu and Okinawa" in done.get_data(as_text=True)
    assert regions_service.regions_of(coordinator) == ("tohoku", "kyushu")
    listed = client.get("/admin/users?role=coordinator").get_data(as_text=True)
    assert "Tohoku, Kyushu and Okinawa" in listed
    bad = client.post(f"/admin/users/{coordinator.id}/regions", data={"regions": ["tohoku", "<script>"]})
    assert bad.status_code == 422 and "<script>" not in bad.get_data(as_text=True)
    assert regions_service.regions_of(coordinator) == ("tohoku", "kyushu")  # unchanged
    evangelist = make_account("evangelist")
    assert client.get(f"/admin/users/{evangelist.id}/regions").status_code == 404


def test_only_admins_open_the_regions_page(db, signed_in_client, make_account):
    client, _coordinator = signed_in_client("coordinator")
    other = make_account("coordinator")
    assert client.get(f"/admin/users/{other.id}/regions").status_code == 403


def test_intake_refuses_a_town_of_another_region_and_keeps_what_was_typed(db, regional):
    from tests.web.test_intake_web import intake_data

    client, _user, _inside, _outside = regional
    response = client.post("/coordinator/requests/new", data=intake_data(
        prefecture="01", municipality="011002", contact_name="電話 太郎", nonce="regional-1"))
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "電話 太郎" in body  # refused; nothing typed is lost
    # The prefecture list offers their regions' prefectures only.
    assert 'value="02"' in body and 'value="01"' not in body
    from app.models import SupportRequest

    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportRequest)
                             .where(SupportRequest.contact_name == "電話 太郎")) == 0
    recorded = client.post("/coordinator/requests/new", data=intake_data(
        prefecture="02", municipality="022012", contact_name="電話 太郎", nonce="regional-2", duplicate="new"))
    assert recorded.status_code == 302


def test_a_possible_duplicate_in_another_region_is_named_by_its_region_only(db, regional):
    client, _user, _inside, outside = regional
    from app.models import Evangelist

    person = db.session.get(Evangelist, outside["evangelist_id"])
    from tests.web.test_nomination_duplicates import post

    response = post(client, email=person.user.email, prefecture="02", municipality="022012")
    body = response.get_data(as_text=True)
    assert response.status_code == 409, body[:300]
    assert "Someone recorded in Hokkaido" in body
    assert not any(mark in body for mark in ("外側", "ソトガワ", f"/coordinator/recruitment/{person.id}\""))


def test_the_regional_map_asks_every_layer_for_their_regions(app, regional, client):
    regional_client, _user, _inside, _outside = regional
    page = regional_client.get("/map").get_data(as_text=True)
    assert page.count("region=tohoku") >= 5  # municipalities, gap, communities, evangelists, requests
    # The public layer filters by region for anyone; a bad region is a 400 that names it.
    import json

    hokkaido = json.loads(client.get("/api/v1/communities?region=hokkaido").get_data(as_text=True))
    both = json.loads(client.get("/api/v1/communities?region=hokkaido,tohoku").get_data(as_text=True))
    assert [f["properties"]["name"] for f in hokkaido["features"]] == ["外側コミュニティ"]
    assert len(both["features"]) == 2
    bad = client.get("/api/v1/communities?region=atlantis")
    assert bad.status_code == 400 and "atlantis" in bad.get_json()["parameters"]["region"]
    # A regional coordinator asking the staff layers for another region gets nothing of it.
    other = regional_client.get("/api/v1/evangelists?region=hokkaido").get_json()
    assert other["features"] == []


def test_an_import_refuses_the_rows_of_another_region_by_line(db, regional):
    from app.models import Community
    from tests.web.test_data_web import upload

    client, _user, _inside, _outside = regional
    rows = "name,municipality_code,status,member_count\n青森の会,022012,活動中,5\n札幌の会,011002,活動中,7\n"
    response = upload(client, "communities", rows.encode("utf-8"), filename="communities.csv")
    body = response.get_data(as_text=True)
    assert "011002 is outside your regions" in body and 'name="token"' not in body  # nothing to apply
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Community)
                             .where(Community.name.in_(("青森の会", "札幌の会")))) == 0
    inside_only = upload(client, "communities", "name,municipality_code\n青森の会,022012\n".encode(), "c.csv")
    assert 'name="token"' in inside_only.get_data(as_text=True)


def test_the_dashboard_of_a_regional_coordinator_counts_their_regions(db, regional, signed_in_client):
    client, _user, _inside, _outside = regional
    national, _ = signed_in_client("coordinator")
    mine = client.get("/coordinator/reports/dashboard.csv").get_data(as_text=True)
    everyone = national.get("/coordinator/reports/dashboard.csv").get_data(as_text=True)
    assert mine != everyone
    assert client.get("/coordinator/reports?region=hokkaido").status_code == 400
    assert client.get("/coordinator/reports?region=tohoku").status_code == 200
    assert "Hokkaido" not in client.get("/coordinator/reports/print").get_data(as_text=True).split("<main")[1]


def test_the_proposal_preview_does_not_show_an_evangelist_of_another_region(regional):
    client, _user, inside, outside = regional
    response = client.post(f"/coordinator/requests/{inside['request_id']}/assign",
                           data={"evangelist_id": outside["evangelist_id"]}, follow_redirects=True)
    body = response.get_data(as_text=True)
    assert f"No evangelist has the number {outside['evangelist_id']}" in body
    assert not any(mark in body for mark in OUTSIDE_MARKS)


def test_work_in_another_region_is_counted_not_shown_and_not_handed_back(db, regional):
    from app.models import Evangelist, SupportRequest

    client, _user, inside, outside = regional
    person = db.session.get(Evangelist, inside["evangelist_id"])
    elsewhere = db.session.get(SupportRequest, outside["request_id"])
    make_assignment(request=make_request(municipality=elsewhere.municipality, status="assigned",
                                         contact_name="外側 二郎"), evangelist=person, status="proposed")
    db.session.commit()
    page = client.get(f"/coordinator/recruitment/{person.id}").get_data(as_text=True)
    assert "1 assignment in another region is not shown." in page
    assert not any(mark in page for mark in OUTSIDE_MARKS) and "Sapporo" not in page
    community = client.get(f"/coordinator/communities/{inside['community_id']}").get_data(as_text=True)
    assert not any(mark in community for mark in OUTSIDE_MARKS)
    retired = client.post(f"/coordinator/recruitment/{person.id}/move",
                          data={"target": "retired", "open_assignments": "hand_back"}, follow_redirects=True)
    assert "holds open work in another region" in retired.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Evangelist, person.id).status == "active"


def test_a_community_import_cannot_reach_a_community_of_another_region(db, regional):
    from app.models import Community
    from tests.web.test_data_web import upload

    client, _user, _inside, outside = regional
    body = upload(client, "communities", "name,municipality_code,member_count\n外側コミュニティ,022012,43\n".encode(),
                  "c.csv").get_data(as_text=True)
    assert "A community of this name is in another region" in body and 'name="token"' not in body
    assert "011002" not in body and "42" not in body.split("<main")[1].split("</main>")[0].replace("422", "")
    assert db.session.get(Community, outside["community_id"]).municipality.code == "011002"
    candidates = ("姓,名,セイ,メイ,市区町村コード,コミュニティ\n新人,一郎,シンジン,イチロウ,022012,外側コミュニティ\n")
    answer = upload(client, "candidates", candidates.encode(), "p.csv").get_data(as_text=True)
    assert "A community of this name is in another region" in answer and 'name="token"' not in answer


def test_a_coordinator_given_regions_lets_go_of_the_requests_elsewhere(db, make_account):
    from app.models import SupportRequest

    places = make_places("aomori", "sapporo")
    admin, coordinator = make_account("admin"), make_account("coordinator")
    mine = make_request(municipality=places["aomori"], owner=coordinator)
    theirs = make_request(municipality=places["sapporo"], owner=coordinator)
    db.session.commit()
    set_regions(admin, coordinator, ["tohoku"])
    db.session.expire_all()
    assert db.session.get(SupportRequest, mine.id).owner_id == coordinator.id
    assert db.session.get(SupportRequest, theirs.id).owner_id is None
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "request.owner_changed"))
    assert (event.entity_id, event.before, event.after) == (theirs.id, {"owner": coordinator.id}, {"owner": None})
