"""Routes of the communities blueprint (``/coordinator/communities``): the list, one
community with its history, registering and editing, marking dormant or active. Staff only."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.communities import bp
from app.communities.forms import (
    AcceptRegistrationForm,
    CommunityFilterForm,
    CommunityForm,
    DeclineRegistrationForm,
    RegistrationListForm,
    StatusForm,
)
from app.decorators import role_required
from app.folium_maps import community_map, map_config, rendered
from app.forms import geocoding_offered, place_codes, show_place_refusal, staff_prefectures
from app.geocoding import get_geocoder
from app.i18n import current_language
from app.labels import label
from app.messages import flash_refusal, show_refusal
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
    community_choices,
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
from app.services.community_registrations import (
    RegistrationRefused,
    accept_registration,
    decline_registration,
    get_registration,
    pending_count,
    possible_duplicates,
    registration_page,
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
                           in_programme=in_programme, pending=pending_count(scope_of(current_user)))


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
            "public": community.public, "how_to_join": community.how_to_join,
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


# --- registrations from the public form (issue 22.5) --------------------------------------

REGISTRATIONS_PER_PAGE = 30


@bp.get("/registrations")
@role_required(*STAFF)
def registrations():
    """Communities that registered themselves: those waiting first (the oldest on top),
    each with the known communities it may be; accepted and declined ones on request."""
    form = RegistrationListForm(request.args)
    status = form.status.data if form.validate() and form.status.data else "pending"
    scope = scope_of(current_user)
    page = registration_page(scope, status=status, page=requested_page(), per_page=REGISTRATIONS_PER_PAGE)
    return render_template("communities/registrations.html", form=form, status=status, page=page,
                           duplicates=possible_duplicates(page.items) if status == "pending" else {},
                           pending=pending_count(scope))


def _registration_or_404(registration_id: int):
    found = get_registration(registration_id)
    missing = _("No community registration has the number %(id)s.", id=registration_id)
    if found is None:
        abort(404, description=missing)
    return visible_or_404(found, missing)


def _accept_form(registration, duplicates) -> AcceptRegistrationForm:
    flagged = [(m.other.id, m.other.name) for m in duplicates if m.other.kind == "community"]
    flagged_ids = {cid for cid, _name in flagged}
    others = [(cid, name) for cid, name in community_choices(registration.municipality.prefecture.code)
              if cid not in flagged_ids]
    form = AcceptRegistrationForm(duplicates=flagged, others=others)
    if request.method == "GET" and flagged and duplicates[0].how == "same":
        form.merge_into.data = str(flagged[0][0])  # the same name: merging is the likely answer
    return form


def _registration_page(registration, *, accept_form=None, decline_form=None, status: int = 200):
    duplicates = possible_duplicates([registration]).get(registration.id, []) if registration.status == "pending" else []
    return render_template(
        "communities/registration.html", registration=registration, duplicates=duplicates,
        accept_form=accept_form or _accept_form(registration, duplicates),
        decline_form=decline_form or DeclineRegistrationForm(formdata=None),
    ), status


@bp.get("/registrations/<id:registration_id>")
@role_required(*STAFF)
def registration(registration_id: int):
    return _registration_page(_registration_or_404(registration_id))


def _already_decided(registration):
    """A decision sent for a registration decided meanwhile (another tab, a colleague):
    said on its page, which shows the decision."""
    flash_refusal(RegistrationRefused(None, "not_pending"))
    return redirect(url_for("communities.registration", registration_id=registration.id))


@bp.post("/registrations/<id:registration_id>/accept")
@role_required(*STAFF)
def accept(registration_id: int):
    found = _registration_or_404(registration_id)
    if found.status != "pending":
        return _already_decided(found)
    duplicates = possible_duplicates([found]).get(found.id, []) if found.status == "pending" else []
    form = _accept_form(found, duplicates)
    if not form.validate_on_submit():
        return _registration_page(found, accept_form=form, status=422)
    target = None
    if form.merge_id() is not None:
        target = get_community(form.merge_id())
        if target is None or not can_see(current_user, target):
            form.merge_into.errors = [*form.merge_into.errors, _("Choose from the list.")]
            return _registration_page(found, accept_form=form, status=422)
    try:
        community = accept_registration(current_user, found, merge_into=target, today=today_in_japan(),
                                        address=client_address())
    except RegistrationRefused as refused:
        show_refusal(form, refused, elsewhere="form")
        return _registration_page(found, accept_form=form, status=422)
    if target is None:
        flash(_("Registration accepted: “%(name)s” is now listed in the public directory.", name=community.name),
              "success")
    else:
        flash(_("Registration merged into “%(name)s”, which is now listed in the public directory.",
                name=community.name), "success")
    return redirect(url_for("communities.community", community_id=community.id))


@bp.post("/registrations/<id:registration_id>/decline")
@role_required(*STAFF)
def decline(registration_id: int):
    found = _registration_or_404(registration_id)
    if found.status != "pending":
        return _already_decided(found)
    form = DeclineRegistrationForm()
    if not form.validate_on_submit():
        return _registration_page(found, decline_form=form, status=422)
    try:
        decline_registration(current_user, found, form.reason.data, address=client_address())
    except RegistrationRefused as refused:
        show_refusal(form, refused, field="reason" if refused.field == "reason" else None)
        return _registration_page(found, decline_form=form, status=422)
    flash(_("Registration of “%(name)s” declined; the registrant is told why.", name=found.name), "success")
    return redirect(url_for("communities.registrations"))
