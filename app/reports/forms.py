"""The dashboard's filter: region, prefecture (narrowed to the region) and fiscal year,
read from the query string (a plain GET form: it works without JavaScript;
static/js/dashboard-filter.js only narrows the prefecture list as a region is picked)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import ValidationError

from app.forms import BaseForm
from app.labels import label
from evangelists import fiscal
from evangelists.vocabulary import REGIONS


class DashboardFilterForm(BaseForm):
    """``regions``: the regions the viewer may see (None: all). ``fiscal_years``: the
    years offered, newest first (a valid year typed into the address is added)."""

    class Meta:
        csrf = False

    region = SelectField(_l("Region"), validate_choice=False)
    prefecture = SelectField(_l("Prefecture"), validate_choice=False)
    fy = SelectField(_l("Fiscal year"), validate_choice=False)

    def __init__(self, *args, prefectures, fiscal_years, fiscal_year_label, locale: str,
                 regions: frozenset[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        ja = locale == "ja"
        self.allowed = regions
        self.visible_regions = [r for r in REGIONS if regions is None or r in regions]
        self.prefectures = {p.code: p for p in prefectures}
        self.prefecture_name = {p.code: p.name_ja if ja else p.name_en for p in prefectures}
        self.region.choices = [("", _("All regions") if regions is None else _("All my regions"))] + [
            (r, label("region", r)) for r in self.visible_regions
        ]
        # Grouped by region (optgroups): without JavaScript the list is still in order.
        groups: dict[str, list[tuple[str, str]]] = {}
        for p in prefectures:
            if p.region in self.visible_regions:
                groups.setdefault(label("region", p.region), []).append((p.code, self.prefecture_name[p.code]))
        self.prefecture.choices = {"": [("", _("All prefectures"))], **groups}
        self.region_of = {p.code: p.region for p in prefectures}
        self.fiscal_year_label = fiscal_year_label
        self.offer_years(fiscal_years)

    def offer_years(self, fiscal_years) -> None:
        """Offer these fiscal years (newest first), and the one asked for if valid."""
        years = list(fiscal_years)
        chosen = fiscal.parse(self.fy.data) if self.fy.data else None
        if chosen is not None and chosen not in years:
            years = sorted({*years, chosen}, reverse=True)
        self.fy.choices = [("", _("All years"))] + [(str(y), self.fiscal_year_label(y)) for y in years]

    # The values, once validated (None for "all").
    @property
    def region_code(self) -> str | None:
        return self.region.data or None if not self.region.errors else None

    @property
    def prefecture_code(self) -> str | None:
        return self.prefecture.data or None if not self.prefecture.errors else None

    @property
    def fiscal_year(self) -> int | None:
        return fiscal.parse(self.fy.data) if self.fy.data and not self.fy.errors else None

    def validate_region(self, field) -> None:
        if not field.data:
            return
        if field.data not in REGIONS:
            raise ValidationError(_("“%(value)s” is not a region: choose one from the list.", value=field.data))
        if self.allowed is not None and field.data not in self.allowed:
            raise ValidationError(_("You see the figures of your own regions only, and %(region)s is not one of them.",
                                    region=label("region", field.data)))

    def validate_prefecture(self, field) -> None:
        if not field.data:
            return
        if field.data not in self.prefectures:
            raise ValidationError(_("“%(value)s” is not a prefecture: choose one from the list.", value=field.data))
        home = self.region_of[field.data]
        name = self.prefecture_name[field.data]
        if self.allowed is not None and home not in self.allowed:
            raise ValidationError(_("You see the figures of your own regions only, and %(prefecture)s is not in them.",
                                    prefecture=name))
        region = self.region.data
        if region and region in REGIONS and region != home:
            raise ValidationError(_("%(prefecture)s is not in %(region)s: choose a prefecture of %(region)s, "
                                    "or all regions.", prefecture=name, region=label("region", region)))

    def validate_fy(self, field) -> None:
        if field.data and fiscal.parse(field.data) is None:
            raise ValidationError(_("“%(value)s” is not a fiscal year: choose one from the list, or give its "
                                    "Western year between %(first)s and %(last)s, such as 2026.",
                                    value=field.data, first=fiscal.EARLIEST, last=fiscal.LATEST))
