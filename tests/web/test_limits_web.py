"""Issue 16, point 4, on the web side: the texts that name a limit take it from where the
limit lives. How long a password link works is config's (INVITATION_MAX_AGE, RESET_MAX_AGE);
the mails, the flash and the pages say what config says, in both languages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import mail
from app.services.notices import notify
from tests.factories import make_user


@pytest.mark.parametrize(("ages", "english", "japanese"), [
    ({}, ("within 7 days", "within 24 hours"), ("7日以内", "24時間以内")),
    ({"INVITATION_MAX_AGE": timedelta(days=3), "RESET_MAX_AGE": timedelta(hours=2)},
     ("within 3 days", "within 2 hours"), ("3日以内", "2時間以内")),
    ({"INVITATION_MAX_AGE": timedelta(days=1), "RESET_MAX_AGE": timedelta(hours=1)},
     ("within 1 day:", "within 1 hour:"), ("1日以内", "1時間以内")),
])
def test_password_mails_name_the_age_config_gives_the_link(app, db, monkeypatch, ages, english, japanese):
    for key, value in ages.items():
        monkeypatch.setitem(app.config, key, value)
    user = make_user(role="evangelist", locale="en")  # mailed in Japanese, then English
    invitation, reset = (notify(kind, users=[user])[0] for kind in ("password_invitation", "password_reset"))
    db.session.commit()
    bodies = [mail.compose_notice(notice).get_content() for notice in (invitation, reset)]
    for (expected_invitation, expected_reset) in (english, japanese):
        assert expected_invitation in bodies[0] and expected_reset in bodies[1]


def test_the_forgot_password_answer_names_the_reset_age(app, english, make_account, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "mail.example.jp")
    user = make_account("evangelist")
    page = english.post("/auth/forgot-password", data={"email": user.email}, follow_redirects=True)
    assert "It works for 24 hours." in page.get_data(as_text=True)
    monkeypatch.setitem(app.config, "RESET_MAX_AGE", timedelta(hours=2))
    page = english.post("/auth/forgot-password", data={"email": user.email}, follow_redirects=True)
    assert "It works for 2 hours." in page.get_data(as_text=True)


def test_the_invitation_page_names_the_invitation_age(app, signed_in_client, monkeypatch):
    client, _user = signed_in_client("coordinator")
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    assert "valid for 7 days" in client.get("/coordinator/invitations/new").get_data(as_text=True)
    monkeypatch.setitem(app.config, "INVITATION_MAX_AGE", timedelta(days=3))
    assert "valid for 3 days" in client.get("/coordinator/invitations/new").get_data(as_text=True)
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "ja")
    assert "有効期間3日間" in client.get("/coordinator/invitations/new").get_data(as_text=True)


def test_the_appointment_page_names_the_invitation_age(app, db, signed_in_client, monkeypatch):
    from tests.factories import make_evangelist

    client, _user = signed_in_client("coordinator")
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    person = make_evangelist(status="candidate", user=None)
    db.session.commit()
    url = f"/coordinator/recruitment/{person.id}/appoint"
    assert "valid for 7 days" in client.get(url).get_data(as_text=True)
    monkeypatch.setitem(app.config, "INVITATION_MAX_AGE", timedelta(days=1))
    assert "valid for 1 day," in client.get(url).get_data(as_text=True)
