"""Routes of the bookings blueprint (``/bookings``): a booking's page (move, cancel), the
calendar feed's settings and the feed itself."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.booking_forms import CancelBookingForm, MoveBookingForm
from app.bookings import bp
from app.decorators import public, role_required
from app.forms import ActionForm
from app.links import external_url
from app.messages import refusal_message
from app.services import bookings as bookings_service
from app.web import client_address
from evangelists.bookings import BookingRefused
from evangelists.lifecycle import TransitionRefused
from evangelists.vocabulary import WORK_ROLES

STAFF = ("coordinator", "admin")


def _booking(booking_id: int):
    """A booking the signed-in person may manage (its evangelist, or staff); else 404."""
    booking = bookings_service.get_booking(booking_id)
    if booking is None or not bookings_service.can_manage(current_user, booking):
        abort(404)
    return booking


def _page(booking, *, move_form=None, cancel_form=None, status: int = 200):
    return render_template(
        "bookings/booking.html", booking=booking, req=booking.request,
        move_form=move_form or MoveBookingForm(formdata=None),
        cancel_form=cancel_form or CancelBookingForm(formdata=None),
        open_move=move_form is not None, open_cancel=cancel_form is not None,
    ), status


def _show_refusal(form, refused: BookingRefused) -> None:
    field = {"slot": "day", "reason": "reason"}.get(refused.field or "", None)
    target = getattr(form, field, None) if field else None
    if target is not None:
        target.errors = [*target.errors, refusal_message(refused)]
    else:
        form.form_errors.append(refusal_message(refused))


@bp.get("/<id:booking_id>")
@role_required(*WORK_ROLES)
def booking(booking_id: int):
    return _page(_booking(booking_id))


@bp.post("/<id:booking_id>/move")
@role_required(*WORK_ROLES)
def move(booking_id: int):
    booking = _booking(booking_id)
    form = MoveBookingForm()
    if form.validate_on_submit():
        try:
            bookings_service.move_booking(current_user, booking, form.slot(), address=client_address())
        except BookingRefused as refused:
            _show_refusal(form, refused)
        else:
            flash(_("The visit is moved. Everyone involved is told, with a new calendar invitation."), "success")
            return redirect(url_for("bookings.booking", booking_id=booking.id))
    return _page(booking, move_form=form, status=422)


@bp.post("/<id:booking_id>/cancel")
@role_required(*WORK_ROLES)
def cancel(booking_id: int):
    booking = _booking(booking_id)
    form = CancelBookingForm()
    if form.validate_on_submit():
        try:
            bookings_service.cancel_booking(current_user, booking, form.reason.data, address=client_address())
        except (BookingRefused, TransitionRefused) as refused:
            _show_refusal(form, refused)
        else:
            flash(_("Cancelled. Everyone involved is told."), "success")
            return redirect(url_for("bookings.booking", booking_id=booking.id))
    return _page(booking, cancel_form=form, status=422)


# --- The private calendar feed ----------------------------------------------------------------

@bp.route("/calendar", methods=["GET", "POST"])
@role_required(*WORK_ROLES)
def calendar():
    """The feed's settings: make a new address (shown once; the old one stops working) or
    turn it off. The page is private (signed in), so it is never stored."""
    form = ActionForm()
    link = None
    if form.validate_on_submit():
        token = bookings_service.make_feed(current_user, address=client_address())
        link = external_url("bookings.feed", token=token)
    response = make_response(render_template(
        "bookings/calendar.html", feed=bookings_service.feed_of(current_user), link=link, action=ActionForm(),
    ))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/calendar/off")
@role_required(*WORK_ROLES)
def calendar_off():
    if ActionForm().validate_on_submit() and bookings_service.turn_off_feed(current_user, address=client_address()):
        flash(_("The calendar feed is turned off: its address no longer works."), "success")
    return redirect(url_for("bookings.calendar"))


@bp.get("/calendar/<token>.ics")
@public
def feed(token: str):
    """A person's booked visits for Google Calendar, Outlook and the like: no session, no
    cookie, never stored by a shared cache. An unknown or revoked token is a plain 404."""
    owner = bookings_service.feed_owner(token)
    if owner is None:
        abort(404)
    response = make_response(bookings_service.feed_calendar(owner))
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="visits.ics"'
    response.headers["Cache-Control"] = "no-store"
    return response
