"""Each step of a request's work tells exactly the right people (issue 18, point 4): the
proposal its evangelist, the answer the proposing coordinator, a withdrawal the evangelist,
a logged visit the coordinator, the closing the town; never the person who acted, and
nobody when the change is refused or rolled back."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.models import Notice
from app.services import matching, requests, visits
from app.services.topics import sync_topics
from evangelists.calendar import today_in_japan
from evangelists.lifecycle import TransitionRefused
from tests.factories import make_assignment, make_evangelist, make_municipality, make_request, make_user
from tests.mailbox import body_of


def notices(db) -> list[tuple]:
    """(kind, user_id, email) of every notice, in order."""
    return [(n.kind, n.user_id, n.email) for n in db.session.scalars(sa.select(Notice).order_by(Notice.id))]


@pytest.fixture
def scene(db):
    """A triaged request of 梼原町, two coordinators, an evangelist next door."""
    sync_topics()
    town = make_municipality(name="梼原町")
    proposer = make_user(role="coordinator", email="proposer@example.jp", locale="en")
    other = make_user(role="coordinator", email="other@example.jp")
    request = make_request(municipality=town, status="triaged", email="town@example.jp", token="status-tok")
    evangelist = make_evangelist(home_municipality=town, family_name="高知", given_name="一郎")
    db.session.commit()
    return {"request": request, "proposer": proposer, "other": other, "evangelist": evangelist,
            "user": evangelist.user}


def _accepted(scene, db):
    assignment = make_assignment(request=scene["request"], evangelist=scene["evangelist"], status="accepted",
                                 proposed_by=scene["proposer"])
    scene["request"].status = "assigned"
    db.session.commit()
    return assignment


def test_a_proposal_tells_the_evangelist_with_a_link_to_it_on_their_page(db, scene, mailbox, deliver):
    assignment = matching.propose(scene["proposer"], scene["request"], scene["evangelist"].id, address=None)
    assert notices(db) == [("assignment_proposed", scene["user"].id, None)]
    deliver()
    (mail,) = mailbox.to(scene["user"].email)
    body = body_of(mail)
    assert f"/me/#assignment-{assignment.id}" in body and "梼原町" in body
    assert not mailbox.to("proposer@example.jp") and not mailbox.to("other@example.jp")


def test_a_refused_proposal_tells_nobody(db, scene):
    scene["evangelist"].capacity = 0
    db.session.commit()
    with pytest.raises(matching.CapacityFull):
        matching.propose(scene["proposer"], scene["request"], scene["evangelist"].id, address=None)
    assert notices(db) == []


def test_a_plan_that_fails_halfway_tells_nobody(db, scene):
    second = make_request(municipality=scene["request"].municipality, status="completed")  # cannot be assigned
    db.session.commit()
    with pytest.raises(TransitionRefused):
        matching.apply_plan(scene["proposer"], [(scene["request"].id, scene["evangelist"].id),
                                                (second.id, scene["evangelist"].id)], address=None)
    assert notices(db) == []


def test_accepting_tells_the_proposing_coordinator_only(db, scene, mailbox, deliver):
    assignment = make_assignment(request=scene["request"], evangelist=scene["evangelist"], proposed_by=scene["proposer"])
    scene["request"].status = "assigned"
    db.session.commit()
    matching.respond(scene["user"], assignment, True)
    assert notices(db) == [("assignment_accepted", scene["proposer"].id, None)]
    deliver()
    (mail,) = mailbox.to("proposer@example.jp")
    body = body_of(mail)
    assert f"/coordinator/requests/{scene['request'].id}" in body
    assert "高知 一郎" in body and "accepted the proposal" in body  # English below for who chose it


def test_declining_tells_the_proposer_the_reason(db, scene, mailbox, deliver):
    assignment = make_assignment(request=scene["request"], evangelist=scene["evangelist"], proposed_by=scene["proposer"])
    scene["request"].status = "assigned"
    db.session.commit()
    matching.respond(scene["user"], assignment, False, reason="<script>x</script> 今月は出張")
    assert notices(db) == [("assignment_declined", scene["proposer"].id, None)]
    deliver()
    body = body_of(mailbox.to("proposer@example.jp")[0])
    assert "<script>x</script> 今月は出張" in body  # plain text, as written
    assert "Their reason" in body


def test_with_no_known_proposer_every_coordinator_hears(db, scene):
    gone = make_user(role="coordinator", is_active=False)
    for proposer in (None, gone):
        assignment = make_assignment(request=scene["request"], evangelist=make_evangelist(), proposed_by=proposer)
        scene["request"].status = "assigned"
        db.session.commit()
        before = len(notices(db))
        matching.respond(assignment.evangelist.user, assignment, True)
        assert sorted(notices(db)[before:]) == sorted([
            ("assignment_accepted", scene["proposer"].id, None), ("assignment_accepted", scene["other"].id, None)])


def test_answering_twice_is_refused_and_tells_nobody_again(db, scene):
    assignment = make_assignment(request=scene["request"], evangelist=scene["evangelist"], proposed_by=scene["proposer"])
    scene["request"].status = "assigned"
    db.session.commit()
    matching.respond(scene["user"], assignment, True)
    with pytest.raises(TransitionRefused):
        matching.respond(scene["user"], assignment, False, reason="やはり")
    db.session.rollback()
    assert notices(db) == [("assignment_accepted", scene["proposer"].id, None)]


def test_withdrawing_tells_the_evangelist_not_the_coordinator(db, scene, mailbox, deliver):
    assignment = make_assignment(request=scene["request"], evangelist=scene["evangelist"], proposed_by=scene["proposer"])
    scene["request"].status = "assigned"
    db.session.commit()
    matching.withdraw_proposal(scene["other"], assignment)
    assert notices(db) == [("proposal_withdrawn", scene["user"].id, None)]
    deliver()
    assert "梼原町" in body_of(mailbox.to(scene["user"].email)[0])


def test_a_withdrawal_after_the_answer_is_refused_and_tells_nobody_of_it(db, scene):
    assignment = make_assignment(request=scene["request"], evangelist=scene["evangelist"], status="accepted",
                                 proposed_by=scene["proposer"])
    db.session.commit()
    with pytest.raises(TransitionRefused):
        matching.withdraw_proposal(scene["proposer"], assignment)
    assert notices(db) == []


def test_a_logged_visit_tells_the_proposer_its_outcomes(db, scene, mailbox, deliver):
    assignment = _accepted(scene, db)
    visits.log_visit(scene["user"], assignment, visits.VisitInput(
        visited_on=today_in_japan(), mode="onsite", duration_minutes=60, summary="相談",
        outcomes=(visits.OutcomeInput("datasets_published", count=7), visits.OutcomeInput("event_held"))))
    assert notices(db) == [("visit_logged", scene["proposer"].id, None)]
    deliver()
    body = body_of(mailbox.to("proposer@example.jp")[0])
    assert "Datasets published" in body and "Event held" in body and "7 datasets published" in body
    assert body.index("イベント開催") < body.index("Event held")  # Japanese first, English below
    assert "公開データセット 7件" in body


def test_a_refused_visit_tells_nobody(db, scene):
    assignment = _accepted(scene, db)
    with pytest.raises(visits.VisitRefused):
        visits.log_visit(scene["proposer"], assignment, visits.VisitInput(
            visited_on=today_in_japan(), mode="onsite", duration_minutes=60, summary="相談"))
    assert notices(db) == []


def _visited(scene, db):
    assignment = _accepted(scene, db)
    visits.log_visit(scene["user"], assignment, visits.VisitInput(
        visited_on=today_in_japan(), mode="online", duration_minutes=60, summary="相談",
        outcomes=(visits.OutcomeInput("datasets_published", count=12),
                  visits.OutcomeInput("open_data_published", evidence_url="https://example.jp/od"))))
    return assignment


def test_completing_mails_the_town_what_was_done_and_the_feedback_link(db, scene, mailbox, deliver):
    assignment = _visited(scene, db)
    before = len(notices(db))
    visits.complete_assignment(scene["user"], assignment)
    assert notices(db)[before:] == [("request_completed", None, "town@example.jp")]
    deliver()
    (mail,) = mailbox.to("town@example.jp")
    body = body_of(mail)
    assert "/request/status/status-tok" in body
    assert "Was the help useful?" in body and "12 datasets published" in body
    assert "Open data published" in body and "Visit on " in body and "(Online)" in body
    assert body.index("役に立ちましたか") < body.index("Was the help useful?")  # Japanese first
    row = db.session.scalar(sa.select(Notice).where(Notice.kind == "request_completed"))
    assert "status-tok" not in repr(row.params)


def test_a_coordinator_closing_the_request_mails_the_town_too(db, scene, mailbox, deliver):
    _visited(scene, db)
    before = len(notices(db))
    requests.change_status(scene["proposer"], scene["request"], "completed")
    assert notices(db)[before:] == [("request_completed", None, "town@example.jp")]


def test_closing_without_completing_or_refused_closing_tells_the_town_nothing(db, scene):
    requests.change_status("municipality", scene["request"], "withdrawn")
    with pytest.raises(TransitionRefused):
        requests.change_status(scene["proposer"], scene["request"], "completed")
    assert notices(db) == []


def test_completing_one_of_two_open_assignments_does_not_close_the_request(db, scene):
    assignment = _visited(scene, db)
    make_assignment(request=scene["request"], evangelist=make_evangelist(), status="accepted")
    db.session.commit()
    before = len(notices(db))
    visits.complete_assignment(scene["user"], assignment)
    assert notices(db)[before:] == []


def test_the_person_who_acted_is_never_told(db, scene):
    """Whoever the recipients would be, the actor is left out (``exclude=``)."""
    from app.services import workflow_notices

    assignment = make_assignment(request=scene["request"], evangelist=scene["evangelist"],
                                 proposed_by=scene["proposer"], status="accepted")
    db.session.commit()
    workflow_notices.tell_proposed(scene["user"], assignment)
    workflow_notices.tell_withdrawn(scene["user"], assignment)
    workflow_notices.tell_answered(scene["proposer"], assignment)
    db.session.commit()
    assert notices(db) == []


def test_sending_a_request_back_tells_its_evangelist_with_the_reason(db, scene, mailbox, deliver):
    _accepted(scene, db)
    requests.send_back(scene["proposer"], scene["request"], "triaged", reason="町の担当者が替わりました <b>")
    assert notices(db) == [("work_called_off", scene["user"].id, None)]
    deliver()
    body = body_of(mailbox.to(scene["user"].email)[0])
    assert "町の担当者が替わりました <b>" in body and "取り消" in body


def test_a_town_withdrawing_tells_the_evangelist_and_nobody_is_told_twice(db, scene, mailbox, deliver):
    _accepted(scene, db)
    requests.change_status("municipality", scene["request"], "withdrawn")
    assert notices(db) == [("work_called_off", scene["user"].id, None)]
    deliver()
    assert "取り下げ" in body_of(mailbox.to(scene["user"].email)[0])
