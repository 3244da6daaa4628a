"""Issue 20, point 4, on the outreach list: tick cases, then give them an owner or close
them with one reason, after a page that lists them; every case or none, each audited as
the single action is; the same confirmation twice runs once."""

from __future__ import annotations

import re
from html import unescape

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, OutreachCase
from app.services.regions import set_regions
from tests.factories import make_municipality, make_prefecture
from tests.web.test_outreach_web import NOW, open_case

URL = "/coordinator/outreach/cases/bulk"
HOSTILE = "<script>alert(1)</script>{{7*7}} {{"


@pytest.fixture
def scene(db, signed_in_client, make_account, clock):
    clock(NOW)
    client, me = signed_in_client("coordinator", display_name="山田 花子")
    client.set_cookie("lang", "en")
    colleague = make_account("coordinator", display_name="佐藤 次郎")
    hokkaido = make_prefecture(code="01")
    towns = [make_municipality(prefecture=hokkaido, name=f"町{n}") for n in range(3)]
    db.session.commit()
    cases = [open_case(client, t.code) for t in towns]
    return client, me, colleague, cases


def events(db, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def review(client, ids, **data):
    response = client.post(URL, data={"ids": [str(i) for i in ids], **data})
    return response, unescape(response.get_data(as_text=True))


def test_the_list_offers_the_boxes_and_the_actions(scene):
    client, _me, _colleague, cases = scene
    page = client.get("/coordinator/outreach").get_data(as_text=True)
    assert 'id="case-bulk-form"' in page and "Act on several cases at once" in page
    for case_id in cases:
        assert f'id="pick-case-{case_id}"' in page


def test_closing_three_with_one_reason_after_a_review_runs_once(db, scene):
    client, _me, _colleague, cases = scene
    response, html = review(client, cases, action="close", reason="今年度は見送り")
    assert response.status_code == 200 and "Each case below will be closed" in html and "今年度は見送り" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutreachCase)
                             .where(OutreachCase.status == "closed")) == 0  # nothing yet
    run = re.search(r'name="run" value="([^"]+)"', html).group(1)
    confirm = {"ids": [str(i) for i in cases], "action": "close", "reason": "今年度は見送り", "run": run,
               "confirmed": "1"}
    done = client.post(URL, data=confirm)
    assert done.status_code == 302 and "/coordinator/outreach/cases/bulk/" in done.headers["Location"]
    again = client.post(URL, data=confirm)  # a double click, or the reload of the form
    assert again.headers["Location"] == done.headers["Location"]
    db.session.expire_all()
    closed = db.session.scalars(sa.select(OutreachCase).where(OutreachCase.id.in_(cases))).all()
    assert {c.status for c in closed} == {"closed"} and {c.closed_reason for c in closed} == {"今年度は見送り"}
    assert sorted(e.entity_id for e in events(db, "outreach.closed")) == sorted(cases)
    outcome = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Done for all 3 cases." in outcome


def test_one_case_that_cannot_take_it_changes_nothing(db, scene):
    client, me, _colleague, cases = scene
    from app.services.outreach import close_case, get_case

    close_case(me, get_case(cases[0]), "終わり", today=NOW.date())
    _response, html = review(client, cases, action="close", reason="まとめて")
    run = re.search(r'name="run" value="([^"]+)"', html).group(1)
    failed = client.post(URL, data={"ids": [str(i) for i in cases], "action": "close", "reason": "まとめて",
                                    "run": run, "confirmed": "1"})
    body = unescape(failed.get_data(as_text=True))
    assert failed.status_code == 409 and "Nothing was changed" in body
    assert "This outreach case is closed" in body
    db.session.expire_all()
    assert [get_case(i).status for i in cases[1:]] == ["planned", "planned"]
    assert len(events(db, "outreach.closed")) == 1


def test_an_owner_for_the_ticked_cases(db, scene):
    client, me, colleague, cases = scene
    _response, html = review(client, cases[:2], action="owner", owner=str(colleague.id))
    assert "Each case below will be owned by 佐藤 次郎." in html
    run = re.search(r'name="run" value="([^"]+)"', html).group(1)
    done = client.post(URL, data={"ids": [str(i) for i in cases[:2]], "action": "owner", "owner": str(colleague.id),
                                  "run": run, "confirmed": "1"})
    assert done.status_code == 302
    db.session.expire_all()
    assert [db.session.get(OutreachCase, i).owner_id for i in cases] == [colleague.id, colleague.id, me.id]
    changed = events(db, "outreach.updated")
    assert [(e.entity_id, e.before, e.after) for e in changed] == [
        (cases[0], {"owner": me.id}, {"owner": colleague.id}), (cases[1], {"owner": me.id}, {"owner": colleague.id})]


def test_bad_input_is_named_and_the_ticks_are_kept(db, scene):
    client, _me, _colleague, cases = scene
    response, html = review(client, cases[:2], action="close", reason="  ")
    assert response.status_code == 422 and "Say why the cases are closed." in html
    assert f'value="{cases[0]}" id="pick-case-{cases[0]}" checked' in html
    nothing, html = review(client, [], action="owner")
    assert nothing.status_code == 422 and "Tick at least one case." in html
    unknown, html = review(client, [cases[0], 99999], action="owner")
    assert unknown.status_code == 422 and "No outreach case of your regions has the number 99999" in html
    hostile, html = review(client, cases[:1], action="close", reason=HOSTILE)
    assert hostile.status_code == 200 and "<script>alert(1)" not in hostile.get_data(as_text=True)


def test_a_regional_coordinator_acts_on_their_regions_cases_only(db, scene, signed_in_client, make_account):
    _client, _me, _colleague, cases = scene
    client, regional = signed_in_client("coordinator")
    client.set_cookie("lang", "en")
    set_regions(make_account("admin"), regional, ["tohoku"])  # the cases are in Hokkaido
    response, html = review(client, cases[:1], action="owner")
    assert response.status_code == 422 and f"No outreach case of your regions has the number {cases[0]}" in html
    assert "町0" not in html


def test_the_dashboard_has_the_funnel_as_csv_under_its_filter(db, scene):
    import csv
    import io

    client, _me, _colleague, cases = scene
    db.session.get(OutreachCase, cases[0]).contacted_on = NOW.date()
    db.session.commit()
    page = client.get("/coordinator/reports").get_data(as_text=True)
    assert "/coordinator/reports/outreach-funnel.csv" in page
    rows = list(csv.reader(io.StringIO(client.get("/coordinator/reports/outreach-funnel.csv")
                                       .get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Step", "Cases"] and rows[1] == ["Contacted", "1"]
    # The cases are in Hokkaido: none for Tohoku, nor for a fiscal year before they opened.
    assert "Contacted,0" in client.get("/coordinator/reports/outreach-funnel.csv?region=tohoku").get_data(as_text=True)
    assert "Contacted,1" in client.get("/coordinator/reports/outreach-funnel.csv?region=hokkaido").get_data(as_text=True)
    assert "Contacted,0" in client.get("/coordinator/reports/outreach-funnel.csv?fy=2024").get_data(as_text=True)
    whole = client.get("/coordinator/reports/dashboard.csv").get_data(as_text=True)
    assert "Outreach to towns that have not asked" in whole
