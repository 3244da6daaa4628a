"""/ideas: the open dialogue's public pages (themes, a theme's ideas, an idea with its
comments) and what a signed-in person does there (post, comment, reply, vote, keep a
dialogue profile). Anyone reads; posting needs an account with a dialogue profile."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.decorators import public, role_required
from app.extensions import db, limiter
from app.i18n import current_language
from app.ideas import bp
from app.ideas.forms import CommentForm, IdeaFilterForm, IdeaForm, ProfileForm, VoteForm
from app.messages import refusal_message, show_refusal
from app.models import Municipality, Prefecture
from app.page_cache import cached_page
from app.pagination import requested_page
from app.safe_redirect import safe_next_url
from app.security import no_store
from app.services import ideas as service
from app.services.geography import list_prefectures, municipalities_of
from app.services.pages import page_of
from app.services.topics import list_topics
from app.web import client_address
from evangelists import ideas as rules
from evangelists.limits import read_id
from evangelists.vocabulary import ROLES

POSTERS = ROLES  # every account may take part, with a dialogue profile


def _posts_per_address() -> str:
    return current_app.config["IDEAS_POSTS_PER_ADDRESS"]


_posts_limited = limiter.shared_limit(_posts_per_address, "idea-posts", methods=["POST"])


def _topic_choices() -> list[tuple[str, str]]:
    ja = current_language() == "ja"
    return [(t.slug, t.name_ja if ja else t.name_en) for t in list_topics()]


def _theme_or_404(theme_id: int):
    theme = service.get_theme(theme_id)
    if theme is None:
        abort(404, description=_("No theme has the number %(id)s.", id=theme_id))
    return theme


def _idea_or_404(idea_id: int):
    idea = service.get_idea(idea_id)
    if idea is None or not service.can_read(idea, current_user):
        abort(404, description=_("No idea has the number %(id)s.", id=idea_id))
    return idea


def _prefectures():
    return db.session.scalars(sa.select(Prefecture).order_by(Prefecture.code)).all()


def _honeypot_filled(form) -> bool:
    if form.website.data:
        current_app.logger.info("idea box honeypot filled from %s", client_address())
        return True
    return False


@bp.app_context_processor
def _dialogue_helpers() -> dict:
    """For every template that shows posts (here, and the municipality's page): the
    author's shown name, and a post's text cut into text and links."""
    return {"author_label": service.author_label, "segments": rules.segments}


# -- reading ---------------------------------------------------------------------------


@bp.get("")
@public
@cached_page
def index():
    """The themes: open ones first, then those opening soon, then closed ones."""
    groups = service.themes_by_phase()
    ids = [t.id for group in groups.values() for t in group]
    return render_template("ideas/index.html", groups=groups, counts=service.idea_counts_by_theme(ids),
                           profile=service.profile_of(current_user))


@bp.get("/themes/<id:theme_id>")
@public
@cached_page
def theme(theme_id: int):
    """A theme and its ideas: sorted, filtered, searched, 20 a page."""
    theme = _theme_or_404(theme_id)
    topics = _topic_choices()
    form = IdeaFilterForm(request.args, topics=topics, meta={"csrf": False})
    form.validate()
    filters = service.IdeaFilters(
        sort=form.sort.data if not form.sort.errors and form.sort.data else "new",
        voice="" if form.voice.errors else (form.voice.data or ""),
        topic="" if form.topic.errors else (form.topic.data or ""),
        status="" if form.status.errors else (form.status.data or ""),
        municipality="" if form.municipality.errors else (form.municipality.data or ""),
        q="" if form.q.errors else (form.q.data or ""),
    )
    page = page_of(service.idea_list(theme, filters), requested_page(), service.PER_PAGE)
    town = None
    if filters.municipality:
        town = db.session.scalar(sa.select(Municipality).where(Municipality.code == filters.municipality))
    return render_template("ideas/theme.html", theme=theme, phase=service.phase_of(theme), form=form,
                           filters=filters, page=page, town=town, profile=service.profile_of(current_user))


@bp.get("/<id:idea_id>")
@public
@cached_page
def idea(idea_id: int):
    """An idea with its answer, votes and comments. ``?reply=<comment>`` sets the page's
    comment form to answer that comment, ``?report=<comment>`` opens the report form for it:
    each comment links to them, one form of each on the page rather than two under every
    comment of a long thread."""
    idea = _idea_or_404(idea_id)
    return _idea_page(idea, reply_to=read_id(request.args.get("reply", "").replace("\x00", "")),
                      report_comment=read_id(request.args.get("report", "").replace("\x00", "")))


def _idea_page(idea, *, comment_form=None, status: int = 200, reply_to: int | None = None,
               report_comment: int | None = None):
    phase = service.phase_of(idea.theme)
    threads = service.threads(idea, current_user)
    replying = next((t.comment for t in threads for c in (t.comment, *t.replies)
                     if reply_to is not None and c.id == reply_to and t.comment.visibility == "shown"), None)
    reporting = None
    if report_comment is not None:
        reporting = next((c for t in threads for c in (t.comment, *t.replies)
                          if c.id == report_comment and c.visibility == "shown"), None)
    response = make_response(render_template(
        "ideas/idea.html", idea=idea, theme=idea.theme, phase=phase,
        threads=threads, stances=service.stance_counts(idea),
        my_vote=service.my_vote(current_user, idea.id), profile=service.profile_of(current_user),
        comment_form=comment_form or CommentForm(), vote_form=VoteForm(),
        replying=replying, reporting=reporting), status)
    return no_store(response) if status != 200 else response


# -- posting -----------------------------------------------------------------------------


def _idea_form(theme) -> IdeaForm:
    """The idea form with the prefectures the theme is about (all for a national theme)
    and the chosen prefecture's municipalities; a theme about one town names it."""
    prefectures = list_prefectures()
    if theme.scope == "region":
        prefectures = [p for p in prefectures if p.region == theme.region]
    elif theme.scope == "prefecture":
        prefectures = [p for p in prefectures if p.id == theme.prefecture_id]
    elif theme.scope == "municipality" and theme.municipality:
        prefectures = [p for p in prefectures if p.id == theme.municipality.prefecture_id]
    if request.method == "POST":
        chosen = request.form.get("prefecture", "")
    elif theme.scope == "municipality" and theme.municipality:
        chosen = theme.municipality.code[:2]
    else:
        chosen = prefectures[0].code if len(prefectures) == 1 else ""
    towns = municipalities_of(chosen) if chosen in {p.code for p in prefectures} else []
    form = IdeaForm(topics=_topic_choices(), prefectures=prefectures, municipalities=towns,
                    locale=current_language())
    if request.method == "GET":
        form.prefecture.data = chosen
        if theme.scope == "municipality" and theme.municipality:
            form.municipality.data = theme.municipality.code
    return form


def _needs_profile():
    """A signed-in person without a dialogue profile is sent to make one first."""
    if service.profile_of(current_user) is None:
        flash(_("Choose a display name and your voice before you post."), "info")
        return redirect(url_for("ideas.profile", next=request.full_path.rstrip("?")))
    return None


@bp.route("/themes/<id:theme_id>/new", methods=["GET", "POST"])
@role_required(*POSTERS)
@_posts_limited
def new_idea(theme_id: int):
    theme = _theme_or_404(theme_id)
    if service.phase_of(theme) != "open":
        flash(refusal_message(service.IdeaRefused("theme", "not_open")), "error")
        return redirect(url_for("ideas.theme", theme_id=theme.id))
    missing = _needs_profile()
    if missing is not None:
        return missing
    form = _idea_form(theme)
    if request.method == "POST" and request.form.get("action") == "prefecture":
        # Without JavaScript, choosing the prefecture reloads the form with its
        # municipalities; everything typed so far comes back unchanged.
        return no_store(make_response(render_template("ideas/new_idea.html", theme=theme, form=form,
                                                      focus="municipality")))
    if form.validate_on_submit():
        if _honeypot_filled(form):
            return redirect(url_for("ideas.theme", theme_id=theme.id))
        data = service.IdeaInput(title=form.title.data, body=form.body.data,
                                 municipality_code=(form.municipality.data or "").strip() or None,
                                 topic_slugs=tuple(form.topics.data or ()))
        try:
            idea = service.post_idea(current_user, theme, data)
        except service.IdeaRefused as refused:
            show_refusal(form, refused)
        else:
            if idea.visibility == "held":
                flash(_("Thank you. Your first post in this theme will be shown once a moderator has looked at "
                        "it."), "info")
            else:
                flash(_("Your idea is posted."), "success")
            return redirect(url_for("ideas.idea", idea_id=idea.id))
    status = 400 if form.errors else 200
    return no_store(make_response(render_template("ideas/new_idea.html", theme=theme, form=form), status))


@bp.post("/<id:idea_id>/comments")
@role_required(*POSTERS)
@_posts_limited
def comment(idea_id: int):
    idea = _idea_or_404(idea_id)
    missing = _needs_profile()
    if missing is not None:
        return missing
    form = CommentForm()
    parent_id = read_id(form.parent.data)
    if form.validate_on_submit():
        if _honeypot_filled(form):
            return redirect(url_for("ideas.idea", idea_id=idea.id))
        try:
            made = service.add_comment(current_user, idea, form.stance.data, form.body.data, parent_id=parent_id)
        except service.IdeaRefused as refused:
            show_refusal(form, refused)
        else:
            if made.visibility == "held":
                flash(_("Thank you. Your first post in this theme will be shown once a moderator has looked at "
                        "it."), "info")
            else:
                flash(_("Your comment is posted."), "success")
            return redirect(url_for("ideas.idea", idea_id=idea.id) + f"#comment-{made.id}")
    return _idea_page(idea, comment_form=form, status=400, reply_to=parent_id)


@bp.post("/<id:idea_id>/vote")
@role_required(*POSTERS)
def vote(idea_id: int):
    idea = _idea_or_404(idea_id)
    missing = _needs_profile()
    if missing is not None:
        return missing
    form = VoteForm()
    if not form.validate_on_submit():
        flash(_("Choose agree or disagree."), "error")
    else:
        try:
            result = service.vote(current_user, idea, form.vote.data)
        except service.IdeaRefused as refused:
            flash(refusal_message(refused), "error")
        else:
            if result.changed:
                flash(_("Your vote is counted.") if result.value else _("Your vote is taken back."), "success")
    return redirect(url_for("ideas.idea", idea_id=idea.id) + "#votes")


# -- the dialogue profile ----------------------------------------------------------------


@bp.route("/profile", methods=["GET", "POST"])
@role_required(*POSTERS)
def profile():
    """The display name, voice and optional answers a signed-in person takes part with."""
    mine = service.profile_of(current_user)
    form = ProfileForm(prefectures=_prefectures())
    if request.method == "GET" and mine is not None:
        form.handle.data = mine.handle
        form.voice.data = mine.voice
        form.prefecture.data = mine.prefecture.code if mine.prefecture else ""
        form.age_band.data = mine.age_band or ""
        form.gender.data = mine.gender or ""
    if form.validate_on_submit():
        data = service.ProfileInput(handle=form.handle.data, voice=form.voice.data,
                                    prefecture_code=form.prefecture.data or None,
                                    age_band=form.age_band.data or None, gender=form.gender.data or None)
        try:
            service.save_profile(current_user, data)
        except service.IdeaRefused as refused:
            show_refusal(form, refused)
        else:
            flash(_("Your idea box profile is saved."), "success")
            return redirect(safe_next_url(request.args.get("next"), url_for("ideas.index")))
    status = 400 if form.errors else 200
    return no_store(make_response(render_template("ideas/profile.html", form=form, profile=mine), status))
