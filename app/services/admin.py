"""Read-side queries of the admin pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import AuditEvent, Evangelist, User
from app.services.pages import Page, page_of
from app.services.regions import NATIONAL, RegionScope, evangelists_visible
from evangelists.calendar import start_of_day_in_japan


def user_status(user: User) -> str:
    """One of ``USER_STATUSES``: deactivated, invited (no password yet) or active."""
    if not user.is_active:
        return "deactivated"
    # Generated demo people hold an unusable password: they are not waiting to join.
    return "invited" if user.password_hash is None else "active"


def _invited(scope: RegionScope = NATIONAL) -> sa.Select:
    stmt = (sa.select(User).where(User.password_hash.is_(None), User.is_active.is_(True))
            .order_by(User.created_at.desc(), User.id.desc()))
    if not scope.national:
        # A regional coordinator sees the evangelists of their regions, and the people
        # not yet placed anywhere (an invitation before the person's record exists).
        placed = sa.select(Evangelist.user_id).where(Evangelist.user_id.is_not(None))
        stmt = stmt.where(sa.or_(
            User.id.in_(placed.where(evangelists_visible(scope))),
            User.id.not_in(placed),
        ))
    return stmt


def invited_users() -> list[User]:
    """The people whose ``user_status`` is "invited" (active, no password yet), newest first."""
    return list(db.session.scalars(_invited()))


def invited_page(page: int, per_page: int, scope: RegionScope = NATIONAL) -> Page:
    """One page of :func:`invited_users` (in ``scope``) and how many there are (two queries)."""
    return page_of(_invited(scope), page, per_page)


@dataclass(frozen=True)
class UserFilters:
    q: str = ""
    role: str = ""
    status: str = ""


def user_search(filters: UserFilters) -> sa.Select:
    stmt = sa.select(User).order_by(User.role, User.email)
    if filters.q:
        stmt = stmt.where(
            sa.or_(
                User.email.icontains(filters.q, autoescape=True),
                User.display_name.icontains(filters.q, autoescape=True),
            )
        )
    if filters.role:
        stmt = stmt.where(User.role == filters.role)
    if filters.status == "deactivated":
        stmt = stmt.where(User.is_active.is_(False))
    elif filters.status == "invited":
        stmt = stmt.where(User.is_active.is_(True), User.password_hash.is_(None))
    elif filters.status == "active":
        stmt = stmt.where(User.is_active.is_(True), User.password_hash.is_not(None))
    return stmt


def user_page(filters: UserFilters, *, page: int, per_page: int) -> Page:
    """Page ``page`` of ``user_search``."""
    return page_of(user_search(filters), page, per_page)


@dataclass(frozen=True)
class AuditFilters:
    actor: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None


def audit_search(filters: AuditFilters) -> sa.Select:
    """Newest first; ``actor`` matches the actor's label (e-mail, "system", ...) or the
    acting user's display name. The days are Japanese days."""
    stmt = (sa.select(AuditEvent).options(joinedload(AuditEvent.actor))
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()))
    if filters.actor:
        named = sa.select(User.id).where(User.display_name.icontains(filters.actor, autoescape=True))
        stmt = stmt.where(sa.or_(AuditEvent.actor_label.icontains(filters.actor, autoescape=True),
                                 AuditEvent.actor_id.in_(named)))
    if filters.action:
        stmt = stmt.where(AuditEvent.action.startswith(filters.action, autoescape=True))
    if filters.since:
        stmt = stmt.where(AuditEvent.created_at >= start_of_day_in_japan(filters.since))
    if filters.until:
        stmt = stmt.where(AuditEvent.created_at < start_of_day_in_japan(filters.until + timedelta(days=1)))
    return stmt


def audit_page(filters: AuditFilters, *, page: int, per_page: int) -> Page:
    """Page ``page`` of ``audit_search``."""
    return page_of(audit_search(filters), page, per_page)
