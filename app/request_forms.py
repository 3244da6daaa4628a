"""The request form: a town asks for an evangelist on ``/request`` (``RequestForm``), or a
coordinator records what a town asked by phone, mail, post or in person on
``/coordinator/requests/new`` (``IntakeForm``: the same fields and checks, the e-mail
optional, plus how and when it was received). Shared by those blueprints, like
app/visit_forms.py."""

from __future__ import annotations

import secrets
from datetime import date

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
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

from app.form_fields import CheckboxesField, LenientDateField
from app.forms import BaseForm, readable_date, set_place_choices
from app.i18n import current_language
from app.labels import label
from app.messages import message
from app.services.geography import list_prefectures, municipalities_of
from app.services.requests import Submission
from app.services.topics import list_topics
from evangelists.contact import normalize_phone
from evangelists.limits import (
    CONTACT_NAME_MAX,
    DEPARTMENT_MAX,
    EMAIL_MAX,
    PREFERRED_PERIOD_MAX,
    received_on_refusal,
)
from evangelists.vocabulary import STAFF_REQUEST_SOURCES

MESSAGE_MAX = 2000


def contact_email(description, *, required: bool = True) -> EmailField:
    """A town contact's e-mail address, checked the same way on every form (optional only
    where a coordinator records a request the town made by phone)."""
    presence = DataRequired(message=_l("Enter an e-mail address.")) if required else Optional()
    return EmailField(
        _l("E-mail address") if required else _l("E-mail address (optional)"),
        validators=[presence,
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

    def as_submission(self) -> Submission:
        """What was typed, as the service takes it (after ``validate``): text stripped, an
        empty e-mail as none, the phone in E.164, the form's one-time value (or a new one)."""
        return Submission(
            municipality_code=self.municipality.data,
            contact_name=self.contact_name.data.strip(),
            department=self.department.data.strip(),
            email=(self.email.data or "").strip() or None,
            phone=self.phone_e164,
            topics=tuple(self.topics.data),
            mode=self.mode.data,
            period=(self.period.data or "").strip(),
            message=(self.message.data or "").strip(),
            nonce=self.nonce.data or secrets.token_urlsafe(24),
        )




class IntakeForm(RequestForm):
    """What a coordinator records for a town that asked by phone, mail, post or in person:
    the request form's fields and checks, with the e-mail optional (a phone number or an
    e-mail address is needed so the town can be reached), how it was received and when.
    No honeypot: only signed-in staff see it."""

    email = contact_email(_l("The receipt and its status link are mailed here. Without it, nothing is mailed "
                             "to the town: you read the link to them or post it."), required=False)
    source = SelectField(_l("Received by"), validators=[DataRequired(message=_l("Choose how the request came in."))])
    received_on = LenientDateField(
        _l("Received on"), validators=[InputRequired(message=_l("Enter the day the town asked.")), readable_date],
        description=_l("The day of the call, mail or visit (Japan time), e.g. 2026-04-01. Not in the future."),
    )
    website = None
    send = SubmitField(_l("Record the request"))

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.source.choices = [("", _("Choose…"))] + [(s, label("request_source", s)) for s in STAFF_REQUEST_SOURCES]
        self.contact_name.label.text = _("Contact person")
        if self.received_on.data is None and not self.received_on.raw_data:
            self.received_on.data = today

    def validate_source(self, field):
        if field.data and field.data not in STAFF_REQUEST_SOURCES:
            raise ValidationError(_("Choose how the request came in."))

    def validate_received_on(self, field):
        reason = received_on_refusal(field.data, self.today) if field.data else None
        if reason is not None:
            raise ValidationError(message("intake", reason))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Both fields are optional on their own (Optional() ends their checks when empty).
        if not (self.email.data or "").strip() and not (self.phone.data or "").strip():
            self.email.errors = [*self.email.errors, message("intake", "contact_required")]
            valid = False
        return valid


def request_form_for(form_class: type[RequestForm], *, prefectures: list | None = None, **extra) -> RequestForm:
    """``form_class`` (the town's form or the coordinator's intake) for this request: the
    prefectures, the chosen prefecture's municipalities (posted, or ``?prefecture=`` on a
    GET, which also preselects it) and the topics in the user's language. The caller sets
    the one-time nonce of a form shown."""
    chosen = request.form.get("prefecture") if request.method == "POST" else request.args.get("prefecture")
    form = form_class(prefectures=prefectures if prefectures is not None else list_prefectures(), municipalities=municipalities_of(chosen), topics=list_topics(),
                      locale=current_language(), **extra)
    if request.method == "GET":
        form.prefecture.data = chosen or ""
    return form
