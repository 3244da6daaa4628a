"""Production behaviour: request ids and JSON logs, security headers, error pages that
leak nothing, request size limits, the gunicorn and deployment configuration."""

from __future__ import annotations

import json
import logging
import runpy
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app
from app.errors import is_database_unavailable
from app.request_log import JsonFormatter

ROOT = Path(__file__).resolve().parent.parent


def request_records(caplog):
    return [r for r in caplog.records if r.name == "app.request"]


@pytest.fixture
def make_app(_migrated):
    """``make_app(**settings)``: an app on the test database with these settings; its
    connections are closed afterwards (on PostgreSQL an open one left to the garbage
    collector warns, and warnings are errors here)."""
    made = []

    def make(**settings):
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=_migrated, **settings)
        made.append(app)
        return app

    yield make
    from app.extensions import db

    for app in made:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def logged_app(make_app):
    return make_app(REQUEST_LOG=True, LOG_FORMAT="json")


def test_every_response_carries_a_request_id_and_one_log_record(logged_app, caplog):
    caplog.set_level(logging.INFO, logger="app.request")
    response = logged_app.test_client().get("/healthz")
    request_id = response.headers["X-Request-ID"]
    assert len(request_id) == 32
    [record] = request_records(caplog)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["request_id"] == request_id
    assert entry["level"] == "INFO" and entry["logger"] == "app.request"
    assert (entry["method"], entry["route"], entry["path"], entry["status"]) == ("GET", "/healthz", "/healthz", 200)
    assert entry["duration_ms"] >= 0 and entry["bytes"] == len(response.data)
    assert entry["remote_addr"] == "127.0.0.1" and entry["user_id"] is None
    assert entry["time"].endswith("+00:00")


def test_a_proxys_request_id_is_kept_when_well_formed(logged_app, caplog):
    caplog.set_level(logging.INFO, logger="app.request")
    client = logged_app.test_client()
    assert client.get("/healthz", headers={"X-Request-ID": "nginx-3f2a9c01d4"}).headers["X-Request-ID"] == "nginx-3f2a9c01d4"
    for bad in ("short", "has space in it", "x" * 200, "evil\u3042id12345", "a;b=c<script>"):
        got = client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert got != bad and len(got) == 32


def test_secret_tokens_never_reach_the_log(logged_app, caplog):
    caplog.set_level(logging.INFO, logger="app.request")
    logged_app.test_client().get("/request/status/VerySecretToken123456")
    logged_app.test_client().get("/auth/password/reset/AnotherSecretToken98765")
    records = request_records(caplog)
    assert len(records) == 2
    for record in records:
        line = JsonFormatter().format(record)
        assert "Secret" not in line
    assert json.loads(JsonFormatter().format(records[0]))["path"] == "/request/status/…"
    assert json.loads(JsonFormatter().format(records[0]))["route"] == "/request/status/<token>"


def test_log_records_made_during_a_request_carry_its_id(logged_app, caplog):
    @logged_app.get("/_log_probe")
    def probe():
        logged_app.logger.warning("something to note")
        return "ok"

    logged_app.view_functions["probe"].access = "public"
    response = logged_app.test_client().get("/_log_probe")
    [record] = [r for r in caplog.records if r.getMessage() == "something to note"]
    note = json.loads(JsonFormatter().format(record))
    assert note["request_id"] == response.headers["X-Request-ID"]
    assert note["level"] == "WARNING" and note["logger"] == "app"


def test_text_logs_and_a_bad_log_format(make_app, _migrated):
    make_app(LOG_FORMAT="text")
    with pytest.raises(RuntimeError, match="LOG_FORMAT 'xml' is not known: use one of json, text"):
        create_app("testing", SQLALCHEMY_DATABASE_URI=_migrated, LOG_FORMAT="xml")


def test_production_logs_requests_as_json_by_default(monkeypatch):
    from config import ProductionConfig

    assert ProductionConfig.REQUEST_LOG is True and ProductionConfig.LOG_FORMAT == "json"


# --- Headers -----------------------------------------------------------------------------

def test_security_headers_on_every_page(client):
    response = client.get("/")
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "geolocation=()" in headers["Permissions-Policy"]
    csp = headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'",
                      "frame-ancestors 'none'", "form-action 'self'"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "Strict-Transport-Security" not in headers  # plain HTTP


def test_hsts_only_over_https(client):
    response = client.get("/", base_url="https://evangelists.example.go.jp")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_hsts_behind_a_tls_proxy_only_when_the_proxy_is_trusted(make_app):
    trusting = make_app(PROXY_COUNT=1)
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    assert "Strict-Transport-Security" in trusting.test_client().get("/healthz", headers=forwarded).headers
    plain = make_app(PROXY_COUNT=0)
    assert "Strict-Transport-Security" not in plain.test_client().get("/healthz", headers=forwarded).headers


def test_hsts_settings(make_app):
    app = make_app(HSTS_MAX_AGE=600, HSTS_INCLUDE_SUBDOMAINS=True)
    headers = app.test_client().get("/healthz", base_url="https://x.example").headers
    assert headers["Strict-Transport-Security"] == "max-age=600; includeSubDomains"
    off = make_app(HSTS_MAX_AGE=0)
    assert "Strict-Transport-Security" not in off.test_client().get("/healthz", base_url="https://x.example").headers


# --- Error pages -------------------------------------------------------------------------

@pytest.fixture
def production_like(make_app):
    """An app that turns unexpected errors into the 500 page, as production does."""
    app = make_app(TESTING=False, REQUEST_LOG=True)
    from app.errors import handle_unexpected_error

    app.register_error_handler(Exception, handle_unexpected_error)

    @app.get("/_boom")
    def boom():
        raise RuntimeError("secret detail: password=hunter2 at /srv/app/private.py")

    @app.get("/_sql")
    def sql():
        from app.extensions import db

        db.session.execute(sa.text("SELECT no_such_column FROM users"))

    for endpoint in ("boom", "sql"):
        app.view_functions[endpoint].access = "public"
    return app


@pytest.mark.parametrize("path", ["/_boom", "/_sql"])
def test_a_500_page_says_nothing_about_the_inside(production_like, path, caplog):
    response = production_like.test_client().get(path)
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    for leak in ("hunter2", "secret detail", "private.py", "Traceback", "no_such_column", "SELECT",
                 "sqlite", "RuntimeError", "OperationalError"):
        assert leak not in text
    assert response.headers["X-Request-ID"] in text
    # ... but the log has it all, under the same id.
    [error] = [r for r in caplog.records if r.levelno == logging.ERROR and r.name == "app"]
    assert error.request_id == response.headers["X-Request-ID"]
    assert error.exc_info is not None


def test_an_api_error_is_json_without_details(production_like):
    response = production_like.test_client().get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.get_json()["error"] == "Not Found"


def test_a_request_body_over_the_limit_gets_413_with_a_page(client):
    response = client.post("/request", data={"message": "あ" * (1024 * 1024)})
    assert response.status_code == 413
    assert "大きさを超えています" in response.get_data(as_text=True)


def test_the_import_keeps_its_own_larger_limit(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    from app.data.routes import MAX_IMPORT_REQUEST

    assert MAX_IMPORT_REQUEST > app.config["MAX_CONTENT_LENGTH"]


def _operational(message: str, orig: Exception) -> sa.exc.OperationalError:
    return sa.exc.OperationalError("SELECT 1", {}, orig)


@pytest.mark.parametrize(
    "error, unavailable",
    [
        (_operational("", sqlite3.OperationalError("database is locked")), True),
        (_operational("", sqlite3.OperationalError("unable to open database file")), True),
        (_operational("", sqlite3.OperationalError("no such table: users")), False),
        (_operational("", sqlite3.OperationalError('near "SELEC": syntax error')), False),
        (sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused")), True),
        (sa.exc.InterfaceError("SELECT 1", {}, Exception("connection already closed")), True),
        (sa.exc.IntegrityError("INSERT", {}, Exception("duplicate key")), False),
        (sa.exc.ProgrammingError("SELECT", {}, Exception("undefined column")), False),
    ],
)
def test_which_database_errors_mean_unavailable(error, unavailable):
    assert is_database_unavailable(error) is unavailable


def test_a_locked_sqlite_database_is_a_503_not_a_500(app, client, monkeypatch):
    from app.services import requests as requests_service

    def locked(*_a, **_k):
        raise sa.exc.OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(requests_service, "request_by_token", locked)
    response = client.get("/request/status/some-token-value")
    assert response.status_code == 503
    assert "Retry-After" in response.headers


# --- Deployment files ----------------------------------------------------------------------

def test_gunicorn_settings(monkeypatch):
    import multiprocessing

    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("GUNICORN_MAX_REQUESTS", raising=False)
    monkeypatch.setenv("LOG_FORMAT", "json")
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["workers"] == multiprocessing.cpu_count() * 2
    assert settings["max_requests"] == 0  # a recycled worker loses its page cache
    assert settings["preload_app"] is True and callable(settings["post_fork"])
    assert callable(settings["when_ready"])
    assert settings["accesslog"] is None
    assert settings["forwarded_allow_ips"] == ""
    assert settings["logconfig_dict"]["formatters"]["json"]["()"] == "app.request_log.JsonFormatter"
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("BIND", "0.0.0.0:9000")
    monkeypatch.setenv("GUNICORN_MAX_REQUESTS", "20000")
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert (settings["workers"], settings["bind"]) == (3, "0.0.0.0:9000")
    assert (settings["max_requests"], settings["max_requests_jitter"]) == (20000, 2000)


PRODUCTION_SETTINGS = {"PRODUCTION": True, "RATELIMIT_STORAGE_URI": "memory://"}


@pytest.mark.parametrize("settings, workers, refused, warned", [
    (PRODUCTION_SETTINGS, 4, True, False),
    (PRODUCTION_SETTINGS, 2, True, False),
    ({"PRODUCTION": True, "RATELIMIT_STORAGE_URI": " memory:// "}, 3, True, False),
    ({"PRODUCTION": True}, 2, True, False),  # unset means memory://
    (PRODUCTION_SETTINGS, 1, False, True),
    ({"PRODUCTION": True, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}, 8, False, False),
    ({"PRODUCTION": False, "RATELIMIT_STORAGE_URI": "memory://"}, 8, False, False),
], ids=["four", "two", "spaces", "unset", "one-worker", "redis", "development"])
def test_production_with_several_workers_refuses_per_worker_counters(settings, workers, refused, warned):
    from config import check_rate_limit_storage

    warnings = []
    if refused:
        with pytest.raises(RuntimeError, match=r"RATELIMIT_STORAGE_URI .* (\d) worker processes") as error:
            check_rate_limit_storage(settings, workers, warnings.append)
        assert f"with {workers} worker processes" in str(error.value) and "redis://" in str(error.value)
    else:
        check_rate_limit_storage(settings, workers, warnings.append)
    assert bool(warnings) == warned


def test_the_gunicorn_start_hook_checks_the_real_worker_count(monkeypatch):
    import sys
    from types import SimpleNamespace

    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    monkeypatch.setitem(sys.modules, "wsgi", SimpleNamespace(app=SimpleNamespace(config=PRODUCTION_SETTINGS)))
    warnings = []
    server = SimpleNamespace(cfg=SimpleNamespace(workers=5), log=SimpleNamespace(warning=warnings.append))
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI"):
        settings["on_starting"](server)
    server.cfg.workers = 1
    settings["on_starting"](server)
    assert len(warnings) == 1


def test_gunicorn_in_production_with_several_workers_on_memory_does_not_start(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("RATELIMIT_", "TEST_", "GUNICORN_"))}
    env.update(APP_CONFIG="production", SECRET_KEY="s" * 64, PUBLIC_BASE_URL="http://127.0.0.1:8000",
               TOTP_ENCRYPTION_KEYS="gunicorn-test-totp-key-0123456789abcdef",
               DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}", WEB_CONCURRENCY="3", BIND="127.0.0.1:0")
    result = subprocess.run([sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "RATELIMIT_STORAGE_URI is 'memory://' with 3 worker processes" in result.stderr
    assert "Booting worker" not in result.stderr


def test_deploy_files_point_at_what_exists():
    unit = (ROOT / "deploy" / "evangelist-network.service").read_text()
    assert "ExecStart=/srv/evangelist-network/.venv/bin/gunicorn --config gunicorn.conf.py wsgi:app" in unit
    assert "EnvironmentFile=/etc/evangelist-network/env" in unit
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in nginx
    assert "proxy_set_header X-Request-ID      $request_id;" in nginx
    worker = (ROOT / "deploy" / "evangelist-network-worker.service").read_text()
    assert "ExecStart=/srv/evangelist-network/.venv/bin/huey_consumer app.queue.huey" in worker
    assert "EnvironmentFile=/etc/evangelist-network/env" in worker
    env = (ROOT / "deploy" / "env.example").read_text()
    from config import Config

    # Every setting the example names is one the app (or gunicorn.conf.py) reads.
    known = set(vars(Config)) | {"APP_CONFIG", "FLASK_APP", "DATABASE_URL", "BIND", "WEB_CONCURRENCY",
                              "GUNICORN_MAX_REQUESTS",
                              "QUEUE_URL"}  # read by app/queue.py, which the worker imports without the app
    named = {line.lstrip("#").split("=", 1)[0] for line in env.splitlines()
             if "=" in line and not line.startswith("# ")}
    assert named and named <= known, named - known


def test_nginx_answers_only_the_public_host_and_passes_no_forwarded_host():
    import re
    from urllib.parse import urlsplit

    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    env = (ROOT / "deploy" / "env.example").read_text()
    [base] = re.findall(r"^PUBLIC_BASE_URL=(\S+)$", env, re.MULTILINE)
    names = set(re.findall(r"^\s*server_name\s+([^;]+);", nginx, re.MULTILINE))
    assert names == {"_", urlsplit(base).hostname}
    for port in ("80", "443 ssl", "[::]:80", "[::]:443 ssl"):
        assert re.search(rf"listen {re.escape(port)} default_server;", nginx), port
    assert nginx.count("return 444;") == 2
    assert "$host" not in nginx.replace("proxy_set_header Host              $host;", "")
    assert 'proxy_set_header X-Forwarded-Host  "";' in nginx


# --- Dependency audit (CI) -------------------------------------------------------------------

@pytest.mark.parametrize(
    "dependencies, args, code, says",
    [
        ([{"name": "flask", "version": "3.1.0", "vulns": []}], [], 0, "1 packages audited, 0 with"),
        ([{"name": "flask", "version": "0.12", "vulns": [{"id": "PYSEC-2019-179", "fix_versions": ["1.0"]}]}],
         [], 1, "VULNERABLE flask 0.12: PYSEC-2019-179 (fixed in 1.0)"),
        ([{"name": "flask", "skip_reason": "Dependency not found on PyPI"}], [], 0, "WARNING: no package could be audited"),
        ([{"name": "flask", "skip_reason": "Dependency not found on PyPI"}], ["--require"], 1, "WARNING"),
    ],
    ids=["clean", "vulnerable", "unreachable", "unreachable-required"],
)
def test_the_dependency_audit_step(monkeypatch, capsys, dependencies, args, code, says):
    import subprocess
    import sys

    audit = runpy.run_path(str(ROOT / "scripts" / "audit_dependencies.py"))
    fake = subprocess.CompletedProcess([], 0, stdout=json.dumps({"dependencies": dependencies, "fixes": []}), stderr="")
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: fake)
    monkeypatch.setattr(sys, "argv", ["audit_dependencies.py", *args])
    assert audit["main"]() == code
    out = capsys.readouterr()
    assert says in out.out + out.err
