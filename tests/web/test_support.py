"""The public request form, the private status page and the coordinator's queue."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, Notice, RequestMessage, SupportRequest
from app.services.requests import hash_token
from tests.factories import make_request
from tests.mailbox import body_of


def form_data(**overrides):
    data = {
        "prefecture": "01",
        "municipality": "013030",
        "contact_name": "山田 花子",
        "department": "企画課",
        "email": "yamada@town.example.lg.jp",
        "phone": "03-1234-5678",
        "topics": ["open_data_publication", "licensing"],
        "mode": "either",
        "period": "来月以降",
        "message": "何から始めればよいか相談したいです。",
        "nonce": "nonce-1",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def status_link(client) -> str:
    html = client.get("/request/sent").get_data(as_text=True)
    return re.search(r'value="http://localhost(/request/status/[^"]+)"', html).group(1)


def count(db, model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- The form ------------------------------------------------------------------------------


def test_the_form_without_a_prefecture_lists_no_municipality(client, towns):
    html = client.get("/request").get_data(as_text=True)
    assert "当別町" not in html and 'name="website"' in html


def test_choosing_a_prefecture_without_javascript_reloads_the_list_and_keeps_what_was_typed(client, db, towns):
    response = client.post("/request", data={**form_data(municipality=None), "action": "prefecture"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "当別町" in html and "青森市" not in html
    assert 'value="山田 花子"' in html and "何から始めればよいか" in html
    assert "invalid-feedback" not in html  # no errors for a plain reload
    assert count(db, SupportRequest) == 0


def test_the_prefecture_link_also_works_as_a_get(client, towns):
    assert "青森市" in client.get("/request?prefecture=02").get_data(as_text=True)


def test_a_valid_request_is_stored_with_a_hashed_token_and_shown_with_its_number(client, db, towns):
    response = client.post("/request", data=form_data())
    assert response.headers["Location"] == "/request/sent"
    link = status_link(client)
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 22  # at least 128 bits, URL-safe base64
    stored = db.session.scalars(sa.select(SupportRequest)).one()
    assert stored.token_hash == hash_token(token) and token not in stored.token_hash
    assert stored.phone == "+81312345678"
    assert [t.slug for t in stored.topics] == ["open_data_publication", "licensing"]
    assert stored.municipality.engagement_stage == "requested"
    assert f"{stored.id}" in client.get("/request/sent").get_data(as_text=True)


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize(
    ("overrides", "field", "message_en"),
    [
        ({"prefecture": ""}, "prefecture", "Choose your prefecture."),
        ({"municipality": ""}, "municipality", "Choose your municipality."),
        ({"municipality": "022012"}, "municipality", "Choose a municipality of the chosen prefecture."),
        ({"contact_name": ""}, "contact_name", "Enter your name."),
        ({"contact_name": "あ" * 101}, "contact_name", "longer than 100"),
        ({"department": ""}, "department", "Enter your department."),
        ({"email": ""}, "email", "Enter an e-mail address."),
        ({"email": "not-an-address"}, "email", "This is not an e-mail address"),
        ({"phone": "12"}, "phone", "This is not a phone number we can use"),
        ({"phone": "phone"}, "phone", "This is not a phone number we can use"),
        ({"topics": None}, "topics", "Choose at least one topic."),
        ({"topics": ["nonsense"]}, "topics", "Choose topics from the list."),
        ({"mode": "teleport"}, "mode", "Not a valid choice"),
        ({"message": "あ" * 2001}, "message", "longer than 2000"),
        ({"period": "x" * 101}, "period", "longer than 100"),
    ],
)
def test_each_invalid_field_gets_its_error_next_to_it_and_nothing_typed_is_lost(
    client, app, db, towns, language, overrides, field, message_en
):
    client.set_cookie(app.config["LANGUAGE_COOKIE"], language)
    response = client.post("/request", data=form_data(**overrides))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(rf'id="{field}-error"[^>]*>([^<]+)<', html)
    assert error, f"no error shown next to {field}"
    if language == "en":
        assert message_en in error.group(1)
    else:
        assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", error.group(1)), "the Japanese page shows a Japanese error"
    if field != "contact_name":
        assert 'value="山田 花子"' in html
    if field != "message":
        assert "何から始めればよいか" in html
    assert count(db, SupportRequest) == 0


def test_phone_is_optional(client, db, towns):
    client.post("/request", data=form_data(phone=""))
    assert db.session.scalars(sa.select(SupportRequest)).one().phone is None


# --- Duplicates and bots --------------------------------------------------------------------


def test_a_double_submission_creates_one_request_and_shows_the_same_number_without_the_link(client, db, towns):
    client.post("/request", data=form_data())
    first = status_link(client)
    again = client.post("/request", data=form_data())
    assert again.headers["Location"] == "/request/sent"
    html = client.get("/request/sent").get_data(as_text=True)
    number = db.session.scalars(sa.select(SupportRequest)).one().id
    assert f"{number}" in html and first not in html and "/request/status/" not in html
    assert count(db, SupportRequest) == 1


def test_a_double_submission_before_the_confirmation_still_shows_the_link_once(client, db, towns):
    client.post("/request", data=form_data())
    client.post("/request", data=form_data())  # the second click, before /request/sent
    assert "/request/status/" in client.get("/request/sent").get_data(as_text=True)
    assert "/request/status/" not in client.get("/request/sent").get_data(as_text=True)


def test_a_resubmission_from_a_browser_that_lost_the_first_answer_lands_on_the_number(app, client, db, towns):
    client.post("/request", data=form_data())
    other = app.test_client()
    assert other.post("/request", data=form_data()).headers["Location"] == "/request/sent"
    html = other.get("/request/sent").get_data(as_text=True)
    number = db.session.scalars(sa.select(SupportRequest)).one().id
    assert f"{number}" in html and "/request/status/" not in html


def test_an_open_request_from_the_same_town_is_pointed_out_first(app, client, db, towns):
    client.post("/request", data=form_data())
    colleague = app.test_client()
    colleague.set_cookie("lang", "en")
    response = colleague.post("/request", data=form_data(nonce="nonce-2", contact_name="佐藤 一郎"))
    html = response.get_data(as_text=True)
    assert "Your municipality already has an open request." in html
    assert 'value="佐藤 一郎"' in html
    assert count(db, SupportRequest) == 1


def test_adding_to_the_open_request_makes_a_pending_addition_not_a_request_or_a_message(app, client, db, towns):
    from app.models import RequestAddition

    client.post("/request", data=form_data())
    colleague = app.test_client()
    colleague.post("/request", data={**form_data(nonce="nonce-2", contact_name="佐藤 一郎", message="補足です"), "duplicate": "add"})
    assert count(db, SupportRequest) == 1 and count(db, RequestMessage) == 0
    addition = db.session.scalars(sa.select(RequestAddition)).one()
    assert (addition.status, addition.contact_name, addition.message) == ("pending", "佐藤 一郎", "補足です")
    assert addition.phone == "+81312345678"


def test_a_separate_request_can_still_be_sent(app, client, db, towns):
    client.post("/request", data=form_data())
    app.test_client().post("/request", data={**form_data(nonce="nonce-2"), "duplicate": "new"})
    assert count(db, SupportRequest) == 2


def test_the_honeypot_stores_nothing_but_looks_fine_to_a_bot(client, db, towns):
    response = client.post("/request", data=form_data(website="http://spam.example"))
    assert response.headers["Location"] == "/request/thanks"
    assert count(db, SupportRequest) == 0


def test_many_requests_from_one_address_are_throttled(client, db, towns):
    for n in range(10):
        client.post("/request", data={**form_data(nonce=f"n{n}"), "duplicate": "new"})
    response = client.post("/request", data={**form_data(nonce="n-last"), "duplicate": "new"})
    assert response.status_code == 429
    assert count(db, SupportRequest) == 10


def test_reloading_the_prefecture_list_is_not_throttled(client, towns):
    for _ in range(15):
        assert client.post("/request", data={"prefecture": "01", "action": "prefecture"}).status_code == 200


# --- Status page -------------------------------------------------------------------------------


def test_the_status_page_shows_the_stage_in_plain_words(client, db, towns):
    client.set_cookie("lang", "en")
    client.post("/request", data=form_data())
    html = client.get(status_link(client)).get_data(as_text=True)
    assert "Received: a coordinator will look at it soon." in html
    assert "当別町" in html


def test_a_wrong_token_is_a_plain_404(client, towns):
    assert client.get("/request/status/not-the-token").status_code == 404
    assert client.post("/request/status/not-the-token/withdraw", data={"confirm": "y"}).status_code == 404


def test_the_status_page_never_shows_other_municipalities(app, client, db, towns):
    other = make_request(municipality=towns["aomori"], message="青森の秘密の相談")
    db.session.commit()
    client.post("/request", data=form_data())
    html = client.get(status_link(client)).get_data(as_text=True)
    assert "青森" not in html
    assert f"#{other.id}" not in html and "秘密" not in html


def test_the_municipality_adds_a_message_and_withdraws(client, db, towns):
    client.set_cookie("lang", "en")
    client.post("/request", data=form_data())
    link = status_link(client)
    assert client.post(link, data={"body": "日程の候補をお送りします。"}).status_code == 302
    assert "日程の候補" in client.get(link).get_data(as_text=True)

    refused = client.post(link + "/withdraw", data={})
    assert refused.status_code == 302
    assert db.session.scalars(sa.select(SupportRequest)).one().status == "new"

    client.post(link + "/withdraw", data={"confirm": "y"})
    req = db.session.scalars(sa.select(SupportRequest)).one()
    db.session.refresh(req)
    assert req.status == "withdrawn" and req.closed_at is not None
    html = client.get(link).get_data(as_text=True)
    assert "Withdrawn at your request." in html
    assert "Withdraw the request" not in html  # nothing more to do
    assert client.post(link + "/withdraw", data={"confirm": "y"}).status_code == 302
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.entity_id == req.id)).all()
    assert actions == ["request.submitted", "request.message_added", "request.withdrawn"]


def test_an_empty_message_is_refused_next_to_the_box(client, towns):
    client.post("/request", data=form_data())
    response = client.post(status_link(client), data={"body": ""})
    assert response.status_code == 422 and 'id="body-error"' in response.get_data(as_text=True)


# --- Coordinator queue ----------------------------------------------------------------------------


def test_the_queue_lists_new_requests_first_with_their_age(coordinator_client, db, towns):
    from datetime import timedelta

    from app.models.base import utcnow

    old_triaged = make_request(municipality=towns["sapporo"], status="triaged")
    old_triaged.created_at = utcnow() - timedelta(days=30)
    fresh_new = make_request(municipality=towns["tobetsu"])
    declined = make_request(municipality=towns["aomori"], status="declined", decline_reason="対象外")
    db.session.commit()
    coordinator_client.set_cookie("lang", "en")
    html = coordinator_client.get("/coordinator/requests").get_data(as_text=True)
    order = re.findall(r"#(\d+) ", html)
    assert order == [str(fresh_new.id), str(old_triaged.id)]  # declined is closed: not in the open queue
    assert "30 days ago" in html and "today" in html
    assert f"#{declined.id} " in coordinator_client.get("/coordinator/requests?status=declined").get_data(as_text=True)


def test_the_queue_filters_by_prefecture_and_topic(coordinator_client, db, towns):
    from app.models import Topic

    licensing = db.session.scalar(sa.select(Topic).where(Topic.slug == "licensing"))
    a = make_request(municipality=towns["aomori"], topics=[licensing])
    b = make_request(municipality=towns["tobetsu"])
    db.session.commit()
    html = coordinator_client.get("/coordinator/requests?prefecture=02").get_data(as_text=True)
    assert f"#{a.id} " in html and f"#{b.id} " not in html
    html = coordinator_client.get("/coordinator/requests?topic=licensing").get_data(as_text=True)
    assert f"#{a.id} " in html and f"#{b.id} " not in html
    bad = coordinator_client.get("/coordinator/requests?status=lost").get_data(as_text=True)
    assert 'id="status-error"' in bad


def test_the_queue_issues_a_fixed_number_of_queries(coordinator_client, db, towns, count_queries):
    for _ in range(2):
        make_request(municipality=towns["tobetsu"])
    db.session.commit()
    with count_queries() as few:
        coordinator_client.get("/coordinator/requests")
    for _ in range(12):
        make_request(municipality=towns["aomori"])
    db.session.commit()
    with count_queries() as many:
        coordinator_client.get("/coordinator/requests")
    assert many.count == few.count


def test_triage_decline_and_reply_through_the_lifecycle(coordinator_client, client, db, towns):
    client.post("/request", data=form_data())
    link = status_link(client)
    req = db.session.scalars(sa.select(SupportRequest)).one()
    base = f"/coordinator/requests/{req.id}"
    coordinator_client.set_cookie("lang", "en")
    assert "Mark as triaged" in coordinator_client.get(base).get_data(as_text=True)

    coordinator_client.post(base + "/triage")
    db.session.refresh(req)
    assert req.status == "triaged"
    again = coordinator_client.post(base + "/triage", follow_redirects=True).get_data(as_text=True)
    assert "cannot move to that status" in again or "already has this status" in again

    coordinator_client.post(base + "/messages", data={"body": "来週お電話します。"})
    no_reason = coordinator_client.post(base + "/decline", data={"reason": ""})
    assert no_reason.status_code == 422 and 'id="reason-error"' in no_reason.get_data(as_text=True)
    coordinator_client.post(base + "/decline", data={"reason": "今年度の枠が埋まりました。"})
    db.session.refresh(req)
    assert req.status == "declined"

    client.set_cookie("lang", "en")
    page = client.get(link).get_data(as_text=True)
    assert "今年度の枠が埋まりました。" in page and "来週お電話します。" in page
    coordinator_client.set_cookie("lang", "en")
    history = coordinator_client.get(base).get_data(as_text=True)
    for sentence in ("The municipality sent the request", "triaged the request", "wrote a message",
                     "decided not to take the request on"):
        assert sentence in history


def test_with_a_mail_server_the_contact_and_coordinators_are_told(app, client, db, towns, make_account, mailbox,
                                                                   deliver):
    coordinator = make_account("coordinator")
    client.post("/request", data=form_data())
    assert deliver() == 3  # one hand-over task, then a delivery per notice
    (receipt,) = mailbox.to("yamada@town.example.lg.jp")
    (notice,) = mailbox.to(coordinator.email)
    assert "/request/status/" in body_of(receipt)
    assert "/coordinator/requests/" in body_of(notice)


def session_of(app, client) -> dict:
    """The session as the browser holds it: the signed cookie, decoded."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    if cookie is None:
        return {}
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def test_the_status_link_is_shown_once_then_dropped_from_the_session(app, client, db, towns):
    client.set_cookie("lang", "en")
    client.post("/request", data=form_data())
    held = session_of(app, client)["submitted_request"]
    token = held["token"]
    first = client.get("/request/sent")
    assert first.headers["Cache-Control"] == "no-store"
    assert f"/request/status/{token}" in first.get_data(as_text=True)
    after = session_of(app, client)
    assert token not in repr(after) and "token" not in after.get("submitted_request", {})
    assert token.encode() not in client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value.encode()

    again = client.get("/request/sent")
    html = again.get_data(as_text=True)
    assert again.status_code == 200 and again.headers["Cache-Control"] == "no-store"
    assert token not in html and "/request/status/" not in html
    assert f"Request number: {held['id']}" in html and "shown only once" in html
    assert "saved" in html


def test_the_page_after_the_link_says_it_was_mailed_when_mail_is_set_up(app, client, towns, mailbox):
    client.set_cookie("lang", "en")
    client.post("/request", data=form_data())
    assert "We also sent this link to your e-mail address." in client.get("/request/sent").get_data(as_text=True)
    html = client.get("/request/sent").get_data(as_text=True)
    assert "/request/status/" not in html and "e-mail" in html


def test_the_confirmation_is_never_kept_by_the_page_cache(app):
    from app.page_cache import _MARK

    assert not getattr(app.view_functions["support.sent"], _MARK, False)


def test_the_status_page_is_no_store(app, client, towns):
    client.post("/request", data=form_data())
    link = status_link(client)
    assert client.get(link).headers["Cache-Control"] == "no-store"
    assert client.post(link, data={"body": ""}).headers["Cache-Control"] == "no-store"


def test_without_a_mail_server_nothing_breaks_and_the_link_is_shown(client, db, towns, deliver):
    client.set_cookie("lang", "en")
    assert client.post("/request", data=form_data()).headers["Location"] == "/request/sent"
    html = client.get("/request/sent").get_data(as_text=True)
    assert "bookmark" in html and "/request/status/" in html
    deliver()  # the worker finds no server: the notices are kept, marked as not mailed
    assert set(db.session.scalars(sa.select(Notice.mail))) == {"none"}


def test_errors_are_listed_at_the_top_with_links_to_their_fields(client, towns):
    client.set_cookie("lang", "en")
    html = client.post("/request", data=form_data(email="", topics=None)).get_data(as_text=True)
    summary = html.split('id="error-summary"')[1].split("</div>")[0]
    assert "2 items need your attention" in summary
    assert 'href="#email"' in summary and 'href="#topics-0"' in summary


def test_switching_language_on_the_confirmation_shows_the_link_once_more(client, towns, db):
    client.post("/request", data=form_data())
    first = client.get("/request/sent").get_data(as_text=True)
    link = re.search(r'value="http://localhost(/request/status/[^"]+)"', first).group(1)
    token = link.rsplit("/", 1)[1]
    assert f'name="carry" value="{token}"' in first  # in the language forms' bodies, no URL
    switched = client.post("/language/en", data={"next": "/request/sent", "carry": token})
    assert switched.headers["Location"] == "/request/sent"
    again = client.get("/request/sent").get_data(as_text=True)
    assert link in again and "Request received" in again
    assert link not in client.get("/request/sent").get_data(as_text=True)  # a reload: gone
    with client.session_transaction() as saved:
        assert token not in repr(dict(saved))


def test_a_carried_token_of_another_request_shows_no_link(client, towns, db):
    client.post("/request", data=form_data())
    client.get("/request/sent")
    make_request(municipality=towns["aomori"], token_hash=hash_token("other-token-" + "z" * 30))
    db.session.commit()
    client.post("/language/en", data={"next": "/request/sent", "carry": "other-token-" + "z" * 30})
    assert "/request/status/" not in client.get("/request/sent").get_data(as_text=True)
