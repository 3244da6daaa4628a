"""Rendered pages kept until the data they show changes.

Most pages are read far more often than the data under them changes, and rendering them
(queries, forms, Jinja) costs ten to a hundred times what the request around it costs.
A view marked with :func:`cached_page` is rendered once per **key** and then served from
the worker's memory. The key names everything a page can depend on:

* the route and its full path with the query string;
* the host, the language, the signed-in user (or none) and the demo second-factor waiver;
* today's date in Japan (pages count days);
* the **data version**: one row (``data_version``) whose number goes up, in the same
  transaction, whenever a transaction writes anything (``app/models/system.py``). A page kept
  at version N is right while the number is N, for every worker and server; the next
  write makes every kept page stale at once. Nothing is ever invalidated by hand.

The version is read first thing in the request, before the signed-in user is loaded, so
what the view then reads is at least that new: a write in between can only file a newer
page under an older number, which no later request asks for. A number lower than one seen
before (a database restored from a backup) empties the store.

What differs on every request is not kept but made again: the CSRF token, the CSP nonce
and any value a view registers with :func:`fresh_value` (the public form's duplicate
nonce). The stored page is split where those values appeared and joined with new ones.

Not kept, so rendered as without this module: anything but GET; a request whose session
holds flash messages, or a page that showed some (it consumes them); a session with writes not yet
committed; a response that is not a 200 HTML page, sets a cookie, says ``Cache-Control:
no-store`` (a page with a secret) or changed the session beyond the CSRF token; a page
larger than a quarter of the cache. ``PAGE_CACHE_BYTES`` bounds each worker's memory (least
recently used pages go first); 0 turns caching off, and so does debug mode
(``FLASK_DEBUG=1``), where templates reload when edited.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import wraps

from flask import Flask, Response, current_app, g, request, session
from flask.globals import request_ctx
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy.orm import Session

from app.caching import LRUCache
from app.decorators import DEMO_WAIVER
from app.extensions import db
from app.i18n import current_language
from app.models.system import data_version, has_unsaved_writes, listen_for_writes
from app.security import csp_nonce
from evangelists.calendar import today_in_japan

_EXTENSION = "page_cache"
_FRESH = "_page_cache_fresh"  # g: {slot name: (value, maker)} for this request
_CSRF, _NONCE = "csrf", "nonce"
_SESSION_KEYS_MADE_BY_RENDERING = frozenset({"csrf_token"})
_SHORTEST_VALUE = 16  # bytes: a per-request value shorter than this is not cut out

# --- values made again on every request ----------------------------------------------


def fresh_value(name: str, make: Callable[[], str]) -> str:
    """``make()``'s value for this request; a kept page gets a new one in its place each
    time it is served. For values that must differ between visitors (a form's nonce). The
    value must be long and random enough not to appear anywhere else in the page."""
    slots = g.setdefault(_FRESH, {})
    if name not in slots:
        slots[name] = (make(), make)
    return slots[name][0]


@dataclass(frozen=True)
class _Page:
    pieces: tuple[bytes, ...]  # the body, cut where a per-request value was
    between: tuple[str, ...]  # the slot name of each cut, one fewer than the pieces
    slots: tuple[tuple[str, Callable[[], str]], ...]  # (name, maker) of each slot used
    headers: tuple[tuple[str, str], ...]
    size: int  # bytes of body

    def render(self) -> Response:
        fresh = {name: make().encode() for name, make in self.slots}
        body = [self.pieces[0]]
        for name, piece in zip(self.between, self.pieces[1:], strict=True):
            body += [fresh[name], piece]
        return Response(b"".join(body), status=200, headers=list(self.headers))


def _slot_makers() -> dict[str, tuple[str, Callable[[], str]]]:
    """This request's per-request values that can appear in pages, by slot name."""
    slots = dict(g.get(_FRESH, {}))
    token = g.get("csrf_token")  # Flask-WTF keeps the signed token of this request here
    if token:
        slots[_CSRF] = (token, generate_csrf)
    nonce = g.get("_csp_nonce")
    if nonce:
        slots[_NONCE] = (nonce, csp_nonce)
    return slots


def _page_of(response: Response, largest: int) -> _Page | None:
    """``response`` as a page to keep, split where this request's own values appear; None
    when it must not be kept."""
    if (response.status_code != 200 or response.mimetype != "text/html" or response.is_streamed
            or response.direct_passthrough or "Set-Cookie" in response.headers
            or response.cache_control.no_store):
        return None  # no-store: a page with a secret or of one session is kept by nobody
    body = response.get_data()
    if len(body) > largest:
        return None
    slots = {value.encode(): (name, make) for name, (value, make) in _slot_makers().items()
             if value.encode() in body}
    if any(len(value) < _SHORTEST_VALUE for value in slots):
        return None  # it could stand for other text of the page: render such a page every time
    pieces: list[bytes] = []
    between: list[str] = []
    last = 0
    if slots:
        pattern = re.compile(b"|".join(re.escape(value) for value in sorted(slots, key=len, reverse=True)))
        for found in pattern.finditer(body):
            pieces.append(body[last:found.start()])
            between.append(slots[found.group()][0])
            last = found.end()
    pieces.append(body[last:])
    headers = tuple((k, v) for k, v in response.headers.items() if k.lower() != "content-length")
    return _Page(tuple(pieces), tuple(between), tuple(slots.values()), headers, len(body))


# --- the store ------------------------------------------------------------------------


class PageStore:
    """Kept pages by key, least recently used first out, at most ``capacity`` bytes of
    body in all (thread-safe): an LRUCache weighing pages by their bytes, which forgets
    everything when the data version goes back."""

    def __init__(self, capacity: int) -> None:
        self.newest_version = 0
        self._pages: LRUCache[_Page] = LRUCache(capacity, weigh=lambda page: page.size)
        self._lock = threading.Lock()

    @property
    def capacity(self) -> int:
        return self._pages.capacity

    @property
    def size(self) -> int:
        """Bytes of page bodies kept."""
        return self._pages.weight

    @property
    def hits(self) -> int:
        return self._pages.hits

    @property
    def misses(self) -> int:
        return self._pages.misses

    def saw_version(self, version: int) -> None:
        """The number only goes up, unless the database was restored from a backup or
        migrated down and up: then numbers come again with other data, and every kept
        page goes."""
        with self._lock:
            if version < self.newest_version:
                self._pages.clear()
            self.newest_version = version

    def get(self, key: Hashable) -> _Page | None:
        return self._pages.find(key)

    def put(self, key: Hashable, page: _Page) -> None:
        self._pages.put(key, page)

    def __len__(self) -> int:
        return len(self._pages)


def store(app: Flask | None = None) -> PageStore | None:
    return (app or current_app).extensions.get(_EXTENSION)


def init_page_cache(app: Flask, session_class: type[Session]) -> None:
    # Counted even where this app keeps no pages: other servers on the database may.
    listen_for_writes(session_class)
    capacity = int(app.config.get("PAGE_CACHE_BYTES", 0))
    if app.debug or app.config.get("TEMPLATES_AUTO_RELOAD"):
        capacity = 0  # an edited template shows on the next reload, as a developer expects
    app.extensions[_EXTENSION] = PageStore(capacity) if capacity > 0 else None
    app.before_request(_read_version_first)


# --- the decorator --------------------------------------------------------------------


def _key(version: int) -> tuple:
    user = current_user.get_id() if current_user.is_authenticated else None
    # The date: pages count days in Japan (every rule takes today from evangelists/calendar.py).
    return (request.endpoint, request.host_url, request.full_path, current_language(), user,
            bool(session.get(DEMO_WAIVER)), today_in_japan(), version)


def _showed_messages() -> bool:
    """Whether this render showed flash messages, even ones flashed during it (which
    leave the session as it was)."""
    return bool(getattr(request_ctx, "flashes", None))


def _session_changed(before: dict) -> bool:
    after = dict(session)
    keys = (before.keys() | after.keys()) - _SESSION_KEYS_MADE_BY_RENDERING
    return any(before.get(k) != after.get(k) for k in keys)


_MARK = "page_cache"  # attribute of a decorated view (copied outwards by functools.wraps)
_VERSION = "_page_cache_version"  # g: the data version, read before anything else


def _read_version_first() -> None:
    """Read the data version at the start of a request to a kept view, before Flask-Login
    loads the user: a page must never be older than its number, and the layout shows the
    user's name."""
    view = current_app.view_functions.get(request.endpoint or "")
    if (request.method == "GET" and getattr(view, _MARK, False) and store() is not None
            and not has_unsaved_writes(db.session())):
        setattr(g, _VERSION, data_version(db.session()))


def cached_page(view: Callable) -> Callable:
    """Serve ``view``'s GET pages from the page cache (see the module's docstring). Put it
    below the access decorator, so access is checked on every request."""

    @wraps(view)
    def cached(*args, **kwargs):
        # Read by _read_version_first only for a GET with a store and no unsaved writes.
        version = g.pop(_VERSION, None)
        if version is None or session.get("_flashes"):
            return view(*args, **kwargs)
        pages = store()
        pages.saw_version(version)
        key = _key(version)
        page = pages.get(key)
        if page is not None:
            return page.render()
        before = dict(session)
        response = current_app.make_response(view(*args, **kwargs))
        if (not _session_changed(before) and not has_unsaved_writes(db.session())
                and not _showed_messages()):
            page = _page_of(response, pages.capacity // 4)
            if page is not None:
                pages.put(key, page)
        return response

    setattr(cached, _MARK, True)
    return cached
