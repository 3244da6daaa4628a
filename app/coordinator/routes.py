"""Routes of the coordinator blueprint."""

from __future__ import annotations

import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app.coordinator import bp
from app.coordinator.forms import (
    AssignForm,
    BulkForm,
    DeclineForm,
    InviteForm,
    NoteForm,
    OwnerForm,
    PersonSearchForm,
    QueueFilterForm,
    RejectAdditionForm,
    ReplyForm,
    SendBackForm,
    StaffSearchForm,
)
from app.decorators import role_required
from app.folium_maps import map_config, place_of, rendered, suggestion_map
from app.forms import ActionForm, staff_prefectures
from app.i18n import current_language
from app.labels import describe_obstacles, describe_reasons, label
from app.mail import mail_configured, password_link
from app.messages import account_error_messages, flash_refusal, refusal_message, show_refusal
from app.models import SupportRequest, User
from app.page_cache import cached_page
from app.pagination import requested_page
from app.safe_redirect import safe_next_url
from app.services import accounts, dialogue, ownership
from app.services import requests as requests_service
from app.services import search as search_service
from app.services.accounts import AccountError
from app.services.admin import invited_page
from app.services.bookings import request_booking
from app.services.bulk import (
    BulkRefused,
    bulk_apply,
    chosen_requests,
    get_run,
    matching_ids,
    outcome_of,
    run_visible_to,
)
from app.services.community_registrations import pending_count
from app.services.feedback import feedback_of, feedback_summary
from app.services.matching import (
    CapacityFull,
    apply_plan,
    assignment_of,
    consider,
    plan_page,
    plan_result,
    plan_rows_for,
    propose,
    search_people,
    suggestions,
    withdraw_proposal,
)
from app.services.network import network_summary
from app.services.ownership import OwnerRefused, possible_owners
from app.services.regions import can_see, regions_of, scope_of
from app.services.requests import (
    QueueFilters,
    add_message,
    change_status,
    count_by_status,
    queue_page,
    request_history,
    send_back,
)
from app.services.topics import list_topics
from app.services.visits import VisitRefused, get_visit, update_visit
from app.services.work_queue import work_queue
from app.visit_forms import VisitForm
from app.web import client_address, visible_or_404
from evangelists.calendar import today_in_japan
from evangelists.lifecycle import TransitionRefused, forward_moves, refusal, send_back_moves
from evangelists.limits import read_id

STAFF = ("coordinator", "admin")


INVITED_PER_PAGE = 20


@bp.get("/")
@role_required(*STAFF)
@cached_page
def home():
    """The work queue (``?scope=mine``, the default: my requests and nobody's; ``all``:
    everyone's), then the headline counts, the towns' feedback, and the invitations not yet
    accepted, a page at a time (``?page=``)."""
    scope = request.args.get("scope", "mine")
    if scope not in ("mine", "all"):
        scope = "mine"
    regions = scope_of(current_user)
    return render_template(
        "coordinator/home.html", summary=network_summary(regions),
        invited=invited_page(requested_page(), INVITED_PER_PAGE, regions),
        action=ActionForm(), scope=scope, my_regions=() if regions.national else regions_of(current_user),
        queue=work_queue(current_user, mine=scope == "mine", today=today_in_japan()),
        requests_by_status=count_by_status(regions.regions), feedback=feedback_summary(scope=regions),
        registrations_pending=pending_count(regions),
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
    return render_template("coordinator/invite.html", form=form, days=accounts.max_age("invitation").days)


@bp.post("/people/<id:user_id>/password-link")
@role_required(*STAFF)
def password_link_for(user_id: int):
    """A new invitation or reset link for someone who lost theirs."""
    user = accounts.get_user(user_id)
    missing = _("No user has the number %(id)s.", id=user_id)
    if user is None:
        abort(404, description=missing)
    if user.evangelist is not None:  # a regional coordinator helps their regions' evangelists
        visible_or_404(user.evangelist, missing)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("coordinator.home"))
    if user.role != "evangelist" and current_user.role != "admin":
        flash(_("Only admins can make links for coordinators and admins."), "error")
        return redirect(url_for("coordinator.home"))
    token, purpose = accounts.reset_link_for(current_user, user, address=client_address())
    return _deliver(user, token, purpose)


def _deliver(user: User, token: str, purpose: str):
    """When the site can send mail, the service queued the link's mail (a security notice:
    the queue retries it, and an admin sees it if it fails); otherwise show it to pass on."""
    if mail_configured():
        flash(_("A link was e-mailed to %(email)s.", email=user.email), "success")
        return redirect(url_for("coordinator.home"))
    return render_template(
        "coordinator/link.html", user=user, purpose=purpose, link=password_link(token, purpose),
        days=accounts.max_age(purpose).days,
    )


# --- The search box ------------------------------------------------------------------------


@bp.get("/search")
@role_required(*STAFF)
def search():
    """The navbar's search box (``?q=``): municipalities, requests (by number too),
    evangelists and candidates, communities and (for admins) accounts, grouped by kind,
    within the searcher's regions."""
    form = StaffSearchForm(request.args)
    form.validate()
    query = "" if form.q.errors else " ".join((form.q.data or "").split())
    results = search_service.search(current_user, query) if query else None
    return render_template("coordinator/search.html", form=form, query=query, results=results,
                           per_group=search_service.SHOWN_PER_GROUP)


# --- Support requests ----------------------------------------------------------------------


@bp.get("/requests")
@role_required(*STAFF)
@cached_page
def requests():
    return _queue_page()


def _queue_filters() -> tuple[QueueFilterForm, QueueFilters]:
    """The queue's filter form (from the query string) and the filters it gives; a value
    in error filters nothing and is shown on its field."""
    form = QueueFilterForm(request.args, prefectures=staff_prefectures(), topics=list_topics(),
                           locale=current_language())
    form.validate()
    values = {name: "" if form[name].errors else (value or "") for name, value in form.data.items()}
    return form, QueueFilters(**values, viewer=current_user.id, regions=scope_of(current_user).regions)


def _queue_page(*, status: int = 200, bulk_form: BulkForm | None = None, selected: tuple[int, ...] = ()):
    form, filters = _queue_filters()
    page = queue_page(filters, page=requested_page(), per_page=50)
    pending = requests_service.pending_additions_by_request([r.id for r in page.items])
    bulk_form = bulk_form or BulkForm(formdata=None, staff=possible_owners())
    return render_template("coordinator/requests.html", form=form, page=page, pending=pending,
                           bulk_form=bulk_form, selected=set(selected)), status


@bp.post("/requests/bulk")
@role_required(*STAFF)
def bulk():
    """One action on the ticked requests (or every one matching the filters in the query
    string): a page that lists them and says what will happen, then, confirmed from that
    page (its one-time ``run`` value), all of it in one transaction, or none of it with the
    rows that refused. A run carried out is shown at its own address (a reload does not
    run it again)."""
    staff = possible_owners()
    form = BulkForm(staff=staff)
    given = request.form.getlist("ids")
    ids = [n for n in (read_id(v) for v in given) if n is not None]
    confirmed = request.form.get("confirmed") == "1" and bool(request.form.get("run"))
    if not form.validate_on_submit():
        return _queue_page(status=422, bulk_form=form, selected=tuple(ids))
    if len(ids) != len(given):
        form.form_errors.append(_("A ticked row is not a request number. Reload the list and choose again."))
        return _queue_page(status=422, bulk_form=form, selected=tuple(ids))
    owner_id = read_id(form.owner.data or None)
    try:
        if form.all_matching.data and not confirmed:  # confirmed: only the rows the review listed
            ids = matching_ids(_queue_filters()[1])
        if not confirmed:
            chosen = chosen_requests(ids, scope_of(current_user))
            owner = next((u for u in staff if u.id == owner_id), None)
            return render_template("coordinator/bulk_confirm.html", form=form, rows=chosen, owner=owner,
                                   run=secrets.token_urlsafe(24), back=_queue_args())
        result = bulk_apply(current_user, ids, form.action.data, nonce=request.form["run"][:64],
                            reason=(form.reason.data or "").strip() or None,
                            body=(form.body.data or "").strip() or None, owner_id=owner_id,
                            address=client_address())
    except (BulkRefused, OwnerRefused) as refused:
        show_refusal(form, refused)
        return _queue_page(status=422, bulk_form=form, selected=tuple(ids))
    if result.applied:
        return redirect(url_for("coordinator.bulk_done", run_id=result.run.id, **_queue_args()))
    retry = [row.request_id for row in result.rows if row.refused is None]
    return render_template("coordinator/bulk_result.html", form=form, result=result, retry=retry,
                           describe=refusal_message, back=_queue_args()), 409


@bp.get("/requests/bulk/<id:run_id>")
@role_required(*STAFF)
def bulk_done(run_id: int):
    """What a bulk action carried out did, row by row."""
    run = get_run(run_id)
    if run is None or not run_visible_to(current_user, run):
        abort(404, description=_("No bulk action has the number %(id)s.", id=run_id))
    return render_template("coordinator/bulk_result.html", result=outcome_of(run), action=run.action,
                           retry=[], describe=refusal_message, back=_queue_args())


def _queue_args() -> dict[str, str]:
    """The queue's filters from the query string, to go back to the same list."""
    return {k: v for k, v in request.args.items() if k in ("status", "owner", "prefecture", "topic")}


def _support_request(request_id: int) -> SupportRequest:
    """The request ``request_id``; 404 when there is none, or when it lies outside the
    signed-in coordinator's regions (the same answer: they do not learn it exists)."""
    found = requests_service.get_request(request_id)
    missing = _("No request has the number %(id)s.", id=request_id)
    if found is None:
        abort(404, description=missing)
    return visible_or_404(found, missing)


@bp.get("/requests/<id:request_id>")
@role_required(*STAFF)
@cached_page
def request_detail(request_id: int):
    return _request_page(_support_request(request_id))


def _request_page(support_request: SupportRequest, *, status: int = 200, **forms):
    """The request page. The triage panel offers only the lifecycle's forward moves from
    here; its back moves go through "Send back" (a reason and a ticked confirmation)."""
    forward = forward_moves("request", support_request.status)
    back = send_back_moves(support_request.status)
    send_back_form = forms.pop("send_back_form", None) or SendBackForm(formdata=None)
    send_back_form.target.choices = [(s, label("request_status", s)) for s in back]
    owner_form = forms.pop("owner_form", None) or OwnerForm(
        formdata=None, staff=possible_owners(support_request), data={"owner": str(support_request.owner_id or "")})
    context = dict(
        owner_form=owner_form,
        req=support_request,
        history=request_history(support_request),
        action=ActionForm(),
        decline_form=DeclineForm(formdata=None),
        reply_form=ReplyForm(formdata=None),
        note_form=NoteForm(formdata=None),
        notes=dialogue.notes_of(support_request),
        can_triage="triaged" in forward,
        can_decline="declined" in forward,
        back=back,
        send_back_form=send_back_form,
        booking=request_booking(support_request),
        describe_obstacles=describe_obstacles,
        feedback=feedback_of(support_request),
        **_additions_context(support_request),
        **_matching_context(support_request),
    )
    context.update(forms)
    return render_template("coordinator/request.html", **context), status


def _additions_context(support_request: SupportRequest) -> dict:
    return {"additions": requests_service.additions_of(support_request),
            "reject_form": RejectAdditionForm(formdata=None)}


MAPPED_SUGGESTIONS = 5


def _matching_context(support_request: SupportRequest) -> dict:
    can_assign = refusal("request", support_request.status, "assigned") is None
    regions = scope_of(current_user).regions
    ranked = suggestions(support_request, today=today_in_japan(), regions=regions) if can_assign else []
    context = {"can_assign": can_assign, "suggestions": ranked, "assign_form": AssignForm(formdata=None)}
    search = PersonSearchForm(request.args)
    context["search_form"] = search
    if can_assign and search.who.data and search.validate():
        context["found"], context["found_total"] = search_people(support_request, search.who.data,
                                                                  today=today_in_japan(), regions=regions)
    if ranked:
        place = support_request.municipality
        points = [
            (s.evangelist.id, s.evangelist.lat, s.evangelist.lon, {
                "rank": rank, "name": s.evangelist.display_name, "km": round(s.match.distance_km, 1),
                "reasons": describe_reasons(s.match.reasons), "place": s.evangelist.home_municipality.name,
                "place_romaji": s.evangelist.home_municipality.name_romaji,
            })
            for rank, s in enumerate(ranked[:MAPPED_SUGGESTIONS], start=1)
        ]
        context["map"] = rendered(suggestion_map, place_of(place), points)
        context["map_config"] = map_config([], [], current_language())
    return context


@bp.post("/requests/<id:request_id>/triage")
@role_required(*STAFF)
def triage(request_id: int):
    support_request = _support_request(request_id)
    if ActionForm().validate_on_submit():
        _change(support_request, "triaged", success=_("Request %(number)s marked as triaged.", number=request_id))
    return redirect(safe_next_url(request.form.get("next"),
                                  default=url_for("coordinator.request_detail", request_id=request_id)))


@bp.post("/requests/<id:request_id>/owner")
@role_required(*STAFF)
def change_owner(request_id: int):
    """Give the request to another coordinator (or nobody); audited."""
    support_request = _support_request(request_id)
    form = OwnerForm(staff=possible_owners(support_request))
    if form.validate_on_submit():
        try:
            ownership.change_owner(current_user, support_request, read_id(form.owner.data or None),
                                          address=client_address())
        except OwnerRefused as refused:
            show_refusal(form, refused)
        else:
            flash(_owner_changed(support_request), "success")
            return redirect(url_for("coordinator.request_detail", request_id=request_id, _anchor="owner"))
    return _request_page(support_request, status=422, owner_form=form)


@bp.post("/requests/<id:request_id>/owner/take")
@role_required(*STAFF)
def take_request(request_id: int):
    """"I'll take it": the signed-in coordinator becomes the owner."""
    support_request = _support_request(request_id)
    if ActionForm().validate_on_submit():
        try:
            ownership.change_owner(current_user, support_request, current_user.id, address=client_address())
        except OwnerRefused as refused:
            flash_refusal(refused)
        else:
            flash(_owner_changed(support_request), "success")
    return redirect(safe_next_url(request.form.get("next"), default=url_for(
        "coordinator.request_detail", request_id=request_id, _anchor="owner")))


def _owner_changed(support_request: SupportRequest) -> str:
    number = support_request.id
    if support_request.owner is None:
        return _("Nobody owns request %(number)s now.", number=number)
    if support_request.owner_id == current_user.id:
        return _("You own request %(number)s now.", number=number)
    return _("%(name)s owns request %(number)s now.", name=support_request.owner.display_name, number=number)


@bp.post("/requests/<id:request_id>/send-back")
@role_required(*STAFF)
def send_request_back(request_id: int):
    """A move back (assigned or scheduled → triaged): needs a reason and a ticked
    confirmation; the current assignment ends and its evangelist is told."""
    support_request = _support_request(request_id)
    form = SendBackForm()
    form.target.choices = [(s, label("request_status", s)) for s in send_back_moves(support_request.status)]
    if not form.validate_on_submit():
        if not form.target.choices:
            flash_refusal(TransitionRefused("request", support_request.status, form.target.data or "",
                                            refusal("request", support_request.status, "triaged") or "not_allowed"))
            return redirect(url_for("coordinator.request_detail", request_id=request_id))
        return _request_page(support_request, status=422, send_back_form=form, open_send_back=True)
    try:
        cancelled = send_back(current_user, support_request, form.target.data, reason=form.reason.data.strip(),
                              address=client_address())
    except TransitionRefused as refused:
        flash_refusal(refused)
    else:
        status = label("request_status", form.target.data)
        if cancelled:
            flash(_("Sent back to “%(status)s”. Cancelled: %(names)s (they see it on their page).", status=status,
                    names=_list_names(a.evangelist.display_name for a in cancelled)), "success")
        else:
            flash(_("Sent back to “%(status)s”.", status=status), "success")
    return redirect(url_for("coordinator.request_detail", request_id=request_id))


def _list_names(names) -> str:
    return _(", ").join(names)


@bp.post("/requests/<id:request_id>/decline")
@role_required(*STAFF)
def decline(request_id: int):
    support_request = _support_request(request_id)
    form = DeclineForm()
    if not form.validate_on_submit():
        # Show the form again with its error and what was typed.
        return _request_page(support_request, status=422, decline_form=form, open_decline=True)
    _change(support_request, "declined", reason=form.reason.data.strip(),
            success=_("Declined. The municipality sees the reason on its status page."))
    return redirect(url_for("coordinator.request_detail", request_id=request_id))


@bp.post("/requests/<id:request_id>/messages")
@role_required(*STAFF)
def reply(request_id: int):
    support_request = _support_request(request_id)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            add_message(support_request, form.body.data.strip(), sender="coordinator", author=current_user,
                        address=client_address())
        except TransitionRefused:
            flash(_("This request is closed, so messages can no longer be added."), "warning")
        else:
            flash(_("Message sent. The municipality gets it by e-mail and on its status page; the evangelist "
                    "who took the request on is told too."), "success")
    else:
        for message in form.body.errors:
            flash(message, "error")
    return redirect(url_for("coordinator.request_detail", request_id=request_id))


@bp.post("/requests/<id:request_id>/notes")
@role_required(*STAFF)
def add_note(request_id: int):
    """An internal note: for coordinators and admins only (app.services.dialogue)."""
    support_request = _support_request(request_id)
    form = NoteForm()
    if not form.validate_on_submit():
        # The page again with the message and what was typed.
        return _request_page(support_request, status=422, note_form=form)
    dialogue.add_note(current_user, support_request, form.body.data.strip(), address=client_address())
    flash(_("Note added. Only coordinators and admins see it."), "success")
    return redirect(url_for("coordinator.request_detail", request_id=request_id, _anchor="notes"))


def _addition(request_id: int, addition_id: int):
    addition = requests_service.addition_of(_support_request(request_id), addition_id)
    if addition is None:
        abort(404, description=_("This request has no addition with the number %(id)s.", id=addition_id))
    return addition


def _back_to_additions(request_id: int):
    return redirect(url_for("coordinator.request_detail", request_id=request_id, _anchor="additions"))


@bp.post("/requests/<id:request_id>/additions/<id:addition_id>/accept")
@role_required(*STAFF)
def accept_addition(request_id: int, addition_id: int):
    """Accept another person's addition: its message joins the thread the municipality
    sees (their contact details stay with the coordinators)."""
    addition = _addition(request_id, addition_id)
    if ActionForm().validate_on_submit():
        try:
            requests_service.accept_addition(current_user, addition, address=client_address())
        except TransitionRefused as refused:
            if refused.machine == "request":
                flash(_("This request is closed, so the addition cannot join its thread. Reject it instead."),
                      "warning")
            else:
                flash(_("This addition was already accepted or rejected."), "warning")
        else:
            flash(_("Accepted. The municipality sees the message on its status page."), "success")
    return _back_to_additions(request_id)


@bp.post("/requests/<id:request_id>/additions/<id:addition_id>/reject")
@role_required(*STAFF)
def reject_addition(request_id: int, addition_id: int):
    """Reject another person's addition: the municipality never sees it."""
    addition = _addition(request_id, addition_id)
    form = RejectAdditionForm()
    if not form.validate_on_submit():
        for message in form.reason.errors:
            flash(message, "error")
        return _back_to_additions(request_id)
    try:
        requests_service.reject_addition(current_user, addition, reason=(form.reason.data or "").strip(),
                                         address=client_address())
    except TransitionRefused:
        flash(_("This addition was already accepted or rejected."), "warning")
    else:
        flash(_("Rejected. The municipality will not see it."), "success")
    return _back_to_additions(request_id)


def _change(support_request: SupportRequest, target: str, *, success: str, reason: str | None = None) -> None:
    try:
        change_status(current_user, support_request, target, reason=reason, address=client_address())
    except TransitionRefused as refused:
        flash_refusal(refused)
    else:
        flash(success, "success")


# --- Matching -------------------------------------------------------------------------------


@bp.post("/requests/<id:request_id>/assign")
@role_required(*STAFF)
def assign_evangelist(request_id: int):
    """Propose one evangelist: first a page that says who, with the score and reasons (or
    why not) and what happens next; the proposal is made when that page is confirmed."""
    support_request = _support_request(request_id)
    form = AssignForm()
    if not form.validate_on_submit():
        return redirect(url_for("coordinator.request_detail", request_id=request_id))
    if form.confirmed.data != "1":
        considered = consider(support_request, [form.evangelist_id.data], today=today_in_japan())
        # A regional coordinator considers their regions' evangelists only.
        considered = [c for c in considered if can_see(current_user, c.evangelist)]
        if not considered:
            flash(_("No evangelist has the number %(id)s.", id=form.evangelist_id.data), "error")
            return redirect(url_for("coordinator.request_detail", request_id=request_id))
        return render_template(
            "coordinator/propose.html", req=support_request, person=considered[0], form=form,
            can_assign=refusal("request", support_request.status, "assigned") is None,
            describe_obstacles=describe_obstacles,
        )
    _propose(support_request, form.evangelist_id.data)
    return redirect(url_for("coordinator.request_detail", request_id=request_id))


def _propose(support_request: SupportRequest, evangelist_id: int) -> None:
    try:
        made = propose(current_user, support_request, evangelist_id, address=client_address(),
                       today=today_in_japan())
    except CapacityFull:
        flash(_("This evangelist has no free slot any more; choose another."), "error")
    except ValueError:
        flash(_("This evangelist cannot take this request (not available, or out of reach)."), "error")
    except TransitionRefused as refused:
        flash_refusal(refused)
    else:
        flash(_("Proposed to %(name)s. They see it on their page and accept or decline.",
                name=made.evangelist.display_name), "success")


@bp.post("/requests/<id:request_id>/assignments/<id:assignment_id>/withdraw")
@role_required(*STAFF)
def withdraw(request_id: int, assignment_id: int):
    """Withdraw a proposal the evangelist has not answered: they are told on their page,
    and the request goes back to the queue."""
    support_request = _support_request(request_id)
    assignment = assignment_of(support_request, assignment_id)
    if assignment is None:
        abort(404, description=_("This request has no assignment with the number %(id)s.", id=assignment_id))
    if ActionForm().validate_on_submit():
        name = assignment.evangelist.display_name
        try:
            status = withdraw_proposal(current_user, assignment, address=client_address())
        except TransitionRefused:
            flash(_("%(name)s has already answered, so the proposal can no longer be withdrawn.", name=name),
                  "warning")
        else:
            flash(_("Proposal to %(name)s withdrawn; they see it on their page. The request is now “%(status)s”.",
                    name=name, status=label("request_status", status)), "success")
    return redirect(url_for("coordinator.request_detail", request_id=request_id))


PLAN_PAGE_SIZE = 50  # rows of the plan a page shows, as the request queue
CONFIRM_SHOWN = PLAN_PAGE_SIZE  # rows the confirmation of "Propose all" lists; it counts the rest
NAMES_SAID = 10  # proposals a message names after applying a plan; it counts the rest


@bp.route("/plan", methods=["GET", "POST"])
@role_required(*STAFF)
def plan():
    """The best overall plan for every triaged request, for review, page by page (the plan
    is computed once per data version and kept). Proposing the ticked rows of a page, or
    every row of the plan, first shows a page saying every proposal it will make; only
    confirming that page saves them, exactly as listed, and only while the plan still
    holds them."""
    if request.method == "POST" and ActionForm().validate_on_submit():
        if request.form.get("confirmed") == "1":
            return _apply_reviewed_plan()
        current = plan_result(today=today_in_japan(), regions=scope_of(current_user).regions)
        shown = request.form.get("plan")
        if shown and shown != current.digest:
            flash(_("The plan changed since this page was shown (someone changed the data). Nothing was "
                    "proposed; here is the new plan."), "warning")
            return redirect(url_for("coordinator.plan"))
        every = request.form.get("scope") == "all"
        chosen = None if every else set(filter(None, map(read_id, request.form.getlist("row"))))
        if not every and not chosen:
            flash(_("Tick the rows to propose, or choose “Propose all”."), "warning")
            return redirect(url_for("coordinator.plan", page=read_id(request.form.get("page", "")) or None))
        rows = plan_rows_for(current, chosen, limit=CONFIRM_SHOWN if every else None)
        if not rows:
            flash(_("Tick the rows to propose, or choose “Propose all”."), "warning")
            return redirect(url_for("coordinator.plan"))
        count = current.served if every else len(rows)
        pairs = ([f"{rid}-{evangelist}" for rid, evangelist in current.pairs.items()] if every
                 else [f"{r.request.id}-{r.match.candidate_id}" for r in rows])
        return render_template("coordinator/plan_confirm.html", rows=rows, count=count, pairs=pairs,
                               result=current, every=every, action=ActionForm())
    view = plan_page(requested_page(), PLAN_PAGE_SIZE, today=today_in_japan(), regions=scope_of(current_user).regions)
    return render_template("coordinator/plan.html", plan=view.result, page=view.page, action=ActionForm())


def _apply_reviewed_plan():
    """Save the confirmed pairs, all or none, if the plan at the current data version
    still holds every one of them (else nothing is saved and the new plan is shown)."""
    pairs = []
    for value in request.form.getlist("pair"):
        request_id, _sep, evangelist_id = value.partition("-")
        pair = (read_id(request_id), read_id(evangelist_id))
        if None in pair:
            abort(400)
        pairs.append(pair)
    if not pairs:
        return redirect(url_for("coordinator.plan"))
    current = plan_result(today=today_in_japan(), regions=scope_of(current_user).regions).pairs
    try:
        if any(current.get(request_id) != evangelist_id for request_id, evangelist_id in pairs):
            raise ValueError("plan_changed")
        made = apply_plan(current_user, pairs, address=client_address(), today=today_in_japan())
    except (CapacityFull, ValueError, TransitionRefused):
        flash(_("Something changed since the plan was made (a slot was taken or a request moved). "
                "Nothing was saved; here is a fresh plan."), "error")
    else:
        shown = made[:NAMES_SAID]
        names = _list_names(f"#{a.request_id} {a.request.municipality.name} → {a.evangelist.display_name}"
                            for a in shown)
        if len(made) > len(shown):
            names = _("%(names)s and %(num)s more", names=names, num=len(made) - len(shown))
        flash(ngettext("%(num)s assignment proposed: %(names)s.", "%(num)s assignments proposed: %(names)s.",
                       len(made), names=names), "success")
    return redirect(url_for("coordinator.plan"))


@bp.route("/visits/<id:visit_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def correct_visit(visit_id: int):
    """Staff correct a visit at any time; the change is audited with before and after."""
    visit = get_visit(visit_id)
    missing = _("No visit has the number %(id)s.", id=visit_id)
    if visit is None:
        abort(404, description=missing)
    visible_or_404(visit.assignment.request, missing)
    topics = list_topics()
    form = VisitForm(topics) if request.method == "POST" else VisitForm.for_visit(topics, visit)
    if request.method == "POST" and form.validate_on_submit():
        try:
            update_visit(current_user, visit, form.data_for_service(), address=client_address())
        except VisitRefused as refused:
            flash_refusal(refused)
        else:
            flash(_("Visit corrected; the change is in the audit log."), "success")
            return redirect(url_for("coordinator.request_detail", request_id=visit.assignment.request_id))
    return render_template(
        "_visit_form.html", form=form, assignment=visit.assignment, visit=visit,
        deadline=visit.created_at, correcting=True, back_endpoint="coordinator.request_detail",
        back_args={"request_id": visit.assignment.request_id}, back_label=_("Request %(number)s", number=visit.assignment.request_id),
    ), 422 if form.errors else 200
