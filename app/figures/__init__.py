"""The programme's public figures by fiscal year (年度): ``/figures``, a page the Digital
Agency can cite, with charts, tables, the definition of each figure, and the table as CSV
and JSON under PDL 1.0."""

from flask import Blueprint

bp = Blueprint("figures", __name__)

from app.figures import routes  # noqa: E402,F401  (routes attach themselves to bp)
