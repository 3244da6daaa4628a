"""Pages anyone may see: the home page, the municipality list and detail, health."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from app.public import routes  # noqa: E402,F401  (routes attach themselves to bp)
