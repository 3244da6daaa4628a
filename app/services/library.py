"""The library of use cases (事例, issue 22): what the public reads of them.

Only published use cases (``evangelists.use_cases.PUBLIC_STATUSES``) are ever returned
here, so a page built on this module shows nothing a town has not agreed to. Reading only:
drafting, review and publishing are ``app.services.use_cases``' work.

* :func:`library_list`: the library's list, newest first, searched and filtered;
* :func:`published_use_case`: one use case for its public page (None when not public);
* :func:`newest`: the Atom feed's entries;
* :func:`similar_use_cases`: "towns like yours" for the request form, the town's status
  page and the evangelist's brief.

Search: ``search_text`` holds a use case's words NFKC-folded and lower-cased
(``evangelists.use_cases.search_text_of``); the query is folded the same way
(:func:`search_words`) and each of its words must occur. A word of three characters or
more goes through the text index (FTS5 trigram on SQLite, a LIKE that PostgreSQL answers
from the pg_trgm GIN index), a shorter one is a plain scan (a trigram index cannot hold
it): 1-2 character queries such as 防災 or 公園 are common in Japanese.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.models import Municipality, Prefecture, Topic
from app.models.use_cases import UseCase
from evangelists import fiscal
from evangelists.calendar import today_in_japan
from evangelists.geo import haversine_km
from evangelists.search import TRIGRAM
from evangelists.use_cases import PUBLIC_STATUSES, fold, population_band

PER_PAGE = 20
QUERY_MAX = 100  # characters of a search
QUERY_WORDS_MAX = 8  # words of a search that count (each is a condition)
FEED_ENTRIES = 30
SUGGESTIONS = 3


@dataclass(frozen=True)
class LibraryFilters:
    """What the library's list is narrowed to; empty values filter nothing."""

    q: str = ""
    topic: str = ""  # a topic slug
    town_kind: str = ""  # the municipality's kind (evangelists.vocabulary.MUNICIPALITY_KINDS)
    band: str = ""  # the use case's population band
    prefecture: str = ""  # a prefecture code
    fy: int | None = None  # the fiscal year of publication
    kind: str = ""  # the use case's kind (事例 / 参加の多様化)

    @property
    def active(self) -> bool:
        return bool(self.q or self.topic or self.town_kind or self.band or self.prefecture
                    or self.fy is not None or self.kind)


def _public() -> sa.ColumnElement[bool]:
    return UseCase.status.in_(PUBLIC_STATUSES)


def search_words(query: str) -> list[str]:
    """The words of ``query`` as the index holds words (:func:`evangelists.use_cases.fold`:
    NFKC, lower case), NUL dropped, at most QUERY_MAX characters and QUERY_WORDS_MAX
    words, duplicates once."""
    words = fold(query.replace("\x00", "")[:QUERY_MAX]).split()
    return list(dict.fromkeys(words))[:QUERY_WORDS_MAX]


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _word_matches(word: str, dialect: str) -> sa.ColumnElement[bool]:
    """Use cases whose words contain ``word`` (folded already)."""
    if len(word) >= TRIGRAM and dialect == "sqlite":
        phrase = '"' + word.replace('"', '""') + '"'
        match = sa.text("use_cases_fts MATCH :phrase").bindparams(sa.bindparam("phrase", phrase, unique=True))
        return UseCase.id.in_(sa.select(sa.column("rowid")).select_from(sa.table("use_cases_fts")).where(match))
    # search_text is lower-cased like the word: LIKE, never ILIKE (which would lower every
    # row and, on PostgreSQL, still uses the gin_trgm_ops index but with more work).
    return UseCase.search_text.like(_like(word), escape="\\")


def library_list(filters: LibraryFilters) -> sa.Select:
    """The published use cases matching ``filters``, newest first; a statement to page."""
    stmt = (sa.select(UseCase).where(_public())
            .options(joinedload(UseCase.municipality).joinedload(Municipality.prefecture),
                     selectinload(UseCase.topics)))
    if filters.town_kind or filters.prefecture:
        town = sa.select(Municipality.id)
        if filters.town_kind:
            town = town.where(Municipality.kind == filters.town_kind)
        if filters.prefecture:
            town = town.join(Prefecture, Prefecture.id == Municipality.prefecture_id).where(
                Prefecture.code == filters.prefecture)
        stmt = stmt.where(UseCase.municipality_id.in_(town))
    if filters.topic:
        stmt = stmt.where(UseCase.topics.any(Topic.slug == filters.topic))
    if filters.band:
        stmt = stmt.where(UseCase.population_band == filters.band)
    if filters.kind:
        stmt = stmt.where(UseCase.kind == filters.kind)
    if filters.fy is not None:
        start, end = fiscal.moment_bounds(filters.fy)
        stmt = stmt.where(UseCase.published_at >= start, UseCase.published_at < end)
    words = search_words(filters.q)
    if words:
        dialect = db.session.get_bind().dialect.name
        stmt = stmt.where(*(_word_matches(word, dialect) for word in words))
    return stmt.order_by(UseCase.published_at.desc(), UseCase.id.desc())


def publication_years(today=None) -> list[int]:
    """The fiscal years a use case could have been published in, newest first: from the
    year of the first published one to this year (this year alone when none is)."""
    first = db.session.scalar(sa.select(sa.func.min(UseCase.published_at)).where(_public()))
    this_year = fiscal.fiscal_year(today or today_in_japan())
    years = [fiscal.fiscal_year_of_moment(first)] if first is not None else []
    return list(reversed(fiscal.span(years, this_year)))


def published_use_case(use_case_id: int) -> UseCase | None:
    """The use case for its public page, or None when there is none or it is not public."""
    return db.session.scalar(
        sa.select(UseCase).where(UseCase.id == use_case_id, _public())
        .options(joinedload(UseCase.municipality).joinedload(Municipality.prefecture),
                 selectinload(UseCase.topics), selectinload(UseCase.links), selectinload(UseCase.attachments)))


def newest(limit: int = FEED_ENTRIES) -> list[UseCase]:
    """The newest published use cases, for the feed."""
    return list(db.session.scalars(
        sa.select(UseCase).where(_public())
        .options(joinedload(UseCase.municipality).joinedload(Municipality.prefecture),
                 selectinload(UseCase.topics))
        .order_by(UseCase.published_at.desc(), UseCase.id.desc()).limit(limit)))


def last_published_at() -> datetime | None:
    return db.session.scalar(sa.select(sa.func.max(UseCase.published_at)).where(_public()))


# -- towns like yours ---------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """A use case suggested to a town, and why: ``own`` (the town's own), ``alike`` (a
    town of the same kind and population band), ``near`` (the nearest others);
    ``distance_km`` from the town's office to the use case's town."""

    use_case: UseCase
    reason: str
    distance_km: float


def _topic_ids(topics: Iterable[Topic | str | int]) -> list[int]:
    ids, slugs = [], []
    for topic in topics:
        if isinstance(topic, Topic):
            ids.append(topic.id)
        elif isinstance(topic, int):
            ids.append(topic)
        elif topic:
            slugs.append(topic)
    if slugs:
        ids += db.session.scalars(sa.select(Topic.id).where(Topic.slug.in_(slugs))).all()
    return ids


def similar_use_cases(municipality: Municipality, topics: Iterable[Topic | str | int] = (),
                      limit: int = SUGGESTIONS) -> list[Suggestion]:
    """Published use cases for ``municipality`` to read, best first: its own (if any),
    then those of towns of the same kind and population band (same kind alone when the
    town's population is unknown), nearest first, then the nearest of the rest. One use
    case per town until every town had its turn, so one busy neighbour does not fill the
    list. With ``topics``, only use cases about one of them (none: an empty list).

    Each group is one query that lets the database order every published use case by an
    equirectangular distance (arithmetic both databases do, exact enough to rank places in
    Japan) and hand back a few; the true distance (haversine) is then computed for those
    few only. Then one query loads the chosen use cases (bench/bench_library.py)."""
    topic_list = list(topics)
    topic_ids = _topic_ids(topic_list) if topic_list else []
    if topic_list and not topic_ids:
        return []
    band = population_band(municipality.population)
    lat, lon = municipality.lat, municipality.lon
    stretch = math.cos(math.radians(lat))  # a degree of longitude, in degrees of latitude here
    dlat, dlon = Municipality.lat - lat, (Municipality.lon - lon) * stretch
    fetch = max(limit, 1) * 8  # enough for one per town, and a few towns more

    def rows(*conditions, by_distance: bool = True) -> list:
        stmt = (sa.select(UseCase.id, UseCase.municipality_id, Municipality.lat, Municipality.lon,
                          UseCase.published_at)
                .join(Municipality, Municipality.id == UseCase.municipality_id).where(_public(), *conditions))
        if topic_ids:
            stmt = stmt.where(UseCase.topics.any(Topic.id.in_(topic_ids)))
        order = (dlat * dlat + dlon * dlon,) if by_distance else ()
        return db.session.execute(
            stmt.order_by(*order, UseCase.published_at.desc(), UseCase.id.desc()).limit(fetch)).all()

    alike = [Municipality.kind == municipality.kind]
    if band is not None:
        alike.append(UseCase.population_band == band)
    other = UseCase.municipality_id != municipality.id
    groups = (
        ("own", rows(UseCase.municipality_id == municipality.id, by_distance=False)),
        ("alike", rows(other, *alike)),
        ("near", rows(other, sa.not_(sa.and_(*alike)) if band is None else sa.or_(
            Municipality.kind != municipality.kind, UseCase.population_band.is_distinct_from(band)))),
    )
    ranked = []
    for reason, found in groups:
        measured = [(haversine_km(lat, lon, row.lat, row.lon), row) for row in found]
        measured.sort(key=lambda item: (round(item[0], 3), -item[1].published_at.timestamp(), -item[1].id))
        ranked += [(row.id, row.municipality_id, reason, distance) for distance, row in measured]
    chosen: list[tuple[int, str, float]] = []
    towns: set[int] = set()
    skipped = []
    for use_case_id, town_id, reason, distance in ranked:
        if len(chosen) == limit:
            break
        if town_id in towns:
            skipped.append((use_case_id, reason, distance))
            continue
        towns.add(town_id)
        chosen.append((use_case_id, reason, distance))
    chosen += skipped[: limit - len(chosen)]
    if not chosen:
        return []
    loaded = {u.id: u for u in db.session.scalars(
        sa.select(UseCase).where(UseCase.id.in_([i for i, _r, _d in chosen]))
        .options(joinedload(UseCase.municipality).joinedload(Municipality.prefecture),
                 selectinload(UseCase.topics)))}
    return [Suggestion(loaded[i], reason, distance) for i, reason, distance in chosen if i in loaded]


def town_by_code(code: str | None) -> Municipality | None:
    """The municipality of a 6-digit code typed or chosen in a form, or None."""
    code = (code or "").strip()
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return None
    return db.session.scalar(sa.select(Municipality).where(Municipality.code == code))

