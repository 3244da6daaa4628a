"""Issue 20, point 3: a coordinator records a request a town made by phone, e-mail, post or
in person (/coordinator/requests/new): the public form's fields and checks, the e-mail
optional, the duplicate rule of /request, the receipt mailed when there is an address and
the status link shown once when not; the queue, the request page and the export say how
the request came in."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from html import unescape

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, RequestAddition, SupportRequest
from app.services.requests import request_by_token
from tests.factories import make_request
from tests.mailbox import body_of
from tests.web.test_support import form_data

URL = "/coordinator/requests/new"
HOSTILE = "<script>alert(1)</script>{{7*7}} {{"
TODAY = datetime(2026, 4, 10, 3, 0, tzinfo=UTC)  # 12:00 in Japan


def intake_data(**overrides):
    data = form_data(source="phone", received_on="2026-04-08", nonce="intake-1")
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def staff(signed_in_client, clock):
    clock(TODAY)
    client, user = signed_in_client("coordinator", display_name="山田 花子")
    return client, user


def only_request(db) -> SupportRequest:
    return db.session.scalars(sa.select(SupportRequest)).one()


def shown_link(html: str) -> str:
    return re.search(r'value="http://localhost(/request/status/[^"]+)"', html).group(1)


@pytest.mark.parametrize(("language", "button", "heading"), [
    ("ja", "電話・メールで受けた依頼を登録", "依頼の受付"),
    ("en", "Record a request received by phone or mail", "How the request came in"),
])
def test_the_queue_links_the_page_and_the_page_has_the_forms_fields(staff, towns, language, button, heading):
    client, _ = staff
    client.set_cookie("lang", language)
    queue = unescape(client.get("/coordinator/requests").get_data(as_text=True))
    assert button in queue and f'href="{URL}"' in queue
    response = client.get(URL)
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert heading in html
    for name in ("source", "received_on", "prefecture", "municipality", "contact_name", "department", "email",
                 "phone", "topics", "mode", "period", "message"):
        assert f'name="{name}"' in html, name
    assert 'name="website"' not in html  # no honeypot for staff
    assert 'value="2026-04-10"' in html  # received today (Japan) unless said otherwise


def test_choosing_the_prefecture_without_javascript_keeps_what_was_typed(staff, towns):
    client, _ = staff
    response = client.post(URL, data=intake_data(action="prefecture", municipality="", contact_name="電話 太郎"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "当別町" in html and 'value="電話 太郎"' in html and 'value="2026-04-08"' in html


def test_a_phone_request_without_an_email_is_recorded_and_its_link_shown_once(app, db, staff, towns, mailbox,
                                                                              deliver):
    client, coordinator = staff
    client.set_cookie("lang", "ja")
    response = client.post(URL, data=intake_data(email=""))
    assert response.status_code == 302 and response.headers["Location"].endswith("/coordinator/requests/recorded")
    req = only_request(db)
    assert (req.source, req.received_on, req.recorded_by_id, req.email) == (
        "phone", date(2026, 4, 8), coordinator.id, None)
    page = client.get("/coordinator/requests/recorded")
    assert page.headers["Cache-Control"] == "no-store"
    html = unescape(page.get_data(as_text=True))
    link = shown_link(html)
    assert request_by_token(link.rsplit("/", 1)[1]).id == req.id
    assert "メールアドレスがないため、メールは送信していません" in html
    assert "?" not in link and "token" not in page.request.url
    again = client.get("/coordinator/requests/recorded").get_data(as_text=True)
    assert "/request/status/" not in again and "一度だけ表示しました" in unescape(again)
    deliver()
    assert mailbox.messages == []  # no town mail; the coordinator who recorded it is not told either


def test_with_an_email_the_town_gets_the_receipt_with_its_link_and_the_page_says_so(db, staff, towns, mailbox,
                                                                                    deliver, make_account):
    client, coordinator = staff
    other = make_account("coordinator")
    client.set_cookie("lang", "en")
    client.post(URL, data=intake_data(source="email"))
    html = unescape(client.get("/coordinator/requests/recorded").get_data(as_text=True))
    assert "was mailed to yamada@town.example.lg.jp" in html and "/request/status/" not in html
    deliver()
    (receipt,) = mailbox.to("yamada@town.example.lg.jp")
    assert "/request/status/" in body_of(receipt)
    assert len(mailbox.to(other.email)) == 1 and mailbox.to(coordinator.email) == []


@pytest.mark.parametrize("language", ["ja", "en"])
def test_bad_input_is_named_on_its_field_and_keeps_what_was_typed(db, staff, towns, language):
    client, _ = staff
    client.set_cookie("lang", language)
    response = client.post(URL, data=intake_data(email="", phone="", received_on="2026-04-11",
                                                 contact_name="電話 太郎", message="残す文"))
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    words = {"ja": ("メールアドレスか電話番号を入力", "未来の日付は指定できません"),
             "en": ("Give an e-mail address or a phone number", "cannot be in the future")}[language]
    for word in words:
        assert word in html
    assert 'value="電話 太郎"' in html and "残す文" in html and 'value="2026-04-11"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportRequest)) == 0


def test_the_forms_own_checks_apply(db, staff, towns):
    client, _ = staff
    client.set_cookie("lang", "en")
    response = client.post(URL, data=intake_data(email="not-an-address", topics=[], source="fax",
                                                 municipality="022012", received_on="yesterday"))
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    for words in ("This is not an e-mail address", "Choose at least one topic.",
                  "Choose a municipality of the chosen prefecture.", "Choose how the request came in.",
                  "Enter a date like 2030-04-01."):
        assert words in html, words


def test_a_town_with_an_open_request_the_coordinator_is_told_and_chooses(db, staff, towns):
    client, coordinator = staff
    existing = make_request(municipality=towns["tobetsu"], form_nonce="first", contact_name="最初 の人")
    db.session.commit()
    client.set_cookie("lang", "ja")
    response = client.post(URL, data=intake_data(contact_name="二人目 の人"))
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and 'id="duplicate-notice"' in html
    assert f'href="/coordinator/requests/{existing.id}"' in html and "すでに対応中の依頼があります" in html
    assert 'value="二人目 の人"' in html and 'name="duplicate" value="add"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RequestAddition)) == 0

    added = client.post(URL, data=intake_data(contact_name="二人目 の人", email="", duplicate="add"))
    assert added.status_code == 302
    addition = db.session.scalars(sa.select(RequestAddition)).one()
    assert (addition.request_id, addition.status, addition.email) == (existing.id, "pending", None)
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "request.addition_recorded")).one()
    assert event.actor_id == coordinator.id and event.after["source"] == "phone"
    page = unescape(client.get("/coordinator/requests/recorded").get_data(as_text=True))
    assert f'href="/coordinator/requests/{existing.id}#additions"' in page and "/request/status/" in page
    assert "対応中の依頼に追加しました" in page


def test_a_new_request_anyway_on_a_town_with_an_open_one(db, staff, towns):
    client, _ = staff
    make_request(municipality=towns["tobetsu"], form_nonce="first")
    db.session.commit()
    client.post(URL, data=intake_data(duplicate="new"))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportRequest)) == 2


def test_the_same_form_twice_records_one_request(db, staff, towns):
    client, _ = staff
    client.post(URL, data=intake_data())
    client.post(URL, data=intake_data())
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportRequest)) == 1


@pytest.mark.parametrize(("language", "words"), [("ja", "電話で受付 · 記録: 山田 花子"),
                                                 ("en", "Phone · recorded by 山田 花子")])
def test_the_queue_and_the_request_page_say_how_it_came_in(db, staff, towns, language, words):
    client, _ = staff
    client.post(URL, data=intake_data())
    form_request = make_request(municipality=towns["aomori"])
    db.session.commit()
    req = db.session.scalars(sa.select(SupportRequest).where(SupportRequest.source == "phone")).one()
    client.set_cookie("lang", language)
    queue = unescape(client.get("/coordinator/requests").get_data(as_text=True))
    assert queue.count(words) == 1
    page = unescape(client.get(f"/coordinator/requests/{req.id}").get_data(as_text=True))
    assert words in page and "yamada@town.example.lg.jp" in page
    history = page[page.index("history"):]
    sentence = {"ja": "山田 花子 が電話で受けた依頼を登録しました", "en": "山田 花子 recorded a request received by phone"}
    assert sentence[language] in history
    other = unescape(client.get(f"/coordinator/requests/{form_request.id}").get_data(as_text=True))
    assert "記録:" not in other and "recorded by" not in other


def test_a_request_without_an_email_reads_so_on_its_page(db, staff, towns):
    client, _ = staff
    client.set_cookie("lang", "ja")
    client.post(URL, data=intake_data(email=""))
    page = unescape(client.get(f"/coordinator/requests/{only_request(db).id}").get_data(as_text=True))
    assert "メールアドレスなし" in page and 'href="mailto:"' not in page and "None" not in page


def test_hostile_text_in_every_field_shows_as_text(db, staff, towns):
    client, _ = staff
    hostile = {name: HOSTILE for name in ("contact_name", "department", "period", "message")}
    # Refused (kept on the form as typed): every field hostile, the address, phone, source and day too.
    bad = client.post(URL, data=intake_data(email=HOSTILE, phone=HOSTILE, source=HOSTILE, received_on=HOSTILE,
                                            **hostile))
    assert bad.status_code == 422
    client.post(URL, data=intake_data(**hostile))
    req = only_request(db)
    for raw in (bad.get_data(as_text=True),
                client.get("/coordinator/requests").get_data(as_text=True),
                client.get(f"/coordinator/requests/{req.id}").get_data(as_text=True),
                client.get("/coordinator/requests/recorded").get_data(as_text=True)):
        assert "<script>alert(1)" not in raw and "49" not in raw.split("</head>")[1].replace("2049", "")
    assert bad.get_data(as_text=True).count("&lt;script&gt;") >= 7
    assert unescape(client.get(f"/coordinator/requests/{req.id}").get_data(as_text=True)).count("{{7*7}}") >= 3


def test_the_export_has_the_source_in_words_or_codes(db, staff, towns):
    client, _ = staff
    client.post(URL, data=intake_data())
    make_request(municipality=towns["aomori"])
    db.session.commit()
    client.set_cookie("lang", "ja")
    rows = list(csv.DictReader(io.StringIO(client.get("/coordinator/data/export/requests.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert sorted(row["受付方法"] for row in rows) == ["Webフォーム", "電話"]
    assert "2026-04-08" in {row["受付日"] for row in rows}
    coded = list(csv.DictReader(io.StringIO(
        client.get("/coordinator/data/export/requests.csv?format=codes").get_data(as_text=True).lstrip("\ufeff"))))
    assert sorted(row["source"] for row in coded) == ["form", "phone"]


@pytest.mark.parametrize("role", ["evangelist"])
def test_only_staff_may_record(signed_in_client, towns, role):
    client, _ = signed_in_client(role)
    assert client.get(URL).status_code == 403
    assert client.post(URL, data=intake_data()).status_code == 403
