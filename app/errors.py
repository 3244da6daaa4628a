"""Error handlers: roll the session back, answer JSON under /api, HTML elsewhere."""

from __future__ import annotations

import json

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from app.extensions import db


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def handle_http_error(error: HTTPException):
    """Answer with our own body but the exception's status and headers (Allow, Retry-After)."""
    db.session.rollback()
    response = error.get_response()
    if _wants_json():
        response.set_data(json.dumps({"error": error.name, "message": error.description}))
        response.mimetype = "application/json"
    else:
        response.set_data(render_template("errors/error.html", error=error))
        response.mimetype = "text/html"
    return response


def handle_unexpected_error(error: Exception):
    db.session.rollback()
    wrapped = InternalServerError(original_exception=error)
    return handle_http_error(wrapped)


def init_errors(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    if not app.config.get("TESTING"):
        # In tests an unexpected exception should fail loudly, not become a 500 page.
        app.register_error_handler(Exception, handle_unexpected_error)
