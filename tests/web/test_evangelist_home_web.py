"""The evangelist's assignment card on /me says where, what, when and why, with contacts
one tap away; a saved visit lands back on that card (issue 17, point 7). The visit
form's help names the outcomes as its list does (point 20)."""

from __future__ import annotations

import html
import re

import pytest

from app.services.topics import sync_topics
from evangelists.calendar import today_in_japan
from tests.conftest import sign_in
from tests.factories import (
    make_assignment,
    make_evangelist,
    make_municipality,
    make_prefecture,
    make_request,
    make_visit,
)

HOSTILE = "<script>alert(1)</script>{{7*7}} {{"


@pytest.fixture
def card(app, db, make_account):
    """A signed-in evangelist with one proposal from a town in Aomori."""
    sync_topics()
    user = make_account("evangelist")
    town = make_municipality(name="深浦町", prefecture=make_prefecture(code="02"))
    request = make_request(municipality=town, status="assigned", preferred_mode="either",
                           preferred_period="来年1月の平日午後", message="カタログの作り方を相談したいです。",
                           contact_name="山田 花子", department="企画課", email="opendata@town.example.jp",
                           phone="+81173742111")
    assignment = make_assignment(request=request, evangelist=make_evangelist(user=user), status="proposed",
                                 distance_km=42.0, reasons=[["distance_km", 42.0], ["coverage", 2, 3]])
    db.session.commit()
    client = app.test_client()
    sign_in(client, user)
    return client, assignment


def test_the_card_says_where_what_when_and_why(card):
    client, assignment = card
    page = client.get("/me/").get_data(as_text=True)
    request = assignment.request
    assert f'id="assignment-{assignment.id}"' in page
    assert "深浦町" in page and "青森県" in page  # the prefecture beside the town
    assert f"受付番号 {request.id}" in page  # the request number the coordinators use
    assert "どちらでもよい" in page and "来年1月の平日午後" in page  # mode and period
    assert "カタログの作り方を相談したいです。" in page  # the town's own message
    reasons = re.search(r'class="[^"]*reasons">([^<]*)<', page).group(1)
    assert "42 km" in reasons and "相談内容 3 件中 2 件に対応" in reasons  # why this evangelist
    assert f'href="/municipalities/{request.municipality.code}"' in page  # the town's page


def test_the_contact_is_one_tap_away(card):
    client, _assignment = card
    page = client.get("/me/").get_data(as_text=True)
    # The number dialled in E.164, shown the Japanese way.
    assert 'href="tel:+81173742111">0173-74-2111</a>' in page
    assert '<a href="mailto:opendata@town.example.jp">opendata@town.example.jp</a>' in page


def test_an_assignment_without_stored_reasons_still_says_how_far(app, db, make_account):
    user = make_account("evangelist")
    make_assignment(evangelist=make_evangelist(user=user), status="accepted", distance_km=17.0, reasons=[])
    db.session.commit()
    client = app.test_client()
    sign_in(client, user)
    page = client.get("/me/").get_data(as_text=True)
    assert re.search(r'class="[^"]*reasons">17 km<', page)


def test_what_the_town_typed_is_shown_as_text(app, db, make_account):
    user = make_account("evangelist")
    request = make_request(status="assigned", message=HOSTILE, preferred_period=HOSTILE, contact_name=HOSTILE,
                           department=HOSTILE)
    make_assignment(request=request, evangelist=make_evangelist(user=user), status="proposed")
    db.session.commit()
    client = app.test_client()
    sign_in(client, user)
    page = client.get("/me/").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "49" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;{{7*7}} {{") == 4


def visit_form(**overrides) -> dict:
    data = {
        "visited_on": today_in_japan().isoformat(), "mode": "onsite", "duration_minutes": "60",
        "attendee_count": "3", "attendee_departments": "企画課", "topics": ["open_data_publication"],
        "summary": "公開手順を説明しました", "next_steps": "",
        "outcomes-0-type": "event_held", "outcomes-1-type": "", "outcomes-2-type": "",
    }
    data.update(overrides)
    return data


def test_saving_a_visit_lands_on_the_assignment_with_a_confirmation(card, db):
    client, assignment = card
    assignment.status = "accepted"
    db.session.commit()
    response = client.post(f"/me/assignments/{assignment.id}/visits/new", data=visit_form())
    assert response.status_code == 302
    assert response.headers["Location"] == f"/me/#assignment-{assignment.id}"
    page = client.get("/me/").get_data(as_text=True)
    assert 'role="alert">訪問を保存しました。' in page
    assert f"{today_in_japan().year}" in page.split(f'id="assignment-{assignment.id}"', 1)[1].split(' visits">', 1)[1]


def test_updating_a_visit_lands_on_the_assignment_too(card, db):
    client, assignment = card
    assignment.status = "accepted"
    visit = make_visit(assignment=assignment, author_id=assignment.evangelist.user_id)
    db.session.commit()
    response = client.post(f"/me/visits/{visit.id}", data=visit_form(summary="書き直し"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/me/#assignment-{assignment.id}"
    assert 'role="alert">訪問を更新しました。' in client.get("/me/").get_data(as_text=True)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_outcome_help_names_the_outcomes_as_the_list_does(card, app, db, language):
    client, assignment = card
    assignment.status = "accepted"
    db.session.commit()
    client.set_cookie(app.config["LANGUAGE_COOKIE"], language)
    page = client.get(f"/me/assignments/{assignment.id}/visits/new").get_data(as_text=True)
    help_text = re.search(r'<p class="[^"]*outcome-help">(.*?)</p>', page, re.S).group(1)
    named = re.findall(r"「([^」]+)」" if language == "ja" else r"“([^”]+)”", html.unescape(help_text))
    options = set(re.findall(r'<option value="[a-z_]+">([^<]+)</option>',
                             page.split('name="outcomes-0-type"', 1)[1].split("</select>", 1)[0]))
    assert len(named) == 3 and set(named) <= options, (named, options)


def test_the_dataset_count_is_in_the_form_for_browsers_that_hide_nothing(card, db):
    """Without :has() (or CSS) every count field is there and a count is saved."""
    client, assignment = card
    assignment.status = "accepted"
    db.session.commit()
    page = client.get(f"/me/assignments/{assignment.id}/visits/new").get_data(as_text=True)
    assert page.count("outcome-count") == 3 and 'name="outcomes-2-count"' in page
    response = client.post(f"/me/assignments/{assignment.id}/visits/new",
                           data=visit_form(**{"outcomes-0-type": "datasets_published", "outcomes-0-count": "12"}))
    assert response.status_code == 302
    db.session.refresh(assignment)
    assert [(o.type, o.count) for o in assignment.visits[0].outcomes] == [("datasets_published", 12)]
