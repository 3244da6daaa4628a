"""The evangelist's own pages (``/me``)."""

from flask import Blueprint

bp = Blueprint("evangelist", __name__)

from app.evangelist import routes  # noqa: E402,F401
