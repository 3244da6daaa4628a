"""The open dialogue's services (app/services/ideas.py): themes, profiles, posting, comments,
votes, the lists' orders, filters and search."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.models import Idea, IdeaComment, IdeaVote
from app.services import ideas as service
from app.services.pages import page_of
from app.services.topics import sync_topics
from tests.factories import make_idea, make_municipality, make_prefecture, make_profile, make_theme

NOW = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)


@pytest.fixture
def open_theme(db, clock):
    clock(NOW)
    theme = make_theme(opens_at=NOW - timedelta(days=1), closes_at=NOW + timedelta(days=10))
    db.session.commit()
    return theme


def _person(db, handle="たろう", voice="it_industry", role="participant"):
    profile = make_profile(handle=handle, voice=voice)
    profile.user.role = role
    db.session.commit()
    return profile.user


def test_an_idea_is_posted_shown_and_found(db, open_theme):
    sync_topics()
    town = make_municipality(code="011002", name="札幌市")
    author = _person(db)
    idea = service.post_idea(author, open_theme, service.IdeaInput(
        "バス停の位置", "時刻表と停留所の位置を https://example.jp/gtfs で。", municipality_code="011002",
        topic_slugs=("open_data_publication",)))
    assert idea.visibility == "shown" and idea.voice == "it_industry" and idea.municipality_id == town.id
    assert [t.slug for t in idea.topics] == ["open_data_publication"]
    found = page_of(service.idea_list(open_theme, service.IdeaFilters(q="停留所")), 1, 20)
    assert [i.id for i in found.items] == [idea.id]
    assert page_of(service.idea_list(open_theme, service.IdeaFilters(q="停留")), 1, 20).total == 1  # 2 characters
    assert page_of(service.idea_list(open_theme, service.IdeaFilters(q="ＧＴＦＳ")), 1, 20).total == 1  # full width
    assert page_of(service.idea_list(open_theme, service.IdeaFilters(q="地下鉄")), 1, 20).total == 0
    assert service.ideas_about([town.id]) == [idea]


def test_posting_needs_an_open_theme_a_profile_and_text(db, open_theme, make_account):
    author = _person(db)
    closed = make_theme(opens_at=NOW - timedelta(days=9), closes_at=NOW - timedelta(days=1))
    upcoming = make_theme(opens_at=NOW + timedelta(days=1), closes_at=NOW + timedelta(days=9))
    db.session.commit()
    for theme in (closed, upcoming):
        with pytest.raises(service.IdeaRefused) as refused:
            service.post_idea(author, theme, service.IdeaInput("題", "本文"))
        assert refused.value.reason == "not_open"
    with pytest.raises(service.IdeaRefused) as refused:
        service.post_idea(make_account("evangelist"), open_theme, service.IdeaInput("題", "本文"))
    assert refused.value.reason == "profile_required"
    for data, field in ((service.IdeaInput("  ", "本文"), "title"), (service.IdeaInput("題", "x" * 5000), "body"),
                        (service.IdeaInput("題", "本文", municipality_code="999999"), "municipality"),
                        (service.IdeaInput("題", "本文", topic_slugs=("nope",)), "topics")):
        with pytest.raises(service.IdeaRefused) as refused:
            service.post_idea(author, open_theme, data)
        assert refused.value.field == field
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Idea)) == 0


def test_a_scoped_theme_keeps_ideas_to_its_area(db, clock):
    clock(NOW)
    hokkaido, aomori = make_prefecture(code="01"), make_prefecture(code="02", name_ja="青森県", region="tohoku")
    sapporo = make_municipality(code="011002", prefecture=hokkaido)
    make_municipality(code="022012", prefecture=aomori)
    theme = make_theme(scope="prefecture", prefecture_id=hokkaido.id)
    town_theme = make_theme(scope="municipality", municipality_id=sapporo.id)
    author = _person(db)
    with pytest.raises(service.IdeaRefused) as refused:
        service.post_idea(author, theme, service.IdeaInput("題", "本文", municipality_code="022012"))
    assert refused.value.reason == "outside_scope"
    assert service.post_idea(author, theme, service.IdeaInput("題", "本文", municipality_code="011002"))
    # A theme about one town names it on every idea.
    assert service.post_idea(author, town_theme, service.IdeaInput("題", "本文")).municipality_id == sapporo.id


def test_a_held_theme_holds_a_new_participants_first_post_only(db, open_theme):
    open_theme.hold_first_posts = True
    participant, evangelist = _person(db, "はじめて"), _person(db, "伝道師", role="evangelist")
    first = service.post_idea(participant, open_theme, service.IdeaInput("題", "本文"))
    assert first.visibility == "held"
    assert service.post_idea(evangelist, open_theme, service.IdeaInput("題", "本文")).visibility == "shown"
    assert page_of(service.idea_list(open_theme, service.IdeaFilters()), 1, 20).total == 1
    assert service.can_read(first, participant) and not service.can_read(first, evangelist)
    first.visibility = "shown"  # released by a moderator
    db.session.commit()
    assert service.post_idea(participant, open_theme, service.IdeaInput("次", "本文")).visibility == "shown"


def test_votes_are_one_per_person_changeable_and_counted(db, open_theme):
    idea = make_idea(theme=open_theme)
    a, b = _person(db, "Ａさん"), _person(db, "Ｂさん")
    assert service.vote(a, idea, "agree").changed
    assert not service.vote(a, idea, "agree").changed
    service.vote(b, idea, "agree")
    result = service.vote(a, idea, "disagree")
    assert (result.agree, result.disagree) == (1, 1)
    result = service.vote(b, idea, "withdraw")
    assert (result.value, result.agree, result.disagree) == (None, 0, 1)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IdeaVote)) == 1
    assert (idea.agree_count, idea.disagree_count) == (0, 1)
    with pytest.raises(service.IdeaRefused):
        service.vote(a, idea, "maybe")


def test_comments_and_one_level_of_replies(db, open_theme):
    idea = make_idea(theme=open_theme)
    a, b = _person(db, "Ａさん"), _person(db, "Ｂさん")
    top = service.add_comment(a, idea, "agree", "賛成です")
    reply = service.add_comment(b, idea, "disagree", "反対です", parent_id=top.id)
    deeper = service.add_comment(a, idea, "neutral", "返信への返信", parent_id=reply.id)
    assert reply.parent_id == top.id and deeper.parent_id == top.id
    threads = service.threads(idea, None)
    assert [(t.comment.id, [r.id for r in t.replies]) for t in threads] == [(top.id, [reply.id, deeper.id])]
    db.session.expire_all()
    assert idea.comment_count == 3
    assert service.stance_counts(idea) == {"agree": 1, "disagree": 1, "neutral": 1}
    other = make_idea(theme=open_theme)
    with pytest.raises(service.IdeaRefused) as refused:
        service.add_comment(a, other, "agree", "x", parent_id=top.id)
    assert refused.value.reason == "other_idea"


def test_the_lists_orders(db, open_theme, clock):
    a, b, c = (make_idea(theme=open_theme, title=t, created_at=NOW - timedelta(days=d))
               for t, d in (("古い", 9), ("中", 5), ("新しい", 1)))
    a.agree_count, b.comment_count = 10, 7
    db.session.commit()
    people = [_person(db, f"人{n}") for n in range(3)]
    for person in people:
        service.vote(person, b, "agree", now=NOW)

    def order(sort):
        return [i.title for i in page_of(service.idea_list(open_theme, service.IdeaFilters(sort=sort)), 1, 20).items]

    assert order("new") == ["新しい", "中", "古い"]
    assert order("agreed") == ["古い", "中", "新しい"]
    assert order("discussed") == ["中", "新しい", "古い"]  # ties: newest first
    assert order("trending")[0] == "中"  # three votes just now outweigh a newer idea alone


def test_the_lists_filters(db, open_theme):
    sync_topics()
    town = make_municipality(code="011002")
    it = make_idea(theme=open_theme, voice="it_industry", municipality=town, status="adopted")
    make_idea(theme=open_theme, voice="resident_business")
    from app.models import Topic
    it.topics = [db.session.scalar(sa.select(Topic).where(Topic.slug == "gis"))]
    db.session.commit()

    def ids(**filters):
        return [i.id for i in page_of(service.idea_list(open_theme, service.IdeaFilters(**filters)), 1, 20).items]

    assert ids(voice="it_industry") == ids(municipality="011002") == ids(status="adopted") == [it.id]
    assert ids(topic="gis") == [it.id]
    assert len(ids()) == 2


def test_a_hidden_or_held_idea_is_left_out_of_lists_and_cannot_be_voted(db, open_theme):
    hidden = make_idea(theme=open_theme, visibility="hidden", hidden_article=2)
    make_idea(theme=open_theme, visibility="held")
    assert page_of(service.idea_list(open_theme, service.IdeaFilters()), 1, 20).total == 0
    with pytest.raises(service.IdeaRefused) as refused:
        service.vote(_person(db), hidden, "agree")
    assert refused.value.reason == "not_shown"


def test_profiles_handles_are_unique_whatever_the_width_or_case(db):
    a = _person(db, "Taro")
    from app.models import User
    b = User(email="b@example.jp", display_name="b", role="participant")
    db.session.add(b)
    db.session.commit()
    for handle in ("taro", "ＴＡＲＯ", " Taro "):
        with pytest.raises(service.IdeaRefused) as refused:
            service.save_profile(b, service.ProfileInput(handle, "other"))
        assert refused.value.reason == "taken"
    profile = service.save_profile(b, service.ProfileInput("じろう", "other", prefecture_code=None, age_band="30s"))
    assert profile.handle == "じろう" and profile.age_band == "30s"
    assert service.save_profile(a, service.ProfileInput("Taro", "municipal_staff")).voice == "municipal_staff"


def test_rate_limit_per_person(db, open_theme):
    author = _person(db)
    for n in range(service.IDEAS_PER_HOUR):
        service.post_idea(author, open_theme, service.IdeaInput(f"題{n}", "本文"))
    with pytest.raises(service.IdeaRefused) as refused:
        service.post_idea(author, open_theme, service.IdeaInput("もう一つ", "本文"))
    assert refused.value.reason == "too_many_ideas"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IdeaComment)) == 0
