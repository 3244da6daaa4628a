"""Routes of the evangelist blueprint: only ever the signed-in evangelist's own records."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.decorators import role_required
from app.evangelist import bp
from app.evangelist.access import my_assignment
from app.evangelist.forms import DeclineAssignmentForm, HelperNoteForm
from app.forms import ActionForm
from app.messages import flash_refusal, message
from app.models import Assignment, Visit
from app.services import outreach
from app.services.bookings import live_booking, live_bookings_of
from app.services.evangelists import home_of
from app.services.matching import recent_withdrawals, respond
from app.services.topics import list_topics
from app.services.use_cases import drafted_for
from app.services.visits import (
    VisitRefused,
    can_edit,
    complete_assignment,
    edit_deadline,
    get_visit,
    log_visit,
    update_visit,
)
from app.visit_forms import VisitForm
from app.web import client_address
from evangelists.calendar import today_in_japan
from evangelists.errors import Refused
from evangelists.lifecycle import TransitionRefused


@bp.get("/")
@role_required("evangelist")
def home():
    return _home()


def _home(decline_form: DeclineAssignmentForm | None = None, declining: int | None = None, status: int = 200,
          note_forms: dict | None = None):
    home = home_of(current_user)
    return render_template(
        "evangelist/home.html", profile=home.profile, assignments=home.assignments,
        outreach=outreach.cases_for_evangelist(home.profile), note_form=HelperNoteForm(formdata=None),
        note_forms=note_forms or {},
        withdrawn=recent_withdrawals(home.profile.id) if home.profile else [],
        action=ActionForm(), decline_form=decline_form or DeclineAssignmentForm(formdata=None),
        declining=declining, bookings=live_bookings_of([a.id for a in home.assignments]),
        use_cases=drafted_for(a.request_id for a in home.assignments if a.request.status == "completed"),
    ), status


@bp.post("/outreach/<id:case_id>/note")
@role_required("evangelist")
def outreach_note(case_id: int):
    """The evangelist asked to reach out to a town says they did, or adds a note."""
    case = outreach.get_case(case_id)
    if case is None or case.evangelist is None or case.evangelist.user_id != current_user.id:
        abort(404)
    form = HelperNoteForm()
    if not form.validate_on_submit():
        return _home(status=422, note_forms={case.id: form})
    try:
        outreach.helper_note(current_user, case, reached_out=bool(form.reached_out.data), channel=form.channel.data,
                             note=form.note.data or "", today=today_in_japan(), address=client_address())
    except (Refused, TransitionRefused) as refused:
        flash_refusal(refused)
    else:
        flash(_("Thank you: the coordinators see your note on the case."), "success")
    return redirect(url_for("evangelist.home", _anchor="outreach"))


@bp.post("/assignments/<id:assignment_id>/accept")
@role_required("evangelist")
def accept(assignment_id: int):
    assignment = my_assignment(assignment_id)
    if ActionForm().validate_on_submit():
        _respond(assignment, True, None, _("Accepted. Please contact the municipality to arrange the visit."))
    return redirect(url_for("evangelist.home"))


@bp.post("/assignments/<id:assignment_id>/decline")
@role_required("evangelist")
def decline(assignment_id: int):
    assignment = my_assignment(assignment_id)
    form = DeclineAssignmentForm()
    if not form.validate_on_submit():
        # Show the page again with the reason box open, its message and what was typed.
        return _home(form, declining=assignment.id, status=422)
    _respond(assignment, False, form.reason.data.strip(), _("Declined. The coordinators will find someone else."))
    return redirect(url_for("evangelist.home"))


def _respond(assignment: Assignment, accept: bool, reason: str | None, success: str) -> None:
    try:
        respond(current_user, assignment, accept, reason=reason, address=client_address())
    except TransitionRefused as refused:
        flash_refusal(refused)
    else:
        flash(success, "success")


# --- visits ---------------------------------------------------------------------------


def _back_to(assignment: Assignment):
    """After a visit is saved: my page, at the assignment's card, where the visit now
    shows and the next step (another visit, completing) is."""
    return redirect(url_for("evangelist.home", _anchor=f"assignment-{assignment.id}"))


def _my_visit(visit_id: int) -> Visit:
    """One of the signed-in evangelist's own visits; anyone else's is a plain 404."""
    visit = get_visit(visit_id)
    if visit is None or visit.assignment.evangelist.user_id != current_user.id:
        abort(404)
    return visit


@bp.route("/assignments/<id:assignment_id>/visits/new", methods=["GET", "POST"])
@role_required("evangelist")
def new_visit(assignment_id: int):
    """Log a visit: one short form that works on a phone; outcomes in the same form."""
    assignment = my_assignment(assignment_id)
    if assignment.status != "accepted":
        flash(message("visit", "not_accepted"), "error")
        return redirect(url_for("evangelist.home"))
    form = VisitForm(list_topics())
    if form.validate_on_submit():
        try:
            log_visit(current_user, assignment, form.data_for_service(), address=client_address(),
                      today=today_in_japan())
        except VisitRefused as refused:
            flash_refusal(refused)
        else:
            flash(_("Visit saved. Thank you!"), "success")
            return _back_to(assignment)
    elif request.method == "GET":
        form.topics.data = [t.slug for t in assignment.request.topics]
        booked = live_booking(assignment)
        if booked is not None and booked.status == "booked":
            form.start_from_booking(booked)
    status = 422 if form.errors else 200
    return render_template("_visit_form.html", form=form, assignment=assignment, visit=None), status


@bp.route("/visits/<id:visit_id>", methods=["GET", "POST"])
@role_required("evangelist")
def visit(visit_id: int):
    """A visit of mine: editable for 14 days after I logged it, then read-only."""
    visit = _my_visit(visit_id)
    editable = can_edit(current_user, visit)
    if not editable:
        if request.method == "POST":
            flash(message("visit", "window_closed"), "error")
        return render_template("evangelist/visit_view.html", visit=visit, deadline=edit_deadline(visit))
    form = VisitForm(list_topics()) if request.method == "POST" else VisitForm.for_visit(list_topics(), visit)
    if request.method == "POST" and form.validate_on_submit():
        try:
            update_visit(current_user, visit, form.data_for_service(), address=client_address())
        except VisitRefused as refused:
            flash_refusal(refused)
        else:
            flash(_("Visit updated."), "success")
            return _back_to(visit.assignment)
    status = 422 if form.errors else 200
    return render_template("_visit_form.html", form=form, assignment=visit.assignment, visit=visit,
                           deadline=edit_deadline(visit)), status


@bp.post("/assignments/<id:assignment_id>/complete")
@role_required("evangelist")
def complete(assignment_id: int):
    assignment = my_assignment(assignment_id)
    if ActionForm().validate_on_submit():
        try:
            complete_assignment(current_user, assignment, address=client_address())
        except VisitRefused as refused:
            flash_refusal(refused)
        except TransitionRefused as refused:
            flash_refusal(refused)
        else:
            flash(_("Marked as completed. Thank you for your help!"), "success")
    return redirect(url_for("evangelist.home"))
