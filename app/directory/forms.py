"""Forms of the public community directory: its filters and the registration form."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError

from app.form_fields import WholeNumberField
from app.forms import BaseForm, choice_values, set_place_choices
from app.labels import choices
from app.services.communities import MEMBER_COUNT_RANGE, valid_website
from app.services.community_directory import QUERY_MAX
from app.services.community_registrations import RegistrationInput
from evangelists.limits import (
    COMMUNITY_DESCRIPTION_MAX,
    COMMUNITY_NAME_MAX,
    EMAIL_MAX,
    HOW_TO_JOIN_MAX,
    WEBSITE_MAX,
)

_MEMBERS_LOW, _MEMBERS_HIGH = (format(n, ",") for n in MEMBER_COUNT_RANGE)
MEMBERS_MESSAGE = _l("Enter a whole number from %(low)s to %(high)s, or leave it empty.",
                     low=_MEMBERS_LOW, high=_MEMBERS_HIGH)


class DirectoryFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name or municipality"), validators=[Optional(), Length(max=QUERY_MAX)])
    prefecture = SelectField(_l("Prefecture"), validators=[Optional(strip_whitespace=False)])
    status = SelectField(_l("Activity"), validators=[Optional(strip_whitespace=False)])

    def __init__(self, *args, prefectures, locale: str, **kwargs):
        super().__init__(*args, **kwargs)
        ja = locale == "ja"
        self.prefecture.choices = [("", _("Any"))] + [(p.code, p.name_ja if ja else p.name_en) for p in prefectures]
        self.status.choices = [("", _("Any"))] + choices("community_status")

    def validate_prefecture(self, field):
        if field.data not in choice_values(field):
            raise ValidationError(_("Choose from the list."))

    def validate_status(self, field):
        if field.data not in choice_values(field):
            raise ValidationError(_("Choose from the list."))


class CommunityRegistrationForm(BaseForm):
    """A community registers itself for the public directory (reviewed before it shows)."""

    name = StringField(
        _l("Name of the community"),
        validators=[DataRequired(message=_l("Enter the community's name.")), Length(max=COMMUNITY_NAME_MAX)],
        description=_l("As people know it, e.g. Code for Sapporo."),
        render_kw={"autocomplete": "organization", "maxlength": COMMUNITY_NAME_MAX},
    )
    prefecture = SelectField(_l("Prefecture"), validators=[DataRequired(message=_l("Choose the prefecture."))])
    municipality = SelectField(
        _l("Municipality"), validators=[DataRequired(message=_l("Choose the municipality."))],
        description=_l("Where the community is based. After choosing the prefecture, the list shows its municipalities."),
        validate_choice=False,
    )
    website = URLField(
        _l("Website (optional)"), validators=[Optional(), Length(max=WEBSITE_MAX)],
        description=_l("Starting with https:// or http://."),
        render_kw={"autocomplete": "url", "maxlength": WEBSITE_MAX},
    )
    description = TextAreaField(
        _l("What the community does (optional)"),
        validators=[Optional(), Length(max=COMMUNITY_DESCRIPTION_MAX)],
        description=_l("Its area and activities, in a few sentences. Shown in public."),
        render_kw={"rows": 4, "maxlength": COMMUNITY_DESCRIPTION_MAX},
    )
    how_to_join = TextAreaField(
        _l("How to join (optional)"), validators=[Optional(), Length(max=HOW_TO_JOIN_MAX)],
        description=_l("For example: monthly meetups, an online chat, an event page. Shown in public as plain text."),
        render_kw={"rows": 3, "maxlength": HOW_TO_JOIN_MAX},
    )
    member_count = WholeNumberField(
        _l("Members (optional)"),
        validators=[Optional(), NumberRange(*MEMBER_COUNT_RANGE, message=MEMBERS_MESSAGE)],
        description=_l("About how many people take part. The directory shows a range, e.g. 10–29 members."),
        render_kw={"min": 0, "step": 1, "inputmode": "numeric"},
    )
    contact_email = EmailField(
        _l("Contact e-mail address"),
        validators=[DataRequired(message=_l("Enter an e-mail address.")),
                    Email(message=_l("This is not an e-mail address, e.g. name@example.jp."),
                          check_deliverability=False),
                    Length(max=EMAIL_MAX)],
        description=_l("We mail a link to this address: the registration reaches the coordinators only once "
                       "you open it. For the coordinators only; never shown in public."),
        render_kw={"autocomplete": "email", "maxlength": EMAIL_MAX},
    )
    consent = BooleanField(
        _l("We agree that the community's name, area, website, description, how to join and activity are "
           "shown in the public directory."),
        validators=[DataRequired(message=_l("Tick the box to agree to the public listing: without it the "
                                            "community cannot be listed."))],
    )
    # Left empty by people; bots that fill every field give themselves away.
    homepage = StringField(_l("Leave this field empty"), render_kw={"autocomplete": "off", "tabindex": "-1"})
    nonce = HiddenField()
    send = SubmitField(_l("Send the registration"))

    def __init__(self, *args, prefectures, municipalities, locale: str, **kwargs):
        super().__init__(*args, **kwargs)
        set_place_choices(self, prefectures, municipalities, locale)

    def validate_municipality(self, field):
        if field.data and field.data not in choice_values(field):
            raise ValidationError(_("Choose a municipality of the chosen prefecture."))

    def validate_website(self, field):
        if field.data and not valid_website(field.data.strip()):
            raise ValidationError(_("Enter a web address starting with https:// or http://, e.g. https://www.code4sapporo.org."))

    def as_input(self) -> RegistrationInput:
        return RegistrationInput(
            name=self.name.data or "",
            municipality_code=self.municipality.data,
            contact_email=(self.contact_email.data or "").strip(),
            consent=bool(self.consent.data),
            website=(self.website.data or "").strip() or None,
            description=self.description.data or "",
            how_to_join=self.how_to_join.data or "",
            member_count=self.member_count.data or 0,
            nonce=self.nonce.data or None,
        )


class ConfirmRegistrationForm(BaseForm):
    """The button on the mailed link's page (opening the link alone confirms nothing)."""

    submit = SubmitField(_l("Confirm and send the registration"))
