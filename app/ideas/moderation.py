"""/ideas: moderation and official answers (issue 21, points 4 and 5). Anyone signed in
reports a post; coordinators decide on the queue (/ideas/manage/reports) and answer ideas;
everyone reads the terms of use (/ideas/terms) and the public moderation log
(/ideas/moderation). Thin: app/services/moderation.py and idea_answers.py decide and commit."""

from __future__ import annotations

from flask import flash, g, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.decorators import public, role_required
from app.ideas import bp
from app.ideas.moderation_forms import AnswerForm, ModerationForm, ReportForm
from app.ideas.routes import _idea_or_404
from app.messages import refusal_message, show_refusal
from app.page_cache import cached_page
from app.pagination import requested_page
from app.security import no_store
from app.services import idea_answers
from app.services import moderation as service
from app.services.pages import page_of
from app.web import client_address
from evangelists import ideas as rules
from evangelists.vocabulary import ROLES

STAFF = ("coordinator", "admin")

# The terms of use: (title, paragraphs) per article, numbered from 1; a hidden post names
# its article (evangelists.ideas.TERMS_ARTICLES of them).
ARTICLES = (
    (_l("Purpose"), (
        _l("The idea box is where residents, businesses, municipal and national staff and everyone else tell the "
           "Digital Agency’s open data programme which data they want published, and how. These terms apply to "
           "everything posted here: ideas, comments, replies and votes."),)),
    (_l("Respect for others"), (
        _l("Discuss ideas, not people. Do not insult, threaten, harass or discriminate against anyone, for their "
           "origin, nationality, gender, age, disability, beliefs or anything else."),)),
    (_l("No personal data of others"), (
        _l("Do not write anyone’s name, address, telephone number, e-mail address or other data that identifies "
           "a person, nor anything a person would reasonably keep private. This includes staff of municipalities "
           "named in an idea."),)),
    (_l("No advertising or spam"), (
        _l("Do not advertise products, services, events or elections, and do not post the same text again and "
           "again. Links to data, documents and examples that help the discussion are welcome."),)),
    (_l("Stay on topic"), (
        _l("Post in the theme the idea belongs to, about open data and its use. Posts about something else may "
           "be hidden so that the discussion stays readable."),)),
    (_l("Licence of what you post"), (
        _l("What you post is published as open data: anyone may reuse it under the Public Data License (PDL) 1.0, "
           "which is compatible with Creative Commons Attribution 4.0 (CC BY 4.0). The attribution is your display "
           "name and the idea box."),
        _l("Post only what you may publish under these terms: your own words, or material whose licence allows "
           "it."),)),
    (_l("Moderation and the public log"), (
        _l("Anyone signed in can report a post. Coordinators of the programme read the reports and either keep the "
           "post or hide it, naming the article of these terms it breaks. In themes that ask for it, a new "
           "participant’s first post is shown once a coordinator has looked at it."),
        _l("Every decision is listed in the public moderation log, with the article and a short public note. The "
           "log never names who reported or who decided, and never repeats a hidden text."),)),
    (_l("Leaving and your data"), (
        _l("You can leave the idea box at any time. Your account, your display name and the optional answers about "
           "you are then deleted; what you posted stays, shown as posted by a withdrawn user, because others have "
           "answered it and it is published as open data (article 6). Ask the programme if a post of yours reveals "
           "personal data: it will be hidden."),
        _l("Your e-mail address is never shown to other participants. The statistics of participation count groups "
           "of at least five people only."),)),
)
assert len(ARTICLES) == rules.TERMS_ARTICLES


# -- what the idea page's partials use ------------------------------------------------------


@bp.app_template_global("idea_report_form")
def _report_form() -> ReportForm:
    """A blank report form, one per page however many comments show it."""
    if "idea_report_form" not in g:
        g.idea_report_form = ReportForm(formdata=None)
    return g.idea_report_form


@bp.app_template_global("idea_reported")
def _reported(idea_id: int, comment_id: int | None = None) -> bool:
    """Whether the signed-in person has reported this post (one query per page)."""
    cache = g.setdefault("idea_reports_seen", {})
    if idea_id not in cache:
        cache[idea_id] = service.my_reports(current_user, idea_id)
    return comment_id in cache[idea_id]


@bp.app_template_global("idea_answer_form")
def _answer_form(idea) -> AnswerForm:
    return AnswerForm(formdata=None, data={"status": idea.status, "answer": idea.answer or ""})


@bp.app_template_global("ideas_by_town")
def _ideas_by_town(municipality_ids) -> dict:
    """The ideas naming these towns, for the town's page, a request's page and the
    evangelist's brief (templates/ideas/_about_town.html)."""
    return idea_answers.ideas_by_town(municipality_ids)


# -- reports ----------------------------------------------------------------------------------


@bp.post("/<id:idea_id>/report")
@role_required(*ROLES)
def report(idea_id: int):
    idea = _idea_or_404(idea_id)
    form = ReportForm()
    comment_id = int(form.comment.data) if (form.comment.data or "").isdigit() else None
    anchor = f"#comment-{comment_id}" if comment_id else ""
    back = redirect(url_for("ideas.idea", idea_id=idea.id) + anchor)
    if form.validate_on_submit():
        try:
            service.report(current_user, idea, comment_id=comment_id, reason=form.reason.data,
                           note=form.note.data or "")
        except service.ModerationRefused as refused:
            if refused.reason in ("already_reported", "not_reportable"):
                flash(refusal_message(refused), "info")
                return back
            show_refusal(form, refused)
        else:
            flash(_("Thank you. A moderator will look at the post; it stays as it is until then."), "success")
            return back
    comment = None
    if comment_id is not None:
        comment = next((c for c in idea_comments(idea) if c.id == comment_id), None)
    return no_store(make_response(render_template(
        "ideas/moderation/report.html", idea=idea, comment=comment, form=form), 400))


def idea_comments(idea):
    from app.services.ideas import threads

    return [c for t in threads(idea, current_user) for c in (t.comment, *t.replies)]


# -- the queue ------------------------------------------------------------------------------


@bp.get("/manage/reports")
@role_required(*STAFF)
def reports():
    """Posts reported and posts held for review, oldest first, each with its decisions."""
    return _queue_page()


def _queue_page(failed: str | None = None, failed_form: ModerationForm | None = None, status: int = 200):
    return no_store(make_response(render_template(
        "ideas/moderation/queue.html", items=service.queue(), hidden=service.recently_hidden(),
        form_for=lambda item: failed_form if failed == item.key else ModerationForm(
            formdata=None, data={"target": item.key}),
        failed=failed), status))


@bp.post("/manage/reports/decide")
@role_required(*STAFF)
def moderate():
    form = ModerationForm()
    if form.validate_on_submit():
        kind, post_id = form.post()
        decision = service.Decision(action=form.action.data,
                                    article=int(form.article.data) if (form.article.data or "").isdigit() else None,
                                    note=form.note.data or "")
        try:
            service.moderate(current_user, kind, post_id, decision, address=client_address())
        except service.ModerationRefused as refused:
            if refused.field in ("post", "action"):
                flash(refusal_message(refused), "error")
                return redirect(url_for("ideas.reports"))
            show_refusal(form, refused)
        else:
            flash(_("Decided: %(action)s.", action=_action_label(form.action.data)), "success")
            return redirect(url_for("ideas.reports"))
    if form.target.errors:
        flash(form.target.errors[0], "error")
        return redirect(url_for("ideas.reports"))
    return _queue_page(form.target.data, form, 400)


def _action_label(action: str) -> str:
    from app.labels import label

    return label("idea_moderation_decision", action)


# -- the public pages -------------------------------------------------------------------------


@bp.get("/moderation")
@public
@cached_page
def moderation_log():
    """What moderators did, newest first: the post, the decision, the article, the public
    note. Never who reported or decided, never a hidden text."""
    page = page_of(service.public_log(), requested_page(), service.LOG_PER_PAGE)
    return render_template("ideas/moderation/log.html", page=page)


@bp.get("/terms")
@public
@cached_page
def terms():
    return render_template("ideas/moderation/terms.html", articles=ARTICLES)


# -- official answers -------------------------------------------------------------------------


@bp.post("/<id:idea_id>/answer")
@role_required(*STAFF)
def answer(idea_id: int):
    idea = _idea_or_404(idea_id)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            idea_answers.answer(current_user, idea, form.status.data, form.answer.data or "",
                                address=client_address())
        except idea_answers.AnswerRefused as refused:
            show_refusal(form, refused)
        else:
            flash(_("The answer is published; the participants are notified."), "success")
            return redirect(url_for("ideas.idea", idea_id=idea.id) + "#answer")
    return no_store(make_response(render_template("ideas/moderation/answer.html", idea=idea, form=form), 400))

