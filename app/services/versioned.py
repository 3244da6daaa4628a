"""Results kept until the data changes: the house way to serve what is expensive to
compute from many rows (the programme's figures over every visit, the candidates'
columns for matching, the batch plan, a map layer's positions) without computing it on
every view.

A value is kept under its key together with the **data version** (``app/models/system.py``)
it was made at: the number that every committed write counts up, in the same transaction,
on every server. A value is used only while the version is the same; the next write
makes every kept value stale at once, and the next view makes it again. Nothing is
invalidated by hand. One value per key (an older version's is replaced, never kept
beside it), at most ``KEPT_KEYS`` keys per worker, least recently used first out.
A value must not be an ORM object (it would outlive its session): return rows, tuples,
numpy arrays or dataclasses.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import Flask, current_app

from app.caching import LRUCache
from app.extensions import db
from app.models.system import data_version, has_unsaved_writes

V = TypeVar("V")
KEPT_KEYS = 64
EXTENSION = "evn_kept_until_data_changes"  # app.extensions: the LRUCache of (version, value) by key


def kept_values(app: Flask | None = None) -> LRUCache:
    """This worker's kept values (tests and benches read its ``hits`` or ``clear()`` it)."""
    return (app or current_app).extensions.setdefault(EXTENSION, LRUCache(KEPT_KEYS))


def current_version() -> int | None:
    """The data version this session reads at, or None while it holds writes of its own
    not yet committed (then nothing may be taken from, or kept in, a cache keyed by the
    version: what it reads may show rows nobody else sees yet)."""
    session = db.session()
    if has_unsaved_writes(session):
        return None
    return data_version(session)


def until_data_changes(key: Hashable, make: Callable[[], V]) -> V:
    """``make()``, kept under ``key`` until the next committed write. The version is read
    before ``make`` reads the data, so what is kept is never older than its number."""
    return while_unchanged(key, lambda: data_version(db.session()), make)


def while_unchanged(key: Hashable, stamp: Callable[[], Hashable], make: Callable[[], V]) -> V:
    """``make()``, kept under ``key`` while ``stamp()`` (read first, before ``make`` reads
    the data) says the same: the data version, or for a value made from a few tables only,
    a fingerprint of those tables that other writes leave alone (a message sent does not
    change the candidates of matching). Made afresh, and not kept, inside a transaction
    that has written."""
    if has_unsaved_writes(db.session()):
        return make()
    now = stamp()
    values = kept_values()
    kept = values.find(key)
    if kept is not None and kept[0] == now:
        return kept[1]
    value = make()
    values.put(key, (now, value))
    return value
