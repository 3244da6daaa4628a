"""Votes and comments on one idea at the same moment (issue 21): app.services.ideas counts
them under the idea's write lock, so nothing is lost, nobody gets an error ("database is
locked", a deadlock, a duplicate key) and a person's twenty clicks are one vote.

Real threads, each with its own app context and session, released together by a barrier.
On SQLite the suite's database is a file (tests/conftest.py), so the threads have
connections of their own and contend for its write lock as gunicorn workers would; an
in-memory database (one connection) is skipped, as in the outreach test. On PostgreSQL
the idea's row lock orders them."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from app.models import Idea, IdeaComment, IdeaVote
from app.services import ideas
from tests.factories import make_idea, make_profile, make_theme

AT_ONCE = 20


@pytest.fixture
def idea(db):
    if db.engine.dialect.name == "sqlite" and db.engine.url.database in (None, "", ":memory:"):
        pytest.skip("an in-memory SQLite database is one connection")
    made = make_idea(theme=make_theme())
    db.session.commit()
    return made


def at_once(app, jobs):
    """Run ``jobs`` (callables taking nothing, run inside their thread's app context) in
    threads released together; return what each returned, or the repr of what it raised."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list = [None] * len(jobs)

    def run(number, job):
        with app.app_context():
            from app.extensions import db as thread_db

            try:
                prepare = job()  # loads the thread's own objects, then gives the connection back
                thread_db.session.commit()
                barrier.wait(timeout=60)
                outcomes[number] = prepare()
            except Exception as error:  # noqa: BLE001 - reported by the assertions
                thread_db.session.rollback()
                outcomes[number] = repr(error)
            finally:
                thread_db.session.remove()

    threads = [threading.Thread(target=run, args=(n, job)) for n, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread never finished (deadlock?)"
    return outcomes


def voter(user_id, idea_id, choice):
    def job():
        from app.extensions import db as thread_db
        from app.models import Idea, User

        user = thread_db.session.get(User, user_id)
        target = thread_db.session.get(Idea, idea_id)
        _ = target.theme  # loaded before the barrier, as the view has it
        return lambda: ideas.vote(user, target, choice)
    return job


def commenter(user_id, idea_id, stance, body):
    def job():
        from app.extensions import db as thread_db
        from app.models import Idea, User

        user = thread_db.session.get(User, user_id)
        target = thread_db.session.get(Idea, idea_id)
        _ = target.theme
        return lambda: ideas.add_comment(user, target, stance, body).id
    return job


def counts(db, idea_id):
    db.session.expire_all()
    row = db.session.get(Idea, idea_id)
    votes = db.session.execute(sa.select(IdeaVote.value, sa.func.count()).where(IdeaVote.idea_id == idea_id)
                               .group_by(IdeaVote.value)).all()
    return (row.agree_count, row.disagree_count, row.comment_count), dict(votes)


def test_twenty_clicks_by_one_person_at_once_are_one_vote(app, db, idea):
    person = make_profile()
    db.session.commit()
    idea_id, user_id, trend_before = idea.id, person.user_id, idea.trend
    outcomes = at_once(app, [voter(user_id, idea_id, "agree") for _ in range(AT_ONCE)])
    assert all(isinstance(o, ideas.VoteResult) for o in outcomes), [o for o in outcomes if isinstance(o, str)][:3]
    assert sum(o.changed for o in outcomes) == 1  # the others found the vote already there
    assert all(o.value == 1 for o in outcomes)
    assert counts(db, idea_id) == ((1, 0, 0), {1: 1})
    # The trend took the one vote's activity once.
    assert db.session.get(Idea, idea_id).trend > trend_before


def test_twenty_people_voting_at_once_are_twenty_votes(app, db, idea):
    people = [make_profile() for _ in range(AT_ONCE)]
    db.session.commit()
    idea_id = idea.id
    outcomes = at_once(app, [voter(p.user_id, idea_id, "agree") for p in people])
    assert all(isinstance(o, ideas.VoteResult) and o.changed for o in outcomes), outcomes
    # Each saw the count after its own vote: 1..20, each once.
    assert sorted(o.agree for o in outcomes) == list(range(1, AT_ONCE + 1))
    assert counts(db, idea_id) == ((AT_ONCE, 0, 0), {1: AT_ONCE})


def test_people_changing_and_casting_votes_at_once_are_counted_right(app, db, idea):
    """Ten who agreed change to disagree, five others withdraw their agreement and ten
    newcomers disagree, all at once."""
    changers = [make_profile() for _ in range(10)]
    withdrawers = [make_profile() for _ in range(5)]
    newcomers = [make_profile() for _ in range(10)]
    db.session.commit()
    idea_id = idea.id
    for person in changers + withdrawers:
        assert ideas.vote(person.user, idea, "agree").changed
    assert counts(db, idea_id) == ((15, 0, 0), {1: 15})
    jobs = ([voter(p.user_id, idea_id, "disagree") for p in changers]
            + [voter(p.user_id, idea_id, "withdraw") for p in withdrawers]
            + [voter(p.user_id, idea_id, "disagree") for p in newcomers])
    outcomes = at_once(app, jobs)
    assert all(isinstance(o, ideas.VoteResult) and o.changed for o in outcomes), outcomes
    assert counts(db, idea_id) == ((0, 20, 0), {-1: 20})


def test_twenty_comments_at_once_are_all_counted(app, db, idea):
    people = [make_profile() for _ in range(AT_ONCE)]
    db.session.commit()
    idea_id = idea.id
    stances = ["agree", "disagree", "neutral"]
    outcomes = at_once(app, [commenter(p.user_id, idea_id, stances[n % 3], f"意見 {n}")
                             for n, p in enumerate(people)])
    assert all(isinstance(o, int) for o in outcomes), outcomes
    assert len(set(outcomes)) == AT_ONCE
    assert counts(db, idea_id)[0] == (0, 0, AT_ONCE)
    stored = db.session.scalar(sa.select(sa.func.count()).select_from(IdeaComment)
                               .where(IdeaComment.idea_id == idea_id))
    assert stored == AT_ONCE


def test_votes_and_comments_at_once_keep_both_counters(app, db, idea):
    people = [make_profile() for _ in range(AT_ONCE)]
    db.session.commit()
    idea_id = idea.id
    jobs = [voter(p.user_id, idea_id, "agree" if n % 2 else "disagree") if n < 10
            else commenter(p.user_id, idea_id, "neutral", f"コメント {n}")
            for n, p in enumerate(people)]
    outcomes = at_once(app, jobs)
    assert not any(isinstance(o, str) for o in outcomes), outcomes
    assert counts(db, idea_id) == ((5, 5, 10), {1: 5, -1: 5})
