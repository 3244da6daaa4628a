"""Regional coordinators (issue 20, point 1): who sees which part of the country.

A coordinator works nationally, or in one or more of the eight regional blocks
(``evangelists.vocabulary.REGIONS``, the prefecture's ``region``). Admins and coordinators
with no region are national. A regional coordinator sees and acts on the requests,
evangelists, communities and outreach whose municipality lies in one of their regions, and
nothing else: lists are narrowed with the ``*_visible`` clauses below, and a page about
one object asks ``can_see`` first (the web layer's ``app.web.visible_or_404`` answers 404,
not 403: a coordinator of another region does not learn that the object exists).

Everything here reads; ``set_regions`` is the one write and commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from app.extensions import db
from app.models import (
    Community,
    Evangelist,
    Municipality,
    Prefecture,
    SupportRequest,
    User,
    UserRegion,
)
from app.services.audit import record_event
from evangelists.errors import Refused
from evangelists.vocabulary import REGIONS


@dataclass(frozen=True)
class RegionScope:
    """The regions a staff member may see; ``regions`` None means the whole country."""

    regions: frozenset[str] | None = None

    @property
    def national(self) -> bool:
        return self.regions is None

    def covers(self, region: str | None) -> bool:
        return self.regions is None or region in self.regions

    def narrowed_to(self, wanted: Iterable[str] | None) -> frozenset[str] | None:
        """The regions a filter for ``wanted`` (None: no filter) may show."""
        if wanted is None:
            return self.regions
        wanted = frozenset(wanted)
        return wanted if self.regions is None else wanted & self.regions


NATIONAL = RegionScope()


def regions_of(user: User) -> tuple[str, ...]:
    """The regions recorded for ``user``, in the vocabulary's order (north to south)."""
    held = {row.region for row in user.region_rows}
    return tuple(r for r in REGIONS if r in held)


def scope_of(user: User | None) -> RegionScope:
    """What ``user`` may see: admins, and coordinators without a region, see everything.

    Evangelists and anonymous callers get an empty scope: the staff pages are closed to
    them anyway, and an empty scope fails closed if one ever reaches a list."""
    if user is None or not getattr(user, "is_authenticated", False):
        return RegionScope(frozenset())
    if user.role == "admin":
        return NATIONAL
    if user.role != "coordinator":
        return RegionScope(frozenset())
    held = regions_of(user)
    return RegionScope(frozenset(held)) if held else NATIONAL


# -- query clauses: add them to a statement's WHERE ------------------------------------


def _municipalities_in(regions: frozenset[str]) -> sa.Select:
    return (
        sa.select(Municipality.id)
        .join(Prefecture, Municipality.prefecture_id == Prefecture.id)
        .where(Prefecture.region.in_(sorted(regions)))
    )


def municipality_visible(scope: RegionScope, column: ColumnElement | None = None) -> ColumnElement[bool]:
    """A clause true for rows whose municipality id (``column``, default
    ``Municipality.id``) lies in the scope."""
    if scope.regions is None:
        return sa.true()
    if not scope.regions:
        return sa.false()
    return (column if column is not None else Municipality.id).in_(_municipalities_in(scope.regions))


def prefecture_visible(scope: RegionScope, column: ColumnElement | None = None) -> ColumnElement[bool]:
    """A clause true for rows whose prefecture id (``column``, default ``Prefecture.id``)
    lies in the scope."""
    if scope.regions is None:
        return sa.true()
    if not scope.regions:
        return sa.false()
    column = column if column is not None else Prefecture.id
    return column.in_(sa.select(Prefecture.id).where(Prefecture.region.in_(sorted(scope.regions))))


def requests_visible(scope: RegionScope) -> ColumnElement[bool]:
    return municipality_visible(scope, SupportRequest.municipality_id)


def evangelists_visible(scope: RegionScope) -> ColumnElement[bool]:
    return municipality_visible(scope, Evangelist.home_municipality_id)


def communities_visible(scope: RegionScope) -> ColumnElement[bool]:
    return municipality_visible(scope, Community.municipality_id)


# -- one object ------------------------------------------------------------------------


def region_of_municipality(municipality: Municipality | None) -> str | None:
    return municipality.prefecture.region if municipality is not None else None


def region_of(obj: object) -> str | None:
    """The region an object belongs to, by its municipality."""
    if isinstance(obj, Municipality):
        return region_of_municipality(obj)
    if isinstance(obj, Prefecture):
        return obj.region
    if isinstance(obj, SupportRequest):
        return region_of_municipality(obj.municipality)
    if isinstance(obj, Evangelist):
        return region_of_municipality(obj.home_municipality)
    if isinstance(obj, Community):
        return region_of_municipality(obj.municipality)
    municipality = getattr(obj, "municipality", None)
    if isinstance(municipality, Municipality):
        return region_of_municipality(municipality)
    raise TypeError(f"no region for {type(obj).__name__}")


def can_see(user: User | None, obj: object) -> bool:
    scope = scope_of(user)
    return scope.national or scope.covers(region_of(obj))


# -- the one write ---------------------------------------------------------------------


class RegionsRefused(Refused):
    """``not_coordinator``: only coordinators have regions; ``unknown``: not a region."""

    scope = "regions"

    def __init__(self, reason: str):
        super().__init__("regions", reason)


def set_regions(actor: User, user: User, regions: Iterable[str], *, address: str | None = None) -> bool:
    """Give coordinator ``user`` exactly ``regions`` (empty: national); audited
    ``user.regions_changed``; the requests they owned outside them become nobody's;
    commits. Returns False when nothing changed."""
    wanted = tuple(r for r in REGIONS if r in set(regions))
    if set(regions) - set(REGIONS):
        raise RegionsRefused("unknown")
    if user.role != "coordinator" and wanted:
        raise RegionsRefused("not_coordinator")
    before = regions_of(user)
    if before == wanted:
        return False
    user.region_rows = [UserRegion(region=r) for r in wanted]
    record_event(actor, "user.regions_changed", "user", user.id,
                 before={"regions": list(before)}, after={"regions": list(wanted)},
                 client_address=address)
    if wanted:
        # The requests they owned elsewhere go back to nobody's (the queue shows them to
        # that region's coordinators), each audited as an owner change.
        scope = RegionScope(frozenset(wanted))
        for request in db.session.scalars(sa.select(SupportRequest).where(
                SupportRequest.owner_id == user.id, sa.not_(requests_visible(scope)))):
            record_event(actor, "request.owner_changed", "support_request", request.id,
                         before={"owner": user.id}, after={"owner": None}, client_address=address)
            request.owner_id = None
    db.session.commit()
    return True
