"""Public applications to become an evangelist (issue 22, point 6).

A person fills in the form on ``/apply``; the row waits (``unconfirmed``) until they open
the link mailed to them. The link's token is stored as its SHA-256 (``token_hash``, to
find the row) and sealed with the site's keys (``token_sealed``, so that the queue can
write the mail at delivery time: the notice row holds no secret); both are cleared once
the address is confirmed or the link expires (``confirm_by``). A confirmed application
becomes a candidate in the recruitment pipeline (``evangelist``) or, when it may be
someone the network already has, waits for a coordinator (``possible_duplicate``, with
the people it may be in ``matches``). The answers stay on the row: the coordinator reads
them on the candidate's page, and the applicant is mailed the outcome.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin, UTCDateTime, choice
from evangelists.limits import CAPACITY_RANGE, EMAIL_MAX, MAX_TRAVEL_RADIUS_KM, PERSON_NAME_MAX, between_check
from evangelists.names import READING_MAX
from evangelists.vocabulary import AGE_BANDS, APPLICATION_STATUSES, GENDERS

if TYPE_CHECKING:
    from app.models.geography import Municipality
    from app.models.network import Community, Evangelist

# The longest free answers (the form says so too).
COMMUNITY_OTHER_MAX = 120
AVAILABILITY_MAX = 500
MOTIVATION_MAX = 2000
DECISION_MESSAGE_MAX = 2000


class EvangelistApplication(TimestampMixin, db.Model):
    __tablename__ = "evangelist_applications"
    __table_args__ = (
        sa.CheckConstraint(between_check("capacity", CAPACITY_RANGE), name="capacity_range"),
        sa.CheckConstraint(f"travel_radius_km > 0 AND travel_radius_km <= {MAX_TRAVEL_RADIUS_KM}",
                           name="travel_radius_range"),
        # A confirmed application has no live link; an unconfirmed one has one.
        sa.CheckConstraint("status = 'unconfirmed' OR (token_hash IS NULL AND token_sealed IS NULL)",
                           name="confirmed_has_no_token"),
        sa.CheckConstraint("status = 'unconfirmed' OR confirmed_at IS NOT NULL", name="confirmed_has_date"),
        sa.Index("ix_evangelist_applications_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(choice(APPLICATION_STATUSES, "application_status"), default="unconfirmed")
    family_name: Mapped[str] = mapped_column(sa.String(PERSON_NAME_MAX))
    given_name: Mapped[str] = mapped_column(sa.String(PERSON_NAME_MAX))
    family_name_kana: Mapped[str] = mapped_column(sa.String(READING_MAX))
    given_name_kana: Mapped[str] = mapped_column(sa.String(READING_MAX))
    email: Mapped[str] = mapped_column(sa.String(EMAIL_MAX), index=True)
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(sa.ForeignKey("communities.id", ondelete="SET NULL"),
                                                     index=True)
    # A community that is not in the list, as the applicant wrote it.
    community_other: Mapped[str] = mapped_column(sa.String(COMMUNITY_OTHER_MAX), default="", server_default="")
    skills: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # topic slugs
    languages: Mapped[list[str]] = mapped_column(sa.JSON, default=lambda: ["ja"])
    capacity: Mapped[int] = mapped_column(default=2)
    travel_radius_km: Mapped[float] = mapped_column(sa.Float, default=50.0)
    online_ok: Mapped[bool] = mapped_column(default=True)
    availability: Mapped[str] = mapped_column(sa.String(AVAILABILITY_MAX), default="", server_default="")
    motivation: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # Self-reported, optional, used only for statistics (as Evangelist.age_band/gender).
    age_band: Mapped[str | None] = mapped_column(choice(AGE_BANDS, "application_age_band"))
    gender: Mapped[str | None] = mapped_column(choice(GENDERS, "application_gender"))
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    # The confirmation link (see the module's docstring).
    token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    token_sealed: Mapped[str | None] = mapped_column(sa.String(255))
    confirm_by: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The person in the pipeline: the candidate it became, or the one a coordinator found
    # it is (same_person).
    evangelist_id: Mapped[int | None] = mapped_column(sa.ForeignKey("evangelists.id", ondelete="SET NULL"),
                                                      index=True)
    # The people it may be, found when the address was confirmed (evangelist ids).
    matches: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    municipality: Mapped[Municipality] = relationship()
    community: Mapped[Community | None] = relationship()
    evangelist: Mapped[Evangelist | None] = relationship()

    @property
    def display_name(self) -> str:
        return f"{self.family_name} {self.given_name}"

    @property
    def display_reading(self) -> str:
        return f"{self.family_name_kana} {self.given_name_kana}"

    def __repr__(self) -> str:
        return f"<EvangelistApplication {self.id} {self.status}>"
