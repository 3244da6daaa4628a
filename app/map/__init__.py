"""The coordinators' network map (/map) and the filters it shares with the GeoJSON API."""

from flask import Blueprint

bp = Blueprint("map", __name__)

from app.map import routes  # noqa: E402,F401  (routes attach themselves to bp)
