"""Python's cycle collector paused around work that makes many short-lived objects.

The collector runs after every 700 new container objects and walks the generations
again and again; work that makes hundreds of thousands of rows (a 100,000-row import, the
matching pool read from 9,000 people) spent half its time there, though none of those
objects is in a reference cycle. Reference counting frees them all the same; the
collector runs again afterwards.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cycle collector off inside the block (left as it was found afterwards)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
