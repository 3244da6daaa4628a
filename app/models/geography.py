"""Prefectures and municipalities: the national gazetteer plus each municipality's state."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin, choice, located_in_japan
from evangelists.vocabulary import (
    ENGAGEMENT_STAGES,
    MUNICIPALITY_KINDS,
    OPEN_DATA_STATUSES,
    REGIONS,
)

if TYPE_CHECKING:
    from app.models.network import Community


class Prefecture(db.Model):
    """One of the 47 prefectures, keyed by its JIS X 0401 code ("01".."47")."""

    __tablename__ = "prefectures"
    __table_args__ = (
        sa.CheckConstraint("length(code) = 2", name="code_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(2), unique=True)
    name_ja: Mapped[str] = mapped_column(sa.String(10))
    name_kana: Mapped[str] = mapped_column(sa.String(20))
    name_en: Mapped[str] = mapped_column(sa.String(20))
    region: Mapped[str] = mapped_column(choice(REGIONS, "region"))

    municipalities: Mapped[list[Municipality]] = relationship(
        back_populates="prefecture", order_by="Municipality.code"
    )

    def __repr__(self) -> str:
        return f"<Prefecture {self.code} {self.name_ja}>"


class Municipality(TimestampMixin, db.Model):
    """A city, designated city, special ward, town or village (市区町村).

    ``code`` is the 6-digit local government code including its check digit.
    ``open_data_status`` is what the national survey reports; ``engagement_stage`` is where
    the municipality stands in this programme's workflow.
    """

    __tablename__ = "municipalities"
    __table_args__ = (
        sa.CheckConstraint("length(code) = 6", name="code_length"),
        *located_in_japan(),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(6), unique=True)
    prefecture_id: Mapped[int] = mapped_column(sa.ForeignKey("prefectures.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(40))
    name_kana: Mapped[str] = mapped_column(sa.String(80), index=True)
    name_romaji: Mapped[str | None] = mapped_column(sa.String(80))
    kind: Mapped[str] = mapped_column(choice(MUNICIPALITY_KINDS, "municipality_kind"))
    lat: Mapped[float] = mapped_column(sa.Float)
    lon: Mapped[float] = mapped_column(sa.Float)
    open_data_status: Mapped[str] = mapped_column(
        choice(OPEN_DATA_STATUSES, "open_data_status"), default="non_active", index=True
    )
    engagement_stage: Mapped[str] = mapped_column(
        choice(ENGAGEMENT_STAGES, "engagement_stage"), default="none", index=True
    )
    # When it became open-data active (the survey's as-of date, or the outcome's date);
    # the dashboard's "change over time" counts these.
    open_data_since: Mapped[date | None] = mapped_column(index=True)
    # Its population (the census that ``flask geo load-population`` read); None where no
    # census figure is loaded. "Towns like yours" compares its band (evangelists.use_cases).
    population: Mapped[int | None] = mapped_column()

    prefecture: Mapped[Prefecture] = relationship(back_populates="municipalities")
    communities: Mapped[list[Community]] = relationship(
        back_populates="municipality", order_by="Community.name"
    )

    def __repr__(self) -> str:
        return f"<Municipality {self.code} {self.name}>"
