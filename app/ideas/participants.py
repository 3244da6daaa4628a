"""/ideas: the idea box's own accounts (issue 21, point 2). Anyone reads; to post, a person
signs up here (register), confirms the address through the mailed link, which sets the
password and signs them in (verify), and from then on signs in at /auth/login. Their
account page in the idea box (account) downloads what the site holds about them (export)
and leaves (withdraw): a participant's account is deleted, a work account only leaves.
Thin: app/services/idea_accounts.py decides and commits."""

from __future__ import annotations

import json

import click
from flask import current_app, flash, g, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, logout_user

from app.decorators import public, role_required
from app.extensions import limiter
from app.i18n import current_language
from app.ideas import bp
from app.ideas.participant_forms import LeaveForm, RegistrationForm, VerifyForm
from app.ideas.routes import _honeypot_filled, _prefectures
from app.mail import link_hours
from app.messages import account_error_messages, show_refusal
from app.security import no_store
from app.services import idea_accounts as service
from app.services.accounts import AccountError
from app.services.ideas import IdeaRefused, ProfileInput, profile_of
from app.web import client_address, complete_sign_in
from evangelists.vocabulary import ROLES

REGISTERED = "idea_registered_email"  # session: the address the "check your mail" page names


def _config_limit(setting: str):
    return lambda: current_app.config[setting]


def _failed(_response) -> bool:
    return bool(g.get("auth_failed"))


def _account_key() -> str:
    return "account:" + (current_user.email if current_user.is_authenticated else "")


# Counts the sign-ups sent (each mails someone), not the forms sent back with a mistake.
_register_per_address = limiter.limit(
    _config_limit("IDEAS_REGISTER_PER_ADDRESS"), key_func=get_remote_address, methods=["POST"],
    scope="idea-register", deduct_when=lambda response: response.status_code == 302,
    error_message=lambda: _("Too many sign-ups from your network just now. Please try again in an hour."))
# Re-entering the password to leave shares the sign-in's budget of failures per account
# (the same scope as app/auth's: a stolen session gets no extra guesses here).
_password_tries = limiter.shared_limit(
    _config_limit("LOGIN_LIMIT_PER_ACCOUNT"), "password-account", key_func=_account_key, methods=["POST"],
    deduct_when=_failed)


def _page(template: str, status: int = 200, **context):
    return no_store(make_response(render_template(template, **context), status))


# -- signing up ------------------------------------------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
@public
@_register_per_address
def register():
    """Sign up to take part: e-mail, display name, voice, optional answers, the terms."""
    if current_user.is_authenticated:
        if request.method == "POST":
            return redirect(url_for("ideas.profile"))
        return _page("ideas/participants/register.html", form=None, can_mail=service.can_mail())
    form = RegistrationForm(prefectures=_prefectures())
    if form.validate_on_submit():
        if _honeypot_filled(form):
            return redirect(url_for("ideas.check_mail"))
        if not service.can_mail():
            form.form_errors.append(_("This site cannot send e-mail just now, so nobody can sign up. Please try "
                                      "again later."))
        else:
            data = service.Registration(
                email=form.email.data,
                profile=ProfileInput(handle=form.handle.data, voice=form.voice.data,
                                     prefecture_code=form.prefecture.data or None,
                                     age_band=form.age_band.data or None, gender=form.gender.data or None),
                locale=current_language())
            try:
                service.register(data, address=client_address())
            except IdeaRefused as refused:
                show_refusal(form, refused)
            except AccountError as error:
                form.email.errors = [*form.email.errors, *account_error_messages(error)]
            else:
                # The same answer whether or not the address already had an account.
                session[REGISTERED] = form.email.data.strip()
                return redirect(url_for("ideas.check_mail"))
    status = 400 if form.errors or form.form_errors else 200
    return _page("ideas/participants/register.html", status, form=form, can_mail=service.can_mail())


@bp.get("/register/check-mail")
@public
def check_mail():
    """After signing up: the link is on its way (said the same for any address)."""
    return _page("ideas/participants/check_mail.html", email=session.get(REGISTERED),
                 hours=link_hours(service.PURPOSE))


@bp.route("/verify/<token>", methods=["GET", "POST"])
@public
def verify(token: str):
    """The mailed link: confirm the address by choosing a password; then signed in."""
    try:
        user = service.pending_user(token)
    except AccountError as error:
        status = 410 if error.code in ("link_expired", "link_used") else 404
        return _page("ideas/participants/link_problem.html", status, messages=account_error_messages(error))
    form = VerifyForm()
    if form.validate_on_submit():
        try:
            service.verify(token, form.password.data, address=client_address())
        except AccountError as error:
            form.password.errors = [*form.password.errors, *account_error_messages(error)]
        else:
            if current_user.is_authenticated:
                logout_user()
            target = complete_sign_in(user, method="idea_verify_link")
            flash(_("Your address is confirmed and you are signed in. Welcome to the idea box!"), "success")
            return redirect(target)
    status = 400 if form.errors else 200
    return _page("ideas/participants/verify.html", status, form=form, user=user)


# -- the account in the idea box --------------------------------------------------------------


def _account_page(form: LeaveForm | None = None, status: int = 200):
    return _page("ideas/participants/account.html", status, profile=profile_of(current_user),
                 leave_form=form or LeaveForm())


@bp.get("/account")
@role_required(*ROLES)
def account():
    """The person's idea box: their profile, their data to download, leaving."""
    return _account_page()


@bp.get("/account/export.json")
@role_required(*ROLES)
def export():
    """Everything the idea box holds about the signed-in person, as a JSON download."""
    data = service.export_of(current_user)
    service.record_export(current_user, address=client_address())
    body = json.dumps(data, ensure_ascii=False, indent=2)
    response = make_response(body)
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="idea-box-my-data.json"'
    return no_store(response)


@bp.post("/account/leave")
@role_required(*ROLES)
@_password_tries
def withdraw():
    """Leave the idea box with the password: a participant's account is deleted, a work
    account keeps everything but its dialogue profile. Posts stay, as a withdrawn user's."""
    form = LeaveForm()
    if not form.validate_on_submit():
        return _account_page(form, 400)
    try:
        deleted = service.withdraw(current_user, form.password.data, address=client_address())
    except AccountError as error:
        if error.code == "no_profile":
            flash(account_error_messages(error)[0], "error")
            return redirect(url_for("ideas.account"))
        g.auth_failed = error.code == "wrong_current_password"
        form.password.errors = [*form.password.errors, *account_error_messages(error)]
        return _account_page(form, 400)
    if deleted:
        logout_user()
        session.clear()
        flash(_("Your account is deleted. Your posts stay, shown as a withdrawn user’s."), "success")
        return redirect(url_for("ideas.index"))
    flash(_("You have left the idea box. Your posts stay, shown as a withdrawn user’s; your work account is "
            "unchanged."), "success")
    return redirect(url_for("ideas.account"))


# -- housekeeping -------------------------------------------------------------------------------


@bp.cli.command("remove-unverified")
@click.option("--days", type=click.IntRange(0, 3650), default=None,
              help="Older than this many days (default: IDEAS_UNVERIFIED_DAYS).")
def remove_unverified_command(days):
    """Delete idea box sign-ups whose address was never confirmed."""
    count = service.remove_unverified(days=days)
    click.echo(f"Removed {count} unconfirmed sign-ups.")
