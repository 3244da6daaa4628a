"""Sending e-mail through the configured SMTP server (``MAIL_SERVER``), if any.

Without a server the app never tries: links are shown to the coordinator instead.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale

from app.extensions import db
from app.links import external_url
from app.models import Notice, User
from app.models.base import utcnow
from app.notice_kinds import kind_of
from app.secrets_at_rest import unseal
from app.services.accounts import make_password_token, max_age, usable


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def compose(to: str, subject: str, body: str, *, message_id: str | None = None,
            attachments: list[Attachment] = ()) -> EmailMessage:
    """A plain-text message from MAIL_SENDER (replies to MAIL_REPLY_TO), composed by the
    standard library's ``email`` package (no hand-built MIME). ``message_id`` keeps the
    same Message-ID on every try of one notice; ``attachments`` are calendar
    invitations and the like."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    if config.get("MAIL_REPLY_TO"):
        message["Reply-To"] = config["MAIL_REPLY_TO"]
    message["Subject"] = subject
    message["Date"] = formatdate(utcnow().timestamp(), usegmt=True)  # a header, not words for people
    message["Message-ID"] = message_id or make_msgid(domain=_mail_domain())
    message.set_content(body)
    for attachment in attachments:
        maintype, subtype = attachment.content_type.split("/", 1)
        message.add_attachment(attachment.data, maintype=maintype, subtype=subtype,
                               filename=attachment.filename, params=dict(attachment.params))
    return message


def send_message(message: EmailMessage) -> None:
    """Hand ``message`` to MAIL_SERVER; raises smtplib/OSError errors to the caller."""
    config = current_app.config
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config.get("MAIL_TIMEOUT", 15)) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)


def _mail_domain() -> str:
    return urlsplit(current_app.config.get("PUBLIC_BASE_URL") or "").hostname or "evangelist-network.invalid"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "text/calendar"
    data: bytes
    params: tuple[tuple[str, str], ...] = ()  # e.g. (("method", "REQUEST"),)


# --- Notices: one mail per notice, written at delivery time ------------------------------------

# Attachments per kind: ``ATTACHERS[kind](notice) -> list[Attachment]`` (the bookings'
# .ics invitations register theirs here).
ATTACHERS: dict[str, object] = {}
# Context made only when the mail is written, per kind: ``DELIVERY_CONTEXT[kind](notice)
# -> dict`` (a password link: made at delivery time, in the mail only, never stored; the
# in-app list's title does not make one).
DELIVERY_CONTEXT: dict[str, object] = {}


def compose_notice(notice: Notice) -> EmailMessage | None:
    """The mail of ``notice``: its template in Japanese, then (for people who chose
    English, and for towns) in English, each with the footer saying why it was sent.
    None if there is nobody to write to."""
    user = notice.user
    to = user.email if user is not None else notice.email
    if not to:
        return None
    kind = kind_of(notice.kind)
    languages = ["ja"] + (["en"] if user is None or user.locale == "en" else [])
    subjects, bodies = [], []
    made_now = DELIVERY_CONTEXT.get(notice.kind)
    extra = made_now(notice) if made_now else {}
    for language in languages:
        with force_locale(language):
            subject, body = render_notice(notice.kind, {**notice_context(notice), **extra})
            footer = render_template("mail/_footer.txt", kind=kind, recipient=user, notice=notice,
                                     preferences=_preferences_link(user))
        subjects.append(subject)
        bodies.append(f"{body.rstrip()}\n\n{footer.strip()}\n")
    subject = subjects[0] if len(subjects) == 1 else f"{subjects[0]} / {subjects[1]}"
    separator = "\n" + "-" * 40 + " English " + "-" * 20 + "\n\n"
    attach = ATTACHERS.get(notice.kind)
    return compose(to, subject, separator.join(bodies), message_id=notice.message_id,
                   attachments=attach(notice) if attach else [])


def _preferences_link(user: User | None) -> str | None:
    if user is None or "notices.preferences" not in current_app.view_functions:
        return None
    return external_url("notices.preferences")


def notice_context(notice: Notice) -> dict:
    """What a notice's template gets (app/notice_kinds.py's docstring)."""
    kind = kind_of(notice.kind)
    request = notice.request
    context = {"notice": notice, "p": notice.params or {}, "request": request, "recipient": notice.user,
               "link": None, "status_link": None}
    if notice.user is not None:
        context["link"] = kind.link(notice)
        if notice.kind == "digest":
            ids = [int(i) for i in (notice.params or {}).get("ids", [])]
            items = db.session.scalars(sa.select(Notice).where(Notice.id.in_(ids)).order_by(Notice.created_at)).all()
            context["digest_items"] = [
                {"title": notice_title(item), "link": kind_of(item.kind).link(item)} for item in items
            ]
    elif request is not None and request.token_sealed:
        token = unseal(request.token_sealed)
        if token is not None:
            context["status_link"] = external_url("support.status", token=token)
    return context


def render_notice(kind: str, context: dict) -> tuple[str, str]:
    """``(subject, body)`` of ``kind``'s template in the current language."""
    text = render_template(f"mail/{kind}.txt", **context)
    subject, _, body = text.lstrip("\n").partition("\n")
    return " ".join(subject.split()), body.strip("\n") + "\n"


def notice_title(notice: Notice) -> str:
    """The one line the in-app list shows: the subject in the current language."""
    return render_notice(notice.kind, notice_context(notice))[0]


def password_link(token: str, purpose: str) -> str:
    return external_url("auth.set_password", purpose=purpose, token=token)


def link_hours(purpose: str) -> int:
    """How many hours a password link of ``purpose`` works (config's ``*_MAX_AGE``)."""
    return int(max_age(purpose).total_seconds() // 3600)


def _password_context(purpose: str):
    """The delivery-time context of a password mail: a link made now (its hours count
    from the sending), never stored. None when the mail should carry no link: the account
    is closed, an invitation went to someone who has since set a password, or the notice
    waited longer than a link would have worked."""

    def context(notice: Notice) -> dict:
        user = notice.user
        extra = {"hours": link_hours(purpose), "days": max_age(purpose).days, "password_link": None}
        if user is None or not user.is_active or (purpose == "invitation" and usable(user.password_hash)):
            return extra
        if notice.created_at is not None and utcnow() - notice.created_at > max_age(purpose):
            return extra
        extra["password_link"] = password_link(make_password_token(user, purpose), purpose)
        return extra

    return context


DELIVERY_CONTEXT["password_invitation"] = _password_context("invitation")
DELIVERY_CONTEXT["password_reset"] = _password_context("reset")
