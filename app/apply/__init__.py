"""Becoming an evangelist (issue 22, point 6): the public application form (``/apply``),
the page that asks to check the mail, and the mailed link that confirms the address and
sends the application to the coordinators (``/apply/confirm/<token>``). Public."""

from flask import Blueprint

bp = Blueprint("apply", __name__)

from app.apply import routes  # noqa: E402,F401  (routes attach themselves to bp)
