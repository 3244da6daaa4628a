"""The programme's official answers to ideas and the path to realisation (issue 21, point 5).

A coordinator sets an idea's status (受付 → 検討中 → 採用 → 実現, or 見送り) with an answer
text shown on the idea's page (``answer``). The idea's author and everyone who voted on it
or commented on it gets a notice (``idea_answered``), but the person who answered and
anyone who has left the dialogue (their profile has no account any more). The recipients
are read with one query.

An idea that names a municipality shows on the town's public page, on the coordinators'
page of a request from the town and in the evangelist's brief of an assignment there
(``ideas_by_town``: one query for every town of a page).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Idea, IdeaComment, IdeaProfile, IdeaVote, User
from app.models.base import utcnow
from evangelists import ideas as rules
from evangelists.errors import Refused

PER_TOWN = 5


class AnswerRefused(Refused):
    """``status``: ``unknown``; ``answer``: ``too_long``, ``answer_required`` (a status
    other than 受付 says why in words); ``idea``: ``not_answerable`` (held or hidden);
    ``unchanged`` (the same status and answer again)."""

    scope = "idea_answer"


def recipients(idea: Idea, *, exclude: User | None = None) -> list[User]:
    """The active accounts of the idea's author, voters and commenters (one query); not
    ``exclude``, nor people who left (their profile's account is gone)."""
    voters = sa.select(IdeaVote.profile_id).where(IdeaVote.idea_id == idea.id)
    commenters = sa.select(IdeaComment.author_id).where(IdeaComment.idea_id == idea.id)
    profiles = sa.union(voters, commenters, sa.select(sa.literal(idea.author_id))).subquery()
    stmt = (sa.select(User).join(IdeaProfile, IdeaProfile.user_id == User.id)
            .where(IdeaProfile.id.in_(sa.select(profiles.c[0])), IdeaProfile.withdrawn_at.is_(None),
                   User.is_active.is_(True))
            .order_by(User.id))
    if exclude is not None:
        stmt = stmt.where(User.id != exclude.id)
    return list(db.session.scalars(stmt))


def answer(actor: User, idea: Idea, status: str, text: str, *, address: str | None = None,
           now: datetime | None = None) -> Idea:
    """Set the idea's official status and answer; commits, with an audit event and a
    notice to each of ``recipients``."""
    now = now or utcnow()
    if status not in rules.IDEA_STATUSES:
        raise AnswerRefused("status", "unknown")
    body = (text or "").replace("\r\n", "\n").strip()
    if len(body) > rules.ANSWER_MAX:
        raise AnswerRefused("answer", "too_long", limit=rules.ANSWER_MAX)
    if not body and status != "received":
        raise AnswerRefused("answer", "answer_required")
    if idea.visibility != "shown":
        raise AnswerRefused("idea", "not_answerable")
    if idea.status == status and (idea.answer or "") == body:
        raise AnswerRefused("answer", "unchanged")
    before = {"status": idea.status, "answer": idea.answer}
    idea.status = status
    idea.answer = body or None
    idea.answered_at = now
    idea.answered_by_id = actor.id
    from app.services.audit import record_event
    from app.services.notices import notify

    record_event(actor, "idea.answered", "idea", idea.id, before=before,
                 after={"status": status, "answer": idea.answer}, client_address=address)
    notify("idea_answered", users=recipients(idea, exclude=actor), target=("idea", idea.id),
           params={"title": idea.title, "status": status}, exclude=actor)
    db.session.commit()
    return idea


def ideas_by_town(municipality_ids: Iterable[int | None], *, per_town: int = PER_TOWN) -> dict[int, list[Idea]]:
    """The shown ideas naming each of these municipalities, most agreed first, at most
    ``per_town`` each ("what residents asked this town for"); one query however many towns."""
    ids = sorted({i for i in municipality_ids if i is not None})
    if not ids:
        return {}
    rank = sa.func.row_number().over(partition_by=Idea.municipality_id,
                                     order_by=(Idea.agree_count.desc(), Idea.created_at.desc(), Idea.id.desc()))
    ranked = (sa.select(Idea.id, rank.label("rank"))
              .where(Idea.municipality_id.in_(ids), Idea.visibility == "shown").subquery())
    rows = db.session.scalars(
        sa.select(Idea).join(ranked, ranked.c.id == Idea.id).where(ranked.c.rank <= per_town)
        .options(joinedload(Idea.theme))
        .order_by(Idea.municipality_id, ranked.c.rank)).all()
    out: dict[int, list[Idea]] = {}
    for idea in rows:
        out.setdefault(idea.municipality_id, []).append(idea)
    return out
