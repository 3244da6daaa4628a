"""Routes of the communities blueprint (``/coordinator/communities``): the list, one
community with its history, registering and editing, marking dormant or active. Staff only."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.communities import bp
from app.communities.forms import CommunityFilterForm, CommunityForm, StatusForm
from app.decorators import role_required
from app.folium_maps import community_map, map_config, rendered
from app.forms import geocoding_offered, place_codes, show_place_refusal, staff_prefectures
from app.geocoding import get_geocoder
from app.i18n import current_language
from app.labels import label
from app.models import Community
from app.page_cache import cached_page
from app.pagination import requested_page
from app.services.communities import (
    NEARBY_KM,
    VISITS_SHOWN,
    CommunityFilters,
    CommunityRefused,
    LocationRefused,
    change_community_status,
    community_page,
    create_community,
    get_community,
    in_programme,
    members_of,
    non_active_near,
    programme_counts,
    status_history,
    update_community,
    visits_by_members,
)
from app.services.regions import can_see, scope_of
from app.templating import format_day
from app.web import chosen_town_outside_regions, client_address, visible_or_404
from evangelists.calendar import today_in_japan

STAFF = ("coordinator", "admin")
COMMUNITIES_PER_PAGE = 50


@bp.get("")
@role_required(*STAFF)
@cached_page
def communities():
    form = CommunityFilterForm(request.args, prefectures=staff_prefectures(), locale=current_language())
    form.validate()
    # A filter with an error is shown next to its field and ignored; the others apply.
    values = {name: "" if form[name].errors else (value or "") for name, value in form.data.items()}
    page = community_page(CommunityFilters(**values, regions=scope_of(current_user).regions),
                          page=requested_page(), per_page=COMMUNITIES_PER_PAGE)
    counts = programme_counts(c.id for c in page.items)
    return render_template("communities/communities.html", form=form, page=page, counts=counts,
                           in_programme=in_programme)


def _community_or_404(community_id: int) -> Community:
    community = get_community(community_id)
    missing = _("No community has the number %(id)s.", id=community_id)
    if community is None:
        abort(404, description=missing)
    return visible_or_404(community, missing)


def _community_form(community: Community | None) -> CommunityForm:
    """On GET filled from the stored community (or empty), on POST from what was sent."""
    posted = request.method == "POST"
    data = None
    if posted:
        prefecture = request.form.get("prefecture")
    elif community is not None:
        town = community.municipality
        prefecture = town.prefecture.code
        data = {
            "name": community.name, "website": community.website or "", "prefecture": prefecture,
            "municipality": town.code, "member_count": community.member_count,
            "contact_email": community.contact_email or "", "description": community.description,
            "address": community.address, "location": community.location_source,
            "lat": round(community.lat, 6), "lon": round(community.lon, 6),
        }
    else:
        prefecture = request.args.get("prefecture")
    prefectures, towns = place_codes(prefecture)
    return CommunityForm(
        data=data, prefectures=prefectures, municipalities=towns, locale=current_language(),
        geocoding=geocoding_offered(community.location_source if community else None),
    )


def _community_form_page(form: CommunityForm, community: Community | None, status: int = 200, **context):
    return render_template("communities/community_form.html", form=form, community=community, **context), status


def _save_community(community: Community | None):
    form = _community_form(community)
    if request.method == "GET":
        return _community_form_page(form, community)
    if request.form.get("action") == "prefecture":
        # Without JavaScript, choosing the prefecture reloads the form with its
        # municipalities; everything typed so far comes back unchanged.
        return _community_form_page(form, community, focus="municipality")
    if not form.validate_on_submit() or chosen_town_outside_regions(form.municipality):
        return _community_form_page(form, community, 422)
    try:
        if community is None:
            community = create_community(current_user, form.as_input(), geocoder=get_geocoder(),
                                         address=client_address(), today=today_in_japan())
            flash(_("Community “%(name)s” registered.", name=community.name), "success")
        else:
            changed = update_community(current_user, community, form.as_input(), geocoder=get_geocoder(),
                                       address=client_address())
            if changed:
                flash(_("Changes saved."), "success")
            else:
                flash(_("Nothing to save: the community was already like this."), "info")
    except (CommunityRefused, LocationRefused) as refused:
        show_place_refusal(form, refused)
        return _community_form_page(form, community, 422)
    return redirect(url_for("communities.community", community_id=community.id))


@bp.route("/new", methods=["GET", "POST"])
@role_required(*STAFF)
def new_community():
    return _save_community(None)


@bp.route("/<id:community_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def edit_community(community_id: int):
    return _save_community(_community_or_404(community_id))


def _status_form(community: Community) -> StatusForm:
    other = "dormant" if community.status == "active" else "active"
    return StatusForm(formdata=None, data={"status": other, "since": today_in_japan()})


def _community_page(community: Community, status_form: StatusForm, status: int = 200):
    return render_template(
        "communities/community.html",
        community=community,
        history=status_history(community),
        members=[e for e in members_of(community) if can_see(current_user, e)],
        nearby=non_active_near(community.lat, community.lon),
        nearby_km=int(NEARBY_KM),
        visits=[v for v in visits_by_members(community) if can_see(current_user, v.assignment.request)],
        visits_shown=VISITS_SHOWN,
        status_form=status_form,
        # The small map of where the community meets (its name travels as JSON, not script).
        map=rendered(community_map, (community.id, community.lat, community.lon,
                                     {"name": community.name, "romaji": None})),
        config=map_config([], [], current_language()),
    ), status


@bp.get("/<id:community_id>")
@role_required(*STAFF)
@cached_page
def community(community_id: int):
    found = _community_or_404(community_id)
    return _community_page(found, _status_form(found))


@bp.post("/<id:community_id>/status")
@role_required(*STAFF)
def community_status(community_id: int):
    """Mark the community dormant or active again, from a date (default today)."""
    found = _community_or_404(community_id)
    form = StatusForm()
    if not form.validate_on_submit():
        return _community_page(found, form, 422)
    try:
        change_community_status(current_user, found, form.status.data, form.since.data, form.note.data or "",
                                address=client_address(), today=today_in_japan())
    except CommunityRefused as refused:
        if refused.reason == "before_current":
            form.since.errors = [*form.since.errors, _(
                "The date cannot be before the current status began (%(date)s).",
                date=format_day(found.status_since))]
        else:
            show_place_refusal(form, refused)
        return _community_page(found, form, 422)
    flash(_("“%(name)s” is now marked %(status)s.", name=found.name,
            status=label("community_status", found.status)), "success")
    return redirect(url_for("communities.community", community_id=found.id))
