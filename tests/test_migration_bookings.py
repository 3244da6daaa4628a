"""Migration 0011: the request status CHECK takes "scheduling" (and still refuses a word
it does not know), the requests and their topics survive the rebuild, and a downgrade
puts requests waiting for a pick back to "assigned"."""

import flask_migrate
import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from tests.test_migrations import empty_database  # noqa: F401  (the fixture)


def _seed(conn) -> None:
    conn.execute(sa.text(
        "INSERT INTO prefectures (id, code, name_ja, name_kana, name_en, region) "
        "VALUES (1, '01', '北海道', 'ホッカイドウ', 'Hokkaido', 'hokkaido')"))
    conn.execute(sa.text(
        "INSERT INTO municipalities (id, code, prefecture_id, name, name_kana, kind, lat, lon, "
        "open_data_status, engagement_stage, created_at, updated_at) VALUES "
        "(1, '011002', 1, '札幌市', 'サッポロシ', 'designated_city', 43.06, 141.35, 'non_active', 'none', "
        "'2026-01-01', '2026-01-01')"))
    conn.execute(sa.text("INSERT INTO topics (id, slug, name_ja, name_en, position) VALUES (1, 'gis', 'GIS', 'GIS', 0)"))
    conn.execute(sa.text(
        "INSERT INTO support_requests (id, municipality_id, contact_name, department, email, preferred_mode, "
        "preferred_period, message, status, token_hash, created_at, updated_at) VALUES "
        "(1, 1, 'x', 'y', 'a@example.jp', 'either', '', '', 'assigned', 'h', '2026-01-01', '2026-01-01')"))
    conn.execute(sa.text("INSERT INTO request_topics (request_id, topic_id) VALUES (1, 1)"))


def test_0011_lets_a_request_be_scheduling_and_nothing_unknown(empty_database):  # noqa: F811
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        flask_migrate.upgrade(revision="0010")
        with db.engine.begin() as conn:
            _seed(conn)
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
