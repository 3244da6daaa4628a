"""Absolute links to this site, for mails and for links a person copies and keeps.

They are built from ``PUBLIC_BASE_URL`` alone, never from the request: its Host and
X-Forwarded-Host headers are whatever the sender wrote, and a password-reset mail
asked for with ``Host: evil.example`` would otherwise carry the victim's token there.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from flask import current_app


def external_url(endpoint: str, **values) -> str:
    """``url_for(endpoint, **values)`` as an absolute URL under PUBLIC_BASE_URL (its
    scheme, host, port and path prefix), ``_anchor`` as its fragment. Works outside a
    request too."""
    anchor = values.pop("_anchor", None)
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    url = adapter.build(endpoint, values, force_external=True)
    return f"{url}#{quote(anchor)}" if anchor else url
