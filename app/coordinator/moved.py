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

# (old rule under /coordinator, this blueprint's endpoint, where it went, methods)
MOVED = [
    ("/dashboard", "moved_dashboard", "reports.dashboard", ["GET"]),
    ("/export/<dataset>.csv", "moved_export", "data.export", ["GET"]),
    ("/import", "moved_import", "data.import_file", ["GET", "POST"]),
    ("/import/apply", "moved_apply_import", "data.apply_import", ["POST"]),
    ("/evangelists/<id:evangelist_id>", "moved_evangelist", "recruitment.evangelist", ["GET"]),
    ("/evangelists/<id:evangelist_id>/edit", "moved_edit_evangelist", "recruitment.edit_evangelist",
     ["GET", "POST"]),
    ("/evangelists/<id:evangelist_id>/appoint", "moved_appoint", "recruitment.appoint", ["GET", "POST"]),
    ("/evangelists/<id:evangelist_id>/move", "moved_move", "recruitment.move", ["POST"]),
]


def _redirect_to(endpoint: str, name: str):
    def view(**values):
        target = url_for(endpoint, **values)
        query = request.query_string.decode("latin-1")
        return redirect(f"{target}?{query}" if query else target, code=308)

    view.__name__ = view.__qualname__ = name  # CSRF exemption and access are per view name
    return view


for rule, name, endpoint, methods in MOVED:
    bp.add_url_rule(rule, name, csrf.exempt(role_required(*STAFF)(_redirect_to(endpoint, name))),
                    methods=methods)
