"""Error handlers: roll the session back, answer JSON under /api, HTML elsewhere.

Error pages say what happened in the user's words and nothing about the inside: no
exception text, no SQL, no stack. What went wrong is in the log, under the request id
that the page shows, so a user's report can be matched to it.
"""

from __future__ import annotations

import json
import sqlite3
from urllib.parse import urlsplit

from flask import Flask, current_app, g, render_template, request
from flask.globals import request_ctx
from flask_babel import gettext as _
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    InternalServerError,
    SecurityError,
    ServiceUnavailable,
)

from app.extensions import db

# How long a client is asked to wait before trying again while the database is away.
RETRY_AFTER_SECONDS = 30
_SQLITE_UNAVAILABLE = ("database is locked", "database table is locked", "unable to open",
                       "disk i/o error", "database or disk is full")


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def _rollback() -> None:
    """Roll back whatever the failed request left open. With the database gone even that
    can fail; the session is then discarded at the end of the request anyway."""
    try:
        db.session.rollback()
    except sa_exc.SQLAlchemyError:
        current_app.logger.warning("rollback after an error failed", exc_info=True)


def handle_http_error(error: HTTPException):
    """Answer with our own body but the exception's status and headers (Allow, Retry-After)."""
    _rollback()
    response = error.get_response()
    if _wants_json():
        response.set_data(json.dumps({"error": error.name, "message": error.description}))
        response.mimetype = "application/json"
    else:
        response.set_data(render_template("errors/error.html", error=error))
        response.mimetype = "text/html"
    return response


def handle_untrusted_host(_error: SecurityError):
    """400 for a request naming a host this site does not serve (TRUSTED_HOSTS, derived
    from PUBLIC_BASE_URL): the page is built with the site's own address, since Flask
    could not route a request for that host at all."""
    current_app.logger.warning("refused a request for an untrusted host: Host %r, X-Forwarded-Host %r",
                               request.headers.get("Host", "")[:200],
                               request.headers.get("X-Forwarded-Host", "")[:200])
    if request_ctx.url_adapter is None:
        base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
        request_ctx.url_adapter = current_app.url_map.bind(
            base.netloc, script_name=request.script_root or "/", url_scheme=base.scheme)
    return handle_http_error(BadRequest(description=_("This site does not answer to that host name.")))


def handle_unexpected_error(error: Exception):
    # A registered handler for Exception means Flask does not log it: we do.
    current_app.logger.error("unhandled %s", type(error).__name__, exc_info=error)
    _rollback()
    return handle_http_error(InternalServerError(original_exception=error))


def is_database_unavailable(error: BaseException) -> bool:
    """True for errors that mean "the database cannot be reached or is busy" (refused or
    lost connection, server shutting down, SQLite locked), not for a fault in our SQL."""
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, sa_exc.InterfaceError):
        return True
    if not isinstance(error, sa_exc.OperationalError):
        return False
    if isinstance(error.orig, sqlite3.OperationalError):
        # SQLite uses OperationalError for faults in the SQL too ("no such table").
        message = str(error.orig).lower()
        return any(words in message for words in _SQLITE_UNAVAILABLE)
    return True  # psycopg: a failed or lost connection, the server shutting down


def handle_database_error(error: sa_exc.SQLAlchemyError):
    """503 with a page that asks the user to try again. The pool pings each connection
    before use (pool_pre_ping), so once the database is back the next request works."""
    if not is_database_unavailable(error):
        if current_app.config.get("TESTING"):
            raise error
        return handle_unexpected_error(error)
    current_app.logger.error("database unavailable: %s", type(error.orig or error).__name__,
                             exc_info=error)
    _rollback()
    # The page must not touch the database again: show it as to a signed-out visitor
    # (the navigation would otherwise load the user).
    g._login_user = current_app.login_manager.anonymous_user()
    unavailable = ServiceUnavailable(
        description="The database cannot be reached at the moment. Please try again shortly.",
        retry_after=RETRY_AFTER_SECONDS,
    )
    return handle_http_error(unavailable)


def init_errors(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(SecurityError, handle_untrusted_host)
    # Always, tests included: a database that has gone away is an expected state.
    app.register_error_handler(sa_exc.OperationalError, handle_database_error)
    app.register_error_handler(sa_exc.InterfaceError, handle_database_error)
    if not app.config.get("TESTING"):
        # In tests an unexpected exception should fail loudly, not become a 500 page.
        app.register_error_handler(Exception, handle_unexpected_error)
