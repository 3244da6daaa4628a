"""The staff search box (issue 20, point 5): one query over municipalities, requests,
evangelists and candidates, communities and accounts, with the databases' own text search.

**Documents.** Each object is stored in ``search_documents`` as the terms it may be found
by (``evangelists.search``). The documents are written in the transaction that changes
the object: every service writes through the session, and :func:`listen_for_changes`
hooks the session's flush, so whichever service creates, renames, moves or deletes a
municipality, request, evangelist, community or account (or changes an account's e-mail)
rewrites that object's documents in the same flush, before its commit. Writers that go
around the session (the data import, a database restore, the demo reset) call
:func:`reindex` or :func:`rebuild` themselves. ``flask search rebuild`` writes them all
afresh.

**Matching.** A query is folded (``evangelists.search.query_forms``). Forms of three
characters or more are looked up in the text index — SQLite: FTS5 with the trigram
tokenizer (``search_fts MATCH '"form"'``); PostgreSQL: a GIN ``pg_trgm`` index
(``term LIKE '%form%'``). A trigram index cannot look up one or two characters, so such a
form matches terms that *start* with it (a range on the b-tree index): 中 finds 中村 and 中
野町, not 田中. A request number ("123", "#123") matches that request's number only.

**Access.** Municipalities are reference data, found by all staff. Requests, evangelists
and communities are found only within the searcher's regions
(``app.services.regions.municipality_visible`` on the document's municipality), and
accounts only by admins (coordinators find evangelists by their e-mail).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Community, Evangelist, Municipality, Prefecture, SearchDocument, SupportRequest, User
from app.models.system import note_write
from app.services.regions import municipality_visible, scope_of
from evangelists.search import (
    KINDS,
    QUERY_MAX,
    TRIGRAM,
    Term,
    account_terms,
    community_terms,
    municipality_terms,
    person_terms,
    query_forms,
    request_number,
    request_terms,
)

SHOWN_PER_GROUP = 8
_CHUNK = 500  # ids per IN list

D = SearchDocument.__table__


# --- documents ------------------------------------------------------------------------


def _batches(ids: Iterable[int]) -> Iterator[tuple[list[int], bool]]:
    """``ids`` as (ids, span: whether to pick them as a range rather than an IN list): a few
    as an IN list; many (an import) as one range from the lowest to the highest, so the
    statements do not grow with the rows (objects in the range but not among ``ids`` are
    written afresh too, which changes nothing)."""
    ids = sorted(set(ids))
    if len(ids) <= _CHUNK:
        if ids:
            yield ids, False
        return
    yield ids, True


def _pick(column: sa.ColumnElement, ids: list[int], span: bool) -> sa.ColumnElement[bool]:
    return sa.and_(column >= ids[0], column <= ids[-1]) if span else column.in_(ids)


def _municipality_rows(conn: sa.Connection, ids: list[int], span: bool) -> Iterator[tuple[int, int | None, list[Term]]]:
    m = Municipality.__table__
    for row in conn.execute(sa.select(m.c.id, m.c.name, m.c.name_kana, m.c.name_romaji).where(_pick(m.c.id, ids, span))):
        yield row.id, row.id, municipality_terms(row.name, row.name_kana, row.name_romaji)


def _request_rows(conn: sa.Connection, ids: list[int], span: bool) -> Iterator[tuple[int, int | None, list[Term]]]:
    r, m = SupportRequest.__table__, Municipality.__table__
    rows = conn.execute(
        sa.select(r.c.id, r.c.contact_name, r.c.department, r.c.email, r.c.municipality_id,
                  m.c.name, m.c.name_kana, m.c.name_romaji)
        .join(m, m.c.id == r.c.municipality_id).where(_pick(r.c.id, ids, span)))
    for row in rows:
        town = municipality_terms(row.name, row.name_kana, row.name_romaji)
        yield row.id, row.municipality_id, request_terms(row.id, row.contact_name, row.department, row.email, town)


def _evangelist_rows(conn: sa.Connection, ids: list[int], span: bool) -> Iterator[tuple[int, int | None, list[Term]]]:
    e, u = Evangelist.__table__, User.__table__
    rows = conn.execute(
        sa.select(e.c.id, e.c.family_name, e.c.given_name, e.c.family_name_kana, e.c.given_name_kana,
                  e.c.home_municipality_id, u.c.email)
        .outerjoin(u, u.c.id == e.c.user_id).where(_pick(e.c.id, ids, span)))
    for row in rows:
        yield row.id, row.home_municipality_id, person_terms(
            row.family_name, row.given_name, row.family_name_kana, row.given_name_kana, row.email)


def _community_rows(conn: sa.Connection, ids: list[int], span: bool) -> Iterator[tuple[int, int | None, list[Term]]]:
    c = Community.__table__
    for row in conn.execute(sa.select(c.c.id, c.c.name, c.c.contact_email, c.c.municipality_id)
                            .where(_pick(c.c.id, ids, span))):
        yield row.id, row.municipality_id, community_terms(row.name, row.contact_email)


def _account_rows(conn: sa.Connection, ids: list[int], span: bool) -> Iterator[tuple[int, int | None, list[Term]]]:
    u = User.__table__
    for row in conn.execute(sa.select(u.c.id, u.c.email, u.c.display_name).where(_pick(u.c.id, ids, span))):
        yield row.id, None, account_terms(row.email, row.display_name)


_ROWS = {
    "municipality": (_municipality_rows, Municipality.__table__),
    "request": (_request_rows, SupportRequest.__table__),
    "evangelist": (_evangelist_rows, Evangelist.__table__),
    "community": (_community_rows, Community.__table__),
    "account": (_account_rows, User.__table__),
}


def reindex(conn: sa.Connection, kind: str, ids: Iterable[int]) -> int:
    """Write afresh the documents of the ``kind`` objects ``ids`` on ``conn`` (in its
    transaction); an id with no object left loses its documents. Returns the rows written.
    A caller holding a session calls :func:`reindex_in` instead, which counts the write."""
    rows_of, _table = _ROWS[kind]
    written = 0
    for batch, span in _batches(ids):
        conn.execute(sa.delete(D).where(D.c.kind == kind, _pick(D.c.object_id, batch, span)))
        rows = [{"kind": kind, "object_id": object_id, "field": t.field, "term": t.term, "shown": t.shown,
                 "municipality_id": municipality_id}
                for object_id, municipality_id, terms in rows_of(conn, batch, span) for t in terms]
        _insert(conn, rows)
        written += len(rows)
    return written


_COLUMNS = ("kind", "object_id", "field", "term", "shown", "municipality_id")
_ARRAY_TYPES = ("varchar[]", "integer[]", "varchar[]", "varchar[]", "varchar[]", "integer[]")


def _insert(conn: sa.Connection, rows: list[dict]) -> None:
    """One statement however many rows: an executemany on SQLite, one INSERT of arrays
    (``unnest``) on PostgreSQL, where an executemany is sent as batches of a thousand."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(sa.insert(D), rows)
        return
    arrays = ", ".join(f"CAST(:{name} AS {kind})" for name, kind in zip(_COLUMNS, _ARRAY_TYPES, strict=True))
    conn.execute(sa.text(f"INSERT INTO search_documents ({', '.join(_COLUMNS)}) SELECT * FROM unnest({arrays})"),
                 {name: [row[name] for row in rows] for name in _COLUMNS})


def reindex_in(session: Session, kind: str, ids: Iterable[int]) -> int:
    """:func:`reindex` in ``session``'s transaction, counted as a write of it (the page
    cache's data version goes up at its commit)."""
    note_write(session)
    return reindex(session.connection(), kind, ids)


def rebuild(session: Session | None = None) -> dict[str, int]:
    """Every document written afresh from the objects, in one transaction; commits.
    Returns the documents written per kind."""
    session = session or db.session
    note_write(session)
    written = rebuild_on(session.connection())
    session.commit()
    return written


def rebuild_on(conn: sa.Connection) -> dict[str, int]:
    """:func:`rebuild` on ``conn``, in its transaction (which counts the data version)."""
    conn.execute(sa.delete(D))
    written = {}
    for kind, (_rows_of, table) in _ROWS.items():
        ids = conn.execute(sa.select(table.c.id)).scalars().all()
        written[kind] = reindex(conn, kind, ids)
    return written


# What a change must touch for an object's documents to change.
_WATCHED: dict[type, tuple[str, tuple[str, ...]]] = {
    Municipality: ("municipality", ("name", "name_kana", "name_romaji")),
    SupportRequest: ("request", ("municipality_id", "contact_name", "department", "email")),
    Evangelist: ("evangelist", ("family_name", "given_name", "family_name_kana", "given_name_kana",
                                "user_id", "home_municipality_id")),
    Community: ("community", ("name", "contact_email", "municipality_id")),
    User: ("account", ("email", "display_name")),
}


def _changed(obj: object, attributes: tuple[str, ...]) -> bool:
    state = sa.inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in attributes)


def _after_flush(session: Session, _context) -> None:
    """Rewrite the documents of what this flush inserted, changed or deleted, on the
    flush's connection: the same transaction as the change."""
    touched: dict[str, set[int]] = defaultdict(set)
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        watched = _WATCHED.get(type(obj))
        if watched is None:
            continue
        kind, attributes = watched
        state = sa.inspect(obj)
        object_id = state.dict.get("id") or (state.identity[0] if state.identity else None)
        if object_id is None:
            continue
        if obj in session.new or obj in session.deleted or _changed(obj, attributes):
            touched[kind].add(object_id)
    if not touched:
        return
    conn = session.connection()
    # A municipality's name is in its requests' documents; an account's e-mail in its
    # evangelist's (looked up by the old address too: a deleted account's row is gone).
    for batch, span in _batches(touched.get("municipality", ())):
        r = SupportRequest.__table__
        touched["request"].update(conn.execute(
            sa.select(r.c.id).where(_pick(r.c.municipality_id, batch, span))).scalars())
    for batch, span in _batches(touched.get("account", ())):
        e = Evangelist.__table__
        touched["evangelist"].update(conn.execute(
            sa.select(e.c.id).where(_pick(e.c.user_id, batch, span))).scalars())
        old = sa.select(D.c.term).where(D.c.kind == "account", D.c.field == "email",
                                        _pick(D.c.object_id, batch, span)).scalar_subquery()
        touched["evangelist"].update(conn.execute(sa.select(D.c.object_id).where(
            D.c.kind == "evangelist", D.c.field == "email", D.c.term.in_(old))).scalars())
    for kind in KINDS:
        if touched.get(kind):
            reindex(conn, kind, touched[kind])


def listen_for_changes(session_class: type[Session]) -> None:
    """Keep the documents in step with every flush of ``session_class`` (once per class)."""
    if not sa.event.contains(session_class, "after_flush", _after_flush):
        sa.event.listen(session_class, "after_flush", _after_flush)


# --- searching ------------------------------------------------------------------------


@dataclass
class Hit:
    kind: str
    object_id: int
    obj: SimpleNamespace  # what is shown of it (see _objects)
    matched: list[tuple[str, str]] = field(default_factory=list)  # (field, shown)


@dataclass
class Group:
    kind: str
    hits: list[Hit]
    total: int


@dataclass
class SearchResults:
    query: str
    forms: tuple[str, ...]
    groups: list[Group]

    @property
    def total(self) -> int:
        return sum(g.total for g in self.groups)

    @property
    def short(self) -> bool:
        """Whether every form was shorter than a trigram (matched as a prefix)."""
        return bool(self.forms) and all(len(f) < TRIGRAM for f in self.forms)


def _fts_phrase(forms: list[str]) -> str:
    return " OR ".join('"' + f.replace('"', '""') + '"' for f in forms)


def _like(form: str) -> str:
    return "%" + form.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _prefix_end(form: str) -> str:
    """The smallest text after every text starting with ``form`` (code-point order)."""
    return form[:-1] + chr(ord(form[-1]) + 1)


def _matching(forms: tuple[str, ...], number: int | None, dialect: str,
              visible: sa.ColumnElement[bool]) -> list[sa.Select]:
    """One SELECT of (kind, object_id, rank) per way of matching, each led by an index:
    the text index for forms of three characters or more, the b-tree on ``term`` for a
    shorter form (a prefix range) and for a request number (equality). Kept apart (a
    UNION ALL) rather than OR-ed, so that no database falls back to reading every
    document."""
    long_forms = [f for f in forms if len(f) >= TRIGRAM]
    short_forms = [f for f in forms if len(f) < TRIGRAM]
    rank = _rank(forms)
    not_number = _FIELD != "number"
    branches: list[sa.Select] = []
    if long_forms and dialect == "sqlite":
        fts = sa.table("search_fts", sa.column("rowid"))
        branches.append(
            sa.select(D.c.kind, D.c.object_id, rank.label("rank"))
            .select_from(fts.join(D, D.c.id == fts.c.rowid))
            .where(sa.text("search_fts MATCH :fts_query").bindparams(fts_query=_fts_phrase(long_forms)),
                   not_number, visible))
    elif long_forms:
        branches.append(sa.select(D.c.kind, D.c.object_id, rank.label("rank")).where(
            sa.or_(*(D.c.term.like(_like(f), escape="\\") for f in long_forms)), not_number, visible))
    for form in short_forms:
        branches.append(sa.select(D.c.kind, D.c.object_id, rank.label("rank")).where(
            D.c.term >= form, D.c.term < _prefix_end(form), not_number, visible))
    if number is not None:
        branches.append(sa.select(D.c.kind, D.c.object_id, sa.literal(0).label("rank")).where(
            D.c.term == str(number), _FIELD == "number", _KIND == "request", visible))
    return branches


# The kind, field and municipality of a document as expressions no index answers: the
# filters below must never lead a plan (SQLite, without statistics, would rather read
# every request's documents by kind than a few by their term).
_KIND = sa.type_coerce(D.c.kind, sa.String).concat("")
_FIELD = sa.type_coerce(D.c.field, sa.String).concat("")
_MUNICIPALITY = D.c.municipality_id + 0


def _visible(user: User) -> sa.ColumnElement[bool]:
    scope = scope_of(user)
    visible = [_KIND == "municipality",
               sa.and_(_KIND.in_(("request", "evangelist", "community")),
                       municipality_visible(scope, _MUNICIPALITY))]
    if user.role == "admin":
        visible.append(_KIND == "account")
    return sa.or_(*visible)


def _rank(forms: tuple[str, ...]) -> sa.ColumnElement[int]:
    """0: a whole term (or the request's number), 1: the start of one, 2: inside one."""
    return sa.case(
        (D.c.term.in_(forms), 0),
        (sa.or_(*(sa.func.substr(D.c.term, 1, len(f)) == f for f in forms)), 1),
        else_=2,
    )


def _term_matches(term: str, field_name: str, forms: tuple[str, ...], number: int | None) -> bool:
    if field_name == "number":
        return number is not None and term == str(number)
    return any(f in term if len(f) >= TRIGRAM else term.startswith(f) for f in forms)


def search(user: User, query: str, *, per_group: int = SHOWN_PER_GROUP) -> SearchResults:
    """The objects ``user`` may see that ``query`` finds, grouped by kind (in
    ``KINDS`` order, empty groups left out): at most ``per_group`` of each, best first
    (a whole term, then a term's start, then inside one; newest request first), with how
    many there are in all and what matched."""
    query = " ".join((query or "").split())[:QUERY_MAX]
    forms = query_forms(query)
    number = request_number(query)
    if not forms and number is None:
        return SearchResults(query, forms, [])
    dialect = db.session.get_bind().dialect.name
    branches = _matching(forms, number, dialect, _visible(user))
    matched = (branches[0] if len(branches) == 1 else sa.union_all(*branches)).subquery("matched")
    hits = (sa.select(matched.c.kind, matched.c.object_id, sa.func.min(matched.c.rank).label("rank"))
            .group_by(matched.c.kind, matched.c.object_id).subquery("hits"))
    order_id = sa.case((hits.c.kind == "request", -hits.c.object_id), else_=hits.c.object_id)
    ranked = sa.select(
        hits.c.kind, hits.c.object_id,
        sa.func.row_number().over(partition_by=hits.c.kind, order_by=(hits.c.rank, order_id)).label("n"),
        sa.func.count().over(partition_by=hits.c.kind).label("total"),
    ).subquery("ranked")
    rows = db.session.execute(sa.select(ranked).where(ranked.c.n <= per_group).order_by(ranked.c.n)).all()
    if not rows:
        return SearchResults(query, forms, [])

    by_kind: dict[str, list[int]] = defaultdict(list)
    totals: dict[str, int] = {}
    for row in rows:
        by_kind[row.kind].append(row.object_id)
        totals[row.kind] = row.total
    matched = _matched_terms(by_kind, forms, number)
    objects = _objects(by_kind)
    groups = []
    for kind in KINDS:
        hits_of_kind = [Hit(kind, oid, objects[kind][oid], matched.get((kind, oid), []))
                        for oid in by_kind.get(kind, ()) if oid in objects[kind]]
        if hits_of_kind:
            groups.append(Group(kind, hits_of_kind, totals[kind]))
    return SearchResults(query, forms, groups)


def _matched_terms(by_kind: dict[str, list[int]], forms: tuple[str, ...],
                   number: int | None) -> dict[tuple[str, int], list[tuple[str, str]]]:
    pairs = sa.or_(*(sa.and_(D.c.kind == kind, D.c.object_id.in_(ids)) for kind, ids in by_kind.items()))
    found: dict[tuple[str, int], list[tuple[str, str]]] = defaultdict(list)
    for kind, object_id, field_name, term, shown in db.session.execute(
            sa.select(D.c.kind, D.c.object_id, D.c.field, D.c.term, D.c.shown).where(pairs).order_by(D.c.id)):
        if _term_matches(term, field_name, forms, number):
            entry = (field_name, shown)
            if entry not in found[(kind, object_id)]:
                found[(kind, object_id)].append(entry)
    return found


def _objects(by_kind: dict[str, list[int]]) -> dict[str, dict[int, SimpleNamespace]]:
    """What the results page shows of each hit, one statement per kind with hits (plain
    rows, not loaded models: a search reads and shows, it changes nothing)."""
    m, p = Municipality.__table__, Prefecture.__table__
    r, e, c, u = SupportRequest.__table__, Evangelist.__table__, Community.__table__, User.__table__
    statements = {
        "municipality": (m.c.id, sa.select(m.c.id, m.c.name, m.c.code, m.c.kind, p.c.name_ja.label("prefecture_ja"),
                                           p.c.name_en.label("prefecture_en")).join(p, p.c.id == m.c.prefecture_id)),
        "request": (r.c.id, sa.select(r.c.id, r.c.contact_name, r.c.department, r.c.status, m.c.name.label("town"))
                    .join(m, m.c.id == r.c.municipality_id)),
        "evangelist": (e.c.id, sa.select(e.c.id, e.c.family_name, e.c.given_name, e.c.family_name_kana,
                                         e.c.given_name_kana, e.c.status, m.c.name.label("town"))
                       .join(m, m.c.id == e.c.home_municipality_id)),
        "community": (c.c.id, sa.select(c.c.id, c.c.name, c.c.status, m.c.name.label("town"))
                      .join(m, m.c.id == c.c.municipality_id)),
        "account": (u.c.id, sa.select(u.c.id, u.c.display_name, u.c.email, u.c.role)),
    }
    out: dict[str, dict[int, SimpleNamespace]] = {kind: {} for kind in KINDS}
    for kind, ids in by_kind.items():
        key, statement = statements[kind]
        for row in db.session.execute(statement.where(key.in_(ids))).mappings():
            view = SimpleNamespace(**row)
            if kind == "evangelist":
                view.display_name = f"{row['family_name']} {row['given_name']}"
                view.display_reading = " ".join(k for k in (row["family_name_kana"], row["given_name_kana"]) if k)
            out[kind][row["id"]] = view
    return out
