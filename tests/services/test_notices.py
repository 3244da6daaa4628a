"""The outbox: notices written with their change, mailed by the queue over real SMTP."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.models import Notice
from app.services import notices
from app.services import requests as requests_service
from app.services.requests import Submission
from tests.factories import make_municipality, make_request, make_user
from tests.mailbox import body_of


def _submission(municipality, **overrides):
    fields = dict(municipality_code=municipality.code, contact_name="山田 花子", department="企画課",
                  email="town@example.jp", phone=None, topics=(), mode="either", period="", message="",
                  nonce="nonce-1")
    fields.update(overrides)
    return Submission(**fields)


def _notices(db, **where):
    return db.session.scalars(sa.select(Notice).filter_by(**where).order_by(Notice.id)).all()


def test_a_new_request_mails_the_town_its_status_link_and_tells_the_coordinators(db, mailbox, deliver):
    coordinator = make_user(role="coordinator", email="coord@example.jp")
    make_user(role="coordinator", email="gone@example.jp", is_active=False)
    town = make_municipality(name="梼原町")
    submitted = requests_service.submit_request(_submission(town), address=None)

    assert {(n.kind, n.user_id, n.email) for n in _notices(db)} == {
        ("request_received", None, "town@example.jp"), ("request_new", coordinator.id, None)}
    assert deliver() == 3  # one hand-over task, then a delivery per notice
    (receipt,) = mailbox.to("town@example.jp")
    body = body_of(receipt)
    assert f"/request/status/{submitted.token}" in body
    assert body.index("山田 花子") < body.index("Dear")  # Japanese first, English below
    assert receipt["Message-ID"] == _notices(db, kind="request_received")[0].message_id
    (notice,) = mailbox.to("coord@example.jp")
    assert f"/coordinator/requests/{submitted.request.id}" in body_of(notice)
    assert "Dear" not in body_of(notice) and "English" not in body_of(notice)  # Japanese only
    assert {n.mail for n in _notices(db)} == {"sent"}
    assert not mailbox.to("gone@example.jp")


def test_the_status_link_is_in_the_body_only_never_in_the_row_or_a_log_line(db, mailbox, deliver, caplog):
    make_user(role="coordinator")
    submitted = requests_service.submit_request(_submission(make_municipality()), address=None)
    caplog.set_level("DEBUG")
    deliver()
    for row in _notices(db):
        assert submitted.token not in repr(row.params) and submitted.token not in (row.last_error or "")
    app_records = [r for r in caplog.records if r.name != "mail.log"]  # not the test SMTP server's own
    assert app_records and not any(submitted.token in r.getMessage() for r in app_records)
    (receipt,) = mailbox.to("town@example.jp")
    assert submitted.token not in receipt["Subject"]


def test_a_rolled_back_change_leaves_no_notice_and_sends_nothing(db, mailbox, deliver):
    make_user(role="coordinator")
    request = make_request()
    notices.notify("request_new", users=[make_user(role="coordinator")], request=request, params={"town": "x", "prefecture": "y"})
    db.session.rollback()
    assert _notices(db) == []
    assert deliver() == 0
    assert mailbox.messages == []


def test_smtp_down_retries_with_backoff_ends_failed_then_an_admin_retry_sends_once(app, db, mailbox, deliver):
    app.config.update(NOTICE_MAX_ATTEMPTS=3, NOTICE_RETRY_DELAY=60)
    admin = make_user(role="admin")
    make_user(role="coordinator", email="coord@example.jp")
    requests_service.submit_request(_submission(make_municipality()), address=None)
    mailbox.failing = True
    deliver()
    row = _notices(db, kind="request_new")[0]
    assert (row.mail, row.attempts) == ("pending", 1)
    assert "451" in row.last_error
    assert notices.backoff(1).total_seconds() == 60 and notices.backoff(2).total_seconds() == 120
    deliver(ahead=notices.backoff(1) + notices.backoff(2))
    db.session.refresh(row)
    assert (row.mail, row.attempts) == ("failed", 3)
    assert row in notices.failed_page(page=1).items
    assert mailbox.messages == []

    mailbox.failing = False
    notices.retry(admin, [n.id for n in notices.failed_page(page=1).items])
    deliver()
    assert len(mailbox.to("coord@example.jp")) == 1
    assert len(mailbox.to("town@example.jp")) == 1
    deliver(ahead=notices.backoff(10))
    assert len(mailbox.messages) == 2  # each delivered once


def test_a_worker_killed_mid_send_sends_again_with_the_same_message_id(app, db, mailbox, deliver):
    from datetime import timedelta

    from app.models.base import utcnow

    make_user(role="coordinator", email="coord@example.jp")
    requests_service.submit_request(_submission(make_municipality()), address=None)
    from app.queue import forget_everything

    forget_everything()  # the queue lost what it held (the worker's machine died)
    row = _notices(db, kind="request_new")[0]
    row.mail, row.claimed_at = "sending", utcnow() - timedelta(hours=1)  # claimed, never finished
    db.session.commit()
    later = utcnow() + timedelta(seconds=app.config["NOTICE_SWEEP_AFTER"] + 1)
    from app.queue import queue_deliveries

    queue_deliveries(notices.sweep(later))
    deliver()
    (mail,) = mailbox.to("coord@example.jp")
    assert mail["Message-ID"] == row.message_id
    assert len(mailbox.to("town@example.jp")) == 1


def test_off_means_listed_but_not_mailed_digest_means_one_mail_a_day(db, mailbox, deliver):
    quiet = make_user(role="coordinator", email="quiet@example.jp")
    daily = make_user(role="coordinator", email="daily@example.jp", locale="en")
    notices.set_preference(quiet, "request_new", "off")
    notices.set_preference(daily, "request_new", "digest")
    db.session.commit()
    for n in range(2):
        requests_service.submit_request(_submission(make_municipality(), nonce=f"n{n}", email=f"t{n}@example.jp"), address=None)
    deliver()
    assert not mailbox.to("quiet@example.jp") and not mailbox.to("daily@example.jp")
    assert notices.unread_count(quiet) == 0 and notices.notices_page(quiet, page=1).total == 2
    assert notices.write_digests() == 1
    deliver()
    (digest,) = mailbox.to("daily@example.jp")
    body = body_of(digest)
    assert body.count("/coordinator/requests/") == 4  # two notices, in Japanese and in English
    assert "English" in body


def test_security_kinds_cannot_be_turned_off(db):
    from app.notice_kinds import KINDS
    from evangelists.errors import Refused

    secure = [kind for kind in KINDS.values() if kind.security]
    for kind in secure:
        with pytest.raises(Refused):
            notices.set_preference(make_user(), kind.name, "off")


def test_retrying_notices_that_have_not_failed_is_refused_in_words(db):
    from flask_babel import force_locale

    from app.messages import message
    from app.services.notices import NoticeRefused

    with pytest.raises(NoticeRefused) as refused:
        notices.retry(make_user(role="admin"), [12345])
    with force_locale("en"):
        assert "nothing was sent again" in str(message(refused.value.scope, refused.value.reason))
