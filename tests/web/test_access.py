"""Who may reach each endpoint: one table, checked against every route for every role.

An endpoint missing from ACCESS fails ``test_every_endpoint_is_in_the_table``; a rule
that does not hold fails the per-role test with the list of endpoints that disagree.
"""

from __future__ import annotations

import pytest

from app.decorators import PUBLIC
from app.models import OutreachCase
from app.services.accounts import make_password_token
from evangelists.vocabulary import ROLES, WORK_ROLES
from tests.conftest import sign_in
from tests.factories import (
    make_addition,
    make_application,
    make_assignment,
    make_community,
    make_evangelist,
    make_idea,
    make_municipality,
    make_registration,
    make_request,
    make_theme,
    make_use_case,
    make_visit,
)

STAFF = frozenset({"coordinator", "admin"})
ADMIN = frozenset({"admin"})
EVANGELIST = frozenset({"evangelist"})
ANYONE_SIGNED_IN = frozenset(ROLES)
WORKERS = frozenset(WORK_ROLES)  # everyone but the idea box's participants

# endpoint -> (method, who may reach it)
ACCESS = {
    "public.index": ("GET", PUBLIC),
    "public.municipalities": ("GET", PUBLIC),
    "public.municipality": ("GET", PUBLIC),
    "public.set_language": ("POST", PUBLIC),
    "public.healthz": ("GET", PUBLIC),
    "public.favicon": ("GET", PUBLIC),
    "auth.login": ("GET", PUBLIC),
    "auth.second_factor": ("GET", PUBLIC),
    "auth.set_up_second_factor": ("GET", PUBLIC),
    "auth.set_password": ("GET", PUBLIC),
    "auth.forgot_password": ("GET", PUBLIC),
    "auth.logout": ("POST", ANYONE_SIGNED_IN),
    "auth.recovery_codes": ("GET", ANYONE_SIGNED_IN),
    "auth.account": ("GET", ANYONE_SIGNED_IN),
    "auth.change_password": ("GET", ANYONE_SIGNED_IN),
    "auth.disable_second_factor": ("POST", ANYONE_SIGNED_IN),
    "auth.renew_recovery_codes": ("POST", ANYONE_SIGNED_IN),
    "admin.users": ("GET", ADMIN),
    "admin.change_role": ("POST", ADMIN),
    "admin.user_regions": ("GET", ADMIN),
    "admin.deactivate": ("POST", ADMIN),
    "admin.reactivate": ("POST", ADMIN),
    "admin.audit": ("GET", ADMIN),
    "admin.merge_people": ("GET", ADMIN),
    "admin.merge_people_confirm": ("POST", ADMIN),
    "admin.notices": ("GET", ADMIN),
    "admin.retry_notices": ("POST", ADMIN),
    "notices.notices": ("GET", ANYONE_SIGNED_IN),
    "notices.open_notice": ("POST", ANYONE_SIGNED_IN),
    "notices.mark_all_read": ("POST", ANYONE_SIGNED_IN),
    "notices.preferences": ("GET", ANYONE_SIGNED_IN),
    "coordinator.home": ("GET", STAFF),
    "coordinator.invite": ("GET", STAFF),
    "coordinator.password_link_for": ("POST", STAFF),
    "evangelist.home": ("GET", EVANGELIST),
    "support.new_request": ("GET", PUBLIC),
    "support.sent": ("GET", PUBLIC),
    "support.added": ("GET", PUBLIC),
    "support.thanks": ("GET", PUBLIC),
    "support.status": ("GET", PUBLIC),
    "support.withdraw": ("POST", PUBLIC),
    "support.feedback": ("POST", PUBLIC),
    "support.lost_link": ("GET", PUBLIC),
    "support.use_case_answer": ("POST", PUBLIC),
    "support.use_case_file": ("GET", PUBLIC),
    # Use cases (issue 22): the staff side; a file is public once its use case is published.
    "use_cases.queue": ("GET", WORKERS),
    "use_cases.draft": ("GET", WORKERS),
    "use_cases.detail": ("GET", WORKERS),
    "use_cases.edit": ("GET", WORKERS),
    "use_cases.move": ("POST", WORKERS),
    "use_cases.attachment": ("GET", PUBLIC),
    "support.link_asked": ("GET", PUBLIC),
    "coordinator.add_note": ("POST", STAFF),
    "evangelist.messages": ("GET", EVANGELIST),
    "coordinator.requests": ("GET", STAFF),
    "coordinator.search": ("GET", STAFF),
    "coordinator.record_request": ("GET", STAFF),
    "coordinator.recorded": ("GET", STAFF),
    "coordinator.request_detail": ("GET", STAFF),
    "coordinator.triage": ("POST", STAFF),
    "coordinator.change_owner": ("POST", STAFF),
    "coordinator.bulk": ("POST", STAFF),
    "coordinator.bulk_done": ("GET", STAFF),
    "outreach.cases": ("GET", STAFF),
    "outreach.new": ("GET", STAFF),
    "outreach.gap": ("GET", STAFF),
    "outreach.bulk": ("POST", STAFF),
    "outreach.bulk_done": ("GET", STAFF),
    "outreach.bulk_cases": ("POST", STAFF),
    "outreach.cases_bulk_done": ("GET", STAFF),
    "outreach.case": ("GET", STAFF),
    "outreach.log_contact": ("POST", STAFF),
    "outreach.update": ("POST", STAFF),
    "outreach.close": ("POST", STAFF),
    "outreach.turn_into_request": ("POST", STAFF),
    "evangelist.outreach_note": ("POST", EVANGELIST),
    "coordinator.take_request": ("POST", STAFF),
    "coordinator.decline": ("POST", STAFF),
    "coordinator.reply": ("POST", STAFF),
    "coordinator.accept_addition": ("POST", STAFF),
    "coordinator.reject_addition": ("POST", STAFF),
    "coordinator.assign_evangelist": ("POST", STAFF),
    "coordinator.send_request_back": ("POST", STAFF),
    "coordinator.withdraw": ("POST", STAFF),
    "coordinator.plan": ("GET", STAFF),
    "evangelist.accept": ("POST", EVANGELIST),
    "evangelist.decline": ("POST", EVANGELIST),
    "evangelist.profile": ("GET", EVANGELIST),
    "evangelist.new_visit": ("GET", EVANGELIST),
    "evangelist.visit": ("GET", EVANGELIST),
    "evangelist.complete": ("POST", EVANGELIST),
    "evangelist.offer_times": ("GET", EVANGELIST),
    "bookings.booking": ("GET", WORKERS),
    "bookings.move": ("POST", WORKERS),
    "bookings.cancel": ("POST", WORKERS),
    "bookings.calendar": ("GET", WORKERS),
    "bookings.calendar_off": ("POST", WORKERS),
    "bookings.feed": ("GET", PUBLIC),
    "ideas.index": ("GET", PUBLIC),
    "ideas.theme": ("GET", PUBLIC),
    "ideas.idea": ("GET", PUBLIC),
    "ideas.results": ("GET", PUBLIC),
    "ideas.theme_results": ("GET", PUBLIC),
    "ideas.theme_results_print": ("GET", PUBLIC),
    "ideas.open_data": ("GET", PUBLIC),
    "ideas.theme_open_data": ("GET", PUBLIC),
    "ideas.new_idea": ("GET", ANYONE_SIGNED_IN),
    "ideas.comment": ("POST", ANYONE_SIGNED_IN),
    "ideas.vote": ("POST", ANYONE_SIGNED_IN),
    "ideas.profile": ("GET", ANYONE_SIGNED_IN),
    "ideas.manage": ("GET", STAFF),
    "ideas.new_theme": ("GET", STAFF),
    "ideas.edit_theme": ("GET", STAFF),
    "ideas.register": ("GET", PUBLIC),
    "ideas.check_mail": ("GET", PUBLIC),
    "ideas.verify": ("GET", PUBLIC),
    "ideas.account": ("GET", ANYONE_SIGNED_IN),
    "ideas.export": ("GET", ANYONE_SIGNED_IN),
    "ideas.withdraw": ("POST", ANYONE_SIGNED_IN),
    "ideas.report": ("POST", ANYONE_SIGNED_IN),
    "ideas.reports": ("GET", STAFF),
    "ideas.moderate": ("POST", STAFF),
    "ideas.moderation_log": ("GET", PUBLIC),
    "ideas.terms": ("GET", PUBLIC),
    "ideas.answer": ("POST", STAFF),
    "support.pick_slot": ("POST", PUBLIC),
    "coordinator.correct_visit": ("GET", STAFF),
    "map.network": ("GET", STAFF),
    "public.network": ("GET", PUBLIC),
    "public.open_data": ("GET", PUBLIC),
    "figures.fiscal_years": ("GET", PUBLIC),
    "figures.fiscal_years_csv": ("GET", PUBLIC),
    "figures.fiscal_years_json": ("GET", PUBLIC),
    "communities.communities": ("GET", STAFF),
    "communities.new_community": ("GET", STAFF),
    "communities.community": ("GET", STAFF),
    "communities.edit_community": ("GET", STAFF),
    "communities.community_status": ("POST", STAFF),
    "communities.registrations": ("GET", STAFF),
    "communities.registration": ("GET", STAFF),
    "communities.accept": ("POST", STAFF),
    "communities.decline": ("POST", STAFF),
    # The public community directory (issue 22.5).
    "directory.communities": ("GET", PUBLIC),
    "directory.community": ("GET", PUBLIC),
    "directory.register": ("GET", PUBLIC),
    "directory.check_mail": ("GET", PUBLIC),
    # Its mailed link (a token in the path) and the receipt after confirming.
    "directory.confirm": ("GET", PUBLIC),
    "directory.confirmed": ("GET", PUBLIC),
    "recruitment.recruitment": ("GET", STAFF),
    "recruitment.nominate": ("GET", STAFF),
    "recruitment.evangelist": ("GET", STAFF),
    "recruitment.edit_evangelist": ("GET", STAFF),
    "recruitment.appoint": ("GET", STAFF),
    "recruitment.move": ("POST", STAFF),
    "recruitment.decline": ("GET", STAFF),
    "recruitment.application": ("GET", STAFF),
    # Becoming an evangelist (issue 22, point 6): the public form and its mailed link.
    "apply.apply": ("GET", PUBLIC),
    "apply.check_mail": ("GET", PUBLIC),
    "apply.confirm": ("GET", PUBLIC),
    "apply.confirmed": ("GET", PUBLIC),
    "reports.dashboard": ("GET", STAFF),
    "reports.printable": ("GET", STAFF),
    "reports.download": ("GET", STAFF),
    "data.export": ("GET", STAFF),
    "data.prepared_exports": ("GET", STAFF),
    "data.download_export": ("GET", STAFF),
    "data.import_file": ("GET", STAFF),
    "data.apply_import": ("POST", STAFF),
    # The old addresses of moved staff pages (308 to the new ones): staff only, as before.
    "coordinator.moved_dashboard": ("GET", STAFF),
    "coordinator.moved_export": ("GET", STAFF),
    "coordinator.moved_import": ("GET", STAFF),
    "coordinator.moved_apply_import": ("POST", STAFF),
    "coordinator.moved_evangelist": ("GET", STAFF),
    "coordinator.moved_edit_evangelist": ("GET", STAFF),
    "coordinator.moved_appoint": ("GET", STAFF),
    "coordinator.moved_move": ("POST", STAFF),
    # The library of use cases (app/library): public, published use cases only.
    "library.index": ("GET", PUBLIC),
    "library.use_case": ("GET", PUBLIC),
    "library.feed": ("GET", PUBLIC),
    "library.towns_like": ("GET", PUBLIC),
    "api.open_data_json": ("GET", PUBLIC),
    "api.open_data_csv": ("GET", PUBLIC),
    "api.open_data_municipalities_json": ("GET", PUBLIC),
    "api.open_data_municipalities_csv": ("GET", PUBLIC),
    "api.municipalities": ("GET", PUBLIC),
    "api.communities": ("GET", PUBLIC),
    "api.prefectures": ("GET", PUBLIC),
    "api.evangelists": ("GET", STAFF),
    "api.outreach": ("GET", STAFF),
    "api.requests": ("GET", STAFF),
    "api.coverage_gap": ("GET", STAFF),
}


# Public steps in the middle of signing in: without a pending sign-in they send the
# visitor back to the start, which is right.
SIGN_IN_STEPS = {"auth.second_factor", "auth.set_up_second_factor"}


def test_every_endpoint_is_in_the_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    assert endpoints - set(ACCESS) == set(), "add these endpoints to ACCESS"
    assert set(ACCESS) - endpoints == set(), "these endpoints no longer exist"


def test_the_table_agrees_with_the_declarations_on_the_views(app):
    for endpoint, (_method, rule) in ACCESS.items():
        assert app.view_functions[endpoint].access == rule, endpoint


@pytest.fixture
def world(db, make_account):
    """Two evangelists, one municipality: the arguments every URL needs."""
    sapporo = make_municipality(code="011002", name="札幌市")
    other = make_account("evangelist", email="other@example.jp")
    support_request = make_request(municipality=sapporo)
    addition = make_addition(request=support_request)
    theirs = make_assignment(request=support_request, evangelist=make_evangelist(user=other), distance_km=1.0)
    visit = make_visit(assignment=theirs, author_id=other.id)
    case = OutreachCase(municipality=make_municipality(name="当別町"), status="planned")
    db.session.add(case)
    theme = make_theme()
    idea = make_idea(theme=theme)
    # A draft use case of the request, by the other evangelist (a 404 for the signed-in one).
    use_case = make_use_case(municipality=sapporo, request=support_request, status="draft", author_id=other.id)
    db.session.commit()
    return {
        "use_case_id": use_case.id,
        "attachment_id": 1,  # no file: a 404 for everyone
        "theme_id": theme.id,
        "idea_id": idea.id,
        "case_id": case.id,
        "request_id": support_request.id,
        "addition_id": addition.id,
        "assignment_id": theirs.id,
        "visit_id": visit.id,
        "community_id": make_community().id,
        "registration_id": make_registration(municipality=sapporo).id,
        "evangelist_id": theirs.evangelist_id,
        "dataset": "municipalities",
        "table": "load",  # a table of the dashboard (app/reports/tables.py)
        "code": "011002",
        "locale": "en",
        "user_id": other.id,
        "purpose": "reset",
        "token": make_password_token(other, "reset"),
        "notice_id": 1,  # nobody's: opening it is a 404 for every signed-in role
        "booking_id": 1,
        "job_id": 1,  # nobody's export: a 404 for staff
        "run_id": 1,  # no bulk action was carried out: a 404 for staff
        "kind": "csv",  # the open data of the idea box
        "application_id": make_application(municipality=sapporo).id,
        "published_use_case_id": make_use_case(municipality=sapporo).id,  # published: the library shows it
    }


# URL arguments an endpoint takes from another of the world's ids: the library's page of a
# use case opens the published one (the staff pages' use case is a draft, a 404 there).
WORLD_NAMES = {"library.use_case": {"use_case_id": "published_use_case_id"}}


def url_for_endpoint(app, endpoint: str, world: dict) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    names = WORLD_NAMES.get(endpoint, {})
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **{arg: world[names.get(arg, arg)] for arg in rule.arguments})


def answers(app, client, world) -> dict[str, tuple[int, str]]:
    result = {}
    # Signing out ends the session, so it goes last.
    for endpoint, (method, _rule) in sorted(ACCESS.items(), key=lambda item: item[0] == "auth.logout"):
        url = url_for_endpoint(app, endpoint, world)
        response = client.open(url, method=method)
        result[endpoint] = (response.status_code, response.headers.get("Location", ""))
    return result


def disagreements(role: str, results: dict) -> list[str]:
    wrong = []
    for endpoint, (status, location) in results.items():
        rule = ACCESS[endpoint][1]
        sent_to_login = status == 302 and "/auth/login" in location
        if endpoint.startswith("api."):
            sent_to_login = status == 401  # a script gets a status, not a sign-in page
        if rule == PUBLIC or role in rule:
            ok = status != 403 and status < 500 and not (sent_to_login and endpoint not in SIGN_IN_STEPS)
        elif role == "anonymous":
            ok = sent_to_login
        else:
            ok = status == 403
        if not ok:
            wrong.append(f"{endpoint}: {status} {location}")
    return wrong


def test_anonymous_visitors_reach_public_pages_and_are_sent_to_sign_in_elsewhere(app, client, world):
    assert disagreements("anonymous", answers(app, client, world)) == []


@pytest.mark.parametrize("role", ["evangelist", "coordinator", "admin", "participant"])
def test_each_role_reaches_exactly_its_endpoints(app, signed_in_client, world, role):
    client, _user = signed_in_client(role)
    assert disagreements(role, answers(app, client, world)) == []


def test_an_evangelist_sees_only_their_own_assignments(app, db, make_account):
    mine, theirs = make_account("evangelist"), make_account("evangelist")
    for user, town in ((mine, "自分町"), (theirs, "他人村")):
        evangelist = make_evangelist(user=user)
        request = make_request(municipality=make_municipality(name=town))
        make_assignment(request=request, evangelist=evangelist, distance_km=3)
    db.session.commit()
    client = app.test_client()
    sign_in(client, mine)
    html = client.get("/me/").get_data(as_text=True)
    assert "自分町" in html and "他人村" not in html
    assert client.post(f"/coordinator/people/{theirs.id}/password-link").status_code == 403
    assert client.get(f"/admin/users?q={theirs.email}").status_code == 403
