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

``evangelists`` (prefecture of the home municipality, community id, status; in 五十音
order of the reading, people without one last, then id). Self-reported age band and gender are not exported
(diversity figures are aggregated in the dashboard), nor anything of the account but
its e-mail address.
    id, family_name, given_name, family_name_kana, given_name_kana, status, email,
    municipality_code, municipality_name,
    prefecture_code, community_id, community_name, skills, languages, capacity,
    travel_radius_km, online_ok, appointed_on, paused_until, lat, lon

``requests`` (filters of the coordinator queue: status, prefecture, topic; open requests
unless a status is chosen; new first, then oldest first, then by number). The status
token's hash is not exported.
    id, created_at, status, municipality_code, municipality_name, prefecture_code,
    contact_name, department, email, phone, preferred_mode, preferred_period, topics,
    message, decline_reason, closed_at, source, received_on

    ``source`` is how the request came in (``form``, or ``phone``, ``email``, ``post``,
    ``in_person`` when a coordinator recorded it); ``received_on`` the day the town asked.

``visits`` (prefecture, from, to: the visit date; ordered by date, id)
    id, visited_on, mode, duration_minutes, attendee_count, attendee_departments, topics,
    summary, next_steps, assignment_id, request_id, evangelist_id, evangelist_name,
    municipality_code, municipality_name, prefecture_code

``outcomes`` (prefecture, from, to: the date achieved; ordered by date, id)
    id, type, count, achieved_on, evidence_url, note, visit_id, visited_on, request_id,
    evangelist_id, municipality_code, municipality_name, prefecture_code

Filters are the query parameters of the list's page; an empty value means "any", ``page``
is ignored (the export has every page). An export with more rows than the web layer will
stream is prepared in the background instead (``app.services.export_jobs``), into a
file of the same bytes. A parameter that is unknown or has a value the
list would not accept raises ``BadFilter`` naming it, before anything is streamed.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement

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
    User,
    Visit,
    evangelist_skills,
    request_topics,
    visit_topics,
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
CHUNK_SIZE = 2000
PREPARED_KEPT = 4096  # values of a ``prepare`` column remembered while an export streams
# "page" of a list; "format" is read by the web layer (app.data.columns.FORMAT_PARAMETER).
IGNORED_PARAMETERS = frozenset({"page", "format"})
# What the municipality list's search box accepts (app.public.forms).
MAX_QUERY_LENGTH = MUNICIPALITY_QUERY_MAX
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(_FORMULA_START)
# Cells that hold a list (topic slugs joined by ";" in SQL, or the JSON list of languages).
LIST_COLUMNS = frozenset({"topics", "skills", "languages"})

# What ``present`` is told about a column's values (see ``export_csv``): "list", "bool",
# "datetime", "date", "code" (of a closed vocabulary: a CHECK holds it to [a-z_]), "text"
# or "number".
Shape = str
Presenter = Callable[[str, Shape], Callable[[object], object] | None]


class BadFilter(ValueError):
    """A filter the export cannot use. ``code``: ``unknown_parameter``, ``bad_choice``,
    ``bad_date``, ``date_range`` (a date before 1900 or after 2100), ``date_order``
    (``from`` after ``to``), ``too_long``."""

    def __init__(self, parameter: str, code: str, value: str = "") -> None:
        super().__init__(f"{parameter}: {code} ({value!r})")
        self.parameter, self.code, self.value = parameter, code, value


@dataclass(frozen=True)
class Export:
    """``query(filters)`` is one SELECT of exactly ``columns``, in that order, computed in
    SQL (joins, and topic lists aggregated per row): no ORM object is loaded, so a row
    costs the same however many there are. ``prepare[column]()``, called once as the
    export starts, gives the function that turns the column's stored value into the
    exported one where SQL does not (a phone number as the pages show it, topic ids as
    slugs in the topics' order)."""

    columns: tuple[str, ...]
    parameters: tuple[str, ...]
    query: Callable[[dict], sa.Select]
    prepare: Mapping[str, Callable[[], Callable[[object], object]]] = field(default_factory=dict)


def export_csv(kind: str, args: Mapping[str, str], *, tz: tzinfo = PROGRAMME_ZONE,
               chunk_size: int = CHUNK_SIZE, header: Mapping[str, str] | None = None,
               present: Presenter | None = None, regions: frozenset[str] | None = None) -> Iterator[str]:
    """The CSV text of the ``kind`` export for the query parameters ``args``, as a
    generator of chunks (the first starts with the BOM and the header). The filters are
    checked now, so a bad one raises ``BadFilter`` before the response starts. The rows
    come from one SQL statement, read ``chunk_size`` at a time while the generator is
    consumed (a server-side cursor on PostgreSQL): memory does not grow with the rows,
    nor does the number of statements.

    By default the header is the column names and the values are the stored codes (the
    machine format). ``header`` maps column names to the header to write instead;
    ``present(column, shape)`` gives, once per column, a function that turns its values
    into what is written (a word instead of a code), or None to write them as stored.
    ``shape`` says what the values are: ``list`` (a list of codes), ``bool``,
    ``datetime``, ``date``, ``code``, ``text`` or ``number``; the function never gets
    None. ``regions`` (a regional coordinator's) keeps the rows of those regions."""
    export = EXPORTS[kind]
    filters = _read_filters(kind, export.parameters, args)
    return _stream(export, _within(export.query(filters), regions), tz, chunk_size, header, present)


def _within(stmt: sa.Select, regions: frozenset[str] | None) -> sa.Select:
    """``stmt`` (every export joins the row's prefecture) kept to ``regions`` (None: all)."""
    return stmt if regions is None else stmt.where(Prefecture.region.in_(sorted(regions)))


def count_rows(kind: str, args: Mapping[str, str], regions: frozenset[str] | None = None) -> int:
    """How many rows the ``kind`` export has for ``args``: one COUNT over the export's
    own joins and filters. Raises ``BadFilter`` as ``export_csv`` does."""
    export = EXPORTS[kind]
    stmt = _within(export.query(_read_filters(kind, export.parameters, args)), regions)
    rows = stmt.order_by(None).with_only_columns(sa.literal(1)).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(rows)) or 0


def filename(kind: str, today: date) -> str:
    return f"{kind}-{today.isoformat()}.csv"


def _stream(export: Export, stmt: sa.Select, tz: tzinfo, chunk_size: int,
            header: Mapping[str, str] | None, present: Presenter | None) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([header.get(c, c) for c in export.columns] if header else export.columns)
    yield BOM + _drain(buffer)
    converters = _converters(export, stmt, tz, present)
    # On the session's connection, not through the ORM: plain rows, at about half the cost.
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # Every row is read: plan the cursor for all of them, not for its first tenth (hash
        # joins rather than nested loops), and without JIT compilation, which costs more than
        # it saves here. For this transaction only (a fifth off the visits at 30x).
        connection.exec_driver_sql("SET LOCAL cursor_tuple_fraction = 1.0")
        connection.exec_driver_sql("SET LOCAL jit = off")
    result = connection.execute(stmt, execution_options={"stream_results": True, "yield_per": chunk_size})
    try:
        for partition in result.partitions(chunk_size):
            # Column by column: a loop per column to convert rather than calls per row.
            columns = list(zip(*partition, strict=True))
            for index, convert in converters:
                columns[index] = convert(columns[index])
            writer.writerows(zip(*columns, strict=True))
            yield _drain(buffer)
    finally:
        result.close()


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


# --- Stored values to cells, a column at a time --------------------------------------------


def _shape(column: str, type_: sa.types.TypeEngine) -> Shape:
    type_ = getattr(type_, "impl_instance", type_)  # a TypeDecorator's (UTCDateTime's) own type
    if column in LIST_COLUMNS:
        return "list"
    if isinstance(type_, sa.Boolean):
        return "bool"
    if isinstance(type_, sa.DateTime):
        return "datetime"
    if isinstance(type_, sa.Date):
        return "date"
    if isinstance(type_, sa.Enum):
        return "code"
    if isinstance(type_, sa.String):
        return "text"
    return "number"


def _defused(values: tuple[str | None, ...]) -> list[str | None]:
    """A text column's values, each defused as ``cell`` does (in one comprehension: this
    runs for most cells of every export)."""
    return ["'" + v if v and v[0] in _FORMULA_FIRST else v for v in values]


def _each(convert: Callable[[object], object]) -> Callable[[tuple], Iterable]:
    return lambda values: map(convert, values)


def _as_list(value: object) -> list:
    return value.split(";") if isinstance(value, str) else list(value)


def _stored(shape: Shape, tz: tzinfo) -> Callable[[tuple], Iterable] | None:
    """The machine format of a ``shape`` column, as ``cell`` writes it. None for numbers
    and codes: the csv module writes them as ``cell`` does (None as an empty cell), and a
    code never starts like a formula."""
    if shape == "list":
        return _each(lambda v: None if v is None else cell(v, tz))
    if shape == "bool":
        return _each(lambda v: None if v is None else ("true" if v else "false"))
    if shape == "datetime":
        return _each(lambda v: None if v is None else v.astimezone(tz).isoformat(timespec="seconds"))
    if shape == "date":
        return _each(lambda v: None if v is None else v.isoformat())
    if shape == "text":
        return _defused
    return None


def _chain(prepare, shown, shape: Shape, tz: tzinfo) -> Callable[[object], object]:
    """One value's converter: ``prepare``, then ``shown`` (the presenter's), then ``cell``."""
    to_list = _as_list if shape == "list" and shown is not None else None

    def convert(value):
        if value is None:
            return None
        if prepare is not None:
            value = prepare(value)
        if to_list is not None:
            value = to_list(value)
        return cell(value if shown is None else shown(value), tz)

    return convert


def _converters(export: Export, stmt: sa.Select, tz: tzinfo,
                present: Presenter | None) -> list[tuple[int, Callable[[tuple], Iterable]]]:
    """``(index, convert)`` of every column whose values are not written as they come:
    ``convert`` takes the column's values in a chunk and gives them as written."""
    converters = []
    for index, (column, selected) in enumerate(zip(export.columns, stmt.selected_columns, strict=True)):
        shape = _shape(column, selected.type)
        shown = present(column, shape) if present is not None else None
        make = export.prepare.get(column)
        if make is None and shown is None:
            convert = _stored(shape, tz)
        else:
            one = _chain(make() if make else None, shown, shape, tz)
            if make is not None or shape in ("code", "bool"):
                # These values repeat (a status, a town hall's phone, a set of topics):
                # each is converted once. Bounded, so memory stays flat however many rows.
                one = functools.lru_cache(maxsize=PREPARED_KEPT)(one)
            convert = _each(one)
        if convert is not None:
            converters.append((index, convert))
    return converters


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


# --- The queries ---------------------------------------------------------------------------


def _topic_ids(link: sa.Table, key: str, owner: sa.ColumnElement) -> sa.ScalarSelect:
    """The owner's topic ids, comma-separated in no particular order: aggregated in SQL
    (one cell, no query per row) from the link table's primary key alone, without a sort
    per row; ``_topic_slugs`` writes them as slugs in the topics' order."""
    return (
        sa.select(sa.func.aggregate_strings(sa.cast(link.c.topic_id, sa.String), ","))
        .where(link.c[key] == owner)
        .scalar_subquery()
    )


def _topic_slugs() -> Callable[[str], str]:
    """``ids -> "slug;slug"`` in the topics' order (one query for the few topics)."""
    rows = db.session.execute(sa.select(Topic.id, Topic.slug).order_by(Topic.position, Topic.id)).all()
    order = {str(topic_id): (rank, slug) for rank, (topic_id, slug) in enumerate(rows)}

    def slugs(ids: str) -> str:
        return ";".join(slug for _rank, slug in sorted(order[i] for i in ids.split(",")))

    return slugs


def _json_list(text: str) -> list:
    return json.loads(text) or []


def _dates(stmt: sa.Select, column, filters: dict) -> sa.Select:
    if filters.get("from"):
        stmt = stmt.where(column >= filters["from"])
    if filters.get("to"):
        stmt = stmt.where(column <= filters["to"])
    return stmt


def _municipality_query(filters: dict) -> sa.Select:
    # The list's own search (its filters and order), reading only these columns.
    return municipality_search(MunicipalityFilters(**filters)).with_only_columns(
        Municipality.code, Municipality.name, Municipality.name_kana, Municipality.name_romaji,
        Prefecture.code, Prefecture.name_ja, Prefecture.name_en, Municipality.kind, Municipality.lat,
        Municipality.lon, Municipality.open_data_status, Municipality.open_data_since,
        Municipality.engagement_stage,
    )


def _community_query(filters: dict) -> sa.Select:
    stmt = (
        sa.select(
            Community.id, Community.name, Municipality.code, Municipality.name, Prefecture.code,
            Community.status, Community.status_since, Community.member_count, Community.website,
            Community.contact_email, Community.description, Community.address, Community.lat,
            Community.lon, Community.location_source,
        )
        .join(Community.municipality)
        .join(Municipality.prefecture)
        .order_by(Community.name, Community.id)
    )
    if filters["prefecture"]:
        stmt = stmt.where(Prefecture.code == filters["prefecture"])
    if filters["status"]:
        stmt = stmt.where(Community.status == filters["status"])
    return stmt


def _evangelist_query(filters: dict) -> sa.Select:
    stmt = (
        sa.select(
            Evangelist.id, Evangelist.family_name, Evangelist.given_name, Evangelist.family_name_kana,
            Evangelist.given_name_kana, Evangelist.status, User.email,
            Municipality.code, Municipality.name, Prefecture.code, Community.id, Community.name,
            # The JSON as text: a few distinct lists, each decoded once (see ``prepare``).
            _topic_ids(evangelist_skills, "evangelist_id", Evangelist.id), sa.cast(Evangelist.languages, sa.Text),
            Evangelist.capacity, Evangelist.travel_radius_km, Evangelist.online_ok, Evangelist.appointed_on,
            Evangelist.paused_until, Evangelist.lat, Evangelist.lon,
        )
        .select_from(Evangelist)
        .join(Evangelist.home_municipality)
        .join(Municipality.prefecture)
        .outerjoin(Evangelist.user)
        .outerjoin(Evangelist.home_community)
        .order_by(Evangelist.name_sort, Evangelist.id)
    )
    if filters["prefecture"]:
        stmt = stmt.where(Prefecture.code == filters["prefecture"])
    if filters["community"]:
        stmt = stmt.where(Evangelist.home_community_id == filters["community"])
    if filters["status"]:
        stmt = stmt.where(Evangelist.status == filters["status"])
    return stmt


def _request_query(filters: dict) -> sa.Select:
    # The coordinator queue's own query (its filters and order), reading only these columns;
    # requests sent in the same second follow their numbers, so a file is the same on every
    # database and every time.
    return request_queue(QueueFilters(**filters)).order_by(SupportRequest.id).with_only_columns(
        SupportRequest.id, SupportRequest.created_at, SupportRequest.status, Municipality.code,
        Municipality.name, Prefecture.code, SupportRequest.contact_name, SupportRequest.department,
        SupportRequest.email, SupportRequest.phone, SupportRequest.preferred_mode,
        SupportRequest.preferred_period, _topic_ids(request_topics, "request_id", SupportRequest.id),
        SupportRequest.message, SupportRequest.decline_reason, SupportRequest.closed_at,
        SupportRequest.source, SupportRequest.received_on,
    )


class _SortedNotWalked(ColumnElement):
    """A column to ORDER BY that SQLite sorts rather than reads through its index: walking
    ``ix_visits_visited_on`` fetches every row from the table in the index's order, one
    random read each, while reading the table in its own order and sorting (bounded memory,
    spilling to a temporary file) takes a third less time for 60,000 visits. The unary
    ``+`` is SQLite's documented way to say so; PostgreSQL plans the sort itself."""

    inherit_cache = True

    def __init__(self, column: ColumnElement) -> None:
        self.column = column
        self.type = column.type


@compiles(_SortedNotWalked)
def _plain_order(element: _SortedNotWalked, compiler, **kw) -> str:
    return compiler.process(element.column, **kw)


@compiles(_SortedNotWalked, "sqlite")
def _sqlite_order(element: _SortedNotWalked, compiler, **kw) -> str:
    return "+" + compiler.process(element.column, **kw)


def _visit_query(filters: dict) -> sa.Select:
    stmt = (
        sa.select(
            Visit.id, Visit.visited_on, Visit.mode, Visit.duration_minutes, Visit.attendee_count,
            Visit.attendee_departments, _topic_ids(visit_topics, "visit_id", Visit.id), Visit.summary,
            Visit.next_steps, Assignment.id, Assignment.request_id, Assignment.evangelist_id,
            (Evangelist.family_name + " " + Evangelist.given_name).label("evangelist_name"),
            Municipality.code, Municipality.name, Prefecture.code,
        )
        .select_from(Visit)
        .join(Visit.assignment)
        .join(Assignment.evangelist)
        .join(Assignment.request)
        .join(SupportRequest.municipality)
        .join(Municipality.prefecture)
        .order_by(_SortedNotWalked(Visit.visited_on), Visit.id)
    )
    if filters["prefecture"]:
        stmt = stmt.where(Prefecture.code == filters["prefecture"])
    return _dates(stmt, Visit.visited_on, filters)


def _outcome_query(filters: dict) -> sa.Select:
    stmt = (
        sa.select(
            Outcome.id, Outcome.type, Outcome.count, Outcome.achieved_on, Outcome.evidence_url, Outcome.note,
            Visit.id, Visit.visited_on, Assignment.request_id, Assignment.evangelist_id, Municipality.code,
            Municipality.name, Prefecture.code,
        )
        .select_from(Outcome)
        .join(Outcome.visit)
        .join(Visit.assignment)
        .join(Assignment.request)
        .join(SupportRequest.municipality)
        .join(Municipality.prefecture)
        .order_by(Outcome.achieved_on, Outcome.id)
    )
    if filters["prefecture"]:
        stmt = stmt.where(Prefecture.code == filters["prefecture"])
    return _dates(stmt, Outcome.achieved_on, filters)


EXPORTS: dict[str, Export] = {
    "municipalities": Export(
        ("code", "name", "name_kana", "name_romaji", "prefecture_code", "prefecture_name_ja",
         "prefecture_name_en", "kind", "lat", "lon", "open_data_status", "open_data_since",
         "engagement_stage"),
        ("q", "prefecture", "open_data_status", "engagement_stage", "kind"),
        _municipality_query,
    ),
    "communities": Export(
        ("id", "name", "municipality_code", "municipality_name", "prefecture_code", "status",
         "status_since", "member_count", "website", "contact_email", "description", "address",
         "lat", "lon", "location_source"),
        ("prefecture", "status"),
        _community_query,
    ),
    "evangelists": Export(
        ("id", "family_name", "given_name", "family_name_kana", "given_name_kana", "status", "email",
         "municipality_code", "municipality_name",
         "prefecture_code", "community_id", "community_name", "skills", "languages", "capacity",
         "travel_radius_km", "online_ok", "appointed_on", "paused_until", "lat", "lon"),
        ("prefecture", "community", "status"),
        _evangelist_query,
        prepare={"skills": _topic_slugs, "languages": lambda: _json_list},
    ),
    "requests": Export(
        ("id", "created_at", "status", "municipality_code", "municipality_name", "prefecture_code",
         "contact_name", "department", "email", "phone", "preferred_mode", "preferred_period", "topics",
         "message", "decline_reason", "closed_at", "source", "received_on"),
        ("status", "prefecture", "topic"),
        _request_query,
        prepare={"phone": lambda: display_phone, "topics": _topic_slugs},
    ),
    "visits": Export(
        ("id", "visited_on", "mode", "duration_minutes", "attendee_count", "attendee_departments", "topics",
         "summary", "next_steps", "assignment_id", "request_id", "evangelist_id", "evangelist_name",
         "municipality_code", "municipality_name", "prefecture_code"),
        ("prefecture", "from", "to"),
        _visit_query,
        prepare={"topics": _topic_slugs},
    ),
    "outcomes": Export(
        ("id", "type", "count", "achieved_on", "evidence_url", "note", "visit_id", "visited_on", "request_id",
         "evangelist_id", "municipality_code", "municipality_name", "prefecture_code"),
        ("prefecture", "from", "to"),
        _outcome_query,
    ),
}
KINDS = tuple(EXPORTS)
