"""Results kept until the data changes: the house way to serve an aggregate that is
expensive to compute (a summary over every visit, the candidates' columns for matching)
without computing it on every view.

A value is kept under its key and the **data version** (``app/models/system.py``), the
number that every committed write counts up, in the same transaction, on every server.
The next write makes every kept value stale at once; nothing is invalidated by hand. The
values live in this worker's memory (``app.caching.LRUCache``), at most
``VERSIONED_VALUES`` of them, least recently used first out; a value must not be an ORM
object (it would outlive its session): return rows, tuples or dataclasses.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import current_app

from app.caching import LRUCache
from app.extensions import db
from app.models.system import data_version, has_unsaved_writes

V = TypeVar("V")
VERSIONED_VALUES = 64
_EXTENSION = "versioned_values"


def until_data_changes(key: Hashable, make: Callable[[], V]) -> V:
    """``make()``, kept under ``key`` until the next committed write. Inside a transaction
    that has written and not yet committed, ``make()`` is called every time: its result
    may show rows nobody else sees yet."""
    session = db.session()
    if has_unsaved_writes(session):
        return make()
    values = current_app.extensions.setdefault(_EXTENSION, LRUCache(VERSIONED_VALUES))
    return values.get((key, data_version(session)), make)
