"""A real gunicorn (gunicorn.conf.py, production settings) on loopback, for the tests
that need several worker processes."""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import flask_migrate
import pytest

from app import create_app
from app.extensions import db as _db
from app.services.geography import load_gazetteer
from app.services.topics import sync_topics

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepared_database(url: str) -> None:
    """Migrate ``url`` and load the gazetteer and topics, as `make serve` does."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        flask_migrate.upgrade()
        load_gazetteer()
        sync_topics()
        _db.session.commit()
        _db.engine.dispose()


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path
    handle: object

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.handle.close()
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A Redis of its own on loopback (nothing saved), for rate limits the workers share:
    production refuses several workers counting in memory each (config.check_rate_limit_storage)."""
    server = shutil.which("redis-server")
    if server is None:
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail("redis-server is required (REQUIRE_REDIS=1) and not installed")
        pytest.skip("no redis-server: several gunicorn workers need shared rate-limit counters")
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path_factory.mktemp("redis"))],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def gunicorn_server(tmp_path, redis_url):
    """``gunicorn_server(database_url, workers=4, **env)``: a running server; stopped at the end."""
    servers: list[Server] = []

    def start(database_url: str, *, workers: int = 4, **env) -> Server:
        port = free_port()
        log = tmp_path / f"gunicorn-{port}.log"
        environment = {
            **os.environ,
            "APP_CONFIG": "production",
            "SECRET_KEY": "fault-tests-secret-key-0123456789",
            "TOTP_ENCRYPTION_KEYS": "fault-tests-totp-key-0123456789abcdef",
            "DATABASE_URL": database_url,
            "SESSION_COOKIE_SECURE": "0",  # plain HTTP on loopback
            "BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": str(workers),
            "PROXY_COUNT": "1",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "RATELIMIT_STORAGE_URI": redis_url,
            **env,
        }
        environment.pop("TEST_DATABASE_URL", None)
        handle = log.open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT, env=environment, stdout=handle, stderr=subprocess.STDOUT,
        )
        server = Server(f"http://127.0.0.1:{port}", process, log, handle)
        servers.append(server)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                handle.close()
                pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(server.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return server
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        pytest.fail(f"gunicorn did not answer within 60 s:\n{log.read_text(errors='replace')}")

    yield start
    for server in servers:
        server.stop()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A cookie-keeping HTTP client that does not follow redirects (it reports them)."""

    def __init__(self, base: str, address: str):
        self.base = base
        self.address = address  # sent as X-Forwarded-For: a client of its own
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
        )

    def request(self, method: str, path: str, data: list[tuple[str, str]] | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(
            self.base + path, data=body, method=method,
            headers={"X-Forwarded-For": self.address, "Accept-Language": "ja"},
        )
        try:
            with self.opener.open(req, timeout=60) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode(errors="replace")

    @staticmethod
    def hidden(html: str, name: str) -> str:
        found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
            rf'value="([^"]*)"[^>]*name="{name}"', html
        )
        assert found, f"no hidden field {name!r} in the page"
        return found.group(1)
