"""Exports too large to stream while the coordinator waits: prepared by the queue's worker
into a file under the instance folder, downloaded when ready (app/services/export_jobs.py)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, choice, utcnow

if TYPE_CHECKING:
    from app.models.accounts import User

EXPORT_JOB_STATUSES = ("queued", "running", "ready", "failed")
EXPORT_STYLES = ("labels", "codes")


class ExportJob(db.Model):
    """One export asked for by one person: the list (``dataset``), its filters as they
    were in the URL (``parameters``), the format (``style``) and language (``locale``) of
    the file. The file itself is not in the database: ``app.services.export_jobs`` keeps
    it under the instance folder, named by the job's id, until the job expires."""

    __tablename__ = "export_jobs"
    __table_args__ = (
        sa.CheckConstraint("row_count >= 0", name="row_count_not_negative"),
        sa.Index("ix_export_jobs_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    dataset: Mapped[str] = mapped_column(sa.String(40))
    parameters: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    style: Mapped[str] = mapped_column(choice(EXPORT_STYLES, "export_style"))
    locale: Mapped[str] = mapped_column(sa.String(10))
    status: Mapped[str] = mapped_column(choice(EXPORT_JOB_STATUSES, "export_job_status"), default="queued",
                                        index=True)
    row_count: Mapped[int] = mapped_column(default=0)  # the COUNT when it was asked for
    size_bytes: Mapped[int | None] = mapped_column(sa.BigInteger)
    # Why it failed, for the admins' logs; the page shows a message of its own.
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<ExportJob {self.id} {self.dataset} {self.status}>"
