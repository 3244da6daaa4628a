"""The one in-process LRU cache of the app: recently used values by key, for results that
are expensive to make and fully determined by their key (rendered maps, encoded map
layers, gzip bodies, geocoded addresses, whole pages).

Each gunicorn worker has its own; nothing here is shared between processes, so a key
must name everything the value depends on, including the state of the data it shows.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")
D = TypeVar("D")


def _one(_value: object) -> int:
    return 1


class LRUCache(Generic[V]):
    """Values by key; once they weigh more than ``capacity`` in all, the least recently
    used go first (thread-safe). A value weighs ``weigh(value)``: 1 unless given, so that
    ``capacity`` is a number of values; the page cache weighs pages by their bytes.
    ``hits`` and ``misses`` count the lookups."""

    def __init__(self, capacity: int, weigh: Callable[[V], int] = _one) -> None:
        self.capacity = capacity
        self.weight = 0
        self.hits = self.misses = 0
        self._weigh = weigh
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def find(self, key: Hashable, default: D = None) -> V | D:
        """The value kept for ``key`` (now the most recently used), or ``default``."""
        with self._lock:
            if key not in self._items:
                self.misses += 1
                return default
            self.hits += 1
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Hashable, value: V) -> None:
        """Keep ``value`` for ``key`` (replacing any), dropping the least recently used
        values while the whole weighs more than the capacity."""
        with self._lock:
            self._put(key, value)

    def get(self, key: Hashable, make: Callable[[], V]) -> V:
        """The value kept for ``key``, or ``make()``'s (then kept). An exception from
        ``make`` leaves nothing kept."""
        with self._lock:
            if key in self._items:
                self.hits += 1
                self._items.move_to_end(key)
                return self._items[key]
            self.misses += 1
        # Made outside the lock: two first requests may both make it, harmlessly.
        value = make()
        with self._lock:
            self._put(key, value)
        return value

    def _put(self, key: Hashable, value: V) -> None:
        if key in self._items:
            self.weight -= self._weigh(self._items.pop(key))
        self._items[key] = value
        self.weight += self._weigh(value)
        while self.weight > self.capacity and self._items:
            _key, dropped = self._items.popitem(last=False)
            self.weight -= self._weigh(dropped)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.weight = 0

    def __contains__(self, key: Hashable) -> bool:
        """Whether ``key`` is kept (without counting as a use)."""
        with self._lock:
            return key in self._items

    def __len__(self) -> int:
        return len(self._items)

