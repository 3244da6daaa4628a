"""The public application form: the person (names and their readings, as a nomination
takes them), their address, home base and community, what they can advise on, where and
how much, and optional answers used only for statistics."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
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
    NumberField,
    WholeNumberField,
    reading_field,
)
from app.forms import BaseForm, choice_values, set_place_choices
from app.labels import choices
from app.models.applications import AVAILABILITY_MAX, COMMUNITY_OTHER_MAX, MOTIVATION_MAX
from app.services.applications import ApplicationInput
from app.services.evangelists import CAPACITY_RANGE, TRAVEL_RADIUS_RANGE
from app.services.recruitment import NAME_MAX
from evangelists.limits import EMAIL_MAX


class ApplicationForm(BaseForm):
    # Left empty by people; bots that fill every field give themselves away.
    website = StringField(_l("Leave this field empty"), render_kw={"autocomplete": "off", "tabindex": "-1"})
    family_name = StringField(
        _l("Family name"), validators=[DataRequired(message=_l("Enter your family name.")), Length(max=NAME_MAX)],
        render_kw={"autocomplete": "family-name"})
    given_name = StringField(
        _l("Given name"), validators=[DataRequired(message=_l("Enter your given name.")), Length(max=NAME_MAX)],
        render_kw={"autocomplete": "given-name"})
    family_name_kana = reading_field(FAMILY_READING_LABEL, FAMILY_READING_REQUIRED)
    given_name_kana = reading_field(GIVEN_READING_LABEL, GIVEN_READING_REQUIRED)
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(message=_l("Enter your e-mail address.")),
                    Email(check_deliverability=False, message=_l("This is not an e-mail address, e.g. name@example.jp.")),
                    Length(max=EMAIL_MAX)],
        description=_l("We mail you a link to confirm it; your application reaches the coordinators only then. "
                       "It is never published."),
        render_kw={"autocomplete": "email", "maxlength": EMAIL_MAX})
    prefecture = SelectField(_l("Prefecture"), validators=[DataRequired(message=_l("Choose your prefecture."))])
    municipality = SelectField(
        _l("Municipality"), validators=[DataRequired(message=_l("Choose your municipality."))],
        description=_l("Where you live or work: your home base for visits. After choosing the prefecture, the list "
                       "shows its municipalities."),
        validate_choice=False)
    community = SelectField(_l("Your community (optional)"), validate_choice=False,
                            description=_l("The civic tech communities of the prefecture chosen above."))
    community_other = StringField(
        _l("Another community (optional)"), validators=[Optional(), Length(max=COMMUNITY_OTHER_MAX)],
        description=_l("If your community is not in the list, its name, e.g. Code for Example."))
    skills = CheckboxesField(_l("What you can advise on"), validate_choice=False,
                             validators=[InputRequired(message=_l("Choose at least one topic."))],
                             description=_l("Choose one or more topics."))
    travel_radius_km = NumberField(
        _l("How far you can travel (km)"),
        validators=[InputRequired(message=RADIUS_MESSAGE), NumberRange(*TRAVEL_RADIUS_RANGE, message=RADIUS_MESSAGE)],
        default=50, description=_l("From your home base, for a visit on site."),
        render_kw={"min": TRAVEL_RADIUS_RANGE[0], "max": TRAVEL_RADIUS_RANGE[1], "inputmode": "decimal"})
    online_ok = BooleanField(_l("I can also advise online"), default=True)
    capacity = WholeNumberField(
        _l("Towns at the same time"),
        validators=[InputRequired(message=CAPACITY_MESSAGE), NumberRange(*CAPACITY_RANGE, message=CAPACITY_MESSAGE)],
        default=2, description=_l("How many towns you could support at the same time (%(low)s to %(high)s).",
                                  low=CAPACITY_RANGE[0], high=CAPACITY_RANGE[1]),
        render_kw={"min": CAPACITY_RANGE[0], "max": CAPACITY_RANGE[1], "step": 1, "inputmode": "numeric"})
    availability = TextAreaField(
        _l("When you are available (optional)"), validators=[Optional(), Length(max=AVAILABILITY_MAX)],
        description=_l("For example: weekday evenings and some Saturdays, about twice a month."),
        render_kw={"rows": 2, "maxlength": AVAILABILITY_MAX})
    languages = CheckboxesField(_l("Languages"), validate_choice=False,
                                validators=[InputRequired(message=_l("Choose at least one language."))],
                                description=_l("The languages you can advise in."))
    motivation = TextAreaField(
        _l("About you (optional)"), validators=[Optional(), Length(max=MOTIVATION_MAX)],
        description=_l("What you have done with open data or civic tech, and why you would like to help towns. "
                       "Up to 2,000 characters."),
        render_kw={"rows": 4, "maxlength": MOTIVATION_MAX})
    age_band = SelectField(_l("Age (optional)"), validate_choice=False)
    gender = SelectField(_l("Gender (optional)"), validate_choice=False)
    consent = BooleanField(
        _l("I agree that the programme keeps these answers to consider my application, as the privacy notice "
           "above says"),
        validators=[DataRequired(message=_l("Agree to the privacy notice to apply."))])
    send = SubmitField(_l("Apply"))

    def __init__(self, *args, prefectures, municipalities, communities, topics, locale: str, **kwargs):
        super().__init__(*args, **kwargs)
        ja = locale == "ja"
        set_place_choices(self, prefectures, municipalities, locale)
        self.community.choices = [("", _("None, or not in the list"))] + [(str(cid), name) for cid, name in communities]
        self.skills.choices = [(t.slug, t.name_ja if ja else t.name_en) for t in topics]
        self.languages.choices = choices("language")
        self.age_band.choices = [("", _("Prefer not to say"))] + choices("age_band")
        self.gender.choices = [("", _("Prefer not to say"))] + choices("gender")
        if not self.is_submitted() and not self.languages.data:
            self.languages.data = ["ja"]

    def validate_municipality(self, field):
        if field.data and field.data not in choice_values(field):
            raise ValidationError(_("Choose a municipality of the chosen prefecture."))

    def validate_community(self, field):
        if (field.data or "") not in choice_values(field):
            raise ValidationError(_("Choose from the list."))

    def validate_skills(self, field):
        if not set(field.data or ()) <= choice_values(field):
            raise ValidationError(_("Choose topics from the list."))

    def validate_languages(self, field):
        if not set(field.data or ()) <= choice_values(field):
            raise ValidationError(_("Choose languages from the list."))

    def validate_age_band(self, field):
        if (field.data or "") not in choice_values(field):
            raise ValidationError(_("Choose from the list."))

    def validate_gender(self, field):
        if (field.data or "") not in choice_values(field):
            raise ValidationError(_("Choose from the list."))

    def as_input(self, locale: str | None) -> ApplicationInput:
        return ApplicationInput(
            family_name=self.family_name.data or "", given_name=self.given_name.data or "",
            family_name_kana=self.family_name_kana.data or "", given_name_kana=self.given_name_kana.data or "",
            email=(self.email.data or "").strip(), municipality_code=self.municipality.data,
            community_id=int(self.community.data) if self.community.data else None,
            community_other=self.community_other.data or "",
            skills=tuple(self.skills.data or ()), languages=tuple(self.languages.data or ()),
            capacity=self.capacity.data, travel_radius_km=self.travel_radius_km.data,
            online_ok=bool(self.online_ok.data), availability=self.availability.data or "",
            motivation=self.motivation.data or "", age_band=self.age_band.data or None,
            gender=self.gender.data or None, consent=bool(self.consent.data), locale=locale,
        )


class ConfirmForm(BaseForm):
    submit = SubmitField(_l("Confirm and send my application"))
