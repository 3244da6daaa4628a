"""What the notice pages read besides ``app/services/notices.py``: one person's own notice,
the admins' view of the mail queue (counts per state) and which of a list of ids are
failed notices (the retry buttons post ids a page showed; some may have moved on since).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import Notice, User
from evangelists.calendar import start_of_day_in_japan, today_in_japan


def own_notice(user: User, notice_id: int) -> Notice | None:
    """``user``'s notice number ``notice_id``, or None (nobody else's, whatever the id)."""
    return db.session.scalar(sa.select(Notice).where(Notice.id == notice_id, Notice.user_id == user.id))


def queue_counts(now: datetime | None = None) -> dict[str, int]:
    """How many notices wait to be mailed (``pending``, those being sent included),
    ``failed`` and ``sent_today`` (since midnight in Japan)."""
    midnight = start_of_day_in_japan(today_in_japan(now))
    counts = dict(db.session.execute(
        sa.select(Notice.mail, sa.func.count()).where(Notice.mail.in_(("pending", "sending", "failed")))
        .group_by(Notice.mail)
    ).all())
    sent_today = db.session.scalar(
        sa.select(sa.func.count()).select_from(Notice).where(Notice.mail == "sent", Notice.sent_at >= midnight)
    ) or 0
    return {
        "pending": counts.get("pending", 0) + counts.get("sending", 0),
        "failed": counts.get("failed", 0),
        "sent_today": sent_today,
    }


def failed_among(notice_ids: Iterable[int]) -> list[int]:
    """The ids among ``notice_ids`` of notices that are failed now, in id order."""
    ids = list(dict.fromkeys(int(i) for i in notice_ids))
    if not ids:
        return []
    return list(db.session.scalars(
        sa.select(Notice.id).where(Notice.id.in_(ids), Notice.mail == "failed").order_by(Notice.id)
    ))
