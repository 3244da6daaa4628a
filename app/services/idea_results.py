"""The open dialogue's results (issue 21, point 6): the Ideabox's own table of figures,
the participation by age band × gender, voice and prefecture with small groups hidden,
and the ideas as open data.

Definitions (the results pages say them too):

* **participants** — overall: the dialogue profiles registered and not withdrawn; of a
  theme: the people who posted an idea, commented or replied, or voted in the theme, each
  once, whatever a moderator did with the post later (``idea_theme_participants``, written
  with the activity; withdrawn ones included: their posts stay; their optional answers
  were deleted, so they count as not given);
* **ideas** — shown ideas (held for review and hidden ones are not counted);
* **comments** — the comments and replies counted on the shown ideas (each idea's
  ``comment_count``, which counts shown comments only);
* **votes** — the agree and disagree votes on the shown ideas (``agree_count`` +
  ``disagree_count``: one per person per idea, as they stand now);
* **viewers** — distinct readers per day, summed over the days (``app.services.idea_views``):
  a reader who comes back another day counts again; overall, a reader of several themes
  on one day counts once;
* **page views** — pages of the dialogue served to readers, robots left out.

The participation breakdowns count the same people as **participants**. A group of fewer
than ``SMALL_GROUP`` people is not shown: it is counted, with the people who did not
answer, in one figure 「回答なし・少数のため非表示」; when a breakdown would hide exactly one
group and nobody is "not answered", the next smallest group is hidden too, so that the
hidden one cannot be worked out from the total.

Costs: a fixed number of aggregate queries whatever the size (four for a theme, four
overall, and two for the view counts), over the indexes of migration 0024
(``ix_ideas_theme_*`` for a theme's ideas and their counters, ``idea_votes``' primary key
and ``ix_idea_comments_idea_created`` for a theme's participants). At ten times the
Ideabox's first phase they read tens of thousands of rows (a few hundred milliseconds on
SQLite), so what they make is kept until the data changes, the house way
(``app.services.versioned``): while nothing is written a results page costs the data
version's query and the two view counts.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Idea,
    IdeaPageViews,
    IdeaProfile,
    IdeaTheme,
    IdeaThemeParticipant,
    IdeaVisitor,
    Municipality,
    Prefecture,
    Topic,
    idea_topics,
)
from app.services.exports import BOM, cell
from app.services.versioned import until_data_changes
from evangelists.calendar import PROGRAMME_ZONE
from evangelists.ideas import SMALL_GROUP, VOICES, suppress_small
from evangelists.vocabulary import AGE_BANDS, GENDERS

LICENCE = "PDL1.0"
LICENCE_NAME = "公共データ利用規約（第1.0版） / Public Data License (Version 1.0)"
LICENCE_URL = "https://www.digital.go.jp/resources/open_data/public_data_license_v1.0"

# The open data's columns, in this order (machine names; a column may be added at the end,
# never renamed or removed). No personal data: no handle, account, e-mail, age band,
# gender or prefecture of anyone.
OPEN_DATA_COLUMNS = (
    "idea_id", "theme_id", "theme_title", "title", "body", "voice", "municipality_code",
    "municipality_name", "topics", "status", "answer", "answered_on", "agree", "disagree",
    "comments", "posted_on", "url",
)
CHUNK = 1000


@dataclass(frozen=True)
class Figures:
    """The Ideabox's own table."""

    participants: int
    ideas: int
    comments: int
    votes: int
    viewers: int
    page_views: int


@dataclass(frozen=True)
class Breakdown:
    """People by one attribute: ``rows`` (key, count) of the groups shown, in the
    vocabulary's order; ``hidden`` people in groups too small to show plus those who did
    not answer (``not_given`` of them)."""

    rows: tuple[tuple[str, int], ...]
    hidden: int
    not_given: int

    @property
    def shown(self) -> dict[str, int]:
        return dict(self.rows)


@dataclass(frozen=True)
class Grid:
    """People by age band × gender: ``cells`` holds the shown ones (None: hidden)."""

    cells: Mapping[tuple[str, str], int | None]
    hidden: int
    not_given: int

    def count(self, age_band: str, gender: str) -> int | None:
        return self.cells.get((age_band, gender))


@dataclass(frozen=True)
class ThemeLine:
    theme_id: int
    title: str
    ideas: int
    comments: int
    votes: int


@dataclass(frozen=True)
class Results:
    """The results of one theme (``theme_id`` set) or of the whole dialogue."""

    theme_id: int | None
    figures: Figures
    age_gender: Grid
    voices: Breakdown
    prefectures: Breakdown
    prefecture_names: Mapping[str, tuple[str, str]]  # code -> (name_ja, name_en)
    themes: tuple[ThemeLine, ...] = ()  # overall only: each theme's figures


# -- suppression ---------------------------------------------------------------------------


def hide_small(counts: Mapping, not_given: int, minimum: int = SMALL_GROUP) -> tuple[dict, int]:
    """``suppress_small`` (evangelists.ideas), and when it hides exactly one group and
    nobody is "not given", the smallest other group as well (else the total minus the
    shown groups would give the hidden one away). Returns the shown groups and the hidden
    people (small groups only; add ``not_given`` for the figure shown)."""
    shown, hidden = suppress_small(dict(counts), minimum)
    hidden_groups = [k for k, v in counts.items() if 0 < v < minimum]
    if len(hidden_groups) == 1 and not_given == 0:
        others = sorted((v, i) for i, (k, v) in enumerate(shown.items()) if v > 0)
        if others:
            value, index = others[0]
            del shown[list(shown)[index]]
            hidden += value
    return shown, hidden


def _breakdown(counts: Counter, order: Sequence[str], not_given: int, *, keep_zero: bool = True) -> Breakdown:
    full = {key: counts.get(key, 0) for key in order}
    shown, hidden = hide_small(full, not_given)
    rows = tuple((key, shown[key]) for key in order if key in shown and (keep_zero or shown[key] > 0))
    return Breakdown(rows, hidden + not_given, not_given)


def _grid(counts: Counter, not_given: int) -> Grid:
    full = {(a, g): counts.get((a, g), 0) for a in AGE_BANDS for g in GENDERS}
    shown, hidden = hide_small(full, not_given)
    cells = {key: shown.get(key) for key in full}
    return Grid(cells, hidden + not_given, not_given)


def _participation(rows) -> tuple[Grid, Breakdown, Breakdown, Mapping[str, tuple[str, str]]]:
    """The breakdowns from (age_band, gender, voice, prefecture_id, people) rows."""
    ages: Counter = Counter()
    voices: Counter = Counter()
    places: Counter = Counter()
    no_age = no_place = 0
    for age, gender, voice, prefecture_id, people in rows:
        if age and gender:
            ages[(age, gender)] += people
        else:
            no_age += people
        voices[voice] += people
        if prefecture_id is None:
            no_place += people
        else:
            places[prefecture_id] += people
    prefectures = db.session.execute(sa.select(Prefecture.id, Prefecture.code, Prefecture.name_ja,
                                               Prefecture.name_en).order_by(Prefecture.code)).all()
    by_code = Counter({p.code: places.get(p.id, 0) for p in prefectures})
    names = {p.code: (p.name_ja, p.name_en) for p in prefectures}
    return (_grid(ages, no_age), _breakdown(voices, VOICES, 0),
            _breakdown(by_code, [p.code for p in prefectures], no_place, keep_zero=False), names)


# -- the figures -------------------------------------------------------------------------------


def _post_counts(theme_id: int | None):
    stmt = sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Idea.comment_count), 0),
                     sa.func.coalesce(sa.func.sum(Idea.agree_count + Idea.disagree_count), 0)
                     ).where(Idea.visibility == "shown")
    if theme_id is not None:
        stmt = stmt.where(Idea.theme_id == theme_id)
    return db.session.execute(stmt).one()


def _views(theme_id: int | None) -> tuple[int, int]:
    if theme_id is None:
        daily = sa.select(IdeaVisitor.day, IdeaVisitor.visitor).distinct().subquery()
        viewers = db.session.scalar(sa.select(sa.func.count()).select_from(daily))
        views = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(IdeaPageViews.views), 0)))
    else:
        viewers = db.session.scalar(sa.select(sa.func.count()).select_from(IdeaVisitor)
                                    .where(IdeaVisitor.theme_id == theme_id))
        views = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(IdeaPageViews.views), 0))
                                  .where(IdeaPageViews.theme_id == theme_id))
    return int(viewers or 0), int(views or 0)


P = IdeaThemeParticipant
_GROUP = (IdeaProfile.age_band, IdeaProfile.gender, IdeaProfile.voice, IdeaProfile.prefecture_id)


def theme_results(theme_id: int, *, kept: bool = True) -> Results:
    """The results of one theme: its figures and who took part. The figures of the posts
    and the participation are kept until the data changes (``app.services.versioned``:
    one query while nothing is written); ``kept=False`` computes them afresh. The view
    counts are read on every call (they change without the data version)."""
    if kept:
        made = until_data_changes(("idea_results", theme_id), lambda: _theme_results(theme_id))
    else:
        made = _theme_results(theme_id)
    return _with_views(made, theme_id)


def overall_results(*, kept: bool = True) -> Results:
    """The results of the whole dialogue: every registered participant (not withdrawn),
    and each theme's figures; kept as ``theme_results`` is."""
    made = until_data_changes(("idea_results", None), _overall_results) if kept else _overall_results()
    return _with_views(made, None)


def _with_views(made: Results, theme_id: int | None) -> Results:
    viewers, views = _views(theme_id)
    return replace(made, figures=replace(made.figures, viewers=viewers, page_views=views))


def _theme_results(theme_id: int) -> Results:
    ideas, comments, votes = _post_counts(theme_id)
    # Who took part, by their groups, from one index (app.models.ideas.IdeaThemeParticipant).
    groups = (P.age_band, P.gender, P.voice, P.prefecture_id)
    rows = db.session.execute(sa.select(*groups, sa.func.count()).where(P.theme_id == theme_id)
                              .group_by(*groups)).all()
    grid, voices, prefectures, names = _participation(rows)
    people = sum(r[-1] for r in rows)
    return Results(theme_id, Figures(people, ideas, comments, votes, 0, 0), grid, voices, prefectures, names)


def _overall_results() -> Results:
    rows = db.session.execute(sa.select(*_GROUP, sa.func.count()).where(IdeaProfile.withdrawn_at.is_(None))
                              .group_by(*_GROUP)).all()
    grid, voices, prefectures, names = _participation(rows)
    people = sum(r[-1] for r in rows)
    counts = {theme_id: (ideas, comments, votes) for theme_id, ideas, comments, votes in db.session.execute(
        sa.select(Idea.theme_id, sa.func.count(), sa.func.coalesce(sa.func.sum(Idea.comment_count), 0),
                  sa.func.coalesce(sa.func.sum(Idea.agree_count + Idea.disagree_count), 0))
        .where(Idea.visibility == "shown").group_by(Idea.theme_id))}
    themes = db.session.execute(sa.select(IdeaTheme.id, IdeaTheme.title)
                                .order_by(IdeaTheme.opens_at.desc(), IdeaTheme.id.desc())).all()
    lines = tuple(ThemeLine(theme_id, title, *map(int, counts.get(theme_id, (0, 0, 0)))) for theme_id, title in themes)
    totals = [sum(line[i] for line in counts.values()) for i in range(3)]
    return Results(None, Figures(people, *map(int, totals), 0, 0), grid, voices, prefectures, names, lines)


# -- open data ---------------------------------------------------------------------------------


def _open_data_query(theme_id: int | None) -> sa.Select:
    stmt = (sa.select(Idea.id, Idea.theme_id, IdeaTheme.title, Idea.title, Idea.body, Idea.voice,
                      Municipality.code, Municipality.name, Idea.status, Idea.answer, Idea.answered_at,
                      Idea.agree_count, Idea.disagree_count, Idea.comment_count, Idea.created_at)
            .join(IdeaTheme, IdeaTheme.id == Idea.theme_id)
            .outerjoin(Municipality, Municipality.id == Idea.municipality_id)
            .where(Idea.visibility == "shown").order_by(Idea.id))
    if theme_id is not None:
        stmt = stmt.where(Idea.theme_id == theme_id)
    return stmt


def _day(moment: datetime | None) -> date | None:
    return None if moment is None else moment.astimezone(PROGRAMME_ZONE).date()


def open_data_rows(theme_id: int | None, idea_url: Callable[[int], str],
                   engine: sa.Engine | None = None) -> Iterator[dict]:
    """The shown ideas (of one theme, or all), oldest first, as dicts of
    ``OPEN_DATA_COLUMNS`` with stored codes (topics: a list of slugs), read ``CHUNK`` at
    a time with their topics (two statements per chunk). On a connection of its own
    (``engine``: the app's by default, taken now), so that a response can stream the
    rows after the request's context is gone."""
    return _rows(engine or db.engine, _open_data_query(theme_id), idea_url)


def _rows(engine: sa.Engine, stmt: sa.Select, idea_url: Callable[[int], str]) -> Iterator[dict]:
    with engine.connect() as connection:
        result = connection.execution_options(yield_per=CHUNK).execute(stmt)
        for partition in result.partitions(CHUNK):
            ids = [row[0] for row in partition]
            topics: dict[int, list[str]] = {}
            for idea_id, slug in connection.execute(
                    sa.select(idea_topics.c.idea_id, Topic.slug).join(Topic, Topic.id == idea_topics.c.topic_id)
                    .where(idea_topics.c.idea_id.in_(ids)).order_by(idea_topics.c.idea_id, Topic.position)):
                topics.setdefault(idea_id, []).append(slug)
            for (idea_id, theme, theme_title, title, body, voice, town_code, town_name, status, answer,
                 answered_at, agree, disagree, comments, created_at) in partition:
                yield {"idea_id": idea_id, "theme_id": theme, "theme_title": theme_title, "title": title,
                       "body": body, "voice": voice, "municipality_code": town_code,
                       "municipality_name": town_name, "topics": topics.get(idea_id, []), "status": status,
                       "answer": answer, "answered_on": _day(answered_at), "agree": agree,
                       "disagree": disagree, "comments": comments, "posted_on": _day(created_at),
                       "url": idea_url(idea_id)}


def open_data_csv(rows: Iterator[dict], *, header: Mapping[str, str] | None = None,
                  present: Mapping[str, Callable[[object], object]] | None = None) -> Iterator[str]:
    """CSV text in chunks: BOM, the header (column names, or ``header``'s words), one row
    per idea; ``present[column]`` turns a stored value into what is written (a word for
    a code). Cells as ``app.services.exports.cell`` writes them (formulas defused)."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([header.get(c, c) if header else c for c in OPEN_DATA_COLUMNS])
    present = present or {}

    def drain() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield BOM + drain()
    for count, row in enumerate(rows, 1):
        writer.writerow([cell(present[c](row[c]) if c in present and row[c] is not None else row[c])
                         for c in OPEN_DATA_COLUMNS])
        if count % CHUNK == 0:
            yield drain()
    yield drain()


def open_data_json(rows: Iterator[dict], metadata: Mapping[str, object]) -> Iterator[str]:
    """JSON in chunks: ``{"metadata": {...}, "ideas": [{column: value}, ...]}``, values
    as stored (dates ISO, topics a list of slugs)."""
    head = json.dumps(dict(metadata), ensure_ascii=False)
    yield '{"metadata": ' + head + ', "ideas": ['
    first = True
    for row in rows:
        item = {c: (row[c].isoformat() if isinstance(row[c], date) else row[c]) for c in OPEN_DATA_COLUMNS}
        yield ("" if first else ",") + "\n" + json.dumps(item, ensure_ascii=False)
        first = False
    yield "\n]}\n"


def licence_metadata(title: str, source_url: str, generated_on: date) -> dict:
    return {"title": title, "license": LICENCE, "license_name": LICENCE_NAME, "license_url": LICENCE_URL,
            "source": source_url, "generated_on": generated_on.isoformat(), "columns": list(OPEN_DATA_COLUMNS),
            "note": "Shown ideas only; no personal data (no names, handles, accounts, ages, genders or "
                    "prefectures of participants)."}
