"""The forms of the outreach pages: opening a case, logging a contact, the case's details,
closing it, turning it into a request with the town's consent, the list's filters and the
bulk selection of the gap list."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from app.form_fields import FilterDateField, FilterSelectField, LenientDateField
from app.forms import BaseForm, readable_date
from app.labels import label
from evangelists.contact import normalize_phone
from evangelists.limits import CONTACT_NAME_MAX, DEPARTMENT_MAX, EMAIL_MAX, OUTREACH_TEXT_MAX
from evangelists.vocabulary import OUTREACH_CHANNELS, OUTREACH_STATUSES

ANSWERS = ("contacted", "interested", "declined")


def _channels():
    return [("", _("Choose…"))] + [(c, label("outreach_channel", c)) for c in OUTREACH_CHANNELS]


def _text_area(title, description=None):
    return TextAreaField(title, validators=[Optional(), Length(max=OUTREACH_TEXT_MAX)], description=description,
                         render_kw={"rows": 3, "maxlength": OUTREACH_TEXT_MAX})


class OpenCaseForm(BaseForm):
    """Only the button: the town is in the address, the opener owns the case."""

    municipality = HiddenField()
    submit = SubmitField(_l("Open an outreach case"))


class ContactForm(BaseForm):
    contacted_on = LenientDateField(
        _l("Date of the contact"), validators=[InputRequired(message=_l("Enter the day of the contact.")),
                                               readable_date],
        description=_l("Japan time, e.g. 2026-04-01. Not in the future."))
    channel = SelectField(_l("Contact method"), validators=[DataRequired(message=_l("Choose how you reached the town."))])
    person_name = StringField(_l("Person contacted (optional)"), validators=[Optional(), Length(max=CONTACT_NAME_MAX)])
    department = StringField(_l("Department (optional)"), validators=[Optional(), Length(max=DEPARTMENT_MAX)],
                             description=_l("For example 情報政策課 or 企画課."))
    phone = TelField(_l("Phone (optional)"), validators=[Optional(), Length(max=30)],
                     description=_l("For example 03-1234-5678 or +81 3 1234 5678."))
    email = StringField(_l("E-mail address (optional)"), validators=[
        Optional(), Email(message=_l("This is not an e-mail address, e.g. name@city.example.lg.jp."),
                          check_deliverability=False), Length(max=EMAIL_MAX)])
    answer = _text_area(_l("The answer"), _l("What the town said. Up to 2,000 characters."))
    outcome = SelectField(_l("Where the case stands now"), validators=[DataRequired()])
    next_step = _text_area(_l("Next step (optional)"))
    next_on = LenientDateField(_l("Next date (optional)"), validators=[Optional(), readable_date],
                               description=_l("For example 2026-04-15."))
    submit = SubmitField(_l("Log the contact"))

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.channel.choices = _channels()
        self.outcome.choices = [(s, label("outreach_status", s)) for s in ANSWERS]
        self.phone_e164 = None
        if self.contacted_on.data is None and not self.contacted_on.raw_data:
            self.contacted_on.data = today

    def validate_phone(self, field):
        if not field.data:
            return
        try:
            self.phone_e164 = normalize_phone(field.data)
        except ValueError:
            raise ValidationError(
                _("This is not a phone number we can use. Write it like 03-1234-5678 or +81 3 1234 5678.")) from None

    def validate_contacted_on(self, field):
        if field.data and field.data > self.today:
            raise ValidationError(_("The date cannot be in the future."))

    def validate_next_on(self, field):
        if field.data and self.contacted_on.data and field.data < self.contacted_on.data:
            raise ValidationError(_("The next date cannot be before the day of the contact."))


class CaseForm(BaseForm):
    owner = SelectField(_l("Owner"), validate_choice=False)
    evangelist = SelectField(_l("Evangelist asked to reach out (optional)"), validate_choice=False)
    community = SelectField(_l("Community asked to reach out (optional)"), validate_choice=False)
    ask = _text_area(_l("What they are asked to do (optional)"),
                     _l("The evangelist sees this on their page, with the town. Up to 2,000 characters."))
    next_step = _text_area(_l("Next step (optional)"))
    next_on = LenientDateField(_l("Next date (optional)"), validators=[Optional(), readable_date],
                               description=_l("For example 2026-04-15."))
    save = SubmitField(_l("Save"))

    def __init__(self, *args, owners, evangelists, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner.choices = [("", _("Nobody"))] + [(str(u.id), u.display_name) for u in owners]
        self.evangelist.choices = [("", _("Nobody"))] + evangelists
        self.community.choices = [("", _("None"))] + communities

    def _check(self, field, message):
        if field.data and field.data not in {value for value, _label in field.choices}:
            raise ValidationError(message)

    def validate_owner(self, field):
        self._check(field, _("Choose someone from the list."))

    def validate_evangelist(self, field):
        self._check(field, _("Choose an evangelist from the list."))

    def validate_community(self, field):
        self._check(field, _("Choose a community from the list."))


class CloseForm(BaseForm):
    reason = TextAreaField(_l("Why the case is closed"), validators=[
        DataRequired(message=_l("Say why the case is closed.")), Length(max=OUTREACH_TEXT_MAX)],
        render_kw={"rows": 2, "maxlength": OUTREACH_TEXT_MAX})
    close = SubmitField(_l("Close the case"))


class ConsentForm(BaseForm):
    consent = BooleanField(_l("The town agreed that we record a request for it"),
                           validators=[DataRequired(message=_l("Tick this once the town has agreed."))])
    consent_by = StringField(_l("Who agreed"), validators=[DataRequired(message=_l("Enter who at the town agreed.")),
                                                          Length(max=CONTACT_NAME_MAX)])
    consent_how = SelectField(_l("How they agreed"),
                              validators=[DataRequired(message=_l("Choose how the town agreed."))])
    consented_on = LenientDateField(
        _l("When they agreed"), validators=[InputRequired(message=_l("Enter the day the town agreed.")),
                                            readable_date],
        description=_l("Japan time, e.g. 2026-04-01. Not in the future, at most a year ago."))
    turn = SubmitField(_l("Turn into a request"))

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.consent_how.choices = _channels()
        if self.consented_on.data is None and not self.consented_on.raw_data:
            self.consented_on.data = today


class CaseFilterForm(BaseForm):
    class Meta:
        csrf = False

    status = FilterSelectField(_l("Status"), validators=[Optional(strip_whitespace=False)], default="open")
    prefecture = FilterSelectField(_l("Prefecture"), validators=[Optional(strip_whitespace=False)])
    owner = FilterSelectField(_l("Owner"), validators=[Optional(strip_whitespace=False)])
    due = FilterDateField(_l("Next date by"), validators=[Optional()])

    def __init__(self, *args, prefectures, owners, ja: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [("open", _("Open cases")), ("", _("All"))] + [
            (s, label("outreach_status", s)) for s in OUTREACH_STATUSES]
        self.prefecture.choices = [("", _("All"))] + [(p.code, p.name_ja if ja else p.name_en) for p in prefectures]
        self.owner.choices = [("", _("Anyone")), ("none", _("Nobody"))] + [
            (str(u.id), u.display_name) for u in owners]


class BulkOpenForm(BaseForm):
    run = HiddenField()
    confirm = SubmitField(_l("Open the cases"))


class CaseBulkForm(BaseForm):
    """One action on the ticked cases of the list: give them an owner, or close them with
    one reason."""

    action = RadioField(_l("What to do"), choices=[("owner", _l("Give them an owner")),
                                                    ("close", _l("Close them, with one reason"))],
                        validators=[DataRequired(message=_l("Choose what to do with the ticked cases."))])
    owner = SelectField(_l("Owner"), validators=[Optional(strip_whitespace=False)])
    reason = TextAreaField(_l("Why they are closed"), validators=[Length(max=OUTREACH_TEXT_MAX)],
                           render_kw={"rows": 2, "maxlength": OUTREACH_TEXT_MAX})
    run = HiddenField()

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner.choices = [("", _("Nobody"))] + [(str(u.id), u.display_name) for u in owners]

    def validate_reason(self, field):
        if self.action.data == "close" and not (field.data or "").strip():
            raise ValidationError(_("Say why the cases are closed."))
