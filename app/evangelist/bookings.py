"""Offering visit times for an accepted assignment (``/me/assignments/<id>/times``)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.booking_forms import OfferTimesForm
from app.decorators import role_required
from app.evangelist import bp
from app.evangelist.access import my_assignment
from app.messages import message, refusal_message
from app.services import bookings as bookings_service
from app.web import client_address
from evangelists.bookings import MAX_SLOTS, BookingRefused
from evangelists.lifecycle import TransitionRefused


def _show_refusal(form: OfferTimesForm, refused: BookingRefused) -> None:
    words = refusal_message(refused)
    name = refused.field or ""
    if name.startswith("slot-"):
        index = int(name.split("-", 1)[1])
        filled = [e for e in form.slots.entries if not e.form.is_empty()]
        if index < len(filled):
            filled[index].form.day.errors = [*filled[index].form.day.errors, words]
            return
    target = getattr(form, name, None) if name in ("place", "meeting_url", "attendees", "mode") else None
    if target is not None:
        target.errors = [*target.errors, words]
    else:
        form.form_errors.append(words)


@bp.route("/assignments/<id:assignment_id>/times", methods=["GET", "POST"])
@role_required("evangelist")
def offer_times(assignment_id: int):
    """Offer the town one or more visit times (a new offer replaces one not yet picked)."""
    assignment = my_assignment(assignment_id)
    if assignment.status != "accepted":
        flash(message("booking", "not_accepted"), "error")
        return redirect(url_for("evangelist.home"))
    current = bookings_service.live_booking(assignment)
    if current is not None and current.status == "booked":
        return redirect(url_for("bookings.booking", booking_id=current.id))
    form = OfferTimesForm()
    refused_by_service = False
    if form.validate_on_submit():
        refused_by_service = True
        try:
            bookings_service.offer_times(current_user, assignment, form.data_for_service(), address=client_address())
        except BookingRefused as refused:
            _show_refusal(form, refused)
        except TransitionRefused as refused:
            form.form_errors.append(refusal_message(refused))
        else:
            refused_by_service = False
            flash(_("The times are sent to the town, who picks one on its status page."), "success")
            return redirect(url_for("evangelist.home", _anchor=f"booking-{assignment.id}"))
    elif not form.is_submitted() and current is not None:
        form = OfferTimesForm(formdata=None, data={
            "mode": current.mode, "place": current.place, "meeting_url": current.meeting_url or "",
            "attendees": current.attendees,
        })
    elif not form.is_submitted():
        if assignment.request.preferred_mode == "online":
            form.mode.data = "online"
    status = 422 if form.errors or form.form_errors or refused_by_service else 200
    return render_template("evangelist/offer_times.html", form=form, assignment=assignment, current=current,
                           max_slots=MAX_SLOTS), status
