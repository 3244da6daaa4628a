"""Routes of the apply blueprint: ``/apply`` (the form), ``/apply/check-mail`` and
``/apply/confirm/<token>`` (the mailed link). Thin: app/services/applications.py decides
and commits. Every page is ``no-store``: they show what one person typed, or carry their
link's token (which also gets ``Referrer-Policy: no-referrer``, app/security.py)."""

from __future__ import annotations

import click
from flask import current_app, g, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from app.apply import bp
from app.apply.forms import ApplicationForm, ConfirmForm
from app.decorators import public
from app.extensions import limiter
from app.i18n import current_language
from app.mail import mail_configured
from app.messages import refusal_message, show_refusal
from app.security import no_store
from app.services import applications as service
from app.services.communities import community_choices
from app.services.geography import list_prefectures, municipalities_of
from app.services.recruitment import RecruitmentRefused
from app.services.topics import list_topics
from app.web import client_address
from evangelists.limits import read_id

APPLIED = "applied_email"  # session: the address the "check your mail" page names
CONFIRMED = "application_confirmed"  # session: the confirmation page may be shown


def _page(template: str, status: int = 200, **context):
    return no_store(make_response(render_template(template, **context), status))


def _sent(_response) -> bool:
    return bool(g.get("application_sent"))


def _form() -> ApplicationForm:
    prefecture = request.form.get("prefecture") if request.method == "POST" else None
    chosen = read_id(request.form.get("community")) if request.method == "POST" else None
    return ApplicationForm(prefectures=list_prefectures(), municipalities=municipalities_of(prefecture),
                           communities=community_choices(prefecture or "", chosen, public=True), topics=list_topics(),
                           locale=current_language())


@bp.route("", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["APPLY_PER_ADDRESS"], key_func=get_remote_address, methods=["POST"], deduct_when=_sent,
               scope="apply", error_message=lambda: _("Too many applications from your network just now. Please "
                                                      "try again in an hour."))
def apply():
    """The application form: who, where, what they can advise on, when; optional answers
    for statistics; the privacy notice."""
    form = _form()
    if request.method == "GET":
        return _page("apply/apply.html", form=form, can_mail=mail_configured())
    if form.website.data:
        # A bot filled the hidden field: answer as if all went well, store nothing.
        current_app.logger.info("application honeypot filled from %s", client_address())
        return redirect(url_for("apply.check_mail"))
    if request.form.get("action") == "prefecture":
        # Without JavaScript, choosing the prefecture reloads the form with its
        # municipalities and communities; everything typed so far comes back unchanged.
        return _page("apply/apply.html", form=form, can_mail=mail_configured(), focus="municipality")
    if not form.validate_on_submit():
        return _page("apply/apply.html", 422, form=form, can_mail=mail_configured())
    if not mail_configured():
        form.form_errors.append(_("This site cannot send e-mail just now, so nobody can confirm an application. "
                                  "Please try again later."))
        return _page("apply/apply.html", 422, form=form, can_mail=False)
    try:
        service.submit(form.as_input(current_language()), address=client_address())
    except (service.ApplicationRefused, RecruitmentRefused) as refused:
        show_refusal(form, refused)
        return _page("apply/apply.html", 422, form=form, can_mail=True)
    g.application_sent = True
    session[APPLIED] = form.email.data.strip()
    return redirect(url_for("apply.check_mail"))


@bp.get("/check-mail")
@public
def check_mail():
    """After applying: the confirmation link is on its way."""
    return _page("apply/check_mail.html", email=session.get(APPLIED), hours=service.CONFIRM_HOURS)


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@public
def confirm(token: str):
    """The mailed link: a button confirms (a mail scanner that opens links confirms
    nothing); then the application goes to the coordinators."""
    try:
        service.pending(token)
    except service.ApplicationRefused as refused:
        status = 410 if refused.reason == "link_expired" else 404
        return _page("apply/link_problem.html", status, problem=refusal_message(refused))
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            service.confirm(token, address=client_address())
        except service.ApplicationRefused as refused:
            return _page("apply/link_problem.html", 404, problem=refusal_message(refused))
        session[CONFIRMED] = True
        return redirect(url_for("apply.confirmed"))
    return _page("apply/confirm.html", form=form)


@bp.get("/confirmed")
@public
def confirmed():
    """After confirming: what happens next (the same words whatever the check found)."""
    if not session.get(CONFIRMED):
        return redirect(url_for("apply.apply"))
    return _page("apply/confirmed.html")


# -- housekeeping -------------------------------------------------------------------------------


@bp.cli.command("remove-expired")
def remove_expired_command():
    """Delete applications whose confirmation link expired unused."""
    count = service.remove_expired()
    click.echo(f"Removed {count} unconfirmed applications.")
