"""Issue 21, points 4 and 5 through the pages: reporting, the queue and its decisions, the
public log, the terms of use, official answers, the ideas naming a town."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.models import Idea, IdeaComment, IdeaReport, ModerationEvent, Notice
from app.services import moderation
from evangelists import ideas as rules
from tests.factories import (
    make_assignment,
    make_comment,
    make_evangelist,
    make_idea,
    make_municipality,
    make_profile,
    make_request,
)

HOSTILE = '<script>alert("x")</script>{{7*7}}'


@pytest.fixture(autouse=True)
def in_english(app, monkeypatch):
    """These tests read the pages' English words: every client of theirs gets English."""
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "en")


def _participant(signed_in_client, **overrides):
    client, user = signed_in_client("participant", **overrides)
    profile = make_profile(user=user)
    return client, user, profile


def test_a_participant_reports_an_idea_and_a_comment_once(db, signed_in_client):
    idea = make_idea()
    comment = make_comment(idea=idea)
    client, user, _ = _participant(signed_in_client)
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert f'action="/ideas/{idea.id}/report"' in page
    assert 'id="report-idea-reason-0"' in page and 'for="report-idea-reason-0"' in page
    # Each comment links to the page's one report form, set for that comment.
    assert f'href="/ideas/{idea.id}?report={comment.id}#report"' in page
    page = client.get(f"/ideas/{idea.id}?report={comment.id}").get_data(as_text=True)
    assert 'id="report-comment-note"' in page and f'name="comment" value="{comment.id}"' in page
    answer = client.post(f"/ideas/{idea.id}/report", data={"reason": "spam", "note": "宣伝"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/ideas/{idea.id}")
    answer = client.post(f"/ideas/{idea.id}/report", data={"reason": "abuse", "comment": str(comment.id)})
    assert answer.headers["Location"].endswith(f"#comment-{comment.id}")
    again = client.post(f"/ideas/{idea.id}/report", data={"reason": "abuse"}, follow_redirects=True)
    assert again.status_code == 200
    assert "already reported this post" in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IdeaReport)) == 2
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "You have reported this idea" in page and "You have reported this comment" in page


def test_a_report_without_a_reason_keeps_the_note_escaped(db, signed_in_client):
    idea = make_idea()
    client, _user, _ = _participant(signed_in_client)
    answer = client.post(f"/ideas/{idea.id}/report", data={"note": HOSTILE})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "Choose why you report this post." in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;{{7*7}}" in page and "<script>alert" not in page
    assert 'href="#reason-0"' in page and 'id="reason-0"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IdeaReport)) == 0


def test_an_anonymous_visitor_sees_no_report_form(db, client):
    idea = make_idea()
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "/report" not in page
    assert client.post(f"/ideas/{idea.id}/report", data={"reason": "spam"}).status_code == 302


def test_the_queue_shows_reports_escaped_and_held_posts(db, signed_in_client, app):
    idea = make_idea(title="バス停の位置")
    comment = make_comment(idea=idea, body=HOSTILE)
    held = make_idea(title="保留中の投稿", visibility="held")
    _client, user, _ = _participant(signed_in_client)
    moderation.report(user, idea, comment_id=comment.id, reason="abuse", note=HOSTILE)
    staff, _staff_user = signed_in_client("coordinator")
    response = staff.get("/ideas/manage/reports")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    assert "<script>alert" not in page and "{{7*7}}" in page and "49" not in re.sub(r"\d{3,}", "", page)
    assert f'id="comment-{comment.id}"' in page and f'id="idea-{held.id}"' in page
    assert "保留中の投稿" in page and user.email not in page
    assert f'id="decide-idea-{held.id}-action-release"' in page
    assert f'id="decide-comment-{comment.id}-action-hide"' in page
    assert f'id="decide-comment-{comment.id}-action-release"' not in page


def test_hiding_a_comment_through_the_queue_and_the_log_says_nothing_of_who(db, signed_in_client):
    idea = make_idea(title="公開のアイデア", comment_count=1)
    comment = make_comment(idea=idea, body="隠すべき本文")
    _client, reporter, _ = _participant(signed_in_client, display_name="通報した人")
    moderation.report(reporter, idea, comment_id=comment.id, reason="abuse")
    staff, staff_user = signed_in_client("coordinator", display_name="判断した人")
    # Without the article: refused, the note kept.
    refused = staff.post("/ideas/manage/reports/decide",
                         data={"target": f"comment-{comment.id}", "action": "hide", "note": "公開メモ"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Choose the article of the terms" in page and "公開メモ" in page
    done = staff.post("/ideas/manage/reports/decide",
                      data={"target": f"comment-{comment.id}", "action": "hide", "article": "2", "note": "公開メモ"})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(IdeaComment, comment.id).visibility == "hidden"
    assert db.session.get(Idea, idea.id).comment_count == 0
    log = signed_in_client("participant")[0].get("/ideas/moderation").get_data(as_text=True)
    assert "comment on 公開のアイデア" in log
    assert 'href="/ideas/terms#article-2"' in log and "公開メモ" in log
    for secret in ("隠すべき本文", "通報した人", "判断した人", reporter.email, staff_user.email):
        assert secret not in log
    # The same decision again: someone decided first.
    again = staff.post("/ideas/manage/reports/decide",
                       data={"target": f"comment-{comment.id}", "action": "hide", "article": "2"},
                       follow_redirects=True)
    assert again.status_code == 200 and "Someone has already decided" in again.get_data(as_text=True)


def test_a_hidden_idea_shows_in_the_log_without_its_title(db, signed_in_client, client):
    idea = make_idea(title="隠されるタイトル")
    staff, _ = signed_in_client("coordinator")
    staff.post("/ideas/manage/reports/decide", data={"target": f"idea-{idea.id}", "action": "hide", "article": "4"})
    log = client.get("/ideas/moderation").get_data(as_text=True)
    assert "隠されるタイトル" not in log and f"Idea {idea.id}" in log
    assert db.session.scalar(sa.select(ModerationEvent.article)) == 4


def test_releasing_and_refusing_held_posts_through_the_queue(db, signed_in_client):
    idea = make_idea()
    held = make_comment(idea=idea, visibility="held")
    other = make_comment(idea=idea, visibility="held")
    staff, _ = signed_in_client("admin")
    staff.post("/ideas/manage/reports/decide", data={"target": f"comment-{held.id}", "action": "release"})
    staff.post("/ideas/manage/reports/decide",
               data={"target": f"comment-{other.id}", "action": "refuse", "article": "5"})
    db.session.expire_all()
    assert db.session.get(IdeaComment, held.id).visibility == "shown"
    assert (db.session.get(IdeaComment, other.id).visibility, db.session.get(IdeaComment, other.id).hidden_article) \
        == ("hidden", 5)
    assert db.session.get(Idea, idea.id).comment_count == 1


def test_a_bad_target_is_answered_with_a_message(db, signed_in_client):
    staff, _ = signed_in_client("coordinator")
    answer = staff.post("/ideas/manage/reports/decide", data={"target": "idea-x", "action": "hide"},
                        follow_redirects=True)
    assert answer.status_code == 200 and "Reload the queue" in answer.get_data(as_text=True)


def test_the_terms_have_every_article_with_an_anchor(client):
    page = client.get("/ideas/terms").get_data(as_text=True)
    for n in range(1, rules.TERMS_ARTICLES + 1):
        assert f'id="article-{n}"' in page and f'href="#article-{n}"' in page
    assert "PDL" in page and "CC BY 4.0" in page
    assert client.get("/ideas/terms", headers={"Accept-Language": "ja"}).status_code == 200


def test_a_coordinator_answers_an_idea_and_the_participants_are_notified(db, signed_in_client, client):
    author_client, author, author_profile = _participant(signed_in_client)
    idea = make_idea(author=author_profile)
    voter_client, voter, _ = _participant(signed_in_client)
    voter_client.post(f"/ideas/{idea.id}/vote", data={"vote": "agree"})
    assert "Set the status and the official answer" not in author_client.get(f"/ideas/{idea.id}").get_data(
        as_text=True)
    staff, staff_user = signed_in_client("coordinator")
    page = staff.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert f'action="/ideas/{idea.id}/answer"' in page
    # A status without an answer: refused, nothing written.
    refused = staff.post(f"/ideas/{idea.id}/answer", data={"status": "adopted", "answer": ""})
    assert refused.status_code == 400 and "Write the answer" in refused.get_data(as_text=True)
    done = staff.post(f"/ideas/{idea.id}/answer", data={"status": "adopted", "answer": f"採用します。{HOSTILE}"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/ideas/{idea.id}#answer")
    shown = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Official answer" in shown and "採用します。" in shown and "<script>alert" not in shown
    assert "Adopted" in shown
    rows = db.session.scalars(sa.select(Notice).where(Notice.kind == "idea_answered")).all()
    assert {n.user_id for n in rows} == {author.id, voter.id}
    listing = voter_client.get("/notices/").get_data(as_text=True)
    assert "An idea you took part in was answered" in listing
    opened = voter_client.post(f"/notices/{[n for n in rows if n.user_id == voter.id][0].id}/open")
    assert opened.headers["Location"].endswith(f"/ideas/{idea.id}#answer")


def test_an_idea_about_a_town_shows_on_its_page_its_requests_and_the_brief(db, signed_in_client, client,
                                                                           make_account):
    town = make_municipality(code="011002", name="札幌市")
    make_idea(municipality=town, title="札幌のバス停データ", agree_count=3)
    make_idea(municipality=town, title="隠れたアイデア", visibility="hidden", hidden_article=1)
    support_request = make_request(municipality=town)
    db.session.commit()
    public = client.get("/municipalities/011002").get_data(as_text=True)
    assert "札幌のバス停データ" in public and "隠れたアイデア" not in public
    staff, _ = signed_in_client("coordinator")
    detail = staff.get(f"/coordinator/requests/{support_request.id}").get_data(as_text=True)
    assert "札幌のバス停データ" in detail
    evangelist_client, evangelist_user = signed_in_client("evangelist")
    evangelist = make_evangelist(user=evangelist_user, home_municipality=town)
    make_assignment(request=support_request, evangelist=evangelist, status="proposed", distance_km=1.0)
    db.session.commit()
    brief = evangelist_client.get("/me/").get_data(as_text=True)
    assert "札幌のバス停データ" in brief and "What residents asked 札幌市 for" in brief


def test_the_author_sees_a_held_post_others_do_not_and_the_queue_has_it(db, signed_in_client, client):
    author_client, _author, profile = _participant(signed_in_client)
    idea = make_idea()
    held = make_comment(idea=idea, author=profile, body="審査待ちのコメント", visibility="held")
    held_idea = make_idea(author=profile, title="審査待ちのアイデア", visibility="held")
    db.session.commit()
    mine = author_client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "審査待ちのコメント" in mine and "Waiting for review" in mine
    assert "審査待ちのコメント" not in client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert author_client.get(f"/ideas/{held_idea.id}").status_code == 200
    assert client.get(f"/ideas/{held_idea.id}").status_code == 404
    queue = signed_in_client("coordinator")[0].get("/ideas/manage/reports").get_data(as_text=True)
    assert f'id="comment-{held.id}"' in queue and f'id="idea-{held_idea.id}"' in queue
