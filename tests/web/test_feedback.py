"""The closing mail's question, "was the help useful?": answered once by the town on its
request's status page (the link in the mail), shown to the coordinators on their
dashboard and on the request's page (issue 18, point 4)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, RequestFeedback
from app.services import visits
from app.services.topics import sync_topics
from evangelists.calendar import today_in_japan
from tests.factories import make_assignment, make_evangelist, make_municipality, make_request
from tests.mailbox import body_of

HOSTILE = "<script>alert(1)</script> {{7*7}} {{ とても助かりました"


@pytest.fixture
def closed(db, mailbox, deliver):
    """A request closed as done through the service, its closing mail delivered; returns
    (request, the status link found in the mail)."""
    sync_topics()
    town = make_municipality(name="梼原町")
    request = make_request(municipality=town, status="assigned", email="town@example.jp", token="closing-token")
    evangelist = make_evangelist(home_municipality=town)
    assignment = make_assignment(request=request, evangelist=evangelist, status="accepted")
    db.session.commit()
    visits.log_visit(evangelist.user, assignment, visits.VisitInput(
        visited_on=today_in_japan(), mode="onsite", duration_minutes=60, summary="相談",
        outcomes=(visits.OutcomeInput("datasets_published", count=3),)))
    visits.complete_assignment(evangelist.user, assignment)
    deliver()
    (mail,) = mailbox.to("town@example.jp")
    link = re.search(r"https?://\S+/request/status/\S+", body_of(mail)).group(0)
    return request, link


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def test_the_town_answers_from_the_closing_mail_and_the_coordinators_see_it_escaped(
        db, client, coordinator_client, closed):
    request, link = closed
    page = client.get(path_of(link))
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "役に立ちましたか" in html and "/request/status/closing-token/feedback" in html

    answer = client.post("/request/status/closing-token/feedback", data={"rating": "4", "comment": HOSTILE})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/request/status/closing-token#feedback")
    assert answer.headers["Cache-Control"] == "no-store"
    row = db.session.scalar(sa.select(RequestFeedback))
    assert (row.request_id, row.rating, row.comment) == (request.id, 4, HOSTILE)
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "request.feedback_given"))
    assert audit.after == {"rating": 4}

    after = client.get(path_of(link)).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in after and "&lt;script&gt;alert(1)&lt;/script&gt;" in after
    assert "{{7*7}}" in after and "49" not in after.split("feedback-comment")[1][:200]
    assert "/feedback\"" not in after  # the form is gone once answered

    for page_html in (coordinator_client.get("/coordinator/").get_data(as_text=True),
                      coordinator_client.get(f"/coordinator/requests/{request.id}").get_data(as_text=True)):
        assert "<script>alert(1)</script>" not in page_html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; {{7*7}} {{ とても助かりました" in page_html
    dashboard = coordinator_client.get("/coordinator/").get_data(as_text=True)
    assert "4.0" in dashboard and "梼原町" in dashboard


def test_in_english_too(db, client, english, coordinator_client, closed):
    _request, link = closed
    html = english.get(path_of(link)).get_data(as_text=True)
    assert "Was the help useful?" in html and "5 — very useful" in html
    english.post("/request/status/closing-token/feedback", data={"rating": "5"})
    assert "Thank you. Your municipality answered 5 out of 5." in english.get(path_of(link)).get_data(as_text=True)
    coordinator_client.set_cookie("lang", "en")
    dashboard = coordinator_client.get("/coordinator/").get_data(as_text=True)
    assert "Average 5.0 out of 5, from 1 answer." in dashboard


@pytest.mark.parametrize("lang, words", [
    ("en", "Choose a number from 1 (not useful) to 5 (very useful)."),
    ("ja", "1（役に立たなかった）から5（とても役に立った）までの数字を選んでください。"),
])
@pytest.mark.parametrize("rating", ["", "0", "6", "x"])
def test_a_missing_or_wrong_rating_is_refused_clearly_and_keeps_the_comment(db, client, closed, lang, words, rating):
    client.set_cookie("lang", lang)
    response = client.post("/request/status/closing-token/feedback", data={"rating": rating, "comment": HOSTILE})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert words in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{7*7}} {{ とても助かりました</textarea>" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RequestFeedback)) == 0


def test_a_too_long_comment_is_refused(db, client, closed):
    client.set_cookie("lang", "en")
    response = client.post("/request/status/closing-token/feedback", data={"rating": "3", "comment": "あ" * 2001})
    assert response.status_code == 422
    assert "Keep the comment to 2,000 characters or fewer." in response.get_data(as_text=True)


def test_a_second_answer_is_refused_and_the_first_kept(db, client, closed):
    client.set_cookie("lang", "en")
    client.post("/request/status/closing-token/feedback", data={"rating": "2", "comment": "最初"})
    second = client.post("/request/status/closing-token/feedback", data={"rating": "5", "comment": "二回目"},
                         follow_redirects=True)
    assert "already answered this question" in second.get_data(as_text=True)
    rows = db.session.scalars(sa.select(RequestFeedback)).all()
    assert [(r.rating, r.comment) for r in rows] == [(2, "最初")]


def test_an_open_request_cannot_be_rated(db, client):
    make_request(status="scheduled", token="open-token")
    db.session.commit()
    client.set_cookie("lang", "en")
    assert "Was the help useful?" not in client.get("/request/status/open-token").get_data(as_text=True)
    refused = client.post("/request/status/open-token/feedback", data={"rating": "5"}, follow_redirects=True)
    assert "once the request is closed as done" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RequestFeedback)) == 0


def test_an_unknown_token_is_not_found(client, db):
    assert client.post("/request/status/nope/feedback", data={"rating": "5"}).status_code == 404


def test_the_dashboard_says_when_nobody_answered(db, coordinator_client):
    coordinator_client.set_cookie("lang", "en")
    assert "No municipality has answered yet." in coordinator_client.get("/coordinator/").get_data(as_text=True)
