"""`flask notices`: the outbox's state, retrying the failed mails and draining the queue
by hand, against a real SMTP server on loopback."""

from __future__ import annotations

import sqlalchemy as sa

from app.models import AuditEvent, Notice
from app.services import notices
from tests.factories import make_request, make_user


def _notify(db, *coordinators):
    request = make_request()
    notices.notify("request_new", users=coordinators, request=request,
                   params={"town": "梼原町", "prefecture": "高知県"})
    db.session.commit()


def _states(db) -> dict[str, int]:
    return dict(db.session.execute(sa.select(Notice.mail, sa.func.count()).group_by(Notice.mail)).all())


def test_status_counts_each_mail_state_and_names_the_oldest_pending(runner, db):
    _notify(db, make_user(role="coordinator"), make_user(role="coordinator"))
    result = runner.invoke(args=["notices", "status"])
    assert result.exit_code == 0, result.output
    assert "pending         2  to be mailed" in result.output
    assert "failed          0" in result.output
    assert "Oldest pending: written" in result.output and "0 waiting for a retry" in result.output
    assert "Queue (Memory): 1 task waiting" in result.output
    assert "MAIL_SERVER is not set" in result.output


def test_status_with_nothing_to_mail_says_so(runner, db):
    result = runner.invoke(args=["notices", "status"])
    assert result.exit_code == 0
    assert "Nothing waits to be mailed." in result.output


def test_drain_mails_what_the_queue_holds_in_this_process(runner, db, mailbox):
    _notify(db, make_user(role="coordinator", email="a@example.jp"), make_user(role="coordinator", email="b@example.jp"))
    result = runner.invoke(args=["notices", "drain"])
    assert result.exit_code == 0, result.output
    assert "Ran 3 tasks from the queue (Memory): pending -2, sent +2." in result.output
    assert len(mailbox.to("a@example.jp")) == 1 and len(mailbox.to("b@example.jp")) == 1
    again = runner.invoke(args=["notices", "drain"])
    assert "Ran 0 tasks" in again.output and len(mailbox.messages) == 2


def test_drain_with_sweep_queues_again_what_the_queue_lost(app, runner, db, mailbox, monkeypatch):
    from datetime import timedelta

    from app.models.base import utcnow
    from app.queue import forget_everything

    _notify(db, make_user(role="coordinator", email="a@example.jp"))
    forget_everything()  # the queue lost the task
    assert "Ran 0 tasks" in runner.invoke(args=["notices", "drain"]).output
    later = utcnow() + timedelta(seconds=app.config["NOTICE_SWEEP_AFTER"] + 1)
    monkeypatch.setattr(notices, "utcnow", lambda: later)
    result = runner.invoke(args=["notices", "drain", "--sweep"])
    assert "Sweep: 1 lost notice queued again." in result.output, result.output
    assert len(mailbox.to("a@example.jp")) == 1


def test_retry_failed_queues_the_failed_notices_again_and_each_is_mailed_once(app, runner, db, mailbox):
    app.config.update(NOTICE_MAX_ATTEMPTS=2, NOTICE_RETRY_DELAY=60)
    _notify(db, make_user(role="coordinator", email="a@example.jp"), make_user(role="coordinator", email="b@example.jp"))
    mailbox.failing = True
    result = runner.invoke(args=["notices", "drain", "--ahead", "120"])
    assert "pending -2, failed +2" in result.output, result.output
    status = runner.invoke(args=["notices", "status"]).output
    assert "failed          2" in status and "Newest failure: SMTPDataError: (451" in status

    mailbox.failing = False
    result = runner.invoke(args=["notices", "retry-failed"])
    assert result.exit_code == 0, result.output
    assert "Queued 2 failed notices again." in result.output
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "notice.retried")) == 2
    runner.invoke(args=["notices", "drain"])
    assert _states(db) == {"sent": 2}
    assert len(mailbox.to("a@example.jp")) == 1 and len(mailbox.to("b@example.jp")) == 1


def test_retry_failed_with_nothing_failed_says_so_and_refuses_a_notice_that_has_not_failed(runner, db):
    assert "No failed notices: nothing to retry." in runner.invoke(args=["notices", "retry-failed"]).output
    _notify(db, make_user(role="coordinator"))
    notice_id = db.session.scalar(sa.select(Notice.id))
    result = runner.invoke(args=["notices", "retry-failed", "--id", str(notice_id)])
    assert result.exit_code == 1
    assert f"None of the notices {notice_id} has failed: nothing to retry." in result.output
    assert _states(db) == {"pending": 1}
