"""Coordinators' communities: the list, each community with its history, registering and
editing (``/coordinator/communities``)."""

from flask import Blueprint

bp = Blueprint("communities", __name__)

from app.communities import routes  # noqa: E402,F401  (routes attach themselves to bp)
