"""Routes of the evangelist blueprint: only ever the signed-in evangelist's own records."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.auth.forms import ActionForm
from app.auth.session import client_address
from app.decorators import role_required
from app.evangelist import bp
from app.evangelist.forms import DeclineAssignmentForm
from app.extensions import db
from app.labels import TRANSITION_MESSAGES
from app.models import Assignment, Evangelist, SupportRequest
from app.services.matching import respond
from evangelists.lifecycle import TransitionRefused


@bp.get("/")
@role_required("evangelist")
def home():
    profile = db.session.scalar(
        sa.select(Evangelist)
        .where(Evangelist.user_id == current_user.id)
        .options(
            selectinload(Evangelist.skills),
            selectinload(Evangelist.home_municipality),
            selectinload(Evangelist.home_community),
        )
    )
    assignments = []
    if profile is not None:
        assignments = db.session.scalars(
            sa.select(Assignment)
            .where(Assignment.evangelist_id == profile.id)
            .options(
                selectinload(Assignment.request).selectinload(SupportRequest.municipality),
                selectinload(Assignment.request).selectinload(SupportRequest.topics),
            )
            .order_by(Assignment.created_at.desc())
        ).all()
    return render_template(
        "evangelist/home.html", profile=profile, assignments=assignments,
        action=ActionForm(), decline_form=DeclineAssignmentForm(formdata=None),
    )


def _my_assignment(assignment_id: int) -> Assignment:
    """One of the signed-in evangelist's own assignments; anyone else's is a plain 404."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or assignment.evangelist.user_id != current_user.id:
        abort(404)
    return assignment


@bp.post("/assignments/<int:assignment_id>/accept")
@role_required("evangelist")
def accept(assignment_id: int):
    assignment = _my_assignment(assignment_id)
    if ActionForm().validate_on_submit():
        _respond(assignment, True, None, _("Accepted. Please contact the municipality to arrange the visit."))
    return redirect(url_for("evangelist.home"))


@bp.post("/assignments/<int:assignment_id>/decline")
@role_required("evangelist")
def decline(assignment_id: int):
    assignment = _my_assignment(assignment_id)
    form = DeclineAssignmentForm()
    if form.validate_on_submit():
        _respond(assignment, False, form.reason.data.strip(), _("Declined. The coordinators will find someone else."))
    else:
        for message in form.reason.errors:
            flash(message, "error")
    return redirect(url_for("evangelist.home"))


def _respond(assignment: Assignment, accept: bool, reason: str | None, success: str) -> None:
    try:
        respond(current_user, assignment, accept, reason=reason, address=client_address())
    except TransitionRefused as refused:
        flash(str(TRANSITION_MESSAGES[refused.reason]), "error")
    else:
        flash(success, "success")
