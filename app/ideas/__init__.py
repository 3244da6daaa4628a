"""The open dialogue (アイデアボックス, issue 21), at /ideas: themes, ideas, comments and
votes (routes.py), the coordinators' themes (manage.py), the participants' own accounts:
signing up, confirming the address, their data and leaving (participants.py), reports,
the moderation queue and log, the terms and the official answers (moderation.py), the
results and participation figures with the open data (results.py). Thin: the forms read,
app/services/ideas.py and the services beside it decide and commit."""

from flask import Blueprint

bp = Blueprint("ideas", __name__)

from app.ideas import manage, moderation, participants, results, routes  # noqa: E402,F401
