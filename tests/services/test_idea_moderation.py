"""Issue 21, points 4 and 5: reports, the moderation queue, decisions with their counters,
the public log, official answers with their notices, the ideas about a town."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, IdeaReport, ModerationEvent, Notice
from app.services import idea_answers, ideas, moderation
from app.services.moderation import Decision, ModerationRefused
from evangelists import ideas as rules
from tests.factories import make_comment, make_idea, make_municipality, make_profile, make_theme, make_user


@pytest.fixture
def staff(make_account):
    return make_account("coordinator")


def _participant():
    profile = make_profile()
    return profile.user, profile


# -- reports ---------------------------------------------------------------------------------


def test_a_person_reports_a_post_once(db):
    idea = make_idea()
    comment = make_comment(idea=idea)
    user, _ = _participant()
    moderation.report(user, idea, reason="spam", note="  宣伝です  ")
    moderation.report(user, idea, comment_id=comment.id, reason="abuse")
    with pytest.raises(ModerationRefused) as refused:
        moderation.report(user, idea, reason="abuse")
    assert refused.value.reason == "already_reported"
    with pytest.raises(ModerationRefused):
        moderation.report(user, idea, comment_id=comment.id, reason="spam")
    rows = db.session.scalars(sa.select(IdeaReport).order_by(IdeaReport.id)).all()
    assert [(r.comment_id, r.reason, r.note) for r in rows] == [(None, "spam", "宣伝です"), (comment.id, "abuse", "")]
    assert moderation.my_reports(user, idea.id) == {None, comment.id}


def test_the_database_holds_one_report_of_an_idea_per_person(db):
    """The unique index of migration 0025: NULL comment ids are distinct in the constraint."""
    idea = make_idea()
    user, _ = _participant()
    db.session.add(IdeaReport(idea_id=idea.id, reporter_id=user.id, reason="spam"))
    db.session.commit()
    db.session.add(IdeaReport(idea_id=idea.id, reporter_id=user.id, reason="abuse"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize(("reason", "note", "code"), [
    ("", "", "unknown"), ("nonsense", "", "unknown"), ("spam", "x" * (rules.REPORT_NOTE_MAX + 1), "too_long")])
def test_a_report_needs_a_known_reason_and_a_short_note(db, reason, note, code):
    idea = make_idea()
    user, _ = _participant()
    with pytest.raises(ModerationRefused) as refused:
        moderation.report(user, idea, reason=reason, note=note)
    assert refused.value.reason == code
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IdeaReport)) == 0


def test_hidden_and_held_posts_cannot_be_reported(db):
    hidden = make_idea(visibility="hidden", hidden_article=2)
    idea = make_idea()
    held = make_comment(idea=idea, visibility="held")
    user, _ = _participant()
    for target, comment_id in ((hidden, None), (idea, held.id)):
        with pytest.raises(ModerationRefused) as refused:
            moderation.report(user, target, comment_id=comment_id, reason="spam")
        assert refused.value.reason == "not_reportable"


# -- the queue and the decisions --------------------------------------------------------------


def test_the_queue_groups_reports_by_post_oldest_first_with_held_posts(db):
    theme = make_theme(hold_first_posts=True)
    old = make_idea(theme=theme)
    comment = make_comment(idea=old)
    held = make_idea(theme=theme, visibility="held")
    a, _ = _participant()
    b, _ = _participant()
    moderation.report(a, old, comment_id=comment.id, reason="abuse")
    moderation.report(b, old, comment_id=comment.id, reason="spam")
    moderation.report(a, old, reason="off_topic")
    items = moderation.queue()
    keys = [item.key for item in items]
    assert set(keys) == {f"comment-{comment.id}", f"idea-{old.id}", f"idea-{held.id}"}
    by_key = {item.key: item for item in items}
    assert [r.reason for r in by_key[f"comment-{comment.id}"].reports] == ["abuse", "spam"]
    assert by_key[f"idea-{held.id}"].held and by_key[f"idea-{held.id}"].actions() == ("release", "refuse")
    assert by_key[f"idea-{old.id}"].actions() == ("hide", "keep")
    assert [item.since for item in items] == sorted(item.since for item in items)
    assert moderation.open_count() == 3


def _refreshed(db, obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def test_hiding_a_comment_counts_one_fewer_and_restoring_one_more(db, staff):
    idea = make_idea(comment_count=2)
    comment = make_comment(idea=idea)
    make_comment(idea=idea)
    user, _ = _participant()
    moderation.report(user, idea, comment_id=comment.id, reason="abuse", note="ひどい")
    moderation.moderate(staff, "comment", comment.id, Decision("hide", article=2, note="差別的な表現"))
    comment, idea = _refreshed(db, comment), _refreshed(db, idea)
    assert (comment.visibility, comment.hidden_article, idea.comment_count) == ("hidden", 2, 1)
    report = db.session.scalar(sa.select(IdeaReport))
    assert (report.resolution, report.resolved_by_id) == ("hidden", staff.id) and report.resolved_at
    event = db.session.scalar(sa.select(ModerationEvent))
    assert (event.action, event.article, event.note, event.comment_id) == ("hidden", 2, "差別的な表現", comment.id)
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "idea_post.moderated"))
    assert audit.entity_type == "idea_comment" and audit.after["article"] == 2 and audit.actor_id == staff.id
    assert moderation.queue() == []
    moderation.moderate(staff, "comment", comment.id, Decision("restore"))
    comment, idea = _refreshed(db, comment), _refreshed(db, idea)
    assert (comment.visibility, comment.hidden_article, idea.comment_count) == ("shown", None, 2)


def test_keeping_answers_the_reports_and_changes_nothing_shown(db, staff):
    idea = make_idea()
    user, _ = _participant()
    moderation.report(user, idea, reason="spam")
    moderation.moderate(staff, "idea", idea.id, Decision("keep", article=3, note="問題ありません"))
    idea = _refreshed(db, idea)
    assert idea.visibility == "shown"
    assert db.session.scalar(sa.select(IdeaReport.resolution)) == "kept"
    event = db.session.scalar(sa.select(ModerationEvent))
    assert (event.action, event.article) == ("kept", None)
    with pytest.raises(ModerationRefused) as refused:  # nothing open any more
        moderation.moderate(staff, "idea", idea.id, Decision("keep"))
    assert refused.value.reason == "not_possible"


def test_releasing_a_held_comment_counts_it_and_its_activity(db, staff):
    idea = make_idea()
    held = make_comment(idea=idea, visibility="held")
    trend = idea.trend
    moderation.moderate(staff, "comment", held.id, Decision("release"))
    idea, held = _refreshed(db, idea), _refreshed(db, held)
    assert held.visibility == "shown" and idea.comment_count == 1 and idea.trend > trend
    assert db.session.scalar(sa.select(ModerationEvent.action)) == "released"


def test_refusing_a_held_post_hides_it_with_an_article_and_counts_nothing(db, staff):
    idea = make_idea()
    held = make_comment(idea=idea, visibility="held")
    held_idea = make_idea(visibility="held")
    with pytest.raises(ModerationRefused) as refused:
        moderation.moderate(staff, "comment", held.id, Decision("refuse"))
    assert refused.value.reason == "article_required"
    moderation.moderate(staff, "comment", held.id, Decision("refuse", article=4))
    moderation.moderate(staff, "idea", held_idea.id, Decision("refuse", article=rules.TERMS_ARTICLES))
    idea, held, held_idea = _refreshed(db, idea), _refreshed(db, held), _refreshed(db, held_idea)
    assert (held.visibility, held.hidden_article, idea.comment_count) == ("hidden", 4, 0)
    assert (held_idea.visibility, held_idea.hidden_article) == ("hidden", rules.TERMS_ARTICLES)


def test_releasing_a_held_idea_shows_it_and_lets_its_author_post_freely(db, staff):
    theme = make_theme(hold_first_posts=True)
    user, profile = _participant()
    idea = ideas.post_idea(user, theme, ideas.IdeaInput(title="初めての投稿", body="本文"))
    assert idea.visibility == "held"
    assert ideas.can_read(idea, user) and not ideas.can_read(idea, None)
    assert [item.key for item in moderation.queue()] == [f"idea-{idea.id}"]
    moderation.moderate(staff, "idea", idea.id, Decision("release"))
    assert _refreshed(db, idea).visibility == "shown"
    second = ideas.post_idea(user, theme, ideas.IdeaInput(title="二つ目", body="本文"))
    assert second.visibility == "shown"


@pytest.mark.parametrize(("visibility", "action"), [
    ("shown", "release"), ("shown", "restore"), ("held", "hide"), ("hidden", "hide"), ("hidden", "release")])
def test_a_decision_that_does_not_fit_the_post_is_refused(db, staff, visibility, action):
    idea = make_idea(visibility=visibility, hidden_article=1 if visibility == "hidden" else None)
    with pytest.raises(ModerationRefused) as refused:
        moderation.moderate(staff, "idea", idea.id, Decision(action, article=1))
    assert refused.value.reason == "not_possible"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ModerationEvent)) == 0


def test_a_decision_on_a_missing_post_or_with_a_bad_article_is_refused(db, staff):
    idea = make_idea()
    with pytest.raises(ModerationRefused):
        moderation.moderate(staff, "comment", 999999, Decision("hide", article=1))
    for article in (0, rules.TERMS_ARTICLES + 1, None):
        with pytest.raises(ModerationRefused):
            moderation.moderate(staff, "idea", idea.id, Decision("hide", article=article))
    with pytest.raises(ModerationRefused):
        moderation.moderate(staff, "idea", idea.id, Decision("hide", article=1, note="x" * 501))


def test_the_public_log_lists_decisions_newest_first(db, staff):
    idea = make_idea()
    comment = make_comment(idea=idea)
    moderation.moderate(staff, "comment", comment.id, Decision("hide", article=3))
    moderation.moderate(staff, "idea", idea.id, Decision("hide", article=5))
    rows = db.session.scalars(moderation.public_log()).all()
    assert [(r.action, r.article, r.comment_id) for r in rows] == [("hidden", 5, None), ("hidden", 3, comment.id)]


# -- answers and notices -------------------------------------------------------------------


def test_an_answer_notifies_the_author_voters_and_commenters_but_not_the_answerer_or_the_withdrawn(
        db, staff, count_queries):
    author_user, author = _participant()
    idea = make_idea(author=author)
    voter_user, voter = _participant()
    ideas.vote(voter_user, idea, "agree")
    commenter_user, commenter = _participant()
    make_comment(idea=idea, author=commenter)
    gone_user, gone = _participant()
    ideas.vote(gone_user, idea, "disagree")
    gone.user_id, gone.handle = None, None
    gone.withdrawn_at = gone.created_at
    staff_profile = make_profile(user=staff)  # the answerer commented too
    make_comment(idea=idea, author=staff_profile)
    db.session.commit()
    assert idea.author_id and staff.id  # loaded before counting (the commit expired them)
    with count_queries() as q:
        found = idea_answers.recipients(idea, exclude=staff)
    assert q.count == 1
    assert {u.id for u in found} == {author_user.id, voter_user.id, commenter_user.id}

    idea_answers.answer(staff, idea, "adopted", "来年度に公開します。")
    idea = _refreshed(db, idea)
    assert (idea.status, idea.answer, idea.answered_by_id) == ("adopted", "来年度に公開します。", staff.id)
    assert idea.answered_at is not None
    notices = db.session.scalars(sa.select(Notice).where(Notice.kind == "idea_answered")).all()
    assert {n.user_id for n in notices} == {author_user.id, voter_user.id, commenter_user.id}
    assert all((n.target_type, n.target_id) == ("idea", idea.id) for n in notices)
    from app.notice_kinds import kind_of

    link = kind_of("idea_answered").link(notices[0])
    assert link.endswith(f"/ideas/{idea.id}#answer")
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "idea.answered"))
    assert audit.before["status"] == "received" and audit.after["status"] == "adopted"


def test_an_answer_mail_and_title_name_the_idea(db, staff, app):
    from app.mail import compose_notice, notice_title

    user, author = _participant()
    idea = make_idea(author=author, title="<b>バス停</b>")
    idea_answers.answer(staff, idea, "considering", "検討します")
    notice = db.session.scalar(sa.select(Notice).where(Notice.kind == "idea_answered"))
    assert "<b>バス停</b>" in notice_title(notice)
    app.config["MAIL_SERVER"] = "127.0.0.1"
    message = compose_notice(notice)
    assert f"/ideas/{idea.id}#answer" in message.get_body().get_content()


@pytest.mark.parametrize(("status", "text", "code"), [
    ("nonsense", "x", "unknown"), ("adopted", "  ", "answer_required"),
    ("adopted", "x" * (rules.ANSWER_MAX + 1), "too_long")])
def test_an_answer_is_checked(db, staff, status, text, code):
    idea = make_idea()
    with pytest.raises(idea_answers.AnswerRefused) as refused:
        idea_answers.answer(staff, idea, status, text)
    assert refused.value.reason == code
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 0


def test_only_a_shown_idea_is_answered_and_the_same_answer_twice_is_refused(db, staff):
    hidden = make_idea(visibility="hidden", hidden_article=1)
    with pytest.raises(idea_answers.AnswerRefused):
        idea_answers.answer(staff, hidden, "declined", "理由")
    idea = make_idea()
    idea_answers.answer(staff, idea, "declined", "理由")
    with pytest.raises(idea_answers.AnswerRefused) as refused:
        idea_answers.answer(staff, idea, "declined", "理由")
    assert refused.value.reason == "unchanged"


def test_ideas_by_town_keeps_the_most_agreed_per_town_in_one_query(db, count_queries):
    a = make_municipality(code="011002", name="札幌市")
    b = make_municipality(code="012025", name="函館市")
    for n in range(7):
        make_idea(municipality=a, agree_count=n, title=f"札幌{n}")
    make_idea(municipality=b, title="函館")
    make_idea(municipality=b, title="隠れた", visibility="hidden", hidden_article=1)
    with count_queries() as q:
        found = idea_answers.ideas_by_town([a.id, b.id, None])
        [i.theme.title for ideas_ in found.values() for i in ideas_]
    assert q.count == 1
    assert [i.title for i in found[a.id]] == ["札幌6", "札幌5", "札幌4", "札幌3", "札幌2"]
    assert [i.title for i in found[b.id]] == ["函館"]
    assert idea_answers.ideas_by_town([]) == {}


def test_nobody_inactive_is_notified(db, staff):
    user, author = _participant()
    idea = make_idea(author=author)
    user.is_active = False
    other = make_user(role="participant")
    make_comment(idea=idea, author=make_profile(user=other))
    db.session.commit()
    assert [u.id for u in idea_answers.recipients(idea)] == [other.id]
