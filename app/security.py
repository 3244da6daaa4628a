"""Response headers that every page gets, the Content-Security-Policy with its opt-in
per-request nonce, and trusting a reverse proxy when told to."""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, g, request, session
from werkzeug.middleware.proxy_fix import ProxyFix

BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Links out of the site carry no path (password-link tokens live in paths).
    "Referrer-Policy": "same-origin",
    # No page needs the camera, the microphone, the user's position or payment.
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    # Another site's window that opened ours cannot reach into it.
    "Cross-Origin-Opener-Policy": "same-origin",
}

# The policy is strict because it can be: the app's own templates have no inline script,
# no <style> element, no style="" attribute and no on...= handler (tests/test_csp.py walks
# the public pages to keep it so); their scripts and styles are files under static/.
# Maps are the exception: folium writes inline <script> and <style> with element ids that
# are random on every render, so hashes cannot work, and it has no nonce support. Rather
# than loosen the policy ('unsafe-inline') for every page, a map page calls csp_nonce()
# and adds the nonce to the tags folium rendered (done in the map code); only then does
# the response's script-src and style-src allow that nonce. Such a page must not be
# served to anyone else from a shared cache, or its nonce would be reused.
# img-src allows data: (Bootstrap's CSS icons, the second-factor QR code) and the tile
# server's origin. frame-ancestors 'none' says what X-Frame-Options: DENY says, for
# browsers that follow CSP; object-src and base-uri are closed as ASVS 5.0 3.4.3 asks.
CSP_DIRECTIVES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("default-src", ("'self'",)),
    ("script-src", ("'self'",)),
    ("style-src", ("'self'",)),
    ("img-src", ("'self'", "data:")),
    ("font-src", ("'self'",)),
    ("connect-src", ("'self'",)),
    ("object-src", ("'none'",)),
    ("base-uri", ("'none'",)),
    ("frame-ancestors", ("'none'",)),
    ("form-action", ("'self'",)),
)
NONCE_DIRECTIVES = ("script-src", "style-src")

# URL variables whose values are secrets (status links, password links): the request log
# masks them, and a response to such a URL is never stored by a cache.
SECRET_ARGUMENT = re.compile(r"token|secret", re.IGNORECASE)
SECRET_PATHS = ("/auth/password/", "/request/status/", "/ideas/verify/", "/apply/confirm/",
                "/communities/register/confirm/")

_NONCE_KEY = "_csp_nonce"
# A host a CSP source may name: DNS labels, optionally after a leading "*." wildcard.
_HOST = re.compile(r"(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")


def is_private(response: Response) -> bool:
    """Whether ``response`` depends on who asks: a signed-in user, the visitor's session
    (read while it held something, or changed), a secret token in the URL, or a cookie
    it sets. Such a response must not be stored by a browser or a proxy (issue 15.1).

    A session read while empty is not private: Flask-Login looks for a user on every
    page, and a visitor without a session cookie gets the same page as everyone. Pages
    served from the page cache (app/page_cache.py) pass here like any other, so a kept
    status page is no more cacheable than a fresh one."""
    if any(SECRET_ARGUMENT.search(name) for name in (request.view_args or {})):
        return True
    # Flask-Login keeps the user it loaded on g; current_user would load one (a query).
    if getattr(g.get("_login_user"), "is_authenticated", False):
        return True
    # len() reads no key, so it does not mark the session accessed itself.
    if session.modified or (session.accessed and len(session) > 0):
        return True
    return "Set-Cookie" in response.headers


def csp_nonce() -> str:
    """The current request's CSP nonce, made on first call. Calling it is what puts the
    nonce into this response's script-src and style-src, so call it while the response is
    being built (a template streamed after the headers are sent would be blocked)."""
    nonce = g.get(_NONCE_KEY)
    if nonce is None:
        nonce = secrets.token_urlsafe(18)
        setattr(g, _NONCE_KEY, nonce)
    return nonce


def no_store(response: Response) -> Response:
    """``response`` with ``Cache-Control: no-store``: for pages that show a secret (a status
    link) or belong to one session, which no browser history, proxy or shared cache may
    keep. Such views must not be under ``cached_page`` either."""
    response.headers["Cache-Control"] = "no-store"
    return response


def same_site_post() -> bool:
    """Whether this request may have come from one of our own pages, by the headers a
    browser sets itself and a page cannot: Sec-Fetch-Site (every current browser) or
    else Origin. A request carrying neither comes from no browser that a page on another
    site could have driven, so it passes. ``Origin: null`` passes too: browsers send it
    for our own pages under ``Referrer-Policy: no-referrer`` (the status and password
    pages) where they send no Sec-Fetch-Site (plain HTTP on a closed network, older
    Safari); what this check guards, the language, is not worth refusing them for."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == request.host.lower()


def tile_origin(url: str) -> str | None:
    """The CSP source that lets a page load tiles from the Leaflet tile URL template
    ``url``: scheme, host and port, with a ``{s}`` subdomain as a ``*.`` wildcard. None
    when the tiles come from this site (a path starting with ``/``). Raises ValueError,
    saying why, for anything else."""
    if not isinstance(url, str) or not url.strip():
        raise ValueError("no tile URL given")
    if url != url.strip() or any(c.isspace() for c in url):
        raise ValueError(f"{url!r} contains white space")
    if not all(p in url for p in ("{z}", "{x}")) or not ("{y}" in url or "{-y}" in url):
        raise ValueError(f"{url!r} is not a tile URL template: it needs {{z}}, {{x}} and {{y}}")
    parts = urlsplit(url)
    if not parts.scheme and not parts.netloc:
        if not url.startswith("/"):
            raise ValueError(f"{url!r} is neither http(s):// nor a path starting with /")
        return None
    if parts.scheme and parts.scheme not in ("http", "https"):
        raise ValueError(f"{url!r} is neither http(s):// nor a path starting with /")
    if "@" in parts.netloc:
        raise ValueError(f"{url!r} has a user name or password in it, which every visitor would see")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{url!r} has an invalid port") from None
    host = parts.hostname or ""
    # Leaflet fills {s} from its subdomains (a, b, c): CSP can only say "any subdomain".
    labels = host.split(".")
    if labels and "{s}" in labels[0]:
        labels[0] = "*"
        host = ".".join(labels)
    if not _HOST.fullmatch(host):
        try:  # an internationalised name is written in its ASCII (punycode) form
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            pass
        if not _HOST.fullmatch(host):
            raise ValueError(f"{url!r} has no usable host name")
    source = f"{parts.scheme}://{host}" if parts.scheme else host  # "//host" keeps the page's scheme
    return f"{source}:{port}" if port is not None else source


def content_security_policy(tile_source: str | None, nonce: str | None = None) -> str:
    """The header value: the fixed policy, the tile server in img-src and, when given,
    the request's nonce in script-src and style-src."""
    directives = []
    for name, sources in CSP_DIRECTIVES:
        if name == "img-src" and tile_source:
            sources = (*sources, tile_source)
        if name in NONCE_DIRECTIVES and nonce:
            sources = (*sources, f"'nonce-{nonce}'")
        directives.append(f"{name} {' '.join(sources)}")
    return "; ".join(directives)


def hsts_value(max_age: int, include_subdomains: bool) -> str | None:
    """The Strict-Transport-Security value, or None when it is turned off (max_age 0)."""
    if max_age <= 0:
        return None
    return f"max-age={max_age}" + ("; includeSubDomains" if include_subdomains else "")


def init_security(app: Flask) -> None:
    proxies = app.config.get("PROXY_COUNT", 0)
    if proxies:
        # Not X-Forwarded-Host: the Host header the proxy passes is the one its server_name
        # matched, and nothing the app builds depends on a host anyway (PUBLIC_BASE_URL).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0)

    # Checked here so that a bad setting stops the app at start-up, not on the first map.
    try:
        tile_source = tile_origin(app.config.get("MAP_TILE_URL"))
    except ValueError as error:
        raise RuntimeError(
            f"MAP_TILE_URL cannot be used: {error}. Set it to an http(s) URL or a path "
            "starting with /, e.g. https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png."
        ) from None
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    hsts = hsts_value(int(app.config.get("HSTS_MAX_AGE", 0)), app.config.get("HSTS_INCLUDE_SUBDOMAINS", False))

    @app.after_request
    def _headers(response):
        for name, value in BASE_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault(
            "Content-Security-Policy", content_security_policy(tile_source, g.get(_NONCE_KEY))
        )
        # HSTS only means something over HTTPS (browsers ignore it over HTTP), and sending
        # it there would be wrong anyway: behind a TLS proxy, request.is_secure comes from
        # X-Forwarded-Proto, which ProxyFix trusts only with PROXY_COUNT set.
        if hsts and request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", hsts)
        # Paths that carry a secret token never leak it in a Referer header.
        if request.path.startswith(SECRET_PATHS):
            response.headers["Referrer-Policy"] = "no-referrer"
        # Whatever the view said (an API's ETag and no-cache, say): a private answer is
        # kept nowhere. A public one keeps the view's own Cache-Control, or none.
        if is_private(response):
            response.headers["Cache-Control"] = "no-store"
        return response
