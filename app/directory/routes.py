"""Routes of the directory blueprint (``/communities``): the public list and map of the
communities that opted in, one community's public page, and the registration form.
Thin: app/services/community_directory.py reads, community_registrations.py writes."""

from __future__ import annotations

import secrets

from flask import abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.decorators import public
from app.directory import bp
from app.directory.forms import CommunityRegistrationForm, DirectoryFilterForm
from app.extensions import limiter
from app.folium_maps import community_map, directory_map, map_config, rendered
from app.i18n import current_language
from app.messages import show_refusal
from app.page_cache import cached_page, fresh_value
from app.pagination import requested_page
from app.services.community_directory import DirectoryFilters, directory_page, public_community
from app.services.community_registrations import RegistrationRefused, submit_registration
from app.services.geography import list_prefectures, municipalities_of
from app.web import client_address

PER_PAGE = 30


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
    return render_template("directory/register.html", form=form, **context), status


@bp.route("/register", methods=["GET", "POST"])
@public
@limiter.limit("10 per hour", methods=["POST"], deduct_when=_created, scope="community-registration")
@cached_page
def register():
    """A community asks to be listed: stored for a coordinator's review, never shown before."""
    form = _form()
    if request.method == "GET":
        return _page(form)
    if form.homepage.data:
        # A bot filled the hidden field: answer as if all went well, store nothing.
        current_app.logger.info("community registration honeypot filled from %s", client_address())
        return redirect(url_for("directory.thanks"))
    if request.form.get("action") == "prefecture":
        # Without JavaScript, choosing the prefecture reloads the form with its
        # municipalities; everything typed so far comes back unchanged.
        return _page(form, focus="municipality")
    if not form.validate_on_submit():
        return _page(form, 422)
    try:
        submit_registration(form.as_input(), address=client_address())
    except RegistrationRefused as refused:
        show_refusal(form, refused)
        return _page(form, 422)
    g.registration_created = True
    return redirect(url_for("directory.thanks"))


@bp.get("/register/thanks")
@public
def thanks():
    return render_template("directory/thanks.html")
