"""Municipalities asking for help: the public request form and the private status page."""

from flask import Blueprint

bp = Blueprint("support", __name__)

from app.support import routes  # noqa: E402,F401
