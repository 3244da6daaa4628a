"""The migrations build the schema the models describe, and take it down cleanly."""

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app import create_app
from app.extensions import db
from app.models.ideas import IDEA_TEXT_INDEX_OBJECTS
from app.models.search import TEXT_INDEX_OBJECTS as SEARCH_TEXT_INDEX_OBJECTS
from app.models.use_cases import USE_CASE_TEXT_INDEX_OBJECTS

TEXT_INDEX_OBJECTS = SEARCH_TEXT_INDEX_OBJECTS | IDEA_TEXT_INDEX_OBJECTS | USE_CASE_TEXT_INDEX_OBJECTS
from tests.conftest import (
    TEST_DATABASE_URL,
    create_scratch_database,
    drop_scratch_database,
)


@pytest.fixture
def empty_database(tmp_path):
    if TEST_DATABASE_URL:
        url = create_scratch_database(TEST_DATABASE_URL)
        yield url
        drop_scratch_database(TEST_DATABASE_URL, url)
    else:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"


def table_names(engine) -> set[str]:
    # Less the search box's text index, each database's own (migration 0022: an FTS5
    # table and its shadow tables on SQLite), which the models do not describe.
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"} - TEXT_INDEX_OBJECTS


def _not_a_text_index(difference) -> bool:
    """A schema difference other than the search box's text index (made by 0022 only)."""
    obj = difference[1] if isinstance(difference, tuple) and len(difference) > 1 else None
    return getattr(obj, "name", None) not in TEXT_INDEX_OBJECTS


def test_upgrade_downgrade_upgrade_leaves_the_schema_the_models_describe(empty_database):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        flask_migrate.upgrade()
        assert table_names(db.engine) == set(db.metadata.tables)

        flask_migrate.downgrade(revision="base")
        assert table_names(db.engine) == set()

        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = [d for d in compare_metadata(context, db.metadata) if _not_a_text_index(d)]
        db.engine.dispose()
    assert differences == []


def seed_one_request(conn, status: str = "new") -> None:
    """A prefecture, a town, a topic and one request of ``status`` with that topic, in plain
    SQL (the models may be ahead of the schema being tested)."""
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
        "(1, 1, 'x', 'y', 'a@example.jp', 'either', '', '', :status, 'h', '2026-01-01', '2026-01-01')"),
        {"status": status})
    conn.execute(sa.text("INSERT INTO request_topics (request_id, topic_id) VALUES (1, 1)"))


def test_upgrading_keeps_rows_in_tables_that_cascade_from_a_rebuilt_table(empty_database):
    """SQLite batch mode rebuilds tables; with foreign keys on, the rebuild would cascade
    and silently empty child tables such as request_topics."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        flask_migrate.upgrade(revision="0002")
        with db.engine.begin() as conn:
            seed_one_request(conn)
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            kept = conn.execute(sa.text("SELECT count(*) FROM request_topics")).scalar()
        db.engine.dispose()
    assert kept == 1


def test_0006_encrypts_plain_totp_secrets_that_still_verify_and_downgrade_decrypts_them(empty_database):
    import pyotp

    from app.models import User
    from app.secrets_at_rest import decrypt_totp_secret
    from app.services.accounts import verify_second_factor

    secret = pyotp.random_base32()
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        flask_migrate.upgrade(revision="0005")
        with db.engine.begin() as conn:
            for n, value in ((1, secret), (2, None)):
                conn.execute(sa.text(
                    "INSERT INTO users (id, email, display_name, role, is_active, session_version, totp_secret, "
                    "created_at, updated_at) VALUES (:id, :email, 'x', 'coordinator', true, 0, :secret, "
                    "'2026-01-01', '2026-01-01')"), {"id": n, "email": f"u{n}@example.jp", "secret": value})
            version = conn.execute(sa.text("SELECT number FROM data_version")).scalar()

        def stored():
            with db.engine.connect() as conn:
                return dict(conn.execute(sa.text("SELECT id, totp_secret FROM users")).all())

        flask_migrate.upgrade()
        values = stored()
        assert values[2] is None
        assert secret not in values[1] and decrypt_totp_secret(values[1]) == secret
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT number FROM data_version")).scalar() > version
        assert verify_second_factor(db.session.get(User, 1), pyotp.TOTP(secret).now(), address=None) == "totp"
        db.session.remove()

        flask_migrate.downgrade(revision="0005")
        assert stored() == {1: secret, 2: None}
        flask_migrate.upgrade()
        encrypted = stored()
        # Run again over its own work (as after a run stopped before it was recorded):
        # tokens are left alone, not encrypted twice.
        flask_migrate.stamp(revision="0005")
        flask_migrate.upgrade(revision="0006")
        assert stored() == encrypted
        db.engine.dispose()


def test_pending_additions_keep_the_messages_already_in_threads(empty_database):
    """0007 rebuilds request_messages on SQLite: the messages stay, none becomes an
    addition, and an addition's status is checked by the database."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        flask_migrate.upgrade(revision="0005")
        with db.engine.begin() as conn:
            seed_one_request(conn)
            conn.execute(sa.text(
                "INSERT INTO request_messages (id, request_id, sender, body, created_at, updated_at) VALUES "
                "(1, 1, 'municipality', 'よろしくお願いします', '2026-01-02', '2026-01-02')"))
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            kept = conn.execute(sa.text("SELECT body, addition_id FROM request_messages")).all()
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO request_additions (request_id, status, contact_name, department, email, message, "
                "created_at, updated_at) VALUES (1, 'maybe', 'x', 'y', 'b@example.jp', '', '2026-01-03', '2026-01-03')"))
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO request_additions (request_id, status, contact_name, department, email, message, "
                "created_at, updated_at) VALUES (1, 'accepted', 'x', 'y', 'b@example.jp', '', '2026-01-03', '2026-01-03')"))
        db.engine.dispose()
    assert [tuple(row) for row in kept] == [("よろしくお願いします", None)]


def test_0018_fills_the_readings_it_knows_and_orders_the_board_by_them(empty_database):
    """Issue 20, point 6: people stored before readings were get the reading the tables
    know (the first usual one), or their name when it is written in kana; nobody else gets
    one, and they sort after everyone who has one."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        flask_migrate.upgrade(revision="0016")
        with db.engine.begin() as conn:
            seed_one_request(conn)
            for n, (family, given) in enumerate((("中島", "花子"), ("阿部", "さくら"), ("試験", "謎"),
                                                 ("井上", "誠")), start=1):
                conn.execute(sa.text(
                    "INSERT INTO evangelists (id, family_name, given_name, status, home_municipality_id, lat, lon, "
                    "location_source, languages, capacity, travel_radius_km, online_ok, created_at, updated_at) "
                    "VALUES (:id, :family, :given, 'candidate', 1, 43.06, 141.35, 'municipality', '[\"ja\"]', 2, "
                    "50, :yes, '2026-01-01', '2026-01-01')"),
                    {"id": n, "family": family, "given": given, "yes": True})
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT family_name, family_name_kana, given_name_kana FROM evangelists "
                "WHERE status = 'candidate' ORDER BY name_sort, id")).all()
            search = conn.execute(sa.text("SELECT name_search FROM evangelists WHERE id = 4")).scalar()
            indexes = {ix["name"] for ix in sa.inspect(conn).get_indexes("evangelists")}
        flask_migrate.downgrade(revision="0016")
        with db.engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("evangelists")}
            indexes_down = {ix["name"] for ix in sa.inspect(conn).get_indexes("evangelists")}
        db.engine.dispose()
    assert [tuple(row) for row in rows] == [("阿部", "アベ", "サクラ"), ("井上", "イノウエ", "マコト"),
                                            ("中島", "ナカジマ", "ハナコ"), ("試験", "", "")]
    assert "inoe" in search.split() and "イノウエマコト" in search.split()
    assert "ix_evangelists_status_name_sort" in indexes and "ix_evangelists_status_name" not in indexes
    assert "family_name_kana" not in columns and "ix_evangelists_status_name" in indexes_down


def test_0019_gives_each_request_past_new_the_first_active_staff_member_who_moved_it(empty_database):
    """The owner of a request already past "new" is the active coordinator or admin of its
    first request.triaged or request.assigned event, as the app would have made them (an
    evangelist who declined also moved it to "triaged": not an owner; a deactivated
    account cannot own); a new request, or one nobody on the staff moved, has none."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        flask_migrate.upgrade(revision="0016")
        with db.engine.begin() as conn:
            seed_one_request(conn, status="triaged")
            conn.execute(sa.text(
                "INSERT INTO support_requests (id, municipality_id, contact_name, department, email, preferred_mode, "
                "preferred_period, message, status, token_hash, created_at, updated_at) VALUES "
                "(2, 1, 'x', 'y', 'b@example.jp', 'either', '', '', 'new', 'h2', '2026-01-01', '2026-01-01'), "
                "(3, 1, 'x', 'y', 'c@example.jp', 'either', '', '', 'assigned', 'h3', '2026-01-01', '2026-01-01'), "
                "(4, 1, 'x', 'y', 'd@example.jp', 'either', '', '', 'assigned', 'h4', '2026-01-01', '2026-01-01'), "
                "(5, 1, 'x', 'y', 'e@example.jp', 'either', '', '', 'triaged', 'h5', '2026-01-01', '2026-01-01')"))
            conn.execute(sa.text(
                "INSERT INTO users (id, email, display_name, role, is_active, session_version, created_at, updated_at) "
                "VALUES (1, 'c1@example.jp', '一', 'coordinator', :yes, 0, '2026-01-01', '2026-01-01'), "
                "(2, 'c2@example.jp', '二', 'admin', :yes, 0, '2026-01-01', '2026-01-01'), "
                "(3, 'e@example.jp', '三', 'evangelist', :yes, 0, '2026-01-01', '2026-01-01'), "
                "(4, 'gone@example.jp', '四', 'coordinator', :no, 0, '2026-01-01', '2026-01-01')"),
                {"yes": True, "no": False})
            for event_id, actor, request_id, action in ((1, 1, 1, "triaged"), (2, 2, 1, "triaged"), (3, 3, 1, "triaged"),
                                                        (4, 1, 2, "triaged"), (5, 3, 3, "triaged"),
                                                        (6, 1, 4, "assigned"), (7, 2, 4, "scheduled"),
                                                        (8, 4, 5, "triaged")):
                conn.execute(sa.text(
                    "INSERT INTO audit_events (id, created_at, actor_id, actor_label, action, entity_type, entity_id) "
                    "VALUES (:id, '2026-01-02', :actor, 'x', :action, 'support_request', :request)"),
                    {"id": event_id, "actor": actor, "request": request_id, "action": f"request.{action}"})
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            owners = dict(conn.execute(sa.text("SELECT id, owner_id FROM support_requests")).all())
        db.engine.dispose()
    assert owners == {1: 1, 2: None, 3: None, 4: 1, 5: None}


def test_0017_existing_requests_came_through_the_form_on_the_day_they_were_sent_in_japan(empty_database):
    """0017: a request sent before it reads as sent through the web form, recorded by no
    one, received on its day in Japan (23:30 UTC is the next morning there); an address
    may now be missing, and a source outside the vocabulary is refused."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        flask_migrate.upgrade(revision="0016")
        with db.engine.begin() as conn:
            seed_one_request(conn)
            conn.execute(sa.text("UPDATE support_requests SET created_at = :at"),
                         {"at": "2026-03-31 23:30:00+00:00"})
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            row = conn.execute(sa.text(
                "SELECT source, received_on, recorded_by_id, email FROM support_requests")).one()
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE support_requests SET email = NULL"))
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE support_requests SET source = 'fax'"))
        flask_migrate.downgrade(revision="0016")
        with db.engine.connect() as conn:
            email_after_downgrade = conn.execute(sa.text("SELECT email FROM support_requests")).scalar()
        db.engine.dispose()
    assert row.source == "form" and row.recorded_by_id is None and row.email == "a@example.jp"
    assert str(row.received_on) == "2026-04-01"
    assert email_after_downgrade == ""
