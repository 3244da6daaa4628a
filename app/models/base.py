"""Column helpers shared by every model module."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from evangelists.calendar import utc_now
from evangelists.limits import LAT_RANGE, LON_RANGE, between_check


def utcnow() -> datetime:
    """This moment, aware, in UTC (the programme's clock: evangelists/calendar.py)."""
    return utc_now()


class UTCDateTime(sa.TypeDecorator):
    """A timestamp that is always timezone-aware UTC in Python, on every database.

    SQLite keeps no zone and hands back naive datetimes; PostgreSQL hands back aware ones.
    Comparing the two with ``datetime.now(UTC)`` would fail on one backend only, so
    naive values are refused on the way in and made UTC on the way out.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give a timezone (use utcnow())")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def choice(values: tuple[str, ...], name: str) -> sa.Enum:
    """A string column restricted to ``values`` by a CHECK constraint on every database.

    Not a native PostgreSQL ENUM: adding a value then needs only a new CHECK, which Alembic
    handles in batch mode on SQLite too.
    """
    return sa.Enum(
        *values,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=max(len(v) for v in values),
    )


def located_in_japan() -> tuple[sa.CheckConstraint, sa.CheckConstraint]:
    """CHECKs that ``lat``/``lon`` fall in a box around Japan (evangelists/limits.py:
    LAT_RANGE, LON_RANGE), so swapped or zero coordinates are refused."""
    return (
        sa.CheckConstraint(between_check("lat", LAT_RANGE), name="lat_in_japan"),
        sa.CheckConstraint(between_check("lon", LON_RANGE), name="lon_in_japan"),
    )


class TimestampMixin:
    """``created_at`` and ``updated_at`` in UTC, computed per row (callables, not values)."""

    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )
