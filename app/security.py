"""Response headers that every page gets, and trusting a reverse proxy when told to."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Links out of the site carry no path (password-link tokens live in paths).
    "Referrer-Policy": "same-origin",
}


def init_security(app: Flask) -> None:
    proxies = app.config.get("PROXY_COUNT", 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    @app.after_request
    def _headers(response):
        for name, value in BASE_HEADERS.items():
            response.headers.setdefault(name, value)
        # Paths that carry a secret token never leak it in a Referer header.
        if request.path.startswith(("/auth/password/", "/request/status/")):
            response.headers["Referrer-Policy"] = "no-referrer"
        return response
