"""Becoming an evangelist on the web (issue 22, point 6): the public form (mistakes keep
what was typed), the mailed link (a button confirms; expired and unknown links say so),
the honeypot, the coordinator's pages (the candidate shows the answers; a possible
duplicate is decided; a decline mails the message), and nothing personal in public."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.models import Evangelist, EvangelistApplication
from app.models.base import utcnow
from app.services.topics import sync_topics
from tests.factories import make_application, make_community, make_evangelist, make_places
from tests.mailbox import body_of


@pytest.fixture(autouse=True)
def _places(db):
    sync_topics()
    places = make_places("sapporo", "hirosaki")
    make_community(name="Code for Sapporo", municipality=places["sapporo"])
    db.session.commit()
    return places


def form(**changes) -> dict:
    data = {"family_name": "応募", "given_name": "花子", "family_name_kana": "おうぼ", "given_name_kana": "はなこ",
            "email": "hanako@example.jp", "prefecture": "01", "municipality": "011002", "community": "",
            "community_other": "Code for Kita", "skills": ["gis", "licensing"], "travel_radius_km": "80",
            "online_ok": "y", "capacity": "3", "availability": "平日の夜", "languages": ["ja", "en"],
            "motivation": "ハッカソンを主催しています。", "age_band": "30s", "gender": "", "consent": "y",
            "website": ""}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def confirm_path(mailbox, deliver, address="hanako@example.jp") -> str:
    deliver()
    (mail,) = mailbox.to(address)
    found = set(re.findall(r"https?://\S+(/apply/confirm/\S+)", body_of(mail)))
    assert len(found) == 1, body_of(mail)
    return found.pop()


def test_apply_confirm_and_the_coordinator_sees_the_candidate(app, db, english, mailbox, deliver, signed_in_client):
    page = english.get("/apply")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "Privacy notice" in html and "used only for statistics" in html
    assert 'for="family_name_kana"' in html and 'for="consent"' in html

    sent = english.post("/apply", data=form())
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/apply/check-mail")
    check = english.get("/apply/check-mail")
    assert "hanako@example.jp" in check.get_data(as_text=True) and check.headers["Cache-Control"] == "no-store"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evangelist)) == 0

    path = confirm_path(mailbox, deliver)
    shown = english.get(path)  # a mail scanner that opens the link confirms nothing
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    assert shown.headers["Referrer-Policy"] == "no-referrer"
    assert db.session.scalar(sa.select(EvangelistApplication.status)) == "unconfirmed"
    done = english.post(path)
    assert done.status_code == 302 and done.headers["Location"].endswith("/apply/confirmed")
    assert "Thank you for applying" in english.get("/apply/confirmed").get_data(as_text=True)
    assert english.get(path).status_code == 404  # used

    application = db.session.scalar(sa.select(EvangelistApplication))
    assert application.status == "in_pipeline"
    coordinator, _user = signed_in_client("coordinator")
    coordinator.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    board = coordinator.get("/coordinator/recruitment").get_data(as_text=True)
    assert "応募 花子" in board and "applied-badge" in board
    record = coordinator.get(f"/coordinator/recruitment/{application.evangelist_id}").get_data(as_text=True)
    assert "Applied themselves on the public form" in record
    for answer in ("Code for Kita", "平日の夜", "ハッカソンを主催しています。", "hanako@example.jp"):
        assert answer in record
    assert "30–39" not in record  # the statistics' answers are not shown
    own = coordinator.get(f"/coordinator/recruitment/applications/{application.id}")
    assert own.status_code == 200 and "Code for Kita" in own.get_data(as_text=True)


def test_mistakes_keep_what_was_typed(app, db, english, mailbox):
    response = english.post("/apply", data=form(family_name_kana="yamada", consent=None, capacity="many",
                                                 skills=[]))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "katakana or hiragana" in html  # the reading
    assert "Agree to the privacy notice to apply." in html
    assert "Choose at least one topic." in html
    assert "Enter a whole number from 0 to 20." in html
    for typed in ('value="yamada"', 'value="many"', 'value="応募"', "ハッカソンを主催しています。", 'value="Code for Kita"',
                  "平日の夜", 'value="hanako@example.jp"'):
        assert typed in html, typed
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EvangelistApplication)) == 0


def test_choosing_the_prefecture_keeps_the_answers(app, db, english):
    response = english.post("/apply", data=form(action="prefecture", municipality="", prefecture="02"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "弘前市" in html and "ハッカソンを主催しています。" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EvangelistApplication)) == 0


def test_without_mail_nobody_can_apply(app, db, english):
    response = english.post("/apply", data=form())
    assert response.status_code == 422 and "cannot send e-mail" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EvangelistApplication)) == 0


def test_applications_are_limited_per_address_and_mistakes_do_not_count(app, db, client, mailbox):
    app.config["APPLY_PER_ADDRESS"] = "2 per hour"
    assert client.post("/apply", data=form(consent=None)).status_code == 422  # not counted
    assert client.post("/apply", data=form(email="a@example.jp")).status_code == 302
    assert client.post("/apply", data=form(email="b@example.jp")).status_code == 302
    assert client.post("/apply", data=form(email="c@example.jp")).status_code == 429
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EvangelistApplication)) == 2


def test_the_honeypot_writes_nothing_and_sends_nothing(app, db, client, mailbox, deliver):
    response = client.post("/apply", data=form(website="https://spam.example/"))
    assert response.status_code == 302
    deliver()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EvangelistApplication)) == 0
    assert mailbox.messages == []


def test_expired_and_unknown_links_say_so(app, db, english, clock):
    make_application(status="unconfirmed", token="an-application-token-of-thirty-chars",
                     confirm_by=utcnow() + timedelta(hours=1))
    db.session.commit()
    assert english.get("/apply/confirm/an-application-token-of-thirty-chars").status_code == 200
    clock(utcnow() + timedelta(hours=2))
    expired = english.get("/apply/confirm/an-application-token-of-thirty-chars")
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    assert english.post("/apply/confirm/an-application-token-of-thirty-chars").status_code == 410
    unknown = english.get("/apply/confirm/no-such-token")
    assert unknown.status_code == 404 and unknown.headers["Cache-Control"] == "no-store"
    assert db.session.scalar(sa.select(EvangelistApplication.status)) == "unconfirmed"


def test_the_public_pages_link_the_form_and_show_nothing_personal(app, db, english, client):
    make_application(status="in_pipeline", family_name="秘密", email="secret@example.jp", motivation="非公開の動機")
    make_application(status="unconfirmed", family_name="秘密", email="secret@example.jp")
    db.session.commit()
    home = english.get("/").get_data(as_text=True)
    assert 'href="/apply"' in home and "Become an evangelist" in home
    assert 'href="/apply"' in english.get("/network").get_data(as_text=True)
    for url in ("/", "/network", "/apply", "/municipalities", "/open-data", "/municipalities/011002"):
        body = client.get(url).get_data(as_text=True)
        assert "秘密" not in body and "secret@example.jp" not in body and "非公開の動機" not in body, url
    application_id = db.session.scalar(sa.select(EvangelistApplication.id).where(
        EvangelistApplication.status == "in_pipeline"))
    staff_only = client.get(f"/coordinator/recruitment/applications/{application_id}")
    assert staff_only.status_code == 302 and "/auth/login" in staff_only.headers["Location"]


def test_an_unconfirmed_application_is_not_shown_even_to_staff(app, db, coordinator_client):
    application = make_application(status="unconfirmed")
    db.session.commit()
    assert coordinator_client.get(f"/coordinator/recruitment/applications/{application.id}").status_code == 404


def test_a_possible_duplicate_is_decided_on_its_page(app, db, signed_in_client, _places):
    existing = make_evangelist(family_name="応募", given_name="花子", family_name_kana="オウボ", given_name_kana="ハナコ",
                               home_municipality=_places["sapporo"], status="candidate", user=None)
    application = make_application(municipality=_places["sapporo"], family_name="応募", given_name="花子",
                                    matches=[existing.id])
    db.session.commit()
    client, _user = signed_in_client("coordinator")
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    board = client.get("/coordinator/recruitment").get_data(as_text=True)
    assert "applied themselves; possible duplicate of 応募 花子" in board
    record = client.get(f"/coordinator/recruitment/{existing.id}").get_data(as_text=True)
    assert "Applied themselves?" in record and f"/coordinator/recruitment/applications/{application.id}" in record
    page = client.get(f"/coordinator/recruitment/applications/{application.id}").get_data(as_text=True)
    assert "Someone else: add them as a new candidate" in page and f'value="same_person:{existing.id}"' in page

    missing = client.post(f"/coordinator/recruitment/applications/{application.id}", data={"message": "残す"})
    assert missing.status_code == 422 and "Choose what to do with the application." in missing.get_data(as_text=True)
    assert "残す" in missing.get_data(as_text=True)
    forged = client.post(f"/coordinator/recruitment/applications/{application.id}",
                         data={"resolution": "same_person:99999"})
    assert forged.status_code == 422

    joined = client.post(f"/coordinator/recruitment/applications/{application.id}",
                         data={"resolution": f"same_person:{existing.id}"})
    assert joined.status_code == 302 and joined.headers["Location"].endswith(f"/coordinator/recruitment/{existing.id}")
    db.session.expire_all()
    assert db.session.get(EvangelistApplication, application.id).status == "same_person"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evangelist)) == 1
    again = client.post(f"/coordinator/recruitment/applications/{application.id}", data={"resolution": "declined"})
    assert again.status_code == 302  # decided already: said so, nothing changes
    assert db.session.get(EvangelistApplication, application.id).status == "same_person"
    assert "Applied themselves on the public form" in client.get(
        f"/coordinator/recruitment/{existing.id}").get_data(as_text=True)


def test_declining_an_applicant_mails_the_message(app, db, signed_in_client, mailbox, deliver, _places):
    person = make_evangelist(home_municipality=_places["sapporo"], status="candidate", user=None)
    make_application(status="in_pipeline", municipality=_places["sapporo"], evangelist=person,
                     email="hanako@example.jp")
    nominated = make_evangelist(home_municipality=_places["sapporo"], status="candidate", user=None)
    db.session.commit()
    client, _user = signed_in_client("coordinator")
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    # The board's button asks first, on the decline page.
    moved = client.post(f"/coordinator/recruitment/{person.id}/move", data={"target": "retired"})
    assert moved.status_code == 302 and moved.headers["Location"].endswith(f"/coordinator/recruitment/{person.id}/decline")
    page = client.get(f"/coordinator/recruitment/{person.id}/decline").get_data(as_text=True)
    assert "Message to the applicant (optional)" in page
    too_long = client.post(f"/coordinator/recruitment/{person.id}/decline", data={"message": "あ" * 2001})
    assert too_long.status_code == 422 and "あ" * 2001 in too_long.get_data(as_text=True)
    done = client.post(f"/coordinator/recruitment/{person.id}/decline", data={"message": "来年度またお願いします。"})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Evangelist, person.id).status == "retired"
    deliver()
    (mail,) = mailbox.to("hanako@example.jp")
    assert "来年度またお願いします。" in body_of(mail)
    # A nominated candidate is declined without a message box (there is nobody to mail).
    assert "Message to the applicant" not in client.get(
        f"/coordinator/recruitment/{nominated.id}/decline").get_data(as_text=True)
    assert client.post(f"/coordinator/recruitment/{nominated.id}/decline").status_code == 302
    assert db.session.get(Evangelist, nominated.id).status == "retired"


def test_the_japanese_form_reads_in_japanese(app, db, client):
    html = client.get("/apply").get_data(as_text=True)
    assert "伝道師になる" in html and "個人情報の取扱い" in html


def test_the_form_names_only_communities_already_public(app, db, english, _places):
    """A community that never agreed to be listed and is not active is not named by the
    public form, whichever id is posted (security review of issue 22)."""
    hidden = make_community(name="非公開の休眠会", municipality=_places["sapporo"], status="dormant")
    listed = make_community(name="公開の休眠会", municipality=_places["sapporo"], status="dormant", public=True)
    db.session.commit()
    for data in ({"action": "prefecture", "prefecture": "01"},
                 {"action": "prefecture", "prefecture": "01", "community": str(hidden.id)},
                 form(community=str(hidden.id))):
        html = english.post("/apply", data=data).get_data(as_text=True)
        assert "非公開の休眠会" not in html
    html = english.post("/apply", data={"action": "prefecture", "prefecture": "01"}).get_data(as_text=True)
    assert "Code for Sapporo" in html and listed.name in html


def test_the_confirmation_mail_greets_the_applicant_by_name(app, db, english, mailbox, deliver):
    assert english.post("/apply", data=form()).status_code == 302
    deliver()
    (mail,) = mailbox.to("hanako@example.jp")
    assert "応募 花子" in body_of(mail)
