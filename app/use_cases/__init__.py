"""Use cases (事例, issue 22), the staff side (``/use-cases``): drafting one from a
completed request, editing it with its files, the coordinators' queue and the moves to the
town and back, and downloading a file (public once the use case is published)."""

from flask import Blueprint

bp = Blueprint("use_cases", __name__)

from app.use_cases import routes  # noqa: E402,F401
