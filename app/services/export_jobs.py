"""Exports prepared in the background: an export with more rows than EXPORT_BACKGROUND_ROWS
is not streamed while the coordinator waits (a slow client or a large table must never
hold a web worker until its timeout). The request makes an ``ExportJob`` and queues
``app.queue.build_export``; the worker writes the file (the same bytes the streamed
export would have sent) under the instance folder (``EXPORT_FOLDER``, by default
``instance/exports/``), named by the job's id; the coordinator downloads it from the
jobs page once it is ready, and gets a notice (``export_finished``) when it is ready or
has failed.

Only its owner (or an admin) may download a job's file. The periodic ``sweep`` removes
jobs and their files EXPORT_KEEP_DAYS after they were asked for, with any file left
without a job; queues again jobs the queue lost; and marks failed the jobs a worker
started and never finished (it was stopped).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import ExportJob, User
from app.models.base import utcnow
from app.services import exports
from app.services.notices import notify
from app.services.regions import scope_of
from evangelists.calendar import day_in_japan

log = logging.getLogger(__name__)

ACTIVE = ("queued", "running")
JOBS_SHOWN = 20  # the jobs page lists a person's newest jobs
# A queued job the worker has not started after this long was lost by the queue.
REQUEUE_AFTER = timedelta(minutes=10)
# A job running for this long belongs to a worker that was stopped.
STALE_AFTER = timedelta(hours=1)
_JOB_FILE = re.compile(r"(\d+)\.csv(?:\.part)?")  # only these are ever removed from the folder

# ``readable(dataset, style, locale)``: the ``header`` and ``present`` arguments of
# ``exports.export_csv`` for that format and language (``app.data.columns.readable``).
Readable = Callable[[str, str, str], dict]


def needs_background(dataset: str, args: Mapping[str, str], regions: frozenset[str] | None = None) -> int | None:
    """The export's row count when it is above EXPORT_BACKGROUND_ROWS (it must be prepared
    in the background), else None (stream it now). One COUNT; 0 turns the check off.
    Raises ``exports.BadFilter`` for a bad filter."""
    threshold = current_app.config.get("EXPORT_BACKGROUND_ROWS", 0)
    if not threshold:
        return None
    rows = exports.count_rows(dataset, args, regions)
    return rows if rows > threshold else None


def start_export(actor: User, dataset: str, args: Mapping[str, str], *, style: str, locale: str,
                 row_count: int) -> ExportJob:
    """A job preparing ``dataset`` with the filters ``args`` for ``actor``, queued. The same
    export asked for again while it is being prepared (a reload) is the same job."""
    # An empty filter means "any": left out, so the same export is recognised however it was linked.
    parameters = {name: value for name, value in args.items() if value and name not in exports.IGNORED_PARAMETERS}
    for job in db.session.scalars(
        sa.select(ExportJob).where(ExportJob.user_id == actor.id, ExportJob.status.in_(ACTIVE),
                                   ExportJob.dataset == dataset)
    ):
        if (job.parameters, job.style, job.locale) == (parameters, style, locale):
            return job
    job = ExportJob(user_id=actor.id, dataset=dataset, parameters=parameters, style=style, locale=locale,
                    row_count=row_count)
    db.session.add(job)
    db.session.commit()
    _queue(job.id)
    return job


def _queue(job_id: int) -> None:
    from app.queue import queue_export

    queue_export(job_id)


def build(job_id: int, readable: Readable) -> str:
    """Write job ``job_id``'s file (the worker's task): "ready", "failed", or "skipped"
    when the job is not queued (another worker took it, or it is gone)."""
    claimed = db.session.execute(
        sa.update(ExportJob).where(ExportJob.id == job_id, ExportJob.status == "queued")
        .values(status="running", started_at=utcnow())
    ).rowcount
    db.session.commit()
    if not claimed:
        return "skipped"
    job = db.session.get(ExportJob, job_id)
    final = file_path(job)
    part = final.with_name(final.name + ".part")
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        # The rows the person who asked may see now (a regional coordinator's regions).
        chunks = exports.export_csv(job.dataset, job.parameters, regions=scope_of(job.user).regions,
                                    **readable(job.dataset, job.style, job.locale))
        with part.open("w", encoding="utf-8", newline="") as out:
            for chunk in chunks:
                out.write(chunk)
        part.replace(final)
    except Exception as error:  # noqa: BLE001 - whatever it was, the job says it failed
        log.exception("export job %s (%s) failed", job_id, job.dataset)
        db.session.rollback()
        part.unlink(missing_ok=True)
        job = db.session.get(ExportJob, job_id)
        job.status, job.error, job.finished_at = "failed", f"{type(error).__name__}: {error}"[:2000], utcnow()
        _tell_owner(job)
        db.session.commit()
        return "failed"
    job.status, job.size_bytes, job.finished_at = "ready", final.stat().st_size, utcnow()
    _tell_owner(job)
    db.session.commit()
    return "ready"


def _tell_owner(job: ExportJob) -> None:
    """A notice to the person who asked (in the same commit as the job's new status): they
    may have left the page that was waiting for it."""
    notify("export_finished", users=[job.user], target=("export_job", job.id),
           params={"dataset": job.dataset, "rows": job.row_count, "failed": job.status == "failed",
                   "until": expires_on(job).isoformat()})


def jobs_of(user: User) -> list[ExportJob]:
    """``user``'s newest export jobs (at most JOBS_SHOWN), newest first."""
    return list(db.session.scalars(
        sa.select(ExportJob).where(ExportJob.user_id == user.id)
        .order_by(ExportJob.created_at.desc(), ExportJob.id.desc()).limit(JOBS_SHOWN)
    ))


def job_for(user: User, job_id: int) -> ExportJob | None:
    """Job ``job_id`` if ``user`` may see it (they asked for it, or they are an admin)."""
    job = db.session.get(ExportJob, job_id)
    if job is None or (job.user_id != user.id and user.role != "admin"):
        return None
    return job


def export_folder() -> Path:
    configured = current_app.config.get("EXPORT_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "exports"


def file_path(job: ExportJob) -> Path:
    return export_folder() / f"{job.id}.csv"


def ready_file(job: ExportJob) -> Path | None:
    """The job's file, if it is ready and still there."""
    path = file_path(job)
    return path if job.status == "ready" and path.is_file() else None


def download_name(job: ExportJob) -> str:
    """The file name the browser saves it under: the export's name on the day it was asked for."""
    return exports.filename(job.dataset, day_in_japan(job.created_at))


def expires_on(job: ExportJob) -> date:
    """The day (in Japan) after which the sweep removes the job and its file."""
    return day_in_japan(job.created_at + keep_for())


def keep_for() -> timedelta:
    return timedelta(days=current_app.config.get("EXPORT_KEEP_DAYS", 7))


def sweep(now: datetime | None = None) -> list[int]:
    """Remove expired jobs and their files (and files without a job), fail the jobs a
    stopped worker left running, and return the ids of queued jobs to queue again."""
    now = now or utcnow()
    expired = db.session.scalars(sa.select(ExportJob).where(ExportJob.created_at < now - keep_for())).all()
    for job in expired:
        file_path(job).unlink(missing_ok=True)
        db.session.delete(job)
    db.session.execute(
        sa.update(ExportJob).where(ExportJob.status == "running", ExportJob.started_at < now - STALE_AFTER)
        .values(status="failed", error="the worker stopped before it finished", finished_at=now)
    )
    lost = db.session.scalars(
        sa.select(ExportJob.id).where(ExportJob.status == "queued", ExportJob.created_at < now - REQUEUE_AFTER)
        .order_by(ExportJob.id)
    ).all()
    db.session.commit()
    _remove_files_without_a_job()
    return list(lost)


def _remove_files_without_a_job() -> None:
    folder = export_folder()
    if not folder.is_dir():
        return
    ours = {path: int(found.group(1)) for path in folder.iterdir()
            if (found := _JOB_FILE.fullmatch(path.name)) and path.is_file()}
    ids = set(ours.values())
    known = set(db.session.scalars(sa.select(ExportJob.id).where(ExportJob.id.in_(ids)))) if ids else set()
    for path, job_id in ours.items():
        if job_id not in known:
            path.unlink(missing_ok=True)
