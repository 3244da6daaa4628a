"""The public request form and the status-page forms."""

from __future__ import annotations

import re
import unicodedata

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
    TelField,
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

from app.form_fields import CheckboxesField
from app.forms import BaseForm, set_place_choices
from evangelists.contact import normalize_phone
from evangelists.limits import (
    CONTACT_NAME_MAX,
    DEPARTMENT_MAX,
    EMAIL_MAX,
    FEEDBACK_COMMENT_MAX,
    PREFERRED_PERIOD_MAX,
)

MESSAGE_MAX = 2000


def contact_email(description) -> EmailField:
    """A town contact's e-mail address, checked the same way on every public form."""
    return EmailField(
        _l("E-mail address"),
        validators=[DataRequired(message=_l("Enter an e-mail address.")),
                    Email(message=_l("This is not an e-mail address, e.g. name@city.example.lg.jp."),
                          check_deliverability=False),
                    Length(max=EMAIL_MAX)],
        description=description,
        render_kw={"autocomplete": "email"},
    )

class RequestForm(BaseForm):
    prefecture = SelectField(_l("Prefecture"), validators=[DataRequired(message=_l("Choose your prefecture."))])
    municipality = SelectField(
        _l("Municipality"),
        validators=[DataRequired(message=_l("Choose your municipality."))],
        description=_l("After choosing the prefecture, the list shows its municipalities."),
        validate_choice=False,
    )
    contact_name = StringField(
        _l("Your name"), validators=[DataRequired(message=_l("Enter your name.")), Length(max=CONTACT_NAME_MAX)],
        render_kw={"autocomplete": "name"},
    )
    department = StringField(
        _l("Department"), validators=[DataRequired(message=_l("Enter your department.")), Length(max=DEPARTMENT_MAX)],
        description=_l("For example 情報政策課 or 企画課."),
        render_kw={"autocomplete": "organization-title"},
    )
    email = contact_email(_l("We send the confirmation and replies here."))
    phone = TelField(
        _l("Phone (optional)"), validators=[Optional(), Length(max=30)],
        description=_l("For example 03-1234-5678 or +81 3 1234 5678."),
        render_kw={"autocomplete": "tel"},
    )
    topics = CheckboxesField(
        _l("What would you like help with?"),
        validators=[InputRequired(message=_l("Choose at least one topic."))],
        description=_l("Choose one or more."),
    )
    mode = RadioField(
        _l("How should we meet?"), default="either",
        choices=[("onsite", _l("At our office")), ("online", _l("Online")), ("either", _l("Either is fine"))],
    )
    period = StringField(
        _l("When would suit you? (optional)"), validators=[Optional(), Length(max=PREFERRED_PERIOD_MAX)],
        description=_l("For example 来月以降 or 12月中旬."),
    )
    message = TextAreaField(
        _l("Message (optional)"), validators=[Optional(), Length(max=MESSAGE_MAX)],
        description=_l("What you have done so far, what worries you. Up to 2,000 characters."),
        render_kw={"rows": 5, "maxlength": MESSAGE_MAX},
    )
    # Left empty by people; bots that fill every field give themselves away.
    website = StringField(_l("Leave this field empty"), render_kw={"autocomplete": "off", "tabindex": "-1"})
    nonce = HiddenField()
    send = SubmitField(_l("Send the request"))

    def __init__(self, *args, prefectures, municipalities, topics, locale: str, **kwargs):
        super().__init__(*args, **kwargs)
        ja = locale == "ja"
        set_place_choices(self, prefectures, municipalities, locale)
        self.topics.choices = [(t.slug, t.name_ja if ja else t.name_en) for t in topics]
        self.phone_e164: str | None = None

    def validate_municipality(self, field):
        if field.data and field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_("Choose a municipality of the chosen prefecture."))

    def validate_topics(self, field):
        known = {value for value, _label in field.choices}
        if not set(field.data or ()) <= known:
            raise ValidationError(_("Choose topics from the list."))

    def validate_phone(self, field):
        if not field.data:
            return
        try:
            self.phone_e164 = normalize_phone(field.data)
        except ValueError:
            raise ValidationError(
                _("This is not a phone number we can use. Write it like 03-1234-5678 or +81 3 1234 5678.")
            ) from None


class MessageForm(BaseForm):
    body = TextAreaField(
        _l("Your message"),
        validators=[DataRequired(message=_l("Write a message first.")), Length(max=MESSAGE_MAX)],
        render_kw={"rows": 4, "maxlength": MESSAGE_MAX},
    )
    submit = SubmitField(_l("Send message"))


class WithdrawForm(BaseForm):
    confirm = BooleanField(
        _l("Yes, we no longer need help with this request."),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )
    submit = SubmitField(_l("Withdraw the request"))


class FeedbackForm(BaseForm):
    """The one question of the closing mail, on the request's status page."""

    rating = RadioField(
        _l("Was the help useful?"),
        choices=[("1", _l("1 — not useful")), ("2", "2"), ("3", "3"), ("4", "4"), ("5", _l("5 — very useful"))],
        validators=[InputRequired(message=_l("Choose a number from 1 (not useful) to 5 (very useful)."))],
        validate_choice=False,  # validate_rating says it in the page's words
    )
    comment = TextAreaField(
        _l("Comment (optional)"),
        validators=[Optional(), Length(max=FEEDBACK_COMMENT_MAX,
                                       message=_l("Keep the comment to 2,000 characters or fewer."))],
        description=_l("What helped, what was missing. The coordinators read it; the evangelist does not see it."),
        render_kw={"rows": 3, "maxlength": FEEDBACK_COMMENT_MAX},
    )
    submit = SubmitField(_l("Send the answer"))

    def validate_rating(self, field):
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_("Choose a number from 1 (not useful) to 5 (very useful)."))


class LostLinkForm(BaseForm):
    """Ask for a request's status link again: its number and the e-mail it was sent with."""

    number = StringField(
        _l("Request number"),
        validators=[DataRequired(message=_l("Enter the request number."))],
        description=_l("The number in the receipt mail, e.g. 12."),
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 12},
    )
    email = contact_email(_l("The address the request was sent with."))
    send = SubmitField(_l("Mail me the link"))

    def validate_number(self, field):
        self.number_value = request_number(field.data)
        if self.number_value is None:
            raise ValidationError(_("Enter the request number as digits only, e.g. 12."))


def request_number(text: str | None) -> int | None:
    """The request number in ``text``, as people copy it from a mail: full-width digits
    and a leading "#", "No." or "番号" are fine. None if it is not one."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    text = re.sub(r"^(?:#|no\.?|番号)\s*", "", text, flags=re.IGNORECASE)
    if not re.fullmatch(r"[0-9]{1,10}", text) or not 0 < int(text) < 2**31:
        return None
    return int(text)
