"""PostgreSQL goes away: the app answers 503 with a clear page (JSON under /api and for
/healthz), and once the database is back it works again by itself, with no restart.

The app reaches PostgreSQL through a small TCP relay that the test can cut, as a server
restart or a network failure would: open connections die and new ones are refused.
"""

from __future__ import annotations

import socket
import threading

import flask_migrate
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db as _db
from app.services.geography import load_gazetteer


class Relay:
    """Listens on a local port and relays each connection to ``target``."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = None
        self.listener = None
        self.connections: list[socket.socket] = []
        self.lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port or 0))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        """The database is gone: refuse new connections and break the open ones."""
        try:  # closing alone does not wake a thread blocked in accept() on Linux
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            for s in self.connections:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self.connections.clear()


@pytest.fixture
def relayed_app(postgres_scratch):
    url = make_url(postgres_scratch)
    setup = create_app("testing", SQLALCHEMY_DATABASE_URI=postgres_scratch)
    with setup.app_context():
        flask_migrate.upgrade()
        load_gazetteer()
        _db.session.commit()
        _db.engine.dispose()
    relay = Relay((url.host or "127.0.0.1", url.port or 5432))
    relay.start()
    relayed = url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=relayed,
                     SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "connect_args": {"connect_timeout": 3}})
    yield app, relay
    relay.cut()
    with app.app_context():
        _db.engine.dispose()


def test_the_app_answers_503_while_postgresql_is_away_and_recovers_by_itself(relayed_app):
    app, relay = relayed_app
    client = app.test_client()

    # Up: the pool holds a live connection.
    assert client.get("/municipalities").status_code == 200
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}

    relay.cut()

    japanese = client.get("/municipalities")
    assert japanese.status_code == 503
    assert "一時的に利用できません" in japanese.get_data(as_text=True)

    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    page = client.get("/municipalities")
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "30"
    text = page.get_data(as_text=True)
    assert "Temporarily unavailable" in text
    assert "cannot reach its database" in text
    assert page.headers["X-Request-ID"] in text  # the reference to quote
    for leak in ("psycopg", "OperationalError", "Traceback", "5432", "SELECT"):
        assert leak not in text

    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json() == {"status": "error", "database": "unreachable"}
    api = client.get("/api/v1/municipalities")
    assert api.status_code == 503
    assert api.get_json()["error"] == "Service Unavailable"
    assert "psycopg" not in api.get_data(as_text=True)

    # A town hall sending the form meanwhile is told so, and nothing half-saved remains.
    sent = client.post("/request", data={"prefecture": "01", "municipality": "011002"})
    assert sent.status_code == 503

    relay.start()  # back, on the same address

    assert client.get("/municipalities").status_code == 200
    assert client.get("/healthz").get_json()["database"] == "ok"
    with app.app_context():
        assert _db.session.scalar(sa.select(sa.func.count()).select_from(sa.table("support_requests"))) == 0
