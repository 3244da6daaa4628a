"""Migration 0011: the request status CHECK takes "scheduling" (and still refuses a word
it does not know), the requests and their topics survive the rebuild, and a downgrade
puts requests waiting for a pick back to "assigned"."""

import flask_migrate
import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from tests.test_migrations import empty_database, seed_one_request  # noqa: F401  (the fixture)


def test_0011_lets_a_request_be_scheduling_and_nothing_unknown(empty_database):  # noqa: F811
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        flask_migrate.upgrade(revision="0010")
        with db.engine.begin() as conn:
            seed_one_request(conn, status="assigned")
            # Refused by the CHECK (SQLite), or already by the column's length (PostgreSQL).
            with pytest.raises((sa.exc.IntegrityError, sa.exc.DataError)):
                with conn.begin_nested():
                    conn.execute(sa.text("UPDATE support_requests SET status = 'scheduling'"))
        flask_migrate.upgrade()
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE support_requests SET status = 'scheduling'"))
            assert conn.execute(sa.text("SELECT count(*) FROM request_topics")).scalar() == 1
            with pytest.raises(sa.exc.IntegrityError):
                with conn.begin_nested():
                    conn.execute(sa.text("UPDATE support_requests SET status = 'lost'"))
        flask_migrate.downgrade(revision="0010")
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT status FROM support_requests")).scalar() == "assigned"
            assert conn.execute(sa.text("SELECT count(*) FROM request_topics")).scalar() == 1
        db.engine.dispose()
