"""Sending e-mail through the configured SMTP server (``MAIL_SERVER``), if any.

Without a server the app never tries: links are shown to the coordinator instead.
"""

from __future__ import annotations

import smtplib
import threading
from email.message import EmailMessage

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from app.links import external_url
from app.models import SupportRequest, User
from app.services.accounts import max_age
from app.services.requests import coordinator_emails


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
    return external_url("auth.set_password", purpose=purpose, token=token)


def link_hours(purpose: str) -> int:
    """How many hours a password link of ``purpose`` works (config's ``*_MAX_AGE``)."""
    return int(max_age(purpose).total_seconds() // 3600)


def send_password_link(user: User, token: str, purpose: str, *, background: bool = False) -> None:
    """E-mail a password link. With ``background`` the message goes out after the
    response (errors are logged), so the answer takes as long whether or not the
    address has an account."""
    link = password_link(token, purpose)
    if purpose == "invitation":
        subject = _("Invitation to Evangelist Network")
        body = ngettext(
            "Hello %(name)s,\n\nYou have been invited to Evangelist Network. Set your password "
            "with this link within %(num)d day:\n\n%(link)s\n\nIf you did not expect this message, ignore it.",
            "Hello %(name)s,\n\nYou have been invited to Evangelist Network. Set your password "
            "with this link within %(num)d days:\n\n%(link)s\n\nIf you did not expect this message, ignore it.",
            max_age(purpose).days, name=user.display_name, link=link,
        )
    else:
        subject = _("Set a new password for Evangelist Network")
        body = ngettext(
            "Hello %(name)s,\n\nSomeone (hopefully you) asked to set a new password. Use this link "
            "within %(num)d hour:\n\n%(link)s\n\nIf you did not ask, ignore this message: your "
            "password stays as it is.",
            "Hello %(name)s,\n\nSomeone (hopefully you) asked to set a new password. Use this link "
            "within %(num)d hours:\n\n%(link)s\n\nIf you did not ask, ignore this message: your "
            "password stays as it is.",
            link_hours(purpose), name=user.display_name, link=link,
        )
    if background:
        send_in_background([(user.email, subject, body)])
    else:
        send_mail(user.email, subject, body)


def send_in_background(messages: list[tuple[str, str, str]]) -> None:
    """Send ``(to, subject, body)`` messages after the response; failures are logged,
    never shown to the person who caused them."""
    app = current_app._get_current_object()

    def deliver() -> None:
        with app.app_context():
            for to, subject, body in messages:
                try:
                    send_mail(to, subject, body)
                except (smtplib.SMTPException, OSError) as error:
                    app.logger.warning("could not e-mail %s: %s", to, error)

    threading.Thread(target=deliver, name="send-mail", daemon=True).start()


def send_request_notices(support_request: SupportRequest, token: str) -> None:
    """Confirmation with the private status link to the contact, and a notice to every
    coordinator. Written in Japanese and English: the reader's language is unknown."""
    number = support_request.id
    status = external_url("support.status", token=token)
    town = support_request.municipality.name
    confirmation = (
        f"{support_request.contact_name} 様\n\n"
        f"オープンデータ伝道師への支援依頼（受付番号 {number}）を受け付けました。\n"
        f"進み具合の確認、メッセージの追加、取り下げは次のリンクから行えます（他の方に共有しないでください）。\n\n"
        f"{status}\n\n"
        f"We have received your request for an open data evangelist (number {number}).\n"
        f"Follow it, add a message or withdraw it with the private link above.\n"
    )
    messages = [(support_request.email, f"支援依頼を受け付けました（受付番号 {number}）", confirmation)]
    queue = external_url("coordinator.request_detail", request_id=number)
    notice = f"{town} から新しい支援依頼（{number}）が届きました。\nNew request {number} from {town}.\n\n{queue}\n"
    messages += [(email, f"新しい支援依頼 {number}: {town}", notice) for email in coordinator_emails()]
    send_in_background(messages)
