"""Migration 0030 (communities in public, issue 22.5): the communities already stored stay
out of the public directory (nobody agreed yet) with no "how to join", keep everything
else, and a registration needs the consent; the downgrade keeps the communities."""

import flask_migrate
import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from tests.test_migrations import empty_database  # noqa: F401  (the fixture)


def test_0030_keeps_communities_private_until_they_agree(empty_database):  # noqa: F811
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        flask_migrate.upgrade(revision="0029")
        with db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO prefectures (id, code, name_ja, name_kana, name_en, region) "
                "VALUES (1, '01', '北海道', 'ホッカイドウ', 'Hokkaido', 'hokkaido')"))
            conn.execute(sa.text(
                "INSERT INTO municipalities (id, code, prefecture_id, name, name_kana, kind, lat, lon, "
                "open_data_status, engagement_stage, created_at, updated_at) VALUES "
                "(1, '011002', 1, '札幌市', 'サッポロシ', 'designated_city', 43.06, 141.35, 'non_active', 'none', "
                "'2026-01-01', '2026-01-01')"))
            conn.execute(sa.text(
                "INSERT INTO communities (id, name, municipality_id, lat, lon, status, status_since, member_count, "
                "description, address, location_source, contact_email, created_at, updated_at) VALUES "
                "(1, 'Code for Sapporo', 1, 43.06, 141.35, 'active', '2024-04-01', 20, '説明', '住所', "
                "'municipality', 'c@example.jp', '2026-01-01', '2026-01-01')"))
        flask_migrate.upgrade(revision="0030")
        with db.engine.begin() as conn:
            row = conn.execute(sa.text("SELECT public, how_to_join, name, contact_email FROM communities")).one()
            assert (bool(row.public), row.how_to_join, row.name, row.contact_email) == (
                False, "", "Code for Sapporo", "c@example.jp")
            insert = ("INSERT INTO community_registrations (name, municipality_id, description, how_to_join, "
                      "member_count, contact_email, consent, status, decline_reason, created_at, updated_at) "
                      "VALUES ('会', 1, '', '', 0, 'a@example.jp', {consent}, 'pending', '', '2026-01-01', "
                      "'2026-01-01')")
            with pytest.raises(sa.exc.IntegrityError):
                with conn.begin_nested():
                    conn.execute(sa.text(insert.format(consent="false")))
            conn.execute(sa.text(insert.format(consent="true")))
        flask_migrate.downgrade(revision="0029")
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT name FROM communities")).scalar() == "Code for Sapporo"
            assert "community_registrations" not in sa.inspect(conn).get_table_names()
        db.engine.dispose()
