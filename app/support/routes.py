"""Routes of the support blueprint: ``/request`` and ``/request/status/<token>``."""

from __future__ import annotations

import secrets

from flask import (
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from app.booking_forms import PickSlotForm
from app.decorators import public
from app.downloads import attachment_response
from app.extensions import limiter
from app.i18n import carried_value
from app.links import external_url
from app.mail import mail_configured
from app.messages import flash_refusal, refusal_message
from app.page_cache import cached_page, fresh_value
from app.request_forms import RequestForm, request_form_for
from app.security import no_store
from app.services import bookings as bookings_service
from app.services import feedback as feedback_service
from app.services import requests as requests_service
from app.services import use_cases as use_cases_service
from app.services.feedback import FeedbackRefused
from app.services.use_cases import UseCaseRefused
from app.support import bp
from app.support.forms import FeedbackForm, MessageForm, TownAnswerForm, WithdrawForm
from app.visit_times import format_span
from app.web import client_address
from evangelists.bookings import BookingRefused
from evangelists.lifecycle import TransitionRefused

SUBMITTED = "submitted_request"
ADDED = "added_to_request"


def _created(_response) -> bool:
    return bool(g.get("request_created"))


def _request_form() -> RequestForm:
    form = request_form_for(RequestForm)
    if request.method == "GET":
        # New for every visitor, also when the page comes from the page cache: two towns
        # must never share the nonce that tells a resubmission from a new request.
        form.nonce.data = fresh_value("request-form-nonce", lambda: secrets.token_urlsafe(24))
    return form


@bp.route("", methods=["GET", "POST"])
@public
@limiter.limit("10 per hour", methods=["POST"], deduct_when=_created, scope="support-request")
@cached_page
def new_request():
    form = _request_form()
    if request.method == "GET":
        return render_template("support/request.html", form=form)
    if form.website.data:
        # A bot filled the hidden field: answer as if all went well, store nothing.
        current_app.logger.info("support request honeypot filled from %s", client_address())
        return redirect(url_for("support.thanks"))
    if request.form.get("action") == "prefecture":
        # Without JavaScript, choosing the prefecture reloads the form with its
        # municipalities; everything typed so far comes back unchanged.
        return render_template("support/request.html", form=form, focus="municipality")
    if not form.validate_on_submit():
        return render_template("support/request.html", form=form), 422
    submission = form.as_submission()
    choice = request.form.get("duplicate")
    if choice != "new":
        existing = requests_service.open_request_for(submission.municipality_code)
        if existing is not None and existing.form_nonce != submission.nonce:
            # Anyone can name any town here: the hint says only that the town already
            # asked (it prevents duplicates), never which request, when or anything in it,
            # and what is added waits for a coordinator. The request stays out of the
            # templates so that nothing of it can slip into the page.
            if choice == "add":
                added = requests_service.add_to_open_request(existing, submission, address=client_address())
                g.request_created = True
                if added.token is not None:
                    session[ADDED] = {"id": added.addition.id, "token": added.token}
                elif session.get(ADDED, {}).get("id") != added.addition.id:
                    session[ADDED] = {"id": added.addition.id}
                return redirect(url_for("support.added"))
            return render_template("support/request.html", form=form, duplicate=True)
    result = requests_service.submit_request(submission, address=client_address())
    if result.token is not None:
        g.request_created = True
        session[SUBMITTED] = {"id": result.request.id, "token": result.token}
    elif session.get(SUBMITTED, {}).get("id") != result.request.id:
        # The same form again (double click, back button): the first request stands. Its
        # link was shown to whoever sent it first; here only the number is said again.
        session[SUBMITTED] = {"id": result.request.id}
    return redirect(url_for("support.sent"))


@bp.get("/sent")
@public
def sent():
    """The confirmation: the request number and, once only, the private status link.

    The token travels from the form to here in the signed (readable, not encrypted)
    session cookie; showing the page takes it out, so a reload, or the next person at the
    same browser, sees the number and a note that the link was shown (and mailed) but
    never the link again. A resubmission of the same form lands here too. Never kept by
    the page cache and never stored by the browser or a proxy (``no-store``)."""
    saved, token = _take_once(SUBMITTED)
    if not saved:
        return redirect(url_for("support.new_request"))
    if token is None:
        token = _carried_back(saved["id"])
    response = make_response(render_template(
        "support/sent.html",
        number=saved["id"],
        link=external_url("support.status", token=token) if token else None,
        mailed=mail_configured(),
        language_carry=token,
    ))
    return no_store(response)


@bp.get("/added")
@public
def added():
    """The confirmation after adding to the town's open request: what happens next and,
    once only, the sender's own private status link (shown, then dropped from the session
    like ``sent``'s). It says nothing of the request itself: anyone can get here by
    naming any town. ``no-store``."""
    saved, token = _take_once(ADDED)
    if not saved:
        return redirect(url_for("support.new_request"))
    if token is None:
        token = carried_value()
        found = requests_service.addition_by_token(token) if token else None
        token = token if found is not None and found.id == saved["id"] else None
    response = make_response(render_template(
        "support/added.html",
        link=external_url("support.status", token=token) if token else None,
        language_carry=token,
    ))
    return no_store(response)


def _take_once(key: str) -> tuple[dict | None, str | None]:
    """What the form left in the session under ``key`` and its status token, which is
    taken out as it is read: the link is shown once (``sent`` and ``added``)."""
    saved = session.get(key)
    if not saved:
        return None, None
    token = saved.get("token")
    if token is not None:
        session[key] = {"id": saved["id"]}
    return saved, token


def _carried_back(number: int) -> str | None:
    """The status token handed back by the language switch right after the link was
    shown, if it is this request's: the link is shown once more, in the other language."""
    token = carried_value()
    found = requests_service.request_by_token(token) if token else None
    return token if found is not None and found.id == number else None


@bp.get("/thanks")
@public
def thanks():
    return render_template("support/thanks.html")


def _by_token(token: str):
    found = requests_service.request_by_token(token)
    if found is None:
        abort(404)
    return found


@bp.route("/status/<token>", methods=["GET", "POST"])
@public
@cached_page
def status(token: str):
    """The municipality's private page. Bound to a secret token, so every answer is
    ``no-store`` (app/security.py, page-cache hits included): no browser history, proxy
    or shared cache keeps it. The worker's own page cache may (keyed by the full path),
    since the page is what towns reload most.

    The token is the request's, or that of another person of the town who added to it
    through the form: their link shows only what they sent until a coordinator accepts
    the addition, then the request's page (messages yes; withdrawing stays with the
    request's own link)."""
    support_request = requests_service.request_by_token(token)
    addition = None
    if support_request is None:
        addition = requests_service.addition_by_token(token)
        if addition is None:
            abort(404)
        if addition.status != "accepted":
            return render_template("support/addition.html", addition=addition)
        support_request = addition.request
    form = MessageForm()
    if form.validate_on_submit():
        try:
            requests_service.add_message(support_request, form.body.data.strip(), sender="municipality",
                                         address=client_address())
        except TransitionRefused:
            flash(_("This request is closed, so messages can no longer be added."), "warning")
        else:
            flash(_("Your message was sent to the coordinators."), "success")
        return redirect(url_for("support.status", token=token))
    return _status_page(support_request, token, addition=addition, form=form)


def _status_page(support_request, token: str, *, addition=None, form=None, feedback_form=None, use_case_form=None):
    """The status page; 422 when a form on it has errors (what was typed is kept)."""
    form = form or MessageForm(formdata=None)
    feedback_form = feedback_form or FeedbackForm(formdata=None)
    use_case_form = use_case_form or TownAnswerForm(formdata=None)
    return render_template(
        "support/status.html",
        req=support_request,
        form=form,
        withdraw_form=WithdrawForm(formdata=None) if addition is None else None,
        view=requests_service.town_view(support_request),
        addition=addition,
        token=token,
        booking=bookings_service.request_booking(support_request),
        pick_form=PickSlotForm(formdata=None),
        feedback=feedback_service.feedback_of(support_request),
        # Only the request's own link answers for the town (as only it withdraws).
        feedback_form=feedback_form if addition is None else None,
        # A use case waiting for the town's answer (templates/use_cases/_town_review.html):
        # only the request's own link answers, as only it withdraws.
        town_use_case=use_cases_service.for_town(support_request) if addition is None else None,
        use_case_form=use_case_form,
    ), (422 if form.errors or feedback_form.errors or use_case_form.errors else 200)


@bp.post("/status/<token>/feedback")
@public
@limiter.limit("10 per hour", scope="request-feedback")
def feedback(token: str):
    """The town's answer to "was the help useful?" (the closing mail links the status
    page). Once per request: a second answer is refused and the first kept."""
    support_request = _by_token(token)
    form = FeedbackForm()
    if not form.validate_on_submit():
        return _status_page(support_request, token, feedback_form=form)
    try:
        feedback_service.give_feedback(support_request, int(form.rating.data), form.comment.data or "",
                                       address=client_address())
    except FeedbackRefused as refused:
        flash_refusal(refused)
    else:
        flash(_("Thank you for your answer. It helps the programme."), "success")
    return redirect(url_for("support.status", token=token, _anchor="feedback"))


@bp.post("/status/<token>/use-case")
@public
@limiter.limit("20 per hour", scope="use-case-answer")
def use_case_answer(token: str):
    """The town's answer about a use case sent to it: ask for changes (with a message) or
    agree to its publication (the box ticked). Only the request's own link answers."""
    support_request = _by_token(token)
    form = TownAnswerForm()
    if form.validate_on_submit():
        try:
            use_cases_service.town_answer(
                support_request, form.posted("use_case"), form.decision.data or "", message=form.message.data or "",
                agreed=bool(form.agree.data), version=form.posted("version"), address=client_address())
        except UseCaseRefused as refused:
            if refused.field not in ("message", "agree"):
                flash_refusal(refused)
                return redirect(url_for("support.status", token=token, _anchor="use-case"))
            form[refused.field].errors = [*form[refused.field].errors, refusal_message(refused)]
            return _status_page(support_request, token, use_case_form=form)
        if form.decision.data == "agreed":
            flash(_("Thank you: the use case is published. Other towns can now learn from it."), "success")
        else:
            flash(_("Thank you: the coordinators will change the use case and send it to you again."), "success")
        return redirect(url_for("support.status", token=token, _anchor="use-case"))
    return _status_page(support_request, token, use_case_form=form)


@bp.get("/status/<token>/use-case/<id:use_case_id>/files/<id:attachment_id>")
@public
def use_case_file(token: str, use_case_id: int, attachment_id: int):
    """A file of the use case the town is asked to agree to, so that it reads everything
    it would publish: only through the request's own link, only while the use case is
    with the town, never stored by a browser or proxy (404 otherwise)."""
    support_request = _by_token(token)
    use_case = use_cases_service.get_use_case(use_case_id)
    if use_case is None or use_case.request_id != support_request.id or use_case.status != "with_town":
        abort(404)
    return attachment_response(use_cases_service.get_attachment(use_case, attachment_id), public_file=False)


@bp.post("/status/<token>/withdraw")
@public
def withdraw(token: str):
    support_request = _by_token(token)
    form = WithdrawForm()
    if not form.validate_on_submit():
        for message in form.confirm.errors:
            flash(message, "error")
        return redirect(url_for("support.status", token=token))
    try:
        requests_service.change_status("municipality", support_request, "withdrawn", address=client_address())
    except TransitionRefused:
        flash(_("This request is already closed."), "warning")
    else:
        flash(_("The request is withdrawn. Thank you for letting us know."), "success")
    return redirect(url_for("support.status", token=token))


@bp.post("/status/<token>/pick")
@public
def pick_slot(token: str):
    """The town books one of the times its evangelist offered (the request's own link or
    an accepted addition's: anyone the request's page is shown to)."""
    support_request = requests_service.request_by_token(token)
    if support_request is None:
        addition = requests_service.addition_by_token(token)
        if addition is None or addition.status != "accepted":
            abort(404)
        support_request = addition.request
    form = PickSlotForm()
    slot_id = form.slot.data if form.validate_on_submit() else None
    if slot_id is None or not slot_id.isascii() or not slot_id.isdigit() or len(slot_id) > 9:
        flash(_("Choose one of the times shown."), "error")
        return redirect(url_for("support.status", token=token))
    try:
        booking = bookings_service.pick_slot(support_request, int(slot_id), address=client_address())
    except BookingRefused as refused:
        flash(refusal_message(refused), "error")
    else:
        flash(_("Booked: %(when)s. A calendar invitation is on its way to you.",
                when=format_span(booking.starts_at, booking.ends_at)), "success")
    return redirect(url_for("support.status", token=token))
