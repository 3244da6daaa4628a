"""The evangelist's own pages (``/me``): assignments and visits (routes.py), the profile
(profile.py), the thread with the town (messages.py), offering visit times (bookings.py)."""

from flask import Blueprint

bp = Blueprint("evangelist", __name__)

from app.evangelist import bookings, messages, profile, routes  # noqa: E402,F401
