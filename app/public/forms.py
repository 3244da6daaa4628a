"""Forms of the public pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField
from wtforms.validators import Length, Optional

from app.labels import choices


class MunicipalityFilterForm(FlaskForm):
    """The search and filters of the municipality list, read from the query string."""

    class Meta:
        csrf = False  # a GET search changes nothing

    q = SearchField(
        _l("Name, reading or code"),
        validators=[Optional(), Length(max=40)],
        description=_l("For example 札幌市, さっぽろ or 011002."),
    )
    prefecture = SelectField(_l("Prefecture"), validators=[Optional()], validate_choice=True)
    open_data_status = SelectField(_l("Open data"), validators=[Optional()])
    engagement_stage = SelectField(_l("Engagement stage"), validators=[Optional()])
    kind = SelectField(_l("Kind"), validators=[Optional()])

    def __init__(self, prefectures, locale: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        any_choice = [("", str(_l("Any")))]
        self.prefecture.choices = any_choice + [
            (p.code, p.name_ja if locale == "ja" else p.name_en) for p in prefectures
        ]
        self.open_data_status.choices = any_choice + choices("open_data_status")
        self.engagement_stage.choices = any_choice + choices("engagement_stage")
        self.kind.choices = any_choice + choices("municipality_kind")
