"""The request's dialogue: who hears of each message (notices written with it), the
evangelist's messages signed with the family name only, internal notes that never reach
the town, and the status link mailed again."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, Notice, RequestMessage, RequestNote
from app.models.base import utcnow
from app.secrets_at_rest import unseal
from app.services import dialogue
from app.services.requests import add_message, request_by_token
from evangelists.lifecycle import TransitionRefused
from tests.factories import make_assignment, make_evangelist, make_municipality, make_request, make_user
from tests.mailbox import body_of

HOSTILE = "<script>alert(1)</script> {{7*7}} {{ lone"


@pytest.fixture
def scene(db):
    """A request of 梼原町 with an accepted assignment of 藤田 花子, two coordinators."""
    coordinators = [make_user(role="coordinator", email="c1@example.jp", display_name="調整 一郎"),
                    make_user(role="coordinator", email="c2@example.jp", display_name="調整 二郎")]
    person = make_evangelist(family_name="藤田", given_name="花子",
                             user=make_user(role="evangelist", email="fujita@example.jp", display_name="藤田 花子"))
    request = make_request(municipality=make_municipality(name="梼原町"), status="assigned",
                           email="town@example.jp", contact_name="山田 太郎", token="the-token")
    assignment = make_assignment(request=request, evangelist=person, status="accepted")
    db.session.commit()
    return {"coordinators": coordinators, "person": person, "user": person.user, "request": request,
            "assignment": assignment}


def _notices(db, **where):
    return db.session.scalars(sa.select(Notice).filter_by(**where).order_by(Notice.id)).all()


def _recipients(db):
    return {(n.kind, n.user_id or n.email) for n in _notices(db)}


# --- who hears of a message -------------------------------------------------------------------

def test_a_coordinator_message_goes_to_the_town_by_mail_and_to_the_evangelist_not_its_author(db, scene):
    one, two = scene["coordinators"]
    add_message(scene["request"], "来週伺います", sender="coordinator", author=one)
    assert _recipients(db) == {("message_to_town", "town@example.jp"), ("request_message", scene["user"].id)}


def test_a_town_message_goes_to_every_coordinator_and_the_assigned_evangelist(db, scene):
    one, two = scene["coordinators"]
    add_message(scene["request"], "質問です", sender="municipality")
    assert _recipients(db) == {("request_message", one.id), ("request_message", two.id),
                               ("request_message", scene["user"].id)}


def test_an_evangelist_message_goes_to_the_town_and_the_coordinators_not_back_to_them(db, scene):
    one, two = scene["coordinators"]
    message = dialogue.write_to_town(scene["user"], scene["assignment"], "伺う日を決めましょう")
    assert message.sender == "evangelist" and message.author_id == scene["user"].id
    assert _recipients(db) == {("message_to_town", "town@example.jp"), ("request_message", one.id),
                               ("request_message", two.id)}
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "request.message_added")).one()
    assert (event.actor_id, event.after) == (scene["user"].id, {"sender": "evangelist"})


def test_a_mere_proposal_is_not_told_and_cannot_write(db, scene):
    other = make_evangelist(user=make_user(role="evangelist"))
    proposal = make_assignment(request=scene["request"], evangelist=other, status="proposed")
    db.session.commit()
    add_message(scene["request"], "質問です", sender="municipality")
    assert other.user_id not in {n.user_id for n in _notices(db)}
    with pytest.raises(dialogue.DialogueRefused) as refused:
        dialogue.write_to_town(other.user, proposal, "こんにちは")
    assert refused.value.reason == "not_accepted"
    with pytest.raises(dialogue.DialogueRefused) as refused:
        dialogue.write_to_town(other.user, scene["assignment"], "こんにちは")
    assert refused.value.reason == "not_yours"
    with pytest.raises(dialogue.DialogueRefused):
        dialogue.thread_of(other.user, proposal)


def test_a_closed_request_takes_no_evangelist_message_and_tells_nobody(db, scene):
    scene["request"].status = "completed"
    db.session.commit()
    with pytest.raises(TransitionRefused):
        dialogue.write_to_town(scene["user"], scene["assignment"], "まだ書けますか")
    db.session.rollback()
    assert _notices(db) == [] and db.session.scalars(sa.select(RequestMessage)).all() == []


def test_the_messages_and_their_notices_commit_together_or_not_at_all(db, scene, monkeypatch):
    """The outbox: a failing commit leaves neither the message nor a notice."""
    def broken_commit():
        raise RuntimeError("database went away")

    monkeypatch.setattr(db.session, "commit", broken_commit)
    with pytest.raises(RuntimeError):
        add_message(scene["request"], "消える", sender="municipality")
    monkeypatch.undo()
    db.session.rollback()
    assert _notices(db) == [] and db.session.scalars(sa.select(RequestMessage)).all() == []


def test_the_evangelist_sender_is_allowed_by_the_database_and_nonsense_is_not(db, scene):
    for sender, ok in (("evangelist", True), ("robot", False)):
        insert = sa.text("INSERT INTO request_messages (request_id, sender, body, created_at, updated_at) "
                         "VALUES (:r, :s, 'x', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")
        if ok:
            db.session.execute(insert, {"r": scene["request"].id, "s": sender})
            db.session.commit()
        else:
            with pytest.raises(sa.exc.IntegrityError):
                db.session.execute(insert, {"r": scene["request"].id, "s": sender})
            db.session.rollback()


# --- the mails -------------------------------------------------------------------------------

def test_the_town_mail_carries_the_text_its_status_link_and_the_family_name_only(db, scene, mailbox, deliver):
    dialogue.write_to_town(scene["user"], scene["assignment"], f"伺う日を決めましょう {HOSTILE}")
    deliver()
    (mail,) = mailbox.to("town@example.jp")
    body = body_of(mail)
    assert "藤田 伝道師" in mail["Subject"] and "Evangelist 藤田" in mail["Subject"]
    assert f"伺う日を決めましょう {HOSTILE}" in body  # plain text, as written: nothing evaluated
    assert "49" not in body and "&lt;" not in body
    assert "/request/status/the-token" in body
    assert "花子" not in body and "fujita@example.jp" not in body
    assert "the-token" not in repr([n.params for n in _notices(db)])
    staff = mailbox.to("c1@example.jp")
    assert len(staff) == 1 and "藤田 花子" in body_of(staff[0]) and HOSTILE in body_of(staff[0])
    assert f"/coordinator/requests/{scene['request'].id}" in body_of(staff[0])


def test_the_evangelists_mail_of_a_town_message_links_their_thread(db, scene, mailbox, deliver):
    add_message(scene["request"], "x" * 400, sender="municipality")
    deliver()
    (mail,) = mailbox.to("fujita@example.jp")
    body = body_of(mail)
    assert f"/me/assignments/{scene['assignment'].id}/messages#latest" in body
    assert "x" * 139 + "…" in body and "x" * 141 not in body  # an excerpt, not the whole text


def test_a_coordinator_message_to_the_town_is_signed_by_the_coordinators(db, scene, mailbox, deliver):
    one, _two = scene["coordinators"]
    add_message(scene["request"], "資料を送ります", sender="coordinator", author=one)
    deliver()
    (mail,) = mailbox.to("town@example.jp")
    body = body_of(mail)
    assert "資料を送ります" in body and "調整 一郎" not in body and "The coordinators wrote" in body


# --- internal notes ---------------------------------------------------------------------------

def test_a_note_is_kept_apart_audited_without_its_text_and_tells_nobody(db, scene):
    one, _two = scene["coordinators"]
    note = dialogue.add_note(one, scene["request"], HOSTILE)
    assert dialogue.notes_of(scene["request"]) == [note]
    assert _notices(db) == []
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "request.note_added")).one()
    assert HOSTILE not in repr((event.before, event.after))
    assert not hasattr(scene["request"], "notes")  # nothing that shows a request can reach them


def test_no_town_mail_of_any_kind_carries_a_note(db, scene, mailbox, deliver):
    """Every notice the town can get in this branch, sent with a note on the request."""
    one, _two = scene["coordinators"]
    secret = "内部メモ: 担当者は気難しい <b>{{7*7}}</b>"
    dialogue.add_note(one, scene["request"], secret)
    add_message(scene["request"], "from a coordinator", sender="coordinator", author=one)
    dialogue.write_to_town(scene["user"], scene["assignment"], "from the evangelist")
    dialogue.resend_status_link(scene["request"].id, "town@example.jp")
    # The receipt of a new request from the same address, with a note on it too.
    from app.services.requests import Submission, submit_request
    submitted = submit_request(Submission(
        municipality_code=scene["request"].municipality.code, contact_name="山田", department="企画課",
        email="town@example.jp", phone=None, topics=(), mode="either", period="", message="", nonce="n-1"),
        address=None)
    dialogue.add_note(one, submitted.request, secret)
    deliver()
    town_mails = mailbox.to("town@example.jp")
    kinds = {n.kind for n in _notices(db) if n.email == "town@example.jp"}
    assert kinds == {"message_to_town", "status_link", "request_received"}
    assert len(town_mails) == 4
    for mail in town_mails:
        assert "内部メモ" not in body_of(mail) and "気難しい" not in body_of(mail) + mail["Subject"]


# --- the status link mailed again -------------------------------------------------------------

def test_a_matching_number_and_address_mail_the_same_link_audited(db, scene, mailbox, deliver):
    assert dialogue.resend_status_link(scene["request"].id, " TOWN@Example.JP ") is True
    deliver()
    (mail,) = mailbox.to("town@example.jp")
    assert "/request/status/the-token" in body_of(mail) and "no longer works" not in body_of(mail)
    assert request_by_token("the-token") == scene["request"]
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.like("request.status_link%"))).one()
    assert (event.action, event.actor_label) == ("request.status_link_sent", "municipality")


@pytest.mark.parametrize("number_offset, email", [(1, "town@example.jp"), (0, "other@example.jp"), (0, "")])
def test_no_match_sends_nothing_and_writes_nothing(db, scene, mailbox, deliver, number_offset, email):
    assert dialogue.resend_status_link(scene["request"].id + number_offset, email) is False
    deliver()
    assert mailbox.messages == [] and _notices(db) == []
    assert db.session.scalars(sa.select(AuditEvent)).all() == []


def test_a_request_closed_long_ago_is_not_mailed_one_closed_recently_is(db, scene):
    request = scene["request"]
    request.status, request.closed_at = "completed", utcnow() - timedelta(days=dialogue.RECENT_DAYS + 1)
    db.session.commit()
    assert dialogue.resend_status_link(request.id, "town@example.jp") is False
    request.closed_at = utcnow() - timedelta(days=dialogue.RECENT_DAYS - 1)
    db.session.commit()
    assert dialogue.resend_status_link(request.id, "town@example.jp") is True


def test_a_request_without_a_sealed_token_gets_a_new_link_and_the_old_one_stops(db, mailbox, deliver):
    old = "old-token-from-before-0010"
    request = make_request(email="old@example.jp", token_hash=hashlib.sha256(old.encode()).hexdigest(),
                           token_sealed=None)
    db.session.commit()
    assert dialogue.resend_status_link(request.id, "old@example.jp") is True
    new = unseal(request.token_sealed)
    assert new and new != old
    assert request_by_token(old) is None and request_by_token(new) == request
    deliver()
    (mail,) = mailbox.to("old@example.jp")
    assert f"/request/status/{new}" in body_of(mail) and "no longer works" in body_of(mail)
    assert db.session.scalars(sa.select(AuditEvent.action)).all() == ["request.status_link_renewed"]
    assert new not in repr([n.params for n in _notices(db)])


def test_notes_are_a_table_of_their_own(db, scene):
    one, _two = scene["coordinators"]
    dialogue.add_note(one, scene["request"], "メモ")
    assert db.session.scalars(sa.select(RequestNote.body)).all() == ["メモ"]
    assert db.session.scalars(sa.select(RequestMessage)).all() == []


def test_a_sealed_token_no_key_opens_any_more_is_renewed_too(db, mailbox, deliver):
    request = make_request(email="rotated@example.jp", token="lost-with-its-key")
    request.token_sealed = "gAAAAA-sealed-with-a-key-that-is-gone"
    db.session.commit()
    assert dialogue.resend_status_link(request.id, "rotated@example.jp") is True
    new = unseal(request.token_sealed)
    assert new and request_by_token(new) == request and request_by_token("lost-with-its-key") is None
    deliver()
    (mail,) = mailbox.to("rotated@example.jp")
    assert f"/request/status/{new}" in body_of(mail)
