"""Whether the service can work: what the load balancers' health check asks."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db


def database_error() -> str | None:
    """None if the database answers, else why not (the session is rolled back)."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        return str(error)
    return None
