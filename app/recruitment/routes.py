"""Routes of the recruitment blueprint (``/coordinator/recruitment``): the board, nominating,
and one evangelist as a coordinator sees them (``/coordinator/recruitment/<id>``). Staff only."""

from __future__ import annotations

import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from app.decorators import role_required
from app.forms import geocoding_offered, place_codes, show_place_refusal, staff_prefectures
from app.geocoding import get_geocoder
from app.i18n import current_language
from app.labels import label
from app.mail import mail_configured, password_link
from app.messages import flash_refusal, message, show_refusal
from app.models import Evangelist
from app.page_cache import cached_page
from app.pagination import MAX_PAGE
from app.recruitment import bp
from app.recruitment.forms import (
    AppointForm,
    BoardFilterForm,
    DeclineForm,
    EvangelistForm,
    MoveForm,
    NominationForm,
    ResolveForm,
)
from app.safe_redirect import safe_next_url
from app.services import accounts, applications
from app.services.communities import LocationRefused, community_choices, get_community
from app.services.recruitment import (
    HAND_BACK_TARGETS,
    MOVE_VERBS,
    OPEN_WORK_CHOICES,
    BoardFilters,
    BoardPages,
    MoveResult,
    RecruitmentRefused,
    allowed_moves,
    assignments_of,
    evangelist_history,
    get_evangelist,
    is_appointment,
    move_evangelist,
    nomination_of,
    open_assignment_list,
    possible_duplicates,
    recruitment_board,
    transition_refusal,
    update_evangelist,
    visits_of_evangelist,
)
from app.services.recruitment import (
    nominate as nominate_candidate,
)
from app.services.regions import can_see, scope_of
from app.services.topics import list_topics
from app.web import chosen_town_outside_regions, client_address, visible_or_404
from evangelists.calendar import today_in_japan
from evangelists.lifecycle import TransitionRefused
from evangelists.limits import read_id
from evangelists.vocabulary import ACTIVE_ASSIGNMENT_STATUSES, EVANGELIST_STATUSES

STAFF = ("coordinator", "admin")

# What each move is called on its button and in the history.
MOVE_BUTTONS = {
    "appointed": _l("Appoint…"),
    "reappointed": _l("Appoint again…"),
    "paused": _l("Pause"),
    "resumed": _l("Resume"),
    "retired": _l("Retire"),
    "declined": _l("Decline the candidate…"),
}


# --- The recruitment board -------------------------------------------------------------------------


def _move_buttons(person: Evangelist) -> list[tuple[str, str, bool]]:
    """``(target, button text, is an appointment)`` for each move allowed from here."""
    return [
        (target, str(MOVE_BUTTONS[MOVE_VERBS[(person.status, target)]]), is_appointment(person.status, target))
        for target in allowed_moves(person.status)
    ]


# The query argument holding the page of each column, and of the per-community table.
COLUMN_PAGE_ARGS = {status: f"{status}_page" for status in EVANGELIST_STATUSES}
COMMUNITY_PAGE_ARG = "community_page"


def _page_arg(name: str) -> int:
    """``?<name>=`` as a page number: unreadable or too small is 1, too large MAX_PAGE."""
    return min(max(request.args.get(name, default=1, type=int), 1), MAX_PAGE)


@bp.get("")
@role_required(*STAFF)
@cached_page
def recruitment():
    """The board: one page of each column (``?candidate_page=`` ...) and of the
    per-community table (``?community_page=``), in 五十音 order of the reading; ``?q=``
    keeps the people whose name or reading (kana or romaji) holds it. The community filter offers the chosen
    prefecture's communities (and the one chosen), not every community in the country."""
    chosen = read_id(request.args.get("community"))
    choices = community_choices(request.args.get("prefecture", ""), chosen)
    form = BoardFilterForm(request.args, prefectures=staff_prefectures(), communities=choices,
                           locale=current_language())
    form.validate()
    prefecture = "" if form.prefecture.errors else (form.prefecture.data or "")
    community_id = int(form.community.data) if form.community.data and not form.community.errors else None
    query = "" if form.q.errors else " ".join((form.q.data or "").split())
    pages = BoardPages(columns=tuple((status, _page_arg(arg)) for status, arg in COLUMN_PAGE_ARGS.items()),
                       communities=_page_arg(COMMUNITY_PAGE_ARG))
    scope = scope_of(current_user)
    board = recruitment_board(BoardFilters(prefecture=prefecture, community=community_id, q=query,
                                           regions=scope.regions), pages)
    shown = [person for column in board.columns.values() for person in column.items]
    to_check = applications.applications_to_check(scope)
    people = applications.people_by_id({i for a in to_check.items for i in a.matches or []})

    def duplicate_names(application) -> str:
        """"山田 花子, someone in another region": who an application may be."""
        names = [people[i].display_name if can_see(current_user, people[i]) else _("someone in another region")
                 for i in application.matches or [] if i in people]
        return ", ".join(names) or _("someone no longer in the network")

    return render_template(
        "recruitment/recruitment.html", form=form, board=board, statuses=EVANGELIST_STATUSES,
        to_check=to_check, duplicate_names=duplicate_names, applied=applications.applied_ids(shown),
        move_buttons=_move_buttons, move_form=MoveForm(formdata=None),
        filtered=bool(prefecture or community_id or query), query=query, here=request.full_path.rstrip("?"),
        page_args=COLUMN_PAGE_ARGS, community_page_arg=COMMUNITY_PAGE_ARG,
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required(*STAFF)
def nominate():
    """Nominate someone as a candidate; ``?community=<id>`` starts from that community."""
    posted = request.method == "POST"
    data = None
    prefecture = request.form.get("prefecture") if posted else request.args.get("prefecture")
    if not posted:
        # A number no id can be (the database's integers end there) is no community.
        chosen = read_id(request.args.get("community"))
        from_community = get_community(chosen) if chosen else None
        if from_community is not None and can_see(current_user, from_community):
            prefecture = from_community.municipality.prefecture.code
            data = {"community": str(from_community.id), "prefecture": prefecture,
                    "municipality": from_community.municipality.code}
        elif prefecture:
            data = {"prefecture": prefecture}
    prefectures, towns = place_codes(prefecture)
    chosen = request.form.get("community") if posted else (data or {}).get("community")
    form = NominationForm(data=data, prefectures=prefectures, municipalities=towns,
                          communities=community_choices(prefecture or "", read_id(chosen)), topics=list_topics(),
                          locale=current_language())
    if not posted:
        form.nonce.data = secrets.token_urlsafe(24)  # one per form shown: see nominate_candidate
        return render_template("recruitment/nominate.html", form=form)
    if request.form.get("action") == "prefecture":
        return render_template("recruitment/nominate.html", form=form, focus="municipality")
    if not form.validate_on_submit() or _outside_regions(form):
        return render_template("recruitment/nominate.html", form=form), 422
    try:
        matches = [] if form.not_a_duplicate.data else possible_duplicates(form.as_input())
        if matches:
            # Shown with what was typed; nominating needs the box ticked.
            return render_template("recruitment/nominate.html", form=form, matches=matches,
                                   visible=lambda person: can_see(current_user, person)), 409
        candidate = nominate_candidate(current_user, form.as_input(), address=client_address())
    except RecruitmentRefused as refused:
        show_place_refusal(form, refused)
        return render_template("recruitment/nominate.html", form=form), 422
    flash(_("%(name)s is nominated as a candidate.", name=candidate.display_name), "success")
    return redirect(url_for("recruitment.evangelist", evangelist_id=candidate.id))


# --- One evangelist ----------------------------------------------------------------------------------


def _outside_regions(form) -> bool:
    """True (the fields say why) when the chosen town or community lies outside the
    signed-in coordinator's regions: they would lose sight of the person."""
    town = chosen_town_outside_regions(form.municipality)
    community = get_community(read_id(form.community.data)) if form.community.data else None
    if community is not None and not can_see(current_user, community):
        form.community.errors = [*form.community.errors, _("Choose a community of your regions.")]
        return True
    return town


def _evangelist_or_404(evangelist_id: int) -> Evangelist:
    found = get_evangelist(evangelist_id)
    missing = _("No evangelist has the number %(id)s.", id=evangelist_id)
    if found is None:
        abort(404, description=missing)
    return visible_or_404(found, missing)


@bp.get("/<id:evangelist_id>")
@role_required(*STAFF)
@cached_page
def evangelist(evangelist_id: int):
    person = _evangelist_or_404(evangelist_id)
    everything = assignments_of(person)
    # A regional coordinator sees the work in their regions; the rest is counted only.
    assignments = [a for a in everything if can_see(current_user, a.request)]
    history = evangelist_history(person)
    nominated = next((event for event in reversed(history) if event.action == "evangelist.nominated"), None)
    return render_template(
        "recruitment/evangelist.html",
        person=person,
        assignments=assignments,
        load=sum(1 for a in everything if a.status in ACTIVE_ASSIGNMENT_STATUSES),
        elsewhere=len(everything) - len(assignments),
        visits=[v for v in visits_of_evangelist(person) if can_see(current_user, v.assignment.request)],
        history=history,
        nomination=(nominated.after or {}) if nominated else None,
        applications=applications.applications_of(person),
        maybe=[a for a in applications.applications_matching(person) if can_see(current_user, a)],
        topics_named=applications.topics_named,
        moves=_move_buttons(person),
        move_form=MoveForm(formdata=None),
    )


def _evangelist_form(person: Evangelist) -> EvangelistForm:
    posted = request.method == "POST"
    data = None
    if posted:
        prefecture = request.form.get("prefecture")
    else:
        town = person.home_municipality
        prefecture = town.prefecture.code
        data = {
            "family_name": person.family_name, "given_name": person.given_name,
            "family_name_kana": person.family_name_kana, "given_name_kana": person.given_name_kana,
            "prefecture": prefecture,
            "municipality": town.code, "community": str(person.home_community_id or ""),
            "skills": [t.slug for t in person.skills], "location": person.location_source,
            "lat": round(person.lat, 6), "lon": round(person.lon, 6),
        }
    prefectures, towns = place_codes(prefecture)
    chosen = read_id(request.form.get("community")) if posted else person.home_community_id
    return EvangelistForm(
        data=data, prefectures=prefectures, municipalities=towns,
        communities=community_choices(prefecture or "", chosen),
        topics=list_topics(), locale=current_language(), geocoding=geocoding_offered(person.location_source),
    )


@bp.route("/<id:evangelist_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def edit_evangelist(evangelist_id: int):
    person = _evangelist_or_404(evangelist_id)
    form = _evangelist_form(person)

    def page(status: int = 200, **context):
        return render_template("recruitment/evangelist_form.html", form=form, person=person, **context), status

    if request.method == "GET":
        return page()
    if request.form.get("action") == "prefecture":
        return page(focus="municipality")
    if not form.validate_on_submit() or _outside_regions(form):
        return page(422)
    try:
        changed = update_evangelist(current_user, person, form.as_input(), geocoder=get_geocoder(),
                                    address=client_address())
    except (RecruitmentRefused, LocationRefused) as refused:
        show_place_refusal(form, refused)
        return page(422)
    if changed:
        flash(_("Changes saved."), "success")
    else:
        flash(_("Nothing to save: the details were already like this."), "info")
    return redirect(url_for("recruitment.evangelist", evangelist_id=person.id))


def _transition_message(person: Evangelist, refused: TransitionRefused) -> str:
    if refused.reason == "unknown_status":
        return _("That status does not exist.")
    if refused.reason == "unchanged":
        return _("%(name)s already has the status “%(status)s”.", name=person.display_name,
                 status=label("evangelist_status", refused.current))
    return _("%(name)s cannot move from “%(current)s” to “%(target)s”.", name=person.display_name,
             current=label("evangelist_status", refused.current), target=label("evangelist_status", refused.target))


@bp.route("/<id:evangelist_id>/appoint", methods=["GET", "POST"])
@role_required(*STAFF)
def appoint(evangelist_id: int):
    """Appoint a candidate (or a retired evangelist again): the date, and for someone
    without an account the e-mail address their invitation goes to."""
    person = _evangelist_or_404(evangelist_id)
    back = url_for("recruitment.evangelist", evangelist_id=person.id)
    if not is_appointment(person.status, "active"):
        reason = transition_refusal(person.status, "active")
        if reason is not None:
            flash(_transition_message(person, TransitionRefused("evangelist", person.status, "active", reason)),
                  "error")
        # else: paused people are resumed with the button on their page, not appointed again
        return redirect(back)
    needs_account = person.user is None
    data = None
    if request.method == "GET" and needs_account:
        nomination = nomination_of(person)
        data = {"email": nomination.email if nomination and nomination.email else ""}
    form = AppointForm(data=data, needs_account=needs_account)

    def page(status: int = 200):
        return render_template("recruitment/appoint.html", form=form, person=person,
                               days=accounts.max_age("invitation").days), status

    if request.method == "GET":
        return page()
    if not form.validate_on_submit():
        return page(422)
    try:
        result = move_evangelist(current_user, person, "active", appointed_on=form.appointed_on.data,
                                 email=form.email.data if needs_account else None, address=client_address(),
                                 today=today_in_japan())
    except RecruitmentRefused as refused:
        show_place_refusal(form, refused)
        return page(422)
    except TransitionRefused as refused:
        flash(_transition_message(person, refused), "error")
        return redirect(back)
    return _deliver(result)


def _deliver(result: MoveResult):
    """After an appointment: e-mail the invitation when the site can send mail, otherwise
    show the link to pass on, as the coordinator's invitation page does."""
    person, user = result.evangelist, result.user
    back = url_for("recruitment.evangelist", evangelist_id=person.id)
    if result.token is None:
        flash(_("%(name)s is appointed.", name=person.display_name), "success")
        return redirect(back)
    if mail_configured():  # the service queued the invitation's mail
        flash(_("%(name)s is appointed. The invitation was e-mailed to %(email)s.", name=person.display_name,
                email=user.email), "success")
        return redirect(back)
    return render_template(
        "recruitment/invitation.html", person=person, user=user, link=password_link(result.token, result.purpose),
        days=accounts.max_age(result.purpose).days,
    )


@bp.post("/<id:evangelist_id>/move")
@role_required(*STAFF)
def move(evangelist_id: int):
    """Pause, resume or retire (appointments go through their own form)."""
    person = _evangelist_or_404(evangelist_id)
    back = safe_next_url(request.form.get("next"), url_for("recruitment.evangelist", evangelist_id=person.id))
    form = MoveForm()
    if not form.validate_on_submit():
        flash(_("Choose a move."), "error")
        return redirect(back)
    target = form.target.data
    if is_appointment(person.status, target):
        return redirect(url_for("recruitment.appoint", evangelist_id=person.id))
    if (person.status, target) == ("candidate", "retired"):
        return redirect(url_for("recruitment.decline", evangelist_id=person.id))
    choice = form.open_assignments.data or None
    if target in HAND_BACK_TARGETS and transition_refusal(person.status, target) is None:
        waiting = open_assignment_list(person)
        if any(not can_see(current_user, a.request) for a in waiting):
            # Work held in another region is not a regional coordinator's to hand back.
            flash(_("%(name)s holds open work in another region: a national coordinator can pause or retire "
                    "them.", name=person.display_name), "error")
            return redirect(back)
        if waiting and choice not in OPEN_WORK_CHOICES[target]:
            # Ask first: what happens to the work they hold?
            return render_template("recruitment/confirm_move.html", person=person, target=target,
                                   assignments=waiting, choices=OPEN_WORK_CHOICES[target],
                                   next=request.form.get("next") or "")
    try:
        result = move_evangelist(current_user, person, target, address=client_address(), today=today_in_japan(),
                                 open_work=choice)
    except TransitionRefused as refused:
        flash(_transition_message(person, refused), "error")
        return redirect(back)
    except RecruitmentRefused as refused:
        flash_refusal(refused)
        return redirect(back)
    flash(_("%(name)s: %(before)s → %(after)s.", name=person.display_name,
            before=label("evangelist_status", result.previous), after=label("evangelist_status", target)),
          "success")
    if result.handed_back:
        flash(ngettext("%(num)s open assignment was cancelled and its request is back in the queue.",
                       "%(num)s open assignments were cancelled and their requests are back in the queue.",
                       len(result.handed_back)), "info")
    elif result.kept:
        flash(ngettext("%(name)s keeps %(num)s open assignment.", "%(name)s keeps %(num)s open assignments.",
                       result.kept, name=person.display_name), "info")
    return redirect(back)


@bp.route("/<id:evangelist_id>/decline", methods=["GET", "POST"])
@role_required(*STAFF)
def decline(evangelist_id: int):
    """Decline a candidate: they leave the pipeline (as retired). Someone who applied on
    the public form is mailed the decision, with the coordinator's optional message."""
    person = _evangelist_or_404(evangelist_id)
    back = url_for("recruitment.evangelist", evangelist_id=person.id)
    if person.status != "candidate":
        flash(_transition_message(person, TransitionRefused("evangelist", person.status, "retired",
                                                            transition_refusal(person.status, "retired")
                                                            or "not_allowed")), "error")
        return redirect(back)
    applied = applications.has_open_application(person)
    form = DeclineForm(applied=applied)

    def page(status: int = 200):
        return render_template("recruitment/decline.html", form=form, person=person, applied=applied), status

    if request.method == "GET":
        return page()
    if not form.validate_on_submit():
        return page(422)
    try:
        move_evangelist(current_user, person, "retired", address=client_address(), today=today_in_japan(),
                        message=form.message.data if applied else None)
    except TransitionRefused as refused:
        flash(_transition_message(person, refused), "error")
        return redirect(back)
    if applied:
        flash(_("%(name)s is declined. The applicant is told by e-mail.", name=person.display_name), "success")
    else:
        flash(_("%(name)s is declined and leaves the pipeline.", name=person.display_name), "success")
    return redirect(back)


# --- Public applications (app/services/applications.py) --------------------------------------------


def _application_or_404(application_id: int):
    found = applications.get_application(application_id)
    missing = _("No application has the number %(id)s.", id=application_id)
    if found is None or found.status == "unconfirmed":
        # An unconfirmed application is nobody's business yet, not even a coordinator's.
        abort(404, description=missing)
    return visible_or_404(found, missing)


@bp.route("/applications/<id:application_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def application(application_id: int):
    """A confirmed public application: the answers, where it stands, and, while it may be
    someone the network has, the decision (someone else, the same person, declined)."""
    found = _application_or_404(application_id)
    matches = applications.matched_people(found)
    form = ResolveForm(matches=matches) if found.status == "possible_duplicate" else None

    def page(status: int = 200):
        return render_template("recruitment/application.html", application=found, matches=matches, form=form,
                               topics=applications.topics_named(found.skills),
                               visible=lambda p: can_see(current_user, p)), status

    if request.method == "GET" or form is None:
        if request.method == "POST":
            flash(message("application", "not_allowed"), "info")
            return redirect(url_for("recruitment.application", application_id=found.id))
        return page()
    if not form.validate_on_submit():
        return page(422)
    resolution, person_id = form.decision()
    person = next((m for m in matches if m.id == person_id), None)
    if person is not None and not can_see(current_user, person):
        form.resolution.errors = [*form.resolution.errors, _("Someone in another region: ask a national "
                                                              "coordinator or the coordinator of that region.")]
        return page(422)
    try:
        result = applications.resolve(current_user, found, resolution, person=person, message=form.message.data,
                                      address=client_address())
    except applications.ApplicationRefused as refused:
        if refused.reason == "not_allowed":  # decided meanwhile, in another tab
            flash(message("application", "not_allowed"), "info")
            return redirect(url_for("recruitment.application", application_id=found.id))
        show_refusal(form, refused, field="resolution" if refused.field in ("person", "resolution") else None)
        return page(422)
    except RecruitmentRefused as refused:
        show_refusal(form, refused, field="resolution")
        return page(422)
    if result is None:
        flash(_("The application is declined. The applicant is told by e-mail."), "success")
        return redirect(url_for("recruitment.recruitment"))
    flash(_("The application is now on the record of %(name)s.", name=result.display_name), "success")
    return redirect(url_for("recruitment.evangelist", evangelist_id=result.id))
