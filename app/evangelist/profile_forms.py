"""The evangelist's profile form (``/me/profile``).

Numbers and the date are read leniently: whatever was typed stays in the box, and one
clear message per field says what is expected, instead of WTForms' generic "Not a valid
integer value." followed by a second message about the range.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    NumberRange,
    Optional,
    ValidationError,
)

from app.form_fields import (
    CAPACITY_MESSAGE,
    FAMILY_READING_LABEL,
    FAMILY_READING_REQUIRED,
    GIVEN_READING_LABEL,
    GIVEN_READING_REQUIRED,
    RADIUS_MESSAGE,
    CheckboxesField,
    LenientDateField,
    NumberField,
    WholeNumberField,
    reading_field,
)
from app.forms import BaseForm, set_place_choices
from app.labels import choices
from app.services.evangelists import CAPACITY_RANGE, TRAVEL_RADIUS_RANGE
from evangelists.calendar import today_in_japan


class ProfileForm(BaseForm):
    family_name_kana = reading_field(FAMILY_READING_LABEL, FAMILY_READING_REQUIRED)
    given_name_kana = reading_field(GIVEN_READING_LABEL, GIVEN_READING_REQUIRED)
    prefecture = SelectField(_l("Prefecture"), validators=[DataRequired(message=_l("Choose your prefecture."))])
    municipality = SelectField(
        _l("Municipality"),
        validators=[DataRequired(message=_l("Choose your municipality."))],
        description=_l("Your home base. Changing it moves your position on the map to this municipality."),
        validate_choice=False,
    )
    skills = CheckboxesField(
        _l("Skills"), validate_choice=False,
        description=_l("The topics you can advise on. Requests are matched against them."),
    )
    capacity = WholeNumberField(
        _l("Capacity"),
        validators=[InputRequired(message=CAPACITY_MESSAGE), NumberRange(*CAPACITY_RANGE, message=CAPACITY_MESSAGE)],
        description=_l("How many assignments you can take on at the same time (%(low)s to %(high)s).",
                       low=CAPACITY_RANGE[0], high=CAPACITY_RANGE[1]),
        render_kw={"min": CAPACITY_RANGE[0], "max": CAPACITY_RANGE[1], "step": 1, "inputmode": "numeric"},
    )
    travel_radius_km = NumberField(
        _l("Travel radius (km)"),
        validators=[InputRequired(message=RADIUS_MESSAGE), NumberRange(*TRAVEL_RADIUS_RANGE, message=RADIUS_MESSAGE)],
        description=_l("How far from your home base you can travel for a visit on site."),
        render_kw={"min": TRAVEL_RADIUS_RANGE[0], "max": TRAVEL_RADIUS_RANGE[1], "inputmode": "decimal"},
    )
    online_ok = BooleanField(_l("I can also advise online"))
    languages = CheckboxesField(
        _l("Languages"), validate_choice=False,
        validators=[InputRequired(message=_l("Choose at least one language."))],
        description=_l("The languages you can advise in."),
    )
    age_band = SelectField(_l("Age"), validate_choice=False)
    gender = SelectField(_l("Gender"), validate_choice=False)
    paused_until = LenientDateField(
        _l("Pause until"),
        validators=[Optional()],
        description=_l("Leave it empty while you can take on requests. With a date, you are paused: "
                       "no new proposals up to and including that day."),
    )

    def __init__(self, *args, prefectures, municipalities, topics, locale: str, can_pause: bool, **kwargs):
        super().__init__(*args, **kwargs)
        ja = locale == "ja"
        set_place_choices(self, prefectures, municipalities, locale)
        self.skills.choices = [(t.slug, t.name_ja if ja else t.name_en) for t in topics]
        self.languages.choices = choices("language")
        self.age_band.choices = [("", _("Prefer not to say"))] + choices("age_band")
        self.gender.choices = [("", _("Prefer not to say"))] + choices("gender")
        if not can_pause:
            # Candidates and retired evangelists are moved by a coordinator, not here.
            del self.paused_until

    def validate_municipality(self, field):
        if field.data and field.data not in _values(field):
            raise ValidationError(_("Choose a municipality of the chosen prefecture."))

    def validate_skills(self, field):
        if not set(field.data or ()) <= _values(field):
            raise ValidationError(_("Choose topics from the list."))

    def validate_languages(self, field):
        if not set(field.data or ()) <= _values(field):
            raise ValidationError(_("Choose languages from the list."))

    def validate_age_band(self, field):
        if field.data not in _values(field):
            raise ValidationError(_("Choose from the list."))

    def validate_gender(self, field):
        if field.data not in _values(field):
            raise ValidationError(_("Choose from the list."))

    def validate_paused_until(self, field):
        if getattr(field, "unreadable", False):
            raise ValidationError(_("Enter a date like 2030-04-01."))
        if field.data is not None and field.data < today_in_japan():
            raise ValidationError(_("Choose today or a later date, or leave it empty."))

    def changes(self) -> dict:
        """What the form asks for, as ``app.services.evangelists.update_profile`` takes it."""
        wanted = {
            "family_name_kana": self.family_name_kana.data or "",
            "given_name_kana": self.given_name_kana.data or "",
            "home_municipality": self.municipality.data,
            "skills": list(self.skills.data or ()),
            "capacity": self.capacity.data,
            "travel_radius_km": self.travel_radius_km.data,
            "online_ok": bool(self.online_ok.data),
            "languages": list(self.languages.data or ()),
            "age_band": self.age_band.data or None,
            "gender": self.gender.data or None,
        }
        if "paused_until" in self:
            wanted["paused_until"] = self.paused_until.data
        return wanted


def _values(field) -> set[str]:
    return {value for value, _label in field.choices}
