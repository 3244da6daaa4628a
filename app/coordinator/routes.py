"""Routes of the coordinator blueprint."""

from __future__ import annotations

import smtplib

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.forms import ActionForm
from app.auth.messages import account_error_messages
from app.auth.session import client_address
from app.coordinator import bp
from app.coordinator.forms import InviteForm
from app.decorators import role_required
from app.extensions import db
from app.mail import mail_configured, password_link, send_password_link
from app.models import User
from app.services import accounts
from app.services.accounts import AccountError
from app.services.network import network_summary

STAFF = ("coordinator", "admin")


@bp.get("/")
@role_required(*STAFF)
def home():
    invited = db.session.scalars(
        sa.select(User)
        .where(User.password_hash.is_(None), User.is_active.is_(True))
        .order_by(User.created_at.desc())
    ).all()
    return render_template(
        "coordinator/home.html", summary=network_summary(), invited=invited, action=ActionForm()
    )


@bp.route("/invitations/new", methods=["GET", "POST"])
@role_required(*STAFF)
def invite():
    form = InviteForm(can_invite_staff=current_user.role == "admin")
    if form.validate_on_submit():
        try:
            user, token = accounts.invite_user(
                current_user, form.email.data, form.display_name.data, form.role.data,
                address=client_address(),
            )
        except AccountError as error:
            form.email.errors.extend(account_error_messages(error))
        else:
            return _deliver(user, token, "invitation")
    return render_template("coordinator/invite.html", form=form)


@bp.post("/people/<int:user_id>/password-link")
@role_required(*STAFF)
def password_link_for(user_id: int):
    """A new invitation or reset link for someone who lost theirs."""
    user = db.get_or_404(User, user_id, description=_("No user has the number %(id)s.", id=user_id))
    if not ActionForm().validate_on_submit():
        return redirect(url_for("coordinator.home"))
    if user.role != "evangelist" and current_user.role != "admin":
        flash(_("Only admins can make links for coordinators and admins."), "error")
        return redirect(url_for("coordinator.home"))
    token, purpose = accounts.reset_link_for(current_user, user, address=client_address())
    return _deliver(user, token, purpose)


def _deliver(user: User, token: str, purpose: str):
    """E-mail the link when the site can send mail; otherwise show it to pass on."""
    if mail_configured():
        try:
            send_password_link(user, token, purpose)
        except (smtplib.SMTPException, OSError) as error:
            current_app.logger.warning("could not e-mail %s: %s", user.email, error)
            flash(_("The e-mail could not be sent, so the link is shown here instead."), "warning")
        else:
            flash(_("A link was e-mailed to %(email)s.", email=user.email), "success")
            return redirect(url_for("coordinator.home"))
    return render_template(
        "coordinator/link.html", user=user, purpose=purpose, link=password_link(token, purpose),
        days=accounts.max_age(purpose).days,
    )
