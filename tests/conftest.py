"""Shared fixtures.

The suite runs on SQLite by default and on PostgreSQL when ``TEST_DATABASE_URL`` names
one (``postgresql+psycopg://postgres@127.0.0.1:5432/test``): a fresh database is then
created next to it for the session and dropped at the end, so the named one is never
touched. The schema is built once per session by the real migrations; after each test
every table is emptied, so each test starts from an empty schema.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

# The task queue in this process (app/queue.py reads it when first imported): tests run
# what it holds with app.queue.run_due(), in the test's own app context.
os.environ["QUEUE_URL"] = "memory:"

import flask_migrate  # noqa: E402
import jinja2  # noqa: E402
import jinja2.bccache  # noqa: E402
import pytest  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from flask import g  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db as _db  # noqa: E402
from app.queue import forget_everything, run_due  # noqa: E402
from app.services.geography import load_gazetteer  # noqa: E402
from tests.mailbox import Mailbox  # noqa: E402

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def backend_name() -> str:
    return make_url(TEST_DATABASE_URL).get_backend_name() if TEST_DATABASE_URL else "sqlite"


def pytest_report_header(config) -> str:
    return f"database backend: {backend_name()}"


def create_scratch_database(base_url: str) -> str:
    """Create an empty PostgreSQL database beside ``base_url``; return its URL."""
    url = make_url(base_url)
    name = f"evn_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_scratch_database(base_url: str, scratch_url: str) -> None:
    name = make_url(scratch_url).database
    admin = sa.create_engine(make_url(base_url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# Some tests need a PostgreSQL server whatever backend the suite runs on (moving data
# between databases, PostgreSQL going away). CI sets REQUIRE_POSTGRES=1, so there a
# missing server fails those tests instead of skipping them.
POSTGRES_BASE = TEST_DATABASE_URL if backend_name() == "postgresql" else os.environ.get(
    "EXTRA_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_reachable() -> bool:
    try:
        engine = sa.create_engine(POSTGRES_BASE, poolclass=NullPool, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except sa.exc.OperationalError:
        return False


@pytest.fixture
def postgres_scratch() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database (not migrated), dropped afterwards."""
    if not _postgres_reachable():
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required (REQUIRE_POSTGRES=1) and not reachable at {POSTGRES_BASE}")
        pytest.skip(f"no PostgreSQL at {POSTGRES_BASE}")
    url = create_scratch_database(POSTGRES_BASE)
    yield url
    drop_scratch_database(POSTGRES_BASE, url)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    if TEST_DATABASE_URL:
        url = create_scratch_database(TEST_DATABASE_URL)
        yield url
        drop_scratch_database(TEST_DATABASE_URL, url)
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def _migrated(database_url) -> str:
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        flask_migrate.upgrade()
        _db.engine.dispose()
    return database_url


def _empty_all_tables() -> None:
    """Every table emptied, children first, and on PostgreSQL every sequence a test used
    restarted, so ids start at 1 again. DELETE, not TRUNCATE: on these few rows it takes
    about 5 ms where TRUNCATE ... RESTART IDENTITY takes about 150 ms (it makes new files
    for every table), which was a fifth of the PostgreSQL suite."""
    quote = _db.engine.dialect.identifier_preparer.quote
    for table in reversed(_db.metadata.sorted_tables):
        _db.session.execute(sa.text(f"DELETE FROM {quote(table.name)}"))
    if _db.engine.dialect.name == "postgresql":
        used = _db.session.scalars(sa.text(
            "SELECT sequencename FROM pg_sequences"
            " WHERE schemaname = current_schema() AND last_value IS NOT NULL"
        )).all()
        for name in used:
            _db.session.execute(sa.text(f"ALTER SEQUENCE {quote(name)} RESTART"))
    _db.session.commit()


class _SharedTemplateBytecode(jinja2.BytecodeCache):
    """Compiled templates kept across the tests' apps. Each test builds its own app, and
    with it a new Jinja environment that would compile every template it renders again
    (about 50 ms for a page and its partials); Jinja checks each entry against the
    template's source, so an edited template is compiled afresh."""

    def __init__(self) -> None:
        self._codes: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._codes.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._codes[bucket.key] = bucket.bytecode_to_string()


_TEMPLATE_BYTECODE = _SharedTemplateBytecode()


@pytest.fixture
def app(_migrated):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=_migrated)
    app.jinja_env.bytecode_cache = _TEMPLATE_BYTECODE

    # The test holds one app context, so requests share the test's session. Rolling back
    # after each request drops what a request added without committing, as ending its own
    # session would in production: a service that forgets to commit fails its test.
    @app.teardown_request
    def _end_request_as_in_production(_exc):
        _db.session.rollback()
        # ``g`` belongs to the app context, which the test holds open: clear what a
        # request cached there (the signed-in user, the locale) so the next request,
        # perhaps from another client, starts clean as it would in production.
        for name in list(vars(g)):
            delattr(g, name)

    forget_everything()
    with app.app_context():
        yield app
        forget_everything()
        _db.session.rollback()
        _empty_all_tables()
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def gazetteer(db):
    """The full national gazetteer (47 prefectures, 1,741 municipalities), loaded."""
    load_gazetteer()


@pytest.fixture
def english(client, app):
    """Make ``client`` ask for English, as the language switch does."""
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    return client


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, *args):
        self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(db):
    """``with count_queries() as q: ...`` then ``q.count``: SQL statements issued inside."""

    @contextmanager
    def counting():
        counter = QueryCounter()
        sa.event.listen(db.engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", counter)

    return counting


PASSWORD = "a long and quiet morning walk"


def totp_code(user) -> str:
    """The code ``user``'s authenticator app shows now (their stored secret, decrypted)."""
    import pyotp

    from app.secrets_at_rest import decrypt_totp_secret

    return pyotp.TOTP(decrypt_totp_secret(user.totp_secret_token)).now()


def sign_in(client, user, password: str = PASSWORD):
    """Sign ``client`` in as ``user`` through the real forms (second factor included)."""
    response = client.post("/auth/login", data={"email": user.email, "password": password})
    if response.headers.get("Location", "").endswith("/auth/two-factor"):
        response = client.post("/auth/two-factor", data={"code": totp_code(user)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def make_account(db):
    """``make_account(role, **overrides)``: a user with PASSWORD (and, for staff, a second
    factor), committed. ``totp_secret=`` gives the secret in the clear (None: no second
    factor); it is stored encrypted, as the app stores it."""
    import pyotp

    from app.secrets_at_rest import encrypt_totp_secret
    from app.services.accounts import hash_password
    from tests.factories import make_user

    hashed = hash_password(PASSWORD)

    def make(role: str = "evangelist", **overrides):
        fields = {"role": role, "password_hash": hashed}
        secret = overrides.pop("totp_secret", pyotp.random_base32() if role in ("admin", "coordinator") else None)
        fields["totp_secret_token"] = None if secret is None else encrypt_totp_secret(secret)
        fields.update(overrides)
        user = make_user(**fields)
        db.session.commit()
        return user

    return make


@pytest.fixture
def signed_in_client(app, make_account):
    """``signed_in_client(role)`` -> (client, user): a fresh client signed in with that role."""

    def make(role: str, **overrides):
        user = make_account(role, **overrides)
        client = app.test_client()
        sign_in(client, user)
        return client, user

    return make


@pytest.fixture
def coordinator_client(signed_in_client):
    return signed_in_client("coordinator")[0]


@pytest.fixture
def evangelist_client(signed_in_client):
    return signed_in_client("evangelist")[0]


@pytest.fixture
def admin_client(signed_in_client):
    return signed_in_client("admin")[0]


@pytest.fixture(scope="session")
def _smtp_server() -> Iterator[Mailbox]:
    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture
def mailbox(app, _smtp_server) -> Mailbox:
    """A real SMTP server on loopback that the app mails to, emptied for this test."""
    _smtp_server.clear()
    _smtp_server.failing = False
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_smtp_server.port, MAIL_USE_TLS=False,
                      MAIL_USERNAME=None)
    return _smtp_server


@pytest.fixture
def deliver(app):
    """``deliver()`` runs what the queue holds (and, with ``ahead=``, the retries due by
    then) in this process; returns how many tasks ran."""
    return run_due


@pytest.fixture
def clock(monkeypatch):
    """``clock(moment)`` stops the programme's clock at ``moment`` (aware) for this test:
    evangelists.calendar.utc_now, and the models' timestamps, which bound it at import."""
    import app.models.base as model_base
    from evangelists import calendar

    def set_to(moment):
        monkeypatch.setattr(calendar, "utc_now", lambda: moment)
        monkeypatch.setattr(model_base, "utc_now", lambda: moment)
        return moment

    return set_to
