"""Routes of the data blueprint: CSV exports of every list, and imports checked first
(a dry run showing every problem and what would change), then applied all or nothing.

Between the two import steps the file travels back to the browser and returns with the
"Apply" button: compressed, base64-encoded and signed with the app's SECRET_KEY
(itsdangerous, bound to the coordinator and valid for an hour). The server keeps nothing,
so any app server can take the second step, and what is applied is exactly the file that
was checked.
"""

from __future__ import annotations

import base64
import binascii
import zlib

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.data import bp, columns
from app.data.columns import FORMAT_PARAMETER, FORMATS
from app.data.forms import (
    COLUMN_HELP,
    EXPORT_LABELS,
    MAX_MEGABYTES,
    ApplyForm,
    ImportForm,
)
from app.decorators import role_required
from app.i18n import current_language
from app.labels import DUPLICATE_CHOICE_LABELS, ENCODING_LABELS, KIND_LABELS, MATCH_REASON_LABELS
from app.messages import filter_message, notice_message, problem_message
from app.services import export_jobs, exports, imports
from app.services.regions import scope_of
from app.services.topics import list_topics
from app.web import client_address
from evangelists.calendar import today_in_japan
from evangelists.imports import COLUMNS, DUPLICATE_CHOICES, MAX_BYTES, Problem
from evangelists.limits import read_id

STAFF = ("coordinator", "admin")
TOKEN_SALT = "data-import"
TOKEN_MAX_AGE = 3600  # seconds between the check and the apply
# The apply step carries the file as base64 (4/3 of its compressed size) plus the form.
MAX_IMPORT_REQUEST = MAX_BYTES * 2
# How many problems the report page lists (the count says how many there are in all).
PROBLEMS_SHOWN = 500


@bp.url_value_preprocessor
def _allow_import_sizes(endpoint: str | None, _values) -> None:
    """Runs before CSRF protection reads the form. An upload may be MAX_BYTES, and the
    apply step's hidden copy of the file is far above Flask's 500 kB limit for one form
    field, so these two views get their own limits (anything bigger gets 413)."""
    if endpoint in ("data.import_file", "data.apply_import"):
        request.max_content_length = MAX_IMPORT_REQUEST
        request.max_form_memory_size = MAX_IMPORT_REQUEST


@bp.errorhandler(413)
def _too_large(_error):
    form = ImportForm(formdata=None)
    form.file.errors = [problem_message(Problem(0, "", "too_large", (("limit_mb", MAX_MEGABYTES),)))]
    return _import_page(form), 413


# --- Export ------------------------------------------------------------------------------


# The URL variable is not called "kind": the municipality list has a filter of that name.
@bp.get("/export/<dataset>.csv")
@role_required(*STAFF)
def export(dataset: str):
    """The list ``dataset`` as CSV, with the list's own filters from the query string:
    headers and values in the user's language, or with ``?format=codes`` the column names
    and stored codes for other systems (see ``app.data.columns``). Streamed as it is read;
    an export of more than EXPORT_BACKGROUND_ROWS rows is prepared in the background
    instead, and the coordinator is sent to the list of their exports."""
    if dataset not in exports.KINDS:
        abort(404, description=_("There is no export called “%(name)s”.", name=dataset))
    style = request.args.get(FORMAT_PARAMETER) or "labels"
    if style not in FORMATS:
        abort(400, description=_("The format “%(value)s” does not exist: use “labels” (headers and words for "
                                 "people) or “codes” (column names and codes for other systems).", value=style))
    locale = current_language()
    try:
        regions = scope_of(current_user).regions
        rows = export_jobs.needs_background(dataset, request.args, regions)
        if rows is not None:
            job = export_jobs.start_export(current_user, dataset, request.args, style=style, locale=locale,
                                           row_count=rows)
            flash(_("This export has %(rows)s rows, too many to send at once: it is being prepared. "
                    "Download it from this page when it is ready.", rows=format_decimal(rows)), "info")
            return redirect(url_for("data.prepared_exports", _anchor=f"job-{job.id}"))
        chunks = exports.export_csv(dataset, request.args, regions=regions,
                                    **columns.readable(dataset, style, locale))
    except exports.BadFilter as error:
        abort(400, description=filter_message(error))
    # The generator runs after this view returns, in this request's context (and so with
    # its database session) until the last row is sent.
    response = Response(stream_with_context(chunks), mimetype="text/csv")
    name = exports.filename(dataset, today_in_japan())
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    # Personal data: not kept in any cache on the way.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/exports")
@role_required(*STAFF)
def prepared_exports():
    """The exports this person asked for that were too large to send at once: being
    prepared, ready to download, or failed."""
    jobs = export_jobs.jobs_of(current_user)
    return render_template(
        "data/exports.html",
        jobs=jobs,
        labels=EXPORT_LABELS,
        preparing=any(job.status in export_jobs.ACTIVE for job in jobs),
        expires_on=export_jobs.expires_on,
        keep_days=export_jobs.keep_for().days,
    )


@bp.get("/exports/<id:job_id>.csv")
@role_required(*STAFF)
def download_export(job_id: int):
    """The file of export job ``job_id``: only for the person who asked for it (or an
    admin); anyone else gets 404, as for a job that does not exist."""
    job = export_jobs.job_for(current_user, job_id)
    if job is None:
        abort(404)
    if job.status in export_jobs.ACTIVE:
        flash(_("This export is still being prepared."), "info")
        return redirect(url_for("data.prepared_exports", _anchor=f"job-{job.id}"))
    path = export_jobs.ready_file(job)
    if path is None:
        abort(404, description=_("This export has no file: it failed or has expired. Ask for it again."))
    response = send_file(path, mimetype="text/csv", as_attachment=True,
                         download_name=export_jobs.download_name(job), conditional=False, etag=False)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- Import ------------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
@role_required(*STAFF)
def import_file():
    """Choose a kind and a file; a valid upload is checked (nothing changes) and the
    report shown, with the button that applies it."""
    form = ImportForm()
    if not form.validate_on_submit():
        return _import_page(form)
    kind = form.kind.data
    data = form.file.data.read(MAX_BYTES + 1)  # one byte more tells "too large"
    report = imports.dry_run(kind, data, regions=scope_of(current_user).regions)
    apply_form = None
    if report.ok and report.changes_anything:
        apply_form = ApplyForm(formdata=None, token=_sign(kind, data))
    return _report_page(report, apply_form=apply_form, filename=form.file.data.filename)


@bp.post("/import/apply")
@role_required(*STAFF)
def apply_import():
    """Apply the file checked a moment ago, all or nothing."""
    form = ApplyForm()
    if not form.validate_on_submit():
        flash(_("The check has expired or the form was incomplete. Upload the file again."), "error")
        return redirect(url_for("data.import_file"))
    try:
        kind, data = _unsign(form.token.data)
    except SignatureExpired:
        flash(_("The check is more than an hour old. Upload the file again to check it afresh."), "error")
        return redirect(url_for("data.import_file"))
    except (BadSignature, ValueError):
        flash(_("The checked file could not be read back. Upload it again."), "error")
        return redirect(url_for("data.import_file"))
    decisions, unreadable = _decisions(request.form)
    report = imports.apply(current_user, kind, data, address=client_address(), today=today_in_japan(),
                           decisions=decisions)
    if report.needs_decisions:
        # A row's person may already be in the network and nobody said what to do (or
        # someone else added them since the check): the same page again, choices kept.
        return _report_page(report, apply_form=ApplyForm(formdata=None, token=form.token.data), filename=None,
                            decisions=decisions, unreadable=unreadable, asked_again=True), 409
    if not report.applied:
        # Something changed since the check (or a row clashed while writing): nothing
        # was written; show why.
        return _report_page(report, apply_form=None, filename=None, after_apply=True), 409
    flash(
        _("Import done (%(kind)s): %(created)s created, %(updated)s updated, %(unchanged)s unchanged.",
          kind=KIND_LABELS[kind], created=report.created, updated=report.updated,
          unchanged=report.unchanged),
        "success",
    )
    return redirect(url_for("data.import_file"))


def _import_page(form: ImportForm):
    return render_template(
        "data/import.html",
        form=form,
        columns=COLUMNS,
        column_help=COLUMN_HELP,
        kind_labels=KIND_LABELS,
        topics=list_topics(),
        exports=EXPORT_LABELS,
    )


DUPLICATE_FIELD = "duplicate-"  # + the line: that row's choice
ALL_DUPLICATES_FIELD = "duplicates-all"  # the choice for every row without its own


def _decisions(form) -> tuple[imports.Decisions, list[str]]:
    """The coordinator's choices for the rows whose person may already be there, and the
    fields whose value was none of the choices (those rows are asked again)."""
    by_line: dict[int, str] = {}
    unreadable = []
    for name, value in form.items():
        if not name.startswith(DUPLICATE_FIELD) or not value:
            continue
        line = read_id(name.removeprefix(DUPLICATE_FIELD))
        if line is None or value not in DUPLICATE_CHOICES:
            unreadable.append(name)
            continue
        by_line[line] = value
    default = form.get(ALL_DUPLICATES_FIELD) or None
    if default is not None and default not in DUPLICATE_CHOICES:
        unreadable.append(ALL_DUPLICATES_FIELD)
        default = None
    return imports.Decisions(by_line, default), unreadable


def _report_page(report: imports.Report, *, apply_form: ApplyForm | None, filename: str | None,
                 after_apply: bool = False, decisions: imports.Decisions = imports.ASK,
                 unreadable: list[str] | None = None, asked_again: bool = False):
    return render_template(
        "data/report.html",
        report=report,
        after_apply=after_apply,
        apply_form=apply_form,
        filename=filename,
        kind_label=KIND_LABELS[report.kind],
        encoding_label=ENCODING_LABELS.get(report.encoding) if report.encoding else None,
        problems=[(p, problem_message(p)) for p in report.problems[:PROBLEMS_SHOWN]],
        notices=[(n, notice_message(n)) for n in report.notices],
        decisions=decisions,
        asked_again=asked_again,
        elsewhere=imports.people_outside(current_user, report),
        unreadable=unreadable or [],
        duplicate_field=DUPLICATE_FIELD,
        all_duplicates_field=ALL_DUPLICATES_FIELD,
        duplicate_choices=DUPLICATE_CHOICE_LABELS,
        match_reasons=MATCH_REASON_LABELS,
    )


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=TOKEN_SALT)


def _sign(kind: str, data: bytes) -> str:
    packed = base64.b64encode(zlib.compress(data, 6)).decode("ascii")
    return _serializer().dumps({"kind": kind, "user": current_user.id, "data": packed})


def _unsign(token: str) -> tuple[str, bytes]:
    """The kind and bytes of a token made by ``_sign`` for this user; raises
    SignatureExpired, BadSignature or ValueError."""
    payload = _serializer().loads(token, max_age=TOKEN_MAX_AGE)
    if payload.get("user") != current_user.id or payload.get("kind") not in imports.KINDS:
        raise BadSignature("made for another user or kind")
    try:
        data = zlib.decompress(base64.b64decode(payload["data"], validate=True))
    except (binascii.Error, zlib.error, KeyError, TypeError) as error:
        raise ValueError("unreadable payload") from error
    return payload["kind"], data
