"""CSV exports of every list, filtered as on screen, streamed in chunks.

Every file is UTF-8 with a byte-order mark (so that Excel in Japan opens it as UTF-8),
comma-separated with CRLF line ends, one header row of the column names below, then one
row per record. Dates are ISO (``2024-03-31``); timestamps ISO 8601 in Japan time with
their offset (``2024-03-31T09:30:00+09:00``); booleans ``true``/``false``; lists (topics,
skills, languages) slugs joined by ``;`` (the import's format); phone numbers as the pages
show them (03-1234-5678); empty cells mean "none".
A text cell that Excel would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return) gets a leading ``'``: request messages come from the public.

Column names are stable: a column may be added at the end, never renamed or removed.
That is the machine format. People get the same columns with headers and values in their
language (``header`` and ``present`` of ``export_csv``; the web layer makes them, see
``app.data.columns``).

``municipalities`` (filters of the public list: q, prefecture, open_data_status,
engagement_stage, kind; ordered by code)
    code, name, name_kana, name_romaji, prefecture_code, prefecture_name_ja,
    prefecture_name_en, kind, lat, lon, open_data_status, open_data_since, engagement_stage

``communities`` (prefecture, status; ordered by name)
    id, name, municipality_code, municipality_name, prefecture_code, status, status_since,
    member_count, website, contact_email, description, address, lat, lon, location_source

``evangelists`` (prefecture of the home municipality, community id, status; ordered by
family name, given name, id). Self-reported age band and gender are not exported
(diversity figures are aggregated in the dashboard), nor anything of the account but
its e-mail address.
    id, family_name, given_name, status, email, municipality_code, municipality_name,
    prefecture_code, community_id, community_name, skills, languages, capacity,
    travel_radius_km, online_ok, appointed_on, paused_until, lat, lon

``requests`` (filters of the coordinator queue: status, prefecture, topic; open requests
unless a status is chosen; new first, then oldest first). The status token's hash is
not exported.
    id, created_at, status, municipality_code, municipality_name, prefecture_code,
    contact_name, department, email, phone, preferred_mode, preferred_period, topics,
    message, decline_reason, closed_at

``visits`` (prefecture, from, to: the visit date; ordered by date, id)
    id, visited_on, mode, duration_minutes, attendee_count, attendee_departments, topics,
    summary, next_steps, assignment_id, request_id, evangelist_id, evangelist_name,
    municipality_code, municipality_name, prefecture_code

``outcomes`` (prefecture, from, to: the date achieved; ordered by date, id)
    id, type, count, achieved_on, evidence_url, note, visit_id, visited_on, request_id,
    evangelist_id, municipality_code, municipality_name, prefecture_code

Filters are the query parameters of the list's page; an empty value means "any", ``page``
is ignored (the export has every page). A parameter that is unknown or has a value the
list would not accept raises ``BadFilter`` naming it, before anything is streamed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, selectinload

from app.extensions import db
from app.models import (
    Assignment,
    Community,
    Evangelist,
    Municipality,
    Outcome,
    Prefecture,
    SupportRequest,
    Topic,
    Visit,
)
from app.services.geography import MunicipalityFilters, municipality_search
from app.services.requests import QueueFilters, request_queue
from evangelists.calendar import PROGRAMME_ZONE
from evangelists.contact import display_phone
from evangelists.limits import MUNICIPALITY_QUERY_MAX, OutOfRange, parse_date, read_id
from evangelists.vocabulary import (
    COMMUNITY_STATUSES,
    ENGAGEMENT_STAGES,
    EVANGELIST_STATUSES,
    MUNICIPALITY_KINDS,
    OPEN_DATA_STATUSES,
    REQUEST_STATUSES,
)

BOM = "\ufeff"
CHUNK_SIZE = 500
# "page" of a list; "format" is read by the web layer (app.data.columns.FORMAT_PARAMETER).
IGNORED_PARAMETERS = frozenset({"page", "format"})
# What the municipality list's search box accepts (app.public.forms).
MAX_QUERY_LENGTH = MUNICIPALITY_QUERY_MAX
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class BadFilter(ValueError):
    """A filter the export cannot use. ``code``: ``unknown_parameter``, ``bad_choice``,
    ``bad_date``, ``date_range`` (a date before 1900 or after 2100), ``date_order``
    (``from`` after ``to``), ``too_long``."""

    def __init__(self, parameter: str, code: str, value: str = "") -> None:
        super().__init__(f"{parameter}: {code} ({value!r})")
        self.parameter, self.code, self.value = parameter, code, value


@dataclass(frozen=True)
class Export:
    columns: tuple[str, ...]
    parameters: tuple[str, ...]
    query: Callable[[dict], sa.Select]
    row: Callable[[object, tzinfo], list]


def export_csv(kind: str, args: Mapping[str, str], *, tz: tzinfo = PROGRAMME_ZONE,
               chunk_size: int = CHUNK_SIZE, header: Mapping[str, str] | None = None,
               present: Callable[[str, object], object] | None = None) -> Iterator[str]:
    """The CSV text of the ``kind`` export for the query parameters ``args``, as a
    generator of chunks (the first starts with the BOM and the header). The filters are
    checked now, so a bad one raises ``BadFilter`` before the response starts; rows are
    read ``chunk_size`` at a time while the generator is consumed.

    By default the header is the column names and the values are the stored codes (the
    machine format). ``header`` maps column names to the header to write instead;
    ``present(column, value)`` turns a value into what is written (a word instead of a
    code), before ``cell`` writes it."""
    export = EXPORTS[kind]
    filters = _read_filters(kind, export.parameters, args)
    return _stream(export, export.query(filters), tz, chunk_size, header, present)


def filename(kind: str, today: date) -> str:
    return f"{kind}-{today.isoformat()}.csv"


def _stream(export: Export, stmt: sa.Select, tz: tzinfo, chunk_size: int,
            header: Mapping[str, str] | None, present: Callable[[str, object], object] | None) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([header.get(c, c) for c in export.columns] if header else export.columns)
    yield BOM + _drain(buffer)
    result = db.session.scalars(stmt.execution_options(yield_per=chunk_size))
    columns = export.columns
    for partition in result.partitions():
        for item in partition:
            values = export.row(item, tz)
            if present is not None:
                values = [present(c, v) for c, v in zip(columns, values, strict=True)]
            writer.writerow([cell(v, tz) for v in values])
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def cell(value: object, tz: tzinfo = PROGRAMME_ZONE) -> str:
    """One value as CSV text (see the module doc)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(tz).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        value = ";".join(str(v) for v in value)
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_START) else value
    return str(value)


# --- Filters -----------------------------------------------------------------------------


def _read_filters(kind: str, parameters: tuple[str, ...], args: Mapping[str, str]) -> dict[str, object]:
    for name in args:
        if name not in parameters and name not in IGNORED_PARAMETERS:
            raise BadFilter(name, "unknown_parameter")
    values = {name: (args.get(name) or "").strip() for name in parameters}
    # An empty value is "any": "" for the text filters, None for the dates.
    checked: dict[str, object] = {
        name: _CHECKS[name](kind, name, value) if value else (None if name in ("from", "to") else "")
        for name, value in values.items()
    }
    if checked.get("from") and checked.get("to") and checked["from"] > checked["to"]:
        raise BadFilter("to", "date_order", values["to"])
    return checked


def _one_of(allowed) -> Callable[[str, str, str], str]:
    def check(_kind: str, name: str, value: str) -> str:
        if value not in allowed():
            raise BadFilter(name, "bad_choice", value)
        return value

    return check


def _status(kind: str, name: str, value: str) -> str:
    allowed = {"communities": COMMUNITY_STATUSES, "evangelists": EVANGELIST_STATUSES,
               "requests": REQUEST_STATUSES}[kind]
    return _one_of(lambda: allowed)(kind, name, value)


def _query_text(_kind: str, name: str, value: str) -> str:
    if len(value) > MAX_QUERY_LENGTH:
        raise BadFilter(name, "too_long", value[:MAX_QUERY_LENGTH] + "…")
    return value


def _iso_date(_kind: str, name: str, value: str) -> date:
    try:
        return parse_date(value)
    except OutOfRange:
        raise BadFilter(name, "date_range", value) from None
    except ValueError:
        raise BadFilter(name, "bad_date", value) from None


def _community_id(_kind: str, name: str, value: str) -> int:
    community_id = read_id(value)
    if community_id is None or db.session.get(Community, community_id) is None:
        raise BadFilter(name, "bad_choice", value)
    return community_id


_CHECKS: dict[str, Callable[[str, str, str], object]] = {
    "q": _query_text,
    "prefecture": _one_of(lambda: set(db.session.scalars(sa.select(Prefecture.code)))),
    "open_data_status": _one_of(lambda: OPEN_DATA_STATUSES),
    "engagement_stage": _one_of(lambda: ENGAGEMENT_STAGES),
    "kind": _one_of(lambda: MUNICIPALITY_KINDS),
    "status": _status,
    "topic": _one_of(lambda: set(db.session.scalars(sa.select(Topic.slug)))),
    "community": _community_id,
    "from": _iso_date,
    "to": _iso_date,
}


def _dates(stmt: sa.Select, column, filters: dict) -> sa.Select:
    if filters.get("from"):
        stmt = stmt.where(column >= filters["from"])
    if filters.get("to"):
        stmt = stmt.where(column <= filters["to"])
    return stmt


# --- Municipalities ----------------------------------------------------------------------


def _municipality_query(filters: dict) -> sa.Select:
    return municipality_search(MunicipalityFilters(**filters))


def _municipality_row(m: Municipality, _tz) -> list:
    return [m.code, m.name, m.name_kana, m.name_romaji, m.prefecture.code, m.prefecture.name_ja,
            m.prefecture.name_en, m.kind, m.lat, m.lon, m.open_data_status, m.open_data_since,
            m.engagement_stage]


# --- Communities -------------------------------------------------------------------------


def _community_query(filters: dict) -> sa.Select:
    stmt = (
        sa.select(Community)
        .join(Community.municipality)
        .join(Municipality.prefecture)
        .options(contains_eager(Community.municipality).contains_eager(Municipality.prefecture))
        .order_by(Community.name, Community.id)
    )
    if filters["prefecture"]:
        stmt = stmt.where(Prefecture.code == filters["prefecture"])
    if filters["status"]:
        stmt = stmt.where(Community.status == filters["status"])
    return stmt


def _community_row(c: Community, _tz) -> list:
    return [c.id, c.name, c.municipality.code, c.municipality.name, c.municipality.prefecture.code,
            c.status, c.status_since, c.member_count, c.website, c.contact_email, c.description,
            c.address, c.lat, c.lon, c.location_source]


# --- Evangelists -------------------------------------------------------------------------


def _evangelist_query(filters: dict) -> sa.Select:
    stmt = (
        sa.select(Evangelist)
        .join(Evangelist.home_municipality)
        .join(Municipality.prefecture)
        .outerjoin(Evangelist.user)
        .outerjoin(Evangelist.home_community)
        .options(
            contains_eager(Evangelist.home_municipality).contains_eager(Municipality.prefecture),
            contains_eager(Evangelist.user),
            contains_eager(Evangelist.home_community),
            selectinload(Evangelist.skills),
        )
        .order_by(Evangelist.family_name, Evangelist.given_name, Evangelist.id)
    )
    if filters["prefecture"]:
        stmt = stmt.where(Prefecture.code == filters["prefecture"])
    if filters["community"]:
        stmt = stmt.where(Evangelist.home_community_id == filters["community"])
    if filters["status"]:
        stmt = stmt.where(Evangelist.status == filters["status"])
    return stmt


def _evangelist_row(e: Evangelist, _tz) -> list:
    home = e.home_municipality
    community = e.home_community
    return [e.id, e.family_name, e.given_name, e.status, e.user.email if e.user else None, home.code,
            home.name, home.prefecture.code, community.id if community else None,
            community.name if community else None, [t.slug for t in e.skills], e.languages or [],
            e.capacity, e.travel_radius_km, e.online_ok, e.appointed_on, e.paused_until, e.lat, e.lon]


# --- Requests ----------------------------------------------------------------------------


def _request_query(filters: dict) -> sa.Select:
    return request_queue(QueueFilters(**filters))


def _request_row(r: SupportRequest, _tz) -> list:
    town = r.municipality
    return [r.id, r.created_at, r.status, town.code, town.name, town.prefecture.code, r.contact_name,
            r.department, r.email, display_phone(r.phone) if r.phone else None, r.preferred_mode, r.preferred_period,
            [t.slug for t in r.topics], r.message, r.decline_reason, r.closed_at]


# --- Visits and outcomes -----------------------------------------------------------------


def _visit_query(filters: dict) -> sa.Select:
    stmt = (
        sa.select(Visit)
        .join(Visit.assignment)
        .join(Assignment.evangelist)
        .join(Assignment.request)
        .join(SupportRequest.municipality)
        .join(Municipality.prefecture)
        .options(
            contains_eager(Visit.assignment).contains_eager(Assignment.evangelist),
            contains_eager(Visit.assignment).contains_eager(Assignment.request)
            .contains_eager(SupportRequest.municipality).contains_eager(Municipality.prefecture),
            selectinload(Visit.topics),
        )
        .order_by(Visit.visited_on, Visit.id)
    )
    if filters["prefecture"]:
        stmt = stmt.where(Prefecture.code == filters["prefecture"])
    return _dates(stmt, Visit.visited_on, filters)


def _visit_row(v: Visit, _tz) -> list:
    a = v.assignment
    town = a.request.municipality
    return [v.id, v.visited_on, v.mode, v.duration_minutes, v.attendee_count, v.attendee_departments,
            [t.slug for t in v.topics], v.summary, v.next_steps, a.id, a.request_id, a.evangelist_id,
            a.evangelist.display_name, town.code, town.name, town.prefecture.code]


def _outcome_query(filters: dict) -> sa.Select:
    stmt = (
        sa.select(Outcome)
        .join(Outcome.visit)
        .join(Visit.assignment)
        .join(Assignment.request)
        .join(SupportRequest.municipality)
        .join(Municipality.prefecture)
        .options(
            contains_eager(Outcome.visit).contains_eager(Visit.assignment).contains_eager(Assignment.request)
            .contains_eager(SupportRequest.municipality).contains_eager(Municipality.prefecture),
        )
        .order_by(Outcome.achieved_on, Outcome.id)
    )
    if filters["prefecture"]:
        stmt = stmt.where(Prefecture.code == filters["prefecture"])
    return _dates(stmt, Outcome.achieved_on, filters)


def _outcome_row(o: Outcome, _tz) -> list:
    v = o.visit
    a = v.assignment
    town = a.request.municipality
    return [o.id, o.type, o.count, o.achieved_on, o.evidence_url, o.note, v.id, v.visited_on, a.request_id,
            a.evangelist_id, town.code, town.name, town.prefecture.code]


EXPORTS: dict[str, Export] = {
    "municipalities": Export(
        ("code", "name", "name_kana", "name_romaji", "prefecture_code", "prefecture_name_ja",
         "prefecture_name_en", "kind", "lat", "lon", "open_data_status", "open_data_since",
         "engagement_stage"),
        ("q", "prefecture", "open_data_status", "engagement_stage", "kind"),
        _municipality_query, _municipality_row,
    ),
    "communities": Export(
        ("id", "name", "municipality_code", "municipality_name", "prefecture_code", "status",
         "status_since", "member_count", "website", "contact_email", "description", "address",
         "lat", "lon", "location_source"),
        ("prefecture", "status"),
        _community_query, _community_row,
    ),
    "evangelists": Export(
        ("id", "family_name", "given_name", "status", "email", "municipality_code", "municipality_name",
         "prefecture_code", "community_id", "community_name", "skills", "languages", "capacity",
         "travel_radius_km", "online_ok", "appointed_on", "paused_until", "lat", "lon"),
        ("prefecture", "community", "status"),
        _evangelist_query, _evangelist_row,
    ),
    "requests": Export(
        ("id", "created_at", "status", "municipality_code", "municipality_name", "prefecture_code",
         "contact_name", "department", "email", "phone", "preferred_mode", "preferred_period", "topics",
         "message", "decline_reason", "closed_at"),
        ("status", "prefecture", "topic"),
        _request_query, _request_row,
    ),
    "visits": Export(
        ("id", "visited_on", "mode", "duration_minutes", "attendee_count", "attendee_departments", "topics",
         "summary", "next_steps", "assignment_id", "request_id", "evangelist_id", "evangelist_name",
         "municipality_code", "municipality_name", "prefecture_code"),
        ("prefecture", "from", "to"),
        _visit_query, _visit_row,
    ),
    "outcomes": Export(
        ("id", "type", "count", "achieved_on", "evidence_url", "note", "visit_id", "visited_on", "request_id",
         "evangelist_id", "municipality_code", "municipality_name", "prefecture_code"),
        ("prefecture", "from", "to"),
        _outcome_query, _outcome_row,
    ),
}
KINDS = tuple(EXPORTS)
