"""Signing in and out, the second factor, throttling, links and account changes."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pyotp
import pytest
import sqlalchemy as sa

from app.models import AuditEvent, User
from app.services.demo import DEMO_PASSWORD
from tests.conftest import PASSWORD, sign_in, totp_code
from tests.mailbox import body_of


def events(db, action):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def secret_of(user) -> str:
    from app.secrets_at_rest import decrypt_totp_secret

    return decrypt_totp_secret(user.totp_secret_token)


def flashes(html: str) -> str:
    return " ".join(re.findall(r'role="alert">([^<]*)<', html))


# --- Landing pages -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "home"), [("evangelist", "/me/"), ("coordinator", "/coordinator/"), ("admin", "/admin/users")]
)
def test_each_role_lands_on_its_own_home_page(client, make_account, role, home):
    user = make_account(role)
    response = sign_in(client, user)
    assert response.headers["Location"] == home
    assert client.get(home).status_code == 200


def test_an_evangelist_typing_a_coordinator_url_gets_403(evangelist_client):
    assert evangelist_client.get("/coordinator/").status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in_and_back(client, make_account):
    response = client.get("/coordinator/invitations/new")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=%2Fcoordinator%2Finvitations%2Fnew"
    user = make_account("coordinator")
    client.get(response.headers["Location"])
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD, "next": "/coordinator/invitations/new"})
    final = client.post("/auth/two-factor", data={"code": totp_code(user)})
    assert final.headers["Location"] == "/coordinator/invitations/new"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_next_urls_off_site_are_ignored(client, make_account, target):
    user = make_account("evangelist")
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD, "next": target})
    assert response.headers["Location"] == "/me/"


# --- Wrong credentials, throttling ------------------------------------------------------------


def test_wrong_email_and_wrong_password_get_the_same_message(english, make_account, db):
    user = make_account("evangelist")
    wrong_password = english.post("/auth/login", data={"email": user.email, "password": "not the password at all"})
    wrong_email = english.post("/auth/login", data={"email": "nobody@example.jp", "password": PASSWORD})
    message = "The e-mail address or the password is not correct."
    assert message in wrong_password.get_data(as_text=True)
    assert message in wrong_email.get_data(as_text=True)
    assert wrong_password.status_code == wrong_email.status_code == 200
    failures = events(db, "auth.sign_in_failed")
    assert [e.after["reason"] for e in failures] == ["wrong_password", "unknown_email"]
    assert all(e.client_address == "127.0.0.1" for e in failures)


def test_ten_wrong_passwords_for_one_account_are_throttled_with_a_clear_message(english, make_account):
    user = make_account("evangelist")
    statuses = [
        english.post("/auth/login", data={"email": user.email, "password": f"wrong guess {n}"}).status_code
        for n in range(10)
    ]
    assert statuses[:5] == [200] * 5
    assert statuses[5:] == [429] * 5
    throttled = english.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert throttled.status_code == 429
    html = throttled.get_data(as_text=True)
    assert "Too many failed attempts" in html and "15 minutes" in html
    assert "Retry-After" in throttled.headers


def test_throttling_one_account_does_not_lock_out_another(english, make_account):
    victim, other = make_account("evangelist"), make_account("evangelist")
    for n in range(6):
        english.post("/auth/login", data={"email": victim.email, "password": f"wrong guess {n}"})
    response = english.post("/auth/login", data={"email": other.email, "password": PASSWORD})
    assert response.status_code == 302


def test_many_failures_from_one_address_are_throttled_across_accounts(app, english, make_account):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "3 per 15 minutes"
    for n in range(3):
        english.post("/auth/login", data={"email": f"someone{n}@example.jp", "password": "guess guess guess"})
    user = make_account("evangelist")
    assert english.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 429


def test_successful_sign_ins_do_not_count_towards_the_limit(client, make_account):
    user = make_account("evangelist")
    for _ in range(7):
        assert sign_in(client, user).status_code == 302
        client.post("/auth/logout")


def redis_available() -> bool:
    try:
        import redis

        return redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=0.5).ping()
    except Exception:
        return False


@pytest.mark.skipif(not redis_available(), reason="no Redis at 127.0.0.1:6379")
def test_throttling_counts_in_redis_shared_by_workers(_migrated, make_account, db):
    import uuid

    import redis

    from app import create_app

    prefix = f"evn-test-{uuid.uuid4().hex[:8]}"
    # Read before entering the workers' contexts: a lazy load there would borrow a
    # worker's connection for the test's own session and never give it back.
    email = make_account("evangelist").email
    workers = [
        create_app(
            "testing", SQLALCHEMY_DATABASE_URI=_migrated,
            RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0", RATELIMIT_KEY_PREFIX=prefix,
        )
        for _ in range(2)
    ]
    try:
        # Failures spread over two "workers" add up to one count.
        for n in range(5):
            worker = workers[n % 2]
            with worker.app_context():
                worker.test_client().post("/auth/login", data={"email": email, "password": f"wrong {n}"})
        with workers[0].app_context():
            response = workers[0].test_client().post("/auth/login", data={"email": email, "password": PASSWORD})
        assert response.status_code == 429
    finally:
        r = redis.Redis(host="127.0.0.1", port=6379)
        for key in r.scan_iter(f"{prefix}*"):
            r.delete(key)
        r.close()
        for worker in workers:
            with worker.app_context():
                from app.extensions import db as worker_db

                worker_db.engine.dispose()


# --- Second factor ------------------------------------------------------------------------------


def test_a_totp_code_works_only_once(client, app, make_account):
    user = make_account("coordinator")
    code = totp_code(user)
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert client.post("/auth/two-factor", data={"code": code}).status_code == 302
    client.post("/auth/logout")
    other = app.test_client()
    other.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    again = other.post("/auth/two-factor", data={"code": code})
    assert again.status_code == 200
    assert other.get("/coordinator/").status_code == 302


def test_second_factor_guesses_are_throttled(english, make_account):
    user = make_account("coordinator")
    english.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    statuses = [english.post("/auth/two-factor", data={"code": "000000"}).status_code for _ in range(6)]
    assert statuses[-1] == 429


def test_staff_without_an_authenticator_must_set_one_up_first(app, english, make_account, db):
    app.config["DEMO_ALLOWED"] = False
    user = make_account("coordinator", totp_secret=None)
    response = english.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/auth/two-factor/setup"
    page = english.get("/auth/two-factor/setup").get_data(as_text=True)
    assert "data:image/svg+xml;base64," in page
    secret = re.search(r'user-select-all">([A-Z2-7]+)<', page).group(1)
    # The signed (not encrypted) session cookie holds the secret being set up encrypted.
    with english.session_transaction() as saved:
        assert secret not in repr(dict(saved))
    assert english.get("/coordinator/").status_code == 302  # not signed in yet

    wrong = english.post("/auth/two-factor/setup", data={"code": "123456"})
    assert "That code is not right" in wrong.get_data(as_text=True)

    done = english.post("/auth/two-factor/setup", data={"code": pyotp.TOTP(secret).now()})
    assert done.headers["Location"] == "/auth/two-factor/recovery-codes"
    with english.session_transaction() as saved:
        cookie = repr(dict(saved))
    codes_page = english.get("/auth/two-factor/recovery-codes").get_data(as_text=True)
    codes = re.findall(r'<li class="col">([a-z0-9-]+)</li>', codes_page)
    assert len(codes) == 10
    assert not any(code in cookie for code in codes)  # kept encrypted until shown
    assert english.get("/auth/two-factor/recovery-codes").status_code == 302  # shown once
    assert english.get("/coordinator/").status_code == 200
    db.session.refresh(user)
    assert secret_of(user) == secret
    assert secret not in user.totp_secret_token  # kept encrypted


def test_a_recovery_code_replaces_the_app_once(app, english, make_account, db):
    from app.services.accounts import regenerate_recovery_codes

    user = make_account("coordinator")
    code = regenerate_recovery_codes(user, address=None)[0]
    english.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    response = english.post("/auth/two-factor", data={"code": code.upper()})
    assert response.status_code == 302
    english.post("/auth/logout")
    english.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert english.post("/auth/two-factor", data={"code": code}).status_code == 200


def test_demo_accounts_skip_the_second_factor_in_development_with_a_warning(english, db):
    from app.services.accounts import add_user

    add_user("coordinator@example.jp", "デモ", "coordinator", DEMO_PASSWORD)
    db.session.commit()
    response = english.post("/auth/login", data={"email": "coordinator@example.jp", "password": DEMO_PASSWORD})
    assert response.headers["Location"] == "/coordinator/"
    assert "signed in without a second factor" in english.get("/coordinator/").get_data(as_text=True)


def test_demo_accounts_need_the_second_factor_in_production(app, english, db):
    from app.services.accounts import add_user

    app.config["DEMO_ALLOWED"] = False
    add_user("coordinator@example.jp", "デモ", "coordinator", DEMO_PASSWORD)
    db.session.commit()
    response = english.post("/auth/login", data={"email": "coordinator@example.jp", "password": DEMO_PASSWORD})
    assert response.headers["Location"] == "/auth/two-factor/setup"


def test_evangelists_may_turn_the_second_factor_on_and_off(evangelist_client, db):
    page = evangelist_client.get("/auth/two-factor/setup").get_data(as_text=True)
    secret = re.search(r'user-select-all">([A-Z2-7]+)<', page).group(1)
    evangelist_client.post("/auth/two-factor/setup", data={"code": pyotp.TOTP(secret).now()})
    user = db.session.scalar(sa.select(User).where(User.role == "evangelist"))
    assert secret_of(user) == secret
    # The code used to turn it on cannot be replayed to turn it off.
    evangelist_client.post("/auth/account/two-factor/remove", data={"password": PASSWORD, "code": pyotp.TOTP(secret).now()})
    db.session.refresh(user)
    assert secret_of(user) == secret
    user.totp_last_step -= 1  # as if the next 30-second step had come
    db.session.commit()
    evangelist_client.post("/auth/account/two-factor/remove", data={"password": PASSWORD, "code": pyotp.TOTP(secret).now()})
    db.session.refresh(user)
    assert user.totp_secret_token is None


def test_removing_the_second_factor_needs_the_password_and_a_code(coordinator_client, db):
    user = db.session.scalar(sa.select(User).where(User.role == "coordinator"))
    coordinator_client.post("/auth/account/two-factor/remove", data={"password": PASSWORD, "code": "000000"})
    coordinator_client.post("/auth/account/two-factor/remove", data={"password": "wrong wrong wrong", "code": "000000"})
    db.session.refresh(user)
    assert user.totp_secret_token is not None


def test_staff_who_remove_their_authenticator_must_set_up_a_new_one_before_anything_else(coordinator_client, db):
    from app.services.accounts import regenerate_recovery_codes

    user = db.session.scalar(sa.select(User).where(User.role == "coordinator"))
    code = regenerate_recovery_codes(user, address=None)[0]
    response = coordinator_client.post("/auth/account/two-factor/remove", data={"password": PASSWORD, "code": code})
    assert response.headers["Location"] == "/auth/two-factor/setup"
    assert coordinator_client.get("/coordinator/").headers["Location"] == "/auth/two-factor/setup"
    assert coordinator_client.get("/auth/two-factor/setup").status_code == 200
    assert coordinator_client.post("/auth/logout").status_code == 302  # signing out still works


def test_a_signed_in_user_cannot_overwrite_an_existing_authenticator(coordinator_client, db):
    user = db.session.scalar(sa.select(User).where(User.role == "coordinator"))
    before = user.totp_secret_token
    assert coordinator_client.get("/auth/two-factor/setup").headers["Location"] == "/auth/account"
    coordinator_client.post("/auth/two-factor/setup", data={"code": "123456"})
    db.session.refresh(user)
    assert user.totp_secret_token == before


def test_a_setup_secret_left_in_the_browser_is_not_offered_to_the_next_person(app, english, make_account):
    app.config["DEMO_ALLOWED"] = False
    first, second = make_account("coordinator", totp_secret=None), make_account("coordinator", totp_secret=None)
    english.post("/auth/login", data={"email": first.email, "password": PASSWORD})
    first_secret = re.search(r'user-select-all">([A-Z2-7]+)<', english.get("/auth/two-factor/setup").get_data(as_text=True)).group(1)
    english.post("/auth/login", data={"email": second.email, "password": PASSWORD})
    second_secret = re.search(r'user-select-all">([A-Z2-7]+)<', english.get("/auth/two-factor/setup").get_data(as_text=True)).group(1)
    assert first_secret != second_secret


# --- Sessions end on the server --------------------------------------------------------------


def stolen_copy(app, client):
    """A second client holding the same cookies, as a thief with a copied cookie would."""
    thief = app.test_client()
    for cookie in client._cookies.values():
        thief.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    return thief


def test_signing_out_ends_the_session_on_the_server_too(app, evangelist_client):
    thief = stolen_copy(app, evangelist_client)
    assert thief.get("/me/").status_code == 200
    evangelist_client.post("/auth/logout")
    assert thief.get("/me/").status_code == 302


def test_changing_the_password_ends_other_sessions_but_keeps_this_one(app, english, make_account, db):
    user = make_account("evangelist")
    sign_in(english, user)
    other_device = app.test_client()
    sign_in(other_device, user)
    response = english.post(
        "/auth/account/password",
        data={"current": PASSWORD, "password": "sunrise over the harbour bridge", "confirm": "sunrise over the harbour bridge"},
    )
    assert response.headers["Location"] == "/auth/account"
    assert english.get("/me/").status_code == 200
    assert other_device.get("/me/").status_code == 302


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("short pass", "Use at least 12 characters."),
        ("password123456", "list of common passwords"),
        ("aaaaaaaaaaaaaaaa", "Avoid repeated characters"),
    ],
)
def test_a_weak_new_password_is_refused_with_the_reason(english, make_account, new, message):
    sign_in(english, make_account("evangelist"))
    response = english.post("/auth/account/password", data={"current": PASSWORD, "password": new, "confirm": new})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


def test_a_wrong_current_password_is_refused_next_to_its_field(english, make_account):
    sign_in(english, make_account("evangelist"))
    new = "sunrise over the harbour bridge"
    html = english.post("/auth/account/password", data={"current": "not my password", "password": new, "confirm": new}).get_data(as_text=True)
    assert 'id="current-error"' in html and "The current password is not correct." in html


# --- Re-entering the current password counts against the sign-in limits ------------------

NEW_PASSWORD = "sunrise over the harbour bridge"


def change_password(client, current, new=NEW_PASSWORD):
    return client.post("/auth/account/password", data={"current": current, "password": new, "confirm": new})


def test_wrong_current_passwords_are_throttled_even_the_right_one_after(english, make_account, db):
    user = make_account("evangelist")
    sign_in(english, user)
    hashed = user.password_hash
    statuses = [change_password(english, f"wrong guess {n}").status_code for n in range(5)]
    assert statuses == [200] * 5
    throttled = change_password(english, PASSWORD)
    assert throttled.status_code == 429
    html = throttled.get_data(as_text=True)
    assert "Too many failed attempts" in html and "15 minutes" in html
    assert "Retry-After" in throttled.headers
    db.session.refresh(user)
    assert user.password_hash == hashed
    assert english.get("/auth/account/password").status_code == 200  # the page itself still shows
    failures = events(db, "auth.current_password_failed")
    assert len(failures) == 5 and failures[0].after == {"purpose": "change_password"}


def test_a_stolen_session_gets_no_more_guesses_than_the_sign_in_form(app, english, make_account):
    """One budget per account: guesses at sign-in and at "current password" add up."""
    user = make_account("evangelist")
    sign_in(english, user)
    stranger = app.test_client()
    for n in range(3):
        assert stranger.post("/auth/login", data={"email": user.email, "password": f"guess {n}"}).status_code == 200
    for n in range(2):
        assert change_password(english, f"wrong guess {n}").status_code == 200
    assert change_password(english, PASSWORD).status_code == 429
    assert stranger.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 429


def test_right_current_passwords_do_not_count(english, make_account):
    user = make_account("evangelist")
    sign_in(english, user)
    passwords = [PASSWORD, NEW_PASSWORD] * 4
    for current, new in itertools.pairwise(passwords):
        assert change_password(english, current, new).status_code == 302
    for n in range(4):
        assert change_password(english, f"wrong guess {n}", PASSWORD).status_code == 200
    assert change_password(english, passwords[-1], PASSWORD).status_code == 302


def test_one_users_wrong_current_passwords_do_not_throttle_another(app, english, make_account):
    victim, other = make_account("evangelist"), make_account("evangelist")
    sign_in(english, victim)
    for n in range(6):
        change_password(english, f"wrong guess {n}")
    other_client = app.test_client()
    sign_in(other_client, other)
    assert change_password(other_client, PASSWORD).status_code == 302


def test_wrong_current_passwords_count_per_address_too(app, english, make_account):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "3 per 15 minutes"
    sign_in(english, make_account("evangelist"))
    for n in range(3):
        change_password(english, f"wrong guess {n}")
    user = make_account("evangelist")
    assert app.test_client().post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 429


def test_removing_the_second_factor_is_throttled_like_sign_in(app, english, make_account, db):
    user = make_account("coordinator")
    sign_in(english, user)
    for n in range(5):
        response = english.post("/auth/account/two-factor/remove", data={"password": f"wrong guess {n}", "code": "000000"})
        assert response.status_code == 302
    user.totp_last_step = None  # so the current code has not been used by the sign-in
    db.session.commit()
    throttled = english.post("/auth/account/two-factor/remove", data={"password": PASSWORD, "code": totp_code(user)})
    assert throttled.status_code == 429
    assert "Too many failed attempts" in throttled.get_data(as_text=True)
    db.session.refresh(user)
    assert user.totp_secret_token is not None


def test_deactivation_ends_the_users_sessions_at_once(admin_client, app, make_account, db):
    user = make_account("evangelist")
    victim_client = app.test_client()
    sign_in(victim_client, user)
    admin_client.post(f"/admin/users/{user.id}/deactivate")
    assert victim_client.get("/me/").status_code == 302
    assert victim_client.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 200
    admin_client.post(f"/admin/users/{user.id}/reactivate")
    assert sign_in(app.test_client(), user).status_code == 302


def test_remember_me_is_off_by_default_and_lasts_at_most_30_days(client, make_account):
    user = make_account("evangelist")
    plain = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert "remember_token" not in " ".join(plain.headers.getlist("Set-Cookie"))
    client.post("/auth/logout")
    remembered = client.post("/auth/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    cookie = next(c for c in remembered.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
    assert expires - datetime.now(UTC) <= timedelta(days=30)


def test_the_session_cookie_is_httponly_and_samesite_lax(client, make_account):
    response = sign_in(client, make_account("evangelist"))
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


# --- Invitations and password links ----------------------------------------------------------


def invite(client, email="new.person@example.jp", name="新人 花子", role="evangelist"):
    return client.post("/coordinator/invitations/new", data={"email": email, "display_name": name, "role": role})


def test_an_invitation_link_sets_the_password_once(app, coordinator_client, db):
    response = invite(coordinator_client)
    html = response.get_data(as_text=True)
    link = re.search(r'value="(http://localhost/auth/password/invitation/[^"]+)"', html).group(1)
    path = link.removeprefix("http://localhost")
    newcomer = app.test_client()
    newcomer.set_cookie("lang", "en")
    assert "Welcome, 新人 花子" in newcomer.get(path).get_data(as_text=True)

    weak = newcomer.post(path, data={"password": "short", "confirm": "short"})
    assert "Use at least 12 characters." in weak.get_data(as_text=True)

    good = "paper lanterns by the river"
    assert newcomer.post(path, data={"password": good, "confirm": good}).headers["Location"] == "/auth/login"
    used = newcomer.get(path)
    assert used.status_code == 410
    assert "already been used" in used.get_data(as_text=True)
    user = db.session.scalar(sa.select(User).where(User.email == "new.person@example.jp"))
    assert sign_in(newcomer, user, good).headers["Location"] == "/me/"
    assert len(events(db, "user.invited")) == 1


def test_an_expired_invitation_says_so(app, coordinator_client):
    html = invite(coordinator_client).get_data(as_text=True)
    path = re.search(r'value="http://localhost(/auth/password/invitation/[^"]+)"', html).group(1)
    app.config["INVITATION_MAX_AGE"] = timedelta(seconds=-1)
    later = app.test_client()
    later.set_cookie("lang", "en")
    response = later.get(path)
    assert response.status_code == 410
    assert "This link has expired" in response.get_data(as_text=True)


def test_a_tampered_link_is_refused(english):
    response = english.get("/auth/password/reset/not-a-real-token")
    assert response.status_code == 404
    assert "not valid" in response.get_data(as_text=True)


def test_inviting_an_existing_address_is_explained_and_keeps_what_was_typed(english, coordinator_client, make_account):
    taken = make_account("evangelist", email="taken@example.jp")
    coordinator_client.set_cookie("lang", "en")
    html = invite(coordinator_client, email=taken.email, name="誰か").get_data(as_text=True)
    assert "already exists" in html
    assert 'value="誰か"' in html


def test_coordinators_invite_evangelists_only(coordinator_client, db):
    invite(coordinator_client, email="boss@example.jp", role="admin")
    assert db.session.scalar(sa.select(User).where(User.email == "boss@example.jp")) is None


def test_with_a_mail_server_the_invitation_is_e_mailed(app, coordinator_client, mailbox, deliver):
    response = invite(coordinator_client)
    assert response.headers["Location"] == "/coordinator/"
    deliver()
    (message,) = mailbox.to("new.person@example.jp")
    assert "/auth/password/invitation/" in body_of(message)


def test_forgot_password_answers_the_same_for_known_and_unknown_addresses(app, english, make_account, mailbox):
    user = make_account("evangelist")
    known = english.post("/auth/forgot-password", data={"email": user.email}, follow_redirects=True)
    unknown = english.post("/auth/forgot-password", data={"email": "nobody@example.jp"}, follow_redirects=True)
    assert flashes(known.get_data(as_text=True)) == flashes(unknown.get_data(as_text=True))


def test_forgot_password_without_mail_says_whom_to_ask(english):
    html = english.post("/auth/forgot-password", data={"email": "x@example.jp"}).get_data(as_text=True)
    assert "ask your coordinator" in html


# --- Admin pages ---------------------------------------------------------------------------------


def test_admin_changes_a_role_and_it_is_audited(admin_client, make_account, db):
    user = make_account("evangelist")
    admin_client.post(f"/admin/users/{user.id}/role", data={"role": "coordinator"})
    db.session.refresh(user)
    assert user.role == "coordinator"
    (event,) = events(db, "user.role_changed")
    assert (event.before, event.after, event.entity_id) == ({"role": "evangelist"}, {"role": "coordinator"}, user.id)


def test_admins_cannot_demote_or_deactivate_themselves(english, signed_in_client, db):
    client, admin = signed_in_client("admin")
    client.set_cookie("lang", "en")
    html = client.post(f"/admin/users/{admin.id}/deactivate", follow_redirects=True).get_data(as_text=True)
    assert "cannot deactivate your own account" in html
    client.post(f"/admin/users/{admin.id}/role", data={"role": "evangelist"})
    db.session.refresh(admin)
    assert admin.role == "admin" and admin.is_active


def test_user_list_filters_by_role_and_status(admin_client, make_account):
    make_account("evangelist", email="ev@example.jp")
    make_account("evangelist", email="invited@example.jp", password_hash=None)
    html = admin_client.get("/admin/users?role=evangelist&status=invited").get_data(as_text=True)
    assert "invited@example.jp" in html and "ev@example.jp" not in html


def test_audit_log_filters_by_actor_action_and_date(admin_client, make_account, client):
    user = make_account("evangelist")
    client.post("/auth/login", data={"email": user.email, "password": "not it at all"})
    html = admin_client.get("/admin/audit?action=auth.sign_in_failed").get_data(as_text=True)
    assert "auth.sign_in_failed" in html and "auth.signed_in" not in html
    assert "127.0.0.1" in html
    assert "auth.sign_in_failed" not in admin_client.get("/admin/audit?action=auth.sign_in_failed&until=2020-01-01").get_data(as_text=True).split("<tbody>")[1]
    bad = admin_client.get("/admin/audit?since=yesterday").get_data(as_text=True)
    assert 'id="since-error"' in bad


# --- The first admin --------------------------------------------------------------------------------


def test_flask_users_create_makes_the_first_admin(runner, db):
    result = runner.invoke(args=["users", "create", "--email", "Chief@Example.jp", "--role", "admin", "--password-stdin"],
                           input="lanterns along the quiet canal\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "chief@example.jp"))
    assert user.role == "admin" and user.password_hash


def test_flask_users_create_refuses_a_weak_password_with_the_reason(runner):
    result = runner.invoke(args=["users", "create", "--email", "a@example.jp", "--role", "admin", "--password-stdin"],
                           input="password\n")
    assert result.exit_code == 1
    assert "Use at least 12 characters." in result.output


def test_flask_users_create_refuses_an_unknown_role(runner):
    result = runner.invoke(args=["users", "create", "--email", "a@example.jp", "--role", "boss", "--password-stdin"], input="x\n")
    assert result.exit_code == 2 and "--role" in result.output


def test_a_password_alone_cannot_replace_an_existing_second_factor(english, make_account, db):
    user = make_account("coordinator")
    original = user.totp_secret_token
    english.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert english.get("/auth/two-factor/setup").headers["Location"] == "/auth/login"
    english.post("/auth/two-factor/setup", data={"code": "123456"})
    assert english.get("/coordinator/").status_code == 302
    db.session.refresh(user)
    assert user.totp_secret_token == original


def test_a_password_hashed_with_other_parameters_is_rehashed_at_sign_in(app, client, make_account, db):
    from argon2 import extract_parameters, profiles

    from config import real_password_hashing

    user = make_account("evangelist")  # hashed with the test configuration's cheap parameters
    assert extract_parameters(user.password_hash) != profiles.RFC_9106_LOW_MEMORY
    app.config.update(real_password_hashing())
    sign_in(client, user)
    db.session.refresh(user)
    assert extract_parameters(user.password_hash) == profiles.RFC_9106_LOW_MEMORY
