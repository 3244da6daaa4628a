"""The open dialogue's pages (app/ideas/routes.py, manage.py): reading, posting, replying,
voting, the dialogue profile and the coordinators' themes, as people use them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.models import Idea, IdeaComment, IdeaTheme
from app.services.ideas import profile_of
from app.services.topics import sync_topics
from tests.factories import make_comment, make_idea, make_municipality, make_profile, make_theme

NOW = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
HOSTILE = '<script>alert(1)</script>{{7*7}}{{'


@pytest.fixture
def theme(db, clock):
    clock(NOW)
    made = make_theme(title="欲しいデータ", opens_at=NOW - timedelta(days=1), closes_at=NOW + timedelta(days=10))
    db.session.commit()
    return made


def _participant(signed_in_client, handle="たろう"):
    client, user = signed_in_client("participant")
    make_profile(user=user, handle=handle)
    from app.extensions import db
    db.session.commit()
    return client, user


def test_anyone_reads_the_themes_a_theme_and_an_idea(client, theme):
    idea = make_idea(theme=theme, title="バス停", body="位置を https://example.jp/stops で")
    make_comment(idea=idea, body="賛成")
    from app.extensions import db
    db.session.commit()
    index = client.get("/ideas").get_data(as_text=True)
    assert "欲しいデータ" in index
    assert re.search(r"<title>[^<]+</title>", index)  # the page's title is words only
    html = client.get(f"/ideas/themes/{theme.id}").get_data(as_text=True)
    assert "バス停" in html and f"/ideas/themes/{theme.id}/new" in html
    html = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert '<a href="https://example.jp/stops" rel="nofollow ugc noopener"' in html
    assert "賛成" in html
    assert client.get("/ideas/99999").status_code == 404
    assert client.get("/ideas/themes/99999").status_code == 404


def test_posting_sends_a_person_without_a_profile_to_make_one_first(signed_in_client, theme):
    client, _user = signed_in_client("evangelist")
    response = client.get(f"/ideas/themes/{theme.id}/new")
    assert response.status_code == 302 and "/ideas/profile?next=" in response.headers["Location"]
    response = client.post(response.headers["Location"], data={"handle": "伝道師の山", "voice": "other"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/ideas/themes/{theme.id}/new")
    assert client.get(f"/ideas/themes/{theme.id}/new").status_code == 200


def test_a_refused_idea_keeps_what_was_typed_and_says_why(signed_in_client, theme):
    client, _user = _participant(signed_in_client)
    long_body = "本文" * 2100
    response = client.post(f"/ideas/themes/{theme.id}/new", data={"title": "残る題", "body": long_body,
                                                                 "municipality": "999999"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="残る題"' in html and long_body in html
    # Choosing the prefecture (without JavaScript) lists its municipalities and keeps the text.
    make_municipality(code="011002", name="札幌市")
    response = client.post(f"/ideas/themes/{theme.id}/new", data={"title": "残る題", "body": "本文",
                                                                 "prefecture": "01", "action": "prefecture"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'value="011002"' in html and 'value="残る題"' in html


def test_post_comment_reply_and_vote_as_a_participant(signed_in_client, theme, db):
    make_municipality(code="011002", name="札幌市")
    client, _user = _participant(signed_in_client)
    response = client.post(f"/ideas/themes/{theme.id}/new",
                           data={"title": "公園のトイレ", "body": "場所と開いている時間", "prefecture": "01",
                                 "municipality": "011002"})
    assert response.status_code == 302
    idea = db.session.scalar(sa.select(Idea))
    assert idea.title == "公園のトイレ" and idea.municipality.code == "011002"
    response = client.post(f"/ideas/{idea.id}/comments", data={"stance": "agree", "body": "いいですね"})
    assert response.status_code == 302
    top = db.session.scalar(sa.select(IdeaComment))
    assert client.post(f"/ideas/{idea.id}/comments",
                       data={"stance": "neutral", "body": "補足", "parent": str(top.id)}).status_code == 302
    # A comment without a stance is refused, the text kept.
    response = client.post(f"/ideas/{idea.id}/comments", data={"body": "立場なし"})
    assert response.status_code == 400 and "立場なし" in response.get_data(as_text=True)
    assert "no-store" in response.headers["Cache-Control"]
    for choice in ("agree", "agree", "disagree"):
        assert client.post(f"/ideas/{idea.id}/vote", data={"vote": choice}).status_code == 302
    db.session.expire_all()
    assert (idea.agree_count, idea.disagree_count, idea.comment_count) == (0, 1, 2)
    html = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert 'aria-pressed="true"' in html and "補足" in html


def test_a_closed_theme_is_read_only(signed_in_client, theme, db):
    theme.closes_at = NOW - timedelta(minutes=1)
    idea = make_idea(theme=theme)
    db.session.commit()
    client, _user = _participant(signed_in_client)
    assert client.get(f"/ideas/themes/{theme.id}/new").status_code == 302
    assert client.post(f"/ideas/{idea.id}/vote", data={"vote": "agree"}).status_code == 302
    assert client.post(f"/ideas/{idea.id}/comments", data={"stance": "agree", "body": "x"}).status_code == 400
    db.session.expire_all()
    assert idea.agree_count == 0 and idea.comment_count == 0
    html = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert 'name="vote"' not in html


def test_a_held_idea_is_seen_by_its_author_and_staff_only(signed_in_client, client, theme, db):
    author_client, author = _participant(signed_in_client)
    idea = make_idea(theme=theme, author=profile_of(author), visibility="held")
    db.session.commit()
    assert author_client.get(f"/ideas/{idea.id}").status_code == 200
    assert signed_in_client("coordinator")[0].get(f"/ideas/{idea.id}").status_code == 200
    assert client.get(f"/ideas/{idea.id}").status_code == 404
    assert _participant(signed_in_client, "ほかの人")[0].get(f"/ideas/{idea.id}").status_code == 404


def test_a_coordinator_opens_a_theme_in_japan_time(signed_in_client, db):
    client, _user = signed_in_client("coordinator")
    response = client.post("/ideas/manage/themes/new", data={
        "title": "防災データ", "title_reading": "ぼうさいでーた", "description": "避難所のデータについて",
        "opens_at": "2026-12-10T09:00", "closes_at": "2027-01-10T18:00", "scope": "national",
        "materials-0-label": "資料", "materials-0-url": "https://example.jp/資料.pdf",
        "materials-1-label": "", "materials-1-url": ""})
    assert response.status_code == 302
    theme = db.session.scalar(sa.select(IdeaTheme))
    assert theme.opens_at == datetime(2026, 12, 10, 0, 0, tzinfo=UTC)
    assert theme.materials == [{"label": "資料", "url": "https://example.jp/資料.pdf"}]
    html = client.get(f"/ideas/themes/{theme.id}").get_data(as_text=True)
    assert "<ruby>防災データ<rp>（</rp><rt>ぼうさいでーた</rt>" in html
    # The wrong way round, a scope without its area, a material that is not a web address:
    # each said, nothing saved, the text kept.
    response = client.post("/ideas/manage/themes/new", data={
        "title": "逆", "description": "説明", "opens_at": "2027-01-10T09:00", "closes_at": "2027-01-01T09:00",
        "scope": "prefecture", "materials-0-label": "悪い", "materials-0-url": "javascript:alert(1)"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'value="逆"' in html
    assert html.count("invalid-feedback") >= 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IdeaTheme)) == 1
    # Editing keeps the materials and changes the period.
    response = client.post(f"/ideas/manage/themes/{theme.id}", data={
        "title": "防災データ", "description": "避難所", "opens_at": "2026-12-01T09:00",
        "closes_at": "2027-01-10T18:00", "scope": "national",
        "materials-0-label": "資料", "materials-0-url": "https://example.jp/資料.pdf"})
    assert response.status_code == 302
    db.session.expire_all()
    assert theme.opens_at == datetime(2026, 12, 1, 0, 0, tzinfo=UTC) and len(theme.materials) == 1


def test_hostile_text_is_shown_as_text_everywhere_it_appears(signed_in_client, client, theme, db):
    sync_topics()
    theme.title = theme.description = HOSTILE
    theme.title_reading = HOSTILE
    theme.materials = [{"label": HOSTILE, "url": "https://example.jp/"}]
    author = make_profile(handle=HOSTILE)
    idea = make_idea(theme=theme, title=HOSTILE, body=HOSTILE + " https://example.jp/<b>", author=author)
    make_comment(idea=idea, body=HOSTILE, author=author)
    db.session.commit()
    staff, _ = signed_in_client("coordinator")
    for who in (client, staff, _participant(signed_in_client)[0]):
        for url in ("/ideas", f"/ideas/themes/{theme.id}", f"/ideas/{idea.id}", "/ideas/manage"):
            response = who.get(url)
            if response.status_code != 200:
                continue
            html = response.get_data(as_text=True)
            assert "<script>alert(1)" not in html
            assert "&lt;script&gt;alert(1)&lt;/script&gt;{{7*7}}{{" in html, url


def test_pages_cost_a_bounded_number_of_queries(client, theme, db, count_queries):
    sync_topics()
    for _ in range(3):
        idea = make_idea(theme=theme)
        make_comment(idea=idea)
    db.session.commit()
    client.get(f"/ideas/themes/{theme.id}")  # the day's first view makes the day's salt (idea_views)
    counts = []
    for _round in range(2):
        for _ in range(5):
            idea = make_idea(theme=theme, municipality=make_municipality())
            for _ in range(4):
                make_comment(idea=idea)
        db.session.commit()
        with count_queries() as theme_page:
            assert client.get(f"/ideas/themes/{theme.id}?sort=agreed").status_code == 200
        with count_queries() as idea_page:
            assert client.get(f"/ideas/{idea.id}").status_code == 200
        counts.append((theme_page.count, idea_page.count))
    assert counts[0] == counts[1]
