"""Importing CSV files: municipalities' open-data status (the national survey), communities
and evangelist candidates. ``evangelists.imports`` reads and checks the file and plans the
changes; this module gives it the current state and writes the plan.

``dry_run`` changes nothing. ``apply`` checks the file again against the database as it is
now and, only when there is no problem at all, writes every change in one transaction
with one audit event for the whole import; any problem (or a failure half way) leaves
the database as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import (
    Community,
    CommunityStatusChange,
    Evangelist,
    Municipality,
    Topic,
    User,
)
from app.services.audit import record_event
from evangelists import imports as core
from evangelists.imports import Change, Notice, Parsed, Plan, Problem

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

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changes_anything(self) -> bool:
        return bool(self.created or self.updated)


def dry_run(kind: str, data: bytes, *, progress: Progress = _no_progress) -> Report:
    """Check ``data`` as a ``kind`` file and say what importing it would change. Writes
    nothing."""
    return _report(*_check(kind, data, progress))


def apply(actor: User | str | None, kind: str, data: bytes, *, address: str | None = None,
          progress: Progress = _no_progress) -> Report:
    """Check ``data`` again and, if there is no problem, write every change in one
    transaction with one ``import.applied`` audit event. With any problem, nothing is
    written and the report lists the problems (``applied`` is False). ``actor`` is the
    coordinator, or None for the command line."""
    parsed, plan = _check(kind, data, progress)
    report = _report(parsed, plan)
    if not report.ok:
        return report
    try:
        WRITERS[kind](actor, parsed, plan, progress)
        record_event(actor, "import.applied", "import", after={
            "kind": kind, "encoding": parsed.encoding, "rows": parsed.row_count,
            "created": report.created, "updated": report.updated, "unchanged": report.unchanged,
            "skipped": report.skipped, "notices": len(report.notices),
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
        problems=parsed.problems,
        notices=parsed.notices + plan.notices,
        ignored_columns=parsed.ignored_columns,
        created=plan.created,
        updated=plan.updated,
        unchanged=plan.unchanged,
        skipped=skipped,
        sample=tuple(c for c in plan.changes if c.action != "unchanged")[:SAMPLE_SIZE],
    )


def _check(kind: str, data: bytes, progress: Progress) -> tuple[Parsed, Plan | None]:
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
    if not parsed.ok:
        return parsed, None
    return parsed, PLANNERS[kind](parsed.rows)


# --- Current state, as the core's dataclasses ----------------------------------------------


def _plan_municipality_status(rows: Sequence[core.StatusRow]) -> Plan:
    codes = {row.code for row in rows}
    current = {
        m.code: core.MunicipalityState(m.code, m.name, m.open_data_status, m.engagement_stage, m.open_data_since)
        for m in _municipalities(codes).values()
    }
    return core.plan_municipality_status(rows, current)


def _plan_communities(rows: Sequence[core.CommunityRow]) -> Plan:
    current = {}
    for c, code in db.session.execute(
        sa.select(Community, Municipality.code).join(Community.municipality).order_by(Community.id)
    ):
        state = core.CommunityState(c.name, code, c.website, c.status, c.member_count, c.contact_email,
                                    c.description)
        current.setdefault(core.name_key(c.name), state)
    return core.plan_communities(rows, current)


def _plan_candidates(rows: Sequence[core.CandidateRow]) -> Plan:
    current = {}
    for e in _evangelists_named(rows):
        key = core.candidate_key(e.family_name, e.given_name, e.home_municipality.code)
        state = core.EvangelistState(
            e.family_name, e.given_name, e.home_municipality.code, e.status,
            e.home_community.name if e.home_community else None, tuple(t.slug for t in e.skills),
        )
        current.setdefault(key, state)
    return core.plan_candidates(rows, current)


PLANNERS: dict[str, Callable[[Sequence], Plan]] = {
    "municipality_status": _plan_municipality_status,
    "communities": _plan_communities,
    "candidates": _plan_candidates,
}


def _municipalities(codes: Iterable[str]) -> dict[str, Municipality]:
    codes = sorted(set(codes))
    found: dict[str, Municipality] = {}
    # In slices: a long IN list is fine, but SQLite limits bound parameters per statement.
    for start in range(0, len(codes), 500):
        for m in db.session.scalars(sa.select(Municipality).where(Municipality.code.in_(codes[start:start + 500]))):
            found[m.code] = m
    return found


def _evangelists_named(rows: Sequence[core.CandidateRow]) -> list[Evangelist]:
    """Everyone whose family name appears in ``rows`` (with what the plan compares),
    ordered by id so the oldest record wins when two people share a key."""
    family_names = sorted({row.family_name for row in rows})
    people: list[Evangelist] = []
    for start in range(0, len(family_names), 500):
        people += db.session.scalars(
            sa.select(Evangelist)
            .where(Evangelist.family_name.in_(family_names[start:start + 500]))
            .options(
                selectinload(Evangelist.home_municipality),
                selectinload(Evangelist.home_community),
                selectinload(Evangelist.skills),
            )
        )
    return sorted(people, key=lambda e: e.id)


# --- Writing a plan ----------------------------------------------------------------------


def _changes(plan: Plan) -> list[Change]:
    return [c for c in plan.changes if c.action != "unchanged"]


def _write_municipality_status(actor, parsed: Parsed, plan: Plan, progress: Progress) -> None:
    changes = _changes(plan)
    towns = _municipalities(c.key for c in changes)
    for change in progress("applying", changes):
        town = towns[change.key]
        for field in change.fields:
            setattr(town, field.field, field.after)
    db.session.flush()


def _write_communities(actor, parsed: Parsed, plan: Plan, progress: Progress) -> None:
    changes = _changes(plan)
    codes = {f.after for c in changes for f in c.fields if f.field == "municipality_code"}
    towns = _municipalities(codes)
    existing = {c.name: c for c in db.session.scalars(
        sa.select(Community).where(Community.name.in_([c.key for c in changes if c.action == "update"]))
    )}
    today = date.today()
    changed_by = actor.id if isinstance(actor, User) else None
    for change in progress("applying", changes):
        values = {f.field: f.after for f in change.fields}
        if change.action == "create":
            town = towns[values.pop("municipality_code")]
            status = values.pop("status", "active")
            community = Community(
                name=values.pop("name"), municipality=town, lat=town.lat, lon=town.lon,
                status=status, status_since=today,
                status_history=[CommunityStatusChange(status=status, since=today, changed_by_id=changed_by)],
                **values,
            )
            db.session.add(community)
            continue
        community = existing[change.key]
        for name, value in values.items():
            if name == "municipality_code":
                town = towns[value]
                community.municipality = town
                if community.location_source == "municipality":
                    community.lat, community.lon = town.lat, town.lon
            elif name == "status":
                community.status = value
                community.status_since = today
                community.status_history.append(
                    CommunityStatusChange(status=value, since=today, changed_by_id=changed_by)
                )
            else:
                setattr(community, name, value)
    db.session.flush()


def _write_candidates(actor, parsed: Parsed, plan: Plan, progress: Progress) -> None:
    changes = _changes(plan)
    rows = {row.line: row for row in parsed.rows}
    towns = _municipalities(rows[c.line].municipality_code for c in changes)
    communities = {c.name: c for c in db.session.scalars(
        sa.select(Community).where(Community.name.in_({rows[c.line].community for c in changes} - {None}))
    )}
    topics = {t.slug: t for t in db.session.scalars(sa.select(Topic))}
    people = {
        core.candidate_key(e.family_name, e.given_name, e.home_municipality.code): e
        for e in reversed(_evangelists_named([rows[c.line] for c in changes if c.action == "update"]))
    }
    for change in progress("applying", changes):
        row = rows[change.line]
        values = {f.field: f.after for f in change.fields}
        if change.action == "create":
            town = towns[row.municipality_code]
            person = Evangelist(
                family_name=row.family_name, given_name=row.given_name, status="candidate",
                home_municipality=town, lat=town.lat, lon=town.lon,
            )
            db.session.add(person)
        else:
            person = people[core.candidate_key(row.family_name, row.given_name, row.municipality_code)]
        if "community" in values:
            person.home_community = communities[values["community"]]
        if "skills" in values:
            person.skills = [topics[slug] for slug in values["skills"]]
    db.session.flush()


WRITERS = {
    "municipality_status": _write_municipality_status,
    "communities": _write_communities,
    "candidates": _write_candidates,
}
