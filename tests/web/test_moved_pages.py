"""Staff pages that moved to their feature's prefix: each old address answers 308 to the new
one (query string kept, a POST sent again with its body), and who may reach the new address
is who could reach the old one."""

from __future__ import annotations

import pytest

from app.models import Evangelist
from tests.factories import make_evangelist

# old address -> new address ({id}: an evangelist's id), with the method each answers.
MOVED = [
    ("GET", "/coordinator/dashboard", "/coordinator/reports"),
    ("GET", "/coordinator/export/municipalities.csv", "/coordinator/data/export/municipalities.csv"),
    ("GET", "/coordinator/import", "/coordinator/data/import"),
    ("POST", "/coordinator/import", "/coordinator/data/import"),
    ("POST", "/coordinator/import/apply", "/coordinator/data/import/apply"),
    ("GET", "/coordinator/evangelists/{id}", "/coordinator/recruitment/{id}"),
    ("GET", "/coordinator/evangelists/{id}/edit", "/coordinator/recruitment/{id}/edit"),
    ("POST", "/coordinator/evangelists/{id}/edit", "/coordinator/recruitment/{id}/edit"),
    ("GET", "/coordinator/evangelists/{id}/appoint", "/coordinator/recruitment/{id}/appoint"),
    ("POST", "/coordinator/evangelists/{id}/appoint", "/coordinator/recruitment/{id}/appoint"),
    ("POST", "/coordinator/evangelists/{id}/move", "/coordinator/recruitment/{id}/move"),
]
IDS = [f"{method} {old}" for method, old, _new in MOVED]


@pytest.fixture
def person(db) -> Evangelist:
    found = make_evangelist(status="candidate")
    db.session.commit()
    return found


@pytest.mark.parametrize(("method", "old", "new"), MOVED, ids=IDS)
def test_the_old_address_answers_308_to_the_new_one_with_its_query(signed_in_client, person, method, old, new):
    staff, _user = signed_in_client("coordinator")
    old, new = old.format(id=person.id), new.format(id=person.id)
    response = staff.open(old + "?prefecture=01&from=2030-04-01", method=method)
    assert response.status_code == 308
    assert response.headers["Location"] == new + "?prefecture=01&from=2030-04-01"
    bare = staff.open(old, method=method)
    assert bare.status_code == 308 and bare.headers["Location"] == new


@pytest.mark.parametrize(("method", "old", "new"), MOVED, ids=IDS)
@pytest.mark.parametrize("role", ["anonymous", "evangelist", "coordinator", "admin"])
def test_who_may_reach_the_new_address_is_who_could_reach_the_old(client, signed_in_client, person, role,
                                                                   method, old, new):
    browser = client if role == "anonymous" else signed_in_client(role)[0]
    old, new = old.format(id=person.id), new.format(id=person.id)
    before, after = browser.open(old, method=method), browser.open(new, method=method)
    if role == "anonymous":
        assert before.status_code == after.status_code == 302
        assert "/auth/login" in before.headers["Location"] and "/auth/login" in after.headers["Location"]
    elif role == "evangelist":
        assert before.status_code == after.status_code == 403
    else:
        assert before.status_code == 308
        assert after.status_code not in (401, 403, 404, 405) and after.status_code < 500
        assert "/auth/login" not in after.headers.get("Location", "")


def test_a_post_to_the_old_address_is_sent_again_with_its_body(db, signed_in_client, person):
    staff, _user = signed_in_client("coordinator")
    active = make_evangelist(status="active")
    db.session.commit()
    response = staff.post(f"/coordinator/evangelists/{active.id}/move", data={"target": "paused"},
                          follow_redirects=True)
    assert response.status_code == 200
    assert response.request.path == f"/coordinator/recruitment/{active.id}"
    db.session.refresh(active)
    assert active.status == "paused"


def test_the_dashboard_is_reached_from_its_old_bookmark(signed_in_client):
    staff, _user = signed_in_client("coordinator")
    response = staff.get("/coordinator/dashboard", follow_redirects=True)
    assert response.status_code == 200 and response.request.path == "/coordinator/reports"
