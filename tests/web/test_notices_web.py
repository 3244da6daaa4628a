"""Notices in the app (issue 18, point 3): the list, the bell, marking read, the mail
settings per kind, and the admins' list of failed notices with retry, over real SMTP."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, Notice, NoticePreference
from app.notice_kinds import KINDS, STAFF, Kind
from app.services import notices
from tests.factories import make_request
from tests.mailbox import body_of

HOSTILE = {"town": "<script>alert(1)</script>{{7*7}}", "prefecture": "{{ lone"}


def tell(*users, params=None, request=None):
    """A committed request_new notice for each of ``users``; the rows, by user."""
    rows = notices.notify("request_new", users=users, request=request or make_request(),
                          params=params or {"town": "当別町", "prefecture": "北海道"})
    from app.extensions import db

    db.session.commit()
    return rows


def bell_label(html: str) -> str:
    found = re.search(r'class="nav-link app-bell[^"]*"[^>]*aria-label="([^"]+)"', html, re.DOTALL)
    assert found, "no bell in the page"
    return found.group(1)


def bell_number(html: str) -> int:
    found = re.search(r'class="badge rounded-pill text-bg-danger notice-count[^"]*"[^>]*>([^<]+)<', html)
    return int(found.group(1)) if found else 0


# --- The list ------------------------------------------------------------------------------


def test_the_list_shows_only_your_own_notices_newest_first_with_hostile_words_escaped(signed_in_client, db):
    client, me = signed_in_client("coordinator")
    _other_client, other = signed_in_client("coordinator")
    older = tell(me, params={"town": "古い町", "prefecture": "北海道"})[0]
    theirs = tell(other, params={"town": "他人の町", "prefecture": "青森県"})[0]
    newer = tell(me, params=HOSTILE)[0]
    html = client.get("/notices/").get_data(as_text=True)
    assert "他人の町" not in html
    assert html.index(f'id="notice-{newer.id}"') < html.index(f'id="notice-{older.id}"')
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;{{7*7}}" in html
    assert "49" not in html.split('id="notice-')[1][:400]
    assert f"新しい支援依頼 {newer.request_id}：&lt;script&gt;" in html
    assert html.count(">未読</span>") == 2
    # Someone else's notice cannot be opened, nor marked read, by its number.
    assert client.post(f"/notices/{theirs.id}/open").status_code == 404
    db.session.refresh(theirs)
    assert theirs.read_at is None
    assert client.post("/notices/99999/open").status_code == 404


def test_the_list_is_paginated(signed_in_client, db):
    client, me = signed_in_client("evangelist")
    for n in range(31):
        tell(me, params={"town": f"町{n:02d}", "prefecture": "北海道"})
    first = client.get("/notices/").get_data(as_text=True)
    assert "町30" in first and "町00" not in first and 'aria-label="お知らせのページ"' in first
    second = client.get("/notices/?page=2").get_data(as_text=True)
    assert "町00" in second and "町30" not in second
    for page in ("0", "-1", "x", "9" * 30, "%00"):
        assert client.get(f"/notices/?page={page}").status_code == 200, page


def test_opening_a_notice_marks_it_read_and_leads_to_what_it_is_about(signed_in_client, db):
    client, me = signed_in_client("coordinator")
    first, second = tell(me)[0], tell(me)[0]
    html = client.get("/notices/").get_data(as_text=True)
    assert bell_number(html) == 2 and bell_label(html) == "お知らせ: 未読 2 件"
    response = client.post(f"/notices/{first.id}/open")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/coordinator/requests/{first.request_id}"
    db.session.refresh(first)
    db.session.refresh(second)
    assert first.read_at is not None and second.read_at is None
    html = client.get("/notices/").get_data(as_text=True)
    assert bell_number(html) == 1 and html.count(">未読</span>") == 1

    page = client.post("/notices/read-all", follow_redirects=True).get_data(as_text=True)
    assert "1 件のお知らせを既読にしました" in page
    assert bell_number(page) == 0 and bell_label(page) == "お知らせ: 未読 0 件"
    assert "すべて既読にする" not in page


def test_the_bell_and_list_speak_english(signed_in_client, app, db):
    client, me = signed_in_client("evangelist")
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    tell(me, params=HOSTILE)
    html = client.get("/notices/").get_data(as_text=True)
    assert bell_label(html) == "Notifications: 1 unread"
    assert "Mark all read" in html and ">Unread</span>" in html and "Mail settings" in html
    assert "&lt;script&gt;" in html and "<script>alert" not in html


def test_the_bell_is_in_every_signed_in_page_and_not_for_visitors(signed_in_client, client, db):
    coordinator, me = signed_in_client("coordinator")
    tell(me)
    assert bell_number(coordinator.get("/coordinator/").get_data(as_text=True)) == 1
    assert "app-bell" not in client.get("/").get_data(as_text=True)


def test_a_kept_page_shows_each_person_their_own_count_and_the_new_one_after_reading(app, signed_in_client, db):
    """The page cache keys pages on the user and the data version: the bell's number is
    never served to another person, and reading a notice (a write) makes kept pages stale."""
    from app import page_cache

    one, one_user = signed_in_client("coordinator")
    two, _two_user = signed_in_client("coordinator")
    (notice,) = tell(one_user)
    tell(one_user)
    for _ in range(2):
        assert bell_number(one.get("/coordinator/requests").get_data(as_text=True)) == 2
        assert bell_number(two.get("/coordinator/requests").get_data(as_text=True)) == 0
    assert page_cache.store(app).hits >= 2
    one.post(f"/notices/{notice.id}/open")
    response = one.get("/coordinator/requests")
    assert bell_number(response.get_data(as_text=True)) == 1
    # Pages of one person are stored by no browser or proxy.
    assert response.headers["Cache-Control"] == "no-store"
    assert one.get("/notices/").headers["Cache-Control"] == "no-store"
    assert one.get("/notices/preferences").headers["Cache-Control"] == "no-store"


# --- Access ----------------------------------------------------------------------------------


def test_visitors_are_sent_to_sign_in_and_evangelists_kept_from_the_failed_list(client, signed_in_client):
    for path in ("/notices/", "/notices/preferences"):
        response = client.get(path)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert client.post("/notices/read-all").status_code == 302
    evangelist, _user = signed_in_client("evangelist")
    coordinator, _user = signed_in_client("coordinator")
    for someone in (evangelist, coordinator):
        assert someone.get("/admin/notices").status_code == 403
        assert someone.post("/admin/notices/retry", data={"one": "1"}).status_code == 403
        assert someone.get("/notices/").status_code == 200
        assert someone.get("/notices/preferences").status_code == 200
    assert client.get("/admin/notices").status_code == 302


def test_mark_read_needs_the_csrf_token(app, signed_in_client, db):
    client, me = signed_in_client("coordinator")
    (notice,) = tell(me)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/notices/read-all").status_code == 400
    assert client.post(f"/notices/{notice.id}/open").status_code == 400
    db.session.refresh(notice)
    assert notice.read_at is None


# --- Preferences ----------------------------------------------------------------------------


@pytest.fixture
def security_kind(monkeypatch):
    """A security kind (the password-link helper adds the real ones)."""
    kind = Kind("test_security", "Password link (test)", STAFF + ("evangelist",), security=True)
    monkeypatch.setitem(KINDS, kind.name, kind)
    return kind


def test_preferences_round_trip_and_are_audited(signed_in_client, db, security_kind):
    client, me = signed_in_client("coordinator")
    page = client.get("/notices/preferences").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*name="mode_request_new" type="radio" value="now"', page)
    assert "Password link (test)" in page and "変更できません" in page
    assert 'name="mode_test_security"' not in page and 'name="mode_digest"' not in page
    assert 'name="mode_request_received"' not in page  # a town's kind

    response = client.post("/notices/preferences", data={"mode_request_new": "digest"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "保存しました" in html
    assert re.search(r'<input checked[^>]*name="mode_request_new" type="radio" value="digest"', html)
    assert notices.preferences_of(me) == {"request_new": "digest"}
    (event,) = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "notice.preferences_changed"))
    assert (event.before, event.after) == ({"request_new": "now"}, {"request_new": "digest"})
    # The choice is used: the next notice of that kind waits for the digest.
    assert tell(me)[0].mail == "digest"

    client.post("/notices/preferences", data={"mode_request_new": "off"})
    assert notices.preferences_of(me) == {"request_new": "off"}
    # Saving without a change writes no event.
    client.post("/notices/preferences", data={"mode_request_new": "off"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "notice.preferences_changed")) == 2


def test_a_crafted_post_cannot_turn_a_security_kind_off(signed_in_client, db, security_kind):
    client, me = signed_in_client("evangelist")
    response = client.post("/notices/preferences", data={"mode_request_new": "now", "mode_test_security": "off"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(NoticePreference).where(NoticePreference.kind == "test_security")) is None
    rows = notices.notify("test_security", users=[me])
    assert rows[0].mail == "pending"
    db.session.rollback()


def test_a_bad_choice_is_refused_and_nothing_is_saved(signed_in_client, db, app):
    client, me = signed_in_client("coordinator")
    html = client.post("/notices/preferences", data={"mode_request_new": "<script>x</script>"}).get_data(as_text=True)
    assert "alert-danger" in html and "<script>x" not in html
    assert notices.preferences_of(me) == {}
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    english = client.get("/notices/preferences").get_data(as_text=True)
    assert "Mail settings for notifications" in english and "Mail at once" in english and "Daily digest" in english


def test_the_preferences_event_reads_in_both_languages(signed_in_client, db, app):
    from flask_babel import force_locale

    from app.events import describe_event

    client, me = signed_in_client("coordinator")
    client.post("/notices/preferences", data={"mode_request_new": "off"})
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "notice.preferences_changed"))
    with app.test_request_context(), force_locale("en"):
        view = describe_event(event)
        assert view.label == "Notification mail settings changed"
        assert [(c.field, c.before, c.after) for c in view.changes] == [("A new request arrived", "Mail at once", "Do not mail")]
    with app.test_request_context(), force_locale("ja"):
        view = describe_event(event)
        assert view.changes[0].after == "メールしない" and "変更" in view.label


def test_the_mail_footer_links_to_the_preferences_page(db, mailbox, deliver, make_account):
    coordinator = make_account("coordinator", email="coord@example.jp")
    tell(coordinator)
    deliver()
    (mail,) = mailbox.to("coord@example.jp")
    assert "http://localhost/notices/preferences" in body_of(mail)


# --- The admins' failed list ----------------------------------------------------------------


def failed_notices(app, mailbox, deliver, *users, params=None):
    app.config["NOTICE_MAX_ATTEMPTS"] = 1
    mailbox.failing = True
    rows = tell(*users, params=params)
    deliver()
    mailbox.failing = False
    return rows


def test_failed_notices_are_listed_and_retried_one_by_one(app, db, mailbox, deliver, signed_in_client, make_account):
    admin, admin_user = signed_in_client("admin")
    coordinator = make_account("coordinator", display_name="調整 花子", email="hanako@example.jp")
    (row,) = failed_notices(app, mailbox, deliver, coordinator, params=HOSTILE)
    db.session.refresh(row)
    assert row.mail == "failed" and mailbox.messages == []
    html = admin.get("/admin/notices").get_data(as_text=True)
    assert "調整 花子" in html and "新しい支援依頼" in html and "&lt;script&gt;" not in html
    assert f'href="/coordinator/requests/{row.request_id}"' in html
    assert "451" in html and "SMTP" in html
    assert re.search(r'queue-failed">\s*<dt[^>]*>[^<]+</dt>\s*<dd[^>]*>1</dd>', html)

    page = admin.post("/admin/notices/retry", data={"one": str(row.id)}, follow_redirects=True).get_data(as_text=True)
    assert "1 件のお知らせをもう一度送ります" in page
    db.session.refresh(row)
    assert row.mail == "pending" and row.attempts == 0
    deliver()
    (mail,) = mailbox.to("hanako@example.jp")
    assert mail["Message-ID"] == row.message_id
    html = admin.get("/admin/notices").get_data(as_text=True)
    assert "失敗したお知らせはありません" in html
    assert re.search(r'queue-sent_today">\s*<dt[^>]*>[^<]+</dt>\s*<dd[^>]*>1</dd>', html)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "notice.retried"))
    assert event.actor_id == admin_user.id and event.entity_id == row.id
    # Retried again (a stale page): nothing is failed any more, and it says so.
    again = admin.post("/admin/notices/retry", data={"one": str(row.id)}, follow_redirects=True).get_data(as_text=True)
    assert "失敗したままのものはありません" in again
    deliver()
    assert len(mailbox.to("hanako@example.jp")) == 1


def test_retry_selected_and_all_on_the_page(app, db, mailbox, deliver, signed_in_client, make_account):
    admin, _admin_user = signed_in_client("admin")
    people = [make_account("evangelist", email=f"ev{n}@example.jp") for n in range(3)]
    rows = failed_notices(app, mailbox, deliver, *people)
    page = admin.post("/admin/notices/retry", data={"which": "selected", "ids": [str(rows[0].id), "x", "-1"]},
                      follow_redirects=True).get_data(as_text=True)
    assert "1 件のお知らせをもう一度送ります" in page
    deliver()
    assert [m["To"] for m in mailbox.messages] == ["ev0@example.jp"]
    nothing = admin.post("/admin/notices/retry", data={"which": "selected"}, follow_redirects=True)
    assert "もう一度送るお知らせを選んでください" in nothing.get_data(as_text=True)
    shown = [str(r.id) for r in rows]
    page = admin.post("/admin/notices/retry", data={"which": "page", "shown": shown, "next": "/admin/notices?page=1"})
    assert page.headers["Location"] == "/admin/notices?page=1"
    deliver()
    assert sorted(m["To"] for m in mailbox.messages) == ["ev0@example.jp", "ev1@example.jp", "ev2@example.jp"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice).where(Notice.mail == "failed")) == 0


def test_the_failed_list_names_a_towns_address_and_speaks_english(app, db, mailbox, deliver, signed_in_client):
    admin, _user = signed_in_client("admin")
    app.config["NOTICE_MAX_ATTEMPTS"] = 1
    mailbox.failing = True
    notices.notify("request_received", emails=["town@example.lg.jp"], request=make_request())
    db.session.commit()
    deliver()
    admin.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    html = admin.get("/admin/notices").get_data(as_text=True)
    assert "town@example.lg.jp" in html and "Municipality contact" in html
    assert "Your request was received" in html and "Retry all on this page" in html and "Sent today" in html


def test_the_list_reads_as_many_statements_for_two_notices_as_for_a_full_page(signed_in_client, db, count_queries):
    """Each notice's title names its request: the page's requests come in one query."""
    client, me = signed_in_client("coordinator")
    counts = []
    for _ in range(2):
        for _ in range(2 if not counts else 28):
            tell(me)
        client.get("/notices/")  # warm: the first view loads what every view then has
        with count_queries() as q:
            assert client.get("/notices/").status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[1]
