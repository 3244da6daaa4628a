"""The status-page forms and the lost-link form (the request form itself is in
app/request_forms.py, shared with the coordinators' intake)."""

from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from app.forms import BaseForm
from app.request_forms import MESSAGE_MAX, contact_email
from evangelists.limits import FEEDBACK_COMMENT_MAX, read_id


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


TOWN_MESSAGE_MAX = 4000


class TownAnswerForm(BaseForm):
    """The town's answer on its status page: ask for changes, or agree (the box ticked)."""

    use_case = HiddenField()
    version = HiddenField()
    decision = HiddenField()
    message = TextAreaField(_l("What should be changed?"), validators=[Optional(), Length(max=TOWN_MESSAGE_MAX)],
                            description=_l("Say which part and how; the coordinators change it and send it to "
                                           "you again."),
                            render_kw={"rows": 4, "maxlength": TOWN_MESSAGE_MAX})
    agree = BooleanField(_l("We agree that this text is published"))

    def posted(self, name: str) -> int | None:
        return read_id(getattr(self, name).data)
