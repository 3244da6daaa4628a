"""Importing CSV files: municipalities' open-data status (the national survey), communities
and evangelist candidates. ``evangelists.imports`` reads and checks the file and plans the
changes; this module gives it the current state and writes the plan.

``dry_run`` changes nothing. ``apply`` checks the file again against the database as it is
now and, only when there is no problem at all, writes every change in one transaction
with one audit event for the whole import; any problem (or a failure half way) leaves
the database as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Community,
    CommunityStatusChange,
    Evangelist,
    Municipality,
    Prefecture,
    Topic,
    User,
    evangelist_skills,
)
from app.models.network import name_keys
from app.models.system import note_write
from app.services import search
from app.services.audit import record_event
from app.services.duplicates import people_index
from app.services.regions import evangelists_visible, scope_of
from evangelists import imports as core
from evangelists.calendar import today_in_japan, utc_now
from evangelists.collector import collector_paused
from evangelists.duplicates import SHOWN, Someone
from evangelists.imports import Change, Duplicate, Notice, Parsed, Plan, Problem

KINDS = core.KINDS
SAMPLE_SIZE = 20

Progress = Callable[[str, Sequence], Iterable]


def _no_progress(_label: str, items: Sequence) -> Iterable:
    return items


@dataclass(frozen=True)
class Report:
    """What an import would do (a dry run) or did (``applied``).

    ``problems`` stop the import; ``notices`` do not (a town kept active, a prefecture's
    row skipped...). The counts are for the rows without problems; ``sample`` holds the
    first ``SAMPLE_SIZE`` rows that create or update something.
    """

    kind: str
    encoding: str | None
    rows: int
    problems: tuple[Problem, ...] = ()
    notices: tuple[Notice, ...] = ()
    ignored_columns: tuple[str, ...] = ()
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    sample: tuple[Change, ...] = ()
    applied: bool = False
    duplicates: tuple[Duplicate, ...] = ()  # rows whose new person may be someone we have
    asked: int = 0  # of those, the rows nobody has decided about yet

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changes_anything(self) -> bool:
        return bool(self.created or self.updated or self.asked)

    @property
    def needs_decisions(self) -> bool:
        """Some row's person may already be there and nobody said what to do: not applied."""
        return self.ok and self.asked > 0


@dataclass(frozen=True)
class Decisions:
    """What to do with the rows whose new person may already be in the network
    (``evangelists.imports.DUPLICATE_CHOICES``): by line, else ``default`` (None: ask)."""

    by_line: Mapping[int, str] = field(default_factory=dict)
    default: str | None = None


ASK = Decisions()


def dry_run(kind: str, data: bytes, *, progress: Progress = _no_progress, decisions: Decisions = ASK,
            regions: frozenset[str] | None = None) -> Report:
    """Check ``data`` as a ``kind`` file and say what importing it would change. Writes
    nothing. ``regions`` (a regional coordinator's) refuses the rows of towns outside them."""
    with collector_paused():
        return _report(*_check(kind, data, progress, decisions, regions))


def apply(actor: User | str | None, kind: str, data: bytes, *, address: str | None = None,
          progress: Progress = _no_progress, today: date | None = None, decisions: Decisions = ASK) -> Report:
    """Check ``data`` again and, if there is no problem, write every change in one
    transaction with one ``import.applied`` audit event. With any problem, nothing is
    written and the report lists the problems (``applied`` is False). Nothing is written
    either while a row's new person may already be in the network and ``decisions`` says
    nothing about it (``needs_decisions``): nobody is imported twice unasked. ``actor`` is
    the coordinator, or None for the command line. ``today`` (Japan's; default
    ``today_in_japan()``) dates a new community's status."""
    with collector_paused():
        regions = scope_of(actor).regions if isinstance(actor, User) else None
        return _apply(actor, kind, data, address, progress, today or today_in_japan(), decisions, regions)


def _apply(actor: User | str | None, kind: str, data: bytes, address: str | None, progress: Progress,
           today: date, decisions: Decisions, regions: frozenset[str] | None = None) -> Report:
    parsed, plan = _check(kind, data, progress, decisions, regions)
    report = _report(parsed, plan)
    if not report.ok or report.needs_decisions:
        return report
    try:
        WRITERS[kind](actor, parsed, plan, progress, today)
        record_event(actor, "import.applied", "import", after={
            "kind": kind, "encoding": parsed.encoding, "rows": parsed.row_count,
            "created": report.created, "updated": report.updated, "unchanged": report.unchanged,
            "skipped": report.skipped, "notices": len(report.notices),
            **({"imported_as_new": [d.line for d in report.duplicates if d.decision == "new"],
                "left_out": [d.line for d in report.duplicates if d.decision == "skip"],
                "matched_people": sorted({p.id for d in report.duplicates for p in d.people})}
               if report.duplicates else {}),
        }, client_address=address)
        db.session.commit()
    except sa.exc.IntegrityError:
        # Someone else changed the same rows meanwhile (two imports of one community).
        db.session.rollback()
        return replace(report, problems=(Problem(0, "", "conflict"),))
    except Exception:
        db.session.rollback()
        raise
    return replace(report, applied=True)


def _report(parsed: Parsed, plan: Plan | None) -> Report:
    skipped = sum(1 for n in parsed.notices if n.code == "prefecture_skipped")
    if plan is None:
        return Report(parsed.kind, parsed.encoding, parsed.row_count, parsed.problems, parsed.notices,
                      parsed.ignored_columns, skipped=skipped)
    return Report(
        kind=parsed.kind,
        encoding=parsed.encoding,
        rows=parsed.row_count,
        problems=parsed.problems + plan.problems,
        notices=parsed.notices + plan.notices,
        ignored_columns=parsed.ignored_columns,
        created=plan.created,
        updated=plan.updated,
        unchanged=plan.unchanged,
        skipped=skipped + plan.skipped,
        sample=tuple(c for c in plan.changes if c.action in ("create", "update"))[:SAMPLE_SIZE],
        duplicates=plan.duplicates,
        asked=plan.asked,
    )


def _check(kind: str, data: bytes, progress: Progress, decisions: Decisions = ASK,
           regions: frozenset[str] | None = None) -> tuple[Parsed, Plan | None]:
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    known_codes = set(db.session.scalars(sa.select(Municipality.code)))
    known_communities = (
        list(db.session.scalars(sa.select(Community.name))) if kind == "candidates" else ()
    )
    topics = list(db.session.scalars(sa.select(Topic.slug).order_by(Topic.position)))
    parsed = core.parse(
        kind, data, known_codes=known_codes, known_communities=known_communities, topics=topics,
        progress=lambda items: progress("checking", items),
    )
    if regions is not None:
        parsed = _outside_regions(parsed, regions)
    if not parsed.ok:
        return parsed, None
    if kind == "candidates":
        return parsed, _plan_candidates(parsed.rows, decisions)
    return parsed, PLANNERS[kind](parsed.rows)


def people_outside(user: User, report: Report) -> frozenset[int]:
    """The possible duplicates of ``report`` that ``user`` (a regional coordinator) may
    not see: the page names their region only."""
    scope = scope_of(user)
    ids = {p.id for d in report.duplicates for p in d.people}
    if scope.national or not ids:
        return frozenset()
    return frozenset(ids) - frozenset(db.session.scalars(
        sa.select(Evangelist.id).where(Evangelist.id.in_(ids), evangelists_visible(scope))))


def _outside_regions(parsed: Parsed, regions: frozenset[str]) -> Parsed:
    """``parsed`` with a problem on each row whose town lies outside ``regions`` (a regional
    coordinator imports their regions' rows only)."""
    field = "code" if parsed.kind == "municipality_status" else "municipality_code"
    inside = set(db.session.scalars(
        sa.select(Municipality.code).join(Prefecture).where(Prefecture.region.in_(sorted(regions)))))
    header = dict(parsed.columns).get(field, field)
    outside = tuple(Problem(row.line, header, "outside_regions", (("code", getattr(row, field)),))
                    for row in parsed.rows if getattr(row, field) not in inside)
    if parsed.kind in ("communities", "candidates"):
        # A community is matched by its name, across the country: one of another region
        # is neither changed nor joined from here (and its values are not shown).
        named = "name" if parsed.kind == "communities" else "community"
        elsewhere = set(db.session.scalars(
            sa.select(Community.name).join(Municipality, Community.municipality_id == Municipality.id)
            .join(Prefecture).where(Prefecture.region.not_in(sorted(regions)))))
        header = dict(parsed.columns).get(named, named)
        outside += tuple(Problem(row.line, header, "community_elsewhere") for row in parsed.rows
                         if getattr(row, named) and getattr(row, named) in elsewhere)
    return replace(parsed, problems=parsed.problems + outside) if outside else parsed


# --- Current state, as the core's dataclasses ----------------------------------------------
#
# Every read is a few statements whatever the size of the file: whole tables of columns
# (municipalities, communities, topics are small; so is the network's list of people), not
# one query per row and not ORM objects, which cost far more to build than the rows they
# hold. tests/services/test_imports_exports.py counts the statements.


def _plan_municipality_status(rows: Sequence[core.StatusRow]) -> Plan:
    current = {
        code: core.MunicipalityState(code, name, status, stage, since)
        for code, name, status, stage, since in db.session.execute(sa.select(
            Municipality.code, Municipality.name, Municipality.open_data_status, Municipality.engagement_stage,
            Municipality.open_data_since))
    }
    return core.plan_municipality_status(rows, current)


def _plan_communities(rows: Sequence[core.CommunityRow]) -> Plan:
    current = {}
    for name, code, website, status, members, email, description in db.session.execute(
        sa.select(Community.name, Municipality.code, Community.website, Community.status, Community.member_count,
                  Community.contact_email, Community.description)
        .join(Community.municipality).order_by(Community.id)
    ):
        state = core.CommunityState(name, code, website, status, members, email, description)
        current.setdefault(core.name_key(name), state)
    return core.plan_communities(rows, current)


@dataclass(frozen=True)
class _Person:
    id: int
    state: core.EvangelistState


def _plan_candidates(rows: Sequence[core.CandidateRow], decisions: Decisions = ASK) -> Plan:
    current = {key: person.state for key, person in _people(rows).items()}
    return core.plan_candidates(rows, current, _similar(rows, current), decisions.by_line, decisions.default)


def _similar(rows: Sequence[core.CandidateRow], current: Mapping) -> dict[int, tuple[core.SimilarPerson, ...]]:
    """For each row that would add a person, the people we have who may be them
    (``evangelists.duplicates``, as for a nomination), by line."""
    new = [row for row in rows if row.family_name_kana and row.given_name_kana
           and core.candidate_key(row.family_name, row.given_name, row.municipality_code) not in current]
    if not new:
        return {}
    communities = (dict(db.session.execute(sa.select(Community.name, Community.id)).all())
                   if any(row.community for row in new) else {})
    someone = [Someone(row.family_name, row.given_name, row.family_name_kana, row.given_name_kana,
                       communities.get(row.community) if row.community else None,
                       frozenset({row.email} if row.email else ()))
               for row in new]
    index = people_index(someone)
    found = {}
    for row, person in zip(new, someone, strict=True):
        matches = index.matches(person, limit=SHOWN)
        if matches:
            found[row.line] = tuple(
                core.SimilarPerson(m.person_id, _label(index.people[m.person_id]), m.reasons) for m in matches)
    return found


def _label(person: Someone) -> str:
    return f"{person.family_name} {person.given_name}"


PLANNERS: dict[str, Callable[[Sequence], Plan]] = {
    "municipality_status": _plan_municipality_status,
    "communities": _plan_communities,
    "candidates": _plan_candidates,
}

# Above this many distinct family names in a file, reading everyone is cheaper than a
# long IN list (and SQLite limits bound parameters per statement).
_FEW_NAMES = 500


def _people(rows: Sequence[core.CandidateRow]) -> dict[tuple[str, str, str], _Person]:
    """The people ``rows`` may name, by ``candidate_key``; when two share a key the oldest
    record (lowest id) wins. Two statements: the people, then their skills."""
    family_names = sorted({row.family_name for row in rows})
    if not family_names:
        return {}
    named = Evangelist.family_name.in_(family_names) if len(family_names) <= _FEW_NAMES else sa.true()
    skills: dict[int, list[str]] = {}
    for person_id, slug in db.session.execute(
        sa.select(evangelist_skills.c.evangelist_id, Topic.slug).join(Topic)
        .join(Evangelist, Evangelist.id == evangelist_skills.c.evangelist_id).where(named)
        .order_by(evangelist_skills.c.evangelist_id, Topic.position)
    ):
        skills.setdefault(person_id, []).append(slug)
    found: dict[tuple[str, str, str], _Person] = {}
    for person_id, family, given, code, status, community, family_kana, given_kana in db.session.execute(
        sa.select(Evangelist.id, Evangelist.family_name, Evangelist.given_name, Municipality.code,
                  Evangelist.status, Community.name, Evangelist.family_name_kana, Evangelist.given_name_kana)
        .join(Evangelist.home_municipality).outerjoin(Evangelist.home_community)
        .where(named)
        .order_by(Evangelist.id)
    ):
        state = core.EvangelistState(family, given, code, status, community, tuple(skills.get(person_id, ())),
                                     family_kana, given_kana)
        found.setdefault(core.candidate_key(family, given, code), _Person(person_id, state))
    return found


# --- Writing a plan ----------------------------------------------------------------------
#
# In bulk, still in the caller's one transaction: one INSERT per table for all new rows
# (PostgreSQL: COPY on the session's connection; SQLite: one executemany), and one UPDATE
# per set of changed columns (PostgreSQL: UPDATE ... FROM unnest(arrays)). ORM objects, built and flushed
# one by one, cost a hundred times more (100,000 rows: minutes). The page cache's data
# version must still go up at commit (app/models/system.py): statements that go through
# the session are seen by its hooks; COPY and SQLite's executemany run on the session's
# connection and call ``note_write``. Model defaults are read from the columns, so a row
# written here is the row the ORM would have written.


def _changes(plan: Plan) -> list[Change]:
    return [c for c in plan.changes if c.action in ("create", "update")]


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _column_defaults(table: sa.Table, given: Iterable[str], now: datetime) -> dict[str, object]:
    """The values the ORM would give the columns of ``table`` not in ``given``: each
    column's Python default (timestamps: ``now``, one instant for the whole import)."""
    values: dict[str, object] = {}
    for column in table.columns:
        if column.name in given or column.default is None or column.primary_key:
            continue
        if column.name in ("created_at", "updated_at"):
            values[column.name] = now
        elif column.default.is_scalar:
            values[column.name] = column.default.arg
        elif column.default.is_callable:
            values[column.name] = column.default.arg(None)
    return values


def _bound(table: sa.Table, rows: list[dict]) -> list[dict]:
    """``rows`` with each value as the driver takes it (the column type's bind processing:
    dates and timestamps on SQLite, JSON, UTC), computed once per distinct value."""
    dialect = db.session.get_bind().dialect
    processors = {}
    for name in rows[0]:
        processor = table.c[name].type._cached_bind_processor(dialect)
        if processor is not None:
            processors[name] = (processor, {})
    if not processors:
        return rows
    out = []
    for row in rows:
        row = dict(row)
        for name, (processor, memo) in processors.items():
            value = row[name]
            try:
                row[name] = memo[value]
            except KeyError:
                row[name] = memo[value] = processor(value)
            except TypeError:  # not hashable (a list for a JSON column)
                row[name] = processor(value)
        out.append(row)
    return out


def _sql_type(column: sa.Column) -> str:
    """The column's type for a CAST of an array: without its collation (``name_sort`` is
    ``COLLATE "C"`` on PostgreSQL), which an array type cannot carry."""
    return re.sub(r' COLLATE "[^"]*"', "", column.type.compile(dialect=db.session.get_bind().dialect))


def _insert(table: sa.Table, rows: list[dict], *, ids: bool = False) -> list[int]:
    """INSERT ``rows`` (dicts with the same keys) into ``table``; with ``ids``, the new
    rows' ids in the order of ``rows``."""
    if not rows:
        return []
    new_ids: list[int] = []
    if _postgresql():
        if ids:
            new_ids = sorted(db.session.scalars(
                sa.text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
                {"table": table.name, "n": len(rows)}))
            rows = [{"id": new_id, **row} for new_id, row in zip(new_ids, rows, strict=True)]
        rows = _bound(table, rows)
        names = list(rows[0])
        # COPY: the rows stream in PostgreSQL's own format, no statement to parse or
        # plan per row, no parameter arrays for the driver to build.
        sql = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
        driver = db.session.connection().connection.driver_connection
        note_write(db.session())
        try:
            with driver.cursor() as cursor, cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(tuple(row[n] for n in names))
        except driver.IntegrityError as error:  # as SQLAlchemy would raise it (a clash: see apply)
            raise sa.exc.IntegrityError(sql, None, error) from error
        return new_ids
    names = list(rows[0])
    _executemany(f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
                 [tuple(row[n] for n in names) for row in _bound(table, rows)])
    if ids:
        # SQLite gives each new row max(id) + 1, and this transaction has held the only
        # write lock since its first insert: the newest len(rows) ids are these rows'.
        new_ids = list(db.session.scalars(
            sa.text(f"SELECT id FROM {table.name} ORDER BY id DESC LIMIT :n"), {"n": len(rows)}))[::-1]
    return new_ids


def _update(table: sa.Table, rows: list[dict]) -> None:
    """UPDATE ``table`` by id: each dict holds ``id`` and the new values. Rows that set
    the same columns go in one statement."""
    groups: dict[tuple[str, ...], list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(row), []).append(row)
    for names, group in groups.items():
        group = _bound(table, group)
        fields = [n for n in names if n != "id"]
        if _postgresql():
            arrays = ", ".join(f"CAST(:c{i} AS {_sql_type(table.c[n])}[])" for i, n in enumerate(names))
            sets = ", ".join(f"{n} = u.{n}" for n in fields)
            db.session.execute(
                sa.text(f"UPDATE {table.name} SET {sets} FROM unnest({arrays}) AS u({', '.join(names)}) "
                        f"WHERE {table.name}.id = u.id"),
                {f"c{i}": [row[n] for row in group] for i, n in enumerate(names)},
            )
        else:
            sets = ", ".join(f"{n} = ?" for n in fields)
            _executemany(f"UPDATE {table.name} SET {sets} WHERE id = ?",
                         [(*(row[n] for n in fields), row["id"]) for row in group])


def _delete(table: sa.Table, column: str, values: list[int]) -> None:
    """DELETE the rows of ``table`` whose ``column`` is one of ``values``."""
    if not values:
        return
    if _postgresql():
        db.session.execute(sa.text(f"DELETE FROM {table.name} WHERE {column} = ANY(:values)"),
                           {"values": list(values)})
    else:
        _executemany(f"DELETE FROM {table.name} WHERE {column} = ?", [(v,) for v in values])


def _executemany(sql: str, rows: list[tuple]) -> None:
    """SQLite: one executemany of plain tuples on the session's connection (SQLAlchemy's
    per-row parameter handling would take longer than SQLite's work), counted as a write
    of the session's transaction for the page cache."""
    db.session.connection().exec_driver_sql(sql, rows)
    note_write(db.session())


def _towns() -> dict[str, sa.Row]:
    return {t.code: t for t in db.session.execute(
        sa.select(Municipality.id, Municipality.code, Municipality.lat, Municipality.lon))}


def _write_municipality_status(actor, parsed: Parsed, plan: Plan, progress: Progress, today: date) -> None:
    towns = _towns()
    now = utc_now()
    _update(Municipality.__table__, [
        {"id": towns[change.key].id, **{f.field: f.after for f in change.fields}, "updated_at": now}
        for change in progress("applying", _changes(plan))
    ])


SEARCHED_COMMUNITY_COLUMNS = {"name", "contact_email", "municipality_id"}  # in its search documents


def _write_communities(actor, parsed: Parsed, plan: Plan, progress: Progress, today: date) -> None:
    changes = _changes(plan)
    towns = _towns()
    existing = {c.name: c for c in db.session.execute(
        sa.select(Community.id, Community.name, Community.location_source))}
    now = utc_now()
    changed_by = actor.id if isinstance(actor, User) else None
    table = Community.__table__
    created: list[dict] = []
    created_status: list[str] = []
    new_ids: list[int] = []
    updated: list[dict] = []
    history: list[dict] = []
    for change in progress("applying", changes):
        values = {f.field: f.after for f in change.fields}
        if change.action == "create":
            town = towns[values.pop("municipality_code")]
            status = values.pop("status", "active")
            created.append({"name": values.pop("name"), "municipality_id": town.id, "lat": town.lat,
                            "lon": town.lon, "status": status, "status_since": today, **values})
            created_status.append(status)
            continue
        community = existing[change.key]
        row = {"id": community.id}
        for name, value in values.items():
            if name == "municipality_code":
                town = towns[value]
                row["municipality_id"] = town.id
                if community.location_source == "municipality":
                    row["lat"], row["lon"] = town.lat, town.lon
            elif name == "status":
                row["status"], row["status_since"] = value, today
                history.append({"community_id": community.id, "status": value})
            else:
                row[name] = value
        row["updated_at"] = now
        updated.append(row)
    if created:
        # Every new row gets every column (the model's defaults for those not given), so
        # the rows share one INSERT.
        absent = dict.fromkeys({name for row in created for name in row})
        defaults = _column_defaults(table, (), now)
        created = [{**absent, **defaults, **row} for row in created]
        ids = new_ids = _insert(table, created, ids=True)
        history = [{"community_id": new_id, "status": status}
                   for new_id, status in zip(ids, created_status, strict=True)] + history
    _update(table, updated)
    # Written around the session's flush: the search documents are rewritten here, in
    # the same transaction.
    search.reindex_in(db.session, "community", [*new_ids, *(row["id"] for row in updated
                                                            if SEARCHED_COMMUNITY_COLUMNS & row.keys())])
    if history:
        status_table = CommunityStatusChange.__table__
        given = ("community_id", "status", "since", "changed_by_id")
        defaults = _column_defaults(status_table, given, now)
        _insert(status_table, [{**row, "since": today, "changed_by_id": changed_by, **defaults} for row in history])


def _write_candidates(actor, parsed: Parsed, plan: Plan, progress: Progress, today: date) -> None:
    changes = _changes(plan)
    rows = {row.line: row for row in parsed.rows}
    towns = _towns()
    communities = dict(db.session.execute(sa.select(Community.name, Community.id)).all())
    topics = dict(db.session.execute(sa.select(Topic.slug, Topic.id)).all())
    people = _people([rows[c.line] for c in changes if c.action == "update"])
    now = utc_now()
    table = Evangelist.__table__
    created: list[dict] = []
    created_skills: list[tuple[str, ...]] = []
    moved: list[dict] = []
    read: list[dict] = []  # readings given for people we have
    reskilled: dict[int, tuple[str, ...]] = {}
    for change in progress("applying", changes):
        row = rows[change.line]
        values = {f.field: f.after for f in change.fields}
        community_id = communities[values["community"]] if "community" in values else None
        if change.action == "create":
            town = towns[row.municipality_code]
            created.append({"family_name": row.family_name, "given_name": row.given_name, "status": "candidate",
                            "family_name_kana": row.family_name_kana, "given_name_kana": row.given_name_kana,
                            **name_keys(row.family_name, row.given_name, row.family_name_kana,
                                        row.given_name_kana),
                            "home_municipality_id": town.id, "lat": town.lat, "lon": town.lon,
                            "home_community_id": community_id})
            created_skills.append(values.get("skills", ()))
            continue
        person = people[core.candidate_key(row.family_name, row.given_name, row.municipality_code)]
        if "community" in values:
            moved.append({"id": person.id, "home_community_id": community_id, "updated_at": now})
        if "skills" in values:
            reskilled[person.id] = values["skills"]
        if "family_name_kana" in values or "given_name_kana" in values:
            state = person.state
            family_kana = values.get("family_name_kana", state.family_name_kana)
            given_kana = values.get("given_name_kana", state.given_name_kana)
            read.append({"id": person.id, "family_name_kana": family_kana, "given_name_kana": given_kana,
                         **name_keys(state.family_name, state.given_name, family_kana, given_kana),
                         "updated_at": now})
    skills = []
    ids: list[int] = []
    if created:
        defaults = _column_defaults(table, created[0].keys(), now)
        ids = _insert(table, [{**row, **defaults} for row in created], ids=True)
        skills += [{"evangelist_id": i, "topic_id": topics[slug]}
                   for i, slugs in zip(ids, created_skills, strict=True) for slug in slugs]
    _update(table, moved)
    _update(table, read)
    search.reindex_in(db.session, "evangelist", [*ids, *(row["id"] for row in read)])
    _delete(evangelist_skills, "evangelist_id", list(reskilled))
    skills += [{"evangelist_id": i, "topic_id": topics[slug]} for i, slugs in reskilled.items() for slug in slugs]
    _insert(evangelist_skills, skills)


WRITERS = {
    "municipality_status": _write_municipality_status,
    "communities": _write_communities,
    "candidates": _write_candidates,
}
