import sqlite3

import pytest

from app import create_app
from config import (
    INSECURE_DEVELOPMENT_TOTP_KEY,
    DevelopmentConfig,
    ProductionConfig,
    get_config,
)


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", None)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", SQLALCHEMY_DATABASE_URI="sqlite://")


TOTP_KEY = "production-like-totp-key-0123456789abcdef"


def test_production_with_a_secret_key_uses_secure_cookies(monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "x" * 64)
    monkeypatch.setattr(ProductionConfig, "TOTP_ENCRYPTION_KEYS", TOTP_KEY)
    monkeypatch.setattr(ProductionConfig, "PUBLIC_BASE_URL", "https://evangelists.example.go.jp")
    app = create_app("production", SQLALCHEMY_DATABASE_URI="sqlite://")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["DEMO_ALLOWED"] is False


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (None, "TOTP_ENCRYPTION_KEYS is not set"),
        (" , ", "TOTP_ENCRYPTION_KEYS is not set"),
        (INSECURE_DEVELOPMENT_TOTP_KEY, "published development key"),
        (f"{TOTP_KEY},short", "at least 32 characters"),
    ],
)
def test_production_refuses_to_start_without_its_own_totp_key(monkeypatch, keys, message):
    """Never SECRET_KEY instead, never the development default."""
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "x" * 64)
    monkeypatch.setattr(ProductionConfig, "TOTP_ENCRYPTION_KEYS", keys)
    with pytest.raises(RuntimeError, match=message):
        create_app("production", SQLALCHEMY_DATABASE_URI="sqlite://")


def test_production_takes_several_totp_keys_for_rotation(monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "x" * 64)
    monkeypatch.setattr(ProductionConfig, "TOTP_ENCRYPTION_KEYS", f"{TOTP_KEY}, {TOTP_KEY[::-1]}")
    monkeypatch.setattr(ProductionConfig, "PUBLIC_BASE_URL", "https://evangelists.example.go.jp")
    app = create_app("production", SQLALCHEMY_DATABASE_URI="sqlite://")
    with app.app_context():
        from cryptography.fernet import Fernet

        from app.secrets_at_rest import decrypt_totp_secret, fernet_key

        written_with_the_second = Fernet(fernet_key(TOTP_KEY[::-1])).encrypt(b"ABCDEFGH").decode()
        assert decrypt_totp_secret(written_with_the_second) == "ABCDEFGH"


def test_development_and_tests_use_the_named_insecure_totp_key(monkeypatch):
    monkeypatch.delenv("TOTP_ENCRYPTION_KEYS", raising=False)
    assert create_app("testing").config["TOTP_ENCRYPTION_KEYS"] == INSECURE_DEVELOPMENT_TOTP_KEY
    assert "insecure" in INSECURE_DEVELOPMENT_TOTP_KEY and "not-secret" in INSECURE_DEVELOPMENT_TOTP_KEY


def test_development_generates_a_secret_key_once_and_keeps_it(monkeypatch, tmp_path):
    monkeypatch.setattr(DevelopmentConfig, "SECRET_KEY", None)
    monkeypatch.setattr("app.ROOT", tmp_path)
    first = create_app("development", SQLALCHEMY_DATABASE_URI="sqlite://")
    second = create_app("development", SQLALCHEMY_DATABASE_URI="sqlite://")
    assert len(first.config["SECRET_KEY"]) == 64
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0


def test_default_database_is_sqlite_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.setattr(DevelopmentConfig, "SQLALCHEMY_DATABASE_URI", None)
    monkeypatch.setattr("app.ROOT", tmp_path)
    app = create_app("development")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/instance/evangelists.db"


def test_plain_postgresql_urls_mean_psycopg_3():
    app = create_app("testing", SQLALCHEMY_DATABASE_URI="postgresql://u@localhost/db")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@localhost/db"


def test_map_tiles_default_to_gsi_standard():
    app = create_app("testing")
    assert app.config["MAP_TILE_URL"] == "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png"
    assert "地理院タイル" in app.config["MAP_TILE_ATTRIBUTION"]


def test_unknown_config_name_is_explained():
    with pytest.raises(RuntimeError, match="Unknown APP_CONFIG 'staging'"):
        get_config("staging")


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path):
    from app.extensions import db

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'wal.db'}")
    with app.app_context():
        with db.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert isinstance(raw, sqlite3.Connection)
            assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert raw.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
            assert raw.execute("PRAGMA foreign_keys").fetchone()[0] == 1
            assert raw.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        db.engine.dispose()


def test_passwords_are_hashed_with_rfc_9106_low_memory_outside_the_tests(monkeypatch):
    from argon2 import extract_parameters, profiles

    from app.services.accounts import _password_hasher, hash_password, verify_password

    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "x" * 64)
    monkeypatch.setattr(ProductionConfig, "TOTP_ENCRYPTION_KEYS", TOTP_KEY)
    monkeypatch.setattr(ProductionConfig, "PUBLIC_BASE_URL", "https://evangelists.example.go.jp")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    for name in ("production", "development"):
        app = create_app(name, SQLALCHEMY_DATABASE_URI="sqlite://", SECRET_KEY="x" * 64)
        with app.app_context():
            hashed = hash_password("a long and quiet morning walk")
            assert extract_parameters(hashed) == profiles.RFC_9106_LOW_MEMORY, name
            # Unknown e-mails are checked against a dummy hash of the same cost.
            assert extract_parameters(_password_hasher()[1]) == profiles.RFC_9106_LOW_MEMORY, name
            assert verify_password(hashed, "a long and quiet morning walk")
            assert not verify_password(hashed, "a long and quiet evening walk")


def test_the_tests_hash_cheaply_and_the_dummy_hash_costs_the_same():
    from argon2 import extract_parameters

    from app.services.accounts import _password_hasher, hash_password, verify_password

    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://")
    with app.app_context():
        hashed = hash_password("a long and quiet morning walk")
        cheap = extract_parameters(hashed)
        assert (cheap.time_cost, cheap.memory_cost, cheap.parallelism) == (1, 8, 1)
        assert extract_parameters(_password_hasher()[1]) == cheap
        assert verify_password(hashed, "a long and quiet morning walk")
        assert not verify_password(hashed, "a long and quiet evening walk")
        assert not verify_password(None, "a long and quiet morning walk")
