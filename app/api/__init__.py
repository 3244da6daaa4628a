"""The JSON API under /api/v1: the map's data as GeoJSON, each with its access rule."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from app.api import routes  # noqa: E402,F401  (routes attach themselves to bp)
