"""Flask extensions, created here and bound in ``create_app`` (no import cycles)."""

from __future__ import annotations

import logging
import sqlite3

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

log = logging.getLogger(__name__)

# Named constraints let Alembic drop and alter them, SQLite batch mode included.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
# No default limits: each sensitive route declares its own (see app/auth/routes.py).
# Storage comes from RATELIMIT_STORAGE_URI (memory:// unless configured).
limiter = Limiter(key_func=get_remote_address)

SQLITE_BUSY_TIMEOUT_MS = 5000


# Registered at module level on purpose: a listener registered inside an app context has
# been seen to do nothing (FIELD-NOTES "Databases").
@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Turn on foreign keys, WAL, a busy timeout and NORMAL sync for every SQLite connection."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        database = cursor.execute("PRAGMA database_list").fetchone()[2]
        if database:  # a file, not :memory:
            mode = cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode.lower() != "wal":
                # SQLite answers with the old mode instead of failing (e.g. on a network
                # file system): say so, since concurrent readers will then block writers.
                log.warning("SQLite refused WAL for %s (journal_mode=%s)", database, mode)
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()
