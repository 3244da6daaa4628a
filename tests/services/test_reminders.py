"""Reminders, escalation and the morning summary, with a frozen clock: each threshold
fires once, not before, never after the thing moved on, counting Japan's working days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import Notice
from app.queue import japan_time_as_utc, send_morning_summary, send_reminders
from app.services import matching, reminders
from app.services import requests as requests_service
from evangelists.calendar import PROGRAMME_ZONE
from tests.factories import (
    make_assignment,
    make_booking,
    make_evangelist,
    make_municipality,
    make_request,
    make_user,
)
from tests.mailbox import body_of

HOSTILE = "<script>x</script>{{7*7}}{{"


def jst(*args) -> datetime:
    return datetime(*args, tzinfo=PROGRAMME_ZONE).astimezone(UTC)


@pytest.fixture
def staff():
    return [make_user(role="coordinator", email="c1@example.jp"), make_user(role="coordinator", email="c2@example.jp")]


def notices(db, kind=None):
    query = sa.select(Notice).order_by(Notice.id)
    if kind:
        query = query.where(Notice.kind == kind)
    return db.session.scalars(query).all()


def run_at(clock, *args) -> dict[str, int]:
    clock(jst(*args))
    return reminders.run_reminders()


# --- A new request not triaged -------------------------------------------------------------------

def test_an_untriaged_request_reminds_every_coordinator_once_after_two_working_days(db, clock, staff):
    # Friday 14:00 before a Monday holiday (勤労感謝の日 2026-11-23): Tuesday and Wednesday count.
    request = make_request(created_at=jst(2026, 11, 20, 14, 0))
    assert run_at(clock, 2026, 11, 23, 23, 0)["request_untriaged"] == 0  # calendar days would have fired
    assert run_at(clock, 2026, 11, 25, 13, 59)["request_untriaged"] == 0
    assert run_at(clock, 2026, 11, 25, 14, 0)["request_untriaged"] == 2
    assert run_at(clock, 2026, 11, 25, 14, 15)["request_untriaged"] == 0
    assert run_at(clock, 2026, 12, 10, 9, 0)["request_untriaged"] == 0
    rows = notices(db, "request_untriaged")
    assert {row.user_id for row in rows} == {user.id for user in staff}
    assert {row.request_id for row in rows} == {request.id}
    assert rows[0].params["days"] == 2 and rows[0].params["received"] == "2026-11-20"


def test_a_request_triaged_in_time_gets_no_reminder_then_or_later(db, clock, staff):
    request = make_request(created_at=jst(2026, 12, 1, 9, 0))
    request.status = "triaged"
    db.session.commit()
    assert run_at(clock, 2026, 12, 3, 9, 0)["request_untriaged"] == 0
    assert run_at(clock, 2026, 12, 30, 9, 0)["request_untriaged"] == 0
    assert notices(db) == []


def test_the_year_end_closure_does_not_count(db, clock, staff):
    make_request(created_at=jst(2026, 12, 28, 10, 0))  # the last working day of the year
    assert run_at(clock, 2027, 1, 4, 23, 59)["request_untriaged"] == 0  # only 1/4 has counted
    assert run_at(clock, 2027, 1, 5, 10, 0)["request_untriaged"] == 2


def test_a_request_sent_on_a_saturday_starts_counting_on_monday_morning(db, clock, staff):
    make_request(created_at=jst(2026, 12, 5, 11, 0))
    assert run_at(clock, 2026, 12, 8, 23, 59)["request_untriaged"] == 0
    assert run_at(clock, 2026, 12, 9, 0, 0)["request_untriaged"] == 2  # Monday and Tuesday have passed


def test_the_threshold_is_read_from_config(app, db, clock, staff):
    app.config["REMINDER_TRIAGE_WORKING_DAYS"] = 1
    request = make_request(created_at=jst(2026, 12, 1, 9, 0))
    assert run_at(clock, 2026, 12, 2, 9, 0)["request_untriaged"] == 2
    assert notices(db)[0].dedupe_key.startswith(f"request_untriaged:triage:{request.id}:1:")


def test_a_run_that_loses_a_race_to_another_run_writes_only_what_is_missing(db, clock, monkeypatch):
    make_user(role="coordinator")  # one: its reminder stays unflushed while the other run commits
    make_request(created_at=jst(2026, 12, 1, 9, 0))
    make_request(created_at=jst(2026, 12, 1, 9, 0))
    db.session.commit()  # the factories only flush: the other run's connection must see them
    real_notify, raced = reminders.notify, []

    def notify_while_another_run_commits_the_first_one(*args, **kwargs):
        rows = real_notify(*args, **kwargs)
        if not raced:  # another process commits the first reminder, after this run looked
            raced.append(rows[0].dedupe_key)
            with Session(db.engine) as other:
                other.add(Notice(kind=rows[0].kind, user_id=rows[0].user_id, request_id=rows[0].request_id,
                                 params={}, mail="none", attempts=0, message_id="<other@run>",
                                 dedupe_key=rows[0].dedupe_key))
                other.commit()
        return rows

    monkeypatch.setattr(reminders, "notify", notify_while_another_run_commits_the_first_one)
    assert run_at(clock, 2026, 12, 3, 9, 0)["request_untriaged"] == 1  # the other was the other run's
    keys = [row.dedupe_key for row in notices(db)]
    assert len(keys) == len(set(keys)) == 2 and raced[0] in keys


# --- Proposals unanswered ------------------------------------------------------------------------

def _proposal(coordinator, at, **overrides):
    evangelist = overrides.pop("evangelist", None) or make_evangelist()
    return make_assignment(evangelist=evangelist, proposed_by=coordinator, created_at=at,
                           request=make_request(status="assigned", created_at=at - timedelta(days=1)), **overrides)


def test_a_proposal_reminds_the_evangelist_at_three_days_and_goes_back_to_its_coordinator_at_five(db, clock, staff):
    proposer, other = staff
    assignment = _proposal(proposer, jst(2026, 12, 1, 10, 0))
    assert run_at(clock, 2026, 12, 4, 9, 59)["proposal_reminder"] == 0
    assert run_at(clock, 2026, 12, 4, 10, 0) == {"request_untriaged": 0, "proposal_reminder": 1,
                                                 "proposal_unanswered": 0, "booking_overdue": 0, "visit_tomorrow": 0}
    assert run_at(clock, 2026, 12, 4, 10, 15)["proposal_reminder"] == 0
    assert run_at(clock, 2026, 12, 6, 9, 59)["proposal_unanswered"] == 0
    written = run_at(clock, 2026, 12, 6, 10, 0)  # calendar days: a Sunday counts
    assert (written["proposal_reminder"], written["proposal_unanswered"]) == (0, 1)
    assert sum(run_at(clock, 2026, 12, 20, 10, 0).values()) == 0
    (reminder,) = notices(db, "proposal_reminder")
    assert reminder.user_id == assignment.evangelist.user_id
    assert (reminder.target_type, reminder.target_id) == ("assignment", assignment.id)
    (escalation,) = notices(db, "proposal_unanswered")
    assert escalation.user_id == proposer.id  # not the other coordinator
    # Escalated, not withdrawn: the coordinator decides.
    db.session.refresh(assignment)
    assert assignment.status == "proposed"


def test_an_answered_proposal_is_neither_reminded_nor_escalated(db, clock, staff):
    accepted = _proposal(staff[0], jst(2026, 12, 1, 10, 0))
    declined = _proposal(staff[0], jst(2026, 12, 1, 10, 0))
    assert run_at(clock, 2026, 12, 4, 10, 0)["proposal_reminder"] == 2
    accepted.status, accepted.responded_at = "accepted", jst(2026, 12, 4, 12, 0)
    declined.status, declined.responded_at = "declined", jst(2026, 12, 4, 12, 0)
    db.session.commit()
    assert sum(run_at(clock, 2026, 12, 7, 10, 0).values()) == 0
    assert notices(db, "proposal_unanswered") == []


def test_a_withdrawn_proposal_is_not_reminded(db, clock, staff):
    _proposal(staff[0], jst(2026, 12, 1, 10, 0), status="cancelled")
    assert sum(run_at(clock, 2026, 12, 8, 10, 0).values()) == 0


def test_an_escalation_whose_coordinator_is_gone_goes_to_every_coordinator(db, clock, staff):
    gone = make_user(role="coordinator", is_active=False)
    _proposal(gone, jst(2026, 12, 1, 10, 0))
    _proposal(None, jst(2026, 12, 1, 10, 0))
    assert run_at(clock, 2026, 12, 6, 10, 0)["proposal_unanswered"] == 4
    assert {row.user_id for row in notices(db, "proposal_unanswered")} == {user.id for user in staff}


# --- Accepted without a booked visit -------------------------------------------------------------

def _accepted(coordinator, at, **overrides):
    return make_assignment(proposed_by=coordinator, status="accepted", created_at=at - timedelta(days=1),
                           responded_at=at, request=make_request(status="assigned", created_at=at - timedelta(days=2)),
                           **overrides)


def test_an_accepted_request_without_a_booking_reminds_evangelist_and_coordinator_after_ten_working_days(db, clock, staff):
    # Accepted Friday 2026-12-18 15:00; the closure leaves 12/21-25, 12/28, then 1/4-1/7.
    assignment = _accepted(staff[0], jst(2026, 12, 18, 15, 0))
    assert run_at(clock, 2027, 1, 5, 15, 0)["booking_overdue"] == 0  # 18 calendar days, 8 working
    assert run_at(clock, 2027, 1, 7, 14, 59)["booking_overdue"] == 0
    assert run_at(clock, 2027, 1, 7, 15, 0)["booking_overdue"] == 2
    assert run_at(clock, 2027, 1, 8, 15, 0)["booking_overdue"] == 0
    assert {row.user_id for row in notices(db, "booking_overdue")} == {assignment.evangelist.user_id, staff[0].id}


def test_the_booking_reminder_mails_each_side_its_own_page(db, clock, staff, mailbox, deliver):
    assignment = _accepted(staff[0], jst(2026, 11, 2, 10, 0),
                           evangelist=make_evangelist(user=make_user(role="evangelist", email="eva@example.jp")))
    run_at(clock, 2026, 11, 17, 10, 0)
    deliver()
    to_evangelist = body_of(mailbox.to("eva@example.jp")[0])
    assert f"/me/#assignment-{assignment.id}" in to_evangelist and "マイページから訪問を予約" in to_evangelist
    to_coordinator = body_of(mailbox.to("c1@example.jp")[0])
    assert f"/coordinator/requests/{assignment.request_id}" in to_coordinator and "依頼のページ" in to_coordinator


def test_a_booked_visit_or_an_ended_assignment_stops_the_booking_reminder(db, clock, staff):
    booked = _accepted(staff[0], jst(2026, 12, 1, 10, 0))
    booked.request.status = "scheduled"
    cancelled = _accepted(staff[0], jst(2026, 12, 1, 10, 0))
    cancelled.status = "cancelled"
    db.session.commit()
    assert run_at(clock, 2026, 12, 20, 10, 0)["booking_overdue"] == 0


def test_the_real_moves_stop_the_reminders_they_make_pointless(db, clock, staff):
    """Through the services a coordinator and an evangelist use: triage, answer, withdraw."""
    clock(jst(2026, 12, 1, 10, 0))
    triaged = make_request()
    answered = _proposal(staff[0], jst(2026, 12, 1, 10, 0))
    withdrawn = _proposal(staff[0], jst(2026, 12, 1, 10, 0))
    db.session.commit()
    clock(jst(2026, 12, 2, 17, 0))
    requests_service.change_status(staff[0], triaged, "triaged")
    assert run_at(clock, 2026, 12, 4, 10, 0)["proposal_reminder"] == 2
    clock(jst(2026, 12, 4, 11, 0))
    matching.respond(answered.evangelist.user, answered, True)
    matching.withdraw_proposal(staff[0], withdrawn)
    assert sum(run_at(clock, 2026, 12, 10, 10, 0).values()) == 0  # 5 days, and the triage target, passed
    # (The moves themselves tell people too: an acceptance, a withdrawal. No reminder but the first.)
    assert {row.kind for row in notices(db) if row.kind in reminders.REMINDER_KINDS} == {"proposal_reminder"}
    # Accepted on Friday 12/4 11:00: ten working days later, still no booking.
    assert run_at(clock, 2026, 12, 18, 10, 59)["booking_overdue"] == 0
    assert run_at(clock, 2026, 12, 18, 11, 0)["booking_overdue"] == 2


# --- The mails -------------------------------------------------------------------------------------

def test_the_reminder_mails_name_the_town_and_link_to_the_right_page(db, clock, staff, mailbox, deliver):
    town = make_municipality(name="梼原町")
    evangelist = make_evangelist(family_name=HOSTILE, user=make_user(role="evangelist", email="eva@example.jp"))
    request = make_request(municipality=town, status="assigned", created_at=jst(2026, 11, 30, 9, 0))
    assignment = make_assignment(request=request, evangelist=evangelist, proposed_by=staff[0],
                                 created_at=jst(2026, 12, 1, 10, 0))
    run_at(clock, 2026, 12, 6, 10, 0)
    deliver()
    (to_evangelist,) = mailbox.to("eva@example.jp")
    body = body_of(to_evangelist)
    assert "梼原町" in to_evangelist["Subject"] and "梼原町" in body
    assert f"/me/#assignment-{assignment.id}" in body
    assert "まだ回答がありません" in body  # Japanese (the evangelist chose no English)
    assert HOSTILE in body  # the name as written, never run as a template
    (to_coordinator,) = mailbox.to("c1@example.jp")
    body = body_of(to_coordinator)
    assert f"/coordinator/requests/{request.id}" in body and HOSTILE in body and "49" not in body
    assert "English" not in body  # Japanese only for a Japanese-speaking coordinator
    assert not mailbox.to("c2@example.jp")


def test_a_coordinator_who_chose_english_gets_the_english_text_below(db, clock, mailbox, deliver):
    make_user(role="coordinator", email="en@example.jp", locale="en")
    make_request(created_at=jst(2026, 12, 1, 9, 0))
    run_at(clock, 2026, 12, 3, 9, 0)
    deliver()
    (mail,) = mailbox.to("en@example.jp")
    body = body_of(mail)
    assert "has not been triaged within 2 working days" in body
    assert body.index("English") > 0 and "/ Request" in mail["Subject"]


# --- The morning summary ---------------------------------------------------------------------------

def _world():
    fresh = make_request(created_at=jst(2026, 12, 2, 16, 0))
    stale = make_request(created_at=jst(2026, 11, 27, 9, 0))
    proposal = make_assignment(evangelist=make_evangelist(family_name=HOSTILE), created_at=jst(2026, 12, 1, 10, 0),
                               request=make_request(status="assigned", created_at=jst(2026, 11, 30, 9, 0)))
    booked = make_request(status="scheduled", created_at=jst(2026, 11, 1, 9, 0))
    make_booking(assignment=make_assignment(request=booked, status="accepted"),
                 starts_at=jst(2026, 12, 4, 14, 0), ends_at=jst(2026, 12, 4, 15, 0))
    elsewhere = make_request(status="scheduled", created_at=jst(2026, 11, 1, 9, 0))  # booked next week
    make_booking(assignment=make_assignment(request=elsewhere, status="accepted"),
                 starts_at=jst(2026, 12, 8, 14, 0), ends_at=jst(2026, 12, 8, 15, 0))
    return fresh, stale, proposal, booked


def test_the_morning_summary_goes_once_to_each_coordinator_on_a_working_day(db, clock, staff, mailbox, deliver):
    fresh, stale, proposal, booked = _world()
    clock(jst(2026, 12, 3, 8, 30))  # a Thursday
    assert reminders.morning_summary() == 2
    assert reminders.morning_summary() == 0
    row = notices(db, "coordinator_summary")[0]
    p = row.params
    assert p["date"] == "2026-12-03"
    assert (p["new_count"], p["stale_count"], p["proposals_count"], p["booked_count"]) == (2, 1, 1, 1)
    assert [item["number"] for item in p["new"]] == [stale.id, fresh.id]
    assert [item["number"] for item in p["stale"]] == [stale.id]
    assert p["proposals"][0]["number"] == proposal.request_id and p["proposals"][0]["days"] == 2
    assert [item["number"] for item in p["booked"]] == [booked.id]
    deliver()
    body = body_of(mailbox.to("c1@example.jp")[0])
    assert f"No. {stale.id}" in body or f"{stale.id}" in body
    assert HOSTILE in body and "/coordinator/requests" in body
    assert "12月4日" in body and "14:00" in body  # the booked visit's day and time
    clock(jst(2026, 12, 4, 8, 30))
    assert reminders.morning_summary() == 2  # the next working day: a new one


@pytest.mark.parametrize("day", [(2026, 12, 5), (2026, 11, 23), (2026, 12, 29), (2027, 1, 2)],
                         ids=["saturday", "holiday", "closure", "new-year"])
def test_no_morning_summary_on_a_day_off(db, clock, staff, day):
    _world()
    clock(jst(*day, 8, 30))
    assert reminders.morning_summary() == 0
    assert notices(db) == []


def test_no_summary_when_there_is_nothing_to_tell(db, clock, staff):
    clock(jst(2026, 12, 3, 8, 30))
    assert reminders.morning_summary() == 0


def test_the_booked_this_week_list_is_a_hook_given_the_week(db, clock, staff):
    clock(jst(2026, 12, 3, 8, 30))
    weeks = []

    def booked(start, end):
        weeks.append((start, end))
        return [{"number": 7, "town": "町", "prefecture": "県", "when": "12/4 10:00"}]

    assert reminders.morning_summary(booked_this_week=booked) == 2
    assert [(s.isoformat(), e.isoformat()) for s, e in weeks] == [("2026-11-30", "2026-12-06")]
    assert notices(db)[0].params["booked"][0]["when"] == "12/4 10:00"


# --- The queue's periodic tasks and the command ------------------------------------------------------

def test_the_periodic_tasks_run_the_reminders_and_the_summary_at_half_past_eight_in_japan(db, clock, staff):
    make_request(created_at=jst(2026, 12, 1, 9, 0))
    clock(jst(2026, 12, 3, 9, 0))
    assert send_reminders.call_local()["request_untriaged"] == 2
    assert send_morning_summary.call_local() == 2
    summary, every_quarter = send_morning_summary.s(), send_reminders.s()
    assert summary.validate_datetime(datetime(2026, 12, 2, 23, 30))  # Huey's clock is UTC: 08:30 JST
    assert not summary.validate_datetime(datetime(2026, 12, 3, 8, 30))
    assert every_quarter.validate_datetime(datetime(2026, 12, 3, 8, 45))
    assert not every_quarter.validate_datetime(datetime(2026, 12, 3, 8, 50))


def test_the_summary_time_is_japans_clock_turned_into_utc():
    assert japan_time_as_utc("08:30") == (23, 30)
    assert japan_time_as_utc("10:05") == (1, 5)
    for bad in ("8", "25:00", "08:60", "soon"):
        with pytest.raises(ValueError, match="MORNING_SUMMARY_AT"):
            japan_time_as_utc(bad)


def test_the_command_runs_the_reminders_once_and_says_what_it_wrote(db, clock, staff, runner):
    make_request(created_at=jst(2026, 12, 1, 9, 0))
    clock(jst(2026, 12, 3, 9, 0))
    result = runner.invoke(args=["reminders", "run", "--summary"])
    assert result.exit_code == 0, result.output
    assert "request_untriaged" in result.output and "2" in result.output
    assert "coordinator_summary" in result.output
    assert runner.invoke(args=["reminders", "run"]).output.split() == [
        "request_untriaged", "0", "proposal_reminder", "0", "proposal_unanswered", "0", "booking_overdue", "0", "visit_tomorrow", "0"]


# --- The day before a booked visit ------------------------------------------------------------------

def test_the_day_before_a_booked_visit_the_evangelist_and_the_town_are_reminded_once(db, clock, mailbox, deliver):
    evangelist = make_evangelist(user=make_user(role="evangelist", email="eva@example.jp"))
    request = make_request(status="scheduled", email="town@example.jp", token="town-token")
    booking = make_booking(assignment=make_assignment(request=request, evangelist=evangelist, status="accepted"),
                           starts_at=jst(2026, 12, 10, 14, 0), ends_at=jst(2026, 12, 10, 15, 30), place=HOSTILE)
    assert run_at(clock, 2026, 12, 9, 8, 59)["visit_tomorrow"] == 0  # not before 09:00 the day before
    assert run_at(clock, 2026, 12, 9, 9, 0)["visit_tomorrow"] == 2
    assert run_at(clock, 2026, 12, 9, 17, 0)["visit_tomorrow"] == 0  # once
    deliver()
    town = body_of(mailbox.to("town@example.jp")[0])
    assert "/request/status/town-token" in town and HOSTILE in town and "14:00" in town
    assert f"/bookings/{booking.id}" in body_of(mailbox.to("eva@example.jp")[0])

    booking.starts_at, booking.ends_at = jst(2026, 12, 11, 10, 0), jst(2026, 12, 11, 11, 0)  # moved a day on
    db.session.commit()
    assert run_at(clock, 2026, 12, 10, 9, 0)["visit_tomorrow"] == 2  # the new day is reminded too


def test_a_cancelled_booking_or_a_closed_request_is_not_reminded(db, clock):
    request = make_request(status="scheduled")
    booking = make_booking(assignment=make_assignment(request=request, status="accepted"),
                           starts_at=jst(2026, 12, 10, 14, 0), ends_at=jst(2026, 12, 10, 15, 0))
    booking.status, booking.cancel_reason = "cancelled", "町の都合"
    other = make_request(status="withdrawn")
    make_booking(assignment=make_assignment(request=other, status="accepted"),
                 starts_at=jst(2026, 12, 10, 14, 0), ends_at=jst(2026, 12, 10, 15, 0))
    db.session.commit()
    assert run_at(clock, 2026, 12, 9, 10, 0)["visit_tomorrow"] == 0


def test_times_offered_but_not_picked_still_count_as_no_booking(db, clock, staff):
    assignment = _accepted(staff[0], jst(2026, 12, 1, 10, 0))
    assignment.request.status = "scheduling"
    db.session.commit()
    assert run_at(clock, 2026, 12, 20, 10, 0)["booking_overdue"] == 2
