"""The database itself rejects rows that break the domain's rules."""

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError

from tests.factories import (
    make_assignment,
    make_community,
    make_evangelist,
    make_municipality,
    make_outcome,
    make_prefecture,
    make_request,
    make_user,
    make_visit,
)


def rejected(db, make):
    with pytest.raises((IntegrityError, StatementError, LookupError)):
        make()
        db.session.flush()
    db.session.rollback()


def raw_insert_rejected(db, sql, **params):
    with pytest.raises(IntegrityError):
        db.session.execute(sa.text(sql), params)
        db.session.flush()
    db.session.rollback()


def test_municipality_codes_are_unique(db):
    make_municipality(code="011002")
    rejected(db, lambda: make_municipality(code="011002"))


@pytest.mark.parametrize(
    "overrides",
    [
        {"code": "01100"},  # five digits: no check digit
        {"lat": 10.0},  # outside Japan
        {"lon": 160.0},
    ],
)
def test_municipality_rows_outside_the_rules_are_rejected(db, overrides):
    rejected(db, lambda: make_municipality(**overrides))


@pytest.mark.parametrize(
    ("column", "value"),
    [("kind", "hamlet"), ("open_data_status", "maybe"), ("engagement_stage", "done")],
)
def test_enumerated_municipality_columns_reject_unknown_values_in_the_database(db, column, value):
    town = make_municipality()
    db.session.commit()
    raw_insert_rejected(db, f"UPDATE municipalities SET {column} = :v WHERE id = :id", v=value, id=town.id)


def test_enumerated_columns_reject_unknown_values_in_python_too(db):
    rejected(db, lambda: make_municipality(kind="hamlet"))


def test_foreign_keys_are_enforced(db):
    make_prefecture()
    db.session.commit()
    raw_insert_rejected(
        db,
        "INSERT INTO municipalities (code, prefecture_id, name, name_kana, kind, lat, lon, "
        "open_data_status, engagement_stage, created_at, updated_at) VALUES "
        "('011002', 9999, 'x', 'x', 'city', 43, 141, 'active', 'none', '2026-01-01', '2026-01-01')",
    )


def test_user_emails_are_unique_and_lower_case(db):
    make_user(email="a@example.jp")
    rejected(db, lambda: make_user(email="a@example.jp"))
    rejected(db, lambda: make_user(email="Upper@example.jp"))
    rejected(db, lambda: make_user(role="superuser"))


@pytest.mark.parametrize(
    "overrides",
    [{"capacity": -1}, {"capacity": 21}, {"travel_radius_km": 0}, {"status": "sleeping"}, {"age_band": "ancient"}],
)
def test_evangelist_rows_outside_the_rules_are_rejected(db, overrides):
    rejected(db, lambda: make_evangelist(**overrides))


def test_an_active_evangelist_must_have_an_account_but_a_candidate_need_not(db):
    make_evangelist(status="candidate", user=None)
    db.session.commit()
    rejected(db, lambda: make_evangelist(status="active", user=None))


def test_a_user_is_linked_to_at_most_one_evangelist(db):
    user = make_user(role="evangelist")
    make_evangelist(user=user)
    rejected(db, lambda: make_evangelist(user=user))


def test_community_member_count_cannot_be_negative(db):
    rejected(db, lambda: make_community(member_count=-5))


def test_a_declined_request_needs_a_reason(db):
    rejected(db, lambda: make_request(status="declined"))
    make_request(status="declined", decline_reason="重複")


def test_request_token_hashes_are_unique(db):
    make_request(token_hash="a" * 64)
    rejected(db, lambda: make_request(token_hash="a" * 64))


def test_an_evangelist_has_one_live_assignment_per_request_but_may_be_proposed_again_after_declining(db):
    request, evangelist = make_request(), make_evangelist()
    first = make_assignment(request=request, evangelist=evangelist)
    rejected(db, lambda: make_assignment(request=request, evangelist=evangelist))
    request, evangelist = make_request(), make_evangelist()
    first = make_assignment(request=request, evangelist=evangelist, status="declined", decline_reason="都合がつかない")
    make_assignment(request=request, evangelist=evangelist)
    assert first.status == "declined"


@pytest.mark.parametrize("overrides", [{"score": 1.5}, {"score": -0.1}, {"distance_km": -1}])
def test_assignment_score_and_distance_are_bounded(db, overrides):
    request, evangelist = make_request(), make_evangelist()
    rejected(db, lambda: make_assignment(request=request, evangelist=evangelist, **overrides))


@pytest.mark.parametrize("overrides", [{"duration_minutes": 0}, {"attendee_count": -1}, {"mode": "either"}])
def test_visit_rows_outside_the_rules_are_rejected(db, overrides):
    rejected(db, lambda: make_visit(**overrides))


@pytest.mark.parametrize(
    ("kind", "count", "ok"),
    [
        ("datasets_published", 12, True),
        ("datasets_published", None, False),
        ("datasets_published", 0, False),
        ("open_data_published", None, True),
        ("open_data_published", 3, False),
    ],
)
def test_only_datasets_published_carries_a_positive_count(db, kind, count, ok):
    visit = make_visit()

    def make():
        make_outcome(visit=visit, type=kind, count=count)

    if ok:
        make()
    else:
        rejected(db, make)
