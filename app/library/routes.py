"""/cases: the public library of use cases, a use case's page and the Atom feed; and the
template globals with which the request form, the town's status page and the evangelist's
brief show "towns like yours"."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from flask import Response, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _

from app.caching import LRUCache
from app.decorators import public
from app.extensions import db
from app.folium_maps import map_config, place_map, place_of, rendered
from app.i18n import current_language
from app.library import bp
from app.library.feed import atom_feed
from app.library.forms import LibraryFilterForm, fiscal_year_label
from app.links import external_url
from app.models.base import utcnow
from app.models.system import data_version
from app.page_cache import cached_page
from app.pagination import requested_page
from app.services import library as service
from app.services.geography import list_prefectures
from app.services.pages import page_of
from app.services.topics import list_topics
from evangelists import fiscal

FEED_MIMETYPE = "application/atom+xml"
_FEEDS = "library_feeds"


@bp.app_template_global("use_case_attachment_url")
def attachment_url(use_case_id: int, attachment_id: int) -> str:
    """The download address of a use case's file (the staff blueprint serves it, to
    everyone once the use case is published)."""
    return url_for("use_cases.attachment", use_case_id=use_case_id, attachment_id=attachment_id)


@bp.app_template_global("towns_like_yours")
def towns_like_yours(town=None, topics=(), limit: int = service.SUGGESTIONS) -> list:
    """:func:`app.services.library.similar_use_cases` for a municipality or its code (a
    form's value; anything else: no suggestion)."""
    if isinstance(town, str):
        town = service.town_by_code(town)
    if town is None or not hasattr(town, "lat"):
        return []
    return service.similar_use_cases(town, topics, limit)


@bp.app_template_global("web_link")
def web_link(url: str | None) -> str | None:
    """``url`` when it is an http(s) address with a host, else None (shown as text):
    a javascript: or data: address typed into a use case never becomes a link."""
    parts = urlsplit((url or "").strip())
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return url.strip()
    return None


@bp.app_template_global("fiscal_year_label")
def _fiscal_year_label(year: int) -> str:
    return fiscal_year_label(year, current_language())


@bp.app_template_global("fiscal_year_of")
def _fiscal_year_of(moment) -> int:
    return fiscal.fiscal_year_of_moment(moment)


@bp.get("")
@public
@cached_page
def index():
    """The published use cases, newest first, 20 a page: searched, filtered."""
    locale = current_language()
    form = LibraryFilterForm(request.args, topics=list_topics(), prefectures=list_prefectures(),
                             years=service.publication_years(), locale=locale, meta={"csrf": False})
    form.validate()
    filters = service.LibraryFilters(
        q="" if form.q.errors else (form.q.data or ""),
        topic=form.value("topic"), town_kind=form.value("town_kind"), band=form.value("band"),
        prefecture=form.value("prefecture"), fy=fiscal.parse(form.value("fy")), kind=form.value("kind"))
    page = page_of(service.library_list(filters), requested_page(), service.PER_PAGE)
    return render_template("library/index.html", form=form, filters=filters, page=page)


@bp.get("/<id:use_case_id>")
@public
@cached_page
def use_case(use_case_id: int):
    """A published use case's story, its links and files, and its town on a small map.
    Anything not published is a 404 here, for everyone (staff read drafts elsewhere)."""
    found = service.published_use_case(use_case_id)
    if found is None:
        abort(404, description=_("No published use case has the number %(id)s.", id=use_case_id))
    town = found.municipality
    return render_template(
        "library/use_case.html", use_case=found, town=town,
        map=rendered(place_map, place_of(town), [], []),
        config=map_config([], [], current_language()))


@bp.get("/like/<code>")
@public
@cached_page
def towns_like(code: str):
    """The "towns like yours" fragment for the municipality ``code``, which the request
    form's script shows when a municipality is chosen (no layout: a piece of a page)."""
    if service.town_by_code(code) is None:
        abort(404)
    return render_template("library/_towns_like_yours_list.html", town=code)


@bp.get("/feed.atom")
@public
def feed():
    """The newest published use cases as Atom, kept per data version and language
    (a write anywhere makes a new one); its addresses are PUBLIC_BASE_URL's, never the
    request's Host. Conditional GETs answer 304."""
    version = data_version(db.session())
    key = (current_language(), version)
    feeds = current_app.extensions.setdefault(_FEEDS, LRUCache(16))
    body, etag, updated = feeds.get(key, _build_feed)
    response = Response(body, mimetype=FEED_MIMETYPE)
    response.set_etag(etag)
    response.last_modified = updated
    response.cache_control.public = True
    response.cache_control.no_cache = True
    return response.make_conditional(request)


def _build_feed() -> tuple[bytes, str, object]:
    ja = current_language() == "ja"
    entries = []
    for found in service.newest():
        town = found.municipality
        prefecture = town.prefecture.name_ja if ja else town.prefecture.name_en
        url = external_url("library.use_case", use_case_id=found.id)
        story = found.starting_point if found.kind == "story" else found.what_was_done
        entries.append({
            "id": url,
            "title": found.title,
            "url": url,
            "published": found.published_at,
            "updated": max(found.published_at, found.updated_at or found.published_at),
            "summary": f"{town.name}（{prefecture}）: {story or found.what_was_done or found.results}",
            "categories": [(t.slug, t.name_ja if ja else t.name_en) for t in found.topics],
            "author": town.name,
        })
    updated = max((e["updated"] for e in entries), default=None) or service.last_published_at() or utcnow()
    body = atom_feed(
        feed_id=external_url("library.index"),
        title=_("Use cases of the open data evangelist programme"),
        subtitle=_("What worked in towns that started on open data, told by the towns themselves."),
        self_url=external_url("library.feed"),
        page_url=external_url("library.index"),
        author=_("Evangelist Network"),
        language=current_language(),
        updated=updated,
        entries=entries)
    return body, hashlib.sha256(body).hexdigest()[:32], updated
