"""Outreach to towns that have not asked (issue 20, point 7): the coordinators' pages."""

from flask import Blueprint

bp = Blueprint("outreach", __name__)

from app.outreach import routes  # noqa: E402,F401
