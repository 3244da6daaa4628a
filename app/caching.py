"""A small in-process cache of recently used values, for results that are expensive to
make and fully determined by their key (rendered maps, encoded map layers, gzip bodies).

Each gunicorn worker has its own; nothing here is shared between processes, so a key
must name everything the value depends on, including the state of the data it shows.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class RecentValues(Generic[V]):
    """The ``size`` most recently used values by key (thread-safe)."""

    def __init__(self, size: int) -> None:
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], V]) -> V:
        """The value kept for ``key``, or ``make()``'s (then kept)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        # Made outside the lock: two first requests may both make it, harmlessly.
        value = make()
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)
