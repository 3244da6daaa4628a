"""Coordinators grow the network: communities (with their history) and the recruitment
pipeline of evangelists (``/coordinator/communities``, ``/coordinator/recruitment``)."""

from flask import Blueprint

bp = Blueprint("network", __name__)

from app.network import routes  # noqa: E402,F401  (routes attach themselves to bp)
