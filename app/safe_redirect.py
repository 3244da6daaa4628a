"""Following a ``next`` URL only when it stays on this site."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next_url(target: str | None, default: str) -> str:
    """``target`` if it is a path on this site, else ``default``.

    Rejects absolute URLs, scheme-relative ones (``//evil.example``), backslash tricks
    (``/\\evil.example``, which browsers treat as ``//``) and control characters.
    """
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ord(ch) < 32 for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
