"""Moderation of the open dialogue (issue 21, point 4): reports, the coordinators' queue,
the decisions on a post and the public moderation log.

Anyone signed in reports an idea or a comment once, with a reason (``report``). A
coordinator answers the open reports of a post, and the posts held for review, with one
decision (``moderate``):

- ``hide`` a shown post, naming the article of the terms it broke (public, with an
  optional public note); ``keep`` a reported post (its reports are answered as kept);
- ``release`` a held post (shown from now on) or ``refuse`` it (hidden with an article);
- ``restore`` a hidden post (shown again).

Each decision writes a line of the public log (``ModerationEvent``: no reporter, no
moderator, never the hidden text) and an audit event (``idea_post.moderated``), in one
transaction under the idea's write lock, because the idea's comment counter and trending
key change with what is shown: a comment hidden counts one fewer, one released or restored
one more (released also counts as new activity, as ``add_comment`` does for a shown one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Idea, IdeaComment, IdeaReport, ModerationEvent, User
from app.models.base import utcnow
from app.services.ideas import can_read
from evangelists import ideas as rules
from evangelists.errors import Refused

ACTIONS = ("hide", "keep", "release", "refuse", "restore")
# A decision -> the public log's action (evangelists.ideas.MODERATION_ACTIONS).
LOGGED = {"hide": "hidden", "keep": "kept", "release": "released", "refuse": "refused", "restore": "restored"}
# Which decisions name an article of the terms.
NAMES_ARTICLE = frozenset({"hide", "refuse"})
NOTE_MAX = rules.REPORT_NOTE_MAX
QUEUE_MAX = 200  # posts on the queue page at most (oldest first)
LOG_PER_PAGE = 50


class ModerationRefused(Refused):
    """``reason``: ``unknown``; ``note``: ``too_long``; ``report``: ``already_reported``,
    ``not_reportable`` (a post hidden or not readable); ``post``: ``not_found``;
    ``action``: ``unknown``, ``not_possible`` (the post is no longer where the decision
    applies: someone else decided first); ``article``: ``article_required``."""

    scope = "moderation"


# -- reports -------------------------------------------------------------------------------


def _post(kind: str, post_id: int) -> tuple[Idea, IdeaComment | None]:
    if kind == "comment":
        comment = db.session.get(IdeaComment, post_id)
        if comment is None:
            raise ModerationRefused("post", "not_found")
        return comment.idea, comment
    if kind == "idea":
        idea = db.session.get(Idea, post_id)
        if idea is None:
            raise ModerationRefused("post", "not_found")
        return idea, None
    raise ModerationRefused("post", "not_found")


def report(user: User, idea: Idea, *, comment_id: int | None = None, reason: str, note: str = "",
           now: datetime | None = None) -> IdeaReport:
    """``user`` reports the idea, or its comment ``comment_id``; commits. One report per
    person per post: a second is refused as ``already_reported`` (nothing written)."""
    now = now or utcnow()
    if reason not in rules.REPORT_REASONS:
        raise ModerationRefused("reason", "unknown")
    text = (note or "").replace("\r\n", "\n").strip()
    if len(text) > NOTE_MAX:
        raise ModerationRefused("note", "too_long", limit=NOTE_MAX)
    comment = None
    if comment_id is not None:
        comment = db.session.get(IdeaComment, comment_id)
        if comment is None or comment.idea_id != idea.id:
            raise ModerationRefused("post", "not_found")
    if not can_read(idea, user) or idea.visibility != "shown" or (
            comment is not None and comment.visibility != "shown"):
        raise ModerationRefused("report", "not_reportable")
    before = sa.select(IdeaReport.id).where(IdeaReport.reporter_id == user.id, IdeaReport.idea_id == idea.id)
    before = before.where(IdeaReport.comment_id == comment.id) if comment else before.where(
        IdeaReport.comment_id.is_(None))
    if db.session.scalar(before.limit(1)) is not None:
        raise ModerationRefused("report", "already_reported")
    row = IdeaReport(idea_id=idea.id, comment_id=comment.id if comment else None, reporter_id=user.id,
                     reason=reason, note=text, created_at=now)
    db.session.add(row)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # the same person's report a moment earlier
        db.session.rollback()
        raise ModerationRefused("report", "already_reported") from None
    return row


def my_reports(user: User | None, idea_id: int) -> set[int | None]:
    """The posts of the idea ``user`` has reported: comment ids, None for the idea."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return set(db.session.scalars(sa.select(IdeaReport.comment_id).where(
        IdeaReport.reporter_id == user.id, IdeaReport.idea_id == idea_id)))


# -- the queue -------------------------------------------------------------------------------


@dataclass
class QueueItem:
    """A post waiting for a decision: its open reports (oldest first), and whether it is
    held for review."""

    idea: Idea
    comment: IdeaComment | None
    reports: list[IdeaReport] = field(default_factory=list)

    @property
    def post(self) -> Idea | IdeaComment:
        return self.comment if self.comment is not None else self.idea

    @property
    def key(self) -> str:
        return f"comment-{self.comment.id}" if self.comment is not None else f"idea-{self.idea.id}"

    @property
    def held(self) -> bool:
        return self.post.visibility == "held"

    @property
    def since(self) -> datetime:
        return self.reports[0].created_at if self.reports else self.post.created_at

    def actions(self) -> tuple[str, ...]:
        if self.held:
            return ("release", "refuse")
        if self.post.visibility == "hidden":
            return ("restore",)
        return ("hide", "keep")


def queue() -> list[QueueItem]:
    """The open reports grouped by post, and the held posts, oldest first (three queries)."""
    items: dict[tuple[int, int | None], QueueItem] = {}
    reports = db.session.scalars(
        sa.select(IdeaReport).where(IdeaReport.resolved_at.is_(None))
        .options(joinedload(IdeaReport.idea).joinedload(Idea.theme), joinedload(IdeaReport.idea)
                 .joinedload(Idea.author), joinedload(IdeaReport.comment).joinedload(IdeaComment.author))
        .order_by(IdeaReport.created_at, IdeaReport.id).limit(QUEUE_MAX * 5)).all()
    for row in reports:
        item = items.setdefault((row.idea_id, row.comment_id), QueueItem(row.idea, row.comment))
        item.reports.append(row)
    held_ideas = db.session.scalars(
        sa.select(Idea).where(Idea.visibility == "held")
        .options(joinedload(Idea.theme), joinedload(Idea.author))
        .order_by(Idea.created_at, Idea.id).limit(QUEUE_MAX)).all()
    for idea in held_ideas:
        items.setdefault((idea.id, None), QueueItem(idea, None))
    held_comments = db.session.scalars(
        sa.select(IdeaComment).where(IdeaComment.visibility == "held")
        .options(joinedload(IdeaComment.author), joinedload(IdeaComment.idea).joinedload(Idea.theme))
        .order_by(IdeaComment.created_at, IdeaComment.id).limit(QUEUE_MAX)).all()
    for comment in held_comments:
        items.setdefault((comment.idea_id, comment.id), QueueItem(comment.idea, comment))
    return sorted(items.values(), key=lambda item: (item.since, item.key))[:QUEUE_MAX]


def recently_hidden(limit: int = 20) -> list[QueueItem]:
    """The posts hidden most recently (ideas and comments), for a coordinator to restore
    one hidden by mistake (two queries)."""
    ideas = db.session.scalars(sa.select(Idea).where(Idea.visibility == "hidden")
                               .options(joinedload(Idea.theme), joinedload(Idea.author))
                               .order_by(Idea.updated_at.desc(), Idea.id.desc()).limit(limit)).all()
    comments = db.session.scalars(sa.select(IdeaComment).where(IdeaComment.visibility == "hidden")
                                  .options(joinedload(IdeaComment.author), joinedload(IdeaComment.idea))
                                  .order_by(IdeaComment.updated_at.desc(), IdeaComment.id.desc())
                                  .limit(limit)).all()
    items = [QueueItem(i, None) for i in ideas] + [QueueItem(c.idea, c) for c in comments]
    return sorted(items, key=lambda item: item.post.updated_at, reverse=True)[:limit]


def open_count() -> int:
    """Posts waiting for a decision (the link to the queue says how many)."""
    reported = db.session.scalar(sa.select(sa.func.count()).select_from(
        sa.select(IdeaReport.idea_id, IdeaReport.comment_id).where(IdeaReport.resolved_at.is_(None))
        .group_by(IdeaReport.idea_id, IdeaReport.comment_id).subquery())) or 0
    held = (db.session.scalar(sa.select(sa.func.count()).select_from(Idea).where(Idea.visibility == "held")) or 0) + (
        db.session.scalar(sa.select(sa.func.count()).select_from(IdeaComment)
                          .where(IdeaComment.visibility == "held")) or 0)
    return reported + held


# -- decisions ------------------------------------------------------------------------------


def _lock(idea_id: int, now: datetime) -> Idea | None:
    """Take the idea's write lock as ``app.services.ideas._lock_idea`` does (the
    transaction's first write: a row lock on PostgreSQL, the write lock on SQLite) without
    counting it as activity (``updated_at``, not ``last_activity_at``), and read the idea
    afresh."""
    db.session.execute(sa.update(Idea).where(Idea.id == idea_id).values(updated_at=now)
                       .execution_options(synchronize_session=False))
    return db.session.scalar(sa.select(Idea).where(Idea.id == idea_id).execution_options(populate_existing=True))


@dataclass(frozen=True)
class Decision:
    action: str  # ACTIONS
    article: int | None = None
    note: str = ""


def moderate(actor: User, kind: str, post_id: int, decision: Decision, *, address: str | None = None,
             now: datetime | None = None) -> ModerationEvent:
    """Carry out ``decision`` on the idea or comment (``kind``) ``post_id``; commits.
    Refused (nothing written) when the decision does not apply to the post as it is now."""
    now = now or utcnow()
    if decision.action not in ACTIONS:
        raise ModerationRefused("action", "unknown")
    article = decision.article if decision.action in NAMES_ARTICLE else None
    if decision.action in NAMES_ARTICLE and not (article and 1 <= article <= rules.TERMS_ARTICLES):
        raise ModerationRefused("article", "article_required", limit=rules.TERMS_ARTICLES)
    note = (decision.note or "").replace("\r\n", "\n").strip()
    if len(note) > NOTE_MAX:
        raise ModerationRefused("note", "too_long", limit=NOTE_MAX)
    idea, comment = _post(kind, post_id)
    idea_id, comment_id = idea.id, comment.id if comment else None
    locked = _lock(idea_id, now)
    if comment is not None:
        post = db.session.scalar(sa.select(IdeaComment).where(IdeaComment.id == comment_id)
                                 .execution_options(populate_existing=True))
    else:
        post = locked
    open_reports = db.session.scalars(
        sa.select(IdeaReport).where(IdeaReport.idea_id == idea_id, IdeaReport.resolved_at.is_(None),
                                    IdeaReport.comment_id == comment_id if comment_id else
                                    IdeaReport.comment_id.is_(None))
        .execution_options(populate_existing=True)).all()
    before = post.visibility
    wanted = {"hide": ("shown", "hidden"), "refuse": ("held", "hidden"), "release": ("held", "shown"),
              "restore": ("hidden", "shown"), "keep": (before, before)}[decision.action]
    if before != wanted[0] or (decision.action == "keep" and (not open_reports or before == "held")):
        db.session.rollback()
        raise ModerationRefused("action", "not_possible")
    after = wanted[1]
    post.visibility = after
    post.hidden_article = article if after == "hidden" else None
    if comment is not None:
        if before == "shown" and after != "shown":
            locked.comment_count = max(locked.comment_count - 1, 0)
        elif before != "shown" and after == "shown":
            locked.comment_count = locked.comment_count + 1
            if decision.action == "release":
                locked.trend = rules.add_activity(locked.trend, rules.WEIGHT_COMMENT, now)
    elif decision.action == "release":
        # A held idea had no activity but its own posting: it starts afresh when shown.
        locked.trend = rules.add_activity(None, rules.WEIGHT_IDEA, now)
        locked.last_activity_at = now
    resolution = "kept" if decision.action == "keep" else ("hidden" if after == "hidden" else None)
    if resolution is not None:
        for row in open_reports:
            row.resolved_at, row.resolution, row.resolved_by_id = now, resolution, actor.id
    event = ModerationEvent(idea_id=idea_id, comment_id=comment_id, action=LOGGED[decision.action],
                            article=article, note=note, actor_id=actor.id, created_at=now)
    db.session.add(event)
    from app.services.audit import record_event

    record_event(actor, "idea_post.moderated", "idea_comment" if comment is not None else "idea",
                 comment_id or idea_id, before={"visibility": before},
                 after={"visibility": after, "action": LOGGED[decision.action], "article": article,
                        "note": note, "reports": len(open_reports)},
                 client_address=address)
    db.session.commit()
    return event


# -- the public log ------------------------------------------------------------------------


def public_log() -> sa.Select:
    """The moderation log, newest first, for the caller to page: each line's post and its
    idea (the page shows a title only while the idea is shown, never a hidden text, nor
    who reported or decided)."""
    return (sa.select(ModerationEvent)
            .options(joinedload(ModerationEvent.idea), joinedload(ModerationEvent.comment))
            .order_by(ModerationEvent.created_at.desc(), ModerationEvent.id.desc()))
