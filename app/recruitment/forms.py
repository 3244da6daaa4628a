"""Forms of the recruitment pages: nominating, the evangelist record, appointing, moving.

Numbers and dates are read leniently: whatever was typed stays in the box, and one clear
message per field says what is expected.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from app.form_fields import (
    FAMILY_READING_LABEL,
    FAMILY_READING_REQUIRED,
    GIVEN_READING_LABEL,
    GIVEN_READING_REQUIRED,
    CheckboxesField,
    LenientDateField,
    NumberField,
    reading_field,
)
from app.forms import (
    BaseForm,
    PlaceMixin,
    choice_values,
    location_choices,
    readable_date,
    set_place_choices,
)
from app.models.applications import DECISION_MESSAGE_MAX
from app.services.communities import ADDRESS_MAX
from app.services.recruitment import NAME_MAX as PERSON_NAME_MAX
from app.services.recruitment import NOTE_MAX, EvangelistInput, NominationInput
from evangelists.calendar import today_in_japan
from evangelists.limits import EMAIL_MAX


class _PersonMixin:
    def validate_community(self, field):
        if field.data not in choice_values(field):
            raise ValidationError(_("Choose from the list."))

    def validate_skills(self, field):
        if not set(field.data or ()) <= choice_values(field):
            raise ValidationError(_("Choose topics from the list."))

    def community_id(self) -> int | None:
        return int(self.community.data) if self.community.data else None


def _person_choices(form, prefectures, municipalities, communities, topics, locale: str) -> None:
    ja = locale == "ja"
    set_place_choices(form, prefectures, municipalities, locale)
    form.community.choices = [("", _("No community"))] + [(str(cid), name) for cid, name in communities]
    form.skills.choices = [(t.slug, t.name_ja if ja else t.name_en) for t in topics]


# The longest name search read: longer than any name with its reading.
SEARCH_MAX = 100

# What secrets.token_urlsafe(24) makes, with room to spare (the column holds 64).
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")


class NominationForm(_PersonMixin, BaseForm):
    family_name = StringField(
        _l("Family name"), validators=[DataRequired(message=_l("Enter the family name.")), Length(max=PERSON_NAME_MAX)],
        render_kw={"autocomplete": "off"},
    )
    given_name = StringField(
        _l("Given name"), validators=[DataRequired(message=_l("Enter the given name.")), Length(max=PERSON_NAME_MAX)],
        render_kw={"autocomplete": "off"},
    )
    family_name_kana = reading_field(FAMILY_READING_LABEL, FAMILY_READING_REQUIRED)
    given_name_kana = reading_field(GIVEN_READING_LABEL, GIVEN_READING_REQUIRED)
    email = EmailField(
        _l("E-mail address (optional)"),
        validators=[Optional(), Email(message=_l("This is not an e-mail address, e.g. name@example.jp."),
                                      check_deliverability=False), Length(max=EMAIL_MAX)],
        description=_l("Needed later, when the candidate is appointed: the invitation goes to this address."),
        render_kw={"autocomplete": "off"},
    )
    prefecture = SelectField(_l("Prefecture"), validators=[DataRequired(message=_l("Choose the prefecture."))])
    municipality = SelectField(
        _l("Municipality"), validators=[DataRequired(message=_l("Choose the municipality."))],
        description=_l("Their home base: they are placed at its office on the map until someone sets a position."),
        validate_choice=False,
    )
    community = SelectField(_l("Community"), validate_choice=False,
                            description=_l("Lists the communities of the prefecture chosen above."))
    skills = CheckboxesField(_l("Skills"), validate_choice=False,
                             description=_l("The topics they can advise on."))
    note = TextAreaField(
        _l("Note (optional)"), validators=[Optional(), Length(max=NOTE_MAX)], render_kw={"rows": 3},
        description=_l("Why they are nominated, who knows them. Seen by coordinators only."),
    )
    save = SubmitField(_l("Nominate"))
    # One per form shown: a second POST of the same form finds the candidate the first made.
    nonce = HiddenField()
    # Ticked when the people shown as possibly the same are someone else.
    not_a_duplicate = BooleanField(_l("This is someone else: nominate them as a new candidate"))

    def __init__(self, *args, prefectures, municipalities, communities, topics, locale: str, **kwargs):
        super().__init__(*args, **kwargs)
        _person_choices(self, prefectures, municipalities, communities, topics, locale)

    def validate_municipality(self, field):
        if field.data and field.data not in choice_values(field):
            raise ValidationError(_("Choose a municipality of the chosen prefecture."))

    def as_input(self) -> NominationInput:
        return NominationInput(
            family_name=self.family_name.data or "",
            given_name=self.given_name.data or "",
            family_name_kana=self.family_name_kana.data or "",
            given_name_kana=self.given_name_kana.data or "",
            municipality_code=self.municipality.data,
            community_id=self.community_id(),
            email=(self.email.data or "").strip() or None,
            skills=tuple(self.skills.data or ()),
            note=self.note.data or "",
            # Only a value this site could have made counts (a hand-made one is no nonce).
            nonce=self.nonce.data if _NONCE.fullmatch(self.nonce.data or "") else None,
        )


class EvangelistForm(_PersonMixin, PlaceMixin, BaseForm):
    family_name = StringField(
        _l("Family name"), validators=[DataRequired(message=_l("Enter the family name.")), Length(max=PERSON_NAME_MAX)],
    )
    given_name = StringField(
        _l("Given name"), validators=[DataRequired(message=_l("Enter the given name.")), Length(max=PERSON_NAME_MAX)],
    )
    family_name_kana = reading_field(FAMILY_READING_LABEL, FAMILY_READING_REQUIRED)
    given_name_kana = reading_field(GIVEN_READING_LABEL, GIVEN_READING_REQUIRED)
    prefecture = SelectField(_l("Prefecture"), validators=[DataRequired(message=_l("Choose the prefecture."))])
    municipality = SelectField(
        _l("Municipality"), validators=[DataRequired(message=_l("Choose the municipality."))],
        description=_l("Their home base. After choosing the prefecture, the list shows its municipalities."),
        validate_choice=False,
    )
    community = SelectField(_l("Community"), validate_choice=False,
                            description=_l("Lists the communities of the prefecture chosen above."))
    skills = CheckboxesField(_l("Skills"), validate_choice=False,
                             description=_l("The topics they can advise on."))
    location = RadioField(_l("Position on the map"), default="municipality", validate_choice=False)
    address = StringField(
        _l("Address to look up (not stored)"), validators=[Optional(), Length(max=ADDRESS_MAX)],
        description=_l("Only the position found is kept, not the address."),
    )
    lat = NumberField(_l("Latitude"), validators=[Optional()], render_kw={"inputmode": "decimal"})
    lon = NumberField(_l("Longitude"), validators=[Optional()], render_kw={"inputmode": "decimal"})
    save = SubmitField(_l("Save"))

    def __init__(self, *args, prefectures, municipalities, communities, topics, locale: str, geocoding: bool,
                 **kwargs):
        super().__init__(*args, **kwargs)
        _person_choices(self, prefectures, municipalities, communities, topics, locale)
        self.location.choices = location_choices(geocoding, _l("At the address below, looked up by the geocoder"))
        if not geocoding:
            del self.address

    def as_input(self) -> EvangelistInput:
        address = self.address.data or "" if "address" in self else ""
        return EvangelistInput(
            family_name=self.family_name.data or "",
            given_name=self.given_name.data or "",
            family_name_kana=self.family_name_kana.data or "",
            given_name_kana=self.given_name_kana.data or "",
            municipality_code=self.municipality.data,
            community_id=self.community_id(),
            skills=tuple(self.skills.data or ()),
            location=self.location_input(address),
        )


class AppointForm(BaseForm):
    appointed_on = LenientDateField(
        _l("Appointed on"),
        validators=[readable_date, InputRequired(message=_l("Enter the date of the appointment."))],
        default=today_in_japan,
    )
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(message=_l("Enter the e-mail address the invitation goes to.")),
                    Email(message=_l("This is not an e-mail address, e.g. name@example.jp."),
                          check_deliverability=False), Length(max=EMAIL_MAX)],
        description=_l("Their account is created with this address, and the invitation to set a password goes to it."),
        render_kw={"autocomplete": "off"},
    )
    save = SubmitField(_l("Appoint"))

    def __init__(self, *args, needs_account: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not needs_account:
            del self.email

    def validate_appointed_on(self, field):
        if field.data is not None and field.data > today_in_japan():
            raise ValidationError(_("The appointment date cannot be in the future."))


DECISION_MESSAGE_DESCRIPTION = _l("Mailed to the applicant with the decision. Optional; up to 2,000 characters.")


class DeclineForm(BaseForm):
    """Declining a candidate (they leave the pipeline as retired); an applicant is mailed
    the decision with ``message``."""

    message = TextAreaField(
        _l("Message to the applicant (optional)"), validators=[Optional(), Length(max=DECISION_MESSAGE_MAX)],
        description=DECISION_MESSAGE_DESCRIPTION, render_kw={"rows": 4, "maxlength": DECISION_MESSAGE_MAX})
    save = SubmitField(_l("Decline the candidate"))

    def __init__(self, *args, applied: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not applied:
            del self.message


class ResolveForm(BaseForm):
    """A coordinator's decision on an application that may be someone we have."""

    resolution = RadioField(_l("Decision"), validate_choice=False,
                            validators=[InputRequired(message=_l("Choose what to do with the application."))])
    message = TextAreaField(
        _l("Message to the applicant if you decline (optional)"),
        validators=[Optional(), Length(max=DECISION_MESSAGE_MAX)], description=DECISION_MESSAGE_DESCRIPTION,
        render_kw={"rows": 3, "maxlength": DECISION_MESSAGE_MAX})
    save = SubmitField(_l("Save the decision"))

    def __init__(self, *args, matches, **kwargs):
        super().__init__(*args, **kwargs)
        self.resolution.choices = (
            [("someone_else", _l("Someone else: add them as a new candidate"))]
            + [(f"same_person:{m.id}", _("The same person as %(name)s (No. %(id)s): join the application to their "
                                         "record", name=m.display_name, id=m.id)) for m in matches]
            + [("declined", _l("Decline the application"))])

    def validate_resolution(self, field):
        if field.data not in choice_values(field):
            raise ValidationError(_("Choose from the list."))

    def decision(self) -> tuple[str, int | None]:
        """``(resolution, person id or None)``."""
        value = self.resolution.data or ""
        if value.startswith("same_person:"):
            return "same_person", int(value.split(":", 1)[1])
        return value, None


class MoveForm(BaseForm):
    target = HiddenField(validators=[DataRequired()])
    # What happens to the open assignments of someone paused or retired: asked on a
    # confirmation page when they hold any ("hand_back" to the queue, or "keep" on a pause).
    open_assignments = HiddenField()


class BoardFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name or reading"), validators=[Optional(strip_whitespace=False), Length(max=SEARCH_MAX)],
                    description=_l("Part of a name, its reading in kana, or in romaji (e.g. 山田, やまだ, yamada)."),
                    render_kw={"type": "search", "autocomplete": "off"})
    prefecture = SelectField(_l("Prefecture"), validators=[Optional(strip_whitespace=False)])
    community = SelectField(_l("Community"), validators=[Optional(strip_whitespace=False)],
                            description=_l("Lists the communities of the prefecture chosen."))

    def __init__(self, *args, prefectures, communities, locale: str, **kwargs):
        super().__init__(*args, **kwargs)
        ja = locale == "ja"
        self.prefecture.choices = [("", _("Any"))] + [(p.code, p.name_ja if ja else p.name_en) for p in prefectures]
        self.community.choices = [("", _("Any"))] + [(str(cid), name) for cid, name in communities]
