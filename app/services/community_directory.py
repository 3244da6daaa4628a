"""The public community directory (/communities, issue 22 point 5): the communities that
opted in (``Community.public``), by name, prefecture and activity, and one community's
public page.

What leaves this module is a :class:`PublicCommunity`, never a ``Community`` row: it holds
only what the directory may show (name, area, website, description, how to join,
activity as status, since when and a band of the member count), so no template of the
public pages can reach the contact e-mail, the meeting address or the members. Its
position is its municipality's office, not the community's own point (which may be a
geocoded meeting address).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.models import Community
from app.services.communities import CommunityFilters, community_search, valid_website
from app.services.pages import Page, page_of
from evangelists.community_names import member_band

QUERY_MAX = 100


@dataclass(frozen=True)
class PublicCommunity:
    id: int
    name: str
    website: str | None
    description: str
    how_to_join: str
    status: str
    status_since: date
    member_band: str | None
    municipality_code: str
    municipality_name: str
    municipality_romaji: str | None
    prefecture_code: str
    prefecture_ja: str
    prefecture_en: str
    lat: float
    lon: float

    def as_point(self) -> tuple:
        """(id, lat, lon, properties) for the maps' ``communities`` layer (static/js/maps.js):
        the public fields only, and ``public`` so that its popup links this page."""
        return (self.id, self.lat, self.lon, {
            "name": self.name, "website": self.website, "status": self.status, "members": None,
            "code": self.municipality_code, "place": self.municipality_name,
            "place_romaji": self.municipality_romaji, "public": True,
        })


def _public(c: Community) -> PublicCommunity:
    town = c.municipality
    return PublicCommunity(
        # Only a web address is linked: anything else a past import stored is left out.
        id=c.id, name=c.name, website=c.website if c.website and valid_website(c.website) else None, description=c.description, how_to_join=c.how_to_join,
        status=c.status, status_since=c.status_since, member_band=member_band(c.member_count),
        municipality_code=town.code, municipality_name=town.name, municipality_romaji=town.name_romaji,
        prefecture_code=town.prefecture.code, prefecture_ja=town.prefecture.name_ja,
        prefecture_en=town.prefecture.name_en, lat=town.lat, lon=town.lon,
    )


@dataclass(frozen=True)
class DirectoryFilters:
    """What the directory is narrowed to; empty strings mean "any"."""

    q: str = ""
    prefecture: str = ""
    status: str = ""


def _search(filters: DirectoryFilters) -> sa.Select:
    """The staff list's search (by name or town, prefecture, activity; in name order),
    narrowed to the listed communities."""
    return community_search(CommunityFilters(
        q=" ".join(filters.q.split())[:QUERY_MAX], prefecture=filters.prefecture, status=filters.status,
    )).where(Community.public.is_(True))


def directory_page(filters: DirectoryFilters, *, page: int, per_page: int) -> Page:
    """Page ``page`` of the public communities matching ``filters``, by name (two queries);
    the items are :class:`PublicCommunity`. Past the end: empty."""
    found = page_of(_search(filters), page, per_page)
    return replace(found, items=tuple(_public(c) for c in found.items))


def public_community(community_id: int) -> PublicCommunity | None:
    """The community's public page, or None when there is none (unknown, or not listed)."""
    row = db.session.scalar(_search(DirectoryFilters()).where(Community.id == community_id))
    return _public(row) if row is not None else None


def public_ids(community_ids) -> frozenset[int]:
    """Which of ``community_ids`` are listed in the directory (one query)."""
    ids = list(community_ids)
    if not ids:
        return frozenset()
    return frozenset(db.session.scalars(
        sa.select(Community.id).where(Community.id.in_(ids), Community.public.is_(True))))
