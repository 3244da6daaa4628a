"""Recording audit events (callers add the event to their own transaction), and the names
of what events refer to, for showing them (the words are in app/events.py)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Community, Evangelist, Municipality, User

SYSTEM = "system"


def record_event(
    actor: User | str | None,
    action: str,
    entity_type: str,
    entity_id: int | None = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    client_address: str | None = None,
) -> AuditEvent:
    """Add an audit event to the session (not committed). ``actor`` is a user, or a label
    such as ``"system"`` or ``"municipality"`` for actions without an account."""
    if isinstance(actor, User):
        actor_id, actor_label = actor.id, actor.email
    else:
        actor_id, actor_label = None, actor or SYSTEM
    event = AuditEvent(
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=before,
        after=after,
        client_address=client_address,
    )
    db.session.add(event)
    return event


# --- Reading events: the names of what they refer to -------------------------------------------

# Payload keys that hold the id of a row, and keys that hold a municipality's code.
_ID_KEYS = {"evangelist": "evangelist", "user": "user", "owner": "user", "community": "community"}
_CODE_KEYS = ("municipality", "home_municipality")


def referenced_names(events: list[AuditEvent], *, targets: bool = True) -> dict[tuple[str, Any], str]:
    """``{(kind, id or code): name}`` for the evangelists, users, communities and
    municipalities the events are about or name in their payloads (kind ``"evangelist"``,
    ``"user"``, ``"community"``, ``"municipality"`` by id, ``"municipality_code"``), one
    query per kind: a page of events shows names, not ids. ``targets``: also what the
    events are about (their entity)."""
    wanted: dict[str, set] = {"evangelist": set(), "user": set(), "community": set(), "municipality": set(),
                              "municipality_code": set()}
    for event in events:
        if targets and event.entity_type in wanted and event.entity_id is not None:
            wanted[event.entity_type].add(event.entity_id)
        for payload in (event.before or {}, event.after or {}):
            for key, kind in _ID_KEYS.items():
                if isinstance(payload.get(key), int):
                    wanted[kind].add(payload[key])
            for key in _CODE_KEYS:
                if isinstance(payload.get(key), str):
                    wanted["municipality_code"].add(payload[key])
    names: dict[tuple[str, Any], str] = {}
    if wanted["evangelist"]:
        for row in db.session.execute(sa.select(Evangelist.id, Evangelist.family_name, Evangelist.given_name)
                                      .where(Evangelist.id.in_(wanted["evangelist"]))):
            names["evangelist", row.id] = f"{row.family_name} {row.given_name}"
    if wanted["user"]:
        for row in db.session.execute(sa.select(User.id, User.display_name).where(User.id.in_(wanted["user"]))):
            names["user", row.id] = row.display_name
    if wanted["community"]:
        for row in db.session.execute(sa.select(Community.id, Community.name)
                                      .where(Community.id.in_(wanted["community"]))):
            names["community", row.id] = row.name
    if wanted["municipality"] or wanted["municipality_code"]:
        for row in db.session.execute(sa.select(Municipality.id, Municipality.code, Municipality.name).where(
                sa.or_(Municipality.id.in_(wanted["municipality"]), Municipality.code.in_(wanted["municipality_code"])))):
            names["municipality", row.id] = names["municipality_code", row.code] = row.name
    return names
