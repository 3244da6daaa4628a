"""Sending e-mail through the configured SMTP server (``MAIL_SERVER``), if any.

Without a server the app never tries: links are shown to the coordinator instead.
"""

from __future__ import annotations

import smtplib
import threading
from email.message import EmailMessage

from flask import current_app, url_for
from flask_babel import gettext as _

from app.models import User


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def send_mail(to: str, subject: str, body: str) -> None:
    """Send a plain-text message; raises smtplib/OSError errors to the caller."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=15) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)


def password_link(token: str, purpose: str) -> str:
    return url_for("auth.set_password", purpose=purpose, token=token, _external=True)


def send_password_link(user: User, token: str, purpose: str, *, background: bool = False) -> None:
    """E-mail a password link. With ``background`` the message goes out after the
    response (errors are logged), so the answer takes as long whether or not the
    address has an account."""
    link = password_link(token, purpose)
    if purpose == "invitation":
        subject = _("Invitation to Evangelist Network")
        body = _(
            "Hello %(name)s,\n\nYou have been invited to Evangelist Network. Set your password "
            "with this link within 7 days:\n\n%(link)s\n\nIf you did not expect this message, ignore it.",
            name=user.display_name, link=link,
        )
    else:
        subject = _("Set a new password for Evangelist Network")
        body = _(
            "Hello %(name)s,\n\nSomeone (hopefully you) asked to set a new password. Use this link "
            "within 24 hours:\n\n%(link)s\n\nIf you did not ask, ignore this message: your "
            "password stays as it is.",
            name=user.display_name, link=link,
        )
    if not background:
        send_mail(user.email, subject, body)
        return
    app = current_app._get_current_object()

    def deliver() -> None:
        with app.app_context():
            try:
                send_mail(user_email, subject, body)
            except (smtplib.SMTPException, OSError) as error:
                app.logger.warning("could not e-mail a password link to %s: %s", user_email, error)

    user_email = user.email
    threading.Thread(target=deliver, name="send-password-link", daemon=True).start()
