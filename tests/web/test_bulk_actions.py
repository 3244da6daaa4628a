"""Issue 20, point 4: bulk actions on the request queue. Tick rows (or every row matching
the filters), choose triage, decline with one reason, one message or an owner; a page lists
them and says what will happen; confirmed, it is one transaction: all or nothing, each row
audited by its own event, the outcome per row on the page."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, Notice, RequestMessage, SupportRequest
from app.services.bulk import BulkRefused, bulk_apply
from evangelists.limits import BULK_ROWS_MAX
from tests.factories import make_request

HOSTILE = "<script>alert(1)</script>{{7*7}}{{"


def events(db, action: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


@pytest.fixture
def staff(signed_in_client, make_account):
    client, me = signed_in_client("coordinator", display_name="山田 花子")
    client.set_cookie("lang", "ja")
    return client, me, make_account("coordinator", display_name="佐藤 次郎")


_runs = iter(range(1, 10**6))


def form(action: str, ids, **extra) -> dict:
    """The bulk form's fields; a confirmed post carries the review page's one-time run."""
    if extra.get("confirmed") == "1" and "run" not in extra:
        extra["run"] = f"run-{next(_runs)}"
    return {"action": action, "ids": [str(i) for i in ids], **extra}


def test_five_requests_triaged_at_once_after_a_review_each_audited(staff, db, towns):
    client, me, _colleague = staff
    rows = [make_request(municipality=towns["tobetsu"]) for _ in range(5)]
    other = make_request(municipality=towns["sapporo"])
    db.session.commit()
    ids = [r.id for r in rows]
    review = client.post("/coordinator/requests/bulk", data=form("triage", ids))
    html = review.get_data(as_text=True)
    assert review.status_code == 200 and "5 件の依頼を確認済みにしますか？" in html
    assert all(f"/coordinator/requests/{i}\"" in html for i in ids) and f"/coordinator/requests/{other.id}\"" not in html
    assert events(db, "request.triaged") == 0  # nothing yet
    done = client.post("/coordinator/requests/bulk", data=form("triage", ids, confirmed="1"))
    assert done.status_code == 302  # the outcome has its own page: a reload does not run it again
    shown = client.get(done.headers["Location"])
    assert shown.status_code == 200 and "5 件の依頼について完了しました" in shown.get_data(as_text=True)
    for r in rows:
        db.session.refresh(r)
        assert r.status == "triaged" and r.owner_id == me.id
    assert events(db, "request.triaged") == 5
    assert db.session.get(SupportRequest, other.id).status == "new"


def test_one_row_that_cannot_take_it_rolls_back_all_and_is_named(staff, db, towns):
    client, _me, _colleague = staff
    fine = [make_request(municipality=towns["tobetsu"]) for _ in range(3)]
    closed = make_request(municipality=towns["sapporo"], status="completed")
    db.session.commit()
    ids = [*(r.id for r in fine), closed.id]
    answer = client.post("/coordinator/requests/bulk",
                         data=form("decline", ids, reason="今年度は対象外です", confirmed="1"))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 409 and "変更はありません" in html
    refused_row = html.split(f"#{closed.id} ")[1].split("</tr>")[0]
    assert "table-danger" in html.split(f"#{closed.id} ")[0][-300:]
    assert "この依頼は終了しているため、状態を変更できません。" in refused_row  # says why
    assert {db.session.get(SupportRequest, r.id).status for r in fine} == {"new"}
    assert events(db, "request.declined") == 0
    # The retry form carries the three others, to be reviewed again.
    retry = html.split('name="ids" value="')[1:]
    assert sorted(int(v.split('"')[0]) for v in retry) == sorted(r.id for r in fine)


def test_all_matching_the_filters_takes_every_row_of_the_filter_not_only_the_page(staff, db, towns):
    client, _me, _colleague = staff
    hokkaido = [make_request(municipality=towns["tobetsu"]) for _ in range(3)]
    aomori = make_request(municipality=towns["aomori"])
    db.session.commit()
    review = client.post("/coordinator/requests/bulk?prefecture=01", data={"action": "triage", "all_matching": "y"})
    html = review.get_data(as_text=True)
    assert "3 件の依頼を確認済みにしますか？" in html
    assert all(f'name="ids" value="{r.id}"' in html for r in hokkaido) and f'value="{aomori.id}"' not in html


def test_one_message_to_many_towns_each_with_its_own_thread_and_mail(staff, db, towns):
    client, _me, _colleague = staff
    rows = [make_request(municipality=towns["tobetsu"], status="triaged") for _ in range(3)]
    db.session.commit()
    text = "年末年始は 12/29〜1/3 の間お休みします。"
    client.post("/coordinator/requests/bulk", data=form("message", [r.id for r in rows], body=text, confirmed="1"))
    bodies = db.session.scalars(sa.select(RequestMessage.body)).all()
    assert bodies == [text] * 3
    assert events(db, "request.message_added") == 3
    to_towns = db.session.scalar(sa.select(sa.func.count()).select_from(Notice).where(Notice.kind == "message_to_town"))
    assert to_towns == 3


def test_set_owner_for_many_where_one_already_has_that_owner(staff, db, towns):
    client, _me, colleague = staff
    theirs = make_request(municipality=towns["tobetsu"], status="triaged", owner=colleague)
    free = make_request(municipality=towns["tobetsu"], status="triaged")
    db.session.commit()
    done = client.post("/coordinator/requests/bulk",
                       data=form("owner", [theirs.id, free.id], owner=str(colleague.id), confirmed="1"),
                       follow_redirects=True)
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "すでにその状態です" in html
    assert db.session.get(SupportRequest, free.id).owner_id == colleague.id
    assert events(db, "request.owner_changed") == 1


def test_bad_input_is_said_on_the_queue_and_keeps_the_ticks_and_the_text(staff, db, towns):
    client, _me, _colleague = staff
    rows = [make_request(municipality=towns["tobetsu"]) for _ in range(2)]
    db.session.commit()
    nothing = client.post("/coordinator/requests/bulk", data={"action": "triage"})
    assert nothing.status_code == 422 and "依頼を1件以上選ぶか" in nothing.get_data(as_text=True)
    no_reason = client.post("/coordinator/requests/bulk", data=form("decline", [rows[0].id], body="残す文章"))
    html = no_reason.get_data(as_text=True)
    assert no_reason.status_code == 422 and "自治体への理由を書いてください。" in html
    assert f'value="{rows[0].id}" id="pick-{rows[0].id}" checked' in html
    assert f'value="{rows[1].id}" id="pick-{rows[1].id}" aria-label' in html  # not ticked
    assert "残す文章" in html
    no_action = client.post("/coordinator/requests/bulk", data={"ids": [str(rows[0].id)]})
    assert no_action.status_code == 422 and "依頼をどうするか選んでください。" in no_action.get_data(as_text=True)
    junk = client.post("/coordinator/requests/bulk", data={"action": "triage", "ids": ["x1"]})
    assert junk.status_code == 422
    gone = client.post("/coordinator/requests/bulk", data=form("triage", [2_000_000_000]))
    assert gone.status_code == 422 and "2000000000" in gone.get_data(as_text=True)
    assert events(db, "request.triaged") == 0


def test_hostile_text_shows_as_text_on_the_review_and_the_result(staff, db, towns):
    client, _me, _colleague = staff
    request = make_request(municipality=towns["tobetsu"], status="triaged")
    db.session.commit()
    for data in (form("decline", [request.id], reason=HOSTILE), form("message", [request.id], body=HOSTILE)):
        html = client.post("/coordinator/requests/bulk", data=data).get_data(as_text=True)
        assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;{{7*7}}{{" in html
    done = client.post("/coordinator/requests/bulk", data=form("message", [request.id], body=HOSTILE, confirmed="1"))
    assert "<script>alert(1)" not in done.get_data(as_text=True)


def test_an_evangelist_cannot_act_in_bulk(signed_in_client, db, towns):
    client, _user = signed_in_client("evangelist")
    request = make_request(municipality=towns["tobetsu"])
    db.session.commit()
    answer = client.post("/coordinator/requests/bulk", data=form("triage", [request.id], confirmed="1"))
    assert answer.status_code in (302, 403)
    assert db.session.get(SupportRequest, request.id).status == "new"


def test_five_hundred_rows_in_one_transaction_and_one_refusal_rolls_back_all(db, towns, make_account):
    me = make_account("coordinator")
    rows = [make_request(municipality=towns["tobetsu"]) for _ in range(500)]
    late = make_request(municipality=towns["sapporo"], status="withdrawn")
    db.session.commit()
    ids = [r.id for r in rows]
    refused = bulk_apply(me, [*ids[:250], late.id, *ids[250:]], "triage", nonce="five-hundred-1")
    assert not refused.applied and [row.request_id for row in refused.refused] == [late.id]
    assert events(db, "request.triaged") == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportRequest)
                             .where(SupportRequest.status == "new")) == 500
    done = bulk_apply(me, ids, "triage", nonce="five-hundred-2")
    assert done.applied and len(done.rows) == 500 and events(db, "request.triaged") == 500
    with pytest.raises(BulkRefused) as too_many:
        bulk_apply(me, list(range(1, BULK_ROWS_MAX + 2)), "triage", nonce="too-many")
    assert too_many.value.reason == "too_many"


def test_the_same_confirmation_sent_twice_runs_once(staff, db, towns):
    """A double click or a reload of the confirmation: one message per town, not two."""
    client, _me, _colleague = staff
    rows = [make_request(municipality=towns["tobetsu"], status="triaged") for _ in range(2)]
    db.session.commit()
    data = form("message", [r.id for r in rows], body="一度だけ届くはずです。", confirmed="1")
    first = client.post("/coordinator/requests/bulk", data=data)
    second = client.post("/coordinator/requests/bulk", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RequestMessage)) == 2
    assert events(db, "request.message_added") == 2


def test_a_confirmation_that_fails_leaves_no_confirmation_behind(staff, db, towns, make_account):
    """The review step cannot be skipped: when the confirmed post is refused (here the
    chosen owner was deactivated meanwhile), the queue shown again asks for a review."""
    client, _me, _colleague = staff
    gone = make_account("coordinator", display_name="退職 三郎")
    request = make_request(municipality=towns["tobetsu"], status="triaged")
    db.session.commit()
    gone.is_active = False
    db.session.commit()
    failed = client.post("/coordinator/requests/bulk",
                         data=form("owner", [request.id], owner=str(gone.id), confirmed="1"))
    html = failed.get_data(as_text=True)
    assert failed.status_code == 422
    assert 'name="confirmed"' not in html and 'name="run"' not in html
    again = client.post("/coordinator/requests/bulk", data=form("decline", [request.id], reason="理由"))
    assert again.status_code == 200 and "見送りますか" in again.get_data(as_text=True)
    assert db.session.get(SupportRequest, request.id).status == "triaged"


def test_too_many_matching_rows_says_how_many_there_are(staff, db, towns, monkeypatch):
    from app.services import bulk

    client, _me, _colleague = staff
    for _ in range(4):
        make_request(municipality=towns["tobetsu"])
    db.session.commit()
    monkeypatch.setattr(bulk, "BULK_ROWS_MAX", 2)
    answer = client.post("/coordinator/requests/bulk", data={"action": "triage", "all_matching": "y"})
    assert answer.status_code == 422 and "4 件は一度に扱える数を超えています（最大 2 件）" in answer.get_data(as_text=True)
