"""/coordinator/outreach: cases of outreach to towns that have not asked (issue 20, point
7). Thin: the forms read, app/services/outreach.py decides and commits. A regional
coordinator sees and acts on the towns of their regions only (404 elsewhere)."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.decorators import role_required
from app.extensions import db
from app.forms import staff_prefectures
from app.i18n import current_language
from app.messages import refusal_message, show_refusal
from app.models import Community, Evangelist, Municipality, OutreachCase, User
from app.outreach import bp
from app.outreach.forms import (
    BulkOpenForm,
    CaseBulkForm,
    CaseFilterForm,
    CaseForm,
    CloseForm,
    ConsentForm,
    ContactForm,
    OpenCaseForm,
)
from app.pagination import requested_page
from app.security import no_store
from app.services import outreach as service
from app.services.ownership import possible_owners
from app.services.pages import page_of
from app.services.regions import communities_visible, evangelists_visible, municipality_visible, scope_of
from app.services.reports import gap_figures
from app.services.requests import IntakeRefused
from app.web import client_address, visible_or_404
from evangelists.calendar import today_in_japan
from evangelists.errors import Refused
from evangelists.lifecycle import TransitionRefused
from evangelists.limits import BULK_ROWS_MAX, read_id
from evangelists.vocabulary import OPEN_OUTREACH_STATUSES

STAFF = ("coordinator", "admin")
PER_PAGE = 50


def _page(template: str, status: int = 200, **context):
    return no_store(make_response(render_template(template, **context), status))


def _case_or_404(case_id: int):
    case = service.get_case(case_id)
    if case is None:
        abort(404, description=_("No outreach case has the number %(id)s.", id=case_id))
    visible_or_404(case.municipality)
    return case


def _town_or_404(code: str | None) -> Municipality:
    town = db.session.scalar(sa.select(Municipality).where(Municipality.code == (code or "")[:6]))
    if town is None:
        abort(404, description=_("No municipality has this code."))
    visible_or_404(town)
    return town


# -- the list --------------------------------------------------------------------------


@bp.get("")
@role_required(*STAFF)
def cases():
    """The cases of the viewer's regions: filters by status (open ones by default),
    prefecture, owner and next date due."""
    return _cases_page()


def _cases_page(status: int = 200, bulk_form: CaseBulkForm | None = None, selected: tuple[int, ...] = ()):
    owners = possible_owners()
    form = CaseFilterForm(request.args, prefectures=staff_prefectures(), owners=owners,
                          ja=current_language() == "ja")
    form.validate()
    value = {name: None if form[name].errors else form[name].data for name in ("status", "prefecture", "owner", "due")}
    owner = value["owner"] or ""
    filters = service.CaseFilters(
        status="open" if value["status"] is None else value["status"],
        prefecture=value["prefecture"] or "",
        owner=0 if owner == "none" else (int(owner) if owner.isdigit() else None),
        due_by=value["due"])
    page = page_of(service.case_list(scope_of(current_user), filters), requested_page(), PER_PAGE)
    return _page("outreach/cases.html", status, form=form, page=page, today=today_in_japan(),
                 bulk_form=bulk_form or CaseBulkForm(formdata=None, owners=owners), selected=set(selected))


@bp.post("/cases/bulk")
@role_required(*STAFF)
def bulk_cases():
    """One action on the ticked cases (an owner, or closing them with one reason): a page
    that lists them and says what will happen, then, confirmed from it (its one-time
    ``run`` value), every case or none in one transaction."""
    owners = possible_owners()
    form = CaseBulkForm(owners=owners)
    given = request.form.getlist("ids")
    ids = [n for n in (read_id(v) for v in given) if n is not None]
    if not form.validate_on_submit():
        return _cases_page(422, form, tuple(ids))
    if len(ids) != len(given):
        form.form_errors.append(_("A ticked row is not a case number. Reload the list and choose again."))
        return _cases_page(422, form, tuple(ids))
    owner_id = read_id(form.owner.data or None) if form.action.data == "owner" else None
    try:
        if request.form.get("confirmed") != "1" or not form.run.data:
            chosen = service.chosen_cases(current_user, ids)
            form.run.data = secrets.token_urlsafe(24)
            owner = next((u for u in owners if u.id == owner_id), None)
            return _page("outreach/cases_bulk_review.html", form=form, rows=chosen, owner=owner)
        result = service.bulk_cases(current_user, ids, form.action.data, nonce=form.run.data[:64],
                                    owner_id=owner_id, reason=form.reason.data, today=today_in_japan(),
                                    address=client_address())
    except Refused as refused:
        show_refusal(form, refused)
        return _cases_page(422, form, tuple(ids))
    if result.applied:
        return redirect(url_for("outreach.cases_bulk_done", run_id=result.run.id))
    return _page("outreach/cases_bulk_result.html", 409, result=result, describe=refusal_message)


@bp.get("/cases/bulk/<id:run_id>")
@role_required(*STAFF)
def cases_bulk_done(run_id: int):
    """What a bulk action on cases carried out did, case by case (the person's own runs)."""
    run = service.get_cases_run(run_id)
    if run is None or (run.user_id != current_user.id and current_user.role != "admin"):
        abort(404, description=_("No bulk action has the number %(id)s.", id=run_id))
    return _page("outreach/cases_bulk_result.html", result=service.cases_outcome(run), describe=refusal_message)


# -- opening ---------------------------------------------------------------------------


@bp.route("/new/<code>", methods=["GET", "POST"])
@role_required(*STAFF)
def new(code: str):
    """Open a case for one town: a page that names it, says why not when it cannot be
    opened, and suggests the nearest evangelists and communities; the button opens it."""
    town = _town_or_404(code)
    form = OpenCaseForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            opened = service.open_case(current_user, town, address=client_address())
        except Refused as refused:
            form.form_errors.append(refusal_message(refused))
            return _new_page(town, form, 422)
        if opened.created:
            flash(_("Outreach case opened for %(town)s. Log the first contact below.", town=town.name), "success")
        else:
            flash(_("%(town)s already had an open outreach case: here it is.", town=town.name), "info")
        return redirect(url_for("outreach.case", case_id=opened.case.id))
    return _new_page(town, form, 422 if request.method == "POST" else 200)


def _new_page(town: Municipality, form: OpenCaseForm, status: int):
    existing = service.open_case_for(town)
    refused = service.refusal_to_open(current_user, town)
    return _page("outreach/new.html", status, town=town, form=form, existing=existing,
                 refused=refusal_message(refused) if refused is not None and existing is None else None,
                 nearby=service.nearby_helpers(town))


@bp.get("/gap")
@role_required(*STAFF)
def gap():
    """The coverage gap of the viewer's regions, with a box per town to open cases for
    several at once."""
    scope = scope_of(current_user)
    figures = gap_figures()
    codes = [p.code for p in figures.places]
    visible = set(db.session.scalars(sa.select(Municipality.code).where(
        Municipality.code.in_(codes), municipality_visible(scope, Municipality.id)))) if codes else set()
    places = [p for p in figures.places if p.code in visible]
    open_codes = set(db.session.scalars(
        sa.select(Municipality.code).join(OutreachCase, OutreachCase.municipality_id == Municipality.id)
        .where(Municipality.code.in_(visible), OutreachCase.status.in_(OPEN_OUTREACH_STATUSES))
    )) if visible else set()
    return _page("outreach/gap.html", places=places, radius_km=figures.radius_km, open_codes=open_codes,
                 form=BulkOpenForm(formdata=None))


@bp.post("/bulk")
@role_required(*STAFF)
def bulk():
    """Cases for the ticked towns of the gap list: a review page first (what will be
    opened, which town refuses and why), then, confirmed with its one-time ``run`` value,
    all of them in one transaction or none."""
    form = BulkOpenForm()
    codes = [c[:6] for c in request.form.getlist("codes")][:BULK_ROWS_MAX + 1]
    if not form.validate_on_submit():
        return _page("outreach/bulk_review.html", 422, form=form, rows=[], codes=codes)
    try:
        towns = service.chosen_towns(codes)
    except Refused as refused:
        form.form_errors.append(refusal_message(refused))
        return _page("outreach/bulk_review.html", 422, form=form, rows=[], codes=codes)
    if request.form.get("confirmed") != "1" or not form.run.data:
        form.run.data = secrets.token_urlsafe(24)
        rows = service.check_towns(current_user, towns)
        return _page("outreach/bulk_review.html", 200, form=form, rows=rows, codes=codes,
                     refusal=refusal_message)
    result = service.bulk_open(current_user, codes, nonce=form.run.data[:64], address=client_address())
    if not result.applied:
        form.run.data = secrets.token_urlsafe(24)
        return _page("outreach/bulk_review.html", 422, form=form, rows=result.rows, codes=codes,
                     refusal=refusal_message, failed=True)
    return redirect(url_for("outreach.bulk_done", run_id=result.run.id))


@bp.get("/bulk/<id:run_id>")
@role_required(*STAFF)
def bulk_done(run_id: int):
    run = service.get_run(run_id)
    if run is None or (run.user_id != current_user.id and current_user.role != "admin"):
        abort(404, description=_("No bulk action has the number %(id)s.", id=run_id))
    return _page("outreach/bulk_result.html", result=service.outcome_of(run))


# -- one case --------------------------------------------------------------------------


def _case_form(case, formdata=None) -> CaseForm:
    scope = scope_of(current_user)
    evangelists = db.session.execute(
        sa.select(Evangelist.id, Evangelist.family_name, Evangelist.given_name)
        .where(Evangelist.status == "active", evangelists_visible(scope))
        .order_by(Evangelist.name_sort, Evangelist.id)).all()
    communities = db.session.execute(
        sa.select(Community.id, Community.name).where(Community.status == "active", communities_visible(scope))
        .order_by(Community.name, Community.id)).all()
    ids = {e.id for e in evangelists}
    evangelist_choices = [(str(e.id), f"{e.family_name} {e.given_name}") for e in evangelists]
    if case.evangelist is not None and case.evangelist_id not in ids:
        evangelist_choices.append((str(case.evangelist_id), f"{case.evangelist.family_name} {case.evangelist.given_name}"))
    community_choices = [(str(c.id), c.name) for c in communities]
    if case.community is not None and case.community_id not in {c.id for c in communities}:
        community_choices.append((str(case.community_id), case.community.name))
    form = CaseForm(formdata, owners=possible_owners(), evangelists=evangelist_choices,
                    communities=community_choices)
    if formdata is None:
        form.owner.data = str(case.owner_id or "")
        form.evangelist.data = str(case.evangelist_id or "")
        form.community.data = str(case.community_id or "")
        form.ask.data, form.next_step.data, form.next_on.data = case.ask, case.next_step, case.next_on
    return form


def _case_page(case, status: int = 200, *, contact_form=None, case_form=None, close_form=None, consent_form=None,
               open_form: str | None = None):
    today = today_in_japan()
    if consent_form is None:
        consent_form = ConsentForm(formdata=None, today=today)
        reachable = service.last_reachable_contact(case)
        if reachable is not None:
            consent_form.consent_by.data = reachable.person_name
    return _page(
        "outreach/case.html", status, case=case,
        contact_form=contact_form or ContactForm(formdata=None, today=today),
        case_form=case_form or _case_form(case),
        close_form=close_form or CloseForm(formdata=None),
        consent_form=consent_form,
        nearby=service.nearby_helpers(case.municipality) if case.is_open else [],
        open_form=open_form,
    )


@bp.get("/<id:case_id>")
@role_required(*STAFF)
def case(case_id: int):
    return _case_page(_case_or_404(case_id))


@bp.post("/<id:case_id>/contacts")
@role_required(*STAFF)
def log_contact(case_id: int):
    case = _case_or_404(case_id)
    today = today_in_japan()
    form = ContactForm(today=today)
    if not form.validate_on_submit():
        return _case_page(case, 422, contact_form=form, open_form="contact")
    entry = service.ContactEntry(
        contacted_on=form.contacted_on.data, channel=form.channel.data, outcome=form.outcome.data,
        person_name=form.person_name.data or "", department=form.department.data or "", phone=form.phone_e164,
        email=form.email.data or None, answer=form.answer.data or "", next_step=form.next_step.data or "",
        next_on=form.next_on.data)
    try:
        service.log_contact(current_user, case, entry, today=today, address=client_address())
    except (Refused, TransitionRefused) as refused:
        db.session.rollback()
        show_refusal(form, refused, elsewhere="flash")
        return _case_page(_case_or_404(case_id), 422, contact_form=form, open_form="contact")
    flash(_("Contact logged."), "success")
    return redirect(url_for("outreach.case", case_id=case.id, _anchor="log"))


@bp.post("/<id:case_id>/details")
@role_required(*STAFF)
def update(case_id: int):
    case = _case_or_404(case_id)
    form = _case_form(case, request.form)
    if not form.validate_on_submit():
        return _case_page(case, 422, case_form=form, open_form="details")

    def pick(model, value):
        return db.session.get(model, int(value)) if value and value.isdigit() else None

    details = service.CaseDetails(
        owner=pick(User, form.owner.data), evangelist=pick(Evangelist, form.evangelist.data),
        community=pick(Community, form.community.data), ask=form.ask.data or "",
        next_step=form.next_step.data or "", next_on=form.next_on.data)
    try:
        changed = service.update_case(current_user, case, details, address=client_address())
    except Refused as refused:
        db.session.rollback()
        show_refusal(form, refused, elsewhere="flash")
        return _case_page(_case_or_404(case_id), 422, case_form=form, open_form="details")
    flash(_("Saved.") if changed else _("Nothing changed."), "success" if changed else "info")
    return redirect(url_for("outreach.case", case_id=case.id))


@bp.post("/<id:case_id>/close")
@role_required(*STAFF)
def close(case_id: int):
    case = _case_or_404(case_id)
    form = CloseForm()
    if not form.validate_on_submit():
        return _case_page(case, 422, close_form=form, open_form="close")
    try:
        service.close_case(current_user, case, form.reason.data, today=today_in_japan(), address=client_address())
    except (Refused, TransitionRefused) as refused:
        db.session.rollback()
        show_refusal(form, refused, elsewhere="flash")
        return _case_page(_case_or_404(case_id), 422, close_form=form, open_form="close")
    flash(_("The case is closed."), "success")
    return redirect(url_for("outreach.case", case_id=case.id))


@bp.post("/<id:case_id>/request")
@role_required(*STAFF)
def turn_into_request(case_id: int):
    """One click from the case to a request, the town's consent recorded."""
    case = _case_or_404(case_id)
    today = today_in_japan()
    form = ConsentForm(today=today)
    if not form.validate_on_submit():
        return _case_page(case, 422, consent_form=form, open_form="request")
    consent = service.Consent(given=bool(form.consent.data), by=form.consent_by.data, how=form.consent_how.data,
                              on=form.consented_on.data)
    try:
        made = service.turn_into_request(current_user, case, consent, today=today, address=client_address())
    except (Refused, IntakeRefused) as refused:
        db.session.rollback()
        field = {"received_on": "consented_on"}.get(refused.field)
        show_refusal(form, refused, field=field, elsewhere="flash")
        return _case_page(_case_or_404(case_id), 422, consent_form=form, open_form="request")
    flash(_("Request %(number)s recorded for %(town)s, with the town’s consent.", number=made.id,
            town=case.municipality.name), "success")
    return redirect(url_for("coordinator.request_detail", request_id=made.id))
