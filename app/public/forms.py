"""Forms of the public pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SearchField
from wtforms.validators import Length, Optional

from app.form_fields import FilterSelectField
from app.forms import BaseForm
from app.labels import choices
from evangelists.limits import MUNICIPALITY_QUERY_MAX


class MunicipalityFilterForm(BaseForm):
    """The search and filters of the municipality list, read from the query string."""

    class Meta:
        csrf = False  # a GET search changes nothing

    q = SearchField(
        _l("Name, reading or code"),
        validators=[Optional(), Length(max=MUNICIPALITY_QUERY_MAX)],
        description=_l("For example 札幌市, さっぽろ or 011002."),
    )
    prefecture = FilterSelectField(_l("Prefecture"), validators=[Optional(strip_whitespace=False)])
    open_data_status = FilterSelectField(_l("Open data"), validators=[Optional(strip_whitespace=False)])
    engagement_stage = FilterSelectField(_l("Engagement"), validators=[Optional(strip_whitespace=False)])
    kind = FilterSelectField(_l("Kind"), validators=[Optional(strip_whitespace=False)])

    def __init__(self, prefectures, locale: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        any_choice = [("", str(_l("Any")))]
        self.prefecture.choices = any_choice + [
            (p.code, p.name_ja if locale == "ja" else p.name_en) for p in prefectures
        ]
        self.open_data_status.choices = any_choice + choices("open_data_status")
        self.engagement_stage.choices = any_choice + choices("engagement_stage")
        self.kind.choices = any_choice + choices("municipality_kind")
