"""Issue 20, point 2: the coordinator's home is a work queue. Six groups (new past the
triage target, proposals unanswered, accepted with no booking, follow-up needed, booked this
week, towns waiting longest), each row with its age in working days (days for proposals)
against the reminders' targets, one-click triage and "Take it" that come back to the
queue, and a scope: mine and nobody's, or everyone's."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from evangelists.calendar import start_of_day_in_japan
from tests.factories import (
    make_assignment,
    make_booking,
    make_evangelist,
    make_outcome,
    make_request,
    make_visit,
)

NOW = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)  # Thursday 3 December 2026, 10:00 in Japan


def at(day: date, hour: int = 10) -> datetime:
    return start_of_day_in_japan(day) + timedelta(hours=hour)


@pytest.fixture
def scene(db, towns, clock, signed_in_client, make_account):
    clock(NOW)
    client, me = signed_in_client("coordinator", display_name="山田 花子")
    colleague = make_account("coordinator", display_name="佐藤 次郎")
    town, other = towns["tobetsu"], towns["sapporo"]
    person = make_evangelist(family_name="近藤", given_name="葵", home_municipality=other)
    rows = dict(
        # Monday 30 Nov: three working days by Thursday (target 2) -> late.
        late=make_request(municipality=town, created_at=at(date(2026, 11, 30))),
        # Wednesday 2 Dec: one working day -> not late yet, but waiting.
        fresh=make_request(municipality=other, created_at=at(date(2026, 12, 2))),
        # Someone else's, long waiting: only in "everyone's".
        theirs=make_request(municipality=towns["aomori"], status="triaged", owner=colleague,
                            created_at=at(date(2026, 11, 2))),
    )
    asked = make_request(municipality=other, status="assigned", owner=me, created_at=at(date(2026, 11, 20)))
    rows["proposal"] = make_assignment(request=asked, evangelist=person, status="proposed",
                                       created_at=at(date(2026, 11, 29)))
    accepted = make_request(municipality=town, status="assigned", owner=me, created_at=at(date(2026, 11, 1)))
    # Accepted Tuesday 17 Nov: 11 working days by 3 Dec (23 Nov is a holiday) -> past 10.
    rows["accepted"] = make_assignment(request=accepted, evangelist=person, status="accepted",
                                       responded_at=at(date(2026, 11, 17)))
    follow = make_request(municipality=other, status="triaged", owner=me, created_at=at(date(2026, 10, 1)))
    done = make_assignment(request=follow, evangelist=person, status="completed")
    visit = make_visit(assignment=done, visited_on=date(2026, 11, 26))
    make_outcome(visit=visit, type="follow_up_needed")
    rows["follow"] = follow
    booked = make_request(municipality=town, status="scheduled", owner=me, created_at=at(date(2026, 10, 5)))
    rows["booking"] = make_booking(assignment=make_assignment(request=booked, evangelist=person, status="accepted"),
                                   starts_at=at(date(2026, 12, 4), 14), ends_at=at(date(2026, 12, 4), 15))
    db.session.commit()
    client.set_cookie("lang", "ja")
    return client, me, colleague, rows


def group(html: str, key: str) -> str:
    return html.split(f'id="work-{key}"')[1].split("</section>")[0]


def numbers(card: str) -> list[int]:
    return [int(n) for n in re.findall(r'/coordinator/requests/(\d+)"', card)]


def test_each_group_lists_its_requests_with_ages_against_the_targets(scene):
    client, _me, _colleague, rows = scene
    html = client.get("/coordinator/?scope=all").get_data(as_text=True)
    late = group(html, "untriaged")
    assert numbers(late) == [rows["late"].id] and "3 営業日" in late and "目標：2 営業日以内に一次確認。" in late
    assert 'text-danger fw-semibold work-age">3 営業日' in late
    proposal = group(html, "unanswered")
    assert numbers(proposal) == [rows["proposal"].request_id] and "4 日" in proposal and "近藤 葵" in proposal
    unbooked = group(html, "unbooked")
    assert numbers(unbooked) == [rows["accepted"].request_id] and "11 営業日" in unbooked
    follow = group(html, "follow_up")
    assert numbers(follow) == [rows["follow"].id] and "5 営業日" in follow  # 26 Nov -> 3 Dec
    booked = group(html, "booked")
    assert numbers(booked) == [rows["booking"].request_id] and "2026年12月4日 14:00" in booked
    waiting = group(html, "waiting")
    # Oldest first: the follow-up (1 Oct), someone else's (2 Nov), then the two new ones.
    assert numbers(waiting) == [rows["follow"].id, rows["theirs"].id, rows["late"].id, rows["fresh"].id]


def test_mine_leaves_out_what_another_coordinator_owns_and_keeps_nobodys(scene):
    client, _me, _colleague, rows = scene
    html = client.get("/coordinator/").get_data(as_text=True)
    assert 'aria-current="page" href="/coordinator/?scope=mine"' in html
    waiting = numbers(group(html, "waiting"))
    assert rows["theirs"].id not in waiting and rows["late"].id in waiting and rows["fresh"].id in waiting
    assert "担当コーディネーター：佐藤 次郎" not in html and "担当コーディネーター未定" in html
    assert client.get("/coordinator/?scope=%3Cscript%3E").status_code == 200  # an unknown scope is "mine"


def test_triage_and_take_it_from_the_queue_come_back_to_it(scene, db):
    client, me, _colleague, rows = scene
    late = rows["late"]
    html = client.get("/coordinator/?scope=all").get_data(as_text=True)
    assert f'action="/coordinator/requests/{late.id}/triage"' in group(html, "untriaged")
    answer = client.post(f"/coordinator/requests/{late.id}/triage", data={"next": "/coordinator/?scope=all"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/coordinator/?scope=all"
    db.session.refresh(late)
    assert late.status == "triaged" and late.owner_id == me.id
    page = client.get("/coordinator/?scope=all").get_data(as_text=True)
    assert f"受付番号 {late.id} の依頼を確認済みにしました。" in page
    assert numbers(group(page, "untriaged")) == []
    theirs = rows["theirs"]
    taken = client.post(f"/coordinator/requests/{theirs.id}/owner/take", data={"next": "https://evil.example/"})
    assert taken.headers["Location"].startswith(f"/coordinator/requests/{theirs.id}")  # not off the site
    db.session.refresh(theirs)
    assert theirs.owner_id == me.id


def test_an_empty_queue_says_so_in_each_group(db, towns, clock, signed_in_client):
    clock(NOW)
    client, _me = signed_in_client("coordinator")
    client.set_cookie("lang", "ja")
    html = client.get("/coordinator/").get_data(as_text=True)
    assert "新規の依頼はすべて期限内に一次確認されています。" in html
    assert "伝道師を待っている自治体はありません。" in html
    assert "今週予約された訪問はありません。" in html


def test_targets_come_from_the_config(scene, app):
    client, _me, _colleague, rows = scene
    app.config["REMINDER_TRIAGE_WORKING_DAYS"] = 4
    try:
        html = client.get("/coordinator/?scope=all&t=4").get_data(as_text=True)
    finally:
        app.config["REMINDER_TRIAGE_WORKING_DAYS"] = 2
    assert numbers(group(html, "untriaged")) == [] and "目標：4 営業日以内に一次確認。" in html


def test_a_weekend_arrival_is_late_when_the_reminder_says_so_not_a_day_before(db, towns, clock, signed_in_client):
    """Sent on Saturday 28 November: the two working days run Monday and Tuesday, so the
    reminder's deadline is Wednesday 00:00; on Tuesday it is not late yet, on Wednesday it is."""
    client, _me = signed_in_client("coordinator")
    request = make_request(municipality=towns["tobetsu"], created_at=at(date(2026, 11, 28)))
    db.session.commit()
    clock(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))  # Tuesday 10:00 in Japan
    assert numbers(group(client.get("/coordinator/?scope=all").get_data(as_text=True), "untriaged")) == []
    clock(datetime(2026, 12, 2, 1, 0, tzinfo=UTC))  # Wednesday
    assert numbers(group(client.get("/coordinator/?scope=all").get_data(as_text=True), "untriaged")) == [request.id]


def test_a_groups_link_opens_the_request_list_in_the_same_scope(scene, monkeypatch):
    from app.services import work_queue

    client, _me, _colleague, rows = scene
    monkeypatch.setattr(work_queue, "WORK_QUEUE_ROWS", 1)
    html = client.get("/coordinator/?scope=mine&rows=1").get_data(as_text=True)
    link = re.search(r'href="([^"]+)">依頼一覧でさらに見る', group(html, "waiting"))
    assert link and "owner=mine_or_none" in link.group(1)
    listed = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert f"/coordinator/requests/{rows['late'].id}\"" in listed and f"/coordinator/requests/{rows['theirs'].id}\"" not in listed
