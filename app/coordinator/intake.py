"""A request taken down by a coordinator: the town asked by phone, e-mail, post or in person
(``/coordinator/requests/new``). The same form, checks and duplicate rule as ``/request``
(app/support/routes.py), with the e-mail optional, how and when the town asked, and who
recorded it."""

from __future__ import annotations

import secrets

from flask import make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.coordinator import bp
from app.decorators import role_required
from app.forms import staff_prefectures
from app.labels import label
from app.links import external_url
from app.mail import mail_configured
from app.messages import show_refusal
from app.request_forms import IntakeForm, request_form_for
from app.security import no_store
from app.services import requests as requests_service
from app.services.geography import municipality_at
from app.services.regions import can_see
from app.services.requests import Intake, IntakeRefused
from app.web import client_address
from evangelists.calendar import today_in_japan

STAFF = ("coordinator", "admin")
# What the last recording left for its confirmation page; the status token is taken out
# once shown (as /request/sent does).
RECORDED = "recorded_request"


def _intake_form() -> IntakeForm:
    form = request_form_for(IntakeForm, prefectures=staff_prefectures(), today=today_in_japan())
    if request.method == "GET":
        form.nonce.data = secrets.token_urlsafe(24)
    return form


def _page(form: IntakeForm, status: int = 200, **context):
    response = make_response(render_template("coordinator/record_request.html", form=form, **context), status)
    return no_store(response)  # what the town said, contact details included


@bp.route("/requests/new", methods=["GET", "POST"])
@role_required(*STAFF)
def record_request():
    """Record a request a town made by phone, e-mail, post or in person. When the town
    already has an open request, the coordinator chooses, as the town does on
    ``/request``: add what was said to it (a pending addition) or record a new request
    anyway; the page names the open request and links it."""
    form = _intake_form()
    if request.method == "GET":
        return _page(form)
    if request.form.get("action") == "prefecture":
        # Without JavaScript, choosing the prefecture reloads the form with its
        # municipalities; everything typed so far comes back unchanged.
        return _page(form, focus="municipality")
    if not form.validate_on_submit():
        return _page(form, 422)
    town = municipality_at(form.municipality.data)
    if town is not None and not can_see(current_user, town):
        # A regional coordinator records calls from their regions' towns only.
        form.municipality.errors.append(_(
            "%(town)s is in %(region)s, outside your regions. Pass the call to a national coordinator "
            "or to the coordinator of that region.", town=town.name, region=label("region", town.prefecture.region)))
        return _page(form, 422)
    submission = form.as_submission()
    choice = request.form.get("duplicate")
    if choice != "new":
        existing = requests_service.open_request_for(submission.municipality_code)
        if existing is not None and existing.form_nonce != submission.nonce:
            if choice == "add":
                added = requests_service.add_to_open_request(
                    existing, submission, address=client_address(), recorded_by=current_user,
                    source=form.source.data)
                _remember("addition", added.addition.id, added.token, request_id=existing.id)
                return redirect(url_for("coordinator.recorded"))
            return _page(form, existing=existing)
    intake = Intake(submission, form.source.data, form.received_on.data)
    try:
        result = requests_service.record_request(current_user, intake, today=today_in_japan(),
                                                 address=client_address())
    except IntakeRefused as refused:
        show_refusal(form, refused)
        return _page(form, 422)
    _remember("request", result.request.id, result.token)
    return redirect(url_for("coordinator.recorded"))


def _remember(kind: str, number: int, token: str | None, *, request_id: int | None = None) -> None:
    saved = session.get(RECORDED) or {}
    if token is None and saved.get("kind") == kind and saved.get("id") == number:
        return  # the same form again: what the first one left stands
    session[RECORDED] = {"kind": kind, "id": number, "request": request_id or number,
                         **({"token": token} if token else {})}


@bp.get("/requests/recorded")
@role_required(*STAFF)
def recorded():
    """What was recorded: the new request (or the addition to the town's open request),
    whether the receipt was mailed and, when it was not, the town's status link, once,
    to read out or post (taken out of the session as it is shown). ``no-store``."""
    saved = session.get(RECORDED)
    if not saved:
        return redirect(url_for("coordinator.record_request"))
    token = saved.get("token")
    if token is not None:
        session[RECORDED] = {k: v for k, v in saved.items() if k != "token"}
    support_request = requests_service.get_request(saved["request"])
    if support_request is None:
        session.pop(RECORDED, None)
        return redirect(url_for("coordinator.record_request"))
    addition = requests_service.addition_of(support_request, saved["id"]) if saved["kind"] == "addition" else None
    mailed = saved["kind"] == "request" and bool(support_request.email) and mail_configured()
    link = external_url("support.status", token=token) if token and not mailed else None
    response = make_response(render_template(
        "coordinator/recorded.html", req=support_request, addition=addition, mailed=mailed, link=link,
        link_shown=token is None,
    ))
    return no_store(response)
