"""What the notice outbox holds, for the people who run the site (`flask notices status`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import Notice
from evangelists.vocabulary import NOTICE_MAIL_STATES


@dataclass(frozen=True)
class OutboxSummary:
    counts: dict[str, int]  # every mail state, 0 included
    oldest_pending: datetime | None  # when the oldest notice still to be mailed was written
    waiting_for_retry: int  # pending notices whose last try failed (next_try_at set)
    last_failure: str | None  # the error of the newest failed notice


def outbox_summary() -> OutboxSummary:
    counts = dict.fromkeys(NOTICE_MAIL_STATES, 0)
    counts.update(db.session.execute(sa.select(Notice.mail, sa.func.count()).group_by(Notice.mail)).all())
    oldest = db.session.scalar(sa.select(sa.func.min(Notice.created_at)).where(Notice.mail == "pending"))
    retrying = db.session.scalar(
        sa.select(sa.func.count()).select_from(Notice)
        .where(Notice.mail == "pending", Notice.next_try_at.is_not(None))
    )
    last_failure = db.session.scalar(
        sa.select(Notice.last_error).where(Notice.mail == "failed").order_by(Notice.id.desc()).limit(1)
    )
    return OutboxSummary(counts, oldest, retrying or 0, last_failure)


def failed_ids() -> list[int]:
    return list(db.session.scalars(sa.select(Notice.id).where(Notice.mail == "failed").order_by(Notice.id)))
