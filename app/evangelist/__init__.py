"""The evangelist's own pages (``/me``): assignments and visits (routes.py), the profile
(profile.py), offering visit times (bookings.py)."""

from flask import Blueprint

bp = Blueprint("evangelist", __name__)

from app.evangelist import bookings, profile, routes  # noqa: E402,F401
