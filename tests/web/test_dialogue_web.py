"""The request's dialogue on the web: the lost-link form (/request/status), the assigned
evangelist's thread (/me/assignments/<id>/messages), coordinators' internal notes, and
what the town's status page shows of each, in both languages, with hostile text."""

from __future__ import annotations

import re
from html import escape

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, Notice, RequestMessage, RequestNote
from tests.factories import make_assignment, make_evangelist, make_municipality, make_request, make_user
from tests.mailbox import body_of

HOSTILE = "<script>alert(1)</script> {{7*7}} {{ lone"
TOKEN = "status-token-of-the-dialogue-test-0123456789abcdef"


def shows_literally(html: str, text: str) -> bool:
    """``text`` is on the page as typed: escaped once, never run or evaluated."""
    return escape(text, quote=False) in html or escape(text) in html


def assert_hostile_shown_safely(html: str) -> None:
    assert shows_literally(html, HOSTILE), "the hostile text is not shown as typed"
    assert "<script>alert(1)</script>" not in html
    assert ">49<" not in html and " 49 " not in html


@pytest.fixture
def scene(db, signed_in_client):
    coordinator_client, coordinator = signed_in_client("coordinator", display_name="調整 一郎")
    evangelist_client, user = signed_in_client("evangelist", display_name="藤田 花子", email="fujita@example.jp")
    person = make_evangelist(user=user, family_name="藤田", given_name="花子")
    request = make_request(municipality=make_municipality(name="梼原町"), status="assigned",
                           email="town@example.jp", token=TOKEN)
    assignment = make_assignment(request=request, evangelist=person, status="accepted")
    db.session.commit()
    return {"coordinator": coordinator_client, "coordinator_user": coordinator, "evangelist": evangelist_client,
            "user": user, "request": request, "assignment": assignment}


def thread_url(scene) -> str:
    return f"/me/assignments/{scene['assignment'].id}/messages"


def english(app, client):
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    return client


# --- the evangelist's thread -------------------------------------------------------------------

def test_my_page_links_the_thread_of_an_accepted_assignment(scene):
    html = scene["evangelist"].get("/me/").get_data(as_text=True)
    assert f'href="{thread_url(scene)}"' in html and "自治体とのメッセージ（0件）" in html


def test_the_evangelist_writes_and_the_town_sees_the_family_name_and_伝道師_only(app, db, scene, client):
    response = scene["evangelist"].post(thread_url(scene), data={"body": f"伺う日を決めましょう {HOSTILE}"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/messages#latest")
    page = scene["evangelist"].get(thread_url(scene)).get_data(as_text=True)
    assert "「藤田 伝道師」の名前でメールが届きます" in page  # the flash says how the town sees it
    assert_hostile_shown_safely(page)
    assert "あなた" in page

    status = client.get(f"/request/status/{TOKEN}").get_data(as_text=True)
    assert_hostile_shown_safely(status)
    assert "藤田 伝道師" in status and "花子" not in status and "fujita@example.jp" not in status
    status_en = english(app, app.test_client()).get(f"/request/status/{TOKEN}").get_data(as_text=True)
    assert "Evangelist 藤田" in status_en and "花子" not in status_en

    coordinator_page = scene["coordinator"].get(f"/coordinator/requests/{scene['request'].id}").get_data(as_text=True)
    assert "藤田 花子（伝道師）" in coordinator_page
    assert_hostile_shown_safely(coordinator_page)


def test_the_thread_page_in_english_and_the_town_message_in_it(app, db, scene, client):
    client.post(f"/request/status/{TOKEN}", data={"body": f"town says {HOSTILE}"})
    assert db.session.scalars(sa.select(RequestMessage.sender)).all() == ["municipality"]
    html = english(app, scene["evangelist"]).get(thread_url(scene)).get_data(as_text=True)
    assert "Messages" in html and "Evangelist 藤田" in html and "The municipality" in html
    assert_hostile_shown_safely(html)


def test_an_empty_message_is_refused_with_a_message_and_nothing_written(db, scene):
    response = scene["evangelist"].post(thread_url(scene), data={"body": "   "})
    assert response.status_code == 422
    assert "メッセージを入力してください。" in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(RequestMessage)).all() == []


def test_a_too_long_message_keeps_what_was_typed(db, scene):
    text = "長" * 2001
    response = scene["evangelist"].post(thread_url(scene), data={"body": text})
    assert response.status_code == 422 and text in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(RequestMessage)).all() == []


def test_another_evangelists_thread_is_a_plain_404(db, scene, signed_in_client):
    stranger, _user = signed_in_client("evangelist", email="stranger@example.jp")
    assert stranger.get(thread_url(scene)).status_code == 404
    assert stranger.post(thread_url(scene), data={"body": "x"}).status_code == 404
    assert db.session.scalars(sa.select(RequestMessage)).all() == []


def test_a_proposal_has_no_thread_yet(db, scene):
    scene["assignment"].status = "proposed"
    db.session.commit()
    response = scene["evangelist"].get(thread_url(scene))
    assert response.status_code == 302 and response.headers["Location"].endswith("/me/")
    assert "引き受けると使えるようになります" in scene["evangelist"].get("/me/").get_data(as_text=True)


def test_a_closed_request_shows_the_thread_without_a_form_and_refuses_a_post(db, scene):
    scene["request"].status = "completed"
    db.session.commit()
    html = scene["evangelist"].get(thread_url(scene)).get_data(as_text=True)
    assert 'name="body"' not in html and "メッセージを追加できません" in html
    scene["evangelist"].post(thread_url(scene), data={"body": "まだ"})
    assert db.session.scalars(sa.select(RequestMessage)).all() == []


def test_a_town_message_on_the_status_page_reaches_the_coordinators_and_the_evangelist(
        db, scene, client, mailbox, deliver):
    client.post(f"/request/status/{TOKEN}", data={"body": "質問があります"})
    deliver()
    (mail,) = mailbox.to("fujita@example.jp")
    assert "質問があります" in body_of(mail) and thread_url(scene) in body_of(mail)
    (staff,) = mailbox.to(scene["coordinator_user"].email)
    assert f"/coordinator/requests/{scene['request'].id}" in body_of(staff)


def test_the_mailed_link_of_a_coordinator_message_opens_the_status_page(db, scene, client, mailbox, deliver):
    scene["coordinator"].post(f"/coordinator/requests/{scene['request'].id}/messages",
                              data={"body": f"資料です {HOSTILE}"})
    page = scene["coordinator"].get(f"/coordinator/requests/{scene['request'].id}").get_data(as_text=True)
    assert "自治体にはメールと状況確認ページで届き" in page
    assert_hostile_shown_safely(page)
    deliver()
    (mail,) = mailbox.to("town@example.jp")
    assert HOSTILE in body_of(mail)
    link = re.search(r"http://localhost(/request/status/\S+)", body_of(mail)).group(1)
    page = client.get(link)
    assert page.status_code == 200
    assert_hostile_shown_safely(page.get_data(as_text=True))
    assert [n.kind for n in db.session.scalars(sa.select(Notice).order_by(Notice.id))] == [
        "message_to_town", "request_message"]


# --- internal notes ------------------------------------------------------------------------------

def test_a_note_shows_to_coordinators_only_never_to_the_town_or_the_evangelist(app, db, scene, client):
    request_url = f"/coordinator/requests/{scene['request'].id}"
    response = scene["coordinator"].post(f"{request_url}/notes", data={"body": f"内部メモ {HOSTILE}"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#notes")
    page = scene["coordinator"].get(request_url).get_data(as_text=True)
    assert "内部メモ" in page and "自治体にも伝道師にも表示されません" in page
    assert_hostile_shown_safely(page)
    page_en = english(app, scene["coordinator"]).get(request_url).get_data(as_text=True)
    assert "Internal notes" in page_en and shows_literally(page_en, HOSTILE)

    for html in (client.get(f"/request/status/{TOKEN}").get_data(as_text=True),
                 scene["evangelist"].get(thread_url(scene)).get_data(as_text=True),
                 scene["evangelist"].get("/me/").get_data(as_text=True)):
        assert "内部メモ" not in html and "alert(1)" not in html
    assert db.session.scalars(sa.select(Notice)).all() == []
    assert db.session.scalars(sa.select(AuditEvent.action)).all()[-1] == "request.note_added"


def test_an_empty_note_is_refused_on_the_page_with_its_message(db, scene):
    response = scene["coordinator"].post(f"/coordinator/requests/{scene['request'].id}/notes", data={"body": " "})
    assert response.status_code == 422 and "メモを書いてください。" in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(RequestNote)).all() == []


def test_an_evangelist_cannot_add_a_note(db, scene):
    response = scene["evangelist"].post(f"/coordinator/requests/{scene['request'].id}/notes", data={"body": "x"})
    assert response.status_code in (302, 403)
    assert db.session.scalars(sa.select(RequestNote)).all() == []


# --- the lost link ------------------------------------------------------------------------------

def test_the_form_is_reachable_from_the_request_form_in_both_languages(app, client, towns):
    assert 'href="/request/status"' in client.get("/request").get_data(as_text=True)
    html = client.get("/request/status").get_data(as_text=True)
    assert "状況確認用リンクが分からなくなった場合" in html and 'name="number"' in html
    assert "Lost your status link?" in english(app, app.test_client()).get("/request/status").get_data(as_text=True)


def _ask(client, number, email):
    """Ask, and close the answer as a WSGI server does once it is sent: the look-up runs then."""
    response = client.post("/request/status", data={"number": str(number), "email": email})
    response.close()
    return response, client.get(response.headers.get("Location", "/nowhere")).get_data(as_text=True)


def test_match_and_no_match_get_the_same_answer_and_only_a_match_is_mailed(app, db, scene, mailbox, deliver):
    number = scene["request"].id
    answers = []
    for n, email in ((number, "TOWN@example.jp"), (number, "someone@example.jp"), (number + 99, "town@example.jp")):
        response, page = _ask(app.test_client(), n, email)
        answers.append((response.status_code, response.headers["Location"], page))
    assert len({a[:2] for a in answers}) == 1 and answers[0][:2] == (302, "/request/status/asked")
    assert len({a[2] for a in answers}) == 1 and "メールをご確認ください" in answers[0][2]
    deliver()
    assert [m["To"] for m in mailbox.messages] == ["town@example.jp"]


def test_the_answer_leaves_before_anything_is_looked_up(app, db, scene, count_queries):
    """The same SQL (none about the request) before the answer whether or not it matches:
    the look-up and the notice wait until the server has sent the answer."""
    number = str(scene["request"].id)
    answers = {}
    for email in ("town@example.jp", "nobody@example.jp"):
        with count_queries() as queries:
            response = app.test_client().post("/request/status", data={"number": number, "email": email})
        answers[email] = (response, queries.statements)
    assert db.session.scalars(sa.select(Notice)).all() == []  # nothing yet: the answers are not closed
    (match, match_sql), (miss, miss_sql) = answers.values()
    assert (match.status_code, match.headers["Location"]) == (miss.status_code, miss.headers["Location"])
    assert match_sql == miss_sql and not any("support_requests" in statement for statement in match_sql)
    match.close()
    miss.close()
    assert db.session.scalars(sa.select(Notice.kind)).all() == ["status_link"]


def test_the_mailed_link_works(app, db, scene, mailbox, deliver):
    _ask(app.test_client(), f"#{scene['request'].id}", "town@example.jp")
    deliver()
    (mail,) = mailbox.to("town@example.jp")
    link = re.search(r"http://localhost(/request/status/\S+)", body_of(mail)).group(1)
    page = app.test_client().get(link)
    assert page.status_code == 200 and f"受付番号 {scene['request'].id}" in page.get_data(as_text=True)


def test_full_width_digits_are_a_number_and_bad_input_is_refused_keeping_what_was_typed(app, db, scene):
    number = scene["request"].id
    full_width = str(number).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    response, _page = _ask(app.test_client(), full_width, "town@example.jp")
    assert response.status_code == 302
    assert db.session.scalars(sa.select(Notice.kind)).all() == ["status_link"]
    bad = app.test_client().post("/request/status", data={"number": "十二", "email": "not-an-address"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "十二" in html and "not-an-address" in html
    assert "受付番号は数字だけで入力してください" in html


def test_asking_too_often_for_one_number_gets_a_clear_message(app, db, scene):
    number = scene["request"].id
    statuses = [app.test_client().post("/request/status", data={"number": str(number), "email": f"x{i}@example.jp"},
                                       environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}).status_code for i in range(4)]
    assert statuses == [302, 302, 302, 429]
    response = app.test_client().post("/request/status", data={"number": str(number), "email": "town@example.jp"},
                                      environ_base={"REMOTE_ADDR": "10.0.1.1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 429 and "リンクの再送依頼が多すぎます" in html and "試行回数が多すぎます" in html
    english_client = english(app, app.test_client())
    html_en = english_client.post("/request/status", data={"number": str(number), "email": "town@example.jp"},
                                  environ_base={"REMOTE_ADDR": "10.0.1.2"}).get_data(as_text=True)
    assert "You asked for the link too often" in html_en


def test_one_address_asking_for_many_numbers_is_limited_too(app, db, scene):
    client = app.test_client()
    statuses = [client.post("/request/status", data={"number": str(n), "email": f"a{n}@example.jp"}).status_code
                for n in range(1000, 1011)]
    assert statuses[:10] == [302] * 10 and statuses[10] == 429


def test_a_request_from_before_0010_gets_a_new_link_and_the_old_one_stops_working(app, db, mailbox, deliver):
    import hashlib

    old = "an-old-token-from-before-0010-without-a-sealed-copy"
    request = make_request(email="old@example.jp", token_hash=hashlib.sha256(old.encode()).hexdigest(),
                           token_sealed=None)
    make_user(role="coordinator")
    db.session.commit()
    assert app.test_client().get(f"/request/status/{old}").status_code == 200
    _ask(app.test_client(), request.id, "old@example.jp")
    deliver()
    (mail,) = mailbox.to("old@example.jp")
    assert "以前お知らせしたリンクは使えなくなりました" in body_of(mail)
    link = re.search(r"http://localhost(/request/status/\S+)", body_of(mail)).group(1)
    assert app.test_client().get(link).status_code == 200
    assert app.test_client().get(f"/request/status/{old}").status_code == 404
