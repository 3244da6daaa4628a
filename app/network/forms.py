"""Forms of the communities and recruitment pages.

Numbers and dates are read leniently: whatever was typed stays in the box, and one clear
message per field says what is expected.
"""

from __future__ import annotations


from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError

from app.form_fields import LenientDateField, NumberField, WholeNumberField
from app.forms import BaseForm
from app.labels import choices
from app.services.communities import (
    ADDRESS_MAX,
    LAT_RANGE,
    LON_RANGE,
    MEMBER_COUNT_RANGE,
    NAME_MAX,
    CommunityInput,
    LocationInput,
    valid_website,
)
from app.services.recruitment import NAME_MAX as PERSON_NAME_MAX
from app.services.recruitment import NOTE_MAX, EvangelistInput, NominationInput
from app.support.forms import CheckboxesField, set_place_choices
from evangelists.calendar import today_in_japan
from evangelists.limits import EMAIL_MAX, WEBSITE_MAX


def _readable_date(form, field):
    if getattr(field, "unreadable", False):
        raise ValidationError(_("Enter a date like 2030-04-01."))


def _values(field) -> set[str]:
    return {value for value, _label in field.choices}


# Numbers shown in the messages, written once ("1,000,000", "20", "46").
_MEMBERS_LOW, _MEMBERS_HIGH = (format(n, ",") for n in MEMBER_COUNT_RANGE)
_LAT_LOW, _LAT_HIGH = (format(n, "g") for n in LAT_RANGE)
_LON_LOW, _LON_HIGH = (format(n, "g") for n in LON_RANGE)
MEMBERS_MESSAGE = _l("Enter a whole number from %(low)s to %(high)s.", low=_MEMBERS_LOW, high=_MEMBERS_HIGH)
LAT_MESSAGE = _l("Enter a latitude from %(low)s to %(high)s (Japan), e.g. 35.6812.", low=_LAT_LOW, high=_LAT_HIGH)
LON_MESSAGE = _l("Enter a longitude from %(low)s to %(high)s (Japan), e.g. 139.7671.", low=_LON_LOW, high=_LON_HIGH)


class _PlaceMixin:
    """The prefecture → municipality picker and the location choice shared by the forms."""

    def validate_municipality(self, field):
        if field.data and field.data not in _values(field):
            raise ValidationError(_("Choose a municipality of the chosen prefecture."))

    def validate_location(self, field):
        if field.data not in _values(field):
            raise ValidationError(_("Choose from the list."))

    def _coordinate(self, field, low_high, message):
        if self.location.data != "manual":
            return
        if getattr(field, "unreadable", False) or field.data is None:
            raise ValidationError(message)
        if not low_high[0] <= field.data <= low_high[1]:
            raise ValidationError(message)

    def validate_lat(self, field):
        self._coordinate(field, LAT_RANGE, LAT_MESSAGE)

    def validate_lon(self, field):
        self._coordinate(field, LON_RANGE, LON_MESSAGE)

    def location_input(self, address: str = "") -> LocationInput:
        manual = self.location.data == "manual"
        return LocationInput(
            source=self.location.data,
            lat=self.lat.data if manual else None,
            lon=self.lon.data if manual else None,
            address=address,
        )


def _location_choices(geocoding: bool, address_label) -> list[tuple[str, str]]:
    options = [("municipality", str(_l("At the municipality's office (default)")))]
    if geocoding:
        options.append(("geocoded", str(address_label)))
    options.append(("manual", str(_l("At the latitude and longitude typed below"))))
    return options


class CommunityForm(_PlaceMixin, BaseForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(message=_l("Enter the community's name.")), Length(max=NAME_MAX)],
        description=_l("For example Code for Sapporo. Two communities cannot have the same name."),
    )
    website = URLField(
        _l("Website (optional)"), validators=[Optional(), Length(max=WEBSITE_MAX)],
        description=_l("Starting with https:// or http://."),
    )
    prefecture = SelectField(_l("Prefecture"), validators=[DataRequired(message=_l("Choose the prefecture."))])
    municipality = SelectField(
        _l("Municipality"), validators=[DataRequired(message=_l("Choose the municipality."))],
        description=_l("Where the community is based. After choosing the prefecture, the list shows its municipalities."),
        validate_choice=False,
    )
    member_count = WholeNumberField(
        _l("Members"),
        validators=[InputRequired(message=MEMBERS_MESSAGE), NumberRange(*MEMBER_COUNT_RANGE, message=MEMBERS_MESSAGE)],
        default=0, render_kw={"min": 0, "step": 1, "inputmode": "numeric"},
    )
    contact_email = EmailField(
        _l("Contact e-mail (optional)"),
        validators=[Optional(), Email(message=_l("This is not an e-mail address, e.g. name@example.jp."),
                                      check_deliverability=False), Length(max=EMAIL_MAX)],
    )
    description = TextAreaField(_l("Description (optional)"), validators=[Optional(), Length(max=4000)],
                                render_kw={"rows": 4})
    address = StringField(
        _l("Address (optional)"), validators=[Optional(), Length(max=ADDRESS_MAX)],
        description=_l("Where the community meets, e.g. 札幌市中央区北1条西2丁目."),
    )
    location = RadioField(_l("Position on the map"), default="municipality", validate_choice=False)
    lat = NumberField(_l("Latitude"), validators=[Optional()], render_kw={"inputmode": "decimal"})
    lon = NumberField(_l("Longitude"), validators=[Optional()], render_kw={"inputmode": "decimal"})
    save = SubmitField(_l("Save the community"))

    def __init__(self, *args, prefectures, municipalities, locale: str, geocoding: bool, **kwargs):
        super().__init__(*args, **kwargs)
        set_place_choices(self, prefectures, municipalities, locale)
        self.location.choices = _location_choices(geocoding, _l("At the address above, looked up by the geocoder"))

    def validate_website(self, field):
        if field.data and not valid_website(field.data.strip()):
            raise ValidationError(_("Enter a web address starting with https:// or http://, e.g. https://www.code4sapporo.org."))

    def validate_address(self, field):
        if self.location.data == "geocoded" and not (field.data or "").strip():
            raise ValidationError(_("Enter the address to look up."))

    def as_input(self) -> CommunityInput:
        return CommunityInput(
            name=self.name.data or "",
            municipality_code=self.municipality.data,
            website=(self.website.data or "").strip() or None,
            member_count=self.member_count.data,
            contact_email=(self.contact_email.data or "").strip() or None,
            description=self.description.data or "",
            address=self.address.data or "",
            location=self.location_input(self.address.data or ""),
        )


class CommunityFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name"), validators=[Optional(), Length(max=100)])
    prefecture = SelectField(_l("Prefecture"), validators=[Optional(strip_whitespace=False)])
    status = SelectField(_l("Status"), validators=[Optional(strip_whitespace=False)])

    def __init__(self, *args, prefectures, locale: str, **kwargs):
        super().__init__(*args, **kwargs)
        ja = locale == "ja"
        self.prefecture.choices = [("", _("Any"))] + [(p.code, p.name_ja if ja else p.name_en) for p in prefectures]
        self.status.choices = [("", _("Any"))] + choices("community_status")


class StatusForm(BaseForm):
    """Mark a community dormant or active again."""

    status = HiddenField(validators=[DataRequired()])
    since = LenientDateField(
        _l("Since"), validators=[_readable_date, Optional()],
        description=_l("The day the change took effect. Empty means today."),
    )
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=1000)], render_kw={"rows": 2},
                         description=_l("Why, e.g. no meetings since spring; a new organiser took over."))
    submit = SubmitField()

    def validate_status(self, field):
        if field.data not in {value for value, _label in choices("community_status")}:
            raise ValidationError(_("Choose from the list."))


class _PersonMixin:
    def validate_community(self, field):
        if field.data not in _values(field):
            raise ValidationError(_("Choose from the list."))

    def validate_skills(self, field):
        if not set(field.data or ()) <= _values(field):
            raise ValidationError(_("Choose topics from the list."))

    def community_id(self) -> int | None:
        return int(self.community.data) if self.community.data else None


def _person_choices(form, prefectures, municipalities, communities, topics, locale: str) -> None:
    ja = locale == "ja"
    set_place_choices(form, prefectures, municipalities, locale)
    form.community.choices = [("", _("No community"))] + [(str(cid), name) for cid, name in communities]
    form.skills.choices = [(t.slug, t.name_ja if ja else t.name_en) for t in topics]


class NominationForm(_PersonMixin, BaseForm):
    family_name = StringField(
        _l("Family name"), validators=[DataRequired(message=_l("Enter the family name.")), Length(max=PERSON_NAME_MAX)],
        render_kw={"autocomplete": "off"},
    )
    given_name = StringField(
        _l("Given name"), validators=[DataRequired(message=_l("Enter the given name.")), Length(max=PERSON_NAME_MAX)],
        render_kw={"autocomplete": "off"},
    )
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
    community = SelectField(_l("Community"), validate_choice=False)
    skills = CheckboxesField(_l("Skills"), validate_choice=False,
                             description=_l("The topics they can advise on."))
    note = TextAreaField(
        _l("Note (optional)"), validators=[Optional(), Length(max=NOTE_MAX)], render_kw={"rows": 3},
        description=_l("Why they are nominated, who knows them. Seen by coordinators only."),
    )
    save = SubmitField(_l("Nominate"))

    def __init__(self, *args, prefectures, municipalities, communities, topics, locale: str, **kwargs):
        super().__init__(*args, **kwargs)
        _person_choices(self, prefectures, municipalities, communities, topics, locale)

    def validate_municipality(self, field):
        if field.data and field.data not in _values(field):
            raise ValidationError(_("Choose a municipality of the chosen prefecture."))

    def as_input(self) -> NominationInput:
        return NominationInput(
            family_name=self.family_name.data or "",
            given_name=self.given_name.data or "",
            municipality_code=self.municipality.data,
            community_id=self.community_id(),
            email=(self.email.data or "").strip() or None,
            skills=tuple(self.skills.data or ()),
            note=self.note.data or "",
        )


class EvangelistForm(_PersonMixin, _PlaceMixin, BaseForm):
    family_name = StringField(
        _l("Family name"), validators=[DataRequired(message=_l("Enter the family name.")), Length(max=PERSON_NAME_MAX)],
    )
    given_name = StringField(
        _l("Given name"), validators=[DataRequired(message=_l("Enter the given name.")), Length(max=PERSON_NAME_MAX)],
    )
    prefecture = SelectField(_l("Prefecture"), validators=[DataRequired(message=_l("Choose the prefecture."))])
    municipality = SelectField(
        _l("Municipality"), validators=[DataRequired(message=_l("Choose the municipality."))],
        description=_l("Their home base. After choosing the prefecture, the list shows its municipalities."),
        validate_choice=False,
    )
    community = SelectField(_l("Community"), validate_choice=False)
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
        self.location.choices = _location_choices(geocoding, _l("At the address below, looked up by the geocoder"))
        if not geocoding:
            del self.address

    def as_input(self) -> EvangelistInput:
        address = self.address.data or "" if "address" in self else ""
        return EvangelistInput(
            family_name=self.family_name.data or "",
            given_name=self.given_name.data or "",
            municipality_code=self.municipality.data,
            community_id=self.community_id(),
            skills=tuple(self.skills.data or ()),
            location=self.location_input(address),
        )


class AppointForm(BaseForm):
    appointed_on = LenientDateField(
        _l("Appointed on"),
        validators=[_readable_date, InputRequired(message=_l("Enter the date of the appointment."))],
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


class MoveForm(BaseForm):
    target = HiddenField(validators=[DataRequired()])


class BoardFilterForm(BaseForm):
    class Meta:
        csrf = False

    prefecture = SelectField(_l("Prefecture"), validators=[Optional(strip_whitespace=False)])
    community = SelectField(_l("Community"), validators=[Optional(strip_whitespace=False)])

    def __init__(self, *args, prefectures, communities, locale: str, **kwargs):
        super().__init__(*args, **kwargs)
        ja = locale == "ja"
        self.prefecture.choices = [("", _("Any"))] + [(p.code, p.name_ja if ja else p.name_en) for p in prefectures]
        self.community.choices = [("", _("Any"))] + [(str(cid), name) for cid, name in communities]
