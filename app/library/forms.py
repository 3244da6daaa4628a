"""The library's search and filters, read from the query string."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SearchField
from wtforms.validators import Length, Optional

from app.form_fields import FilterSelectField
from app.forms import BaseForm
from app.labels import choices
from app.services.library import QUERY_MAX
from evangelists import fiscal


def fiscal_year_label(year: int, locale: str) -> str:
    """2026年度（令和8年度） in Japanese, "FY2026 (Reiwa 8)" in English."""
    found = fiscal.era(year)
    if locale == "ja":
        return f"{year}年度（{fiscal.era_year(year)}度）" if found else f"{year}年度"
    if found is None:
        return f"FY{year}"
    _name, romaji, n = found
    return f"FY{year} ({romaji} {n})"


class LibraryFilterForm(BaseForm):
    """Words to find, and the library's filters: a filter with an unknown value is named
    next to its field and left out of the list (FilterSelectField)."""

    class Meta:
        csrf = False  # a GET search changes nothing

    q = SearchField(_l("Search the use cases"), validators=[Optional(), Length(max=QUERY_MAX)],
                    description=_l("Words from the story, the town or a topic, e.g. 避難所 or 防災."),
                    render_kw={"maxlength": QUERY_MAX})
    topic = FilterSelectField(_l("Topic"), default="", validators=[Optional(strip_whitespace=False)])
    town_kind = FilterSelectField(_l("Kind of town"), default="", validators=[Optional(strip_whitespace=False)])
    band = FilterSelectField(_l("Population"), default="", validators=[Optional(strip_whitespace=False)])
    prefecture = FilterSelectField(_l("Prefecture"), default="", validators=[Optional(strip_whitespace=False)])
    fy = FilterSelectField(_l("Published in"), default="", validators=[Optional(strip_whitespace=False)])
    kind = FilterSelectField(_l("Kind of use case"), default="", validators=[Optional(strip_whitespace=False)])

    def __init__(self, *args, topics, prefectures, years, locale: str, **kwargs):
        super().__init__(*args, **kwargs)
        ja = locale == "ja"
        self.topic.choices = [("", _("Every topic"))] + [(t.slug, t.name_ja if ja else t.name_en) for t in topics]
        self.town_kind.choices = [("", _("Any kind"))] + choices("municipality_kind")
        self.band.choices = [("", _("Any size"))] + choices("population_band")
        self.prefecture.choices = [("", _("Every prefecture"))] + [
            (p.code, p.name_ja if ja else p.name_en) for p in prefectures]
        self.fy.choices = [("", _("Any year"))] + [(str(y), fiscal_year_label(y, locale)) for y in years]
        self.kind.choices = [("", _("Both kinds"))] + choices("use_case_kind")

    def value(self, name: str) -> str:
        """A field's value for the list: empty when it has an error (it is then ignored)."""
        return "" if self[name].errors else (self[name].data or "")
