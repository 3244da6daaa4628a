"""The preferences form: one choice per kind of notice the person can get."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SubmitField

from app.forms import BaseForm
from app.labels import choices
from app.notice_kinds import Kind

FIELD_PREFIX = "mode_"


def preferences_form(kinds: list[Kind], current: dict[str, str], **kwargs) -> BaseForm:
    """A form with a radio group ``mode_<kind>`` for each of ``kinds`` (security kinds
    excluded by the caller: they have no field, so a posted value for one is ignored),
    starting at ``current`` (the person's choices) or the kind's default."""

    class PreferencesForm(BaseForm):
        submit = SubmitField(_l("Save"))

    for kind in kinds:
        setattr(PreferencesForm, FIELD_PREFIX + kind.name,
                RadioField(kind.label, choices=choices("notice_mode"), default=current.get(kind.name, kind.default)))
    return PreferencesForm(**kwargs)
