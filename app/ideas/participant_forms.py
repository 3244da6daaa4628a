"""The forms of the idea box's own accounts: signing up, and leaving (with the password).
and confirming the address by choosing the first password."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from app.forms import BaseForm
from app.ideas.forms import HoneypotMixin, ProfileForm
from evangelists.limits import EMAIL_MAX
from evangelists.passwords import MAX_LENGTH


class RegistrationForm(HoneypotMixin, ProfileForm):
    """The display name, voice and optional answers of ``ProfileForm``, with the address the
    confirmation link goes to and the agreement to the terms of use."""

    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(message=_l("Enter your e-mail address.")),
                    Email(check_deliverability=False, message=_l("This is not an e-mail address, e.g. name@example.jp.")),
                    Length(max=EMAIL_MAX)],
        description=_l("We mail you a link to confirm it. It is never shown to anyone, nor published."),
        render_kw={"autocomplete": "email", "maxlength": EMAIL_MAX})
    terms = BooleanField(_l("I agree to the terms of use of the idea box"),
                         validators=[DataRequired(message=_l("Agree to the terms of use to take part."))])
    save = SubmitField(_l("Sign up"))


class VerifyForm(BaseForm):
    """The first password, as app/auth's NewPasswordForm asks it (the same policy)."""

    password = PasswordField(
        _l("Choose a password"),
        validators=[DataRequired(message=_l("Choose a password.")), Length(max=MAX_LENGTH)],
        description=_l("At least 12 characters. A phrase of several words is easy to remember and hard to guess; "
                       "common passwords and your name or e-mail address are refused."),
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(
        _l("The password again"),
        validators=[DataRequired(message=_l("Type the password again.")),
                    EqualTo("password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Confirm and sign in"))


class LeaveForm(BaseForm):
    password = PasswordField(_l("Your password"),
                             validators=[DataRequired(message=_l("Enter your password to confirm.")),
                                         Length(max=MAX_LENGTH)],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Leave the idea box"))
