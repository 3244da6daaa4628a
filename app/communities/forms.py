"""Forms of the communities pages.

Numbers and dates are read leniently: whatever was typed stays in the box, and one clear
message per field says what is expected.
"""

from __future__ import annotations

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
    URLField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from app.form_fields import LenientDateField, NumberField, WholeNumberField
from app.forms import (
    BaseForm,
    PlaceMixin,
    location_choices,
    readable_date,
    set_place_choices,
)
from app.labels import choices
from app.services.communities import (
    ADDRESS_MAX,
    MEMBER_COUNT_RANGE,
    NAME_MAX,
    CommunityInput,
    valid_website,
)
from evangelists.limits import (
    COMMUNITY_DESCRIPTION_MAX,
    DECLINE_REASON_MAX,
    EMAIL_MAX,
    HOW_TO_JOIN_MAX,
    WEBSITE_MAX,
)
from evangelists.vocabulary import REVIEWED_REGISTRATION_STATUSES

# Numbers shown in the messages, written once ("1,000,000").
_MEMBERS_LOW, _MEMBERS_HIGH = (format(n, ",") for n in MEMBER_COUNT_RANGE)
MEMBERS_MESSAGE = _l("Enter a whole number from %(low)s to %(high)s.", low=_MEMBERS_LOW, high=_MEMBERS_HIGH)


class CommunityForm(PlaceMixin, BaseForm):
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
    description = TextAreaField(_l("Description (optional)"),
                                validators=[Optional(), Length(max=COMMUNITY_DESCRIPTION_MAX)], render_kw={"rows": 4})
    address = StringField(
        _l("Address (optional)"), validators=[Optional(), Length(max=ADDRESS_MAX)],
        description=_l("Where the community meets, e.g. 札幌市中央区北1条西2丁目."),
    )
    location = RadioField(_l("Position on the map"), default="municipality", validate_choice=False)
    lat = NumberField(_l("Latitude"), validators=[Optional()], render_kw={"inputmode": "decimal"})
    lon = NumberField(_l("Longitude"), validators=[Optional()], render_kw={"inputmode": "decimal"})
    public = BooleanField(_l("List the community in the public directory"))
    how_to_join = TextAreaField(
        _l("How to join (optional)"), validators=[Optional(), Length(max=HOW_TO_JOIN_MAX)],
        description=_l("Plain text shown on its public page, e.g. monthly meetups, an online chat, an event page."),
        render_kw={"rows": 3, "maxlength": HOW_TO_JOIN_MAX},
    )
    save = SubmitField(_l("Save the community"))

    def __init__(self, *args, prefectures, municipalities, locale: str, geocoding: bool, **kwargs):
        super().__init__(*args, **kwargs)
        set_place_choices(self, prefectures, municipalities, locale)
        self.location.choices = location_choices(geocoding, _l("At the address above, looked up by the geocoder"))

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
            public=bool(self.public.data),
            how_to_join=self.how_to_join.data or "",
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
        _l("Since"), validators=[readable_date, Optional()],
        description=_l("The day the change took effect. Empty means today."),
    )
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=1000)], render_kw={"rows": 2},
                         description=_l("Why, e.g. no meetings since spring; a new organiser took over."))
    submit = SubmitField()

    def validate_status(self, field):
        if field.data not in {value for value, _label in choices("community_status")}:
            raise ValidationError(_("Choose from the list."))


class RegistrationListForm(BaseForm):
    """Which registrations the review list shows: those waiting, accepted or declined."""

    class Meta:
        csrf = False

    status = SelectField(_l("Show"), validators=[Optional(strip_whitespace=False)], default="pending")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Never the unconfirmed ones: nobody but their sender may see them.
        self.status.choices = [(value, text) for value, text in choices("community_registration_status")
                               if value in REVIEWED_REGISTRATION_STATUSES]

    def validate_status(self, field):
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_("Choose from the list."))


class AcceptRegistrationForm(BaseForm):
    """Accept a registration: as a new public community, or merged into a known one of its
    prefecture (the possible duplicates first)."""

    merge_into = SelectField(
        _l("Accept as"), default="", validate_choice=False,
        description=_l("Merging updates the known community's website, description, how to join and member "
                       "count with what the registration gives, and lists it in the public directory."),
    )
    accept = SubmitField(_l("Accept the registration"))

    def __init__(self, *args, duplicates=(), others=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.merge_into.choices = [("", _("A new community, listed in the public directory"))] + [
            (str(cid), _("Merge into “%(name)s” (possible duplicate)", name=name)) for cid, name in duplicates
        ] + [(str(cid), _("Merge into “%(name)s”", name=name)) for cid, name in others]

    def validate_merge_into(self, field):
        if (field.data or "") not in {value for value, _label in field.choices}:
            raise ValidationError(_("Choose from the list."))

    def merge_id(self) -> int | None:
        return int(self.merge_into.data) if self.merge_into.data else None


class DeclineRegistrationForm(BaseForm):
    reason = TextAreaField(
        _l("Reason for declining"),
        validators=[DataRequired(message=_l("Write the reason: it is mailed to the registrant.")),
                    Length(max=DECLINE_REASON_MAX)],
        description=_l("Mailed to the registrant as written, e.g. “We could not find any activity of the "
                       "group; write to us once it meets.”"),
        render_kw={"rows": 3, "maxlength": DECLINE_REASON_MAX},
    )
    decline = SubmitField(_l("Decline the registration"))
