"""Notices in the app: the list (with the navbar's bell), marking read, and each person's
choice of how each kind is mailed."""

from flask import Blueprint

bp = Blueprint("notices", __name__)

from app.notices import routes  # noqa: E402,F401
