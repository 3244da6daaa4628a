"""Viewers and page views of the open dialogue, counted without personal data.

Per day in Japan and per theme (``theme_id`` 0: the dialogue's pages tied to no theme,
the list of themes and the overall results):

* **page views** (``idea_page_views``): one more for every page the dialogue serves to
  a reader who is not an obvious robot (a ``GET`` answered 200; ``HEAD`` requests and
  user agents naming themselves a bot, spider or crawler are left out);
* **viewers** (``idea_visitors``): the distinct readers of that day. A reader is the
  keyed hash (HMAC-SHA-256, 128 bits kept) of their address and browser (user agent) with
  that day's **salt**: 32 random bytes made with the day's first view
  (``idea_view_salts``) and deleted by the first view of any later day. While the salt
  lives the hash can only be compared with other hashes of the same day; once it is gone
  nobody, the programme included, can compute a hash again, so a stored hash cannot be
  traced back to an address nor linked to the same reader on another day. Neither the
  address nor the user agent is stored.

The counters are written on their own connection and transaction (``engine.begin()``),
not through the ORM session: the page cache (``app.page_cache``) keeps pages until the
*data version* changes, and every transaction of the session that writes bumps it, which
a counter written on each view would do on every request. These writes deliberately do
not bump it: no kept page shows a view count (the results pages, which do, are never
kept). Counting never breaks a page: the caller logs a failure and serves the page.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import Idea, IdeaPageViews, IdeaViewSalt, IdeaVisitor
from evangelists import calendar

DIALOGUE = 0  # theme_id of the pages tied to no theme
_BOT_WORDS = ("bot", "spider", "crawl")


def is_robot(user_agent: str | None) -> bool:
    """Whether a user agent names itself a robot (Googlebot, bingbot, Baiduspider, a
    crawler...). An empty one counts as a reader."""
    text = (user_agent or "").casefold()
    return any(word in text for word in _BOT_WORDS)


def visitor_hash(salt: str, address: str, user_agent: str) -> str:
    """The day's hash of a reader: HMAC-SHA-256 keyed with the salt, 32 hex digits."""
    message = f"{address}\x1f{user_agent}".encode("utf-8", "surrogatepass")
    return hmac.new(salt.encode(), message, hashlib.sha256).hexdigest()[:32]


def _insert(connection: sa.Connection, table):
    return (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(table)


def _salt_of(connection: sa.Connection, day: date) -> str:
    """Today's salt, made with the day's first view, which also deletes every other
    day's (the salt of a day that is over is gone for good)."""
    salt = connection.execute(sa.select(IdeaViewSalt.salt).where(IdeaViewSalt.day == day)).scalar()
    if salt is not None:
        return salt
    connection.execute(sa.delete(IdeaViewSalt).where(IdeaViewSalt.day != day))
    connection.execute(_insert(connection, IdeaViewSalt).values(day=day, salt=secrets.token_hex(32))
                       .on_conflict_do_nothing(index_elements=["day"]))
    return connection.execute(sa.select(IdeaViewSalt.salt).where(IdeaViewSalt.day == day)).scalar_one()


def forget_old_salts(today: date | None = None) -> int:
    """Delete the salt of every day but ``today`` (for a daily job; the first view of a
    day does the same). Returns how many were deleted."""
    today = today or calendar.today_in_japan()
    with db.engine.begin() as connection:
        return connection.execute(sa.delete(IdeaViewSalt).where(IdeaViewSalt.day != today)).rowcount


def count_view(*, address: str, user_agent: str, theme_id: int | None = None, idea_id: int | None = None) -> None:
    """Count one page view by this reader, today in Japan, for ``theme_id`` (None or 0:
    the dialogue's pages) or for the theme of ``idea_id``. One transaction of its own:
    the page view's upsert first (it takes the write lock before anything is read, so on
    SQLite the transaction never has to upgrade a read), then the salt and the viewer."""
    day = calendar.today_in_japan()
    with db.engine.begin() as connection:
        if idea_id is not None:
            theme_id = connection.execute(sa.select(Idea.theme_id).where(Idea.id == idea_id)).scalar()
            if theme_id is None:
                return
        theme = theme_id or DIALOGUE
        views = _insert(connection, IdeaPageViews).values(day=day, theme_id=theme, views=1)
        connection.execute(views.on_conflict_do_update(
            index_elements=["day", "theme_id"], set_={"views": IdeaPageViews.views + 1}))
        salt = _salt_of(connection, day)
        connection.execute(_insert(connection, IdeaVisitor)
                           .values(day=day, theme_id=theme, visitor=visitor_hash(salt, address, user_agent))
                           .on_conflict_do_nothing(index_elements=["day", "theme_id", "visitor"]))
