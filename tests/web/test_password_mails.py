"""Password mails go through the outbox as security notices (issue 18): the invitation and
the reset link are notices of their own kind, always mailed at once; the link is made when
the mail is written, so it is never in the notices table or a log line, and it works."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import sqlalchemy as sa

from app.models import Notice, User
from app.models.base import utcnow
from app.notice_kinds import kind_of
from app.services import notices
from tests.conftest import PASSWORD
from tests.mailbox import body_of

NEW_PASSWORD = "a fresh and long passphrase 2026"


def link_in(message, purpose: str) -> str:
    found = re.findall(rf"https?://\S+(/auth/password/{purpose}/\S+)", body_of(message))
    assert found, body_of(message)
    assert len(set(found)) == 1  # one link, the same in the Japanese and the English part
    return found[0]


def all_notice_text(db) -> str:
    rows = db.session.scalars(sa.select(Notice)).all()
    return repr([(n.params, n.last_error, n.dedupe_key, n.target_type, n.email) for n in rows])


def test_an_invitation_is_a_security_notice_whose_link_works(app, db, coordinator_client, client, mailbox, deliver,
                                                             caplog):
    caplog.set_level(logging.DEBUG)
    response = coordinator_client.post("/coordinator/invitations/new", data={
        "email": "new.person@example.jp", "display_name": "新しい 人", "role": "evangelist"})
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "new.person@example.jp"))
    (row,) = db.session.scalars(sa.select(Notice)).all()
    assert (row.kind, row.user_id, row.mail) == ("password_invitation", user.id, "pending")
    assert kind_of(row.kind).security
    deliver()
    (mail,) = mailbox.to("new.person@example.jp")
    path = link_in(mail, "invitation")
    token = path.rsplit("/", 1)[1]
    assert token not in all_notice_text(db)
    assert not any(token in record.getMessage() for record in caplog.records if record.name != "mail.log")

    assert client.get(path).status_code == 200
    saved = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/auth/login")


def test_a_reset_link_is_mailed_for_a_known_address_only_and_the_answer_is_the_same(
        app, db, english, make_account, mailbox, deliver):
    user = make_account("evangelist", email="known@example.jp")
    known = english.post("/auth/forgot-password", data={"email": "known@example.jp"}, follow_redirects=True)
    unknown = english.post("/auth/forgot-password", data={"email": "nobody@example.jp"}, follow_redirects=True)
    assert known.status_code == unknown.status_code == 200
    flash = re.compile(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', re.S)
    assert flash.findall(known.get_data(as_text=True)) == flash.findall(unknown.get_data(as_text=True))
    assert [(n.kind, n.user_id) for n in db.session.scalars(sa.select(Notice))] == [("password_reset", user.id)]
    deliver()
    assert not mailbox.to("nobody@example.jp")
    (mail,) = mailbox.to("known@example.jp")
    path = link_in(mail, "reset")
    assert english.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert english.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 200


def test_the_link_is_made_when_the_mail_is_written_not_when_it_was_asked(app, db, english, make_account, mailbox,
                                                                        deliver):
    """A link made at asking time would be dead once the sessions were ended meanwhile
    (the link's fingerprint changed); one made at delivery still works."""
    user = make_account("evangelist", email="later@example.jp")
    english.post("/auth/forgot-password", data={"email": user.email})
    user.session_version += 1  # "sign out everywhere" before the queue got to the mail
    db.session.commit()
    deliver()
    path = link_in(mailbox.to("later@example.jp")[0], "reset")
    assert english.get(path).status_code == 200
    assert english.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302


def test_a_mail_that_waited_longer_than_a_link_works_carries_none(app, db, make_account, mailbox, deliver):
    user = make_account("evangelist", email="slow@example.jp")
    (row,) = notices.notify("password_reset", users=[user])
    db.session.flush()
    row.created_at = utcnow() - app.config["RESET_MAX_AGE"] - timedelta(minutes=1)  # SMTP was down all that time
    db.session.commit()
    deliver()
    (mail,) = mailbox.to("slow@example.jp")
    assert "/auth/password/" not in body_of(mail)
    assert "有効なリンクを記載できません" in body_of(mail)  # a Japanese user: Japanese only


def test_an_invitation_to_someone_who_has_set_a_password_since_carries_no_link(app, db, make_account, mailbox,
                                                                              deliver):
    user = make_account("evangelist", email="done@example.jp")  # has a password
    notices.notify("password_invitation", users=[user])
    db.session.commit()
    deliver()
    assert "/auth/password/" not in body_of(mailbox.to("done@example.jp")[0])


def test_without_a_mail_server_the_link_is_shown_to_the_coordinator_and_no_notice_is_written(
        app, db, coordinator_client):
    app.config["MAIL_SERVER"] = None
    coordinator_client.set_cookie("lang", "en")
    page = coordinator_client.post("/coordinator/invitations/new", data={
        "email": "shown@example.jp", "display_name": "見せる 人", "role": "evangelist"})
    assert page.status_code == 200
    assert re.search(r"http://localhost/auth/password/invitation/[\w.-]+", page.get_data(as_text=True))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 0


def test_a_staff_made_reset_link_is_mailed_and_the_staff_told(app, db, signed_in_client, make_account, mailbox,
                                                             deliver):
    admin, _ = signed_in_client("admin")
    admin.set_cookie("lang", "en")
    person = make_account("evangelist", email="lost@example.jp")
    page = admin.post(f"/coordinator/people/{person.id}/password-link", follow_redirects=True)
    assert "A link was e-mailed to lost@example.jp." in page.get_data(as_text=True)
    deliver()
    link_in(mailbox.to("lost@example.jp")[0], "reset")
