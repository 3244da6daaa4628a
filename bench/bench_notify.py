"""Figures for notices: 10,000 notices written and queued, then mailed by a real Huey
consumer (1 and 4 worker threads) to a loopback SMTP server, on the SQLite queue and on
the Redis queue.

The app runs on a throw-away SQLite database (or ``BENCH_DATABASE_URL``), migrated; the
notices are "new request" notices (request_new) for 100 coordinators on 100 requests,
written through ``notify()`` and committed a request at a time, as the app does. The
SMTP server (aiosmtpd, discarding what it receives) runs in a process of its own so it
does not share this one's interpreter. Each mail opens its own SMTP connection, as the
worker does. Redis is 127.0.0.1:6379 database 15 (``BENCH_REDIS_URL``); when it cannot be
reached the Redis rows are skipped with a word on how to start one.

Usage: ``.venv/bin/python bench/bench_notify.py`` (``BENCH_NOTICES=1000`` for a quick run).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TMP = tempfile.TemporaryDirectory()
# The queue module builds its Huey when first imported: on a scratch file, never instance/.
os.environ["QUEUE_URL"] = f"sqlite:///{TMP.name}/import.sqlite3"

import flask_migrate  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from app import create_app, queue  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Notice, SupportRequest  # noqa: E402
from app.services.notices import notify  # noqa: E402
from tests.factories import make_municipality, make_request, make_user  # noqa: E402

NOTICES = int(os.environ.get("BENCH_NOTICES", "10000"))
COORDINATORS = 100
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
THREADS = (1, 4)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_smtp() -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, port
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the loopback SMTP server (aiosmtpd) did not start")


def redis_reachable() -> str | None:
    """None if Redis answers, else why not."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        return None
    except redis.RedisError as error:
        return f"{type(error).__name__}: {error}"


def write_notices(coordinators, requests) -> None:
    """NOTICES rows through notify(), one commit per request (each commit queues its own)."""
    per_request = len(coordinators)
    for request in requests[: NOTICES // per_request]:
        notify("request_new", users=coordinators, request=request, params={"town": "梼原町", "prefecture": "高知県"})
        db.session.commit()


def sent() -> int:
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Notice).where(Notice.mail == "sent"))
    db.session.rollback()
    return count


def run(storage_name: str, queue_url: str, threads: int, coordinators, requests) -> tuple[float, float]:
    """(seconds to write and queue, seconds for the consumer to mail them all)."""
    db.session.execute(sa.delete(Notice))
    db.session.commit()
    queue.huey.storage = queue.make_huey(queue_url).storage
    queue.huey.flush()

    start = time.perf_counter()
    write_notices(coordinators, requests)
    queued = time.perf_counter() - start
    # One hand-over task per commit (it queues a delivery per notice in the worker).
    commits = NOTICES // len(coordinators)
    assert queue.huey.pending_count() == commits, queue.huey.pending_count()

    consumer = queue.huey.create_consumer(workers=threads, worker_type="thread", periodic=False,
                                          initial_delay=0.01, max_delay=0.1)
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    start = time.perf_counter()
    consumer.start()  # the workers and the scheduler in threads of this process
    try:
        while sent() < NOTICES:
            time.sleep(0.2)
        drained = time.perf_counter() - start
    finally:
        consumer.stop(graceful=True)
        for signum, handler in handlers.items():  # the consumer's own, set by start()
            signal.signal(signum, handler)
    failed = db.session.scalar(sa.select(sa.func.count()).select_from(Notice).where(Notice.mail != "sent"))
    assert failed == 0, f"{failed} notices not sent"
    queue.huey.flush()
    return queued, drained


def main() -> None:
    logging.getLogger("huey").setLevel(logging.WARNING)
    smtp, port = start_smtp()
    try:
        url = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{TMP.name}/bench.db")
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, MAIL_SERVER="127.0.0.1", MAIL_PORT=port,
                         PUBLIC_BASE_URL="http://evangelists.example.jp")
        # The consumer's worker threads run tasks in this app (app.queue.app_context).
        queue._worker_app = app
        with app.app_context():
            flask_migrate.upgrade()
            coordinators = [make_user(role="coordinator", email=f"coord{n}@example.jp") for n in range(COORDINATORS)]
            town = make_municipality(name="梼原町")
            requests = [make_request(municipality=town) for _ in range(NOTICES // COORDINATORS)]
            db.session.commit()
            print(f"{NOTICES:,} notices (request_new, {COORDINATORS} coordinators x "
                  f"{db.session.scalar(sa.select(sa.func.count()).select_from(SupportRequest))} requests), "
                  f"database {db.engine.dialect.name}, SMTP aiosmtpd on loopback (another process), "
                  "one SMTP connection per mail")
            storages = [("SQLite", f"sqlite:///{TMP.name}/queue.sqlite3")]
            why_not = redis_reachable()
            if why_not is None:
                storages.append(("Redis", REDIS_URL))
            print(f"{'queue':<7} {'threads':>7} {'write+queue':>12} {'drain':>9} {'mails/s':>9} {'total':>9}")
            for name, queue_url in storages:
                for threads in THREADS:
                    queued, drained = run(name, queue_url, threads, coordinators, requests)
                    print(f"{name:<7} {threads:>7} {queued:>10.1f} s {drained:>7.1f} s "
                          f"{NOTICES / drained:>9,.0f} {queued + drained:>7.1f} s")
            if why_not is not None:
                print(f"Redis: skipped, nothing answers at {REDIS_URL.rsplit('/', 1)[0]} ({why_not}). Start one with:"
                      " redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save \"\"")
            db.engine.dispose()
    finally:
        smtp.terminate()
        smtp.wait(10)
        TMP.cleanup()


if __name__ == "__main__":
    main()
