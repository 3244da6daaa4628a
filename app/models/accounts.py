"""User accounts and the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin, UTCDateTime, choice, utcnow
from evangelists.limits import DISPLAY_NAME_MAX, EMAIL_MAX
from evangelists.vocabulary import REGIONS, ROLES

if TYPE_CHECKING:
    from app.models.network import Evangelist


class User(UserMixin, TimestampMixin, db.Model):
    """Someone who signs in: an admin, a coordinator or an evangelist.

    ``password_hash`` is empty until an invited user sets a password. ``session_version``
    is bumped to end every session of the user on the server side: it is part of the id
    Flask-Login keeps in the session and the remember-me cookie (``get_id``).
    ``totp_secret_token`` is set once the user has confirmed an authenticator app: the
    app's secret encrypted with ``TOTP_ENCRYPTION_KEYS`` (``app/secrets_at_rest.py``; the
    column keeps its old name ``totp_secret``, the attribute says what it holds);
    ``totp_last_step`` is the last 30-second step accepted, so a code works only once.
    """

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("email = lower(email)", name="email_lowercase"),
        sa.CheckConstraint("session_version >= 0", name="session_version_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(EMAIL_MAX), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(DISPLAY_NAME_MAX))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(choice(ROLES, "user_role"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    session_version: Mapped[int] = mapped_column(default=0)
    # A Fernet token: about 140 characters for pyotp's 32-character secret.
    totp_secret_token: Mapped[str | None] = mapped_column("totp_secret", sa.String(255))
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    locale: Mapped[str | None] = mapped_column(sa.String(5))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    evangelist: Mapped[Evangelist | None] = relationship(back_populates="user")
    recovery_codes: Mapped[list[RecoveryCode]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    # A coordinator's regional blocks; none means national (app/services/regions.py).
    region_rows: Mapped[list[UserRegion]] = relationship(
        cascade="all, delete-orphan", order_by="UserRegion.region"
    )

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"

    @property
    def has_second_factor(self) -> bool:
        return self.totp_secret_token is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class UserRegion(db.Model):
    """One regional block (``REGIONS``) a coordinator works in."""

    __tablename__ = "user_regions"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    region: Mapped[str] = mapped_column(choice(REGIONS, "user_region"), primary_key=True)

    def __repr__(self) -> str:
        return f"<UserRegion {self.user_id} {self.region}>"


class RecoveryCode(db.Model):
    """A one-time code that replaces the authenticator app once; only its hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="recovery_codes")

    def __repr__(self) -> str:
        return f"<RecoveryCode {self.id} user={self.user_id}>"


class AuditEvent(db.Model):
    """Who changed what, when: the state before and after, as JSON."""

    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_entity", "entity_type", "entity_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, index=True
    )
    # NULL when the actor is not signed in (a municipality using its status link) or is
    # the system itself (a CLI command); ``actor_label`` says which.
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor_label: Mapped[str] = mapped_column(sa.String(120))
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    entity_type: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[int | None]
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    client_address: Mapped[str | None] = mapped_column(sa.String(45))

    actor: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action} {self.entity_type}:{self.entity_id}>"
