"""Cross-cutting behaviour of the app factory, the error handlers and the models."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app
from app.models import AuditEvent, Topic
from app.services.audit import record_event
from evangelists.calendar import PROGRAMME_ZONE

ROOT = Path(__file__).resolve().parent.parent


def test_what_a_request_adds_without_committing_is_not_saved(app, client, db):
    @app.get("/_test/add-without-commit")
    def add_without_commit():
        db.session.add(Topic(slug="uncommitted", name_ja="未保存", name_en="Unsaved"))
        db.session.flush()
        return "added"

    assert client.get("/_test/add-without-commit").status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Topic)) == 0


def test_timestamps_come_back_in_utc_on_every_backend(db):
    event = record_event(None, "test.utc", "test")
    event.created_at = datetime(2026, 11, 27, 9, 0, tzinfo=PROGRAMME_ZONE)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(AuditEvent, event.id).created_at
    assert stored == datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
    assert stored.utcoffset() == timedelta(0)


def test_a_naive_timestamp_is_refused(db):
    event = record_event(None, "test.naive", "test")
    event.created_at = datetime(2026, 11, 27, 9, 0)
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        db.session.flush()
    db.session.rollback()


def test_error_pages_keep_the_headers_of_the_error(client):
    response = client.post("/healthz")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert response.is_json  # /healthz speaks JSON, errors included


def test_testing_without_a_database_url_uses_memory_not_the_instance_file():
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=None)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite://"


def test_wsgi_defaults_to_production_and_refuses_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in {"APP_CONFIG", "SECRET_KEY"}}
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_an_endpoint_without_an_access_rule_stops_the_app_from_starting():
    from flask import Flask

    from app.decorators import check_access_declared, public, role_required

    bare = Flask(__name__)
    bare.add_url_rule("/open", view_func=public(lambda: "ok"), endpoint="open")
    bare.add_url_rule("/staff", view_func=role_required("admin")(lambda: "ok"), endpoint="staff")
    bare.add_url_rule("/forgotten", view_func=lambda: "ok", endpoint="forgotten")
    with pytest.raises(RuntimeError, match=r"declare no access rule.*: forgotten$"):
        check_access_declared(bare)


def test_role_required_refuses_unknown_roles():
    from app.decorators import role_required

    with pytest.raises(ValueError, match="superuser"):
        role_required("superuser")


def test_every_page_gets_the_basic_security_headers(client):
    response = client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_password_link_pages_send_no_referrer(client):
    assert client.get("/auth/password/reset/x").headers["Referrer-Policy"] == "no-referrer"


def test_every_path_that_carries_a_token_sends_no_referrer_and_is_never_stored(client):
    from app.security import SECRET_PATHS

    assert "/communities/register/confirm/" in SECRET_PATHS
    for prefix in SECRET_PATHS:
        response = client.get(prefix + "not-a-real-token-at-all")
        assert response.headers["Referrer-Policy"] == "no-referrer", prefix
    confirm = client.get("/communities/register/confirm/not-a-real-token-at-all")
    assert confirm.status_code == 404 and confirm.headers["Cache-Control"] == "no-store"


def test_behind_a_proxy_the_client_address_comes_from_x_forwarded_for(db):
    proxied = create_app("testing", SQLALCHEMY_DATABASE_URI=str(db.engine.url), PROXY_COUNT=1)
    with proxied.app_context():
        proxied.test_client().post(
            "/auth/login", data={"email": "x@example.jp", "password": "nope nope nope"},
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
        db.engine.dispose()
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "auth.sign_in_failed")).one()
    assert event.client_address == "203.0.113.9"
