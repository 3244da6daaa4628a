"""``/request/status``: a town that lost its private status link asks for it again with
the request's number and e-mail address (issue 18, point 7)."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.decorators import public
from app.extensions import db, limiter
from app.services.dialogue import resend_status_link
from app.support import bp
from app.support.forms import LostLinkForm, request_number
from app.web import client_address


def _too_many_asks() -> str:
    return _("You asked for the link too often. Please wait an hour and try again, or write to the "
             "programme office. If a link was mailed, it may already be in your mailbox.")


def _number_key() -> str:
    return f"lost-link-number:{request_number(request.form.get('number'))}"


def _email_key() -> str:
    return "lost-link-email:" + request.form.get("email", "").strip().lower()[:254]


@bp.route("/status", methods=["GET", "POST"])
@public
@limiter.limit("10 per hour", methods=["POST"], scope="lost-link", error_message=_too_many_asks)
@limiter.limit("3 per hour", methods=["POST"], key_func=_number_key, scope="lost-link-number",
               error_message=_too_many_asks)
@limiter.limit("3 per hour", methods=["POST"], key_func=_email_key, scope="lost-link-email",
               error_message=_too_many_asks)
def lost_link():
    """Ask for the status link again with the request's number and e-mail address. The
    answer is the same words after the same redirect whether or not they match a request
    (nobody learns which numbers and addresses go together), and it is sent before the
    request is even looked up: a match adds a notice row then, mailed by the queue.
    Limited per client address, per number and per e-mail address typed."""
    form = LostLinkForm()
    if form.validate_on_submit():
        response = redirect(url_for("support.link_asked"))
        # Looked up and written once the answer is sent: how long the answer takes says
        # nothing of whether the number and address matched.
        response.call_on_close(_after_the_answer(resend_status_link, form.number_value, form.email.data,
                                                 address=client_address()))
        return response
    return render_template("support/lost_link.html", form=form), (422 if form.errors else 200)


def _after_the_answer(work, *args, **kwargs):
    """``work(*args, **kwargs)`` to run when the WSGI server closes the response (after
    sending it), in an app context of its own (the request's is gone by then). A failure
    is logged, never shown: the answer has already left."""
    app = current_app._get_current_object()

    def run() -> None:
        with app.app_context():
            try:
                work(*args, **kwargs)
            except Exception:
                app.logger.exception("%s failed after the answer was sent", work.__name__)
                db.session.rollback()

    return run


@bp.get("/status/asked")
@public
def link_asked():
    return render_template("support/link_asked.html")
