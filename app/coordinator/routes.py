"""Routes of the coordinator blueprint."""

from __future__ import annotations

import smtplib

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app.coordinator import bp
from app.coordinator.forms import (
    AssignForm,
    DeclineForm,
    InviteForm,
    QueueFilterForm,
    RejectAdditionForm,
    ReplyForm,
)
from app.decorators import role_required
from app.folium_maps import map_config, place_of, rendered, suggestion_map
from app.forms import ActionForm
from app.i18n import current_language
from app.labels import describe_reasons
from app.mail import mail_configured, password_link, send_password_link
from app.messages import account_error_messages, flash_refusal
from app.models import SupportRequest, User
from app.page_cache import cached_page
from app.pagination import requested_page
from app.services import accounts
from app.services import requests as requests_service
from app.services.accounts import AccountError
from app.services.admin import invited_users
from app.services.geography import list_prefectures
from app.services.matching import (
    CapacityFull,
    apply_plan,
    batch_plan,
    propose,
    suggestions,
)
from app.services.network import network_summary
from app.services.requests import (
    QueueFilters,
    add_message,
    change_status,
    count_by_status,
    queue_page,
    request_history,
)
from app.services.topics import list_topics
from app.services.visits import VisitRefused, get_visit, update_visit
from app.visit_forms import VisitForm
from app.web import client_address
from evangelists.calendar import today_in_japan
from evangelists.lifecycle import TransitionRefused, refusal

STAFF = ("coordinator", "admin")


@bp.get("/")
@role_required(*STAFF)
@cached_page
def home():
    return render_template(
        "coordinator/home.html", summary=network_summary(), invited=invited_users(), action=ActionForm(),
        requests_by_status=count_by_status(),
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
    if user is None:
        abort(404, description=_("No user has the number %(id)s.", id=user_id))
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


# --- Support requests ----------------------------------------------------------------------


@bp.get("/requests")
@role_required(*STAFF)
@cached_page
def requests():
    form = QueueFilterForm(request.args, prefectures=list_prefectures(), topics=list_topics(),
                           locale=current_language())
    form.validate()
    values = {name: "" if form[name].errors else (value or "") for name, value in form.data.items()}
    page = queue_page(QueueFilters(**values), page=requested_page(), per_page=50)
    pending = requests_service.pending_additions_by_request([r.id for r in page.items])
    return render_template("coordinator/requests.html", form=form, page=page, pending=pending)


def _support_request(request_id: int) -> SupportRequest:
    found = requests_service.get_request(request_id)
    if found is None:
        abort(404, description=_("No request has the number %(id)s.", id=request_id))
    return found


@bp.get("/requests/<id:request_id>")
@role_required(*STAFF)
@cached_page
def request_detail(request_id: int):
    support_request = _support_request(request_id)
    return render_template(
        "coordinator/request.html",
        req=support_request,
        history=request_history(support_request),
        action=ActionForm(),
        decline_form=DeclineForm(formdata=None),
        reply_form=ReplyForm(formdata=None),
        can_triage=refusal("request", support_request.status, "triaged") is None,
        can_decline=refusal("request", support_request.status, "declined") is None,
        **_additions_context(support_request),
        **_matching_context(support_request),
    )


def _additions_context(support_request: SupportRequest) -> dict:
    return {"additions": requests_service.additions_of(support_request),
            "reject_form": RejectAdditionForm(formdata=None)}


MAPPED_SUGGESTIONS = 5


def _matching_context(support_request: SupportRequest) -> dict:
    can_assign = refusal("request", support_request.status, "assigned") is None
    ranked = suggestions(support_request, today=today_in_japan()) if can_assign else []
    context = {"can_assign": can_assign, "suggestions": ranked, "assign_form": AssignForm(formdata=None)}
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
        _change(support_request, "triaged", success=_("Marked as triaged."))
    return redirect(url_for("coordinator.request_detail", request_id=request_id))


@bp.post("/requests/<id:request_id>/decline")
@role_required(*STAFF)
def decline(request_id: int):
    support_request = _support_request(request_id)
    form = DeclineForm()
    if not form.validate_on_submit():
        # Show the form again with its error and what was typed.
        return render_template(
            "coordinator/request.html", req=support_request, history=request_history(support_request),
            action=ActionForm(), decline_form=form, reply_form=ReplyForm(formdata=None),
            can_triage=refusal("request", support_request.status, "triaged") is None,
            can_decline=True, open_decline=True,
            **_additions_context(support_request),
            **_matching_context(support_request),
        ), 422
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
            flash(_("Message sent. The municipality sees it on its status page."), "success")
    else:
        for message in form.body.errors:
            flash(message, "error")
    return redirect(url_for("coordinator.request_detail", request_id=request_id))


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
    support_request = _support_request(request_id)
    form = AssignForm()
    if form.validate_on_submit():
        _propose(support_request, form.evangelist_id.data)
    return redirect(url_for("coordinator.request_detail", request_id=request_id))


def _propose(support_request: SupportRequest, evangelist_id: int) -> None:
    try:
        propose(current_user, support_request, evangelist_id, address=client_address(), today=today_in_japan())
    except CapacityFull:
        flash(_("This evangelist has no free slot any more; choose another."), "error")
    except ValueError:
        flash(_("This evangelist cannot take this request (not available, or out of reach)."), "error")
    except TransitionRefused as refused:
        flash_refusal(refused)


@bp.route("/plan", methods=["GET", "POST"])
@role_required(*STAFF)
def plan():
    """The best overall plan for every triaged request, for review; nothing is saved
    until the coordinator applies all of it or the rows they tick."""
    current = batch_plan(today=today_in_japan())
    if request.method == "POST" and ActionForm().validate_on_submit():
        chosen = set(request.form.getlist("row", type=int))
        pairs = [(r.request.id, r.match.candidate_id) for r in current.rows
                 if r.match and (not chosen or r.request.id in chosen)]
        try:
            made = apply_plan(current_user, pairs, address=client_address(), today=today_in_japan())
        except (CapacityFull, ValueError, TransitionRefused):
            flash(_("Something changed since the plan was made (a slot was taken or a request moved). "
                    "Nothing was saved; here is a fresh plan."), "error")
        else:
            flash(ngettext("%(num)s assignment proposed.", "%(num)s assignments proposed.", made), "success")
        return redirect(url_for("coordinator.plan"))
    return render_template("coordinator/plan.html", plan=current, action=ActionForm())


@bp.route("/visits/<id:visit_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def correct_visit(visit_id: int):
    """Staff correct a visit at any time; the change is audited with before and after."""
    visit = get_visit(visit_id)
    if visit is None:
        abort(404, description=_("No visit has the number %(id)s.", id=visit_id))
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
