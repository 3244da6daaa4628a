"""Links in mails come from PUBLIC_BASE_URL, never from the request's Host or
X-Forwarded-Host; a request for a host the site does not serve is refused (issue 15.0)."""

from __future__ import annotations

import logging

import pytest

from app import create_app
from app.extensions import db as _db
from config import ProductionConfig
from tests.mailbox import body_of
from tests.web.test_support import form_data

BASE = "https://evangelists.example.go.jp/network"


@pytest.fixture
def proxied_app(_migrated):
    """The app as deployed: behind one proxy (PROXY_COUNT=1), with its public address."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=_migrated, PROXY_COUNT=1, PUBLIC_BASE_URL=BASE,
                     MAIL_SERVER="smtp.invalid")
    yield app
    with app.app_context():
        _db.engine.dispose()


def test_a_forgot_password_post_for_another_host_is_refused_and_sends_nothing(app, client, make_account, mailbox,
                                                                              deliver, caplog):
    user = make_account("evangelist")
    caplog.set_level(logging.WARNING)
    response = client.post("/auth/forgot-password", data={"email": user.email}, headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert response.mimetype == "text/html" and "evil.example" not in response.get_data(as_text=True)
    deliver()
    assert mailbox.messages == []
    assert any("untrusted host" in r.getMessage() and "evil.example" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("host", ["evil.example", "evangelists.example.go.jp.evil.example", "localhost.evil",
                                  "127.0.0.1.nip.io", "[::2]", "a b", ""])
def test_every_page_refuses_a_host_it_does_not_serve(client, host):
    for path in ("/", "/network", "/healthz", "/auth/login", "/static/css/app.css"):
        assert client.get(path, headers={"Host": host}).status_code == 400, (path, host)
    api = client.get("/api/v1/prefectures", headers={"Host": "evil.example"})
    assert api.status_code == 400 and api.is_json


def test_the_reset_link_comes_from_the_public_address_whatever_the_headers_say(proxied_app, make_account, mailbox):
    from app.queue import run_due

    proxied_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=mailbox.port, MAIL_USE_TLS=False)
    user = make_account("evangelist")
    client = proxied_app.test_client()
    response = client.post("/auth/forgot-password", data={"email": user.email},
                           headers={"Host": "evangelists.example.go.jp", "X-Forwarded-Host": "evil.example",
                                    "X-Forwarded-Proto": "https", "X-Forwarded-Prefix": "/evil"})
    assert response.status_code == 302
    with proxied_app.app_context():  # the worker, as deployed
        run_due()
    (mail,) = mailbox.messages
    assert mail["To"] == user.email
    body = body_of(mail)
    assert f"{BASE}/auth/password/reset/" in body
    assert "evil" not in body


def test_request_notices_and_the_status_link_on_screen_come_from_the_public_address(app, client, mailbox, deliver,
                                                                                    make_account, towns):
    app.config["PUBLIC_BASE_URL"] = BASE
    make_account("coordinator", email="desk@example.jp")
    response = client.post("/request", data=form_data(), headers={"X-Forwarded-Host": "evil.example"},
                           follow_redirects=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"{BASE}/request/status/" in html and "evil.example" not in html
    deliver()
    bodies = [body_of(message) for message in mailbox.messages]
    assert len(bodies) == 2
    assert f"{BASE}/request/status/" in bodies[0]
    assert f"{BASE}/coordinator/requests/" in bodies[1]


def test_the_open_data_page_names_its_files_by_the_public_address(app, client):
    app.config["PUBLIC_BASE_URL"] = BASE
    html = client.get("/open-data").get_data(as_text=True)
    assert f"{BASE}/api/v1/" in html and "http://localhost/" not in html


def test_production_refuses_to_start_without_a_public_address(monkeypatch):
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL is not set"):
        create_app(ProductionConfig, SECRET_KEY="x" * 32, TOTP_ENCRYPTION_KEYS="t" * 40, PUBLIC_BASE_URL="",
                   SQLALCHEMY_DATABASE_URI="sqlite://")


@pytest.mark.parametrize("bad", ["evangelists.example.go.jp", "ftp://example.jp", "https://", "https://a@example.jp",
                                 "https://example.jp/?next=x", "https://example.jp:99999", "https://exa mple.jp"])
def test_a_public_address_that_is_no_site_address_stops_the_app(bad):
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL cannot be used"):
        create_app("testing", PUBLIC_BASE_URL=bad, SQLALCHEMY_DATABASE_URI="sqlite://")


def test_trusted_hosts_are_the_public_host_and_the_named_extras():
    app = create_app(ProductionConfig, SECRET_KEY="x" * 32, TOTP_ENCRYPTION_KEYS="t" * 40,
                     PUBLIC_BASE_URL="https://Evangelists.example.go.jp/",
                     TRUSTED_HOSTS=["10.0.0.5"], SQLALCHEMY_DATABASE_URI="sqlite://")
    assert app.config["TRUSTED_HOSTS"] == ["evangelists.example.go.jp", "10.0.0.5"]
    assert app.config["PUBLIC_BASE_URL"] == "https://Evangelists.example.go.jp"
    development = create_app("development", SQLALCHEMY_DATABASE_URI="sqlite://")
    assert development.config["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"
    assert set(development.config["TRUSTED_HOSTS"]) == {"127.0.0.1", "localhost"}
