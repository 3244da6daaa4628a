"""Read-only figures about the network for the public pages."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from app.extensions import db
from app.models import Community, Evangelist, Municipality


@dataclass(frozen=True)
class NetworkSummary:
    municipalities: int
    open_data_active: int
    communities_active: int
    evangelists_active: int

    @property
    def open_data_share(self) -> float:
        return self.open_data_active / self.municipalities if self.municipalities else 0.0


def network_summary() -> NetworkSummary:
    """Headline counts, in one query."""
    count = sa.func.count
    row = db.session.execute(
        sa.select(
            sa.select(count()).select_from(Municipality).scalar_subquery(),
            sa.select(count())
            .select_from(Municipality)
            .where(Municipality.open_data_status == "active")
            .scalar_subquery(),
            sa.select(count())
            .select_from(Community)
            .where(Community.status == "active")
            .scalar_subquery(),
            sa.select(count())
            .select_from(Evangelist)
            .where(Evangelist.status == "active")
            .scalar_subquery(),
        )
    ).one()
    return NetworkSummary(*row)
