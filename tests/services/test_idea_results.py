"""The open dialogue's results (app/services/idea_results.py) and its counting of viewers
and page views without personal data (app/services/idea_views.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.models import IdeaPageViews, IdeaViewSalt, IdeaVisitor, IdeaVote
from app.services import idea_results, idea_views
from app.services import ideas as service
from app.services.ideas import rebuild_participation
from evangelists.ideas import SMALL_GROUP
from tests.factories import make_comment, make_idea, make_profile, make_theme

NOON_JST = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)  # 12:00 in Japan on 1 May


def _vote(db, idea, profile, value=1):
    db.session.add(IdeaVote(idea_id=idea.id, profile_id=profile.id, value=value))
    if value == 1:
        idea.agree_count += 1
    else:
        idea.disagree_count += 1


def test_theme_counts_leave_out_held_and_hidden_posts(db):
    theme, other_theme = make_theme(), make_theme()
    alice, bob, carol, dave, erin = (make_profile() for _ in range(5))
    shown = make_idea(theme=theme, author=alice)
    make_idea(theme=theme, author=dave, visibility="held")
    hidden = make_idea(theme=theme, author=erin, visibility="hidden", hidden_article=3)
    make_idea(theme=other_theme, author=erin)
    make_comment(idea=shown, author=bob)
    make_comment(idea=shown, author=dave, visibility="held")
    make_comment(idea=hidden, author=erin)  # on a hidden idea: not counted
    shown.comment_count = 1
    _vote(db, shown, carol)
    _vote(db, shown, bob, -1)
    _vote(db, hidden, erin)
    db.session.flush()
    rebuild_participation(db.session.connection())  # rows made by the factories, not the services
    db.session.commit()

    result = idea_results.theme_results(theme.id)
    f = result.figures
    assert (f.ideas, f.comments, f.votes) == (1, 1, 2)
    # Everyone who acted in the theme, whatever a moderator did with the post later: alice
    # posted, bob commented and voted, carol voted, dave's posts wait, erin's were hidden.
    assert f.participants == 5
    assert result.voices.hidden == 0  # one voice of five people: large enough to show


    overall = idea_results.overall_results()
    assert (overall.figures.ideas, overall.figures.participants) == (2, 5)
    assert {line.theme_id: line.ideas for line in overall.themes} == {theme.id: 1, other_theme.id: 1}


def test_withdrawn_profiles_are_not_registered_participants(db):
    make_profile()
    make_profile(user=None, handle=None, withdrawn_at=NOON_JST)
    db.session.commit()
    assert idea_results.overall_results().figures.participants == 1


def test_small_groups_are_hidden_with_the_next_smallest_when_alone(db):
    for _ in range(6):
        make_profile(age_band="40s", gender="male", voice="it_industry")
    for _ in range(5):
        make_profile(age_band="30s", gender="female", voice="resident_business")
    for _ in range(2):
        make_profile(age_band="70_plus", gender="female", voice="resident_business")
    make_profile(voice="resident_business")  # gave no age band nor gender
    db.session.commit()

    result = idea_results.overall_results()
    grid = result.age_gender
    assert grid.count("40s", "male") == 6
    assert grid.count("30s", "female") == 5
    assert grid.count("70_plus", "female") is None  # 2 < SMALL_GROUP
    assert grid.count("20s", "male") == 0  # an empty group reveals nobody
    assert (grid.hidden, grid.not_given) == (3, 1)
    # Voices: resident_business 8, it_industry 6 — both shown.
    assert result.voices.shown == {"resident_business": 8, "it_industry": 6, "municipal_staff": 0,
                                   "national_staff": 0, "other": 0}


def test_a_single_small_group_takes_the_next_smallest_with_it():
    shown, hidden = idea_results.hide_small({"a": 9, "b": 6, "c": 2, "d": 0}, not_given=0)
    assert shown == {"a": 9, "d": 0} and hidden == 8
    shown, hidden = idea_results.hide_small({"a": 9, "b": 6, "c": 2}, not_given=3)
    assert shown == {"a": 9, "b": 6} and hidden == 2
    assert SMALL_GROUP == 5


def test_prefectures_show_only_groups_of_five_or_more(db, gazetteer):
    from app.models import Prefecture

    hokkaido, tokyo = (db.session.scalar(sa.select(Prefecture).where(Prefecture.code == c)) for c in ("01", "13"))
    for _ in range(5):
        make_profile(prefecture_id=tokyo.id)
    make_profile(prefecture_id=hokkaido.id)
    make_profile()
    db.session.commit()
    result = idea_results.overall_results()
    assert result.prefectures.rows == (("13", 5),)
    assert result.prefectures.hidden == 2 and result.prefecture_names["13"][0] == "東京都"


def test_the_results_take_a_bounded_number_of_queries(db, count_queries):
    theme = make_theme()
    for _ in range(3):
        idea = make_idea(theme=theme)
        make_comment(idea=idea)
    db.session.commit()
    with count_queries() as q:
        idea_results.theme_results(theme.id)
    assert q.count <= 7
    with count_queries() as q:
        idea_results.overall_results()
    assert q.count <= 8
    # Kept until the data changes: then the data version and the two view counts only.
    with count_queries() as q:
        kept = idea_results.theme_results(theme.id)
    assert q.count == 3 and kept.figures.ideas == 3
    assert idea_results.theme_results(theme.id, kept=False) == kept
    make_idea(theme=theme)
    db.session.commit()
    assert idea_results.theme_results(theme.id).figures.ideas == 4


# -- open data ---------------------------------------------------------------------------------

PERSONAL = {"handle", "author", "author_id", "user_id", "email", "age_band", "gender", "prefecture",
            "prefecture_code", "profile_id", "address"}


def test_the_open_data_has_its_columns_and_no_personal_data(db):
    assert idea_results.OPEN_DATA_COLUMNS == (
        "idea_id", "theme_id", "theme_title", "title", "body", "voice", "municipality_code",
        "municipality_name", "topics", "status", "answer", "answered_on", "agree", "disagree",
        "comments", "posted_on", "url")
    assert not PERSONAL & set(idea_results.OPEN_DATA_COLUMNS)
    theme = make_theme()
    author = make_profile(handle="秘密の名前", age_band="40s", gender="male")
    shown = make_idea(theme=theme, author=author, status="adopted", answer="採用します。",
                      answered_at=NOON_JST, agree_count=4, created_at=NOON_JST)
    make_idea(theme=theme, author=author, visibility="held")
    make_idea(theme=theme, author=author, visibility="hidden", hidden_article=2)
    db.session.commit()
    rows = list(idea_results.open_data_rows(theme.id, lambda i: f"https://x.example/ideas/{i}"))
    assert [r["idea_id"] for r in rows] == [shown.id]
    row = rows[0]
    assert tuple(row) == idea_results.OPEN_DATA_COLUMNS
    assert row["status"] == "adopted" and row["answer"] == "採用します。" and row["agree"] == 4
    assert row["answered_on"] == date(2026, 5, 1) and row["url"] == f"https://x.example/ideas/{shown.id}"
    assert "秘密の名前" not in repr(row)


# -- viewers and page views --------------------------------------------------------------------


def test_a_reader_is_counted_once_a_day_per_theme(db, clock):
    theme = make_theme()
    idea = make_idea(theme=theme)
    db.session.commit()
    clock(NOON_JST)
    for _ in range(3):
        idea_views.count_view(address="203.0.113.5", user_agent="Firefox", theme_id=theme.id)
    idea_views.count_view(address="203.0.113.5", user_agent="Firefox", idea_id=idea.id)
    idea_views.count_view(address="203.0.113.6", user_agent="Firefox", theme_id=theme.id)
    idea_views.count_view(address="203.0.113.5", user_agent="Firefox")  # the list of themes
    f = idea_results.theme_results(theme.id).figures
    assert (f.viewers, f.page_views) == (2, 5)
    clock(NOON_JST + timedelta(days=1))
    idea_views.count_view(address="203.0.113.5", user_agent="Firefox", theme_id=theme.id)
    f = idea_results.theme_results(theme.id).figures
    assert (f.viewers, f.page_views) == (3, 6)
    overall = idea_results.overall_results().figures
    assert (overall.viewers, overall.page_views) == (3, 7)  # two readers on day 1, one on day 2
    stored = db.session.scalars(sa.select(IdeaVisitor.visitor)).all()
    assert all("203.0.113" not in v and "Firefox" not in v and len(v) == 32 for v in stored)


def test_a_past_days_salt_is_deleted_and_hashes_differ_between_days(db, clock):
    clock(NOON_JST)
    idea_views.count_view(address="198.51.100.1", user_agent="Safari")
    first = db.session.execute(sa.select(IdeaViewSalt.day, IdeaViewSalt.salt)).all()
    assert [day for day, _ in first] == [date(2026, 5, 1)] and len(first[0][1]) == 64
    clock(NOON_JST + timedelta(hours=13))  # 01:00 on 2 May in Japan
    idea_views.count_view(address="198.51.100.1", user_agent="Safari")
    db.session.expire_all()
    salts = db.session.execute(sa.select(IdeaViewSalt.day, IdeaViewSalt.salt)).all()
    assert [day for day, _ in salts] == [date(2026, 5, 2)] and salts[0][1] != first[0][1]
    hashes = db.session.execute(sa.select(IdeaVisitor.day, IdeaVisitor.visitor).order_by(IdeaVisitor.day)).all()
    assert len(hashes) == 2 and hashes[0].visitor != hashes[1].visitor
    assert idea_views.forget_old_salts(date(2026, 5, 3)) == 1


def test_counting_does_not_bump_the_data_version(db, clock):
    from app.models.system import data_version

    clock(NOON_JST)
    make_theme()
    db.session.commit()
    before = data_version(db.session())
    db.session.rollback()
    idea_views.count_view(address="192.0.2.1", user_agent="Chrome")
    assert data_version(db.session()) == before
    assert db.session.scalar(sa.select(IdeaPageViews.views)) == 1


@pytest.mark.parametrize("agent", ["Googlebot/2.1", "Baiduspider", "SomeCrawler 1.0", "bingbot"])
def test_robots_are_known(agent):
    assert idea_views.is_robot(agent)
    assert not idea_views.is_robot("Mozilla/5.0 (iPhone) Safari/604.1")


def test_a_vote_through_the_service_is_counted(db, make_account):
    theme = make_theme()
    user = make_account("participant")
    service.save_profile(user, service.ProfileInput(handle="投票者", voice="other"))
    idea = make_idea(theme=theme)
    db.session.commit()
    service.vote(user, idea, "agree")
    assert idea_results.theme_results(theme.id).figures.votes == 1
