"""Every list, page, map layer and export issues as many SQL statements for a small network
as for one three times its size (issue 19): what a page reads grows with what it shows,
never with the tables behind it. ``bench/scale.py`` prints the same counts at 1x, 10x and
30x the demo; this test keeps them from creeping back between runs of the bench.

Both networks are the demo generator's (``seed_demo``), so every page has its real mix of
rows; the ids are chosen as the bench chooses them: the busiest town, the request with the
most visits, the evangelist with the most assignments, the largest community.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from app.extensions import db
from app.services.demo import DEMO_PASSWORD, seed_demo
from app.services.topics import sync_topics

SMALL = {"evangelists": 60, "communities": 12, "requests": 60}
LARGE = {"evangelists": 180, "communities": 36, "requests": 180}
ACCOUNTS = {"coordinator": "coordinator@example.jp", "admin": "admin@example.jp",
            "evangelist": "evangelist@example.jp"}
EXPORTS = ("municipalities", "communities", "evangelists", "requests", "visits", "outcomes")
LAYERS = ("municipalities", "evangelists", "communities", "requests", "coverage-gap", "prefectures", "outreach")

PAGES = [
    (None, "/municipalities"),
    (None, "/municipalities/{town}"),
    (None, "/network"),
    (None, "/open-data"),
    (None, "/figures"),
    (None, "/communities"),
    (None, "/communities/{public_community}"),
    ("coordinator", "/coordinator/communities/registrations"),
    ("coordinator", "/coordinator/communities/registrations/{registration}"),
    ("coordinator", "/coordinator/"),
    ("coordinator", "/coordinator/requests"),
    ("coordinator", "/coordinator/requests/{request}"),
    ("coordinator", "/coordinator/requests/{new_request}"),
    ("coordinator", "/coordinator/plan"),
    ("coordinator", "/coordinator/recruitment"),
    ("coordinator", "/coordinator/recruitment/{evangelist}"),
    ("coordinator", "/coordinator/communities"),
    ("coordinator", "/coordinator/communities/{community}"),
    ("coordinator", "/coordinator/reports"),
    ("coordinator", "/coordinator/reports?region=kanto&fy=2025"),
    ("coordinator", "/coordinator/reports/print?prefecture=13"),
    ("coordinator", "/coordinator/reports/dashboard.csv?region=kanto&fy=2025"),
    ("coordinator", "/coordinator/reports/gap-places.csv"),
    ("coordinator", "/coordinator/outreach?status="),
    ("coordinator", "/coordinator/outreach/gap"),
    ("coordinator", "/municipalities/{town}"),
    ("coordinator", "/map"),
    ("coordinator", "/notices/"),
    ("admin", "/admin/users"),
    ("admin", "/admin/audit"),
    ("admin", "/admin/notices"),
    ("evangelist", "/me/"),
    *[("coordinator", f"/api/v1/{layer}") for layer in LAYERS],
    (None, "/api/v1/municipalities"),
    (None, "/api/v1/open-data/prefectures.csv"),
    (None, "/figures/fiscal-years.csv"),
    (None, "/api/v1/open-data/municipalities.csv"),
    (None, "/api/v1/open-data/municipalities.json"),
    *[("coordinator", f"/coordinator/data/export/{name}.csv") for name in EXPORTS],
]


def _ids() -> dict[str, object]:
    one = lambda sql: db.session.execute(sa.text(sql)).scalar()  # noqa: E731
    return {
        "town": one("SELECT m.code FROM municipalities m JOIN support_requests r ON r.municipality_id = m.id "
                    "GROUP BY m.code ORDER BY count(*) DESC, m.code LIMIT 1"),
        "request": one("SELECT a.request_id FROM assignments a JOIN visits v ON v.assignment_id = a.id "
                       "GROUP BY a.request_id ORDER BY count(*) DESC, a.request_id LIMIT 1"),
        "new_request": one("SELECT id FROM support_requests WHERE status IN ('new', 'triaged') ORDER BY id LIMIT 1"),
        "evangelist": one("SELECT evangelist_id FROM assignments GROUP BY evangelist_id "
                          "ORDER BY count(*) DESC, evangelist_id LIMIT 1"),
        "community": one("SELECT home_community_id FROM evangelists WHERE home_community_id IS NOT NULL "
                         "GROUP BY home_community_id ORDER BY count(*) DESC, home_community_id LIMIT 1"),
        "public_community": one("SELECT id FROM communities WHERE public ORDER BY member_count DESC, id LIMIT 1"),
        "registration": one("SELECT id FROM community_registrations ORDER BY id LIMIT 1"),
    }


def _counts(app, count_queries) -> dict[str, int]:
    ids = _ids()
    clients = {None: app.test_client()}
    for role, email in ACCOUNTS.items():
        clients[role] = app.test_client()
        response = clients[role].post("/auth/login", data={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302 and "/auth/" not in response.headers["Location"], role
    counts = {}
    for role, pattern in PAGES:
        url = pattern.format(**ids)
        client = clients[role]
        client.get(url)  # the first view fills what is kept per data version
        with count_queries() as q:
            response = client.get(url)
            response.get_data()  # a streamed export reads while it is sent
        assert response.status_code == 200, (url, response.status_code)
        counts[f"{role or 'visitor'} {pattern}"] = q.count
    return counts


# The demo is generated up to the programme's today, and which of its requests are still
# waiting depends on that day: on some days the small network has none in "new" or
# "triaged" (on 2026-12-04 in Japan, for one). A fixed day gives both networks the same
# mix whatever the date the suite runs.
DEMO_TODAY = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)  # noon in Japan


def test_every_page_layer_and_export_reads_the_same_number_of_statements_at_two_sizes(
        app, db, gazetteer, count_queries, clock):
    clock(DEMO_TODAY)
    sync_topics()
    seed_demo(**SMALL, seed=7)
    small = _counts(app, count_queries)
    seed_demo(**LARGE, seed=7, replace=True)
    large = _counts(app, count_queries)
    grew = {page: (small[page], large[page]) for page in small if small[page] != large[page]}
    assert not grew, f"statements (small network, three times larger) differ: {grew}"
