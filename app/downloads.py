"""Downloads of stored files, shared by the blueprints that serve them: a use case's files
to staff and, once published, to everyone (app/use_cases/), and to the town whose status
page shows the use case for its agreement (app/support/)."""

from __future__ import annotations

from flask import Response, abort, make_response, send_file

from app.models import UseCaseAttachment
from app.security import no_store
from app.services import use_cases as service
from evangelists.use_case_files import content_disposition


def attachment_response(found: UseCaseAttachment | None, *, public_file: bool) -> Response:
    """A use case's file as a download: always an attachment (never shown in a page), with
    the type it was checked as, ``nosniff`` and a CSP that runs nothing. A published use
    case's file is public and revalidated (a withdrawn one stops being served at once);
    any other is ``no-store``. 404 when the row or its file is not there. The town's
    status page serves its review's files through this too (app/support/routes.py)."""
    path = service.file_path(found) if found is not None else None
    if found is None or not path.is_file():
        abort(404)
    response = make_response(send_file(path, mimetype=found.content_type, conditional=True, etag=found.sha256))
    response.headers["Content-Disposition"] = content_disposition(found.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    if public_file:
        response.headers["Cache-Control"] = "public, no-cache"
        return response
    return no_store(response)
