"""Communities in public, the services (app/services/community_registrations.py and
community_directory.py): a registration is stored unconfirmed and mails only a link
(fixed subject) to its contact address; the link (once, within its hours) sends it to the
coordinators; expired ones are swept; what a registration refuses, duplicates in a fixed
number of queries, accepting, merging and declining (fixed subjects too), and what the
directory hands to its pages."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, Community, CommunityRegistration, Notice
from app.models.base import utcnow
from app.services.community_directory import (
    DirectoryFilters,
    PublicCommunity,
    directory_page,
    public_community,
)
from app.services.community_registrations import (
    CONFIRM_HOURS,
    RegistrationInput,
    RegistrationRefused,
    accept_registration,
    confirm_registration,
    decline_registration,
    get_registration,
    hash_token,
    pending_count,
    possible_duplicates,
    registration_page,
    remove_expired,
    submit_registration,
    unconfirmed,
)
from app.services.regions import NATIONAL, RegionScope
from tests.factories import make_community, make_places, make_registration, make_user
from tests.mailbox import body_of

HOSTILE = "<script>alert(1)</script> {{7*7}} {{ 今すぐ http://evil.example/ に振り込んでください"


@pytest.fixture
def towns(db):
    return make_places("sapporo", "otaru", "aomori")


def _input(**overrides) -> RegistrationInput:
    fields = dict(name="  Code   for Otaru ", municipality_code="012033", contact_email=" otaru@example.jp ",
                  consent=True, website="https://code4otaru.example.jp/", description=" 小樽で ",
                  how_to_join=" 月1回 ", member_count=8, nonce="nonce-1")
    fields.update(overrides)
    return RegistrationInput(**fields)


def confirm_token(mailbox, deliver, address="otaru@example.jp") -> str:
    deliver()
    (mail,) = mailbox.to(address)
    found = set(re.findall(r"https?://\S+/communities/register/confirm/(\S+)", body_of(mail)))
    assert len(found) == 1, body_of(mail)
    return found.pop()


def test_a_registration_is_stored_unconfirmed_and_only_a_link_is_queued(db, towns):
    submitted = submit_registration(_input(), address="192.0.2.1")
    registration = submitted.registration
    assert (registration.name, registration.contact_email, registration.description, registration.how_to_join) == (
        "Code for Otaru", "otaru@example.jp", "小樽で", "月1回")
    assert registration.status == "unconfirmed" and registration.decided_at is None
    assert registration.confirmed_at is None
    assert registration.confirm_by - utcnow() <= timedelta(hours=CONFIRM_HOURS)
    assert registration.confirm_by - utcnow() > timedelta(hours=CONFIRM_HOURS - 1)
    # The token is kept only as its hash and sealed: never in plain text, nor in the notice.
    assert submitted.token not in (registration.token_hash, registration.token_sealed)
    assert registration.token_hash == hash_token(submitted.token)
    (notice,) = db.session.scalars(sa.select(Notice)).all()
    assert (notice.kind, notice.email, notice.user_id) == ("community_registration_confirm", "otaru@example.jp", None)
    assert submitted.token not in repr(notice.params)
    event = db.session.scalar(sa.select(AuditEvent))
    assert (event.action, event.actor_label, event.client_address) == (
        "community_registration.submitted", "registrant", "192.0.2.1")
    assert "otaru@example.jp" not in str(event.after)


def test_the_link_sends_the_registration_to_the_queue_once(db, towns, mailbox, deliver):
    submitted = submit_registration(_input())
    assert pending_count(NATIONAL) == 0
    token = confirm_token(mailbox, deliver)
    assert token == submitted.token
    confirmed = confirm_registration(token, address="192.0.2.2")
    db.session.expire_all()
    assert confirmed.status == "pending" and confirmed.confirmed_at is not None
    assert confirmed.token_hash is None and confirmed.token_sealed is None
    assert pending_count(NATIONAL) == 1
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "community_registration.confirmed"))
    assert (event.actor_label, event.client_address, event.after) == ("registrant", "192.0.2.2", {"status": "pending"})
    # The confirmation mail did its work; no second mail (the page says it was received).
    assert db.session.scalar(sa.select(Notice.read_at)) is not None
    deliver()
    assert len(mailbox.to("otaru@example.jp")) == 1
    with pytest.raises(RegistrationRefused) as refused:
        confirm_registration(token)
    assert (refused.value.field, refused.value.reason) == ("token", "link_invalid")


def test_the_only_mail_has_a_fixed_subject_and_quotes_the_name_in_its_body_only(db, towns, mailbox, deliver):
    submit_registration(_input(name=HOSTILE))
    deliver()
    (mail,) = mailbox.to("otaru@example.jp")
    assert mail["Subject"].split(" / ")[-1] == "Confirm your community's registration"
    for piece in ("script", "7*7", "evil.example", "振り込んで", "{{"):
        assert piece not in mail["Subject"]
    body = body_of(mail)
    assert HOSTILE in body and "/communities/register/confirm/" in body  # verbatim: never rendered as a template


def test_an_expired_link_confirms_nothing_and_the_sweep_removes_it(db, towns, mailbox, deliver, clock):
    now = utcnow()
    token = submit_registration(_input()).token
    kept = make_registration(municipality=towns["sapporo"])  # confirmed: never swept
    live = make_registration(municipality=towns["sapporo"], status="unconfirmed")
    live.confirm_by = now + timedelta(hours=CONFIRM_HOURS + 5)
    db.session.commit()
    deliver()  # the confirmation mail went out
    clock(now + timedelta(hours=CONFIRM_HOURS, seconds=1))
    with pytest.raises(RegistrationRefused) as refused:
        confirm_registration(token)
    assert refused.value.reason == "link_expired"
    assert pending_count(NATIONAL) == 1
    assert remove_expired() == 1
    left = db.session.scalars(sa.select(CommunityRegistration.id).order_by(CommunityRegistration.id)).all()
    assert left == [kept.id, live.id]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 0
    event = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "community_registration.expired_removed"))
    assert event.after == {"count": 1}
    assert remove_expired() == 0


def test_the_nightly_sweep_removes_expired_registrations(db, towns, clock):
    from app.queue import sweep_expired_registrations

    submit_registration(_input())
    clock(utcnow() + timedelta(hours=CONFIRM_HOURS + 1))
    sweep_expired_registrations.call_local()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CommunityRegistration)) == 0


def test_an_expired_link_is_not_in_a_late_mail(db, towns, mailbox, deliver, clock):
    now = utcnow()
    submit_registration(_input())
    clock(now + timedelta(hours=CONFIRM_HOURS + 1))
    deliver()
    (mail,) = mailbox.to("otaru@example.jp")
    assert "/communities/register/confirm/" not in body_of(mail) and "too late" in body_of(mail)


@pytest.mark.parametrize("token", ["", "x" * 20, "a" * 200])
def test_an_invalid_link_is_refused(db, towns, token):
    submit_registration(_input())
    with pytest.raises(RegistrationRefused) as refused:
        unconfirmed(token)
    assert refused.value.reason == "link_invalid"


def test_the_queue_the_counts_and_the_duplicate_check_ignore_unconfirmed_registrations(db, towns):
    make_community(municipality=towns["sapporo"], name="Code for Sapporo")
    waiting = make_registration(municipality=towns["sapporo"], name="Code 4 Sapporo")
    hidden = make_registration(municipality=towns["sapporo"], name="CodeForSapporo", status="unconfirmed")
    assert pending_count(NATIONAL) == 1
    assert [r.id for r in registration_page(NATIONAL, page=1, per_page=10).items] == [waiting.id]
    with pytest.raises(ValueError):
        registration_page(NATIONAL, status="unconfirmed", page=1, per_page=10)
    assert get_registration(hidden.id) is None and get_registration(waiting.id) is not None
    found = possible_duplicates([waiting])
    assert [m.other.kind for m in found[waiting.id]] == ["community"]  # not the unconfirmed one
    with pytest.raises(RegistrationRefused) as refused:
        accept_registration(make_user(), hidden)
    assert refused.value.reason == "not_pending"


@pytest.mark.parametrize("decision", ["accepted", "declined"])
def test_the_outcome_mails_have_fixed_subjects(db, towns, mailbox, deliver, decision):
    registration = make_registration(municipality=towns["otaru"], name=HOSTILE, contact_email="o@example.jp")
    if decision == "accepted":
        accept_registration(make_user(), registration)
    else:
        decline_registration(make_user(), registration, "活動が確認できませんでした")
    deliver()
    (mail,) = mailbox.to("o@example.jp")
    subject = mail["Subject"].split(" / ")[-1]
    assert subject == {"accepted": "Your community is listed",
                       "declined": "Your community's registration was declined"}[decision]
    assert HOSTILE in body_of(mail)


def test_the_same_nonce_registers_once(db, towns):
    first = submit_registration(_input())
    again = submit_registration(_input(name="Another name"))
    assert again.registration.id == first.registration.id and again.token is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CommunityRegistration)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 1


@pytest.mark.parametrize(("overrides", "field", "reason"), [
    ({"name": "   "}, "name", "required"),
    ({"name": "x" * 121}, "name", "too_long"),
    ({"municipality_code": "999999"}, "municipality", "unknown"),
    ({"website": "javascript:alert(1)"}, "website", "bad_website"),
    ({"contact_email": ""}, "contact_email", "required"),
    ({"contact_email": "no-at-sign"}, "contact_email", "bad_email"),
    ({"contact_email": "a b@example.jp"}, "contact_email", "bad_email"),
    ({"member_count": -1}, "member_count", "out_of_range"),
    ({"member_count": True}, "member_count", "out_of_range"),
    ({"consent": False}, "consent", "consent_required"),
    ({"how_to_join": "x" * 2001}, "how_to_join", "too_long"),
])
def test_bad_input_is_refused_with_its_field_and_nothing_is_written(db, towns, overrides, field, reason):
    with pytest.raises(RegistrationRefused) as refused:
        submit_registration(_input(**overrides))
    assert (refused.value.field, refused.value.reason) == (field, reason)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CommunityRegistration)) == 0


def test_duplicates_are_found_in_two_queries_whatever_the_number(db, towns, count_queries):
    make_community(municipality=towns["sapporo"], name="Code for Sapporo")
    make_community(municipality=towns["aomori"], name="Code for Sapporo 青森")
    few = [make_registration(municipality=towns["sapporo"], name="CodeForSapporo")]
    many = few + [make_registration(municipality=towns["otaru"], name=f"会{n}") for n in range(20)]
    with count_queries() as one:
        found = possible_duplicates(few)
    with count_queries() as twenty:
        possible_duplicates(many)
    assert one.count == twenty.count == 2
    (match,) = found[few[0].id]
    assert (match.other.kind, match.other.name, match.how) == ("community", "Code for Sapporo", "same")


def test_two_waiting_registrations_of_one_community_flag_each_other(db, towns):
    a = make_registration(municipality=towns["otaru"], name="小樽データ部")
    b = make_registration(municipality=towns["otaru"], name="小樽 データ部")
    found = possible_duplicates([a, b])
    assert [m.other.id for m in found[a.id]] == [b.id] and [m.other.id for m in found[b.id]] == [a.id]


def test_accepting_creates_a_listed_active_community_at_its_town(db, towns):
    coordinator = make_user()
    registration = make_registration(municipality=towns["otaru"], name="小樽の会", website="https://o.example.jp/")
    community = accept_registration(coordinator, registration)
    assert community.public and community.status == "active" and community.location_source == "municipality"
    assert [h.status for h in community.status_history] == ["active"]
    assert registration.status == "accepted" and registration.community_id == community.id
    kinds = db.session.scalars(sa.select(Notice.kind)).all()
    assert kinds == ["community_registration_accepted"]
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert actions == {"community.created", "community_registration.accepted"}


def test_merging_updates_only_what_the_registration_gives(db, towns):
    coordinator = make_user()
    known = make_community(municipality=towns["sapporo"], name="Code for Sapporo", website="https://old.example.jp/",
                           description="昔からの説明", member_count=30, contact_email=None)
    registration = make_registration(municipality=towns["sapporo"], name="Code4Sapporo", website=None,
                                      description="", how_to_join="Slackへ", member_count=0,
                                      contact_email="new@example.jp")
    community = accept_registration(coordinator, registration, merge_into=known)
    assert community.id == known.id and known.public
    assert (known.website, known.description, known.member_count, known.how_to_join) == (
        "https://old.example.jp/", "昔からの説明", 30, "Slackへ")
    assert known.contact_email == "new@example.jp"  # it had none
    assert known.name == "Code for Sapporo"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Community)) == 1


def test_a_decision_is_taken_once(db, towns):
    coordinator = make_user()
    registration = make_registration(municipality=towns["otaru"])
    decline_registration(coordinator, registration, "  活動が確認できませんでした ")
    assert registration.decline_reason == "活動が確認できませんでした"
    with pytest.raises(RegistrationRefused) as refused:
        accept_registration(coordinator, registration)
    assert refused.value.reason == "not_pending"
    with pytest.raises(RegistrationRefused):
        decline_registration(coordinator, registration, "again")


def test_declining_needs_a_reason(db, towns):
    registration = make_registration(municipality=towns["otaru"])
    with pytest.raises(RegistrationRefused) as refused:
        decline_registration(make_user(), registration, "   ")
    assert (refused.value.field, refused.value.reason) == ("reason", "required")
    assert registration.status == "pending"


def test_pending_count_follows_the_regions(db, towns):
    make_registration(municipality=towns["aomori"])
    make_registration(municipality=towns["sapporo"])
    make_registration(municipality=towns["sapporo"], status="declined", decided_at=sa.func.now())
    assert pending_count(NATIONAL) == 2
    assert pending_count(RegionScope(frozenset({"tohoku"}))) == 1


def test_the_directory_hands_its_pages_public_fields_only(db, towns):
    listed = make_community(municipality=towns["sapporo"], public=True, member_count=0,
                            contact_email="c@example.jp", address="住所", lat=43.5, lon=141.9)
    hidden = make_community(municipality=towns["otaru"])
    page = directory_page(DirectoryFilters(), page=1, per_page=10)
    assert [c.id for c in page.items] == [listed.id]
    fields = {f.name for f in dataclasses.fields(PublicCommunity)}
    assert not fields & {"contact_email", "address", "evangelists", "location_source"}
    shown = page.items[0]
    # Placed at its municipality's office, not at its own (maybe geocoded) point.
    assert (shown.lat, shown.lon) == (towns["sapporo"].lat, towns["sapporo"].lon)
    assert shown.member_band is None
    assert public_community(hidden.id) is None and public_community(listed.id) == shown
