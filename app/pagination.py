"""The page a paginated list shows, read from ``?page=``."""

from __future__ import annotations

from flask import request

# Far beyond the last page of any list here. It keeps the query's OFFSET within what
# every database takes: a page of twenty digits would fail in the driver.
MAX_PAGE = 100_000


def requested_page() -> int:
    """``?page=`` as a number from 1 to MAX_PAGE: an unreadable or smaller one is page 1,
    a larger one MAX_PAGE (empty, like any page past the end)."""
    page = request.args.get("page", default=1, type=int)
    return min(max(page, 1), MAX_PAGE)
