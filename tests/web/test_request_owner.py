"""Issue 20, point 2 (first part): a request has an owning coordinator. Whoever first moves
it out of "new" (triage, or a proposal straight from "new") owns it; the owner can be taken
("Take it") or given to another active coordinator or admin, or to nobody; every change is
audited and reads as a sentence with names; the queue filters by owner."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, SupportRequest
from app.services import ownership
from app.services.ownership import OwnerRefused, change_owner
from tests.factories import make_evangelist, make_request

HOSTILE = "<script>alert(1)</script>{{7*7}}{{"


def owner_events(db, request_id: int) -> list[AuditEvent]:
    return list(db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.entity_type == "support_request", AuditEvent.entity_id == request_id)
        .order_by(AuditEvent.id)))


@pytest.fixture
def staff(signed_in_client, make_account):
    client, me = signed_in_client("coordinator", display_name="山田 花子")
    colleague = make_account("coordinator", display_name="佐藤 次郎")
    return client, me, colleague


def test_triage_makes_the_coordinator_the_owner_and_says_so_in_the_history(staff, db, towns):
    client, me, _colleague = staff
    request = make_request(municipality=towns["tobetsu"])
    db.session.commit()
    client.post(f"/coordinator/requests/{request.id}/triage")
    db.session.refresh(request)
    assert request.status == "triaged" and request.owner_id == me.id
    triaged = [e for e in owner_events(db, request.id) if e.action == "request.triaged"][0]
    assert triaged.after == {"status": "triaged", "owner": me.id}
    client.set_cookie("lang", "ja")
    html = client.get(f"/coordinator/requests/{request.id}").get_data(as_text=True)
    owner_card = html.split('id="owner-heading"')[1].split("</section>")[0]
    assert "山田 花子" in owner_card
    history = html.split(">履歴<")[1]
    assert "担当" in history and "山田 花子" in history  # the owner field by name, not #id


def test_a_proposal_straight_from_new_sets_the_owner_and_triage_keeps_an_existing_one(staff, db, towns):
    client, me, colleague = staff
    person = make_evangelist(home_municipality=towns["sapporo"], lat=towns["sapporo"].lat, lon=towns["sapporo"].lon)
    fresh = make_request(municipality=towns["tobetsu"], preferred_mode="either")
    owned = make_request(municipality=towns["sapporo"], owner=colleague)
    db.session.commit()
    client.post(f"/coordinator/requests/{fresh.id}/assign", data={"evangelist_id": person.id, "confirmed": "1"})
    client.post(f"/coordinator/requests/{owned.id}/triage")
    db.session.refresh(fresh)
    db.session.refresh(owned)
    assert fresh.status == "assigned" and fresh.owner_id == me.id
    assigned = [e for e in owner_events(db, fresh.id) if e.action == "request.assigned"][0]
    assert assigned.after == {"status": "assigned", "owner": me.id}
    assert owned.status == "triaged" and owned.owner_id == colleague.id


def test_take_it_and_give_it_to_a_colleague_each_audited_with_before_and_after(staff, db, towns):
    client, me, colleague = staff
    request = make_request(municipality=towns["tobetsu"], status="triaged", owner=colleague)
    db.session.commit()
    client.set_cookie("lang", "ja")
    taken = client.post(f"/coordinator/requests/{request.id}/owner/take", follow_redirects=True)
    assert f"受付番号 {request.id} の依頼を受け持ちました" in taken.get_data(as_text=True)
    db.session.refresh(request)
    assert request.owner_id == me.id
    given = client.post(f"/coordinator/requests/{request.id}/owner", data={"owner": str(colleague.id)},
                        follow_redirects=True)
    assert f"佐藤 次郎 さんが受付番号 {request.id} の依頼の担当コーディネーターになりました" in given.get_data(as_text=True)
    cleared = client.post(f"/coordinator/requests/{request.id}/owner", data={"owner": ""}, follow_redirects=True)
    assert f"受付番号 {request.id} の依頼の担当コーディネーターは未定になりました" in cleared.get_data(as_text=True)
    db.session.refresh(request)
    assert request.owner_id is None
    changes = [(e.before, e.after) for e in owner_events(db, request.id) if e.action == "request.owner_changed"]
    assert changes == [({"owner": colleague.id}, {"owner": me.id}), ({"owner": me.id}, {"owner": colleague.id}),
                       ({"owner": colleague.id}, {"owner": None})]
    html = client.get(f"/coordinator/requests/{request.id}").get_data(as_text=True)
    assert "山田 花子 が依頼の担当コーディネーターを変更しました" in html


def test_only_active_staff_can_own_and_a_refusal_keeps_the_page(staff, db, towns, make_account):
    client, me, colleague = staff
    evangelist_user = make_account("evangelist", display_name="伝道 一郎")
    gone = make_account("coordinator", display_name="退職 三郎", is_active=False)
    request = make_request(municipality=towns["tobetsu"], status="triaged", owner=colleague)
    db.session.commit()
    client.set_cookie("lang", "ja")
    page = client.get(f"/coordinator/requests/{request.id}").get_data(as_text=True)
    options = page.split('name="owner"')[1].split("</select>")[0]
    assert "佐藤 次郎" in options and "山田 花子" in options
    assert "伝道 一郎" not in options and "退職 三郎" not in options
    for who in (evangelist_user.id, gone.id, "abc"):
        answer = client.post(f"/coordinator/requests/{request.id}/owner", data={"owner": str(who)})
        assert answer.status_code == 422
        assert 'aria-invalid="true"' in answer.get_data(as_text=True).split('name="owner"')[0][-400:] + \
            answer.get_data(as_text=True).split('name="owner"')[1][:200]
    with pytest.raises(OwnerRefused) as refused:
        change_owner(me, request, gone.id)
    assert refused.value.reason == "not_staff"
    with pytest.raises(OwnerRefused) as refused:
        change_owner(me, request, colleague.id)
    assert refused.value.reason == "unchanged"
    db.session.refresh(request)
    assert request.owner_id == colleague.id
    assert not [e for e in owner_events(db, request.id) if e.action == "request.owner_changed"]


def test_the_queue_filters_mine_and_nobodys_and_names_the_owner(staff, db, towns):
    client, me, colleague = staff
    mine = make_request(municipality=towns["tobetsu"], status="triaged", owner=me)
    theirs = make_request(municipality=towns["sapporo"], status="triaged", owner=colleague)
    nobodys = make_request(municipality=towns["aomori"])
    db.session.commit()

    def numbers(owner: str) -> set[int]:
        html = client.get(f"/coordinator/requests?owner={owner}").get_data(as_text=True)
        return {r.id for r in (mine, theirs, nobodys) if f"/coordinator/requests/{r.id}\"" in html}

    assert numbers("") == {mine.id, theirs.id, nobodys.id}
    assert numbers("mine") == {mine.id}
    assert numbers("none") == {nobodys.id}
    client.set_cookie("lang", "ja")
    html = client.get("/coordinator/requests").get_data(as_text=True)
    assert "担当コーディネーター：佐藤 次郎" in html and "担当コーディネーター未定" in html


def test_an_evangelist_cannot_change_the_owner(signed_in_client, db, towns):
    client, _user = signed_in_client("evangelist")
    request = make_request(municipality=towns["tobetsu"], status="triaged")
    db.session.commit()
    for url in (f"/coordinator/requests/{request.id}/owner", f"/coordinator/requests/{request.id}/owner/take"):
        assert client.post(url, data={"owner": ""}).status_code in (302, 403)
    db.session.refresh(request)
    assert request.owner_id is None


def test_a_hostile_display_name_shows_as_text(signed_in_client, db, towns, make_account):
    client, _me = signed_in_client("coordinator")
    villain = make_account("coordinator", display_name=HOSTILE)
    request = make_request(municipality=towns["tobetsu"], status="triaged", owner=villain)
    db.session.commit()
    for url in (f"/coordinator/requests/{request.id}", "/coordinator/requests"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;{{7*7}}{{" in html


def test_the_service_refuses_anyone_but_active_staff(db, make_account, towns):
    request = make_request(municipality=towns["tobetsu"])
    evangelist_user = make_account("evangelist")
    db.session.commit()
    assert not ownership.may_own(evangelist_user)
    assert ownership.claim_if_unowned(evangelist_user, request) == {}
    assert ownership.claim_if_unowned("municipality", request) == {}
    assert db.session.get(SupportRequest, request.id).owner_id is None
