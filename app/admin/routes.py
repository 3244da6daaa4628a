"""Routes of the admin blueprint."""

from __future__ import annotations

import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app.admin import bp
from app.admin.forms import AuditFilterForm, MergeForm, RegionsForm, RoleForm, UserFilterForm
from app.decorators import role_required
from app.forms import ActionForm
from app.labels import label
from app.messages import account_error_messages, refusal_message
from app.models import User
from app.notice_kinds import KINDS
from app.pagination import requested_page
from app.safe_redirect import safe_next_url
from app.services import accounts, merge
from app.services import notices as notices_service
from app.services import regions as regions_service
from app.services.accounts import AccountError
from app.services.admin import (
    AuditFilters,
    UserFilters,
    audit_page,
    user_page,
    user_status,
)
from app.services.duplicates import duplicates_of
from app.services.notice_views import failed_among, queue_counts
from app.web import client_address
from evangelists.duplicates import SHOWN
from evangelists.limits import read_id

PER_PAGE = 50


def _valid_filters(form) -> dict:
    """Field values, with any field that failed validation left out (its error shows)."""
    form.validate()
    return {name: None if form[name].errors else value for name, value in form.data.items()}


@bp.get("/users")
@role_required("admin")
def users():
    form = UserFilterForm(request.args)
    values = {k: v or "" for k, v in _valid_filters(form).items()}
    page = user_page(UserFilters(**values), page=requested_page(), per_page=PER_PAGE)
    return render_template(
        "admin/users.html", form=form, page=page, role_form=RoleForm(), action=ActionForm(),
        user_status=user_status, regions_of=regions_service.regions_of,
    )


def _target(user_id: int) -> User:
    user = accounts.get_user(user_id)
    if user is None:
        abort(404, description=_("No user has the number %(id)s.", id=user_id))
    return user


def _back():
    """Back to the list the form was on, filters and page included."""
    return redirect(safe_next_url(request.form.get("next"), default=url_for("admin.users")))


def _flash_error(error: AccountError) -> None:
    for message in account_error_messages(error):
        flash(message, "error")


@bp.post("/users/<id:user_id>/role")
@role_required("admin")
def change_role(user_id: int):
    user = _target(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        _flash_error(AccountError("unknown_role"))
        return _back()
    try:
        accounts.change_role(current_user, user, form.role.data, address=client_address())
    except AccountError as error:
        _flash_error(error)
    else:
        flash(_("%(email)s is now: %(role)s.", email=user.email, role=label("user_role", user.role)), "success")
    return _back()


@bp.route("/users/<id:user_id>/regions", methods=["GET", "POST"])
@role_required("admin")
def user_regions(user_id: int):
    """Which regional blocks a coordinator works in (none: national)."""
    user = _target(user_id)
    if user.role != "coordinator":
        abort(404, description=_("Only coordinators work in regions; %(email)s is: %(role)s.",
                                 email=user.email, role=label("user_role", user.role)))
    form = RegionsForm(data={"regions": list(regions_service.regions_of(user))})
    if request.method == "POST":
        form = RegionsForm()
        if form.validate_on_submit():
            changed = regions_service.set_regions(current_user, user, form.regions.data or [],
                                                  address=client_address())
            held = regions_service.regions_of(user)
            where = ", ".join(str(label("region", r)) for r in held) if held else _("the whole country")
            if changed:
                flash(_("%(email)s now works in: %(regions)s.", email=user.email, regions=where), "success")
            else:
                flash(_("Nothing changed: %(email)s already works in: %(regions)s.", email=user.email,
                        regions=where), "info")
            return redirect(url_for("admin.users", role="coordinator"))
    return render_template("admin/user_regions.html", user=user, form=form), 422 if form.errors else 200


@bp.post("/users/<id:user_id>/deactivate")
@role_required("admin")
def deactivate(user_id: int):
    return _set_active(user_id, False)


@bp.post("/users/<id:user_id>/reactivate")
@role_required("admin")
def reactivate(user_id: int):
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool):
    user = _target(user_id)
    if not ActionForm().validate_on_submit():
        return _back()
    try:
        accounts.set_active(current_user, user, active, address=client_address())
    except AccountError as error:
        _flash_error(error)
    else:
        if active:
            flash(_("%(email)s can sign in again.", email=user.email), "success")
        else:
            flash(_("%(email)s is deactivated and signed out everywhere.", email=user.email), "success")
    return _back()


@bp.get("/audit")
@role_required("admin")
def audit():
    form = AuditFilterForm(request.args)
    values = _valid_filters(form)
    filters = AuditFilters(
        actor=values["actor"] or "", action=values["action"] or "",
        since=values["since"], until=values["until"],
    )
    page = audit_page(filters, page=requested_page(), per_page=PER_PAGE)
    return render_template("admin/audit.html", form=form, page=page)


# --- Notices whose mail failed ------------------------------------------------------------


@bp.get("/notices")
@role_required("admin")
def notices():
    page = notices_service.failed_page(page=requested_page(), per_page=PER_PAGE)
    return render_template("admin/notices.html", page=page, counts=queue_counts(), action=ActionForm(),
                           kind_label=_kind_label)


def _kind_label(name: str) -> str:
    kind = KINDS.get(name)
    return str(kind.label) if kind is not None else name


@bp.post("/notices/retry")
@role_required("admin")
def retry_notices():
    """Retry one notice (``one``), the ticked ones (``ids``) or all those the page showed
    (``shown``, with ``which=page``); those no longer failed are left as they are."""
    back = redirect(safe_next_url(request.form.get("next"), default=url_for("admin.notices")))
    if not ActionForm().validate_on_submit():
        return back
    if request.form.get("one"):
        wanted = [request.form.get("one")]
    elif request.form.get("which") == "page":
        wanted = request.form.getlist("shown")
    else:
        wanted = request.form.getlist("ids")
    ids = failed_among(i for i in map(read_id, wanted) if i is not None)
    if not ids:
        flash(_("Choose at least one failed notification to retry.") if not wanted
              else _("None of these notifications is failed any more: nothing was retried."), "error")
        return back
    retried = notices_service.retry(current_user, ids, address=client_address())
    flash(ngettext("%(num)s notification will be sent again.", "%(num)s notifications will be sent again.", len(retried)),
          "success")
    return back


# --- Merging two records of one person -------------------------------------------------------


@bp.get("/people/merge")
@role_required("admin")
def merge_people():
    """Choose the record to keep and the duplicate (search, or the possible duplicates of
    the record kept), then review both side by side and what will move."""
    keep_id, duplicate_id = read_id(request.args.get("keep")), read_id(request.args.get("duplicate"))
    # NUL taken out, as the forms do (PostgreSQL refuses it in text).
    return _merge_page(keep_id, duplicate_id, (request.args.get("q") or "").replace("\x00", "")[:100])


@bp.post("/people/merge")
@role_required("admin")
def merge_people_confirm():
    form = MergeForm()
    keep_id, duplicate_id = read_id(form.keep.data), read_id(form.duplicate.data)
    if not form.validate_on_submit():
        flash(_("The form was incomplete or has expired. Review the merge again."), "error")
        return _merge_page(keep_id, duplicate_id, ""), 422
    try:
        result = merge.merge_people(current_user, keep_id, duplicate_id, nonce=form.nonce.data,
                                    address=client_address())
    except merge.MergeRefused as refused:
        return _merge_page(keep_id, duplicate_id, "", refused=refused), 409
    if result.repeated:
        flash(_("These records were already merged."), "info")
    else:
        flash(_("Record #%(duplicate)s is merged into this one.", duplicate=result.duplicate_id), "success")
        if result.account == "deactivate":
            flash(_("The merged record's account is deactivated: this record keeps its own."), "info")
    return redirect(url_for("recruitment.evangelist", evangelist_id=result.keep_id))


def _merge_page(keep_id: int | None, duplicate_id: int | None, query: str, *,
                refused: merge.MergeRefused | None = None):
    keep, duplicate = merge.get_person(keep_id), merge.get_person(duplicate_id)
    error = refusal_message(refused) if refused is not None else None
    plan = None
    if keep is not None and duplicate is not None:
        try:
            plan = merge.plan_merge(keep_id, duplicate_id, actor=current_user)
        except merge.MergeRefused as problem:
            error = error or refusal_message(problem)
    for number, person, name in ((keep_id, keep, "keep"), (duplicate_id, duplicate, "duplicate")):
        if number is not None and person is None:
            error = error or refusal_message(merge.MergeRefused(name, "unknown", number=number))
    form = None
    if plan is not None:
        form = MergeForm(formdata=None, keep=plan.keep.id, duplicate=plan.duplicate.id,
                         nonce=secrets.token_urlsafe(24))
    suggestions = []
    if keep is not None and duplicate is None:
        suggestions = merge.people_by_id([m.person_id for m in duplicates_of(keep, limit=SHOWN)])
    found = merge.find_people(query, exclude=keep.id if keep is not None else None) if query else []
    return render_template(
        "admin/merge.html", plan=plan, keep=keep, duplicate=duplicate, query=query, found=found,
        suggestions=suggestions, form=form, error=error,
    )
