"""/ideas/manage: the coordinators' side of the open dialogue: opening and editing themes.
(The moderation queue and the official answers are beside it.)"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.decorators import role_required
from app.extensions import db
from app.ideas import bp
from app.ideas.forms import ThemeForm
from app.ideas.routes import _theme_or_404
from app.messages import show_refusal
from app.models import IdeaTheme, Prefecture
from app.models.base import utcnow
from app.security import no_store
from app.services import ideas as service
from app.web import client_address
from evangelists import ideas as rules

STAFF = ("coordinator", "admin")


def _prefectures():
    return db.session.scalars(sa.select(Prefecture).order_by(Prefecture.code)).all()


def _input(form: ThemeForm) -> service.ThemeInput:
    materials = tuple((m.form.label.data or "", m.form.url.data or "") for m in form.materials.entries
                      if (m.form.url.data or "").strip())
    return service.ThemeInput(
        title=form.title.data, description=form.description.data, title_reading=form.title_reading.data,
        opens_at=form.opens_at.data, closes_at=form.closes_at.data, scope=form.scope.data,
        region=form.region.data or None, prefecture_code=form.prefecture.data or None,
        municipality_code=(form.municipality.data or "").strip() or None,
        hold_first_posts=form.hold_first_posts.data, materials=materials)


@bp.get("/manage")
@role_required(*STAFF)
def manage():
    """Every theme with its phase and counts, newest first; links to open a theme."""
    themes = db.session.scalars(sa.select(IdeaTheme).order_by(IdeaTheme.opens_at.desc(), IdeaTheme.id.desc())).all()
    counts = service.idea_counts_by_theme([t.id for t in themes])
    return no_store(make_response(render_template(
        "ideas/manage.html", themes=themes, counts=counts, phase_of=service.phase_of)))


@bp.route("/manage/themes/new", methods=["GET", "POST"])
@role_required(*STAFF)
def new_theme():
    form = ThemeForm(prefectures=_prefectures())
    if request.method == "GET":
        start = utcnow().replace(second=0, microsecond=0)
        form.opens_at.data = start
        form.closes_at.data = start + timedelta(days=30)
    return _save_theme(form, None)


@bp.route("/manage/themes/<id:theme_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def edit_theme(theme_id: int):
    theme = _theme_or_404(theme_id)
    form = ThemeForm(obj=None, prefectures=_prefectures())
    if request.method == "GET":
        form.title.data = theme.title
        form.title_reading.data = theme.title_reading
        form.description.data = theme.description
        form.opens_at.data = theme.opens_at
        form.closes_at.data = theme.closes_at
        form.scope.data = theme.scope
        form.region.data = theme.region or ""
        form.prefecture.data = theme.prefecture.code if theme.prefecture else ""
        form.municipality.data = theme.municipality.code if theme.municipality else ""
        form.hold_first_posts.data = theme.hold_first_posts
        for entry, material in zip(form.materials.entries, theme.materials or [], strict=False):
            entry.form.label.data = material.get("label")
            entry.form.url.data = material.get("url")
        while len(form.materials.entries) < min(len(theme.materials or []) + 1, rules.MATERIALS_MAX):
            form.materials.append_entry()
            entry = form.materials.entries[-1]
            index = len(form.materials.entries) - 1
            if index < len(theme.materials):
                entry.form.label.data = theme.materials[index].get("label")
                entry.form.url.data = theme.materials[index].get("url")
    return _save_theme(form, theme)


def _save_theme(form: ThemeForm, theme: IdeaTheme | None):
    """Open a theme (``theme`` None) or change it from a posted form; else the form again,
    with what was typed and why it was refused."""
    if form.validate_on_submit():
        address = client_address()
        try:
            if theme is None:
                theme = service.create_theme(current_user, _input(form), address=address)
            else:
                service.update_theme(current_user, theme, _input(form), address=address)
        except service.IdeaRefused as refused:
            show_refusal(form, refused)
        else:
            flash(_("The theme is saved."), "success")
            return redirect(url_for("ideas.theme", theme_id=theme.id))
    status = 400 if form.errors else 200
    return no_store(make_response(render_template("ideas/theme_form.html", form=form, theme=theme), status))
