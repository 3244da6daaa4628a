"""Coordinator pages."""

from flask import Blueprint

bp = Blueprint("coordinator", __name__)

from app.coordinator import intake, moved, routes  # noqa: E402,F401  (moved: redirects from old addresses)
