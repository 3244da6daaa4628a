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


def test_0031_keeps_the_registrations_stored_and_checks_the_confirmation_columns(empty_database):  # noqa: F811
    """A registration stored before 0031 keeps its status (its address never confirmed); an
    unconfirmed one needs a deadline and may hold a link, a confirmed one may not; the
    downgrade deletes the unconfirmed ones and their confirmation mails."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    columns = ("name, municipality_id, description, how_to_join, member_count, contact_email, consent, status, "
               "decline_reason, created_at, updated_at")
    values = "'{name}', 1, '', '', 0, 'a@example.jp', true, '{status}', '', '2026-01-01', '2026-01-01'"
    with app.app_context():
        flask_migrate.upgrade(revision="0030")
        with db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO prefectures (id, code, name_ja, name_kana, name_en, region) "
                "VALUES (1, '01', '北海道', 'ホッカイドウ', 'Hokkaido', 'hokkaido')"))
            conn.execute(sa.text(
                "INSERT INTO municipalities (id, code, prefecture_id, name, name_kana, kind, lat, lon, "
                "open_data_status, engagement_stage, created_at, updated_at) VALUES "
                "(1, '011002', 1, '札幌市', 'サッポロシ', 'designated_city', 43.06, 141.35, 'non_active', 'none', "
                "'2026-01-01', '2026-01-01')"))
            conn.execute(sa.text(f"INSERT INTO community_registrations ({columns}) VALUES "
                                 f"({values.format(name='前からの会', status='pending')})"))
        flask_migrate.upgrade(revision="0031")
        with db.engine.begin() as conn:
            row = conn.execute(sa.text("SELECT status, confirmed_at, token_hash FROM community_registrations")).one()
            assert (row.status, row.confirmed_at, row.token_hash) == ("pending", None, None)
            for bad in (
                # unconfirmed without a deadline
                f"INSERT INTO community_registrations ({columns}) VALUES "
                f"({values.format(name='x', status='unconfirmed')})",
                # confirmed with a live link
                f"INSERT INTO community_registrations ({columns}, token_hash) VALUES "
                f"({values.format(name='y', status='pending')}, 'h')",
                # not a status
                f"INSERT INTO community_registrations ({columns}) VALUES "
                f"({values.format(name='z', status='waiting')})",
            ):
                with pytest.raises(sa.exc.IntegrityError):
                    with conn.begin_nested():
                        conn.execute(sa.text(bad))
            conn.execute(sa.text(
                f"INSERT INTO community_registrations ({columns}, token_hash, token_sealed, confirm_by) VALUES "
                f"({values.format(name='未確認の会', status='unconfirmed')}, 'h', 's', '2026-01-03')"))
            conn.execute(sa.text(
                "INSERT INTO notices (kind, email, target_type, target_id, params, mail, attempts, message_id, "
                "created_at) SELECT 'community_registration_confirm', 'a@example.jp', 'community_registration', "
                "id, '{}', 'sent', 1, '<m@example.jp>', '2026-01-01' FROM community_registrations "
                "WHERE status = 'unconfirmed'"))
        flask_migrate.downgrade(revision="0030")
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT name FROM community_registrations")).scalars().all() == ["前からの会"]
            assert conn.execute(sa.text("SELECT count(*) FROM notices")).scalar() == 0
        db.engine.dispose()
