"""Communities in public, the services (app/services/community_registrations.py and
community_directory.py): what a registration refuses, duplicates in a fixed number of
queries, accepting, merging and declining, and what the directory hands to its pages."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, Community, CommunityRegistration, Notice
from app.services.community_directory import (
    DirectoryFilters,
    PublicCommunity,
    directory_page,
    public_community,
)
from app.services.community_registrations import (
    RegistrationInput,
    RegistrationRefused,
    accept_registration,
    decline_registration,
    pending_count,
    possible_duplicates,
    submit_registration,
)
from app.services.regions import NATIONAL, RegionScope
from tests.factories import make_community, make_places, make_registration, make_user


@pytest.fixture
def towns(db):
    return make_places("sapporo", "otaru", "aomori")


def _input(**overrides) -> RegistrationInput:
    fields = dict(name="  Code   for Otaru ", municipality_code="012033", contact_email=" otaru@example.jp ",
                  consent=True, website="https://code4otaru.example.jp/", description=" 小樽で ",
                  how_to_join=" 月1回 ", member_count=8, nonce="nonce-1")
    fields.update(overrides)
    return RegistrationInput(**fields)


def test_a_registration_is_stored_cleaned_audited_and_a_receipt_is_queued(db, towns):
    registration = submit_registration(_input(), address="192.0.2.1")
    assert (registration.name, registration.contact_email, registration.description, registration.how_to_join) == (
        "Code for Otaru", "otaru@example.jp", "小樽で", "月1回")
    assert registration.status == "pending" and registration.decided_at is None
    (notice,) = db.session.scalars(sa.select(Notice)).all()
    assert (notice.kind, notice.email, notice.user_id) == ("community_registration_received", "otaru@example.jp", None)
    event = db.session.scalar(sa.select(AuditEvent))
    assert (event.action, event.actor_label, event.client_address) == (
        "community_registration.submitted", "registrant", "192.0.2.1")
    assert "otaru@example.jp" not in str(event.after)


def test_the_same_nonce_registers_once(db, towns):
    first = submit_registration(_input())
    again = submit_registration(_input(name="Another name"))
    assert again.id == first.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CommunityRegistration)) == 1


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
