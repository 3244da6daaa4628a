"""The open dialogue (issue 21): themes, dialogue profiles, ideas, comments and votes.

Reading and writing the dialogue's posts. Every write commits its own transaction and
raises ``IdeaRefused`` (nothing written) when it is refused. The vocabulary, the limits
and the trending arithmetic are in ``evangelists.ideas``.

Counters (agree, disagree, comments) and the trending key are kept on the idea under a
write lock on its row, taken by the first statement of the transaction (an UPDATE of the
idea's ``last_activity_at``): on PostgreSQL a row lock, on SQLite the database's write
lock, so that twenty votes at once are counted one after another and a person's vote is
one row however often they click (``idea_votes``' primary key is the idea and the person).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.models import (
    Idea,
    IdeaComment,
    IdeaProfile,
    IdeaTheme,
    IdeaThemeParticipant,
    IdeaVote,
    Municipality,
    Prefecture,
    Topic,
    User,
)
from app.models.base import utcnow
from evangelists import ideas as rules
from evangelists.errors import Refused
from evangelists.search import TRIGRAM
from evangelists.vocabulary import AGE_BANDS, GENDERS, REGIONS

# How many posts (ideas and comments together) one person may make in an hour, and how
# many ideas; the web layer also limits each address (config IDEAS_POSTS_PER_ADDRESS).
POSTS_PER_HOUR = 30
IDEAS_PER_HOUR = 5
PER_PAGE = 20
STAFF_ROLES = ("coordinator", "admin")


class IdeaRefused(Refused):
    """``theme``: ``not_open`` (before or after its period); ``profile``: ``profile_required`` (no
    dialogue profile yet), ``withdrawn``; ``handle``: ``taken``, ``too_short``, ``too_long``,
    ``characters``, ``reserved``; ``voice`` / ``stance`` / ``vote`` / ``age_band`` / ``gender``
    / ``prefecture`` / ``topics`` / ``scope``: ``unknown``; ``title`` / ``body``:
    ``required``, ``too_long``; ``parent``: ``not_top_level``, ``other_idea``; ``idea``:
    ``not_shown``; ``rate``: ``too_many_posts``, ``too_many_ideas``; ``period``:
    ``order``; ``municipality``: ``outside_scope``."""

    scope = "ideas"


# -- themes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThemeInput:
    title: str
    description: str
    opens_at: datetime
    closes_at: datetime
    scope: str = "national"
    region: str | None = None
    prefecture_code: str | None = None
    municipality_code: str | None = None
    hold_first_posts: bool = False
    title_reading: str | None = None
    materials: tuple[tuple[str, str], ...] = ()  # (label, url)


def phase_of(theme: IdeaTheme, now: datetime | None = None) -> rules.Phase:
    return rules.phase(theme.opens_at, theme.closes_at, now or utcnow())


def get_theme(theme_id: int) -> IdeaTheme | None:
    return db.session.get(IdeaTheme, theme_id)


def themes_by_phase(now: datetime | None = None) -> dict[str, list[IdeaTheme]]:
    """Every theme, grouped: open (closing soonest first), upcoming (opening soonest
    first), closed (most recently closed first)."""
    now = now or utcnow()
    themes = db.session.scalars(
        sa.select(IdeaTheme).options(joinedload(IdeaTheme.prefecture), joinedload(IdeaTheme.municipality))
    ).all()
    groups: dict[str, list[IdeaTheme]] = {"open": [], "upcoming": [], "closed": []}
    for theme in themes:
        groups[rules.phase(theme.opens_at, theme.closes_at, now)].append(theme)
    groups["open"].sort(key=lambda t: (t.closes_at, t.id))
    groups["upcoming"].sort(key=lambda t: (t.opens_at, t.id))
    groups["closed"].sort(key=lambda t: (t.closes_at, t.id), reverse=True)
    return groups


def idea_counts_by_theme(theme_ids: Sequence[int]) -> dict[int, int]:
    if not theme_ids:
        return {}
    rows = db.session.execute(
        sa.select(Idea.theme_id, sa.func.count()).where(Idea.theme_id.in_(theme_ids), Idea.visibility == "shown")
        .group_by(Idea.theme_id))
    return {theme_id: count for theme_id, count in rows}


def _apply_theme(theme: IdeaTheme, data: ThemeInput) -> None:
    if data.closes_at <= data.opens_at:
        raise IdeaRefused("closes_at", "order")
    if data.scope not in rules.THEME_SCOPES:
        raise IdeaRefused("scope", "unknown")
    theme.title = data.title.strip()
    theme.title_reading = (data.title_reading or "").strip() or None
    theme.description = data.description.strip()
    theme.opens_at = data.opens_at
    theme.closes_at = data.closes_at
    theme.scope = data.scope
    theme.hold_first_posts = data.hold_first_posts
    theme.materials = [{"label": label.strip(), "url": url.strip()} for label, url in data.materials]
    theme.region = theme.prefecture_id = theme.municipality_id = None
    if data.scope == "region":
        if data.region not in REGIONS:
            raise IdeaRefused("region", "unknown")
        theme.region = data.region
    elif data.scope == "prefecture":
        prefecture = db.session.scalar(sa.select(Prefecture).where(Prefecture.code == (data.prefecture_code or "")))
        if prefecture is None:
            raise IdeaRefused("prefecture", "unknown")
        theme.prefecture_id = prefecture.id
    elif data.scope == "municipality":
        town = db.session.scalar(sa.select(Municipality).where(Municipality.code == (data.municipality_code or "")))
        if town is None:
            raise IdeaRefused("municipality", "unknown")
        theme.municipality_id = town.id


def create_theme(actor: User, data: ThemeInput, *, address: str | None = None) -> IdeaTheme:
    from app.services.audit import record_event

    theme = IdeaTheme(created_by_id=actor.id)
    _apply_theme(theme, data)
    db.session.add(theme)
    db.session.flush()
    record_event(actor, "idea_theme.opened", "idea_theme", theme.id,
                 after=_theme_audit(theme), client_address=address)
    db.session.commit()
    return theme


def update_theme(actor: User, theme: IdeaTheme, data: ThemeInput, *, address: str | None = None) -> IdeaTheme:
    from app.services.audit import record_event

    before = _theme_audit(theme)
    try:
        _apply_theme(theme, data)
    except IdeaRefused:
        db.session.rollback()
        raise
    record_event(actor, "idea_theme.changed", "idea_theme", theme.id,
                 before=before, after=_theme_audit(theme), client_address=address)
    db.session.commit()
    return theme


def _theme_audit(theme: IdeaTheme) -> dict:
    return {"title": theme.title, "opens_at": theme.opens_at.isoformat(), "closes_at": theme.closes_at.isoformat(),
            "scope": theme.scope, "region": theme.region, "prefecture_id": theme.prefecture_id,
            "municipality_id": theme.municipality_id, "hold_first_posts": theme.hold_first_posts}


def municipality_in_scope(theme: IdeaTheme, town: Municipality) -> bool:
    """Whether an idea in ``theme`` may name ``town`` (a scoped theme keeps to its area)."""
    if theme.scope == "municipality":
        return town.id == theme.municipality_id
    if theme.scope == "prefecture":
        return town.prefecture_id == theme.prefecture_id
    if theme.scope == "region":
        return town.prefecture.region == theme.region
    return True


# -- profiles ----------------------------------------------------------------------------


def profile_of(user: User | None) -> IdeaProfile | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(sa.select(IdeaProfile).where(IdeaProfile.user_id == user.id))


@dataclass(frozen=True)
class ProfileInput:
    handle: str
    voice: str
    prefecture_code: str | None = None
    age_band: str | None = None
    gender: str | None = None


def normalized_handle(handle: str) -> str:
    return unicodedata.normalize("NFKC", handle).strip()


def handle_taken(handle: str, *, other_than: int | None = None) -> bool:
    stmt = sa.select(IdeaProfile.id).where(sa.func.lower(IdeaProfile.handle) == normalized_handle(handle).lower())
    if other_than is not None:
        stmt = stmt.where(IdeaProfile.id != other_than)
    return db.session.scalar(stmt.limit(1)) is not None


def apply_profile(profile: IdeaProfile, data: ProfileInput) -> None:
    """Check ``data`` and write it to ``profile`` (not committed). Raises IdeaRefused."""
    handle = normalized_handle(data.handle)
    problem = rules.handle_problem(handle)
    if problem is not None:
        raise IdeaRefused("handle", problem)
    if handle_taken(handle, other_than=profile.id):
        raise IdeaRefused("handle", "taken")
    if data.voice not in rules.VOICES:
        raise IdeaRefused("voice", "unknown")
    if data.age_band and data.age_band not in AGE_BANDS:
        raise IdeaRefused("age_band", "unknown")
    if data.gender and data.gender not in GENDERS:
        raise IdeaRefused("gender", "unknown")
    prefecture_id = None
    if data.prefecture_code:
        prefecture_id = db.session.scalar(sa.select(Prefecture.id).where(Prefecture.code == data.prefecture_code))
        if prefecture_id is None:
            raise IdeaRefused("prefecture", "unknown")
    profile.handle = handle
    profile.voice = data.voice
    profile.prefecture_id = prefecture_id
    profile.age_band = data.age_band or None
    profile.gender = data.gender or None


def save_profile(user: User, data: ProfileInput) -> IdeaProfile:
    """Create or change ``user``'s dialogue profile; commits. A handle taken at the same
    moment by someone else is refused as ``taken``."""
    profile = profile_of(user) or IdeaProfile(user_id=user.id)
    try:
        apply_profile(profile, data)
        db.session.add(profile)
        refresh_participation(profile)
        db.session.commit()
    except IdeaRefused:
        db.session.rollback()
        raise
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise IdeaRefused("handle", "taken") from None
    return profile


# -- who took part in a theme (the results' participation) -------------------------------


def _took_part(theme_id: int, profile: IdeaProfile) -> None:
    """Count ``profile`` among the theme's participants (once; not committed)."""
    values = {"theme_id": theme_id, "profile_id": profile.id, "voice": profile.voice, "age_band": profile.age_band,
              "gender": profile.gender, "prefecture_id": profile.prefecture_id}
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(insert(IdeaThemeParticipant).values(values).on_conflict_do_nothing())


def refresh_participation(profile: IdeaProfile) -> None:
    """Copy the profile's groups to the themes it took part in, after a change or its
    withdrawal (not committed)."""
    db.session.flush()
    db.session.execute(sa.update(IdeaThemeParticipant).where(IdeaThemeParticipant.profile_id == profile.id).values(
        voice=profile.voice, age_band=profile.age_band, gender=profile.gender, prefecture_id=profile.prefecture_id))


def rebuild_participation(connection: sa.Connection) -> int:
    """Write every theme's participants afresh from the ideas, comments and votes (for
    rows written around the services: the demo, the bench, the migration that made the
    table). Returns how many rows. Not committed."""
    t = IdeaThemeParticipant.__table__
    activity = sa.union(
        sa.select(Idea.theme_id, Idea.author_id.label("profile_id")),
        sa.select(Idea.theme_id, IdeaComment.author_id).join(Idea, Idea.id == IdeaComment.idea_id),
        sa.select(Idea.theme_id, IdeaVote.profile_id).join(Idea, Idea.id == IdeaVote.idea_id),
    ).subquery()
    rows = sa.select(activity.c.theme_id, IdeaProfile.id, IdeaProfile.voice, IdeaProfile.age_band,
                     IdeaProfile.gender, IdeaProfile.prefecture_id).join(
        IdeaProfile, IdeaProfile.id == activity.c.profile_id)
    connection.execute(sa.delete(t))
    connection.execute(t.insert().from_select(
        ["theme_id", "profile_id", "voice", "age_band", "gender", "prefecture_id"], rows))
    return connection.scalar(sa.select(sa.func.count()).select_from(t)) or 0


def _author(user: User) -> IdeaProfile:
    profile = profile_of(user)
    if profile is None:
        raise IdeaRefused("profile", "profile_required")
    if profile.withdrawn_at is not None:
        raise IdeaRefused("profile", "withdrawn")
    return profile


# -- posting -----------------------------------------------------------------------------


def _check_rate(profile: IdeaProfile, *, idea: bool, now: datetime) -> None:
    since = now - timedelta(hours=1)
    ideas = db.session.scalar(sa.select(sa.func.count()).select_from(Idea).where(
        Idea.author_id == profile.id, Idea.created_at >= since)) or 0
    comments = db.session.scalar(sa.select(sa.func.count()).select_from(IdeaComment).where(
        IdeaComment.author_id == profile.id, IdeaComment.created_at >= since)) or 0
    if idea and ideas >= IDEAS_PER_HOUR:
        raise IdeaRefused("rate", "too_many_ideas", limit=IDEAS_PER_HOUR)
    if ideas + comments >= POSTS_PER_HOUR:
        raise IdeaRefused("rate", "too_many_posts", limit=POSTS_PER_HOUR)


def _held(theme: IdeaTheme, profile: IdeaProfile, user: User) -> bool:
    """A new participant's first post in a theme that holds them waits for review; staff
    and evangelists are never held, nor anyone with a post already shown in the theme."""
    if not theme.hold_first_posts or user.role != "participant":
        return False
    shown_idea = sa.select(Idea.id).where(Idea.theme_id == theme.id, Idea.author_id == profile.id,
                                          Idea.visibility == "shown")
    shown_comment = (sa.select(IdeaComment.id).join(Idea, IdeaComment.idea_id == Idea.id)
                     .where(Idea.theme_id == theme.id, IdeaComment.author_id == profile.id,
                            IdeaComment.visibility == "shown"))
    return db.session.scalar(sa.select(sa.exists(shown_idea.union_all(shown_comment).subquery().select()))) is False


def _text(field_name: str, value: str, maximum: int) -> str:
    text = value.replace("\r\n", "\n").strip()
    if not text:
        raise IdeaRefused(field_name, "required")
    if len(text) > maximum:
        raise IdeaRefused(field_name, "too_long", limit=maximum)
    return text


@dataclass(frozen=True)
class IdeaInput:
    title: str
    body: str
    municipality_code: str | None = None
    topic_slugs: tuple[str, ...] = ()


def post_idea(user: User, theme: IdeaTheme, data: IdeaInput, *, now: datetime | None = None) -> Idea:
    """Post an idea to an open theme; commits. Held for review when the theme holds a new
    participant's first post."""
    now = now or utcnow()
    if phase_of(theme, now) != "open":
        raise IdeaRefused("theme", "not_open")
    profile = _author(user)
    title = _text("title", data.title, rules.IDEA_TITLE_MAX)
    body = _text("body", data.body, rules.IDEA_BODY_MAX)
    town = None
    if data.municipality_code:
        town = db.session.scalar(sa.select(Municipality).options(joinedload(Municipality.prefecture))
                                 .where(Municipality.code == data.municipality_code))
        if town is None:
            raise IdeaRefused("municipality", "unknown")
        if not municipality_in_scope(theme, town):
            raise IdeaRefused("municipality", "outside_scope")
    elif theme.scope == "municipality":
        town = theme.municipality
    slugs = list(dict.fromkeys(data.topic_slugs))
    if len(slugs) > rules.IDEA_TAGS_MAX:
        raise IdeaRefused("topics", "too_many", limit=rules.IDEA_TAGS_MAX)
    topics = db.session.scalars(sa.select(Topic).where(Topic.slug.in_(slugs))).all() if slugs else []
    if len(topics) != len(slugs):
        raise IdeaRefused("topics", "unknown")
    _check_rate(profile, idea=True, now=now)
    idea = Idea(theme_id=theme.id, author_id=profile.id, voice=profile.voice, title=title, body=body,
                municipality_id=town.id if town else None, topics=list(topics),
                visibility="held" if _held(theme, profile, user) else "shown",
                trend=rules.trend_key(rules.WEIGHT_IDEA, now), last_activity_at=now,
                created_at=now, updated_at=now)
    db.session.add(idea)
    _took_part(theme.id, profile)
    db.session.commit()
    return idea


def _lock_idea(idea_id: int, now: datetime) -> Idea | None:
    """Take the idea's write lock (the transaction's first write) and read it afresh."""
    db.session.execute(sa.update(Idea).where(Idea.id == idea_id).values(last_activity_at=now)
                       .execution_options(synchronize_session=False))
    return db.session.scalar(sa.select(Idea).where(Idea.id == idea_id)
                             .execution_options(populate_existing=True))


def _postable(idea: Idea, now: datetime) -> None:
    if idea.visibility != "shown":
        raise IdeaRefused("idea", "not_shown")
    if phase_of(idea.theme, now) != "open":
        raise IdeaRefused("theme", "not_open")


def add_comment(user: User, idea: Idea, stance: str, body: str, *, parent_id: int | None = None,
                now: datetime | None = None) -> IdeaComment:
    """Comment on a shown idea of an open theme, or reply to one of its comments (one
    level: a reply to a reply is made to the comment it answers); commits."""
    now = now or utcnow()
    _postable(idea, now)
    profile = _author(user)
    if stance not in rules.STANCES:
        raise IdeaRefused("stance", "unknown")
    text = _text("body", body, rules.COMMENT_MAX)
    parent = None
    if parent_id is not None:
        parent = db.session.get(IdeaComment, parent_id)
        if parent is None or parent.idea_id != idea.id:
            raise IdeaRefused("parent", "other_idea")
        if parent.parent_id is not None:
            parent = db.session.get(IdeaComment, parent.parent_id)
    _check_rate(profile, idea=False, now=now)
    held = _held(idea.theme, profile, user)
    locked = _lock_idea(idea.id, now)
    comment = IdeaComment(idea_id=idea.id, parent_id=parent.id if parent else None, author_id=profile.id,
                          stance=stance, body=text, visibility="held" if held else "shown",
                          created_at=now, updated_at=now)
    db.session.add(comment)
    _took_part(locked.theme_id, profile)
    if not held:
        locked.comment_count = locked.comment_count + 1
        locked.trend = rules.add_activity(locked.trend, rules.WEIGHT_COMMENT, now)
    db.session.commit()
    return comment


@dataclass(frozen=True)
class VoteResult:
    value: int | None  # +1, −1, or None (no vote)
    changed: bool
    agree: int
    disagree: int


def vote(user: User, idea: Idea, choice: str, *, now: datetime | None = None) -> VoteResult:
    """Vote ``agree`` or ``disagree`` on a shown idea of an open theme, change the vote, or
    take it back (``withdraw``); commits. One vote per person per idea: the same vote again
    changes nothing."""
    now = now or utcnow()
    if choice not in (*rules.VOTE_VALUES, "withdraw"):
        raise IdeaRefused("vote", "unknown")
    _postable(idea, now)
    profile = _author(user)
    idea_id = idea.id
    locked = _lock_idea(idea_id, now)
    existing = db.session.scalar(sa.select(IdeaVote).where(IdeaVote.idea_id == idea_id,
                                                           IdeaVote.profile_id == profile.id)
                                 .execution_options(populate_existing=True))
    wanted = rules.VOTE_VALUES.get(choice)
    before = existing.value if existing else None
    if before == wanted:
        db.session.rollback()
        return VoteResult(before, False, locked.agree_count, locked.disagree_count)
    if before == 1:
        locked.agree_count -= 1
    elif before == -1:
        locked.disagree_count -= 1
    if wanted == 1:
        locked.agree_count += 1
    elif wanted == -1:
        locked.disagree_count += 1
    if existing is None:
        db.session.add(IdeaVote(idea_id=idea_id, profile_id=profile.id, value=wanted, created_at=now, updated_at=now))
        _took_part(locked.theme_id, profile)
        locked.trend = rules.add_activity(locked.trend, rules.WEIGHT_VOTE, now)
    elif wanted is None:
        db.session.delete(existing)
    else:
        existing.value = wanted
        existing.updated_at = now
    agree, disagree = locked.agree_count, locked.disagree_count
    db.session.commit()
    return VoteResult(wanted, True, agree, disagree)


def my_vote(user: User | None, idea_id: int) -> int | None:
    profile = profile_of(user)
    if profile is None:
        return None
    return db.session.scalar(sa.select(IdeaVote.value).where(IdeaVote.idea_id == idea_id,
                                                             IdeaVote.profile_id == profile.id))


# -- reading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class IdeaFilters:
    sort: str = "new"
    voice: str = ""
    topic: str = ""  # a topic slug
    municipality: str = ""  # a municipality code
    status: str = ""
    q: str = ""

    @property
    def active(self) -> bool:
        return bool(self.voice or self.topic or self.municipality or self.status or self.q)


def search_form(query: str) -> str:
    """The query as the text index compares it: NFKC (full-width letters and digits, half-
    width katakana), one space between words, at most IDEA_QUERY_MAX characters."""
    text = unicodedata.normalize("NFKC", query).replace("\x00", "")
    return " ".join(text.split())[: rules.IDEA_QUERY_MAX]


def _like(form: str) -> str:
    return "%" + form.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _matching_ids(form: str) -> sa.ColumnElement[bool]:
    """Ideas whose title or body contains ``form``: the text index for three characters
    or more (FTS5 trigram on SQLite, pg_trgm on PostgreSQL), a plain scan under that."""
    dialect = db.session.get_bind().dialect.name
    if len(form) >= TRIGRAM and dialect == "sqlite":
        phrase = '"' + form.replace('"', '""') + '"'
        return Idea.id.in_(sa.select(sa.column("rowid")).select_from(sa.table("ideas_fts"))
                           .where(sa.text("ideas_fts MATCH :idea_query").bindparams(idea_query=phrase)))
    pattern = _like(form)
    if form.lower() == form.upper():
        # Nothing in the query has a case (kana, kanji, digits): LIKE finds what ILIKE
        # finds, without lowering every title and body it reads (2-3 times faster on
        # PostgreSQL, bench/bench_dialogue.py).
        return sa.or_(Idea.title.like(pattern, escape="\\"), Idea.body.like(pattern, escape="\\"))
    return sa.or_(Idea.title.ilike(pattern, escape="\\"), Idea.body.ilike(pattern, escape="\\"))


def idea_list(theme: IdeaTheme | None, filters: IdeaFilters) -> sa.Select:
    """The shown ideas of ``theme`` (None: of every theme) matching ``filters``, in the
    filter's order (ties: newest first); a statement for the caller to page."""
    stmt = sa.select(Idea).where(Idea.visibility == "shown").options(
        joinedload(Idea.author), joinedload(Idea.municipality), selectinload(Idea.topics), joinedload(Idea.theme))
    if theme is not None:
        stmt = stmt.where(Idea.theme_id == theme.id)
    if filters.voice in rules.VOICES:
        stmt = stmt.where(Idea.voice == filters.voice)
    if filters.status in rules.IDEA_STATUSES:
        stmt = stmt.where(Idea.status == filters.status)
    if filters.municipality:
        stmt = stmt.where(Idea.municipality_id == sa.select(Municipality.id).where(
            Municipality.code == filters.municipality).scalar_subquery())
    if filters.topic:
        stmt = stmt.where(Idea.topics.any(Topic.slug == filters.topic))
    form = search_form(filters.q)
    if form:
        stmt = stmt.where(_matching_ids(form))
    order = {
        "agreed": (Idea.agree_count.desc(),),
        "discussed": (Idea.comment_count.desc(),),
        "trending": (Idea.trend.desc(),),
    }.get(filters.sort, ())
    return stmt.order_by(*order, Idea.created_at.desc(), Idea.id.desc())


def get_idea(idea_id: int) -> Idea | None:
    return db.session.scalar(sa.select(Idea).where(Idea.id == idea_id).options(
        joinedload(Idea.theme), joinedload(Idea.author), joinedload(Idea.municipality).joinedload(
            Municipality.prefecture), selectinload(Idea.topics)))


def can_read(idea: Idea, user: User | None) -> bool:
    """A shown or hidden idea (hidden: its notice only) is public; a held one only to its
    author and to staff."""
    if idea.visibility != "held":
        return True
    if user is not None and getattr(user, "is_authenticated", False):
        if user.role in STAFF_ROLES:
            return True
        profile = profile_of(user)
        return profile is not None and profile.id == idea.author_id
    return False


@dataclass
class Thread:
    comment: IdeaComment
    replies: list[IdeaComment] = field(default_factory=list)


def threads(idea: Idea, viewer: User | None) -> list[Thread]:
    """The idea's comments, oldest first, each with its replies. Held comments are left
    out but for their author and staff; hidden ones are kept (their notice is shown)."""
    comments = db.session.scalars(
        sa.select(IdeaComment).where(IdeaComment.idea_id == idea.id).options(joinedload(IdeaComment.author))
        .order_by(IdeaComment.created_at, IdeaComment.id)).all()
    staff = viewer is not None and getattr(viewer, "is_authenticated", False) and viewer.role in STAFF_ROLES
    mine = profile_of(viewer) if viewer is not None and not staff else None

    def seen(comment: IdeaComment) -> bool:
        return comment.visibility != "held" or staff or (mine is not None and comment.author_id == mine.id)

    top: dict[int, Thread] = {}
    for comment in comments:
        if comment.parent_id is None and seen(comment):
            top[comment.id] = Thread(comment)
    for comment in comments:
        if comment.parent_id is not None and comment.parent_id in top and seen(comment):
            top[comment.parent_id].replies.append(comment)
    return list(top.values())


def stance_counts(idea: Idea) -> dict[str, int]:
    rows = db.session.execute(sa.select(IdeaComment.stance, sa.func.count()).where(
        IdeaComment.idea_id == idea.id, IdeaComment.visibility == "shown").group_by(IdeaComment.stance))
    counts = dict.fromkeys(rules.STANCES, 0)
    counts.update({stance: count for stance, count in rows})
    return counts


def ideas_about(municipality_ids: Iterable[int], *, limit: int = 10) -> list[Idea]:
    """The shown ideas that name one of these municipalities, most agreed first: for the
    town's page, its requests and the evangelist's brief ("what residents asked this
    town for")."""
    ids = list(municipality_ids)
    if not ids:
        return []
    return list(db.session.scalars(
        sa.select(Idea).where(Idea.municipality_id.in_(ids), Idea.visibility == "shown")
        .options(joinedload(Idea.theme), joinedload(Idea.municipality))
        .order_by(Idea.agree_count.desc(), Idea.created_at.desc()).limit(limit)))


def author_label(profile: IdeaProfile | None) -> str | None:
    """The handle shown for a post, or None for a withdrawn participant (the page says
    「退会したユーザー」)."""
    if profile is None or profile.withdrawn_at is not None:
        return None
    return profile.handle
