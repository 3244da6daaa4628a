"""Recording audit events. Callers add the event to their own transaction."""

from __future__ import annotations

from typing import Any

from app.extensions import db
from app.models import AuditEvent, User

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
