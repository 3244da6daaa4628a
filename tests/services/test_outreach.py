"""Outreach cases (app/services/outreach.py): opening (one open case per town, also when
two coordinators open it at once; only non-active towns; regions), logging contacts, the
town's engagement stage ("none" is no request and no outreach), turning a case into a
request with the town's consent, the bulk opening (all or nothing) and the funnel."""

from __future__ import annotations

import threading
from datetime import date

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, OutreachCase, SupportRequest, UserRegion
from app.services import outreach
from app.services.outreach import Consent, ContactEntry, OutreachRefused
from evangelists.lifecycle import TransitionRefused
from tests.factories import make_evangelist, make_municipality, make_prefecture, make_request, make_user

TODAY = date(2026, 4, 10)


@pytest.fixture
def staff(db):
    user = make_user(role="coordinator")
    db.session.commit()
    return user


def events(action):
    from app.extensions import db
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def contact(**overrides):
    fields = dict(contacted_on=TODAY, channel="phone", outcome="interested", person_name="山田 花子",
                  department="企画課", phone="+81312345678", email="yamada@example.jp", answer="前向きです",
                  next_step="資料を送る", next_on=date(2026, 4, 20))
    fields.update(overrides)
    return ContactEntry(**fields)


def test_opening_a_case_moves_the_town_to_outreach_and_is_audited(db, staff):
    town = make_municipality()
    db.session.commit()
    opened = outreach.open_case(staff, town)
    assert opened.created and opened.case.status == "planned" and opened.case.owner_id == staff.id
    assert town.engagement_stage == "outreach"
    assert [e.entity_id for e in events("outreach.opened")] == [opened.case.id]


def test_a_town_publishing_open_data_or_with_an_open_request_gets_no_case(db, staff):
    active = make_municipality(open_data_status="active")
    asked = make_municipality()
    request = make_request(municipality=asked)
    db.session.commit()
    with pytest.raises(OutreachRefused) as refused:
        outreach.open_case(staff, active)
    assert refused.value.reason == "already_active"
    with pytest.raises(OutreachRefused) as refused:
        outreach.open_case(staff, asked)
    assert refused.value.reason == "has_request" and refused.value.params["number"] == request.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutreachCase)) == 0


def test_opening_twice_gives_the_one_case(db, staff):
    town = make_municipality()
    db.session.commit()
    first = outreach.open_case(staff, town)
    second = outreach.open_case(make_user(), town)
    assert not second.created and second.case.id == first.case.id


def test_the_database_refuses_a_second_open_case_for_a_town(db, staff):
    town = make_municipality()
    db.session.commit()
    outreach.open_case(staff, town)
    db.session.add(OutreachCase(municipality=town, status="contacted"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_two_coordinators_opening_a_town_at_once_get_one_case(app, db, staff):
    town = make_municipality()
    other = make_user()
    db.session.commit()
    ids = {"town": town.id, "users": [staff.id, other.id]}
    barrier = threading.Barrier(2)
    results, errors = [], []

    def open_it(user_id):
        with app.app_context():
            from app.extensions import db as session_db
            from app.models import Municipality, User
            user = session_db.session.get(User, user_id)
            municipality = session_db.session.get(Municipality, ids["town"])
            barrier.wait()
            try:
                results.append(outreach.open_case(user, municipality).case.id)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                session_db.session.remove()

    if db.engine.dialect.name == "sqlite" and db.engine.url.database in (None, "", ":memory:"):
        pytest.skip("an in-memory SQLite database is one connection")
    threads = [threading.Thread(target=open_it, args=(uid,)) for uid in ids["users"]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(results)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutreachCase)) == 1


def test_logging_contacts_moves_the_case_and_keeps_the_funnel_dates(db, staff):
    town = make_municipality()
    db.session.commit()
    case = outreach.open_case(staff, town).case
    outreach.log_contact(staff, case, contact(outcome="contacted", contacted_on=date(2026, 4, 1)), today=TODAY)
    assert case.status == "contacted" and case.contacted_on == date(2026, 4, 1) and case.interested_on is None
    outreach.log_contact(staff, case, contact(), today=TODAY)
    assert case.status == "interested" and case.interested_on == TODAY
    assert case.next_step == "資料を送る" and case.next_on == date(2026, 4, 20)
    logged = events("outreach.contact_logged")
    assert len(logged) == 2 and logged[1].after["status"] == "interested"
    assert "山田" not in str(logged[1].after)  # personal data stays out of the audit log


def test_a_contact_in_the_future_or_on_a_closed_case_is_refused(db, staff):
    town = make_municipality()
    db.session.commit()
    case = outreach.open_case(staff, town).case
    with pytest.raises(OutreachRefused) as refused:
        outreach.log_contact(staff, case, contact(contacted_on=date(2026, 4, 11)), today=TODAY)
    assert refused.value.field == "contacted_on"
    outreach.close_case(staff, case, "町長が交代するまで待つ", today=TODAY)
    assert case.status == "closed" and town.engagement_stage == "none"
    with pytest.raises(OutreachRefused) as refused:
        outreach.log_contact(staff, case, contact(), today=TODAY)
    assert refused.value.reason == "closed"


def test_a_declined_case_puts_the_town_back_to_no_contact(db, staff):
    town = make_municipality()
    db.session.commit()
    case = outreach.open_case(staff, town).case
    outreach.log_contact(staff, case, contact(outcome="declined"), today=TODAY)
    assert case.status == "declined" and town.engagement_stage == "none"
    # A later approach is a new case.
    assert outreach.open_case(staff, town).created


def test_turning_into_a_request_records_consent_and_links_both_ways(db, staff, mailbox):
    town = make_municipality()
    db.session.commit()
    case = outreach.open_case(staff, town).case
    consent = Consent(given=True, by="山田 花子", how="phone", on=TODAY)
    with pytest.raises(OutreachRefused) as refused:
        outreach.turn_into_request(staff, case, consent, today=TODAY)
    assert refused.value.reason == "contact_required"
    outreach.log_contact(staff, case, contact(), today=TODAY)
    with pytest.raises(OutreachRefused) as refused:
        outreach.turn_into_request(staff, case, Consent(False, "山田 花子", "phone", TODAY), today=TODAY)
    assert refused.value.field == "consent"
    made = outreach.turn_into_request(staff, case, consent, today=TODAY)
    assert made.source == "outreach" and made.contact_name == "山田 花子" and made.phone == "+81312345678"
    assert made.received_on == TODAY and made.recorded_by_id == staff.id
    assert case.status == "request" and case.request_id == made.id and case.consent_by == "山田 花子"
    assert town.engagement_stage == "requested"
    assert [e.after["request"] for e in events("outreach.turned_into_request")] == [made.id]
    assert [e.after["source"] for e in events("request.recorded")] == ["outreach"]
    # The same click again: the one request.
    assert outreach.turn_into_request(staff, case, consent, today=TODAY).id == made.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportRequest)) == 1


def test_only_the_evangelist_asked_may_add_a_note(db, staff):
    town = make_municipality()
    helper_user = make_user(role="evangelist")
    helper = make_evangelist(user=helper_user)
    stranger = make_user(role="evangelist")
    db.session.commit()
    case = outreach.open_case(staff, town).case
    outreach.update_case(staff, case, outreach.CaseDetails(owner=staff, evangelist=helper, community=None,
                                                           ask="役場に電話してください"))
    assert outreach.cases_for_evangelist(helper) == [case]
    with pytest.raises(OutreachRefused) as refused:
        outreach.helper_note(stranger, case, reached_out=True, channel="phone", note="x", today=TODAY)
    assert refused.value.reason == "not_yours"
    outreach.helper_note(helper_user, case, reached_out=True, channel="visit", note="訪問しました", today=TODAY)
    assert case.status == "contacted" and case.contacts[-1].recorded_by_id == helper_user.id
    assert [e.action for e in events("outreach.updated")] == ["outreach.updated"]


def test_a_regional_coordinator_acts_only_in_their_regions(db):
    hokkaido = make_municipality(prefecture=make_prefecture(code="01"))
    kyushu = make_municipality(prefecture=make_prefecture(code="40", name_ja="福岡県", name_kana="フクオカケン",
                                                          name_en="Fukuoka", region="kyushu"))
    regional = make_user()
    regional.region_rows = [UserRegion(region="hokkaido")]
    national = make_user()
    db.session.commit()
    with pytest.raises(OutreachRefused) as refused:
        outreach.open_case(regional, kyushu)
    assert refused.value.reason == "out_of_region"
    mine = outreach.open_case(regional, hokkaido).case
    theirs = outreach.open_case(national, kyushu).case
    from app.services.regions import scope_of
    listed = list(db.session.scalars(outreach.case_list(scope_of(regional), outreach.CaseFilters())))
    assert listed == [mine]
    assert [c.id for c in outreach.map_cases(scope_of(regional))] == [mine.id]
    assert outreach.funnel(scope_of(regional)).cases == 1 and outreach.funnel(scope_of(national)).cases == 2
    with pytest.raises(OutreachRefused):
        outreach.log_contact(regional, theirs, contact(), today=TODAY)
    other = make_municipality(prefecture=hokkaido.prefecture)
    db.session.commit()
    result = outreach.bulk_open(regional, [other.code, kyushu.code], nonce="n1")
    assert not result.applied and [(r.code, r.refused.reason) for r in result.refused] == [(kyushu.code, "out_of_region")]


def test_bulk_opening_is_all_or_nothing_and_runs_once(db, staff):
    towns = [make_municipality() for _ in range(3)]
    active = make_municipality(open_data_status="active")
    db.session.commit()
    codes = [t.code for t in towns]
    refused = outreach.bulk_open(staff, [*codes, active.code], nonce="run-1")
    assert not refused.applied and [r.code for r in refused.refused] == [active.code]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutreachCase)) == 0
    done = outreach.bulk_open(staff, codes, nonce="run-2")
    assert done.applied and len(done.rows) == 3 and len(events("outreach.opened")) == 3
    again = outreach.bulk_open(staff, codes, nonce="run-2")
    assert again.applied and [r.case_id for r in again.rows] == [r.case_id for r in done.rows]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutreachCase)) == 3
    with pytest.raises(OutreachRefused) as nothing:
        outreach.bulk_open(staff, [], nonce="run-3")
    assert nothing.value.reason == "nothing_chosen"


def test_the_funnel_counts_each_step(db, staff):
    a, b, c = make_municipality(), make_municipality(), make_municipality()
    db.session.commit()
    for town in (a, b, c):
        outreach.open_case(staff, town)
    case_a = outreach.open_case(staff, a).case
    outreach.log_contact(staff, case_a, contact(), today=TODAY)
    outreach.turn_into_request(staff, case_a, Consent(True, "山田 花子", "phone", TODAY), today=TODAY)
    case_b = outreach.open_case(staff, b).case
    outreach.log_contact(staff, case_b, contact(outcome="contacted"), today=TODAY)
    a.open_data_status, a.open_data_since = "active", date(2099, 1, 1)
    db.session.commit()
    f = outreach.funnel()
    assert (f.cases, f.contacted, f.interested, f.request, f.active) == (3, 2, 1, 1, 1)


def test_an_illegal_move_is_refused_by_the_lifecycle(db, staff):
    town = make_municipality()
    db.session.commit()
    case = outreach.open_case(staff, town).case
    outreach.close_case(staff, case, "不要", today=TODAY)
    with pytest.raises((OutreachRefused, TransitionRefused)):
        outreach.close_case(staff, case, "again", today=TODAY)
