"""Notices: written with the change they are about, mailed by the queue worker.

``notify`` adds one row per recipient to the caller's session; the caller commits it with
its change (an outbox), so a rolled-back change leaves no notice. Once the transaction
commits, the new rows' ids go to the queue (``app/queue.py``); if the process dies
between the commit and that hand-over, the worker's sweep finds the rows still pending and
queues them. ``deliver`` claims a row (pending → sending, one worker wins), writes the mail
with the row's fixed Message-ID and marks it sent, or schedules the next try with back-off
and, after the last one, marks it failed for the admins' list (``retry`` puts it back).
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session, selectinload

from app.extensions import db
from app.models import Notice, NoticePreference, SupportRequest, User
from app.models.base import utcnow
from app.notice_kinds import kind_of
from app.services.audit import record_event
from app.services.pages import Page, page_of
from evangelists.errors import Refused

log = logging.getLogger(__name__)

_QUEUED = "notices_to_queue"


class NoticeRefused(Refused):
    """A change to notices that is not allowed: ``not_failed`` (a retry of notices that
    have not failed), ``security_kind`` (turning a security notice down)."""

    scope = "mailing"


# --- Writing notices ---------------------------------------------------------------------------

def notify(
    kind: str,
    *,
    users: Iterable[User] = (),
    emails: Iterable[str] = (),
    request: SupportRequest | None = None,
    target: tuple[str, int] | None = None,
    params: dict | None = None,
    dedupe: str | None = None,
    exclude: User | None = None,
) -> list[Notice]:
    """Add a notice of ``kind`` for each of ``users`` (inactive ones and ``exclude``, the
    person who caused it, are left out; one each however often listed) and each address
    in ``emails`` (a town's contact). Not committed: the caller's commit carries them.

    ``target`` is what the notice is about besides the request, for its link;
    ``params`` are words for its text (JSON; never a token or link). With ``dedupe`` (e.g.
    ``"proposal_unanswered:12:3"``) a recipient who already has a notice with that key
    gets no second one: reminders are sent once per threshold."""
    spec = kind_of(kind)
    rows: list[Notice] = []
    seen: set[object] = set()
    recipients: list[tuple[User | None, str | None]] = []
    for user in users:
        if user is None or not user.is_active or user.id in seen or (exclude is not None and user.id == exclude.id):
            continue
        seen.add(user.id)
        recipients.append((user, None))
    for email in emails:
        if email and email.lower() not in seen:
            seen.add(email.lower())
            recipients.append((None, email))
    modes = _modes_of([user.id for user, _ in recipients if user is not None], kind)
    for user, email in recipients:
        key = None
        if dedupe is not None:
            key = f"{kind}:{dedupe}:{user.id if user else email}"[:200]
            if db.session.scalar(sa.select(Notice.id).where(Notice.dedupe_key == key)) is not None:
                continue
        mode = "now" if spec.security or user is None else modes.get(user.id, spec.default)
        row = Notice(
            kind=kind,
            user_id=user.id if user else None,
            email=email,
            request_id=request.id if request is not None else None,
            target_type=target[0] if target else None,
            target_id=target[1] if target else None,
            params=dict(params or {}),
            mail={"now": "pending", "digest": "digest", "off": "none"}[mode],
            read_at=utcnow() if mode == "off" else None,
            attempts=0,
            message_id=new_message_id(),
            dedupe_key=key,
        )
        db.session.add(row)
        rows.append(row)
    return rows


def new_message_id() -> str:
    """A Message-ID under the site's host name, fixed for every try of one notice."""
    host = urlsplit(current_app.config.get("PUBLIC_BASE_URL") or "").hostname or "evangelist-network.invalid"
    return f"<{uuid.uuid4().hex}.notice@{host}>"


def _modes_of(user_ids: list[int], kind: str) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = db.session.execute(
        sa.select(NoticePreference.user_id, NoticePreference.mode)
        .where(NoticePreference.user_id.in_(user_ids), NoticePreference.kind == kind)
    )
    return dict(rows.all())


# --- Handing committed notices to the queue ---------------------------------------------------

@event.listens_for(Session, "after_flush")
def _remember_new_notices(session: Session, _context) -> None:
    ids = [obj.id for obj in session.new if isinstance(obj, Notice) and obj.mail == "pending"]
    if ids:
        session.info.setdefault(_QUEUED, []).extend(ids)


@event.listens_for(Session, "after_commit")
def _queue_committed_notices(session: Session) -> None:
    ids = session.info.pop(_QUEUED, None)
    if ids:
        from app.queue import queue_deliveries

        queue_deliveries(ids)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_notices(session: Session) -> None:
    session.info.pop(_QUEUED, None)


# --- Delivering ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """What one delivery attempt did: "sent", "retry" (with ``delay``), "failed",
    "skipped" (not pending, or already claimed by another worker) or "unmailed"."""

    state: str
    delay: timedelta | None = None


def backoff(attempt: int) -> timedelta:
    """The wait after failed try number ``attempt`` (1-based): NOTICE_RETRY_DELAY doubled
    each time, at most NOTICE_RETRY_MAX_DELAY."""
    config = current_app.config
    seconds = config["NOTICE_RETRY_DELAY"] * 2 ** (attempt - 1)
    return timedelta(seconds=min(seconds, config["NOTICE_RETRY_MAX_DELAY"]))


def deliver(notice_id: int) -> Outcome:
    """Mail one notice if it is still pending (see the module's docstring)."""
    now = utcnow()
    claimed = db.session.execute(
        sa.update(Notice)
        .where(Notice.id == notice_id, Notice.mail == "pending")
        .values(mail="sending", claimed_at=now, attempts=Notice.attempts + 1)
    ).rowcount
    db.session.commit()
    if not claimed:
        return Outcome("skipped")
    notice = db.session.get(Notice, notice_id)
    if not current_app.config.get("MAIL_SERVER"):
        notice.mail, notice.last_error = "none", "no mail server is configured (MAIL_SERVER)"
        db.session.commit()
        return Outcome("unmailed")
    from app.mail import compose_notice, send_message

    try:
        message = compose_notice(notice)
        if message is None:  # nobody to write to any more (the address is gone)
            notice.mail, notice.last_error = "none", "no recipient address"
            db.session.commit()
            return Outcome("unmailed")
        send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        return _failed_try(notice, f"{type(error).__name__}: {error}")
    except Exception as error:  # a template or data fault: the notice must not stay "sending"
        log.exception("notice %s (%s) could not be written", notice.id, notice.kind)
        return _failed_try(notice, f"{type(error).__name__}: {error}")
    notice.mail, notice.sent_at, notice.last_error, notice.next_try_at = "sent", utcnow(), None, None
    db.session.commit()
    return Outcome("sent")


def _failed_try(notice: Notice, error: str) -> Outcome:
    notice.last_error = error[:1000]
    if notice.attempts >= current_app.config["NOTICE_MAX_ATTEMPTS"]:
        notice.mail, notice.next_try_at = "failed", None
        db.session.commit()
        log.warning("notice %s (%s) failed after %s tries: %s", notice.id, notice.kind, notice.attempts, error)
        return Outcome("failed")
    delay = backoff(notice.attempts)
    notice.mail, notice.next_try_at = "pending", utcnow() + delay
    db.session.commit()
    log.info("notice %s (%s): try %s failed, next in %s s", notice.id, notice.kind, notice.attempts,
             int(delay.total_seconds()))
    return Outcome("retry", delay)


def sweep(now: datetime | None = None) -> list[int]:
    """The ids of notices the queue may have lost, made pending and returned for queueing:
    pending ones that are due and older than NOTICE_SWEEP_AFTER (the process died between
    commit and queueing, or the queue lost them), and ones a worker claimed and never
    finished (it was killed mid-send: they go again, with the same Message-ID)."""
    now = now or utcnow()
    grace = timedelta(seconds=current_app.config["NOTICE_SWEEP_AFTER"])
    db.session.execute(
        sa.update(Notice)
        .where(Notice.mail == "sending", Notice.claimed_at < now - grace)
        .values(mail="pending")
    )
    ids = db.session.scalars(
        sa.select(Notice.id).where(
            Notice.mail == "pending",
            Notice.created_at < now - grace,
            sa.or_(Notice.next_try_at.is_(None), Notice.next_try_at < now - grace),
        ).order_by(Notice.id)
    ).all()
    db.session.commit()
    return list(ids)


def retry(actor: User, notice_ids: Iterable[int], *, address: str | None = None) -> list[int]:
    """Put failed notices back in the queue with a fresh count of tries; returns the ids
    (queued once the commit is done). Audited."""
    ids = list(dict.fromkeys(int(i) for i in notice_ids))
    rows = db.session.scalars(sa.select(Notice).where(Notice.id.in_(ids), Notice.mail == "failed")).all()
    if not rows:
        raise NoticeRefused(None, "not_failed")
    for row in rows:
        row.mail, row.attempts, row.next_try_at = "pending", 0, None
        record_event(actor, "notice.retried", "notice", row.id, before={"error": row.last_error})
    db.session.flush()
    db.session.info.setdefault(_QUEUED, []).extend(row.id for row in rows)
    db.session.commit()
    return [row.id for row in rows]


# --- Reading: the bell, the list, the admins' failed list ----------------------------------------

def unread_count(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Notice).where(Notice.user_id == user.id, Notice.read_at.is_(None))
    ) or 0


def notices_page(user: User, *, page: int, per_page: int = 30, unread_only: bool = False) -> Page:
    # The titles name each notice's request: read the page's requests with it, not one by one.
    query = sa.select(Notice).where(Notice.user_id == user.id).options(selectinload(Notice.request))
    if unread_only:
        query = query.where(Notice.read_at.is_(None))
    return page_of(query.order_by(Notice.created_at.desc(), Notice.id.desc()), page=page, per_page=per_page)


def mark_read(user: User, notice_ids: Iterable[int] | None = None) -> int:
    """Mark ``user``'s notices read (all unread ones when ``notice_ids`` is None); only
    their own. Returns how many changed."""
    query = sa.update(Notice).where(Notice.user_id == user.id, Notice.read_at.is_(None))
    if notice_ids is not None:
        query = query.where(Notice.id.in_(list(notice_ids)))
    changed = db.session.execute(query.values(read_at=utcnow())).rowcount
    db.session.commit()
    return changed


def failed_page(*, page: int, per_page: int = 50) -> Page:
    query = sa.select(Notice).where(Notice.mail == "failed").order_by(Notice.created_at.desc(), Notice.id.desc())
    return page_of(query, page=page, per_page=per_page)


def set_preference(user: User, kind: str, mode: str) -> None:
    """Not committed. Security kinds cannot be changed (Refused)."""
    spec = kind_of(kind)
    if spec.security:
        raise NoticeRefused("mode", "security_kind")
    row = db.session.scalar(
        sa.select(NoticePreference).where(NoticePreference.user_id == user.id, NoticePreference.kind == kind)
    )
    if row is None:
        db.session.add(NoticePreference(user_id=user.id, kind=kind, mode=mode))
    else:
        row.mode = mode


def preferences_of(user: User) -> dict[str, str]:
    rows = db.session.execute(
        sa.select(NoticePreference.kind, NoticePreference.mode).where(NoticePreference.user_id == user.id)
    )
    return dict(rows.all())


# --- The daily digest ------------------------------------------------------------------------------

def write_digests(now: datetime | None = None) -> int:
    """One "digest" notice per person with notices kept for their digest; those are then
    marked sent (the digest mail carries them). Returns how many digests were written."""
    now = now or utcnow()
    rows = db.session.scalars(
        sa.select(Notice).where(Notice.mail == "digest", Notice.created_at <= now)
        .order_by(Notice.user_id, Notice.created_at)
    ).all()
    by_user: dict[int, list[Notice]] = {}
    for row in rows:
        by_user.setdefault(row.user_id, []).append(row)
    users = {user.id: user for user in db.session.scalars(sa.select(User).where(User.id.in_(list(by_user))))}
    written = 0
    for user_id, items in by_user.items():
        for item in items:
            item.mail, item.sent_at = "sent", now
        user = users.get(user_id)
        if user is None or not user.is_active:
            continue
        db.session.add(Notice(
            kind="digest", user_id=user_id, params={"ids": [item.id for item in items]},
            mail="pending", read_at=now, attempts=0, message_id=new_message_id(),
        ))
        written += 1
    db.session.commit()
    return written
