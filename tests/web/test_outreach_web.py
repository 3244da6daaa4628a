"""Issue 20, point 7, on the web: the outreach pages (/coordinator/outreach), opening a case
from the gap list, a municipality page and a bulk selection; logging a contact (bad input
named, nothing typed lost); turning a case into a request with the town's consent; the
evangelist's /me; the dashboard's funnel; the map layer; regions; hostile text."""

from __future__ import annotations

from datetime import UTC, datetime
from html import unescape

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, OutreachCase, SupportRequest, UserRegion
from tests.factories import make_evangelist, make_municipality, make_prefecture, make_request

HOSTILE = "<script>alert(1)</script>{{7*7}} {{"
NOW = datetime(2026, 4, 10, 3, 0, tzinfo=UTC)  # 12:00 in Japan


@pytest.fixture
def staff(signed_in_client, clock):
    clock(NOW)
    client, user = signed_in_client("coordinator", display_name="山田 花子")
    client.set_cookie("lang", "en")
    return client, user


@pytest.fixture
def town(db):
    municipality = make_municipality(code="013030", name="当別町", name_romaji="Tobetsu-cho",
                                     prefecture=make_prefecture(code="01"), lat=43.22, lon=141.52)
    db.session.commit()
    return municipality


def contact_form(**overrides):
    data = {"contacted_on": "2026-04-09", "channel": "phone", "person_name": "佐藤 一郎", "department": "企画課",
            "phone": "0133-23-0000", "email": "sato@example.lg.jp", "answer": "前向きです", "outcome": "interested",
            "next_step": "資料を送る", "next_on": "2026-04-20"}
    data.update(overrides)
    return data


def open_case(client, code) -> int:
    response = client.post(f"/coordinator/outreach/new/{code}", data={})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


@pytest.mark.parametrize(("language", "words"), [
    ("ja", ("働きかけ案件を開く", "近くの協力者")),
    ("en", ("Open an outreach case", "Nearest helpers")),
])
def test_the_open_page_names_the_town_and_suggests_helpers(staff, db, town, language, words):
    client, _ = staff
    make_evangelist(home_municipality=town)
    db.session.commit()
    client.set_cookie("lang", language)
    response = client.get(f"/coordinator/outreach/new/{town.code}")
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    assert "当別町" in html and all(w in html for w in words)


def test_opening_from_the_town_page_logging_and_turning_into_a_request(staff, db, town):
    client, user = staff
    page = unescape(client.get(f"/municipalities/{town.code}").get_data(as_text=True))
    assert f"/coordinator/outreach/new/{town.code}" in page
    case_id = open_case(client, town.code)
    case = db.session.get(OutreachCase, case_id)
    assert case.owner_id == user.id and town.engagement_stage == "outreach"
    # The town's page now says it was reached out to, not "no contact".
    client.set_cookie("lang", "ja")
    assert "働きかけ中" in unescape(client.get(f"/municipalities/{town.code}").get_data(as_text=True))
    client.set_cookie("lang", "en")
    response = client.post(f"/coordinator/outreach/{case_id}/contacts", data=contact_form())
    assert response.status_code == 302
    html = unescape(client.get(f"/coordinator/outreach/{case_id}").get_data(as_text=True))
    assert "佐藤 一郎" in html and "前向きです" in html and "Interested" in html
    response = client.post(f"/coordinator/outreach/{case_id}/request", data={
        "consent": "y", "consent_by": "佐藤 一郎", "consent_how": "phone", "consented_on": "2026-04-10"})
    assert response.status_code == 302
    made = db.session.scalars(sa.select(SupportRequest)).one()
    assert response.headers["Location"].endswith(f"/coordinator/requests/{made.id}")
    assert made.source == "outreach" and made.phone == "+81133230000"
    db.session.expire_all()
    case = db.session.get(OutreachCase, case_id)
    assert case.status == "request" and case.request_id == made.id
    html = unescape(client.get(f"/coordinator/outreach/{case_id}").get_data(as_text=True))
    assert "Became a request" in html and f"/coordinator/requests/{made.id}" in html
    request_page = unescape(client.get(f"/coordinator/requests/{made.id}").get_data(as_text=True))
    assert "Outreach, with the town’s consent" in request_page


def test_bad_contact_input_is_named_and_kept(staff, db, town):
    client, _ = staff
    case_id = open_case(client, town.code)
    response = client.post(f"/coordinator/outreach/{case_id}/contacts", data=contact_form(
        contacted_on="2026-04-11", channel="", phone="電話", email="not-an-address", next_on="2026-04-01",
        answer=HOSTILE))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    text = unescape(html)
    assert "The date cannot be in the future." in text
    assert "Choose how you reached the town." in text
    assert "This is not a phone number we can use." in text
    assert "This is not an e-mail address" in text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html  # kept, escaped
    assert "佐藤 一郎" in text  # what was typed comes back
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "outreach.contact_logged")) == 0


def test_turning_into_a_request_needs_the_consent_and_a_reachable_contact(staff, db, town):
    client, _ = staff
    case_id = open_case(client, town.code)
    response = client.post(f"/coordinator/outreach/{case_id}/request", data={
        "consent_by": "", "consent_how": "phone", "consented_on": "2026-04-10"})
    text = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "Tick this once the town has agreed." in text and "Enter who at the town agreed." in text
    response = client.post(f"/coordinator/outreach/{case_id}/request", data={
        "consent": "y", "consent_by": "誰か", "consent_how": "phone", "consented_on": "2026-04-10"})
    assert response.status_code == 422
    assert "Log a contact with the person’s name" in unescape(response.get_data(as_text=True))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportRequest)) == 0


def test_hostile_text_is_shown_escaped_on_every_outreach_page(staff, db, town, signed_in_client):
    client, _ = staff
    evangelist_client, evangelist_user = signed_in_client("evangelist")
    helper = make_evangelist(user=evangelist_user, home_municipality=town)
    db.session.commit()
    case_id = open_case(client, town.code)
    assert client.post(f"/coordinator/outreach/{case_id}/contacts", data=contact_form(
        person_name=HOSTILE, department=HOSTILE, answer=HOSTILE, next_step=HOSTILE)).status_code == 302
    assert client.post(f"/coordinator/outreach/{case_id}/details", data={
        "owner": "", "evangelist": str(helper.id), "community": "", "ask": HOSTILE, "next_step": HOSTILE,
        "next_on": ""}).status_code == 302
    assert evangelist_client.post(f"/me/outreach/{case_id}/note", data={
        "reached_out": "y", "channel": "visit", "note": HOSTILE}).status_code == 302
    for c, url in ((client, f"/coordinator/outreach/{case_id}"), (client, "/coordinator/outreach"),
                   (evangelist_client, "/me/")):
        html = c.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;{{7*7}} {{" in html, url


def test_the_evangelist_sees_only_cases_they_are_asked_for(staff, db, town, signed_in_client):
    client, _ = staff
    asked_client, asked_user = signed_in_client("evangelist")
    other_client, other_user = signed_in_client("evangelist")
    helper = make_evangelist(user=asked_user, home_municipality=town)
    make_evangelist(user=other_user, home_municipality=town)
    db.session.commit()
    case_id = open_case(client, town.code)
    client.post(f"/coordinator/outreach/{case_id}/details", data={
        "owner": "", "evangelist": str(helper.id), "community": "", "ask": "役場の企画課に電話を", "next_step": "",
        "next_on": ""})
    asked_client.set_cookie("lang", "ja")
    html = unescape(asked_client.get("/me/").get_data(as_text=True))
    assert "働きかけを頼まれた自治体" in html and "当別町" in html and "役場の企画課に電話を" in html
    assert "働きかけを頼まれた自治体" not in unescape(other_client.get("/me/").get_data(as_text=True))
    assert other_client.post(f"/me/outreach/{case_id}/note", data={"channel": "phone", "note": "x"}).status_code == 404
    response = asked_client.post(f"/me/outreach/{case_id}/note", data={"channel": "phone", "note": ""})
    assert response.status_code == 422
    assert "「自治体に連絡した」にチェックするか" in unescape(response.get_data(as_text=True))
    assert asked_client.post(f"/me/outreach/{case_id}/note", data={
        "reached_out": "y", "channel": "phone", "note": "電話しました"}).status_code == 302
    assert "電話しました" in unescape(client.get(f"/coordinator/outreach/{case_id}").get_data(as_text=True))


def test_the_gap_list_and_the_bulk_opening(staff, db, town):
    client, _ = staff
    other = make_municipality(code="012246", name="千歳市", prefecture=make_prefecture(code="01"),
                              lat=42.82, lon=141.65)
    active = make_municipality(open_data_status="active")
    db.session.commit()
    html = unescape(client.get("/coordinator/outreach/gap").get_data(as_text=True))
    assert 'name="codes" value="013030"' in html and 'name="codes" value="012246"' in html
    dashboard = unescape(client.get("/coordinator/reports").get_data(as_text=True))
    assert "/coordinator/outreach/new/013030" in dashboard and "/coordinator/outreach/gap" in dashboard
    # Nothing ticked: said so.
    response = client.post("/coordinator/outreach/bulk", data={})
    assert response.status_code == 422 and "Tick at least one municipality." in unescape(response.get_data(as_text=True))
    # A town that cannot have a case: the review names it and offers no confirmation.
    response = client.post("/coordinator/outreach/bulk", data={"codes": [town.code, active.code]})
    review = unescape(response.get_data(as_text=True))
    assert "already publishes open data" in review and 'name="confirmed"' not in review
    response = client.post("/coordinator/outreach/bulk", data={"codes": [town.code, other.code]})
    review = response.get_data(as_text=True)
    run = review.split('name="run" type="hidden" value="')[1].split('"')[0]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutreachCase)) == 0
    data = {"codes": [town.code, other.code], "confirmed": "1", "run": run}
    done = client.post("/coordinator/outreach/bulk", data=data)
    assert done.status_code == 302
    again = client.post("/coordinator/outreach/bulk", data=data)  # a double click runs once
    assert again.headers["Location"] == done.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutreachCase)) == 2
    result = unescape(client.get(done.headers["Location"]).get_data(as_text=True))
    assert "当別町" in result and "千歳市" in result
    listed = unescape(client.get("/coordinator/outreach").get_data(as_text=True))
    assert "当別町" in listed and "千歳市" in listed
    assert "Case open" in unescape(client.get("/coordinator/outreach/gap").get_data(as_text=True))


def test_the_list_filters_and_bad_filters(staff, db, town):
    client, user = staff
    make_prefecture(code="13", name_ja="東京都", name_kana="トウキョウト", name_en="Tokyo", region="kanto")
    db.session.commit()
    case_id = open_case(client, town.code)
    client.post(f"/coordinator/outreach/{case_id}/details", data={
        "owner": str(user.id), "evangelist": "", "community": "", "ask": "", "next_step": "電話",
        "next_on": "2026-04-12"})
    assert "当別町" in client.get("/coordinator/outreach?due=2026-04-15").get_data(as_text=True)
    assert "当別町" not in client.get("/coordinator/outreach?due=2026-04-11").get_data(as_text=True)
    assert "当別町" not in client.get("/coordinator/outreach?status=declined").get_data(as_text=True)
    assert "当別町" in client.get(f"/coordinator/outreach?owner={user.id}").get_data(as_text=True)
    assert "当別町" not in client.get("/coordinator/outreach?owner=none").get_data(as_text=True)
    assert "当別町" not in client.get("/coordinator/outreach?prefecture=13").get_data(as_text=True)
    assert "当別町" in client.get("/coordinator/outreach?prefecture=01").get_data(as_text=True)
    response = client.get("/coordinator/outreach?status=zzz&due=99999&owner=%3Cb%3E")
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and "is not one of the choices" in html and "Enter a date like" in html


def test_the_dashboard_funnel_and_the_map_layer(staff, db, town):
    client, _ = staff
    case_id = open_case(client, town.code)
    client.post(f"/coordinator/outreach/{case_id}/contacts", data=contact_form())
    client.set_cookie("lang", "ja")
    html = unescape(client.get("/coordinator/reports").get_data(as_text=True))
    section = html.split('id="outreach-funnel"', 1)[1].split("</section>", 1)[0]
    assert "まだ依頼のない自治体への働きかけ" in section
    rows = [r.split("</tr>")[0] for r in section.split("<tr>")[2:]]
    assert [r.count(">1<") for r in rows] == [1, 1, 0, 0]  # contacted, interested: one; request, active: none
    layer = client.get("/api/v1/outreach").get_json()
    assert [f["properties"]["code"] for f in layer["features"]] == [town.code]
    assert layer["features"][0]["id"] == case_id
    map_page = client.get("/map").get_data(as_text=True)
    assert "/api/v1/outreach" in map_page


def test_a_regional_coordinator_sees_and_acts_only_in_their_regions(db, town, signed_in_client, clock):
    clock(NOW)
    kyushu_town = make_municipality(code="401307", name="福岡市", prefecture=make_prefecture(
        code="40", name_ja="福岡県", name_kana="フクオカケン", name_en="Fukuoka", region="kyushu"),
        lat=33.59, lon=130.40)
    db.session.commit()
    national, _ = signed_in_client("coordinator")
    regional, regional_user = signed_in_client("coordinator")
    for c in (national, regional):
        c.set_cookie("lang", "en")
    regional_user.region_rows = [UserRegion(region="hokkaido")]
    db.session.commit()
    theirs = open_case(national, kyushu_town.code)
    mine = open_case(regional, town.code)
    assert regional.get(f"/coordinator/outreach/{theirs}").status_code == 404
    assert regional.get(f"/coordinator/outreach/new/{kyushu_town.code}").status_code == 404
    assert regional.post(f"/coordinator/outreach/{theirs}/contacts", data=contact_form()).status_code == 404
    assert regional.post(f"/coordinator/outreach/{theirs}/close", data={"reason": "x"}).status_code == 404
    listed = unescape(regional.get("/coordinator/outreach").get_data(as_text=True))
    assert "当別町" in listed and "福岡市" not in listed
    assert [f["id"] for f in regional.get("/api/v1/outreach").get_json()["features"]] == [mine]
    gap = unescape(regional.get("/coordinator/outreach/gap").get_data(as_text=True))
    assert "福岡市" not in gap
    review = unescape(regional.post("/coordinator/outreach/bulk", data={"codes": [kyushu_town.code]})
                      .get_data(as_text=True))
    assert "outside your regions" in review and 'name="confirmed"' not in review
    national_list = unescape(national.get("/coordinator/outreach").get_data(as_text=True))
    assert "当別町" in national_list and "福岡市" in national_list


def test_a_town_with_an_open_request_is_sent_to_it(staff, db, town):
    client, _ = staff
    request = make_request(municipality=town)
    db.session.commit()
    html = unescape(client.get(f"/coordinator/outreach/new/{town.code}").get_data(as_text=True))
    assert f"already has an open request (number {request.id})" in html
    response = client.post(f"/coordinator/outreach/new/{town.code}", data={})
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutreachCase)) == 0


def test_closing_a_case_needs_a_reason_and_puts_the_town_back(staff, db, town):
    client, _ = staff
    case_id = open_case(client, town.code)
    response = client.post(f"/coordinator/outreach/{case_id}/close", data={"reason": ""})
    assert response.status_code == 422 and "Say why the case is closed." in unescape(response.get_data(as_text=True))
    assert client.post(f"/coordinator/outreach/{case_id}/close", data={"reason": "不要"}).status_code == 302
    db.session.expire_all()
    assert town.engagement_stage == "none"
    assert db.session.get(OutreachCase, case_id).closed_reason == "不要"
    # A closed case can no longer change: its forms are gone and a post is refused.
    html = unescape(client.get(f"/coordinator/outreach/{case_id}").get_data(as_text=True))
    assert "Log the contact" not in html and "Why it was closed" in html
    response = client.post(f"/coordinator/outreach/{case_id}/contacts", data=contact_form())
    assert response.status_code == 422
    assert "This outreach case is closed" in unescape(response.get_data(as_text=True))
