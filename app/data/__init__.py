"""Data in and out: CSV exports of every list and imports with a dry run first
(``/coordinator/data/export/...``, ``/coordinator/data/import``)."""

from flask import Blueprint

bp = Blueprint("data", __name__)

from app.data import routes  # noqa: E402,F401  (routes attach themselves to bp)
