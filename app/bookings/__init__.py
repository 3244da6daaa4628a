"""Booked visits (``/bookings``): a booking's page where its evangelist or a coordinator
moves or cancels it, each person's private calendar feed and its settings. The evangelist
offers times from ``/me`` (app/evangelist/bookings.py); the town picks on its status page.

Registers the ``visit_span`` template filter (pages and mails) and the booking mails'
invitation attacher (``app.mail.ATTACHERS``)."""

from __future__ import annotations

from flask import Blueprint

from app.mail import ATTACHERS
from app.services.bookings import attach_invitation
from app.visit_times import format_span

bp = Blueprint("bookings", __name__)
bp.add_app_template_filter(format_span, "visit_span")

for _kind in ("booking_booked", "booking_moved", "booking_cancelled"):
    ATTACHERS[_kind] = attach_invitation

from app.bookings import routes  # noqa: E402,F401
