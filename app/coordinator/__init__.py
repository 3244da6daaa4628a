"""Coordinator pages."""

from flask import Blueprint

bp = Blueprint("coordinator", __name__)

from app.coordinator import routes  # noqa: E402,F401
