"""Routes of the notices blueprint: each signed-in person's own notices and preferences.

Every page here belongs to one person: not under the page cache, and ``no-store`` like
every answer to a signed-in user (app/security.py). The bell's count in the navbar comes
from ``unread_notice_count`` below; a kept page of another view carries it too, which is
right because the page cache keys pages on the user and the data version, and every
change to a notice (a new one, one read) counts the version up (app/page_cache.py).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from app.decorators import signed_in
from app.extensions import db
from app.forms import ActionForm
from app.mail import notice_title
from app.notice_kinds import kind_of, kinds_for
from app.notices import bp
from app.notices.forms import FIELD_PREFIX, preferences_form
from app.pagination import requested_page
from app.services import notices as notices_service
from app.services.notice_settings import save_preferences
from app.services.notice_views import own_notice
from app.web import client_address

PER_PAGE = 30
# Kinds that are no choice of the person's: the digest itself is how "daily" is mailed.
NOT_CHOSEN = frozenset({"digest"})


@bp.app_template_global("unread_notice_count")
def unread_notice_count() -> int:
    """The bell's number for the signed-in user (0 for a visitor)."""
    if not current_user.is_authenticated:
        return 0
    try:
        return notices_service.unread_count(current_user)
    except SQLAlchemyError:  # an error page after a failed transaction: the page still shows
        current_app.logger.warning("the unread count could not be read", exc_info=True)
        db.session.rollback()
        return 0


def _on_this_site(link: str | None) -> str:
    """Where opening a notice leads: its link as a path on this site (the link is made
    from PUBLIC_BASE_URL, which may name another host than the one asked, behind a
    proxy or in a test); the list when the notice links nowhere."""
    if not link:
        return url_for("notices.notices")
    parts = urlsplit(link)
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    if parts.netloc != base.netloc:
        return url_for("notices.notices")  # never sent off the site
    return urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))


@bp.get("/")
@signed_in
def notices():
    page = notices_service.notices_page(current_user, page=requested_page(), per_page=PER_PAGE)
    items = [{"notice": notice, "title": notice_title(notice)} for notice in page.items]
    return render_template("notices/list.html", page=page, items=items, action=ActionForm(),
                           unread=notices_service.unread_count(current_user))


@bp.post("/<id:notice_id>/open")
@signed_in
def open_notice(notice_id: int):
    notice = own_notice(current_user, notice_id)
    if notice is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("notices.notices"))
    link = kind_of(notice.kind).link(notice)
    notices_service.mark_read(current_user, [notice.id])
    return redirect(_on_this_site(link))


@bp.post("/read-all")
@signed_in
def mark_all_read():
    if ActionForm().validate_on_submit():
        changed = notices_service.mark_read(current_user)
        flash(ngettext("%(num)s notification marked read.", "%(num)s notifications marked read.", changed), "success")
    return redirect(url_for("notices.notices"))


def _choosable(role: str):
    kinds = [kind for kind in kinds_for(role) if kind.name not in NOT_CHOSEN]
    return [k for k in kinds if not k.security], [k for k in kinds if k.security]


@bp.route("/preferences", methods=["GET", "POST"])
@signed_in
def preferences():
    choosable, fixed = _choosable(current_user.role)
    form = preferences_form(choosable, notices_service.preferences_of(current_user))
    if form.validate_on_submit():
        save_preferences(current_user, {kind.name: form[FIELD_PREFIX + kind.name].data for kind in choosable},
                         address=client_address())
        flash(_("Your notification settings are saved."), "success")
        return redirect(url_for("notices.preferences"))
    return render_template("notices/preferences.html", form=form, choosable=choosable, fixed=fixed,
                           prefix=FIELD_PREFIX)
