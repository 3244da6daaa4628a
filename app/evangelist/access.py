"""Which assignment an evangelist's page may show: only their own."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from app.models import Assignment
from app.services.visits import get_assignment


def my_assignment(assignment_id: int) -> Assignment:
    """One of the signed-in evangelist's own assignments; anyone else's is a plain 404."""
    assignment = get_assignment(assignment_id)
    if assignment is None or assignment.evangelist.user_id != current_user.id:
        abort(404)
    return assignment
