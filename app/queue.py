"""The task queue that mails notices and runs the periodic jobs: Huey.

Huey gives the split this app needs with one API: an embedded SQLite store in
``instance/queue.sqlite3`` for one machine (`make run` starts its worker beside the web
server) and Redis for production (``QUEUE_URL=redis://...``; the worker runs as its own
systemd unit, deploy/evangelist-network-worker.service). The queue holds only notice ids;
the notice rows in the database are the source of truth, so a lost queue entry is found
again by the periodic sweep.

The worker: ``huey_consumer app.queue.huey -k thread -w 2`` (`make worker`). Periodic
schedules are in UTC (Huey's clock): 23:00 UTC is 08:00 in Japan.

``QUEUE_URL``: ``redis://host:6379/0`` (Redis), ``sqlite:///path`` (a SQLite file), or
``memory:`` (in-process, for tests and benchmarks, drained with :func:`run_due`). Unset:
the SQLite file in ``instance/``.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import Path

from flask import has_app_context
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab

from config import Config

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
NAME = "evangelist-network"


def make_huey(url: str | None = None):
    """The Huey instance for ``url`` (see the module's docstring)."""
    url = (url if url is not None else os.environ.get("QUEUE_URL", "")).strip()
    # No task's return value is ever read: storing each one (Huey's default) would grow
    # the queue's store by one entry per mail, for ever (a Redis hash, a SQLite table).
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(NAME, url=url, results=False)
    if url == "memory:":
        return MemoryHuey(NAME, results=False)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
    elif url:
        raise RuntimeError(
            f"QUEUE_URL={url!r} is not understood: use redis://host:port/db, "
            "sqlite:///path/to/queue.sqlite3 or memory:"
        )
    else:
        path = ROOT / "instance" / "queue.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(NAME, filename=str(path), results=False)


huey = make_huey()

_worker_app = None


@contextlib.contextmanager
def app_context() -> Iterator[None]:
    """The Flask app's context for a task: the caller's when there is one (tests, the
    synchronous drain), else one app built once per worker process from APP_CONFIG."""
    global _worker_app
    if has_app_context():
        yield
        return
    if _worker_app is None:
        from app import create_app

        _worker_app = create_app(os.environ.get("APP_CONFIG", "production"))
    with _worker_app.app_context():
        from app.extensions import db

        try:
            yield
        finally:
            db.session.remove()


# --- Tasks ----------------------------------------------------------------------------------

@huey.task()
def deliver_notice(notice_id: int) -> str:
    from app.services import notices

    with app_context():
        outcome = notices.deliver(notice_id)
    if outcome.state == "retry":
        deliver_notice.schedule((notice_id,), delay=outcome.delay.total_seconds())
    return outcome.state


@huey.task()
def fan_out(notice_ids: list[int]) -> int:
    """A delivery task per notice (see queue_deliveries)."""
    for notice_id in notice_ids:
        deliver_notice(notice_id)
    return len(notice_ids)


@huey.periodic_task(crontab(minute="*"))
def sweep_notices() -> int:
    """Queue the notices the queue may have lost (see notices.sweep)."""
    from app.services import notices

    with app_context():
        ids = notices.sweep()
    queue_deliveries(ids)
    return len(ids)


@huey.periodic_task(crontab(minute="0", hour="23"))
def send_digests() -> int:
    """08:00 in Japan: each person's daily digest of the notices they chose to get so."""
    from app.services import notices

    with app_context():
        return notices.write_digests()


# --- exports prepared in the background (helper: exports) ------------------------------------

@huey.task()
def build_export(job_id: int) -> str:
    """Write an export job's file (see export_jobs.build)."""
    from app.data.columns import readable
    from app.services import export_jobs

    with app_context():
        return export_jobs.build(job_id, readable)


@huey.periodic_task(crontab(minute="*/10"))
def sweep_exports() -> int:
    """Remove expired export files, queue again the jobs the queue lost (export_jobs.sweep)."""
    from app.services import export_jobs

    with app_context():
        ids = export_jobs.sweep()
    for job_id in ids:
        queue_export(job_id)
    return len(ids)


# --- periodic reminders (helper: reminders) -----------------------------------------------

def japan_time_as_utc(hh_mm: str) -> tuple[int, int]:
    """``(hour, minute)`` in UTC of the Japanese clock time ``"HH:MM"`` (Japan keeps
    UTC+9 all year: 08:30 is 23:30 UTC, the day before). Raises ValueError naming it."""
    try:
        hour, minute = (int(part) for part in hh_mm.strip().split(":"))
        if not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValueError
    except ValueError:
        raise ValueError(f"MORNING_SUMMARY_AT={hh_mm!r} is not a time of day such as 08:30") from None
    return (hour - 9) % 24, minute


_SUMMARY_HOUR, _SUMMARY_MINUTE = japan_time_as_utc(Config.MORNING_SUMMARY_AT)


@huey.periodic_task(crontab(minute="*/15"))
def send_reminders() -> dict[str, int]:
    """Write the reminders and escalations that came due (see reminders.run_reminders);
    their mails follow through deliver_notice."""
    from app.services import reminders

    with app_context():
        return reminders.run_reminders()


@huey.periodic_task(crontab(minute=str(_SUMMARY_MINUTE), hour=str(_SUMMARY_HOUR)))
def send_morning_summary() -> int:
    """MORNING_SUMMARY_AT in Japan: each coordinator's summary, on working days only
    (reminders.morning_summary checks Japan's date, which is a day ahead of UTC's then)."""
    from app.services import reminders

    with app_context():
        return reminders.morning_summary()



# --- the idea box's unconfirmed sign-ups (helper: ideas-participants) ------------------------

@huey.periodic_task(crontab(minute="40", hour="18"))
def sweep_unverified_participants() -> int:
    """03:40 in Japan: delete idea box sign-ups never confirmed within IDEAS_UNVERIFIED_DAYS
    (idea_accounts.remove_unverified; also `flask ideas remove-unverified`)."""
    from app.services import idea_accounts

    with app_context():
        return idea_accounts.remove_unverified()


# --- applications to become an evangelist never confirmed (helper: apply) ----------------------

@huey.periodic_task(crontab(minute="45", hour="18"))
def sweep_expired_applications() -> int:
    """03:45 in Japan: delete the applications whose confirmation link expired unused
    (applications.remove_expired; also `flask apply remove-expired`)."""
    from app.services import applications

    with app_context():
        return applications.remove_expired()


# --- community registrations never confirmed (security review of issue 22.5) ---------------------

@huey.periodic_task(crontab(minute="50", hour="18"))
def sweep_expired_registrations() -> int:
    """03:50 in Japan: delete the community registrations whose confirmation link expired
    unused (community_registrations.remove_expired; also `flask directory remove-expired`)."""
    from app.services import community_registrations

    with app_context():
        return community_registrations.remove_expired()


# --- Helpers ------------------------------------------------------------------------------------

def queue_deliveries(ids: Iterable[int]) -> None:
    """Queue the deliveries of notice ``ids``: one task for one notice; for several, one
    task that queues a delivery per notice in the worker, so a change that tells a hundred
    people writes to the queue once, not a hundred times, while the web request waits (on
    the SQLite queue each write is a synced commit, about 4 ms). A queue that cannot be
    reached is logged, not raised: the change is committed and the sweep will queue the
    notices later."""
    ids = list(ids)
    if not ids:
        return
    try:
        if len(ids) == 1:
            deliver_notice(ids[0])
        else:
            fan_out(ids)
    except Exception as error:  # noqa: BLE001 - Redis or the SQLite file unavailable
        log.warning("could not queue notices %s (%s); the sweep will queue them", ids, error)


def queue_export(job_id: int) -> None:
    """Queue the building of export job ``job_id``. A queue that cannot be reached is
    logged, not raised: the job is committed and the sweep queues it again."""
    try:
        build_export(job_id)
    except Exception as error:  # noqa: BLE001 - Redis or the SQLite file unavailable
        log.warning("could not queue export job %s (%s); the sweep will queue it", job_id, error)


def run_due(*, ahead: timedelta = timedelta(0), limit: int = 100_000) -> int:
    """Run, in this process, every queued task and every scheduled one due within
    ``ahead`` of now (retries included, as they come due), until none is left. For tests,
    benchmarks and `flask notices drain`; the worker does this in production. Returns how
    many tasks ran."""
    ran = 0
    while ran < limit:
        horizon = huey._get_timestamp() + ahead  # Huey's own clock: naive UTC
        for task in huey.read_schedule(horizon):
            huey.enqueue(task)
        task = huey.dequeue()
        if task is None:
            if not huey.scheduled_count() or not any(
                t.eta is None or t.eta <= horizon for t in huey.scheduled()
            ):
                return ran
            continue
        huey.execute(task, timestamp=horizon)
        ran += 1
    return ran


def forget_everything() -> None:
    """Empty the queue and its schedule (tests)."""
    huey.flush()
