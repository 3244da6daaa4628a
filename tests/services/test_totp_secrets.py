"""Authenticator secrets are kept encrypted, still verify codes, and change keys."""

from __future__ import annotations

import logging

import pyotp
import pytest
import sqlalchemy as sa

from app.models import User
from app.models.system import data_version
from app.secrets_at_rest import UndecryptableSecret, decrypt_totp_secret
from app.services.accounts import regenerate_recovery_codes, verify_second_factor
from tests.conftest import PASSWORD, sign_in

OLD_KEY = "old-totp-key-for-tests-0123456789abcdefghij"
NEW_KEY = "new-totp-key-for-tests-0123456789abcdefghij"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def stored(db, user) -> str:
    """The column as the database holds it."""
    return db.session.execute(sa.text("SELECT totp_secret FROM users WHERE id = :id"), {"id": user.id}).scalar()


def test_the_database_holds_a_token_not_the_secret(make_account, db):
    user = make_account("coordinator", totp_secret=SECRET)
    value = stored(db, user)
    assert SECRET not in value and value.startswith("gAAAAA")
    assert decrypt_totp_secret(value) == SECRET


def test_setting_up_an_authenticator_stores_it_encrypted(app, evangelist_client, db):
    import re

    page = evangelist_client.get("/auth/two-factor/setup").get_data(as_text=True)
    secret = re.search(r'user-select-all">([A-Z2-7]+)<', page).group(1)
    evangelist_client.post("/auth/two-factor/setup", data={"code": pyotp.TOTP(secret).now()})
    user = db.session.scalar(sa.select(User).where(User.role == "evangelist"))
    assert secret not in stored(db, user)
    assert decrypt_totp_secret(stored(db, user)) == secret


def test_signing_in_with_an_encrypted_secret_works(client, make_account):
    user = make_account("coordinator", totp_secret=SECRET)
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    response = client.post("/auth/two-factor", data={"code": pyotp.TOTP(SECRET).now()})
    assert response.headers["Location"] == "/coordinator/"


def test_rotation_old_key_second_still_opens_then_only_the_new_key_is_needed(app, runner, make_account, db, client):
    app.config["TOTP_ENCRYPTION_KEYS"] = OLD_KEY
    users = [make_account("coordinator", totp_secret=SECRET), make_account("admin")]
    before = {u.id: stored(db, u) for u in users}

    app.config["TOTP_ENCRYPTION_KEYS"] = f"{NEW_KEY}, {OLD_KEY}"
    sign_in(client, users[0])  # the old key, second, still decrypts
    client.post("/auth/logout")

    version = data_version(db.session)
    result = runner.invoke(args=["totp", "rotate-key"])
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 2 authenticator secrets" in result.output
    assert data_version(db.session) > version  # kept pages know the data changed
    for user in users:
        db.session.refresh(user)
        assert stored(db, user) != before[user.id]

    app.config["TOTP_ENCRYPTION_KEYS"] = NEW_KEY
    assert decrypt_totp_secret(stored(db, users[0])) == SECRET
    users[0].totp_last_step = None
    db.session.commit()
    sign_in(app.test_client(), users[0])
    app.config["TOTP_ENCRYPTION_KEYS"] = OLD_KEY
    with pytest.raises(UndecryptableSecret, match="TOTP_ENCRYPTION_KEYS"):
        decrypt_totp_secret(stored(db, users[0]))


def test_rotation_changes_nothing_when_a_secret_cannot_be_opened(app, runner, make_account, db):
    app.config["TOTP_ENCRYPTION_KEYS"] = OLD_KEY
    lost = make_account("coordinator")
    app.config["TOTP_ENCRYPTION_KEYS"] = NEW_KEY
    kept = make_account("coordinator")
    values = {lost.id: stored(db, lost), kept.id: stored(db, kept)}
    result = runner.invoke(args=["totp", "rotate-key"])
    assert result.exit_code == 1
    assert f"user ids: {lost.id}" in result.output and "nothing was changed" in result.output
    assert {lost.id: stored(db, lost), kept.id: stored(db, kept)} == values


def test_a_secret_no_key_opens_refuses_codes_logs_the_setting_and_keeps_recovery_codes(
    app, english, make_account, db, caplog
):
    user = make_account("coordinator", totp_secret=SECRET)
    recovery = regenerate_recovery_codes(user, address=None)[0]
    app.config["TOTP_ENCRYPTION_KEYS"] = NEW_KEY  # the key the secret was written with is gone
    english.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    with caplog.at_level(logging.ERROR):
        response = english.post("/auth/two-factor", data={"code": pyotp.TOTP(SECRET).now()})
    assert response.status_code == 200
    assert "That code is not right" in response.get_data(as_text=True)
    assert any("TOTP_ENCRYPTION_KEYS" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
    assert english.post("/auth/two-factor", data={"code": recovery}).status_code == 302
    assert verify_second_factor(user, pyotp.TOTP(SECRET).now(), address=None) is None


def test_rotation_encrypts_a_secret_left_in_the_clear(runner, make_account, db):
    """As after `flask db upgrade --sql`, which cannot read the rows to encrypt them."""
    user = make_account("coordinator")
    db.session.execute(sa.text("UPDATE users SET totp_secret = :s WHERE id = :id"), {"s": SECRET, "id": user.id})
    db.session.commit()
    assert runner.invoke(args=["totp", "rotate-key"]).exit_code == 0
    assert decrypt_totp_secret(stored(db, user)) == SECRET


def test_a_secret_left_in_the_clear_still_verifies_with_a_warning(make_account, db, caplog):
    """Until `flask totp rotate-key` runs after an offline upgrade, staff can still sign in."""
    user = make_account("coordinator")
    db.session.execute(sa.text("UPDATE users SET totp_secret = :s WHERE id = :id"), {"s": SECRET, "id": user.id})
    db.session.commit()
    db.session.refresh(user)
    with caplog.at_level(logging.WARNING):
        assert verify_second_factor(user, pyotp.TOTP(SECRET).now(), address=None) == "totp"
    assert "rotate-key" in caplog.text


def test_rotation_seals_the_requests_status_links_with_the_new_key(app, runner, db):
    from app.secrets_at_rest import unseal
    from tests.factories import make_request

    app.config["TOTP_ENCRYPTION_KEYS"] = OLD_KEY
    kept = make_request(token="kept-token")
    lost = make_request(token="lost-token")
    lost.token_sealed = "gAAAAA-not-a-sealed-value"
    db.session.commit()
    app.config["TOTP_ENCRYPTION_KEYS"] = f"{NEW_KEY}, {OLD_KEY}"
    result = runner.invoke(args=["totp", "rotate-key"])
    assert result.exit_code == 0, result.output
    assert "Sealed 1 request status link again" in result.output
    assert f"request ids: {lost.id}" in result.output
    app.config["TOTP_ENCRYPTION_KEYS"] = NEW_KEY
    db.session.refresh(kept)
    assert unseal(kept.token_sealed) == "kept-token"
