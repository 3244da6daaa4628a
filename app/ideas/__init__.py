"""The open dialogue (アイデアボックス, issue 21), at /ideas: themes, ideas, comments and
votes (routes.py), the coordinators' themes (manage.py), reports, moderation, the terms
of use and official answers (moderation.py). Thin: the forms read,
app/services/ideas.py and the services beside it decide and commit."""

from flask import Blueprint

bp = Blueprint("ideas", __name__)

from app.ideas import manage, moderation, routes  # noqa: E402,F401
