"""The library of use cases (事例, issue 22), at /cases: the public list (searched and
filtered), each use case's page with its town on a small map, and an Atom feed of the
newest (routes.py, feed.py); and "towns like yours", the use cases suggested to a town on
the request form and its status page, and to the evangelist in their brief (template
globals in routes.py, the partials templates/library/_towns_like_yours.html and
_brief_use_cases.html). Only published use cases appear; drafting and review are the staff
blueprint's. Thin: app/services/library.py reads."""

from flask import Blueprint

bp = Blueprint("library", __name__)

from app.library import routes  # noqa: E402,F401
