"""Becoming an evangelist (issue 22, point 6): an application is stored unconfirmed and
mailed a link; the link (once, within its hours) confirms it and the person enters the
pipeline as a candidate through the nomination's path, or waits as a possible duplicate
for a coordinator; the applicant is mailed the outcome when the person is appointed or
declined."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, Evangelist, EvangelistApplication, Notice
from app.models.base import utcnow
from app.services import applications
from app.services.applications import ApplicationInput, ApplicationRefused
from app.services.recruitment import RecruitmentRefused, move_evangelist, nomination_of
from app.services.topics import sync_topics
from evangelists.calendar import today_in_japan
from tests.factories import make_community, make_evangelist, make_places, make_user
from tests.mailbox import body_of


@pytest.fixture
def world(db):
    sync_topics()
    places = make_places("sapporo", "hirosaki")
    c4s = make_community(name="Code for Sapporo", municipality=places["sapporo"])
    coordinator = make_user(role="coordinator", email="coord@example.jp")
    db.session.commit()
    return {**places, "c4s": c4s, "coordinator": coordinator}


def answers(**overrides) -> ApplicationInput:
    fields = dict(family_name="応募", given_name="花子", family_name_kana="おうぼ", given_name_kana="ハナコ",
                  email="Hanako@Example.JP", municipality_code="011002", skills=("gis", "licensing"),
                  languages=("ja", "en"), capacity=3, travel_radius_km=80.0, online_ok=False,
                  availability="平日の夜", motivation="ハッカソンを主催しています。", age_band="30s", gender="female",
                  consent=True, locale="ja")
    fields.update(overrides)
    return ApplicationInput(**fields)


def events(db, action: str) -> list[AuditEvent]:
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def confirm_link(mailbox, deliver, address="hanako@example.jp") -> str:
    deliver()
    (mail,) = [m for m in mailbox.to(address) if "/apply/confirm/" in body_of(m)]
    found = set(re.findall(r"https?://\S+/apply/confirm/(\S+)", body_of(mail)))
    assert len(found) == 1, body_of(mail)
    return found.pop()


def test_apply_confirm_then_a_candidate_from_the_nomination_path(db, world, mailbox, deliver):
    submitted = applications.submit(answers(), address="192.0.2.9")
    stored = db.session.get(EvangelistApplication, submitted.application.id)
    assert stored.status == "unconfirmed" and stored.evangelist_id is None
    # The token is kept only as its hash and sealed: never in plain text, nor in the notice.
    assert submitted.token not in (stored.token_hash, stored.token_sealed)
    assert stored.token_hash == applications.hash_token(submitted.token)
    assert submitted.token not in repr([n.params for n in db.session.scalars(sa.select(Notice))])
    assert stored.email == "hanako@example.jp" and stored.family_name_kana == "オウボ"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evangelist)) == 0  # nothing in the pipeline yet

    token = confirm_link(mailbox, deliver)
    assert token == submitted.token
    confirmed = applications.confirm(token, address="192.0.2.9")
    db.session.expire_all()
    assert confirmed.status == "in_pipeline" and confirmed.token_hash is None and confirmed.token_sealed is None
    person = db.session.get(Evangelist, confirmed.evangelist_id)
    assert (person.status, person.user_id, person.display_name) == ("candidate", None, "応募 花子")
    assert [t.slug for t in person.skills] == ["licensing", "gis"] or {t.slug for t in person.skills} == {
        "gis", "licensing"}
    assert (person.capacity, person.travel_radius_km, person.online_ok, person.languages) == (3, 80.0, False,
                                                                                              ["ja", "en"])
    assert (person.age_band, person.gender) == ("30s", "female")
    # The nomination's event: the appointment form offers the address, duplicate checks find it.
    nomination = nomination_of(person)
    assert nomination.email == "hanako@example.jp" and nomination.by == "applicant"
    (event,) = events(db, "evangelist.nominated")
    assert event.after["application"] == confirmed.id
    assert events(db, "application.submitted") and events(db, "application.in_pipeline")
    # The coordinators hear of it.
    deliver()
    (note,) = mailbox.to("coord@example.jp")
    assert "応募 花子" in body_of(note) and f"/coordinator/recruitment/applications/{confirmed.id}" in body_of(note)


def test_a_link_works_once(db, world, mailbox):
    token = applications.submit(answers()).token
    applications.confirm(token)
    with pytest.raises(ApplicationRefused) as refused:
        applications.confirm(token)
    assert refused.value.reason == "link_invalid"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evangelist)) == 1


def test_an_expired_link_confirms_nothing_and_the_sweep_removes_it(db, world, mailbox, clock):
    now = utcnow()
    token = applications.submit(answers()).token
    clock(now + timedelta(hours=applications.CONFIRM_HOURS, seconds=1))
    with pytest.raises(ApplicationRefused) as refused:
        applications.confirm(token)
    assert refused.value.reason == "link_expired"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evangelist)) == 0
    assert applications.remove_expired() == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EvangelistApplication)) == 0


def test_an_expired_link_is_not_in_a_late_mail(db, world, mailbox, deliver, clock):
    now = utcnow()
    applications.submit(answers())
    clock(now + timedelta(hours=applications.CONFIRM_HOURS + 1))
    deliver()
    (mail,) = mailbox.to("hanako@example.jp")
    assert "/apply/confirm/" not in body_of(mail) and "too late" in body_of(mail)


@pytest.mark.parametrize("token", ["", "x" * 20, "a" * 200])
def test_an_invalid_link_is_refused(db, world, token):
    applications.submit(answers())
    with pytest.raises(ApplicationRefused) as refused:
        applications.pending(token)
    assert refused.value.reason == "link_invalid"


@pytest.mark.parametrize(("changes", "field", "reason"), [
    ({"consent": False}, "consent", "consent_required"),
    ({"email": ""}, "email", "required"),
    ({"family_name_kana": "yamada"}, "family_name_kana", "not_kana"),
    ({"municipality_code": "999999"}, "municipality", "unknown"),
    ({"skills": ("no-such-topic",)}, "skills", "unknown"),
    ({"languages": ()}, "languages", "required"),
    ({"languages": ("ja", "xx")}, "languages", "unknown"),
    ({"capacity": 99}, "capacity", "out_of_range"),
    ({"travel_radius_km": 0}, "travel_radius_km", "out_of_range"),
    ({"age_band": "teen"}, "age_band", "unknown"),
    ({"availability": "x" * 501}, "availability", "too_long"),
])
def test_bad_answers_are_refused_with_nothing_written(db, world, changes, field, reason):
    with pytest.raises((ApplicationRefused, RecruitmentRefused)) as refused:
        applications.submit(answers(**changes))
    assert (refused.value.field, refused.value.reason) == (field, reason)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EvangelistApplication)) == 0


@pytest.mark.parametrize("same", ["email", "name"])
def test_an_application_from_someone_we_have_is_not_a_second_record(db, world, mailbox, same):
    existing = make_evangelist(family_name="応募", given_name="花子", family_name_kana="オウボ",
                               given_name_kana="ハナコ", home_municipality=world["sapporo"],
                               user=make_user(role="evangelist", email="hanako@example.jp" if same == "email"
                                              else "other@example.jp"))
    db.session.commit()
    changes = {"family_name": "別名"} if same == "email" else {"email": "new@example.jp"}
    token = applications.submit(answers(**changes)).token
    application = applications.confirm(token)
    assert application.status == "possible_duplicate" and application.matches == [existing.id]
    assert application.evangelist_id is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evangelist)) == 1
    # Shown where the coordinator looks: the board's list and the person's record.
    scope = applications.RegionScope()
    assert [a.id for a in applications.applications_to_check(scope).items] == [application.id]
    assert [a.id for a in applications.applications_matching(existing)] == [application.id]


def test_a_coordinator_decides_a_possible_duplicate_is_someone_else(db, world, mailbox):
    existing = make_evangelist(family_name="応募", given_name="花子", family_name_kana="オウボ",
                               given_name_kana="ハナコ", home_municipality=world["sapporo"], status="candidate",
                               user=None)
    db.session.commit()
    application = applications.confirm(applications.submit(answers()).token)
    assert application.status == "possible_duplicate"
    made = applications.resolve(world["coordinator"], application, "someone_else")
    assert made.id != existing.id and made.status == "candidate"
    assert application.status == "in_pipeline" and application.evangelist_id == made.id
    with pytest.raises(ApplicationRefused) as refused:
        applications.resolve(world["coordinator"], application, "declined")
    assert refused.value.reason == "not_allowed"


def test_the_same_person_joined_then_appointed_tells_the_applicant(db, world, mailbox, deliver):
    existing = make_evangelist(family_name="応募", given_name="花子", family_name_kana="オウボ",
                               given_name_kana="ハナコ", home_municipality=world["sapporo"], status="candidate",
                               user=None)
    db.session.commit()
    application = applications.confirm(applications.submit(answers()).token)
    with pytest.raises(ApplicationRefused):
        applications.resolve(world["coordinator"], application, "same_person", person=make_evangelist())
    db.session.rollback()
    applications.resolve(world["coordinator"], application, "same_person", person=existing)
    assert application.status == "same_person" and application.evangelist_id == existing.id
    deliver()
    mailbox.clear()
    move_evangelist(world["coordinator"], existing, "active", appointed_on=today_in_japan(),
                    email="hanako@example.jp")
    db.session.expire_all()
    assert db.session.get(EvangelistApplication, application.id).status == "appointed"
    deliver()
    mails = mailbox.to("hanako@example.jp")
    assert len(mails) == 2  # the outcome, and the account's invitation
    outcome = [m for m in mails if "appointed you" in body_of(m)]
    assert outcome and "/auth/password/" not in body_of(outcome[0])
    assert any("/auth/password/" in body_of(m) for m in mails)


def test_a_decline_mails_the_coordinators_message(db, world, mailbox, deliver):
    application = applications.confirm(applications.submit(answers()).token)
    person = db.session.get(Evangelist, application.evangelist_id)
    deliver()
    mailbox.clear()
    move_evangelist(world["coordinator"], person, "retired", message="今年度の募集は終了しました。\n<b>また</b>")
    db.session.expire_all()
    assert db.session.get(Evangelist, person.id).status == "retired"
    assert db.session.get(EvangelistApplication, application.id).status == "declined"
    assert events(db, "evangelist.declined") and events(db, "application.declined")
    deliver()
    (mail,) = mailbox.to("hanako@example.jp")
    assert "今年度の募集は終了しました。" in body_of(mail) and "<b>また</b>" in body_of(mail)
    assert "not to appoint you" in body_of(mail)


def test_declining_a_duplicate_directly_mails_the_applicant(db, world, mailbox, deliver):
    make_evangelist(family_name="応募", given_name="花子", family_name_kana="オウボ", given_name_kana="ハナコ",
                    home_municipality=world["sapporo"], user=make_user(role="evangelist", email="hanako@example.jp"))
    db.session.commit()
    application = applications.confirm(applications.submit(answers()).token)
    deliver()
    mailbox.clear()
    assert applications.resolve(world["coordinator"], application, "declined", message="") is None
    assert application.status == "declined"
    deliver()
    (mail,) = mailbox.to("hanako@example.jp")
    assert "A message from the coordinator" not in body_of(mail)


def test_the_same_person_already_in_service_is_told_at_once(db, world, mailbox, deliver):
    existing = make_evangelist(family_name="応募", given_name="花子", family_name_kana="オウボ",
                               given_name_kana="ハナコ", home_municipality=world["sapporo"],
                               user=make_user(role="evangelist", email="hanako@example.jp"))
    db.session.commit()
    application = applications.confirm(applications.submit(answers()).token)
    deliver()
    mailbox.clear()
    applications.resolve(world["coordinator"], application, "same_person", person=existing)
    assert application.status == "appointed"
    deliver()
    (mail,) = mailbox.to("hanako@example.jp")
    assert "already an evangelist" in body_of(mail)


def test_a_nomination_is_declined_without_a_mail(db, world, mailbox, deliver):
    person = make_evangelist(status="candidate", user=None)
    db.session.commit()
    move_evangelist(world["coordinator"], person, "retired")
    deliver()
    assert mailbox.messages == []


def test_the_demo_has_applications_at_each_stage(app, db, gazetteer):
    from app.services.demo import seed_demo

    sync_topics()
    seed_demo(evangelists=40, communities=5, requests=5, seed=9, today=today_in_japan())
    rows = db.session.scalars(sa.select(EvangelistApplication).order_by(EvangelistApplication.id)).all()
    assert [a.status for a in rows] == ["in_pipeline", "possible_duplicate", "unconfirmed"]
    in_pipeline, duplicate, unconfirmed = rows
    person = in_pipeline.evangelist
    assert person.status == "candidate" and nomination_of(person).by == "applicant"
    assert nomination_of(person).email == in_pipeline.email
    (matched,) = duplicate.matches
    assert db.session.get(Evangelist, matched).status == "candidate"
    # The duplicate is one by the nomination's rule, and the unconfirmed link is still good.
    from app.services.recruitment import possible_duplicates

    assert matched in [p.id for p in possible_duplicates(applications._as_nomination(duplicate))]
    assert unconfirmed.confirm_by > utcnow() and unconfirmed.token_hash
    assert db.session.scalar(sa.select(AuditEvent.actor_label).where(
        AuditEvent.action == "application.possible_duplicate")) == "applicant"
