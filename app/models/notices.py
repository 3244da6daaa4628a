"""Notices: the outbox of what someone must hear about, and each person's preferences.

A notice row is written in the same transaction as the change it is about
(``app/services/notices.py``), so a change that is rolled back leaves no notice and one
that is committed leaves one the queue worker will mail even if the web process dies right
after the commit. The row holds no secret: a status or password link is made when the mail
is written, at delivery time, and never stored or logged.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.accounts import User
from app.models.base import UTCDateTime, choice, utcnow
from evangelists.limits import EMAIL_MAX
from evangelists.vocabulary import NOTICE_MAIL_STATES, NOTICE_MODES

if TYPE_CHECKING:
    from app.models.workflow import SupportRequest


class Notice(db.Model):
    """One notice to one recipient: a user (listed in the app, mailed to their current
    address) or, for a town's contact who has no account, an e-mail address."""

    __tablename__ = "notices"
    __table_args__ = (
        sa.CheckConstraint("user_id IS NOT NULL OR email IS NOT NULL", name="has_recipient"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.Index("ix_notices_unread", "user_id", "read_at"),
        sa.Index("ix_notices_mail_due", "mail", "next_try_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    email: Mapped[str | None] = mapped_column(sa.String(EMAIL_MAX))
    # The request it is about, if any (a town's notices always have one).
    request_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("support_requests.id", ondelete="CASCADE"), index=True
    )
    # What else it is about, for its link: ("assignment", 3), ("booking", 7)...
    target_type: Mapped[str | None] = mapped_column(sa.String(30))
    target_id: Mapped[int | None]
    # Words for the text that may change later (names, dates, a message's first line).
    # Never a token or a link: those are made at delivery time.
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    mail: Mapped[str] = mapped_column(choice(NOTICE_MAIL_STATES, "notice_mail"), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    next_try_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The idempotency key: every try sends with this Message-ID, so a mail server (or a
    # reader) that gets the notice twice after a worker died mid-send can tell.
    message_id: Mapped[str] = mapped_column(sa.String(200), unique=True)
    # A reminder is written once per threshold and recipient: "reminder:<what>:<id>:<step>".
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    user: Mapped[User | None] = relationship()
    request: Mapped[SupportRequest | None] = relationship()

    def __repr__(self) -> str:
        return f"<Notice {self.id} {self.kind} {self.mail}>"


class NoticePreference(db.Model):
    """How one person wants one kind of notice mailed; no row means the kind's default."""

    __tablename__ = "notice_preferences"
    __table_args__ = (sa.UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    mode: Mapped[str] = mapped_column(choice(NOTICE_MODES, "notice_mode"))
