"""Read-only figures about the network for the public pages (aggregates, no personal data)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Assignment,
    Community,
    Evangelist,
    Municipality,
    Prefecture,
    SupportRequest,
    Visit,
)
from app.services.maps import PrefectureFigures, prefecture_figures
from app.services.regions import (
    NATIONAL,
    RegionScope,
    communities_visible,
    evangelists_visible,
    municipality_visible,
)
from app.services.versioned import until_data_changes


@dataclass(frozen=True)
class NetworkSummary:
    municipalities: int
    open_data_active: int
    communities_active: int
    evangelists_active: int

    @property
    def open_data_share(self) -> float:
        return self.open_data_active / self.municipalities if self.municipalities else 0.0


def network_summary(scope: RegionScope = NATIONAL) -> NetworkSummary:
    """Headline counts, in one query."""
    count = sa.func.count
    row = db.session.execute(
        sa.select(
            sa.select(count()).select_from(Municipality)
            .where(municipality_visible(scope))
            .scalar_subquery(),
            sa.select(count())
            .select_from(Municipality)
            .where(Municipality.open_data_status == "active", municipality_visible(scope))
            .scalar_subquery(),
            sa.select(count())
            .select_from(Community)
            .where(Community.status == "active", communities_visible(scope))
            .scalar_subquery(),
            sa.select(count())
            .select_from(Evangelist)
            .where(Evangelist.status == "active", evangelists_visible(scope))
            .scalar_subquery(),
        )
    ).one()
    return NetworkSummary(*row)


@dataclass(frozen=True)
class PrefectureProgramme(PrefectureFigures):
    """One prefecture's figures for the programme's open data: the map's aggregates plus
    the visits made there (aggregates only)."""

    visits: int

    @property
    def open_data_share(self) -> float:
        return self.adoption_rate


def programme_figures() -> tuple[list[PrefectureProgramme], datetime | None]:
    """Per prefecture: municipalities, how many publish open data, active communities and
    advisory visits made, plus the newest change behind them. Three queries over every
    visit (about 100 ms at 30 times the demo), so kept until the data changes."""
    return until_data_changes("programme_figures", _programme_figures)


def _programme_figures() -> tuple[list[PrefectureProgramme], datetime | None]:
    figures, newest = prefecture_figures()
    visit_counts = dict(
        db.session.execute(
            sa.select(Prefecture.code, sa.func.count(Visit.id))
            .join(Municipality, Municipality.prefecture_id == Prefecture.id)
            .join(SupportRequest, SupportRequest.municipality_id == Municipality.id)
            .join(Assignment, Assignment.request_id == SupportRequest.id)
            .join(Visit, Visit.assignment_id == Assignment.id)
            .group_by(Prefecture.code)
        ).all()
    )
    latest_visit = db.session.scalar(sa.select(sa.func.max(Visit.updated_at)))
    rows = [
        PrefectureProgramme(f.code, f.name_ja, f.name_en, f.municipalities, f.open_data_active,
                            f.communities_active, visit_counts.get(f.code, 0))
        for f in figures
    ]
    stamps = [s for s in (newest, latest_visit) if s is not None]
    return rows, max(stamps) if stamps else None


# The licence of the programme's own open data (PRODUCT.md; compatible with CC BY 4.0).
PROGRAMME_DATA_LICENCE = {
    "name_ja": "公共データ利用規約（第1.0版）",
    "name_en": "Public Data License (Version 1.0)",
    "short": "PDL1.0",
    "url_ja": "https://www.digital.go.jp/resources/open_data/public_data_license_v1.0",
    "url_en": "https://www.digital.go.jp/en/resources/open_data/public_data_license_v1.0",
}


def open_data_rows(figures: list[PrefectureProgramme]) -> list[dict]:
    """The published rows, one per prefecture (the same for CSV and JSON; their columns
    and order are app.open_data.PREFECTURE_COLUMNS)."""
    return [
        {
            "prefecture_code": f.code, "prefecture_ja": f.name_ja, "prefecture_en": f.name_en,
            "municipalities": f.municipalities, "municipalities_open_data_active": f.open_data_active,
            "open_data_share": round(f.open_data_share, 4), "communities_active": f.communities_active,
            "visits": f.visits,
        }
        for f in figures
    ]
