"""Routes of the directory blueprint (``/communities``): the public list and map of the
communities that opted in, one community's public page, the registration form, the page
that asks to check the mail, and the mailed link that confirms the contact address
(``/communities/register/confirm/<token>``; ``no-store`` and ``Referrer-Policy:
no-referrer``, app/security.py SECRET_PATHS). Thin: app/services/community_directory.py
reads, community_registrations.py writes."""

from __future__ import annotations

import secrets

import click
from flask import abort, current_app, g, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from app.decorators import public
from app.directory import bp
from app.directory.forms import CommunityRegistrationForm, ConfirmRegistrationForm, DirectoryFilterForm
from app.extensions import limiter
from app.folium_maps import community_map, directory_map, map_config, rendered
from app.i18n import current_language
from app.mail import mail_configured
from app.messages import refusal_message, show_refusal
from app.page_cache import cached_page, fresh_value
from app.pagination import requested_page
from app.security import no_store
from app.services import community_registrations as registrations
from app.services.community_directory import DirectoryFilters, directory_page, public_community
from app.services.geography import list_prefectures, municipalities_of
from app.web import client_address

PER_PAGE = 30
REGISTERED = "registered_email"  # session: the address the "check your mail" page names
CONFIRMED = "registration_confirmed"  # session: the id of the registration just confirmed


@bp.get("")
@public
@cached_page
def communities():
    """The communities that chose to be listed, filtered by name, prefecture and activity,
    with this page's communities on a map."""
    form = DirectoryFilterForm(request.args, prefectures=list_prefectures(), locale=current_language())
    form.validate()
    # A filter with an error is shown next to its field and ignored; the others apply.
    values = {name: "" if form[name].errors else (value or "") for name, value in form.data.items()}
    page = directory_page(DirectoryFilters(**values), page=requested_page(), per_page=PER_PAGE)
    return render_template(
        "directory/communities.html", form=form, page=page, filtered=any(values.values()),
        map=rendered(directory_map, tuple(c.as_point() for c in page.items)),
        config=map_config([], [], current_language()),
    )


@bp.get("/<id:community_id>")
@public
@cached_page
def community(community_id: int):
    found = public_community(community_id)
    if found is None:
        abort(404, description=_("No community with the number %(id)s is listed in the directory.", id=community_id))
    return render_template(
        "directory/community.html", community=found,
        # Its town on a small map (the name travels as JSON, not script).
        map=rendered(community_map, (found.id, found.lat, found.lon, {"name": found.name, "romaji": None})),
        config=map_config([], [], current_language()),
    )


def _created(_response) -> bool:
    return bool(g.get("registration_created"))


def _form() -> CommunityRegistrationForm:
    chosen = request.form.get("prefecture") if request.method == "POST" else request.args.get("prefecture")
    form = CommunityRegistrationForm(prefectures=list_prefectures(), municipalities=municipalities_of(chosen),
                            locale=current_language())
    if request.method == "GET":
        form.prefecture.data = chosen or ""
        # New for every visitor, also when the page comes from the page cache: two
        # communities must never share the value that tells a resubmission from a new one.
        form.nonce.data = fresh_value("registration-form-nonce", lambda: secrets.token_urlsafe(24))
    return form


def _page(form: CommunityRegistrationForm, status: int = 200, **context):
    return render_template("directory/register.html", form=form, can_mail=mail_configured(), **context), status


def _private(template: str, status: int = 200, **context):
    return no_store(make_response(render_template(template, **context), status))


@bp.route("/register", methods=["GET", "POST"])
@public
@limiter.limit("10 per hour", methods=["POST"], deduct_when=_created, scope="community-registration")
@cached_page
def register():
    """A community asks to be listed: stored unconfirmed, a confirmation link mailed to the
    contact address; once confirmed, for a coordinator's review; never shown before."""
    form = _form()
    if request.method == "GET":
        return _page(form)
    if form.homepage.data:
        # A bot filled the hidden field: answer as if all went well, store nothing.
        current_app.logger.info("community registration honeypot filled from %s", client_address())
        return redirect(url_for("directory.check_mail"))
    if request.form.get("action") == "prefecture":
        # Without JavaScript, choosing the prefecture reloads the form with its
        # municipalities; everything typed so far comes back unchanged.
        return _page(form, focus="municipality")
    if not form.validate_on_submit():
        return _page(form, 422)
    if not mail_configured():
        form.form_errors.append(_("This site cannot send e-mail just now, so nobody can confirm a registration. "
                                  "Please try again later."))
        return _page(form, 422)
    try:
        registrations.submit_registration(form.as_input(), address=client_address())
    except registrations.RegistrationRefused as refused:
        show_refusal(form, refused)
        return _page(form, 422)
    g.registration_created = True
    session[REGISTERED] = form.contact_email.data.strip()
    return redirect(url_for("directory.check_mail"))


@bp.get("/register/check-mail")
@public
def check_mail():
    """After registering: the confirmation link is on its way to the contact address."""
    return _private("directory/check_mail.html", email=session.get(REGISTERED), hours=registrations.CONFIRM_HOURS)


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
@public
def confirm(token: str):
    """The mailed link: a button confirms (a mail scanner that opens links confirms
    nothing); then the registration waits for a coordinator's review."""
    try:
        found = registrations.unconfirmed(token)
    except registrations.RegistrationRefused as refused:
        status = 410 if refused.reason == "link_expired" else 404
        return _private("directory/link_problem.html", status, problem=refusal_message(refused))
    form = ConfirmRegistrationForm()
    if form.validate_on_submit():
        try:
            confirmed_registration = registrations.confirm_registration(token, address=client_address())
        except registrations.RegistrationRefused as refused:
            return _private("directory/link_problem.html", 404, problem=refusal_message(refused))
        session[CONFIRMED] = confirmed_registration.id
        return redirect(url_for("directory.confirmed"))
    return _private("directory/confirm.html", form=form, name=found.name)


@bp.get("/register/confirmed")
@public
def confirmed():
    """After confirming: the receipt (received, to be reviewed), on the page, not by mail."""
    registration_id = session.get(CONFIRMED)
    found = registrations.get_registration(registration_id) if isinstance(registration_id, int) else None
    if found is None:
        return redirect(url_for("directory.register"))
    return _private("directory/confirmed.html", name=found.name)


# -- housekeeping -------------------------------------------------------------------------------


@bp.cli.command("remove-expired")
def remove_expired_command():
    """Delete community registrations whose confirmation link expired unused."""
    count = registrations.remove_expired()
    click.echo(f"Removed {count} unconfirmed community registrations.")
