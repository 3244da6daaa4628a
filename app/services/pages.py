"""One page of a long list, as the services hand it to the views.

A service that lists rows page by page returns a ``Page``: the rows of the page and how
many there are in all, so views and templates never touch a query. Its properties are the
ones the pagination macro reads (``pages``, ``has_prev``, ``iter_pages`` ...), with
Flask-SQLAlchemy's meaning.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from math import ceil
from typing import Any

import sqlalchemy as sa

from app.extensions import db


@dataclass(frozen=True)
class Page:
    """``items`` (the rows of page ``page``, at most ``per_page``) of ``total`` in all."""

    items: tuple[Any, ...]
    total: int
    page: int
    per_page: int

    def __iter__(self) -> Iterator[Any]:
        """The page's rows, as Flask-SQLAlchemy's pagination gives them."""
        return iter(self.items)

    @property
    def pages(self) -> int:
        return ceil(self.total / self.per_page) if self.total else 0

    @property
    def first(self) -> int:
        """The number of the page's first row (from 1), 0 if the page is empty."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last(self) -> int:
        """The number of the page's last row, 0 if the page is empty."""
        return max(self.first, self.first + len(self.items) - 1)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def iter_pages(self, *, left_edge: int = 2, left_current: int = 2, right_current: int = 4,
                   right_edge: int = 2) -> Iterator[int | None]:
        """The page numbers to link to, None for a gap: e.g. 1, 2, None, 5 ... 11, None, 19, 20."""
        pages_end = self.pages + 1
        if pages_end == 1:
            return
        left_end = min(1 + left_edge, pages_end)
        yield from range(1, left_end)
        if left_end == pages_end:
            return
        mid_start = max(left_end, self.page - left_current)
        mid_end = min(self.page + right_current + 1, pages_end)
        if mid_start - left_end > 0:
            yield None
        yield from range(mid_start, mid_end)
        if mid_end == pages_end:
            return
        right_start = max(mid_end, pages_end - right_edge)
        if right_start - mid_end > 0:
            yield None
        yield from range(right_start, pages_end)


def page_of(statement: sa.Select, page: int, per_page: int) -> Page:
    """Page ``page`` (from 1; past the end: empty) of what ``statement`` selects, and the
    total: two queries."""
    found = db.paginate(statement, page=page, per_page=per_page, max_per_page=None, error_out=False, count=True)
    return Page(items=tuple(found.items), total=found.total or 0, page=found.page, per_page=found.per_page)
