"""Forms of signing in and of the account page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length

from app.forms import BaseForm
from evangelists.limits import EMAIL_MAX
from evangelists.passwords import MAX_LENGTH

PASSWORD_HELP = _l(
    "At least 12 characters. A phrase of several words is easy to remember and hard to guess; "
    "common passwords and your name or e-mail address are refused."
)


class SignInForm(BaseForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=EMAIL_MAX)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Keep me signed in on this device for 30 days"), default=False)
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))


class SecondFactorForm(BaseForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=20)],
        description=_l("The 6-digit code from your authenticator app, or one of your recovery codes."),
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autocapitalize": "off"},
    )
    submit = SubmitField(_l("Continue"))


class SetUpSecondFactorForm(BaseForm):
    code = StringField(
        _l("Code from the app"),
        validators=[DataRequired(), Length(max=10)],
        description=_l("After adding the account, type the 6-digit code the app shows."),
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    submit = SubmitField(_l("Turn on"))


class NewPasswordForm(BaseForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=MAX_LENGTH)],
        description=PASSWORD_HELP,
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Save password"))


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()],
                            render_kw={"autocomplete": "current-password"})


class ConfirmWithPasswordForm(BaseForm):
    """Proof that it is really you before the second factor is removed or replaced."""

    password = PasswordField(_l("Your password"), validators=[DataRequired()],
                             render_kw={"autocomplete": "current-password"})
    code = StringField(_l("Current code or a recovery code"), validators=[DataRequired(), Length(max=20)],
                       render_kw={"autocomplete": "one-time-code"})
    submit = SubmitField(_l("Remove"))


class ForgotPasswordForm(BaseForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=EMAIL_MAX)],
                       render_kw={"autocomplete": "username"})
    submit = SubmitField(_l("Send me a link"))
