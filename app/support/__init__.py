"""Municipalities asking for help: the public request form and the private status page
(routes.py), and the status link mailed again (lost_link.py)."""

from flask import Blueprint

bp = Blueprint("support", __name__)

from app.support import lost_link, routes  # noqa: E402,F401
