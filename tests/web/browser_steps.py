"""What the browser tests share: whether a page fits its width, and screenshots of each
step, kept when an environment variable names a folder (e.g. TRIAGE_SCREENSHOTS)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def fits(page) -> bool:
    """Nothing on the page is wider than the window (no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def shooter(variable: str) -> Callable:
    """``shot(page, name)``: a full-page screenshot ``name``.png in the folder the
    environment variable ``variable`` names; nothing when it is not set."""
    folder = os.environ.get(variable)

    def shot(page, name: str) -> None:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{folder}/{name}.png", full_page=True)

    return shot
