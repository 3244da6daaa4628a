"""Another person of a town adds to the town's open request through the public form: the
hint tells them only that the town already asked, what they send waits for a coordinator,
and the town sees it only once a coordinator accepts it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, RequestAddition, RequestMessage, SupportRequest
from app.services.requests import hash_token
from tests.conftest import sign_in
from tests.factories import make_addition, make_request
from tests.web.test_support import form_data

NUMBER = 987_654  # the town's open request: a number that appears nowhere else
RECEIVED = datetime(2026, 3, 17, 1, 30, tzinfo=UTC)
# How the request's date could be written on a page, in either language.
DATE_SHAPES = ("Mar 17", "March 17", "3月17日", "2026/03/17", "2026-03-17", "17/03/2026")
HOSTILE = ("<script>alert(1)</script>", "{{7*7}}", "{{")
TOKEN = "town-status-token-that-is-long-enough-0123456789"


@pytest.fixture
def open_request(db, towns):  # noqa: F811
    """当別町's open request, whose status page the town reaches with TOKEN."""
    req = make_request(id=NUMBER, municipality=towns["tobetsu"], created_at=RECEIVED,
                       contact_name="最初の 担当", email="first@town.example.lg.jp",
                       message="最初の相談", token_hash=hash_token(TOKEN), form_nonce="first-form")
    db.session.commit()
    return req


def status_page(client) -> str:
    response = client.get(f"/request/status/{TOKEN}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def thread(html: str) -> str:
    return html.split('id="messages-heading"')[1].split("</section>")[0]


def add(client, **overrides):
    fields = dict(nonce="visitor-form", contact_name="佐藤 一郎", department="総務課",
                  email="sato@elsewhere.example.jp", phone="090-1111-2222", message="補足: 防災データも相談したい")
    data = {**form_data(**{**fields, **overrides}), "duplicate": "add"}
    return client.post("/request", data=data, follow_redirects=True)


def own_link(html: str) -> str:
    """The sender's private status link on the confirmation after adding."""
    return re.search(r'value="http://localhost(/request/status/[^"]+)"', html).group(1)


def the_addition(db) -> RequestAddition:
    return db.session.scalars(sa.select(RequestAddition)).one()


def assert_reveals_nothing_of_the_request(html: str) -> None:
    assert str(NUMBER) not in html and f"{NUMBER:,}" not in html
    for shape in DATE_SHAPES:
        assert shape not in html, shape
    for detail in ("最初の 担当", "first@town.example.lg.jp", "最初の相談", "first-form"):
        assert detail not in html


# --- What the public form says --------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_hint_says_only_that_the_town_already_asked(app, db, open_request, language):
    visitor = app.test_client()
    visitor.set_cookie("lang", language)
    response = visitor.post("/request", data=form_data(nonce="visitor-form"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="duplicate-notice"' in html
    if language == "en":
        assert "Your municipality already has an open request." in html
        assert "the coordinators will review it and get back to you" in html
        assert "Add my message to the open request" in html and "Send a new request anyway" in html
    assert_reveals_nothing_of_the_request(html)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportRequest)) == 1


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_confirmation_after_adding_reveals_nothing_of_the_request(app, db, open_request, language):
    visitor = app.test_client()
    visitor.set_cookie("lang", language)
    response = add(visitor)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    if language == "en":
        assert "The coordinators will review your message" in html
    assert_reveals_nothing_of_the_request(html)
    # The sender's own link (issue 17), not the request's: it too reveals nothing yet.
    link = own_link(html)
    assert TOKEN not in link
    assert_reveals_nothing_of_the_request(visitor.get(link).get_data(as_text=True))


def test_a_resubmitted_addition_is_kept_once(app, db, open_request):
    visitor = app.test_client()
    add(visitor)
    add(visitor)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RequestAddition)) == 1


# --- The town's status page, before and after a decision ------------------------------------


def test_an_addition_changes_nothing_on_the_status_page_until_accepted(app, client, db, open_request):
    client.set_cookie("lang", "en")
    before = thread(status_page(client))
    add(app.test_client())
    after = status_page(client)
    assert thread(after) == before and "No messages yet." in thread(after)
    for detail in ("佐藤 一郎", "sato@elsewhere", "防災データ", "総務課", "+81901111222"):
        assert detail not in after
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RequestMessage)) == 0
    assert the_addition(db).status == "pending"


def test_accepting_puts_the_message_in_the_town_thread_without_the_contact_details(
    app, client, coordinator_client, db, open_request
):
    add(app.test_client())
    addition = the_addition(db)
    response = coordinator_client.post(f"/coordinator/requests/{NUMBER}/additions/{addition.id}/accept")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/coordinator/requests/{NUMBER}#additions")

    client.set_cookie("lang", "en")
    html = thread(status_page(client))
    assert "補足: 防災データも相談したい" in html
    assert "Added by another person of your municipality" in html
    for detail in ("佐藤 一郎", "sato@elsewhere", "090", "+81901111222", "総務課"):
        assert detail not in html

    db.session.refresh(addition)
    assert addition.status == "accepted" and addition.decided_at is not None and addition.decided_by_id is not None
    message = db.session.scalars(sa.select(RequestMessage)).one()
    assert (message.sender, message.addition_id, message.body) == ("municipality", addition.id, addition.message)
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.entity_id == NUMBER).order_by(AuditEvent.id)).all()
    assert actions == ["request.addition_received", "request.addition_accepted"]
    accepted = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "request.addition_accepted")).one()
    assert accepted.actor_id == addition.decided_by_id and accepted.after == {"addition": addition.id, "status": "accepted"}


def test_rejecting_keeps_it_from_the_town_for_good(app, client, coordinator_client, db, open_request):
    add(app.test_client())
    addition = the_addition(db)
    base = f"/coordinator/requests/{NUMBER}/additions/{addition.id}"
    coordinator_client.post(base + "/reject", data={"reason": "別の町の方からでした"})
    db.session.refresh(addition)
    assert (addition.status, addition.decision_reason) == ("rejected", "別の町の方からでした")

    coordinator_client.set_cookie("lang", "en")
    again = coordinator_client.post(base + "/accept", follow_redirects=True).get_data(as_text=True)
    assert "already accepted or rejected" in again
    db.session.refresh(addition)
    assert addition.status == "rejected"

    page = status_page(client)
    assert "防災データ" not in page and "別の町の方から" not in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RequestMessage)) == 0
    rejected = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "request.addition_rejected")).one()
    assert rejected.after == {"addition": addition.id, "status": "rejected", "reason": "別の町の方からでした"}


def test_a_reason_is_optional_but_bounded(coordinator_client, db, open_request):
    first, second = make_addition(request=open_request), make_addition(request=open_request)
    db.session.commit()
    base = f"/coordinator/requests/{NUMBER}/additions"
    coordinator_client.post(f"{base}/{first.id}/reject", data={"reason": ""})
    coordinator_client.post(f"{base}/{second.id}/reject", data={"reason": "あ" * 1001})
    db.session.refresh(first)
    db.session.refresh(second)
    assert (first.status, first.decision_reason) == ("rejected", None)
    assert second.status == "pending"


# --- Who may decide ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", [None, "evangelist"])
def test_only_staff_can_accept_or_reject(app, db, open_request, signed_in_client, who):
    addition = make_addition(request=open_request)
    db.session.commit()
    client = app.test_client() if who is None else signed_in_client(who)[0]
    for verb in ("accept", "reject"):
        response = client.post(f"/coordinator/requests/{NUMBER}/additions/{addition.id}/{verb}")
        if who is None:
            assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
        else:
            assert response.status_code == 403
    db.session.refresh(addition)
    assert addition.status == "pending"


def test_an_addition_is_decided_only_through_its_own_request(coordinator_client, db, open_request, towns):  # noqa: F811
    other = make_request(municipality=towns["aomori"])
    addition = make_addition(request=open_request)
    db.session.commit()
    assert coordinator_client.post(f"/coordinator/requests/{other.id}/additions/{addition.id}/accept").status_code == 404
    assert coordinator_client.post(f"/coordinator/requests/{NUMBER}/additions/{addition.id + 1}/reject").status_code == 404
    db.session.refresh(addition)
    assert addition.status == "pending"


# --- What coordinators see ----------------------------------------------------------------------


def test_the_request_page_lists_pending_additions_with_their_contact_details(coordinator_client, db, open_request):
    add_time = make_addition(request=open_request, contact_name="佐藤 一郎", department="総務課",
                             email="sato@elsewhere.example.jp", phone="+819011112222", message="補足です")
    db.session.commit()
    coordinator_client.set_cookie("lang", "en")
    html = coordinator_client.get(f"/coordinator/requests/{NUMBER}").get_data(as_text=True)
    section = html.split('id="additions"')[1].split("</section>")[0]
    for shown in ("佐藤 一郎", "総務課", "sato@elsewhere.example.jp", "090-1111-2222", "補足です", "1 waiting",
                  f"/additions/{add_time.id}/accept", f"/additions/{add_time.id}/reject", "Accept into the thread"):
        assert shown in section, shown


def test_the_queue_marks_requests_with_additions_waiting(coordinator_client, db, open_request, towns):  # noqa: F811
    quiet = make_request(municipality=towns["aomori"])
    make_addition(request=open_request)
    make_addition(request=open_request)
    decided = make_addition(request=quiet, status="rejected", decided_at=RECEIVED)
    db.session.commit()
    coordinator_client.set_cookie("lang", "en")
    html = coordinator_client.get("/coordinator/requests").get_data(as_text=True)
    rows = {m.group(1): m.group(2) for m in re.finditer(r'#(\d+) [^<]*</a>(.*?)</li>', html, re.S)}
    assert "2 additions waiting" in rows[str(NUMBER)]
    assert "waiting" not in rows[str(quiet.id)] and decided.status == "rejected"


def test_the_queue_still_issues_a_fixed_number_of_queries_with_additions(coordinator_client, db, towns, count_queries):  # noqa: F811
    for _ in range(2):
        make_addition(request=make_request(municipality=towns["tobetsu"]))
    db.session.commit()
    with count_queries() as few:
        coordinator_client.get("/coordinator/requests")
    for _ in range(12):
        make_addition(request=make_request(municipality=towns["aomori"]))
    db.session.commit()
    with count_queries() as many:
        coordinator_client.get("/coordinator/requests")
    assert many.count == few.count


# --- Hostile text ----------------------------------------------------------------------------------


def assert_literal(html: str) -> None:
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "{{7*7}}" in html


def test_hostile_text_in_an_addition_shows_literally_on_every_page_for_every_role(
    app, client, db, open_request, make_account
):
    hostile = " ".join(HOSTILE)
    visitor = app.test_client()
    answer = add(visitor, contact_name=hostile[:100], department=hostile[:100], message=hostile,
                 email="{{7*7}}@elsewhere.example.jp")
    assert answer.status_code == 200 and "<script>alert(1)" not in answer.get_data(as_text=True)
    addition = the_addition(db)
    assert addition.contact_name == hostile[:100] and addition.message == hostile

    staff = {}
    for role in ("coordinator", "admin"):
        staff[role] = app.test_client()
        sign_in(staff[role], make_account(role))
        page = staff[role].get(f"/coordinator/requests/{NUMBER}")
        assert page.status_code == 200, role
        section = page.get_data(as_text=True).split('id="additions"')[1].split("</section>")[0]
        assert section.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 3  # name, department, message
        assert_literal(section)
        assert "{{7*7}}@elsewhere.example.jp" in section
        assert staff[role].get("/coordinator/requests").status_code == 200

    staff["coordinator"].post(f"/coordinator/requests/{NUMBER}/additions/{addition.id}/accept")
    town = status_page(client)
    assert_literal(thread(town))
    for role, browser in staff.items():
        page = browser.get(f"/coordinator/requests/{NUMBER}")
        assert page.status_code == 200, role
        html = page.get_data(as_text=True)
        assert_literal(html.split('id="additions"')[1])  # the decided list and the thread
    assert app.test_client().get("/request").status_code == 200


def test_hostile_text_in_a_rejected_addition_shows_literally_to_staff(app, coordinator_client, db, open_request):
    hostile = " ".join(HOSTILE)
    addition = make_addition(request=open_request, contact_name=hostile, department=hostile, message=hostile)
    db.session.commit()
    coordinator_client.post(f"/coordinator/requests/{NUMBER}/additions/{addition.id}/reject",
                            data={"reason": hostile})
    page = coordinator_client.get(f"/coordinator/requests/{NUMBER}")
    assert page.status_code == 200
    decided = page.get_data(as_text=True).split('id="additions"')[1].split("</section>")[0]
    assert decided.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 4  # name, department, reason, message
    assert_literal(decided)


# --- What the second person typed, their own link, their phone (issue 17, point 18) ----------------

TOTTORI_PHONE, TOTTORI_SHOWN = "+81857228112", "0857-22-8112"


def add_in_full(client, **overrides):
    fields = dict(topics=["gis", "licensing"], mode="online", period="来年1月ごろ", phone="0857-22-8112")
    return add(client, **{**fields, **overrides})


def test_the_second_person_keeps_topics_mode_and_period_and_coordinators_see_them(
    app, coordinator_client, db, open_request
):
    add_in_full(app.test_client())
    addition = the_addition(db)
    assert [t.slug for t in addition.topics] == ["licensing", "gis"]  # in the vocabulary's order
    assert (addition.preferred_mode, addition.preferred_period, addition.phone) == ("online", "来年1月ごろ", TOTTORI_PHONE)
    coordinator_client.set_cookie("lang", "en")
    html = coordinator_client.get(f"/coordinator/requests/{NUMBER}").get_data(as_text=True)
    card = html.split(f'id="addition-{addition.id}"')[1].split("</article>")[0]
    for shown in ("Licensing (CC BY)", "GIS and map data", "Online", "来年1月ごろ", TOTTORI_SHOWN):
        assert shown in card, shown
    assert TOTTORI_PHONE not in html


def test_the_second_person_gets_their_own_status_link_once(app, db, open_request):
    visitor = app.test_client()
    visitor.set_cookie("lang", "en")
    response = add_in_full(visitor)
    assert response.request.path == "/request/added"  # sent, then redirected: a reload sends nothing
    assert "no-store" in response.headers["Cache-Control"]
    html = response.get_data(as_text=True)
    link = own_link(html)
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 40 and the_addition(db).token_hash == hash_token(token)
    assert re.search(r"[?&][^\"'\s]*" + re.escape(token), html) is None  # never in a query string
    assert f'name="carry" value="{token}"' in html  # the language switch carries it in a body
    with visitor.session_transaction() as saved:
        assert token not in repr(dict(saved))
    again = visitor.get("/request/added")
    assert token not in again.get_data(as_text=True) and 'id="link-shown-once"' in again.get_data(as_text=True)
    # Switching language right after shows it once more, in the other language.
    visitor.post("/language/ja", data={"next": "/request/added", "carry": token})
    assert link in visitor.get("/request/added").get_data(as_text=True)
    assert link not in visitor.get("/request/added").get_data(as_text=True)


def test_a_carried_token_of_another_addition_shows_no_link(app, db, open_request):
    visitor = app.test_client()
    add_in_full(visitor)
    other = make_addition(request=open_request, token_hash=hash_token("other-addition-token-" + "q" * 30))
    db.session.commit()
    visitor.post("/language/en", data={"next": "/request/added", "carry": "other-addition-token-" + "q" * 30})
    assert "/request/status/" not in visitor.get("/request/added").get_data(as_text=True) and other.id


def test_their_link_shows_only_what_they_sent_until_a_coordinator_accepts(app, coordinator_client, db, open_request):
    visitor = app.test_client()
    visitor.set_cookie("lang", "en")
    link = own_link(add_in_full(visitor).get_data(as_text=True))

    pending = visitor.get(link)
    html = pending.get_data(as_text=True)
    assert pending.status_code == 200 and "no-store" in pending.headers["Cache-Control"]
    assert "Waiting for the coordinators" in html
    for shown in ("佐藤 一郎", "総務課", "Licensing (CC BY)", "GIS and map data", "Online", "来年1月ごろ",
                  TOTTORI_SHOWN, "補足: 防災データも相談したい", "当別町"):
        assert shown in html, shown
    assert TOTTORI_PHONE not in html
    assert_reveals_nothing_of_the_request(html)
    assert 'id="messages-heading"' not in html
    # Nothing can be posted through it yet, nor can it withdraw anything.
    assert visitor.post(link, data={"body": "先に送ります"}).status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RequestMessage)) == 0
    assert visitor.post(link + "/withdraw", data={"confirm": "y"}).status_code == 404

    addition = the_addition(db)
    coordinator_client.post(f"/coordinator/requests/{NUMBER}/additions/{addition.id}/accept")
    accepted = visitor.get(link).get_data(as_text=True)
    assert f"Request {NUMBER:,}" in accepted or f"Request {NUMBER}" in accepted
    assert 'id="added-by-you"' in accepted and "補足: 防災データも相談したい" in thread(accepted)
    assert "最初の相談" in accepted  # now a colleague: the request itself
    assert "Withdraw the request" not in accepted  # withdrawing stays with the request's own link
    assert visitor.post(link, data={"body": "日程を相談させてください"}).status_code == 302
    assert "日程を相談させてください" in thread(visitor.get(link).get_data(as_text=True))
    assert "日程を相談させてください" in thread(status_page(app.test_client()))  # the first person sees it too
    assert visitor.post(link + "/withdraw", data={"confirm": "y"}).status_code == 404
    db.session.refresh(open_request)
    assert open_request.status == "new"


def test_a_rejected_addition_link_says_so_and_still_shows_nothing_of_the_request(
    app, coordinator_client, db, open_request
):
    visitor = app.test_client()
    visitor.set_cookie("lang", "en")
    link = own_link(add_in_full(visitor).get_data(as_text=True))
    coordinator_client.post(f"/coordinator/requests/{NUMBER}/additions/{the_addition(db).id}/reject",
                            data={"reason": "別の町の方からでした"})
    html = visitor.get(link).get_data(as_text=True)
    assert "did not add this to the open request" in html
    assert_reveals_nothing_of_the_request(html)
    assert "別の町の方から" not in html  # the reason is for coordinators only


def test_hostile_period_shows_literally_to_the_sender_and_to_coordinators(app, coordinator_client, db, open_request):
    hostile = " ".join(HOSTILE)
    visitor = app.test_client()
    link = own_link(add_in_full(visitor, period=hostile[:100]).get_data(as_text=True))
    for html in (visitor.get(link).get_data(as_text=True),
                 coordinator_client.get(f"/coordinator/requests/{NUMBER}").get_data(as_text=True)):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "{{7*7}}" in html
        assert "<script>alert(1)" not in html


def test_phones_show_in_national_format_on_every_page(app, db, open_request, signed_in_client, towns):  # noqa: F811
    from tests.factories import make_assignment, make_evangelist

    open_request.phone = TOTTORI_PHONE
    open_request.status = "assigned"
    coordinator, _user = signed_in_client("coordinator")
    evangelist_client, person = signed_in_client("evangelist")
    make_assignment(request=open_request, status="accepted",
                    evangelist=make_evangelist(user=person, home_municipality=towns["sapporo"]))
    db.session.commit()
    visitor = app.test_client()
    link = own_link(add_in_full(visitor).get_data(as_text=True))
    coordinator.set_cookie("lang", "en")
    decided = make_addition(request=open_request, phone=TOTTORI_PHONE, status="rejected", decided_at=RECEIVED)
    db.session.commit()
    pages = {
        "coordinator's request page": coordinator.get(f"/coordinator/requests/{NUMBER}").get_data(as_text=True),
        "evangelist's assignments": evangelist_client.get("/me/").get_data(as_text=True),
        "the sender's own page": visitor.get(link).get_data(as_text=True),
        "requests export": coordinator.get("/coordinator/data/export/requests.csv").get_data(as_text=True),
    }
    for name, html in pages.items():
        assert TOTTORI_SHOWN in html, name
        shown = html.replace(f'href="tel:{TOTTORI_PHONE}"', "")  # a tel: link dials E.164
        assert TOTTORI_PHONE not in shown and "+81 857" not in shown, name
    section = pages["coordinator's request page"].split('id="additions"')[1].split("</section>")[0]
    assert section.count(TOTTORI_SHOWN) == 2 and decided.id  # the pending and the decided addition
