"""Notices under faults (issue 18, Acceptance "Faults"), on SQLite and on PostgreSQL:

- the mail server is down for the whole test: the site keeps working, the notices are
  tried again with back-off and end failed, and an admin's retry once the mail server is
  back delivers each exactly once;
- the worker dies between the commit and the send: a new worker (a real `huey_consumer`
  process on a real SQLite file queue) delivers the notice, once; also when the enqueue
  itself was lost (the sweep finds the row again, frozen clock);
- a change that is rolled back leaves no notice and sends no mail.

Mail goes to a real SMTP server on loopback (tests/mailbox.py); "once" is counted per
Message-ID, the idempotency key every try of a notice carries.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import queue
from app.models import Notice, SupportRequest
from app.services import notices
from app.services import requests as requests_service
from app.services.requests import Submission
from app.services.topics import sync_topics
from tests.factories import make_municipality, make_prefecture, make_user

ROOT = Path(__file__).resolve().parents[2]
CONSUMER = Path(sys.executable).with_name("huey_consumer")


@pytest.fixture
def town(db):
    sync_topics()
    town = make_municipality(code="013030", name="当別町", prefecture=make_prefecture())
    db.session.commit()
    return town


def form(**overrides) -> dict:
    data = {"prefecture": "01", "municipality": "013030", "contact_name": "山田 花子", "department": "企画課",
            "email": "yamada@town.example.lg.jp", "topics": ["open_data_publication"], "mode": "either",
            "nonce": "nonce-1"}
    data.update(overrides)
    return data


def submission(town, **overrides) -> Submission:
    fields = dict(municipality_code=town.code, contact_name="山田 花子", department="企画課",
                  email="town@example.jp", phone=None, topics=(), mode="either", period="", message="",
                  nonce="nonce-1")
    fields.update(overrides)
    return Submission(**fields)


def rows(db) -> list[Notice]:
    db.session.expire_all()
    found = db.session.scalars(sa.select(Notice).order_by(Notice.id)).all()
    db.session.rollback()  # end the read: another process may write next
    return found


def mails_per_message_id(mailbox) -> Counter:
    return Counter(message["Message-ID"] for message in mailbox.messages)


# --- (a) The mail server is down for the whole test ------------------------------------------

def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


@pytest.mark.parametrize("outage", ["refusing", "unreachable"])
def test_smtp_down_the_site_works_notices_end_failed_and_an_admin_retry_delivers_each_once(
        app, db, client, town, mailbox, deliver, outage):
    app.config.update(NOTICE_MAX_ATTEMPTS=3, NOTICE_RETRY_DELAY=60, NOTICE_RETRY_MAX_DELAY=3600)
    admin = make_user(role="admin", email="admin@example.jp")
    make_user(role="coordinator", email="coord1@example.jp")
    make_user(role="coordinator", email="coord2@example.jp")
    db.session.commit()
    if outage == "refusing":  # the server answers every message with 451
        mailbox.failing = True
    else:  # nothing listens: the connection is refused
        app.config["MAIL_PORT"] = closed_port()

    response = client.post("/request", data=form())
    assert response.status_code == 302 and response.headers["Location"] == "/request/sent"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportRequest)) == 1
    assert client.get("/request/sent").status_code == 200
    deliver()
    assert {(n.mail, n.attempts) for n in rows(db)} == {("pending", 1)}
    # Still down: the site goes on taking requests while the first ones wait for a retry.
    second = client.post("/request", data=form(email="other@town.example.lg.jp", nonce="nonce-2"))
    assert second.status_code == 200 and "当別町" in second.get_data(as_text=True)  # asks: add or new?
    third = client.post("/request", data=form(email="other@town.example.lg.jp", nonce="nonce-2", duplicate="new"))
    assert third.status_code == 302

    deliver(ahead=timedelta(hours=1))  # every retry, as they come due
    failed = rows(db)
    assert len(failed) == 6  # two requests: a receipt and two coordinators each
    assert {(n.mail, n.attempts) for n in failed} == {("failed", 3)}
    assert all(("451" if outage == "refusing" else "ConnectionRefusedError") in n.last_error for n in failed)
    assert mailbox.messages == []
    assert {n.id for n in notices.failed_page(page=1).items} == {n.id for n in failed}

    mailbox.failing = False
    app.config["MAIL_PORT"] = mailbox.port
    notices.retry(admin, [n.id for n in failed])
    deliver()
    deliver(ahead=timedelta(days=1))  # nothing left to run: no second copy later
    assert {n.mail for n in rows(db)} == {"sent"}
    counts = mails_per_message_id(mailbox)
    assert set(counts) == {n.message_id for n in failed}
    assert set(counts.values()) == {1}
    assert len(mailbox.to("coord1@example.jp")) == 2 and len(mailbox.to("yamada@town.example.lg.jp")) == 1


# --- (b) The worker dies between the commit and the send --------------------------------------

@pytest.fixture
def file_queue(tmp_path, monkeypatch):
    """The app's queue on a real SQLite file (app.queue.make_huey), as `make run` has it:
    what the web process queues is written to the file, where another process finds it."""
    url = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    monkeypatch.setattr(queue.huey, "storage", queue.make_huey(url).storage)
    return url


class Consumers:
    """Real worker processes (`huey_consumer app.queue.huey`), reading the test's database."""

    def __init__(self, app, tmp_path: Path, queue_url: str):
        self.app, self.tmp_path, self.queue_url = app, tmp_path, queue_url
        self.running: list[tuple[subprocess.Popen, object]] = []

    def start(self, mail_port: int, **env: str) -> subprocess.Popen:
        log = (self.tmp_path / f"consumer-{len(self.running)}.log").open("wb")
        environment = {
            **os.environ,
            "APP_CONFIG": "development",
            "SECRET_KEY": "notice-fault-tests-secret-key-0123456789",
            "DATABASE_URL": self.app.config["SQLALCHEMY_DATABASE_URI"],
            "QUEUE_URL": self.queue_url,
            "PUBLIC_BASE_URL": self.app.config["PUBLIC_BASE_URL"],
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(mail_port),
            **env,
        }
        environment.pop("TEST_DATABASE_URL", None)
        process = subprocess.Popen([str(CONSUMER), "app.queue.huey", "-k", "thread", "-w", "2"],
                                   cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
        self.running.append((process, log))
        return process

    def log(self, number: int) -> str:
        return (self.tmp_path / f"consumer-{number}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for process, log in self.running:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)  # graceful: running tasks finish
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            log.close()


@pytest.fixture
def consumers(app, tmp_path, file_queue):
    started = Consumers(app, tmp_path, file_queue)
    yield started
    started.stop_all()  # before the app fixture empties the tables


def wait_for(check, what: str, seconds: float = 60, logs=lambda: ""):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    pytest.fail(f"{what} did not happen within {seconds} s\n{logs()}")


def test_a_committed_notice_left_in_the_queue_file_by_a_dead_worker_is_delivered_once_by_a_new_one(
        app, db, town, mailbox, consumers):
    make_user(role="coordinator", email="coord@example.jp")
    db.session.commit()
    requests_service.submit_request(submission(town), address=None)
    # Committed and queued to the file; the worker that would have sent it is gone.
    assert queue.huey.pending_count() == 1  # one hand-over task for both notices
    assert {n.mail for n in rows(db)} == {"pending"}

    consumers.start(mailbox.port)  # the worker restarts
    wait_for(lambda: {n.mail for n in rows(db)} == {"sent"}, "delivery by the new worker",
             logs=lambda: consumers.log(0))
    consumers.stop_all()
    assert set(mails_per_message_id(mailbox).values()) == {1}
    assert set(mails_per_message_id(mailbox)) == {n.message_id for n in rows(db)}
    assert queue.huey.pending_count() == 0
    # The worker keeps no task results: the queue's store does not grow with each mail.
    assert queue.make_huey(consumers.queue_url).result_count() == 0


class SilentServer:
    """Accepts connections and never says a word: the worker hangs in the middle of its
    SMTP conversation (it has claimed the notice, the mail is not sent)."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]

    def close(self):
        self.listener.close()


def test_a_worker_killed_after_claiming_a_notice_leaves_it_to_the_next_worker_which_sends_it_once(
        app, db, town, mailbox, consumers):
    make_user(role="coordinator", email="coord@example.jp")
    db.session.commit()
    silent = SilentServer()
    try:
        first = consumers.start(silent.port, MAIL_TIMEOUT="120")
        requests_service.submit_request(submission(town), address=None)
        wait_for(lambda: any(n.mail == "sending" for n in rows(db)), "the first worker claiming a notice",
                 logs=lambda: consumers.log(0))
        first.send_signal(signal.SIGKILL)  # killed mid-send: no chance to mark anything
        first.wait(10)
    finally:
        silent.close()
    assert mailbox.messages == []
    claimed = [n for n in rows(db) if n.mail == "sending"]
    assert claimed  # the row says a worker had it

    # The next worker's sweep (at its start, then each minute) finds the claimed rows once
    # NOTICE_SWEEP_AFTER has passed, and the queued ones are still in the file.
    time.sleep(1.2)
    consumers.start(mailbox.port, NOTICE_SWEEP_AFTER="1")
    wait_for(lambda: {n.mail for n in rows(db)} == {"sent"}, "delivery after the restart",
             logs=lambda: consumers.log(1))
    consumers.stop_all()
    counts = mails_per_message_id(mailbox)
    assert set(counts) == {n.message_id for n in rows(db)} and set(counts.values()) == {1}
    assert {n.message_id for n in claimed} <= set(counts)


def test_a_lost_enqueue_is_found_by_the_sweep_after_notice_sweep_after(app, db, town, mailbox, deliver,
                                                                        file_queue, monkeypatch, caplog):
    make_user(role="coordinator", email="coord@example.jp")
    db.session.commit()
    working = queue.huey.storage
    # The queue cannot be reached at the commit (Redis down): the change is kept anyway.
    monkeypatch.setattr(queue.huey, "storage", queue.make_huey("redis://127.0.0.1:9/0").storage)
    submitted = requests_service.submit_request(submission(town), address=None)
    assert db.session.get(SupportRequest, submitted.request.id) is not None
    assert "the sweep will queue them" in caplog.text
    monkeypatch.setattr(queue.huey, "storage", working)
    assert queue.huey.pending_count() == 0 and deliver() == 0
    assert {n.mail for n in rows(db)} == {"pending"}

    grace = app.config["NOTICE_SWEEP_AFTER"]
    written = rows(db)[0].created_at
    monkeypatch.setattr(notices, "utcnow", lambda: written + timedelta(seconds=grace - 5))
    assert queue.sweep_notices.call_local() == 0  # too young: the queue may still have them
    monkeypatch.setattr(notices, "utcnow", lambda: written + timedelta(seconds=grace + 5))
    assert queue.sweep_notices.call_local() == 2
    assert queue.huey.pending_count() == 1  # one hand-over task for both
    deliver()
    assert queue.sweep_notices.call_local() == 0  # sent: never queued again
    counts = mails_per_message_id(mailbox)
    assert set(counts) == {n.message_id for n in rows(db)} and set(counts.values()) == {1}


# --- (c) A rolled-back change -----------------------------------------------------------------

class Crash(RuntimeError):
    """The database refuses the commit (or the process dies in it)."""


def test_a_rolled_back_change_leaves_no_notice_and_sends_no_mail(app, db, town, mailbox, deliver):
    make_user(role="coordinator", email="coord@example.jp")
    db.session.commit()

    def refuse(_session):
        raise Crash("commit refused")

    sa.event.listen(db.session, "before_commit", refuse)
    try:
        with pytest.raises(Crash):
            requests_service.submit_request(submission(town), address=None)
    finally:
        sa.event.remove(db.session, "before_commit", refuse)
    db.session.rollback()
    assert rows(db) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportRequest)) == 0
    assert queue.huey.pending_count() == 0 and deliver(ahead=timedelta(days=1)) == 0
    assert mailbox.messages == []

    # The next change that does commit queues its own notices only, each sent once.
    requests_service.submit_request(submission(town, nonce="nonce-2"), address=None)
    deliver()
    counts = mails_per_message_id(mailbox)
    assert set(counts) == {n.message_id for n in rows(db)} and set(counts.values()) == {1}
    assert len(counts) == 2  # a receipt and the coordinator's notice
