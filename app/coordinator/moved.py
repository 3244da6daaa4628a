"""Staff pages that moved when each feature got its own URL prefix: the old address answers
308 Permanent Redirect to the new one, so bookmarks keep working and a POST is sent again
with its method and body. The query string is kept.

Access is that of the old page (staff only). The redirect itself changes nothing, so it is
exempt from the CSRF check: the page it leads to checks the token, and the body (an import
file may be large) is not read here.
"""

from __future__ import annotations

from flask import redirect, request, url_for

from app.coordinator import bp
from app.decorators import role_required
from app.extensions import csrf

STAFF = ("coordinator", "admin")


def _moved(endpoint: str, **values):
    target = url_for(endpoint, **values)
    query = request.query_string.decode("latin-1")
    return redirect(f"{target}?{query}" if query else target, code=308)


@bp.route("/dashboard")
@role_required(*STAFF)
@csrf.exempt
def moved_dashboard():
    return _moved("reports.dashboard")


@bp.route("/export/<dataset>.csv")
@role_required(*STAFF)
@csrf.exempt
def moved_export(dataset: str):
    return _moved("data.export", dataset=dataset)


@bp.route("/import", methods=["GET", "POST"])
@role_required(*STAFF)
@csrf.exempt
def moved_import():
    return _moved("data.import_file")


@bp.route("/import/apply", methods=["POST"])
@role_required(*STAFF)
@csrf.exempt
def moved_apply_import():
    return _moved("data.apply_import")


@bp.route("/evangelists/<id:evangelist_id>")
@role_required(*STAFF)
@csrf.exempt
def moved_evangelist(evangelist_id: int):
    return _moved("recruitment.evangelist", evangelist_id=evangelist_id)


@bp.route("/evangelists/<id:evangelist_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
@csrf.exempt
def moved_edit_evangelist(evangelist_id: int):
    return _moved("recruitment.edit_evangelist", evangelist_id=evangelist_id)


@bp.route("/evangelists/<id:evangelist_id>/appoint", methods=["GET", "POST"])
@role_required(*STAFF)
@csrf.exempt
def moved_appoint(evangelist_id: int):
    return _moved("recruitment.appoint", evangelist_id=evangelist_id)


@bp.route("/evangelists/<id:evangelist_id>/move", methods=["POST"])
@role_required(*STAFF)
@csrf.exempt
def moved_move(evangelist_id: int):
    return _moved("recruitment.move", evangelist_id=evangelist_id)
