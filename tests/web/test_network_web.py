"""/coordinator/communities, /coordinator/recruitment and /coordinator/recruitment/<id>:
pages, filters, forms that keep what was typed, moves, and who may reach them."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
import sqlalchemy as sa

from app.geocoding import GeocodingFailed
from app.models import AuditEvent, Community, Evangelist
from app.services.topics import sync_topics
from evangelists.calendar import today_in_japan as today
from tests.factories import (
    make_assignment,
    make_community,
    make_evangelist,
    make_municipality,
    make_outcome,
    make_request,
    make_user,
    make_visit,
)
from tests.mailbox import body_of


@pytest.fixture
def towns(reference_towns):
    return reference_towns


@pytest.fixture
def staff(app, signed_in_client):
    """A coordinator's client, in English (the assertions read English words)."""
    client, user = signed_in_client("coordinator", display_name="調整 花子")
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    return client


@pytest.fixture
def c4s(db, towns):
    community = make_community(name="Code for Sapporo", municipality=towns["sapporo"], member_count=42,
                               status_since=today() - timedelta(days=100))
    db.session.commit()
    return community


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def community_form(**overrides):
    data = {"name": "Code for Tobetsu", "website": "https://tobetsu.example.org", "prefecture": "01",
            "municipality": "013030", "member_count": "12", "contact_email": "", "description": "毎月の勉強会",
            "address": "", "location": "municipality", "lat": "", "lon": ""}
    data.update(overrides)
    return data


def input_value(html: str, name: str) -> str | None:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    if not tag:
        return None
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return unescape(value.group(1)) if value else ""


# --- who may reach them ---------------------------------------------------------------------------


def urls(community_id: int, evangelist_id: int) -> list[tuple[str, str]]:
    c, e = f"/coordinator/communities/{community_id}", f"/coordinator/recruitment/{evangelist_id}"
    return [
        ("GET", "/coordinator/communities"), ("GET", "/coordinator/communities/new"), ("GET", c),
        ("GET", c + "/edit"), ("POST", c + "/status"), ("GET", "/coordinator/recruitment"),
        ("GET", "/coordinator/recruitment/new"), ("GET", e), ("GET", e + "/edit"), ("GET", e + "/appoint"),
        ("POST", e + "/move"),
    ]


@pytest.fixture
def targets(db, towns, c4s):
    candidate = make_evangelist(status="candidate", user=None, home_municipality=towns["sapporo"], home_community=c4s)
    db.session.commit()
    return urls(c4s.id, candidate.id)


def test_evangelists_get_403_and_anonymous_visitors_are_sent_to_sign_in(client, evangelist_client, targets):
    for method, url in targets:
        assert evangelist_client.open(url, method=method).status_code == 403, url
        response = client.open(url, method=method)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], url


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_staff_reach_every_page(signed_in_client, targets, role):
    client, _user = signed_in_client(role)
    for method, url in targets:
        if method == "GET":
            assert client.get(url).status_code == 200, url


def test_a_missing_community_or_evangelist_is_404(staff, towns):
    assert staff.get("/coordinator/communities/999").status_code == 404
    assert staff.get("/coordinator/recruitment/999").status_code == 404


# --- communities -----------------------------------------------------------------------------------


def test_the_list_shows_status_and_members_in_the_programme(staff, db, towns, c4s):
    for status in ("active", "candidate", "retired"):
        make_evangelist(home_community=c4s, home_municipality=towns["sapporo"], status=status,
                        user=None if status != "active" else make_user(role="evangelist"))
    db.session.commit()
    html = text(staff.get("/coordinator/communities"))
    assert "Code for Sapporo" in html and "42 members" in html
    assert "2 in the programme" in html and "active 1 · candidates 1" in html


def test_the_list_filters_by_prefecture_status_and_name(staff, db, towns, c4s):
    make_community(name="Code for Aomori", municipality=towns["aomori"], status="dormant")
    db.session.commit()
    for query, shown, hidden in [
        ("prefecture=02", "Code for Aomori", "Code for Sapporo"),
        ("status=active", "Code for Sapporo", "Code for Aomori"),
        ("q=sapp", "Code for Sapporo", "Code for Aomori"),
    ]:
        html = text(staff.get(f"/coordinator/communities?{query}"))
        assert shown in html and hidden not in html, query
    assert 'id="status-error"' in text(staff.get("/coordinator/communities?status=lost"))


def test_the_list_pages_through_many_communities(staff, db, towns):
    for n in range(55):
        make_community(name=f"Community {n:02d}", municipality=towns["tobetsu"])
    db.session.commit()
    first, second = text(staff.get("/coordinator/communities")), text(staff.get("/coordinator/communities?page=2"))
    assert "Community 00" in first and "Community 54" not in first
    assert "Community 54" in second and "55 communities" in second


def test_the_list_and_the_page_issue_a_fixed_number_of_queries(staff, db, towns, c4s, count_queries):
    def load():
        with count_queries() as list_page:
            assert staff.get("/coordinator/communities").status_code == 200
        with count_queries() as one_page:
            assert staff.get(f"/coordinator/communities/{c4s.id}").status_code == 200
        return list_page.count, one_page.count

    few = load()
    for n in range(8):
        community = make_community(name=f"追加 {n}", municipality=towns["tobetsu"])
        member = make_evangelist(home_community=c4s if n % 2 else community, home_municipality=towns["sapporo"])
        assignment = make_assignment(request=make_request(municipality=towns["tobetsu"]), evangelist=member,
                                     score=1, distance_km=1, status="accepted")
        make_outcome(visit=make_visit(assignment=assignment, mode="onsite", summary="説明"), type="event_held")
        make_municipality(lat=43.0 + n / 50, lon=141.4)
    db.session.commit()
    assert load() == few


def test_registering_a_community_places_it_at_its_municipality(staff, db, towns):
    response = staff.post("/coordinator/communities/new", data=community_form())
    community = db.session.scalar(sa.select(Community).where(Community.name == "Code for Tobetsu"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/coordinator/communities/{community.id}"
    assert (community.lat, community.lon, community.location_source) == (43.2237, 141.5170, "municipality")
    html = text(staff.get(response.headers["Location"]))
    assert "Community “Code for Tobetsu” registered." in html
    assert "(The municipality's office)" in html


@pytest.mark.parametrize("overrides, field, message", [
    ({"name": "code for sapporo"}, "name", "Another community already has this name."),
    ({"website": "ftp://tobetsu.example.org"}, "website", "Enter a web address starting with https://"),
    ({"member_count": "many"}, "member_count", "Enter a whole number from 0 to 1,000,000."),
    ({"location": "manual", "lat": "43.2", "lon": ""}, "lon", "Enter a longitude from 122 to 154 (Japan)"),
    ({"location": "manual", "lat": "141.5", "lon": "43.2"}, "lat", "Enter a latitude from 20 to 46 (Japan)"),
    ({"municipality": "022012"}, "municipality", "Choose a municipality of the chosen prefecture."),
])
def test_a_bad_community_form_comes_back_422_with_everything_typed(staff, db, c4s, overrides, field, message):
    response = staff.post("/coordinator/communities/new", data=community_form(**overrides))
    html = text(response)
    assert response.status_code == 422
    assert f'id="{field}-error"' in html and message in html
    assert input_value(html, "website") == overrides.get("website", "https://tobetsu.example.org")
    assert "毎月の勉強会" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Community)) == 1


def test_choosing_a_prefecture_without_javascript_keeps_what_was_typed(staff, towns):
    response = staff.post("/coordinator/communities/new",
                          data=community_form(prefecture="02", municipality="", action="prefecture"))
    html = text(response)
    assert response.status_code == 200 and "青森市" in html and "当別町" not in html
    assert input_value(html, "name") == "Code for Tobetsu"
    assert 'data-focus="municipality"' in html


def test_geocoding_is_offered_only_when_a_geocoder_is_configured(app, staff, towns):
    assert 'value="geocoded"' not in text(staff.get("/coordinator/communities/new"))
    app.extensions["geocoder"] = lambda address: (43.22, 141.52)
    assert 'value="geocoded"' in text(staff.get("/coordinator/communities/new"))


def test_a_geocoded_address_is_saved_and_a_failure_keeps_the_form(app, staff, db, towns):
    def failing(address):
        raise GeocodingFailed("timeout")

    app.extensions["geocoder"] = failing
    form = community_form(address="当別町白樺1-1", location="geocoded")
    response = staff.post("/coordinator/communities/new", data=form)
    html = text(response)
    assert response.status_code == 422
    assert "The geocoding service did not answer" in html and input_value(html, "address") == "当別町白樺1-1"
    app.extensions["geocoder"] = lambda address: None
    assert "No place in Japan was found" in text(staff.post("/coordinator/communities/new", data=form))
    app.extensions["geocoder"] = lambda address: (43.2301, 141.5123)
    assert staff.post("/coordinator/communities/new", data=form).status_code == 302
    community = db.session.scalar(sa.select(Community))
    assert (community.lat, community.lon, community.location_source) == (43.2301, 141.5123, "geocoded")


def test_editing_sets_coordinates_by_hand(staff, db, c4s):
    url = f"/coordinator/communities/{c4s.id}/edit"
    html = text(staff.get(url))
    assert input_value(html, "name") == "Code for Sapporo" and input_value(html, "lat") == "43.0642"
    response = staff.post(url, data=community_form(name="Code for Sapporo", prefecture="01", municipality="011002",
                                                   location="manual", lat="43.0687", lon="141.3508"))
    assert response.status_code == 302
    db.session.refresh(c4s)
    assert (c4s.lat, c4s.lon, c4s.location_source) == (43.0687, 141.3508, "manual")


def test_the_community_page_shows_members_nearby_towns_and_visits(staff, db, towns, c4s):
    member = make_evangelist(family_name="会員", given_name="一", home_community=c4s, home_municipality=towns["sapporo"])
    make_evangelist(family_name="候補", given_name="二", status="candidate", user=None, home_community=c4s,
                    home_municipality=towns["sapporo"])
    assignment = make_assignment(request=make_request(municipality=towns["tobetsu"]), evangelist=member,
                                 score=1, distance_km=1, status="accepted")
    make_outcome(visit=make_visit(assignment=assignment, mode="onsite", summary="説明"), type="catalog_launched")
    db.session.commit()
    html = text(staff.get(f"/coordinator/communities/{c4s.id}"))
    assert "会員 一" in html and "候補 二" in html and "Candidate" in html
    nearby = html.split("Municipalities without open data within 50 km", 1)[1].split("</section>", 1)[0]
    assert "当別町" in nearby and "札幌市" not in nearby and "青森市" not in nearby  # Sapporo is active, Aomori far
    visits = html.split("Visits made by its members", 1)[1]
    assert "当別町" in visits and "Data catalog launched" in visits and "会員 一" in visits


def test_marking_dormant_records_the_history(staff, db, c4s):
    since = today() - timedelta(days=3)
    response = staff.post(f"/coordinator/communities/{c4s.id}/status",
                          data={"status": "dormant", "since": since.isoformat(), "note": "主催者が転居"})
    assert response.status_code == 302
    html = text(staff.get(response.headers["Location"]))
    assert "“Code for Sapporo” is now marked Dormant." in html
    assert "主催者が転居" in html and "調整 花子" in html and "Mark as active again" in html
    db.session.refresh(c4s)
    assert (c4s.status, c4s.status_since) == ("dormant", since)
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "community.status_changed"))


@pytest.mark.parametrize("form, message", [
    ({"status": "dormant", "since": timedelta(days=-200)}, "cannot be before the current status began"),
    ({"status": "dormant", "since": "yesterday"}, "Enter a date like 2030-04-01."),
    ({"status": "active", "since": ""}, 'status-problem" role="alert">The community already has this status.'),
    ({"status": "sleeping", "since": ""}, 'status-problem" role="alert">Choose from the list.'),
])
def test_a_refused_status_change_comes_back_422_with_the_note_kept(staff, db, c4s, form, message):
    if isinstance(form["since"], timedelta):  # given as days from today, known only when the test runs
        form = {**form, "since": (today() + form["since"]).isoformat()}
    response = staff.post(f"/coordinator/communities/{c4s.id}/status", data={**form, "note": "理由のメモ"})
    html = text(response)
    assert response.status_code == 422 and message in html and "理由のメモ" in html
    db.session.refresh(c4s)
    assert c4s.status == "active"


# --- recruitment ---------------------------------------------------------------------------------------


def test_nominating_from_the_community_page_starts_from_that_community(staff, db, towns, c4s):
    html = text(staff.get(f"/coordinator/communities/{c4s.id}"))
    assert f'/coordinator/recruitment/new?community={c4s.id}' in html
    form = text(staff.get(f"/coordinator/recruitment/new?community={c4s.id}"))
    assert re.search(rf'<option selected value="{c4s.id}">Code for Sapporo', form) or \
        re.search(rf'<option value="{c4s.id}" selected>Code for Sapporo', form)
    assert re.search(r'<option selected value="011002">', form) or 'value="011002" selected' in form


def test_a_nomination_makes_a_candidate_and_a_bad_one_keeps_the_form(staff, db, towns, c4s):
    data = {"family_name": "候補", "given_name": "花子", "family_name_kana": "こうほ", "given_name_kana": "ﾊﾅｺ",
            "email": "hanako@example", "prefecture": "01",
            "municipality": "013030", "community": str(c4s.id), "skills": ["gis"], "note": "LT が上手"}
    response = staff.post("/coordinator/recruitment/new", data=data)
    html = text(response)
    assert response.status_code == 422 and 'id="email-error"' in html
    assert input_value(html, "family_name") == "候補" and "LT が上手" in html
    assert re.search(r'<input[^>]*checked[^>]*value="gis"|<input[^>]*value="gis"[^>]*checked', html)
    response = staff.post("/coordinator/recruitment/new", data={**data, "email": "hanako@example.jp"})
    person = db.session.scalar(sa.select(Evangelist))
    assert response.status_code == 302 and response.headers["Location"] == f"/coordinator/recruitment/{person.id}"
    assert (person.status, person.user_id, person.home_municipality.code) == ("candidate", None, "013030")
    page = text(staff.get(response.headers["Location"]))
    assert "nominated with hanako@example.jp" in page and "LT が上手" in page and "nominated a candidate" in page


@pytest.fixture
def pipeline(db, towns, c4s):
    aomori = make_community(name="Code for Aomori", municipality=towns["aomori"])
    people = {
        "candidate": make_evangelist(family_name="候補", given_name="札幌", status="candidate", user=None,
                                     home_municipality=towns["sapporo"], home_community=c4s),
        "active": make_evangelist(family_name="活動", given_name="青森", status="active",
                                  home_municipality=towns["aomori"], home_community=aomori),
        "paused": make_evangelist(family_name="休止", given_name="当別", status="paused",
                                  home_municipality=towns["tobetsu"]),
    }
    db.session.commit()
    return people


def column(html: str, status: str) -> str:
    return html.split(f'id="column-{status}"', 1)[1].split("</section>", 1)[0]


def test_the_board_shows_each_stage_with_counts_and_per_community_table(staff, pipeline):
    html = text(staff.get("/coordinator/recruitment"))
    assert "候補 札幌" in column(html, "candidate") and "活動 青森" in column(html, "active")
    assert "休止 当別" in column(html, "paused") and "Nobody at this stage." in column(html, "retired")
    assert re.search(r'column-count" aria-hidden="true">1<', column(html, "candidate")) and "1 person" in column(html, "candidate")
    table = html.split("By community", 1)[1]
    assert "Code for Aomori" in table and "Code for Sapporo" in table and "No community" in table


def test_the_board_filters_by_prefecture_and_community(staff, pipeline, c4s):
    html = text(staff.get("/coordinator/recruitment?prefecture=02"))
    assert "活動 青森" in html and "候補 札幌" not in html
    html = text(staff.get(f"/coordinator/recruitment?community={c4s.id}"))
    assert "候補 札幌" in html and "活動 青森" not in html and "休止 当別" not in html
    assert "候補 札幌" in text(staff.get("/coordinator/recruitment?community=nonsense"))  # ignored


def test_the_board_issues_a_fixed_number_of_queries(staff, db, towns, pipeline, count_queries):
    with count_queries() as few:
        assert staff.get("/coordinator/recruitment").status_code == 200
    for n in range(10):
        community = make_community(name=f"追加 {n}", municipality=towns["tobetsu"])
        make_evangelist(family_name=f"追加{n}", status=("candidate", "active", "paused", "retired")[n % 4],
                        user=None if n % 4 in (0, 3) else make_user(role="evangelist"),
                        home_municipality=towns["aomori"], home_community=community)
    db.session.commit()
    with count_queries() as many:
        assert staff.get("/coordinator/recruitment").status_code == 200
    assert many.count == few.count


def test_appointing_a_candidate_creates_the_account_and_shows_the_invitation_link(staff, db, pipeline):
    person = pipeline["candidate"]
    url = f"/coordinator/recruitment/{person.id}/appoint"
    assert 'name="email"' in text(staff.get(url))
    bad = staff.post(url, data={"appointed_on": (today() + timedelta(days=30)).isoformat(), "email": "new@example.jp"})
    assert bad.status_code == 422 and "cannot be in the future" in text(bad)
    assert input_value(text(bad), "email") == "new@example.jp"
    response = staff.post(url, data={"appointed_on": today().isoformat(), "email": "New@Example.jp"})
    html = text(response)
    assert response.status_code == 200 and "Invitation for 候補 札幌" in html
    link = re.search(r'id="link" value="(http://localhost/auth/[^"]+)"', html)[1]
    assert "invitation" in link
    db.session.refresh(person)
    assert person.status == "active" and person.user.email == "new@example.jp" and person.user.role == "evangelist"
    # The link works: it opens the set-password page.
    assert staff.get(link.replace("http://localhost", "")).status_code == 200


def test_an_appointment_with_a_taken_email_keeps_the_form(staff, db, pipeline):
    make_user(role="coordinator", email="taken@example.jp")
    db.session.commit()
    person = pipeline["candidate"]
    response = staff.post(f"/coordinator/recruitment/{person.id}/appoint",
                          data={"appointed_on": today().isoformat(), "email": "taken@example.jp"})
    assert response.status_code == 422 and "An account with this e-mail address already exists" in text(response)
    db.session.refresh(person)
    assert person.status == "candidate"


def test_pause_resume_and_retire_from_the_board(staff, db, pipeline):
    person = pipeline["active"]
    response = staff.post(f"/coordinator/recruitment/{person.id}/move",
                          data={"target": "paused", "next": "/coordinator/recruitment?prefecture=02"})
    assert response.headers["Location"] == "/coordinator/recruitment?prefecture=02"
    db.session.refresh(person)
    assert person.status == "paused"
    html = text(staff.get(response.headers["Location"]))
    assert "活動 青森: In service → Paused." in html and "活動 青森" in column(html, "paused")
    staff.post(f"/coordinator/recruitment/{person.id}/move", data={"target": "retired"})
    db.session.refresh(person)
    assert person.status == "retired"


def test_a_refused_move_says_why_and_changes_nothing(staff, db, pipeline):
    person = pipeline["candidate"]
    response = staff.post(f"/coordinator/recruitment/{person.id}/move",
                          data={"target": "paused", "next": "https://evil.example/"})
    assert response.headers["Location"] == f"/coordinator/recruitment/{person.id}"  # no open redirect
    html = text(staff.get(response.headers["Location"]))
    assert "候補 札幌 cannot move from “Candidate” to “Paused”." in html
    db.session.refresh(person)
    assert person.status == "candidate"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action.like("evangelist.%"))) == 0


def test_declining_a_candidate_goes_through_the_decline_page(staff, pipeline):
    person = pipeline["candidate"]
    response = staff.post(f"/coordinator/recruitment/{person.id}/move", data={"target": "retired"})
    assert response.headers["Location"] == f"/coordinator/recruitment/{person.id}/decline"


def test_moving_a_candidate_to_active_goes_through_the_appointment_form(staff, pipeline):
    person = pipeline["candidate"]
    response = staff.post(f"/coordinator/recruitment/{person.id}/move", data={"target": "active"})
    assert response.headers["Location"] == f"/coordinator/recruitment/{person.id}/appoint"


def test_the_evangelist_page_shows_facts_load_assignments_and_visits(staff, db, towns, pipeline):
    person = pipeline["active"]
    assignment = make_assignment(request=make_request(municipality=towns["tobetsu"]), evangelist=person, score=1,
                                 distance_km=1, status="accepted")
    visit = make_visit(assignment=assignment, duration_minutes=30, summary="x")
    make_outcome(visit=visit, type="datasets_published", count=7)
    db.session.commit()
    html = text(staff.get(f"/coordinator/recruitment/{person.id}"))
    assert "1 of 2 slots in use" in html and "Code for Aomori" in html
    assert "当別町" in html and "Datasets published (7)" in html and "Accepted" in html
    assert "Pause" in html and "Retire" in html


def test_a_coordinator_sets_an_evangelists_position_by_hand(staff, db, pipeline):
    person = pipeline["paused"]
    url = f"/coordinator/recruitment/{person.id}/edit"
    assert input_value(text(staff.get(url)), "family_name") == "休止"
    data = {"family_name": "休止", "given_name": "当別", "family_name_kana": "キュウシ", "given_name_kana": "トウベツ",
            "prefecture": "01", "municipality": "013030",
            "community": "", "location": "manual", "lat": "43.3", "lon": ""}
    bad = staff.post(url, data=data)
    assert bad.status_code == 422 and 'id="lon-error"' in text(bad) and input_value(text(bad), "lat") == "43.3"
    response = staff.post(url, data={**data, "lon": "141.6"})
    assert response.status_code == 302
    db.session.refresh(person)
    assert (person.lat, person.lon, person.location_source) == (43.3, 141.6, "manual")


def test_pages_render_in_japanese_by_default(signed_in_client, pipeline, c4s):
    client, _user = signed_in_client("coordinator")
    for url in ("/coordinator/communities", f"/coordinator/communities/{c4s.id}", "/coordinator/recruitment"):
        html = text(client.get(url))
        assert '<html lang="ja">' in html, url
    board = text(client.get("/coordinator/recruitment"))
    assert "退任" in column(board, "retired") and "Retired" not in board  # the stage labels are Japanese


def test_with_mail_configured_the_invitation_is_e_mailed(app, staff, db, pipeline, mailbox, deliver):
    person = pipeline["candidate"]
    response = staff.post(f"/coordinator/recruitment/{person.id}/appoint",
                          data={"appointed_on": today().isoformat(), "email": "mailed@example.jp"})
    assert response.status_code == 302 and response.headers["Location"] == f"/coordinator/recruitment/{person.id}"
    assert "The invitation was e-mailed to mailed@example.jp." in text(staff.get(response.headers["Location"]))
    deliver()
    (mail,) = mailbox.to("mailed@example.jp")
    assert "/auth/password/invitation/" in body_of(mail)


def test_moves_need_the_csrf_token_when_protection_is_on(app, staff, db, pipeline):
    person = pipeline["active"]
    app.config["WTF_CSRF_ENABLED"] = True
    url = f"/coordinator/recruitment/{person.id}/move"
    assert staff.post(url, data={"target": "paused"}).status_code == 400
    db.session.refresh(person)
    assert person.status == "active"
    board = staff.get("/coordinator/recruitment").get_data(as_text=True)
    token = re.search(rf'action="{url}"[^>]*>\s*<input type="hidden" name="csrf_token" value="([^"]+)"', board)[1]
    assert staff.post(url, data={"target": "paused", "csrf_token": token}).status_code == 302
    db.session.refresh(person)
    assert person.status == "paused"


# --- in a browser: phone and desktop, keyboard, accessibility -----------------------------------------


@pytest.mark.browser
@pytest.mark.skipif(not __import__("os").path.exists("/usr/bin/chromium"), reason="Debian's chromium is not installed")
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_the_pages_fit_the_screen_pass_axe_and_work_with_the_keyboard(live_server, page_at, db, make_account, viewport):
    from axe_playwright_python.sync_playwright import Axe

    from app.models import Municipality
    from tests.web.conftest import DESKTOP, PHONE
    from tests.web.test_browser_map import sign_in as browser_sign_in

    sync_topics()
    sapporo = db.session.scalar(sa.select(Municipality).where(Municipality.code == "011002"))
    community = make_community(name="Code for Sapporo", municipality=sapporo)
    make_evangelist(family_name="候補", given_name="太郎", status="candidate", user=None, home_municipality=sapporo,
                    home_community=community)
    make_evangelist(family_name="活動", given_name="花子", home_municipality=sapporo, home_community=community)
    coordinator = make_account("coordinator")
    db.session.commit()
    page = page_at(PHONE if viewport == "phone" else DESKTOP)
    browser_sign_in(page, live_server, coordinator)
    for path in ("/coordinator/communities", f"/coordinator/communities/{community.id}",
                 "/coordinator/communities/new", "/coordinator/recruitment", "/coordinator/recruitment/new"):
        page.goto(live_server + path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        # Our part of the page (the shared header and footer are checked elsewhere).
        violations = [f"{v['id']}: {v['help']} {[n['html'] for n in v['nodes']]}"
                      for v in Axe().run(page, context="#main").response["violations"] if v["impact"] in ("serious", "critical")]
        assert violations == [], path
    assert page.external_requests == []
    # Keyboard only: from the board, reach the candidate's "Appoint…" link and follow it.
    page.goto(live_server + "/coordinator/recruitment")
    for _ in range(200):
        page.keyboard.press("Tab")
        focused = page.evaluate("[document.activeElement.textContent, document.activeElement.getAttribute('href')]")
        if focused[0].strip().startswith("候補") and not (focused[1] or "").startswith("#"):  # not the stages' links
            break
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(r"/coordinator/recruitment/\d+$", page.url)
    assert page.get_by_role("heading", name=re.compile("候補 太郎")).is_visible()


def test_the_appointment_form_is_only_for_candidates_and_retired_people(staff, db, pipeline):
    active, paused = pipeline["active"], pipeline["paused"]
    response = staff.get(f"/coordinator/recruitment/{active.id}/appoint")
    assert response.headers["Location"] == f"/coordinator/recruitment/{active.id}"
    assert "活動 青森 already has the status “In service”." in text(staff.get(response.headers["Location"]))
    response = staff.get(f"/coordinator/recruitment/{paused.id}/appoint")
    assert response.headers["Location"] == f"/coordinator/recruitment/{paused.id}"
    page = text(staff.get(response.headers["Location"]))
    assert "cannot move" not in page and "Resume" in page


def test_the_evangelist_page_issues_a_fixed_number_of_queries(staff, db, towns, pipeline, count_queries):
    person = pipeline["active"]
    with count_queries() as few:
        assert staff.get(f"/coordinator/recruitment/{person.id}").status_code == 200
    for _ in range(6):
        assignment = make_assignment(request=make_request(municipality=towns["tobetsu"]), evangelist=person, score=1,
                                     distance_km=1, status="completed")
        visit = make_visit(assignment=assignment, duration_minutes=30, summary="x")
        make_outcome(visit=visit, type="event_held")
    db.session.commit()
    # Followed as a browser does, so the page shows (and clears) the flash messages: a
    # page with messages is rendered without the page cache, one query fewer.
    staff.post(f"/coordinator/recruitment/{person.id}/move", data={"target": "paused"}, follow_redirects=True)
    staff.post(f"/coordinator/recruitment/{person.id}/move", data={"target": "active"}, follow_redirects=True)
    with count_queries() as many:
        assert staff.get(f"/coordinator/recruitment/{person.id}").status_code == 200
    assert many.count == few.count


# --- loose ends: open work of someone paused or retired; a double-clicked nomination -----------


def test_retiring_someone_with_open_work_asks_first_and_hands_it_back(staff, db, pipeline, towns):
    person = pipeline["active"]
    waiting = make_assignment(request=make_request(municipality=towns["tobetsu"], status="scheduled",
                                                   message="<script>alert(1)</script>{{7*7}}"),
                              evangelist=person, status="accepted")
    db.session.commit()
    response = staff.post(f"/coordinator/recruitment/{person.id}/move", data={"target": "retired"})
    html = text(response)
    # A confirmation listing the open work, nothing changed yet.
    assert response.status_code == 200 and "Open assignments of 活動 青森" in html
    assert f"#{waiting.request_id}" in html and "当別町" in html and "Hand them back to the queue" in html
    assert "They keep them" not in html  # a retired person cannot keep work
    assert 'name="open_assignments" value="hand_back"' in response.get_data(as_text=True)
    db.session.refresh(person)
    assert person.status == "active"
    response = staff.post(f"/coordinator/recruitment/{person.id}/move",
                          data={"target": "retired", "open_assignments": "hand_back"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (person.status, waiting.status, waiting.request.status) == ("retired", "cancelled", "triaged")
    html = text(staff.get(response.headers["Location"]))
    assert "1 open assignment was cancelled and its request is back in the queue." in html


def test_pausing_someone_with_open_work_offers_to_keep_it(staff, db, pipeline, towns):
    person = pipeline["active"]
    held = make_assignment(request=make_request(municipality=towns["tobetsu"], status="assigned"),
                           evangelist=person, status="proposed")
    db.session.commit()
    html = text(staff.post(f"/coordinator/recruitment/{person.id}/move", data={"target": "paused"}))
    assert "Hand them back to the queue" in html and "They keep them" in html
    staff.post(f"/coordinator/recruitment/{person.id}/move", data={"target": "paused", "open_assignments": "keep"})
    db.session.expire_all()
    assert (person.status, held.status, held.request.status) == ("paused", "proposed", "assigned")


def test_a_double_clicked_nomination_makes_one_candidate(staff, db, towns, c4s):
    form = text(staff.get("/coordinator/recruitment/new"))
    nonce = re.search(r'name="nonce"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="nonce"', form)
    nonce = nonce.group(1) or nonce.group(2)
    assert len(nonce) >= 24
    data = {"family_name": "候補", "given_name": "二郎", "family_name_kana": "コウホ", "given_name_kana": "ジロウ",
            "prefecture": "01", "municipality": "013030",
            "community": str(c4s.id), "skills": ["gis"], "note": "", "nonce": nonce}
    first = staff.post("/coordinator/recruitment/new", data=data)
    second = staff.post("/coordinator/recruitment/new", data=data)
    [person] = db.session.scalars(sa.select(Evangelist)).all()
    assert first.headers["Location"] == second.headers["Location"] == f"/coordinator/recruitment/{person.id}"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "evangelist.nominated")) == 1
    # The next form shown has a new nonce: the same person can be nominated again on purpose.
    assert nonce not in text(staff.get("/coordinator/recruitment/new"))
