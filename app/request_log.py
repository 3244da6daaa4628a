"""Request ids and structured logs.

Every request gets an id: the one the reverse proxy sent in ``X-Request-ID`` when it is
well-formed, a new one otherwise. It goes back in the response's ``X-Request-ID`` header
and into every log record made while the request runs, so a user's "it failed at 10:42"
can be found in the proxy's log, the app's log and the error report alike.

With ``REQUEST_LOG`` on, each request ends with one record on the ``app.request`` logger:
method, route, path (secret tokens masked), status, duration, size, client address and
user id. ``LOG_FORMAT`` picks one JSON object per line (``json``, for log collectors) or
a plain line (``text``, for a terminal).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request

from app.security import SECRET_ARGUMENT, SECRET_PATHS

REQUEST_ID_HEADER = "X-Request-ID"
# What we accept from a proxy: printable, short, no spaces (it lands in logs and headers).
_INCOMING_ID = re.compile(r"[A-Za-z0-9._:@+=-]{8,128}")
MASK = "…"

request_logger = logging.getLogger("app.request")

# Attributes every LogRecord has; anything else on a record was passed in ``extra``.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


def current_request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the
    request id, any ``extra`` fields, and the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")


FORMATTERS = {"json": JsonFormatter, "text": TextFormatter}


def configure_logging(app: Flask) -> None:
    """Send the app's loggers (``app`` and its children) to stderr in ``LOG_FORMAT``.
    Under gunicorn stderr is the error log, which systemd's journal collects."""
    fmt = app.config.get("LOG_FORMAT", "text")
    if fmt not in FORMATTERS:
        raise RuntimeError(f"LOG_FORMAT {fmt!r} is not known: use one of {', '.join(FORMATTERS)}.")
    logger = app.logger  # named "app", after the package
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(FORMATTERS[fmt]())
    handler.addFilter(RequestIdFilter())
    handler.set_name("evangelist-network")
    # Replace Flask's default handler and any of ours from an earlier create_app.
    for old in list(logger.handlers):
        logger.removeHandler(old)
    logger.addHandler(handler)
    logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    logger.propagate = bool(app.config.get("TESTING"))  # so pytest's caplog sees records


def masked_path() -> str:
    """The request path with the values of secret route variables replaced by ``…``;
    under a path that holds tokens but matched no route (a token with a slash in it, a
    segment too many), everything after the prefix. The query string is never logged:
    a proxy's log of it is why no link of ours carries a token there."""
    path = request.path
    for name, value in (request.view_args or {}).items():
        if SECRET_ARGUMENT.search(name) and isinstance(value, str) and value:
            path = path.replace(value, MASK)
    if request.url_rule is None:
        for prefix in SECRET_PATHS:
            if path.startswith(prefix):
                return prefix + MASK
    return path


def _user_id() -> int | None:
    # Flask-Login keeps the loaded user on g; reading current_user would load it (a query)
    # on requests that never needed one.
    user = g.get("_login_user")
    return getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None


def init_request_log(app: Flask) -> None:
    configure_logging(app)
    enabled = app.config.get("REQUEST_LOG", False)

    @app.before_request
    def _start() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _INCOMING_ID.fullmatch(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response):
        request_id = g.get("request_id")
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        if enabled:
            started = g.get("request_started")
            duration = (time.perf_counter() - started) * 1000 if started else None
            path = masked_path()
            request_logger.info(
                "%s %s %s",
                request.method,
                path,
                response.status_code,
                extra={
                    "method": request.method,
                    "route": request.url_rule.rule if request.url_rule else None,
                    "path": path,
                    "status": response.status_code,
                    "duration_ms": round(duration, 1) if duration is not None else None,
                    "bytes": response.content_length,
                    "remote_addr": request.remote_addr,
                    "user_id": _user_id(),
                },
            )
        return response
