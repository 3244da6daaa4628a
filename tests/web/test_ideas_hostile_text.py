"""0 XSS in the idea box (issue 21, acceptance): hostile text is posted through every form
field people type into — a theme and its materials, an idea, a comment and a reply, a
report's note, a moderation decision's public note, an official answer, a sign-up (refused
and re-shown) — and every page that shows it is read as every role. The text must come
back escaped wherever it is shown, never as markup and never evaluated as a template."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.models import Idea, IdeaComment, IdeaTheme
from app.services.topics import sync_topics
from tests.factories import make_municipality, make_prefecture, make_profile

NOW = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>{{7*7}}{{'
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;{{7*7}}{{"
MARKUP = re.compile(r"<script>alert\(1\)|<img src=x onerror", re.IGNORECASE)


@pytest.fixture
def scene(db, clock, signed_in_client):
    """Everything posted through the forms, by the people who may."""
    clock(NOW)
    sync_topics()
    make_municipality(code="011002", name="札幌市", prefecture=make_prefecture(code="01"))
    db.session.commit()
    staff, _ = signed_in_client("coordinator")
    response = staff.post("/ideas/manage/themes/new", data={
        "title": HOSTILE, "title_reading": HOSTILE, "description": HOSTILE + " https://example.jp/x",
        "opens_at": "2026-12-01T09:00", "closes_at": "2027-01-01T09:00", "scope": "national",
        "materials-0-label": HOSTILE, "materials-0-url": "https://example.jp/m"})
    assert response.status_code == 302
    theme = db.session.scalar(sa.select(IdeaTheme))

    author, author_user = signed_in_client("participant")
    make_profile(user=author_user, handle="投稿する人")
    other, other_user = signed_in_client("participant")
    make_profile(user=other_user, handle="返信する人")
    db.session.commit()
    assert author.post(f"/ideas/themes/{theme.id}/new", data={
        "title": HOSTILE[:100], "body": HOSTILE, "prefecture": "01", "municipality": "011002"}).status_code == 302
    idea = db.session.scalar(sa.select(Idea))
    assert other.post(f"/ideas/{idea.id}/comments", data={"stance": "agree", "body": HOSTILE}).status_code == 302
    comment = db.session.scalar(sa.select(IdeaComment))
    assert author.post(f"/ideas/{idea.id}/comments",
                       data={"stance": "neutral", "body": HOSTILE, "parent": str(comment.id)}).status_code == 302
    assert other.post(f"/ideas/{idea.id}/vote", data={"vote": "agree"}).status_code == 302
    assert other.post(f"/ideas/{idea.id}/report", data={"reason": "other", "note": HOSTILE}).status_code in (200, 302)
    assert author.post(f"/ideas/{idea.id}/report",
                       data={"reason": "abuse", "note": HOSTILE, "comment": str(comment.id)}).status_code in (200, 302)
    # A decision with a public note (the comment hidden), and an official answer.
    assert staff.post("/ideas/manage/reports/decide", data={
        "target": f"comment-{comment.id}", "action": "hide", "article": "2", "note": HOSTILE}).status_code in (200, 302)
    assert staff.post(f"/ideas/{idea.id}/answer", data={"status": "adopted", "answer": HOSTILE}).status_code in (200, 302)
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).answer == HOSTILE
    return {"theme": theme, "idea": idea, "staff": staff, "author": author, "other": other}


def _check(url: str, html: str) -> None:
    assert not MARKUP.search(html), f"{url} shows hostile text as markup"


def test_hostile_text_from_every_field_is_shown_escaped_on_every_page_as_every_role(scene, client, signed_in_client):
    theme, idea = scene["theme"], scene["idea"]
    pages = [
        "/ideas", f"/ideas/themes/{theme.id}", f"/ideas/{idea.id}", f"/ideas/themes/{theme.id}/results",
        f"/ideas/themes/{theme.id}/results/print", "/ideas/results", "/ideas/moderation", "/municipalities/011002",
        f"/ideas/themes/{theme.id}?q=script", "/notices", "/ideas/manage", "/ideas/manage/reports",
        f"/ideas/manage/themes/{theme.id}",
    ]
    readers = {"anonymous": client, "coordinator": scene["staff"], "author": scene["author"], "other": scene["other"],
               "admin": signed_in_client("admin")[0], "evangelist": signed_in_client("evangelist")[0]}
    shown_on = set()
    for who, reader in readers.items():
        for url in pages:
            response = reader.get(url)
            assert response.status_code < 500, (who, url)
            if response.status_code != 200:
                continue
            html = response.get_data(as_text=True)
            _check(f"{who} {url}", html)
            if ESCAPED in html:
                shown_on.add(url)
    # The text is there, escaped, where it belongs: the theme (title, description,
    # material), the idea and its answer, the comments, the public note, the queue.
    for url in ("/ideas", f"/ideas/themes/{theme.id}", f"/ideas/{idea.id}", "/ideas/moderation",
                "/ideas/manage/reports", f"/ideas/themes/{theme.id}/results"):
        assert url in shown_on, url


def test_a_refused_sign_up_and_profile_show_hostile_text_escaped(client, signed_in_client, db):
    response = client.post("/ideas/register", data={"email": "hostile@example.jp", "handle": HOSTILE[:30],
                                                     "voice": "other", "terms": "y"})
    html = response.get_data(as_text=True)
    assert response.status_code in (400, 422) or "invalid-feedback" in html
    _check("register", html)
    member, _ = signed_in_client("evangelist")
    html = member.post("/ideas/profile", data={"handle": HOSTILE[:30], "voice": "other"}).get_data(as_text=True)
    _check("profile", html)
    assert "invalid-feedback" in html


def test_open_data_keeps_hostile_text_as_data(scene, client):
    theme = scene["theme"]
    body = client.get(f"/ideas/themes/{theme.id}/open-data.json").get_data(as_text=True)
    assert "<script>alert(1)</script>" in body  # JSON is data: the text as written, served as JSON
    response = client.get(f"/ideas/themes/{theme.id}/open-data.csv")
    assert response.mimetype == "text/csv" and response.headers.get("X-Content-Type-Options") == "nosniff"


def test_a_closed_theme_shows_the_same_text_escaped(scene, client, clock, db):
    clock(NOW + timedelta(days=60))
    theme, idea = scene["theme"], scene["idea"]
    for url in (f"/ideas/themes/{theme.id}", f"/ideas/{idea.id}"):
        html = client.get(url).get_data(as_text=True)
        _check(url, html)
        assert ESCAPED in html
