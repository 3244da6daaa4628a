"""Translated messages for AccountError codes and password-policy problems."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.services.accounts import AccountError

PASSWORD_PROBLEMS = {
    "too_short": _l("Use at least 12 characters."),
    "too_long": _l("Use at most 128 characters."),
    "common": _l("This password is on a list of common passwords; choose another."),
    "contains_email": _l("Do not use your e-mail address in the password."),
    "contains_name": _l("Do not use your name in the password."),
    "repetitive": _l("Avoid repeated characters and simple sequences such as abcd or 1234."),
}

ACCOUNT_ERRORS = {
    "wrong_current_password": _l("The current password is not correct."),
    "link_expired": _l("This link has expired. Ask your coordinator for a new one, or request a new reset link."),
    "link_used": _l("This link has already been used, or a newer link replaced it. Sign in, or ask for a new link."),
    "link_invalid": _l("This link is not valid. Check that you copied all of it."),
    "email_taken": _l("An account with this e-mail address already exists."),
    "unknown_role": _l("Unknown role."),
    "only_admins_invite_staff": _l("Only admins can invite coordinators and admins."),
    "cannot_change_own_role": _l("You cannot change your own role; ask another admin."),
    "cannot_deactivate_self": _l("You cannot deactivate your own account; ask another admin."),
    "wrong_code": _l("That code is not right. Check the time on your phone and try the newest code."),
}


def password_messages(problems) -> list[str]:
    return [str(PASSWORD_PROBLEMS[p]) for p in problems]


def account_error_messages(error: AccountError) -> list[str]:
    """What to tell the user about ``error``, one message per line."""
    if error.code == "weak_password":
        return password_messages(error.details)
    return [str(ACCOUNT_ERRORS[error.code])]
