"""Routes of the use cases' staff pages (``/use-cases``); the services decide, these show."""

from __future__ import annotations

import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.decorators import public, role_required
from app.downloads import attachment_response
from app.messages import flash_refusal, message, refusal_message
from app.pagination import requested_page
from app.services import requests as requests_service
from app.services import use_cases as service
from app.services.use_cases import Upload, UseCaseRefused
from app.use_cases import bp
from app.use_cases.forms import DraftForm, UseCaseForm, UseCaseMoveForm, form_data_of
from app.web import client_address, home_url
from evangelists.use_case_files import FileRefused, size_text
from evangelists.use_cases import USE_CASE_STATUSES

WORKERS = ("admin", "coordinator", "evangelist")
STAFF = ("admin", "coordinator")
# Files sent with one save of the edit form; the body limit of that view follows from it.
FILES_PER_SAVE = 3
MOVES = ("submit", "return", "send", "recall", "withdraw")
# The queue's filter: what waits for a coordinator, or one status.
QUEUE_FILTERS = ("queue", *USE_CASE_STATUSES)
# A published file may be kept by browsers and proxies for a while.


def _upload_limit() -> int:
    max_bytes, _max_files = service.file_limits()
    return max_bytes * FILES_PER_SAVE + 1024 * 1024


@bp.url_value_preprocessor
def _allow_uploads(endpoint: str | None, _values) -> None:
    """Runs before CSRF protection reads the form: the edit form of a signed-in worker may
    carry files (FILES_PER_SAVE of the largest size); every other body keeps the site's
    limit (anything bigger gets 413)."""
    if endpoint == "use_cases.edit" and current_user.is_authenticated and current_user.role in WORKERS:
        request.max_content_length = _upload_limit()


@bp.errorhandler(413)
def _too_large(_error):
    """The edit form's body was over the limit: nothing of it could be read. The page
    comes back with the saved text and says why (the browser's script warns before)."""
    use_case_id = (request.view_args or {}).get("use_case_id")
    use_case = service.get_use_case(use_case_id) if isinstance(use_case_id, int) else None
    if request.endpoint != "use_cases.edit" or use_case is None or not service.can_edit(current_user, use_case):
        return _("The request was too large."), 413
    form = _form(use_case, formdata=None)
    max_bytes, _max_files = service.file_limits()
    form.files.errors = [_("The files sent at once were too large: attach at most %(count)s files of up to "
                           "%(limit)s each at a time. Your changes to the text were not saved.",
                           count=FILES_PER_SAVE, limit=size_text(max_bytes))]
    return _edit_page(use_case, form, status=413)


def _visible(use_case_id: int):
    """The use case if the signed-in person may see it (its author, staff of its region),
    else 404: nobody learns that it exists."""
    use_case = service.get_use_case(use_case_id)
    if use_case is None or not service.can_view(current_user, use_case):
        abort(404)
    return use_case


# --- the list ---------------------------------------------------------------------------------


@bp.get("/")
@role_required(*WORKERS)
def queue():
    """Staff: the use cases waiting for a coordinator (or of one status); an evangelist:
    their own."""
    wanted = request.args.get("status", "queue").replace("\x00", "")
    if wanted not in QUEUE_FILTERS:
        wanted = "queue"
    statuses = service.QUEUE if wanted == "queue" else (wanted,)
    if current_user.role == "evangelist":
        statuses, wanted = USE_CASE_STATUSES, "all"
    page = service.list_for(current_user, statuses=statuses, page=requested_page())
    return render_template("use_cases/queue.html", page=page, wanted=wanted, counts=service.counts_for(current_user),
                           filters=QUEUE_FILTERS)


# --- drafting ---------------------------------------------------------------------------------


@bp.route("/from-request/<id:request_id>", methods=["GET", "POST"])
@role_required(*WORKERS)
def draft(request_id: int):
    """"Write a use case" from a completed request: what will be filled in, and the button
    that makes the draft. A request that has its use case already leads to it."""
    support_request = requests_service.get_request(request_id)
    if support_request is None or not service.involved_in(current_user, support_request):
        abort(404)  # nobody learns of a request that is not theirs
    existing = service.live_use_case_of(support_request)
    if existing is not None and service.can_view(current_user, existing):
        return redirect(url_for("use_cases.detail", use_case_id=existing.id))
    if support_request.status != "completed":
        flash(message("use_case", "not_completed"), "warning")
        return redirect(home_url(current_user))
    form = DraftForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            use_case, created = service.draft_from_request(current_user, support_request, nonce=form.nonce.data or None,
                                                           address=client_address())
        except UseCaseRefused as refused:
            flash_refusal(refused)
            return redirect(home_url(current_user))
        if created:
            flash(_("The draft is ready, filled in from the visits and their outcomes. Complete it and save."),
                  "success")
        if not service.can_view(current_user, use_case):
            abort(404)
        return redirect(url_for("use_cases.edit", use_case_id=use_case.id))
    form.nonce.data = secrets.token_urlsafe(24)
    return render_template("use_cases/draft.html", req=support_request, form=form,
                           words=service.prefill(support_request))


# --- one use case -----------------------------------------------------------------------------


@bp.get("/<id:use_case_id>")
@role_required(*WORKERS)
def detail(use_case_id: int):
    use_case = _visible(use_case_id)
    return _detail_page(use_case)


def _detail_page(use_case, move_form: UseCaseMoveForm | None = None, status: int = 200):
    return render_template(
        "use_cases/detail.html", use_case=use_case, moves=service.moves_for(current_user, use_case),
        editable=service.can_edit(current_user, use_case), move_form=move_form or UseCaseMoveForm(formdata=None),
        history=service.history_of(use_case), town_mailed=service.town_mailed(use_case),
        answer=service.latest_town_answer(use_case),
    ), status


def _form(use_case, *, formdata=...) -> UseCaseForm:
    options = {"topics": service.topic_choices(), "communities": service.community_choices(use_case)}
    if formdata is None:
        form = UseCaseForm(formdata=None, data=form_data_of(service.as_input(use_case)), **options)
    elif request.method == "POST":
        form = UseCaseForm(**options)
    else:
        form = UseCaseForm(data=form_data_of(service.as_input(use_case)), **options)
    form.remove_files.choices = [(str(a.id), a.filename) for a in use_case.attachments]
    if request.method != "POST" or formdata is None:
        form.version.data = str(use_case.version)
    return form


def _edit_page(use_case, form: UseCaseForm, *, status: int = 200, conflict: list[str] | None = None):
    form.fill_rows()
    max_bytes, max_files = service.file_limits()
    return render_template("use_cases/edit.html", use_case=use_case, form=form, conflict=conflict,
                           saved=service.as_input(use_case) if conflict else None,
                           max_size=size_text(max_bytes), max_bytes=max_bytes, max_files=max_files,
                           files_per_save=FILES_PER_SAVE), status


def _uploads(form: UseCaseForm) -> list[Upload]:
    """The files sent with the form (an empty file input sends a nameless empty part)."""
    max_bytes, _max_files = service.file_limits()
    uploads = []
    for storage in request.files.getlist(form.files.name):
        data = storage.stream.read(max_bytes + 1)  # one byte more: an oversize file is known as such
        if not storage.filename and not data:
            continue
        uploads.append(Upload(name=storage.filename or "", data=data))
    return uploads


@bp.route("/<id:use_case_id>/edit", methods=["GET", "POST"])
@role_required(*WORKERS)
def edit(use_case_id: int):
    use_case = _visible(use_case_id)
    if not service.can_edit(current_user, use_case):
        flash(message("use_case", "not_editable"), "warning")
        return redirect(url_for("use_cases.detail", use_case_id=use_case.id))
    form = _form(use_case)
    if request.method == "GET":
        return _edit_page(use_case, form)
    if not form.validate_on_submit():
        return _edit_page(use_case, form, status=422)
    uploads = _uploads(form)
    if len(uploads) > FILES_PER_SAVE:
        form.files.errors = [_("Attach at most %(count)s files at a time; save, then attach the others.",
                               count=FILES_PER_SAVE)]
        return _edit_page(use_case, form, status=422)
    try:
        result = service.save(current_user, use_case, form.as_input(), version=form.posted_version(),
                              uploads=uploads, remove=form.removing(), address=client_address())
    except FileRefused as refused:
        form.files.errors = [refusal_message(refused)]
        return _edit_page(use_case, form, status=422)
    except UseCaseRefused as refused:
        if refused.reason != "conflict":
            flash_refusal(refused)
            return redirect(url_for("use_cases.detail", use_case_id=use_case.id))
        # What they typed stays; the form now carries the saved version, so saving again
        # replaces the other person's text knowingly.
        form.form_errors.append(refusal_message(refused))
        form.version.data = str(use_case.version)
        return _edit_page(use_case, form, status=409, conflict=service.differences(use_case, form.as_input()))
    if result.changed:
        flash(_("The use case is saved."), "success")
        for name in result.added:
            flash(_("Attached: %(name)s", name=name), "success")
    else:
        flash(_("Nothing was changed."), "info")
    return redirect(url_for("use_cases.detail", use_case_id=use_case.id))


@bp.post("/<id:use_case_id>/move")
@role_required(*WORKERS)
def move(use_case_id: int):
    use_case = _visible(use_case_id)
    form = UseCaseMoveForm()
    action = form.action.data if form.validate_on_submit() else None
    if action not in MOVES:
        flash(message("use_case", "not_allowed"), "error")
        return redirect(url_for("use_cases.detail", use_case_id=use_case.id))
    try:
        status = service.move(current_user, use_case, action, version=form.posted_version(),
                              note=form.note.data or "", address=client_address())
    except UseCaseRefused as refused:
        if refused.reason == "conflict":
            flash(_("The use case changed while you were looking at it. Here it is as it is now: check it, "
                    "then do it again."), "warning")
        else:
            flash_refusal(refused)
        return redirect(url_for("use_cases.detail", use_case_id=use_case.id))
    words = {
        "with_coordinator": _("Submitted: the coordinators take it from here."),
        "draft": _("The use case is a draft again, for its author."),
        "with_town": _("Sent to the town: it reads the use case on its status page and answers there."),
        "withdrawn": _("The use case is withdrawn; it is not public."),
    }
    if action == "recall":
        flash(_("Recalled: the use case is with the coordinators again and not public."), "success")
    else:
        flash(words.get(status, _("Done.")), "success")
    if action == "send" and not service.town_mailed(use_case):
        flash(_("The town has no e-mail address: tell it by phone that the use case waits on its status page."),
              "warning")
    return redirect(url_for("use_cases.detail", use_case_id=use_case.id))


# --- files ----------------------------------------------------------------------------------------


@bp.get("/<id:use_case_id>/files/<id:attachment_id>")
@public
def attachment(use_case_id: int, attachment_id: int):
    """A file of a use case: anyone's once the use case is published, else only its author
    and the staff of its region (404 for everyone else). Always a download (never shown
    in the page), with the type it was checked as and ``nosniff``."""
    use_case = service.get_use_case(use_case_id)
    if use_case is None:
        abort(404)
    public_file = service.is_public(use_case)
    if not public_file and not service.can_view(current_user, use_case):
        abort(404)
    return attachment_response(service.get_attachment(use_case, attachment_id), public_file=public_file)

