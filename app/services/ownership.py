"""Who owns a request (issue 20, point 2): the coordinator who answers for it.

A request gets its owner when a staff member first moves it out of "new" (triage, or a
proposal straight from "new"); an owner can be changed or cleared afterwards by any staff
member, and every change is audited ``request.owner_changed``. ``claim_if_unowned`` and
``set_owner`` do not commit (they run inside a status move, or a bulk action);
``change_owner`` does."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import SupportRequest, User
from app.services.audit import record_event
from app.services.regions import can_see
from evangelists.errors import Refused

OWNER_ROLES = ("coordinator", "admin")


class OwnerRefused(Refused):
    """``not_staff``: the chosen person is not an active coordinator or admin;
    ``outside_regions``: a regional coordinator whose regions do not include the town;
    ``unchanged``: they already own it."""

    scope = "owner"

    def __init__(self, reason: str):
        super().__init__("owner", reason)


def may_own(user: User | None) -> bool:
    return user is not None and user.is_active and user.role in OWNER_ROLES


def claim_if_unowned(actor: User | str | None, request: SupportRequest) -> dict[str, Any]:
    """Make ``actor`` the owner of an unowned request if they are staff; returns what the
    status move's audit payload should add (``{"owner": id}``), or nothing."""
    if request.owner_id is None and isinstance(actor, User) and may_own(actor) and can_see(actor, request):
        request.owner = actor
        return {"owner": actor.id}
    return {}


def set_owner(actor: User, request: SupportRequest, owner: User | None, *, address: str | None = None) -> None:
    """Give ``request`` to ``owner`` (None: nobody); audited with before and after. Raises
    ``OwnerRefused`` with nothing changed."""
    if owner is not None and not may_own(owner):
        raise OwnerRefused("not_staff")
    if owner is not None and not can_see(owner, request):
        raise OwnerRefused("outside_regions")
    new_id = owner.id if owner is not None else None
    if request.owner_id == new_id:
        raise OwnerRefused("unchanged")
    record_event(actor, "request.owner_changed", "support_request", request.id,
                 before={"owner": request.owner_id}, after={"owner": new_id}, client_address=address)
    request.owner = owner


def change_owner(actor: User, request: SupportRequest, owner_id: int | None, *, address: str | None = None) -> None:
    """Give the request to the staff member ``owner_id`` (None: nobody); audited and
    committed. Raises ``OwnerRefused`` with nothing changed."""
    owner = db.session.get(User, owner_id) if owner_id is not None else None
    if owner_id is not None and owner is None:
        raise OwnerRefused("not_staff")
    set_owner(actor, request, owner, address=address)
    db.session.commit()


def possible_owners(request: SupportRequest | None = None) -> list[User]:
    """Every active coordinator and admin, by name: the choices of the owner list; for
    ``request``, those whose regions include its town."""
    staff = list(db.session.scalars(
        sa.select(User).where(User.is_active.is_(True), User.role.in_(OWNER_ROLES))
        .order_by(User.display_name, User.id).options(selectinload(User.region_rows))
    ))
    return staff if request is None else [user for user in staff if can_see(user, request)]
