"""Outreach to towns that have not asked (issue 20, point 7): a case per town the
programme goes to, and the log of its contacts."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin, UTCDateTime, choice, utcnow
from evangelists.limits import CONTACT_NAME_MAX, DEPARTMENT_MAX, EMAIL_MAX, PHONE_MAX
from evangelists.vocabulary import OPEN_OUTREACH_STATUSES, OUTREACH_CHANNELS, OUTREACH_STATUSES

if TYPE_CHECKING:
    from app.models.accounts import User
    from app.models.geography import Municipality
    from app.models.network import Community, Evangelist
    from app.models.workflow import SupportRequest

OPEN_CASE_WHERE = "status IN (" + ", ".join(f"'{s}'" for s in OPEN_OUTREACH_STATUSES) + ")"


class OutreachCase(TimestampMixin, db.Model):
    """The programme going to a town that has not asked: who opened it, who owns it, where
    it stands (``status``, evangelists/lifecycle.py), the next step and its date, the
    evangelist or community asked to reach out (``ask``: what they are asked), and, once
    the town agrees, the request it became with the town's consent (who, how, when).

    One open case per town: a unique partial index over the open statuses."""

    __tablename__ = "outreach_cases"
    __table_args__ = (
        sa.Index("uq_outreach_cases_open_municipality", "municipality_id", unique=True,
                 sqlite_where=sa.text(OPEN_CASE_WHERE), postgresql_where=sa.text(OPEN_CASE_WHERE)),
        sa.CheckConstraint("status <> 'request' OR request_id IS NOT NULL", name="request_has_request"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(choice(OUTREACH_STATUSES, "outreach_status"), default="planned", index=True)
    opened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    evangelist_id: Mapped[int | None] = mapped_column(sa.ForeignKey("evangelists.id", ondelete="SET NULL"),
                                                      index=True)
    community_id: Mapped[int | None] = mapped_column(sa.ForeignKey("communities.id", ondelete="SET NULL"),
                                                     index=True)
    ask: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    next_step: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    next_on: Mapped[date | None] = mapped_column(index=True)
    # The dashboard's funnel: the day (Japan) of the first contact, and of the first answer
    # showing interest (kept when the case moves on).
    contacted_on: Mapped[date | None] = mapped_column()
    interested_on: Mapped[date | None] = mapped_column()
    request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("support_requests.id", ondelete="SET NULL"),
                                                   unique=True)
    consent_by: Mapped[str | None] = mapped_column(sa.String(CONTACT_NAME_MAX))
    consent_how: Mapped[str | None] = mapped_column(choice(OUTREACH_CHANNELS, "outreach_consent_channel"))
    consented_on: Mapped[date | None] = mapped_column()
    closed_reason: Mapped[str | None] = mapped_column(sa.Text)

    municipality: Mapped[Municipality] = relationship()
    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id])
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    evangelist: Mapped[Evangelist | None] = relationship()
    community: Mapped[Community | None] = relationship()
    request: Mapped[SupportRequest | None] = relationship()
    contacts: Mapped[list[OutreachContact]] = relationship(
        back_populates="case", order_by="(OutreachContact.contacted_on, OutreachContact.id)",
        cascade="all, delete-orphan")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_OUTREACH_STATUSES

    def __repr__(self) -> str:
        return f"<OutreachCase {self.id} {self.status}>"


class OutreachContact(db.Model):
    """One contact with the town: when (a day in Japan), how, whom (name, department, phone,
    e-mail: personal data, shown to staff only), the answer, the next step and its date.
    ``recorded_by`` is the coordinator, or the evangelist asked to reach out."""

    __tablename__ = "outreach_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("outreach_cases.id", ondelete="CASCADE"), index=True)
    contacted_on: Mapped[date] = mapped_column()
    channel: Mapped[str] = mapped_column(choice(OUTREACH_CHANNELS, "outreach_channel"))
    person_name: Mapped[str] = mapped_column(sa.String(CONTACT_NAME_MAX), default="", server_default="")
    department: Mapped[str] = mapped_column(sa.String(DEPARTMENT_MAX), default="", server_default="")
    phone: Mapped[str | None] = mapped_column(sa.String(PHONE_MAX))
    email: Mapped[str | None] = mapped_column(sa.String(EMAIL_MAX))
    answer: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    next_step: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    next_on: Mapped[date | None] = mapped_column()
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    case: Mapped[OutreachCase] = relationship(back_populates="contacts")
    recorded_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<OutreachContact {self.id} case {self.case_id}>"
