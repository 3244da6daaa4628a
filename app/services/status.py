"""One way to change a status: check the lifecycle, set the new status, audit the move.

Every service that moves a request, an assignment, a community, an evangelist or a
request addition calls ``set_status`` (inside its own transaction; nothing here commits),
so no status changes without the lifecycle's consent (``evangelists.lifecycle``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.models import User
from app.services.audit import record_event
from evangelists import lifecycle

# The default audit payload: ``{attribute: the status}`` before and after the move.
STATUS: Any = object()


def set_status(
    actor: User | str | None,
    row: Any,
    machine: str,
    target: str,
    *,
    action: str | None,
    entity_type: str = "",
    entity_id: int | None = None,
    attribute: str = "status",
    before: dict[str, Any] | None = STATUS,
    after: dict[str, Any] | None = STATUS,
    address: str | None = None,
    only_if_allowed: bool = False,
    write: Callable[[Any, str], None] | None = None,
) -> bool:
    """Move ``row``'s ``attribute`` to ``target`` if ``machine`` allows it from where it is,
    and add the audit event ``action`` (None: the caller audits the change within its
    own event) about ``entity_type`` and ``entity_id`` (default: the row's id).
    The payloads default to ``{attribute: old}`` and ``{attribute: target}``; pass a dict
    to say more, or None for no payload.

    ``write`` sets the value instead of a plain assignment (a guarded UPDATE, for
    instance; it raises ``TransitionRefused`` if someone else moved the row first).

    Returns True if the status moved. A move the lifecycle refuses raises
    ``lifecycle.TransitionRefused`` with nothing changed, or returns False when
    ``only_if_allowed`` (a side effect that happens only where it can)."""
    current = getattr(row, attribute)
    reason = lifecycle.refusal(machine, current, target)
    if reason is not None:
        if only_if_allowed:
            return False
        raise lifecycle.TransitionRefused(machine, current, target, reason)
    if write is None:
        setattr(row, attribute, target)
    else:
        write(row, target)
    if action is not None:
        record_event(
            actor, action, entity_type, row.id if entity_id is None else entity_id,
            before={attribute: current} if before is STATUS else before,
            after={attribute: target} if after is STATUS else after,
            client_address=address,
        )
    return True


def write_while(row: Any, machine: str, expected: str, reason: str, **values: Any) -> None:
    """Write ``values`` (the new status among them) to ``row`` only while its status is
    still ``expected``, in one UPDATE, so of two people pressing at the same moment one
    wins: the loser's transaction is rolled back and gets ``TransitionRefused(reason)``.
    For ``set_status(write=...)`` where a race matters (answering or withdrawing a
    proposal, deciding an addition)."""
    model = type(row)
    changed = db.session.execute(
        sa.update(model)
        .where(model.id == row.id, model.status == expected)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        db.session.refresh(row)
        raise lifecycle.TransitionRefused(machine, row.status, values["status"], reason)
    db.session.refresh(row)
