"""Issue 19: the boards (recruitment, dashboard, coordinator home, communities, one
evangelist, one community, an evangelist's own page) issue the same number of SQL
statements whatever the data size, and show a page of a long list, not all of it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
import sqlalchemy as sa

from app.coordinator.routes import INVITED_PER_PAGE
from app.models import RequestMessage, User
from app.services.audit import record_event
from app.services.recruitment import BOARD_COLUMN_SIZE, BOARD_COMMUNITY_ROWS
from tests.factories import (
    make_assignment,
    make_community,
    make_evangelist,
    make_outcome,
    make_request,
    make_user,
    make_visit,
)

STAGES = ("candidate", "active", "paused", "retired")


@pytest.fixture
def towns(reference_towns):
    return reference_towns


@pytest.fixture
def staff(app, signed_in_client):
    client, _user = signed_in_client("coordinator")
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    return client


@pytest.fixture
def network(db, towns, signed_in_client):
    """A signed-in evangelist (``me``) in a community, with a client of their own."""
    client, user = signed_in_client("evangelist")
    community = make_community(name="Code for Sapporo", municipality=towns["sapporo"])
    me = make_evangelist(user=user, family_name="自分", home_municipality=towns["sapporo"], home_community=community)
    db.session.commit()
    return {"client": client, "me": me, "community": community}


def grow(db, towns, network, n: int) -> None:
    """Add ``n`` of everything the pages list: people at every stage in new communities
    and in the evangelist's own community, requests with assignments (the evangelist's
    own too), visits with outcomes, messages and audit events."""
    me, community = network["me"], network["community"]
    coordinator = make_user(role="coordinator")
    start = network.setdefault("grown", 0)
    network["grown"] = start + n
    for i in range(start, start + n):
        status = STAGES[i % 4]
        home = make_community(name=f"追加 {i:03d}", municipality=towns["aomori" if i % 2 else "tobetsu"])
        make_evangelist(family_name=f"追加{i:03d}", status=status, home_municipality=towns["aomori"],
                        home_community=home if i % 3 else community,
                        user=None if status in ("candidate", "retired") else make_user(role="evangelist"))
        request = make_request(municipality=towns["tobetsu"], status="completed",
                               created_at=datetime(2026, 1, 1 + i % 28, tzinfo=UTC))
        mine = make_assignment(request=request, evangelist=me, status=("accepted", "completed")[i % 2])
        visit = make_visit(assignment=mine, visited_on=date(2026, 2, 1) + timedelta(days=i))
        make_outcome(visit=visit, type="event_held")
        db.session.add(RequestMessage(request=request, sender="municipality", body=f"連絡 {i}"))
        record_event(coordinator, "evangelist.updated", "evangelist", me.id, after={"given_name": f"名{i}"})
    db.session.commit()


def pages(network) -> list[tuple[str, object]]:
    me, community = network["me"], network["community"]
    return [
        ("/coordinator/", None),
        ("/coordinator/recruitment", None),
        ("/coordinator/recruitment?prefecture=02&active_page=2&community_page=2", None),
        ("/coordinator/reports", None),
        ("/coordinator/communities", None),
        (f"/coordinator/communities/{community.id}", None),
        (f"/coordinator/recruitment/{me.id}", None),
        (f"/coordinator/recruitment/{me.id}/edit", None),
        ("/me/", network["client"]),
    ]


def statements(staff, count_queries, network) -> dict[str, int]:
    counts = {}
    for url, client in pages(network):
        with count_queries() as queries:
            response = (client or staff).get(url)
        assert response.status_code == 200, url
        counts[url] = queries.count
    return counts


def test_every_board_issues_the_same_statements_at_two_data_sizes(db, staff, towns, network, count_queries):
    grow(db, towns, network, 4)
    small = statements(staff, count_queries, network)
    grow(db, towns, network, 40)
    large = statements(staff, count_queries, network)
    assert large == small


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def column(html: str, status: str) -> str:
    return html.split(f'id="column-{status}"', 1)[1].split("</section>", 1)[0]


def test_each_column_of_the_board_has_its_own_pages(db, staff, towns, network):
    grow(db, towns, network, 4 * BOARD_COLUMN_SIZE + 8)  # 22 at each stage, 23 active with "me"
    html = text(staff.get("/coordinator/recruitment"))
    active = column(html, "active")
    assert active.count('class="list-group-item board-card"') == BOARD_COLUMN_SIZE
    assert f"1–{BOARD_COLUMN_SIZE} of {BOARD_COLUMN_SIZE + 3}" in active and "Page 1 of 2" in active
    assert 'href="/coordinator/recruitment?active_page=2"' in active
    html = text(staff.get("/coordinator/recruitment?active_page=2&prefecture=02"))
    active, candidates = column(html, "active"), column(html, "candidate")
    assert active.count('class="list-group-item board-card"') == 2  # 22 in Aomori: "me" lives in Sapporo
    assert "21–22 of 22" in active
    assert 'href="/coordinator/recruitment?active_page=2&prefecture=02&candidate_page=2"' in candidates
    # The filters keep working with the pages; a page past the end says so.
    beyond = column(text(staff.get("/coordinator/recruitment?retired_page=9")), "retired")
    assert "Nobody on this page: the column has 2 pages." in beyond


def test_the_per_community_table_is_paged(db, staff, towns, network):
    grow(db, towns, network, 2 * BOARD_COMMUNITY_ROWS)  # a new community for two in three
    html = text(staff.get("/coordinator/recruitment"))
    table = html.split('class="table table-sm per-community"', 1)[1].split("</table>", 1)[0]
    assert len(re.findall(r"<tr>\s*<th scope=\"row\" class=\"fw-normal\">", table)) == BOARD_COMMUNITY_ROWS
    assert f"Communities 1–{BOARD_COMMUNITY_ROWS} of" in html and "?community_page=2" in html
    second = text(staff.get("/coordinator/recruitment?community_page=2")).split('id="per-community-heading"', 1)[1]
    assert "Code for Sapporo" in table and "Code for Sapporo" not in second  # by name: C before 追
    assert f"Communities {BOARD_COMMUNITY_ROWS + 1}–" in second
    for bad in ("abc", "-3", "0", "99999999999999999999", "1e9", "%00"):
        assert staff.get(f"/coordinator/recruitment?community_page={bad}&active_page={bad}").status_code == 200


def test_the_community_filter_lists_the_prefectures_communities_and_keeps_the_chosen_one(db, staff, towns, network):
    aomori = make_community(name="Code for Aomori", municipality=towns["aomori"])
    db.session.commit()
    html = text(staff.get("/coordinator/recruitment"))
    select = html.split('name="community"', 1)[1].split("</select>", 1)[0]
    assert "Code for Aomori" not in select and "Code for Sapporo" not in select
    select = text(staff.get("/coordinator/recruitment?prefecture=02")).split('name="community"', 1)[1]
    select = select.split("</select>", 1)[0]
    assert "Code for Aomori" in select and "Code for Sapporo" not in select
    chosen = text(staff.get(f"/coordinator/recruitment?community={network['community'].id}"))
    assert "自分" in column(chosen, "active")
    select = chosen.split('name="community"', 1)[1].split("</select>", 1)[0]
    assert re.search(r'<option selected value="\d+">Code for Sapporo</option>', select)
    assert aomori.name not in select


def test_the_coordinators_home_shows_the_invitations_a_page_at_a_time(db, staff, towns, network):
    for n in range(INVITED_PER_PAGE + 3):
        make_user(role="evangelist", email=f"invited{n:02d}@example.jp", password_hash=None)
    db.session.commit()
    html = text(staff.get("/coordinator/"))
    invited = html.split("Invitations not yet accepted", 1)[1]
    shown = invited.count("New link")
    total = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.password_hash.is_(None)))
    assert shown == INVITED_PER_PAGE and f"1–{INVITED_PER_PAGE} of {total}, newest first" in invited
    second = text(staff.get("/coordinator/?page=2")).split("Invitations not yet accepted", 1)[1]
    assert second.count("New link") == total - INVITED_PER_PAGE
    assert "Nothing on this page." in text(staff.get("/coordinator/?page=99"))
