"""Coordinators grow the network: the recruitment pipeline of evangelists, from nomination
to appointment, and each evangelist's record (``/coordinator/recruitment``)."""

from flask import Blueprint

bp = Blueprint("recruitment", __name__)

from app.recruitment import routes  # noqa: E402,F401  (routes attach themselves to bp)
