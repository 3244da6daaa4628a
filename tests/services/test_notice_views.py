"""The notice pages' own reads and writes: one's own notice, the queue's counts, which ids
are failed, and saving mail settings (security kinds are never changed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.models import AuditEvent, Notice
from app.notice_kinds import KINDS, STAFF, Kind
from app.services import notices
from app.services.notice_settings import save_preferences
from app.services.notice_views import failed_among, own_notice, queue_counts
from tests.factories import make_request, make_user


def _tell(db, *users):
    rows = notices.notify("request_new", users=users, request=make_request(), params={"town": "<script>", "prefecture": "x"})
    db.session.commit()
    return rows


def test_own_notice_is_only_ever_the_readers(db):
    me, other = make_user(role="coordinator"), make_user(role="coordinator")
    mine, theirs = _tell(db, me, other)
    assert own_notice(me, mine.id) is mine
    assert own_notice(me, theirs.id) is None and own_notice(me, 10**6) is None


def test_queue_counts_pending_failed_and_sent_since_midnight_in_japan(db, monkeypatch):
    people = [make_user(role="coordinator") for _ in range(5)]
    rows = _tell(db, *people)
    # 2026-12-03 00:30 in Japan is 2026-12-02 15:30 UTC.
    now = datetime(2026, 12, 2, 15, 30, tzinfo=UTC)
    rows[0].mail = "sending"
    rows[1].mail = "failed"
    rows[2].mail, rows[2].sent_at = "sent", now - timedelta(minutes=20)  # 00:10 in Japan: today
    rows[3].mail, rows[3].sent_at = "sent", now - timedelta(minutes=40)  # 23:50 yesterday in Japan
    db.session.commit()
    assert queue_counts(now) == {"pending": 2, "failed": 1, "sent_today": 1}


def test_failed_among_keeps_only_failed_ids(db):
    rows = _tell(db, make_user(role="coordinator"), make_user(role="coordinator"))
    rows[1].mail = "failed"
    db.session.commit()
    assert failed_among([rows[0].id, rows[1].id, rows[1].id, 10**6]) == [rows[1].id]
    assert failed_among([]) == []


def test_save_preferences_audits_changes_only_and_never_touches_a_security_kind(db, monkeypatch):
    monkeypatch.setitem(KINDS, "test_security", Kind("test_security", "x", STAFF, security=True))
    me = make_user(role="coordinator")
    db.session.commit()
    assert save_preferences(me, {"request_new": "now", "test_security": "off"}) == {}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0
    assert save_preferences(me, {"request_new": "off", "test_security": "off"}, address="192.0.2.1") == {"request_new": "off"}
    assert notices.preferences_of(me) == {"request_new": "off"}
    event = db.session.scalar(sa.select(AuditEvent))
    assert (event.action, event.actor_id, event.client_address) == ("notice.preferences_changed", me.id, "192.0.2.1")
    (row,) = _tell(db, me)
    assert (row.mail, row.read_at is not None) == ("none", True)  # off: listed, already read, not mailed
    assert db.session.scalar(sa.select(Notice.mail).where(Notice.kind == "test_security")) is None
