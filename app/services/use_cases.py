"""Use cases (事例, issue 22): drafting one from a completed request, editing it, the moves
to the town and back, the town's answer, and the files attached to it. The only place
that commits use cases.

Who does what (``evangelists.use_cases``): the evangelist who served a completed request
drafts a use case from it (prefilled from the request's visits and outcomes), edits it
while it is a draft and submits it; a coordinator whose regions cover the town (or an
admin) edits it, returns it to the author, sends it to the town, recalls or withdraws it.
The town reads it on its status page and asks for changes or agrees; only then is it
published (``published_at``). Every write counts the ``version`` up: an edit or a move
made on an older version is refused (two editors: the second is told, and keeps what
they typed), and the town agrees to the version it read.

Every write keeps ``search_text`` (the library's index) and writes an audit event
(``use_case.*``, entity ``use_case``). All writes go through the ORM session, so the
page cache's data version goes up with each commit (``app/models/system.py``).

Files are stored in ``{instance}/use_case_files/{stored_name}`` (a random name): written
before the commit (and removed again if it fails), removed from the disk after the commit
that deletes their row.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.models import (
    Assignment,
    AuditEvent,
    Community,
    Evangelist,
    Municipality,
    SupportRequest,
    Topic,
    UseCase,
    UseCaseAttachment,
    UseCaseLink,
    UseCaseTownAnswer,
    User,
    Visit,
)
from app.models.base import utcnow
from app.services.audit import record_event
from app.services.notices import notify
from app.services.pages import Page, page_of
from app.services.regions import can_see, municipality_visible, scope_of
from evangelists.errors import Refused
from evangelists.use_case_files import MAX_FILE_BYTES, MAX_FILES, CheckedFile, check_count, check_file
from evangelists.use_cases import (
    PUBLIC_STATUSES,
    USE_CASE_SHORT_MAX,
    USE_CASE_TITLE_MAX,
    may_edit,
    may_move,
    next_status,
    population_band,
    search_text_of,
)

STAFF_ROLES = ("coordinator", "admin")
FILES_FOLDER = "use_case_files"
TOWN = "municipality"  # the audit's actor for the town's answers
# The request statuses a use case may be drafted from.
DRAFTABLE_REQUEST_STATUSES = ("completed",)
# Short texts kept whole in the audit's before/after; the long ones are named only.
_SHORT_FIELDS = ("use_case_kind", "title", "catalogue_url", "datasets", "people", "time_taken",
                 "population_band", "topics", "community", "links")
_LONG_FIELDS = ("starting_point", "what_was_done", "results", "advice")


class UseCaseRefused(Refused):
    """A use case change that is refused. ``field`` None (the whole operation) or the
    form's field; ``reason``: ``not_completed`` (the request is not completed),
    ``not_yours``, ``not_allowed`` (the move is not possible in its status, or not
    theirs), ``not_editable``, ``conflict`` (saved meanwhile by someone else), ``no_town``
    (no request, so no status page to send it to), ``message_required``,
    ``agreement_required``, ``text_changed`` (the town answered about an older text)."""

    scope = "use_case"


@dataclass(frozen=True)
class UseCaseInput:
    """What the edit form holds."""

    title: str
    kind: str = "story"
    starting_point: str = ""
    what_was_done: str = ""
    results: str = ""
    catalogue_url: str | None = None
    datasets: int | None = None
    people: str = ""
    time_taken: str = ""
    advice: str = ""
    population_band: str | None = None
    topics: tuple[str, ...] = ()
    links: tuple[tuple[str, str], ...] = ()  # (label, url)
    community_id: int | None = None


@dataclass(frozen=True)
class Upload:
    """One file of a multipart form: its name as uploaded and its bytes (read up to the
    limit and one byte more, so an oversize file is known as such)."""

    name: str
    data: bytes


@dataclass(frozen=True)
class SaveResult:
    changed: bool
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass
class _Files:
    """Files written before the commit (removed if it fails) and files to remove after it."""

    written: list[Path] = field(default_factory=list)
    to_remove: list[Path] = field(default_factory=list)


# --- who may see and do what ---------------------------------------------------------------


def _is_staff(user: User | None) -> bool:
    return user is not None and user.role in STAFF_ROLES


def role_of(user: User | None, use_case: UseCase) -> str | None:
    """"staff" (a coordinator whose regions cover the town, or an admin), "author" (the
    evangelist who drafted it), or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if _is_staff(user):
        return "staff" if can_see(user, use_case) else None
    if user.role == "evangelist" and use_case.author_id == user.id:
        return "author"
    return None


def can_view(user: User | None, use_case: UseCase) -> bool:
    """Its author, staff of its region, and the evangelist who served its request (who
    reads the use case a coordinator wrote of their work)."""
    if role_of(user, use_case) is not None:
        return True
    return (user is not None and getattr(user, "is_authenticated", False) and user.role == "evangelist"
            and use_case.request is not None and served_request(user, use_case.request))


def can_edit(user: User | None, use_case: UseCase) -> bool:
    who = role_of(user, use_case)
    return who is not None and may_edit(use_case.status, who)


def moves_for(user: User | None, use_case: UseCase) -> list[str]:
    """The moves ``user`` may make now, in the order the page offers them."""
    who = role_of(user, use_case)
    if who is None:
        return []
    order = ("submit", "send", "return", "recall", "withdraw")
    return [action for action in order if may_move(use_case.status, action, who)
            and (action != "send" or use_case.request_id is not None)]


def is_public(use_case: UseCase) -> bool:
    return use_case.status in PUBLIC_STATUSES


def served_request(user: User, request: SupportRequest) -> bool:
    """Whether ``user`` is an evangelist who served ``request`` (an accepted or completed
    assignment of theirs)."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Assignment)
        .join(Evangelist, Assignment.evangelist_id == Evangelist.id)
        .where(Assignment.request_id == request.id, Evangelist.user_id == user.id,
               Assignment.status.in_(("accepted", "completed")))
    ) > 0


def involved_in(user: User, request: SupportRequest) -> bool:
    """Staff of the request's region, or the evangelist who served it."""
    if _is_staff(user):
        return can_see(user, request)
    return user.role == "evangelist" and served_request(user, request)


def may_draft(user: User, request: SupportRequest) -> bool:
    return request.status in DRAFTABLE_REQUEST_STATUSES and involved_in(user, request)


# --- reading ---------------------------------------------------------------------------------


def get_use_case(use_case_id: int) -> UseCase | None:
    return db.session.get(UseCase, use_case_id)


def get_attachment(use_case: UseCase, attachment_id: int) -> UseCaseAttachment | None:
    attachment = db.session.get(UseCaseAttachment, attachment_id)
    return attachment if attachment is not None and attachment.use_case_id == use_case.id else None


def use_cases_of_request(request: SupportRequest) -> list[UseCase]:
    return list(db.session.scalars(sa.select(UseCase).where(UseCase.request_id == request.id)
                                   .order_by(UseCase.id)))


def live_use_case_of(request: SupportRequest) -> UseCase | None:
    """The request's use case that is not withdrawn (a request has one story to tell)."""
    return db.session.scalar(sa.select(UseCase).where(UseCase.request_id == request.id,
                                                      UseCase.status != "withdrawn")
                             .order_by(UseCase.id.desc()).limit(1))


def drafted_for(request_ids: Iterable[int]) -> dict[int, UseCase]:
    """The live use case of each of ``request_ids`` that has one (the evangelist's page)."""
    ids = list(request_ids)
    if not ids:
        return {}
    rows = db.session.scalars(sa.select(UseCase).where(UseCase.request_id.in_(ids),
                                                       UseCase.status != "withdrawn").order_by(UseCase.id))
    return {row.request_id: row for row in rows}


def for_town(request: SupportRequest) -> UseCase | None:
    """The use case of ``request`` that waits for the town's answer, if any."""
    return db.session.scalar(
        sa.select(UseCase).where(UseCase.request_id == request.id, UseCase.status == "with_town")
        .options(selectinload(UseCase.links), selectinload(UseCase.attachments), selectinload(UseCase.topics))
        .order_by(UseCase.id.desc()).limit(1))


QUEUE = ("with_coordinator", "changes_asked")  # what waits for a coordinator


def list_for(user: User, *, statuses: Sequence[str], page: int, per_page: int = 30) -> Page:
    """The use cases ``user`` may see in ``statuses``, the ones waiting longest first:
    staff those of their regions, an evangelist their own."""
    query = (sa.select(UseCase).where(UseCase.status.in_(list(statuses)))
             .options(selectinload(UseCase.municipality).selectinload(Municipality.prefecture),
                      selectinload(UseCase.town_answers)))
    if _is_staff(user):
        query = query.where(municipality_visible(scope_of(user), UseCase.municipality_id))
    else:
        query = query.where(UseCase.author_id == user.id)
    return page_of(query.order_by(UseCase.updated_at, UseCase.id), page=page, per_page=per_page)


def counts_for(user: User) -> dict[str, int]:
    """How many use cases ``user`` may see, per status."""
    query = sa.select(UseCase.status, sa.func.count()).group_by(UseCase.status)
    if _is_staff(user):
        query = query.where(municipality_visible(scope_of(user), UseCase.municipality_id))
    else:
        query = query.where(UseCase.author_id == user.id)
    return dict(db.session.execute(query).all())


def history_of(use_case: UseCase) -> list[AuditEvent]:
    """The use case's audit events, oldest first."""
    return list(db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.entity_type == "use_case", AuditEvent.entity_id == use_case.id)
        .order_by(AuditEvent.created_at, AuditEvent.id)))


def latest_town_answer(use_case: UseCase) -> UseCaseTownAnswer | None:
    return use_case.town_answers[-1] if use_case.town_answers else None


def topic_choices() -> list[Topic]:
    return list(db.session.scalars(sa.select(Topic).order_by(Topic.position)))


def community_choices(use_case: UseCase) -> list[Community]:
    """The communities a participation use case may name: the town's prefecture's first,
    then the others by name (a short list: the network has a few hundred)."""
    return list(db.session.scalars(
        sa.select(Community).join(Municipality, Community.municipality_id == Municipality.id)
        .order_by((Municipality.prefecture_id != use_case.municipality.prefecture_id), Community.name)))


# --- the index --------------------------------------------------------------------------------


def refresh_search_text(use_case: UseCase) -> None:
    """``search_text`` from the use case's words, its town and its topics (both languages)."""
    town = use_case.municipality
    parts: list[str | None] = [
        use_case.title, use_case.starting_point, use_case.what_was_done, use_case.results,
        use_case.people, use_case.time_taken, use_case.advice,
        town.name if town else None, town.name_kana if town else None,
        town.prefecture.name_ja if town else None,
        use_case.community.name if use_case.community is not None else None,
    ]
    for topic in use_case.topics:
        parts += [topic.name_ja, topic.name_en]
    use_case.search_text = search_text_of(parts)


# --- drafting from a completed request -----------------------------------------------------------


def _request_visits(request: SupportRequest) -> list[Visit]:
    return sorted((visit for assignment in request.assignments for visit in assignment.visits),
                  key=lambda v: (v.visited_on, v.id))


def _topics_of(request: SupportRequest, visits: list[Visit]) -> list[Topic]:
    seen: dict[int, Topic] = {topic.id: topic for topic in request.topics}
    for visit in visits:
        for topic in visit.topics:
            seen.setdefault(topic.id, topic)
    return sorted(seen.values(), key=lambda t: (t.position, t.id))


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def prefill(request: SupportRequest) -> dict:
    """The draft's words from the request's visits and outcomes: the visits' summaries
    are what was done, the outcomes' notes the results, the datasets published counted,
    the catalogue's address from a "catalogue launched" outcome, the other outcomes'
    addresses as links, the departments that attended as the people."""
    visits = _request_visits(request)
    outcomes = [outcome for visit in visits for outcome in visit.outcomes]
    datasets = sum(o.count or 0 for o in outcomes if o.type == "datasets_published")
    catalogue = next((o.evidence_url for o in outcomes if o.type == "catalog_launched" and o.evidence_url), None)
    links: list[tuple[str, str]] = []
    for outcome in outcomes:
        url = outcome.evidence_url
        if url and url != catalogue and url not in (u for _l, u in links):
            links.append((_short(outcome.note.strip() or url, 200), url))
    departments: list[str] = []
    for visit in visits:
        for part in visit.attendee_departments.replace("、", ",").split(","):
            if part.strip() and part.strip() not in departments:
                departments.append(part.strip())
    town = request.municipality
    return {
        "title": _short(f"{town.name}の取り組み", USE_CASE_TITLE_MAX),
        "starting_point": request.message.strip(),
        "what_was_done": "\n\n".join(v.summary.strip() for v in visits if v.summary.strip()),
        "results": "\n".join(f"・{o.note.strip()}" for o in outcomes if o.note.strip()),
        "datasets": datasets or None,
        "catalogue_url": catalogue,
        "people": _short("、".join(departments), USE_CASE_SHORT_MAX),
        "links": links[:20],
        "topics": _topics_of(request, visits),
        "visits": visits,
        "outcomes": outcomes,
        "population_band": population_band(town.population),
    }


def draft_from_request(actor: User, request: SupportRequest, *, nonce: str | None = None,
                       address: str | None = None) -> tuple[UseCase, bool]:
    """A draft use case of ``request`` (completed) by its evangelist or a coordinator
    of its region, prefilled (:func:`prefill`), linked to its visits and outcomes.
    Returns ``(use_case, created)``: the request's live use case if it already has one
    (or the one this form's ``nonce`` made), not a second."""
    if request.status not in DRAFTABLE_REQUEST_STATUSES:
        raise UseCaseRefused(None, "not_completed")
    if not may_draft(actor, request):
        raise UseCaseRefused(None, "not_yours")
    if nonce:
        made = db.session.scalar(sa.select(UseCase).where(UseCase.form_nonce == nonce))
        if made is not None:
            return made, False
    existing = live_use_case_of(request)
    if existing is not None:
        return existing, False
    words = prefill(request)
    use_case = UseCase(
        kind="story", status="draft", municipality=request.municipality, request=request, author_id=actor.id,
        title=words["title"], starting_point=words["starting_point"], what_was_done=words["what_was_done"],
        results=words["results"], datasets=words["datasets"], catalogue_url=words["catalogue_url"],
        people=words["people"], population_band=words["population_band"], form_nonce=nonce or None,
        version=1,
    )
    use_case.topics = words["topics"]
    use_case.visits = words["visits"]
    use_case.outcomes = words["outcomes"]
    use_case.links = [UseCaseLink(position=i, label=label, url=url) for i, (label, url) in enumerate(words["links"])]
    db.session.add(use_case)
    refresh_search_text(use_case)
    db.session.flush()
    record_event(actor, "use_case.drafted", "use_case", use_case.id,
                 after={"request": request.id, "municipality": request.municipality.code,
                        "linked_visits": [v.id for v in words["visits"]],
                        "linked_outcomes": [o.id for o in words["outcomes"]]},
                 client_address=address)
    try:
        db.session.commit()
    except IntegrityError:  # the same form, sent twice at once: the other one made it
        db.session.rollback()
        made = db.session.scalar(sa.select(UseCase).where(UseCase.form_nonce == nonce)) if nonce else None
        if made is None:
            raise
        return made, False
    return use_case, True


# --- editing ------------------------------------------------------------------------------------


def _snapshot(use_case: UseCase) -> dict:
    return {
        "use_case_kind": use_case.kind,
        "title": use_case.title,
        "starting_point": use_case.starting_point,
        "what_was_done": use_case.what_was_done,
        "results": use_case.results,
        "catalogue_url": use_case.catalogue_url,
        "datasets": use_case.datasets,
        "people": use_case.people,
        "time_taken": use_case.time_taken,
        "advice": use_case.advice,
        "population_band": use_case.population_band,
        "topics": [t.slug for t in use_case.topics],
        "community": use_case.community_id,
        "links": [f"{link.label} {link.url}" for link in use_case.links],
    }


def as_input(use_case: UseCase) -> UseCaseInput:
    """The saved use case as the edit form shows it."""
    return UseCaseInput(
        title=use_case.title, kind=use_case.kind, starting_point=use_case.starting_point,
        what_was_done=use_case.what_was_done, results=use_case.results, catalogue_url=use_case.catalogue_url,
        datasets=use_case.datasets, people=use_case.people, time_taken=use_case.time_taken,
        advice=use_case.advice, population_band=use_case.population_band,
        topics=tuple(t.slug for t in use_case.topics),
        links=tuple((link.label, link.url) for link in use_case.links), community_id=use_case.community_id)


def differences(use_case: UseCase, data: UseCaseInput) -> list[str]:
    """The fields in which ``data`` (what someone typed) differs from the saved use case
    (the conflict page shows the saved text of these)."""
    saved = as_input(use_case)
    names = ("title", "kind", "starting_point", "what_was_done", "results", "catalogue_url", "datasets", "people",
             "time_taken", "advice", "population_band", "topics", "links", "community_id")
    return [name for name in names if _clean_value(getattr(saved, name)) != _clean_value(getattr(data, name))]


def _clean_value(value):
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, tuple):
        return tuple(_clean_value(v) for v in value)
    return value


def _fill(use_case: UseCase, data: UseCaseInput) -> None:
    use_case.kind = data.kind
    use_case.title = data.title.strip()
    use_case.starting_point = data.starting_point.strip()
    use_case.what_was_done = data.what_was_done.strip()
    use_case.results = data.results.strip()
    use_case.catalogue_url = (data.catalogue_url or "").strip() or None
    use_case.datasets = data.datasets
    use_case.people = data.people.strip()
    use_case.time_taken = data.time_taken.strip()
    use_case.advice = data.advice.strip()
    use_case.population_band = data.population_band or None
    slugs = list(dict.fromkeys(data.topics))
    use_case.topics = list(db.session.scalars(sa.select(Topic).where(Topic.slug.in_(slugs)).order_by(Topic.position))) \
        if slugs else []
    community_id = data.community_id if data.kind == "participation" else None
    use_case.community = db.session.get(Community, community_id) if community_id else None
    wanted = [(label.strip(), url.strip()) for label, url in data.links if url.strip()]
    if [(link.label, link.url) for link in use_case.links] != wanted:
        use_case.links = [UseCaseLink(position=i, label=label or url, url=url) for i, (label, url) in enumerate(wanted)]


def _check_version(use_case: UseCase, version: int | None) -> None:
    if version != use_case.version:
        raise UseCaseRefused("version", "conflict", version=use_case.version)


def _claim_version(use_case: UseCase, version: int) -> None:
    """Count the version up from ``version`` in the database itself, in this transaction:
    of two writers who read the same version, the second finds it gone (its UPDATE waits
    for the first's commit on PostgreSQL) and is refused, whatever the timing."""
    claimed = db.session.execute(
        sa.update(UseCase).where(UseCase.id == use_case.id, UseCase.version == version)
        .values(version=version + 1).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        db.session.rollback()
        raise UseCaseRefused("version", "conflict", version=db.session.get(UseCase, use_case.id).version)
    set_committed_value(use_case, "version", version + 1)


def files_dir() -> Path:
    return Path(current_app.instance_path) / FILES_FOLDER


def file_path(attachment: UseCaseAttachment) -> Path:
    return files_dir() / attachment.stored_name


def file_limits() -> tuple[int, int]:
    """(bytes per file, files per use case): the site's settings, else the core's."""
    config = current_app.config
    return int(config.get("USE_CASE_FILE_MAX_BYTES") or MAX_FILE_BYTES), int(config.get("USE_CASE_FILES_MAX")
                                                                               or MAX_FILES)


def check_uploads(use_case: UseCase, uploads: Sequence[Upload], removing: int = 0) -> list[CheckedFile]:
    """Every upload checked (``evangelists.use_case_files``) before anything is saved;
    the first refusal is raised (FileRefused names the file)."""
    max_bytes, max_files = file_limits()
    checked = [check_file(upload.name, upload.data, max_bytes=max_bytes) for upload in uploads]
    if checked:
        check_count(len(use_case.attachments) - removing, len(checked), limit=max_files, name=checked[-1].filename)
    return checked


def save(actor: User, use_case: UseCase, data: UseCaseInput, *, version: int | None,
         uploads: Sequence[Upload] = (), remove: Iterable[int] = (), address: str | None = None) -> SaveResult:
    """Save the edit form: the text, files added (``uploads``) and removed (attachment
    ids). Refused unless ``actor`` may edit it now and ``version`` is the saved one; every
    upload is checked before anything is written. Nothing changed: nothing is written.
    One transaction; the files are written before its commit and removed after it."""
    who = role_of(actor, use_case)
    if who is None:
        raise UseCaseRefused(None, "not_yours")
    if not may_edit(use_case.status, who):
        raise UseCaseRefused(None, "not_editable")
    _check_version(use_case, version)
    removing = [a for a in use_case.attachments if a.id in set(remove)]
    checked = check_uploads(use_case, uploads, removing=len(removing))
    before = _snapshot(use_case)
    files = _Files()
    try:
        with db.session.no_autoflush:
            _fill(use_case, data)
        after = _snapshot(use_case)
        added = [_store(actor, use_case, upload, item, files) for upload, item in zip(uploads, checked, strict=True)]
        for attachment in removing:
            files.to_remove.append(file_path(attachment))
            use_case.attachments.remove(attachment)
        if before == after and not added and not removing:
            db.session.rollback()
            return SaveResult(changed=False)
        _claim_version(use_case, version)
        refresh_search_text(use_case)
        changed = [k for k in after if before[k] != after[k]]
        record_event(actor, "use_case.updated", "use_case", use_case.id,
                     before={k: before[k] for k in changed if k in _SHORT_FIELDS},
                     after={**{k: after[k] for k in changed if k in _SHORT_FIELDS},
                            **({"texts_changed": [k for k in changed if k in _LONG_FIELDS]}
                               if any(k in _LONG_FIELDS for k in changed) else {}),
                            **({"files_added": [a.filename for a in added]} if added else {}),
                            **({"files_removed": [a.filename for a in removing]} if removing else {}),
                            "version": use_case.version},
                     client_address=address)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        _remove_files(files.written)
        raise
    _remove_files(files.to_remove)
    return SaveResult(changed=True, added=tuple(a.filename for a in added),
                      removed=tuple(a.filename for a in removing))


def _store(actor: User, use_case: UseCase, upload: Upload, checked: CheckedFile, files: _Files) -> UseCaseAttachment:
    folder = files_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = secrets.token_hex(16)
    path = folder / stored_name
    with open(path, "xb") as stream:  # "x": never over another file
        files.written.append(path)
        stream.write(upload.data)
    attachment = UseCaseAttachment(filename=checked.filename, stored_name=stored_name,
                                   content_type=checked.content_type, size=checked.size, sha256=checked.sha256,
                                   uploaded_by_id=actor.id)
    use_case.attachments.append(attachment)
    return attachment


def _remove_files(paths: Iterable[Path]) -> None:
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError:  # the row is gone; a file left behind is only space
            current_app.logger.warning("use case file %s could not be removed", path.name)


# --- the moves ---------------------------------------------------------------------------------


def _coordinators_of(use_case: UseCase) -> list[User]:
    """Who hears for the coordinators: the request's owner while active, else the
    coordinators of the town's region."""
    request = use_case.request
    if request is not None and request.owner is not None and request.owner.is_active:
        return [request.owner]
    from app.services.requests import coordinators  # requests imports the notices' helpers

    return coordinators(use_case)


def _params(use_case: UseCase) -> dict:
    town = use_case.municipality
    return {"town": town.name, "prefecture": town.prefecture.name_ja, "title": use_case.title}


def move(actor: User, use_case: UseCase, action: str, *, version: int | None, note: str = "",
         address: str | None = None) -> str:
    """Make ``action`` (submit, return, send, recall, withdraw) as ``actor``; returns the
    new status. ``note``: the coordinator's words to the author when returning it."""
    who = role_of(actor, use_case)
    if who is None:
        raise UseCaseRefused(None, "not_yours")
    _check_version(use_case, version)
    if not may_move(use_case.status, action, who):
        raise UseCaseRefused(None, "not_allowed")
    if action == "send" and (use_case.request is None or use_case.request.token_hash is None):
        raise UseCaseRefused(None, "no_town")
    before = use_case.status
    target = next_status(before, action)
    _claim_version(use_case, version)
    use_case.status = target
    change = {"before": {"status": before}, "after": {"status": target, "version": use_case.version}}
    note = note.strip()
    if action == "submit":
        record_event(actor, "use_case.submitted", "use_case", use_case.id, **change, client_address=address)
        notify("use_case_submitted", users=_coordinators_of(use_case), request=use_case.request,
               target=("use_case", use_case.id), params=_params(use_case), exclude=actor)
    elif action == "return":
        if note:
            change["after"]["note"] = note
        record_event(actor, "use_case.returned", "use_case", use_case.id, **change, client_address=address)
    elif action == "send":
        use_case.sent_to_town_at = utcnow()
        record_event(actor, "use_case.sent", "use_case", use_case.id, **change, client_address=address)
        request = use_case.request
        if request.email:
            # The town's mail carries its status link, made when the mail is written.
            notify("use_case_to_town", emails=[request.email], request=request,
                   target=("use_case", use_case.id), params={**_params(use_case), "contact": request.contact_name})
    elif action == "recall":
        if before == "published":
            use_case.published_at = None
        record_event(actor, "use_case.recalled", "use_case", use_case.id, **change, client_address=address)
    elif action == "withdraw":
        if before == "published":
            use_case.published_at = None
        record_event(actor, "use_case.withdrawn", "use_case", use_case.id, **change, client_address=address)
    refresh_search_text(use_case)
    db.session.commit()
    return target


def town_mailed(use_case: UseCase) -> bool:
    """Whether sending to the town mails it (its request has an e-mail address)."""
    return use_case.request is not None and bool(use_case.request.email)


# --- the town's answer -----------------------------------------------------------------------------


def town_answer(request: SupportRequest, use_case_id: int | None, decision: str, *, message: str = "",
                agreed: bool = False, version: int | None = None, address: str | None = None) -> UseCase:
    """The town's answer on its status page about the use case of ``request`` that is with
    it: ``"changes_asked"`` (``message`` says what to change) or ``"agreed"`` (``agreed``:
    the box "we agree this text is published" ticked); published at once then. Refused
    when the use case is not with the town, or its text changed since the page was
    read (``version``). The coordinators and the author are told."""
    use_case = db.session.get(UseCase, use_case_id) if use_case_id is not None else None
    if use_case is None or use_case.request_id != request.id or use_case.status != "with_town":
        raise UseCaseRefused(None, "not_allowed")
    if version != use_case.version:
        raise UseCaseRefused(None, "text_changed")
    message = message.strip()
    if decision == "changes_asked":
        if not message:
            raise UseCaseRefused("message", "message_required")
        action = "ask_changes"
    elif decision == "agreed":
        if not agreed:
            raise UseCaseRefused("agree", "agreement_required")
        action = "agree"
    else:
        raise UseCaseRefused(None, "not_allowed")
    before = use_case.status
    now = utcnow()
    try:
        _claim_version(use_case, version)
    except UseCaseRefused:  # answered twice at once, or changed meanwhile: read it again
        raise UseCaseRefused(None, "text_changed") from None
    with db.session.no_autoflush:
        use_case.town_answers.append(UseCaseTownAnswer(decision=decision, message=message, version=version))
        if action == "agree":
            use_case.town_agreed_at = now
            use_case.published_at = now
        use_case.status = next_status(before, action)
    change = {"before": {"status": before}, "after": {"status": use_case.status, "version": use_case.version}}
    if action == "agree":
        record_event(TOWN, "use_case.agreed", "use_case", use_case.id, **change, client_address=address)
    else:
        change["after"]["town_message"] = message
        record_event(TOWN, "use_case.changes_asked", "use_case", use_case.id, **change, client_address=address)
    author = [use_case.author] if use_case.author is not None else []
    notify("use_case_answered", users=[*_coordinators_of(use_case), *author], request=request,
           target=("use_case", use_case.id),
           params={**_params(use_case), "decision": decision, "message": message[:1000]})
    db.session.commit()
    return use_case
