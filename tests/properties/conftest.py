"""Property-based tests of bad input: settings, a small world with one of everything, and
two ways to show that a refused input changed nothing (a snapshot of every table, the
writes committed).

Hypothesis runs derandomized (the same examples on every run, so CI is reproducible) and
without its example database (nothing is written into the repository). For a longer
random search, run with ``HYPOTHESIS_PROFILE=thorough``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings

from app.extensions import limiter
from app.models import OutreachCase, OutreachContact
from app.services.accounts import make_password_token
from app.services.bookings import make_feed
from app.services.notices import notify
from app.services.topics import sync_topics
from tests.conftest import PASSWORD, sign_in
from tests.factories import (
    make_addition,
    make_application,
    make_assignment,
    make_booking,
    make_comment,
    make_community,
    make_completed_request,
    make_evangelist,
    make_idea,
    make_municipality,
    make_prefecture,
    make_profile,
    make_registration,
    make_request,
    make_theme,
    make_use_case,
    make_user,
    make_visit,
)

settings.register_profile(
    "properties",
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)
settings.register_profile("thorough", parent=settings.get_profile("properties"), derandomize=False)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "properties")
settings.load_profile(PROFILE)
# How many more examples the thorough profile runs than CI.
_SCALE = 20 if PROFILE == "thorough" else 1


def examples(n: int) -> settings:
    """``@examples(n)``: n examples in CI (chosen to keep the folder fast), twenty times as
    many, freshly random, with ``HYPOTHESIS_PROFILE=thorough``."""
    return settings(max_examples=n * _SCALE)


STATUS_TOKEN = "status-token-" + "x" * 30
APPLICATION_TOKEN = "application-token-" + "y" * 30
REGISTRATION_TOKEN = "registration-token-" + "z" * 30
# What bad input may be answered with: a page, a redirect (308: Werkzeug merges "//" in a
# path), or a 4xx. Never a 5xx; in tests an unexpected exception fails the test anyway.
ANSWERS = frozenset({200, 302, 308, 400, 404, 409, 410, 413, 422, 429})


def snapshot(db) -> dict[str, list]:
    """Every row of every table, in a stable order: equal snapshots mean nothing changed."""
    db.session.expire_all()
    return {
        table.name: sorted((tuple(row) for row in db.session.execute(sa.select(table))), key=repr)
        for table in db.metadata.sorted_tables
    }


@contextmanager
def committed_writes(db) -> Iterator[list[str]]:
    """``with committed_writes(db) as writes:`` the INSERT, UPDATE and DELETE statements
    committed inside the block. Cheaper than two snapshots, and stricter: an update that
    leaves a row as it was counts too."""
    pending: list[str] = []
    committed: list[str] = []

    def executed(_conn, _cursor, statement, _parameters, context, _many):
        if context.isinsert or context.isupdate or context.isdelete or statement.lstrip().upper().startswith(
                ("INSERT", "UPDATE", "DELETE")):
            pending.append(statement)

    def commit(_conn):
        committed.extend(pending)
        pending.clear()

    def rollback(_conn):
        pending.clear()

    listeners = (("after_cursor_execute", executed), ("commit", commit), ("rollback", rollback))
    for name, listener in listeners:
        sa.event.listen(db.engine, name, listener)
    try:
        yield committed
    finally:
        for name, listener in listeners:
            sa.event.remove(db.engine, name, listener)


def fresh_example() -> None:
    """Each example starts with no rate limit spent: the property is about the form, and
    a 429 after the fifth wrong password would hide it."""
    limiter.reset()


@dataclass
class World:
    """One of everything a URL or a form can name, and a signed-in client per role."""

    app: object
    ids: dict[str, object]
    users: dict[str, object]
    emails: list[str]
    _clients: dict[str, object] = field(default_factory=dict)
    _cache: dict[str, object] = field(default_factory=dict)

    def cached(self, name: str, make):
        """``make()``, made once for this world (strategies that name its ids)."""
        if name not in self._cache:
            self._cache[name] = make()
        return self._cache[name]

    def client(self, who: str | None):
        """A client for ``who``: None (anonymous), a role, or ``pending`` (a coordinator
        half-way through signing in, at the second factor)."""
        if who is None:
            return self.app.test_client()
        if who not in self._clients:
            client = self.app.test_client()
            if who == "pending":
                user = self.users["coordinator"]
                response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
                assert response.headers["Location"].endswith("/auth/two-factor")
            else:
                sign_in(client, self.users[who])
            self._clients[who] = client
        return self._clients[who]


@pytest.fixture
def world(app, db, make_account) -> World:
    """Two prefectures and three towns, the topics, an account per role (and another
    evangelist, a coordinator to change, an invited person), a candidate, a community, a
    new request with a known status token and a pending addition, an assignment offered to the signed-in
    evangelist, one they accepted and a visit they logged today."""
    hokkaido = make_prefecture(code="01")
    tokyo = make_prefecture(code="13", name_ja="東京都", name_kana="トウキョウト", name_en="Tokyo", region="kanto")
    sapporo = make_municipality(code="011002", name="札幌市", prefecture=hokkaido)
    hakodate = make_municipality(code="012025", name="函館市", prefecture=hokkaido, lat=41.77, lon=140.73)
    chiyoda = make_municipality(code="131016", name="千代田区", prefecture=tokyo, lat=35.69, lon=139.75)
    sync_topics()

    users = {role: make_account(role) for role in ("admin", "coordinator", "evangelist")}
    other = make_account("evangelist", email="other@example.jp")
    target = make_account("coordinator", email="target@example.jp")
    invited = make_user(role="evangelist", email="invited@example.jp", password_hash=None)
    # Signed up to the idea box, address not yet confirmed (ideas.verify).
    joining = make_user(role="participant", email="joining@example.jp", password_hash=None)

    me = make_evangelist(user=users["evangelist"], home_municipality=sapporo, capacity=5, travel_radius_km=300.0)
    theirs = make_evangelist(user=other, home_municipality=hakodate)
    candidate = make_evangelist(user=None, status="candidate", family_name="候補", home_municipality=chiyoda)
    community = make_community(municipality=sapporo, name="Code for Sapporo", public=True,
                               how_to_join="毎月の勉強会へ")
    # A community's registration from the public form, waiting, and a duplicate of the one above.
    registration = make_registration(municipality=sapporo, name="CODE 4 SAPPORO")
    # A community's registration waiting for its mailed link (no coordinator sees it).
    make_registration(municipality=sapporo, name="未確認の会", status="unconfirmed", token=REGISTRATION_TOKEN)

    new_request = make_request(municipality=sapporo,
                               token_hash=hashlib.sha256(STATUS_TOKEN.encode()).hexdigest())
    addition = make_addition(request=new_request)
    offered = make_request(municipality=hakodate, status="assigned")
    working = make_request(municipality=chiyoda, status="scheduled")
    proposed = make_assignment(request=offered, evangelist=me, status="proposed", distance_km=3.0)
    accepted = make_assignment(request=working, evangelist=me, status="accepted", distance_km=3.0)
    visit = make_visit(assignment=accepted, author_id=users["evangelist"].id)
    booking = make_booking(assignment=accepted)
    (notice,) = notify("assignment_proposed", users=[users["evangelist"]], request=offered,
                       target=("assignment", proposed.id), params={"town": "函館市", "prefecture": "北海道"})
    # An open outreach case for a town that has not asked, with "me" asked to reach out,
    # and a town with nothing yet (the "open a case" page).
    tobetsu = make_municipality(code="013030", name="当別町", prefecture=hokkaido, lat=43.22, lon=141.52)
    make_municipality(code="012246", name="千歳市", prefecture=hokkaido, lat=42.82, lon=141.65)
    case = OutreachCase(municipality=tobetsu, status="contacted", evangelist=me, owner_id=users["coordinator"].id)
    db.session.add(case)
    db.session.add(OutreachContact(case=case, contacted_on=date(2026, 1, 5), channel="phone", person_name="山田",
                                   phone="+81312345678"))
    # The open dialogue: a participant with a dialogue profile, an open theme, an idea of
    # another participant's with a comment.
    users["participant"] = make_account("participant")
    make_profile(user=users["participant"], handle="参加者")
    theme = make_theme(title="欲しいデータ")
    idea = make_idea(theme=theme, municipality=sapporo)
    comment = make_comment(idea=idea)
    held_idea = make_idea(theme=theme, visibility="held")
    # Public applications to become an evangelist: one confirmed that may be the candidate
    # (a coordinator decides), one waiting for its mailed link.
    application = make_application(municipality=chiyoda, family_name="候補", matches=[candidate.id])
    make_application(status="unconfirmed", municipality=sapporo, token=APPLICATION_TOKEN)
    # Use cases: a completed request "me" served, its draft by "me", and a use case with
    # the town of the request with the known status token.
    completed = make_completed_request(municipality=sapporo, evangelist=me)
    draft = make_use_case(municipality=sapporo, request=completed, status="draft", author_id=users["evangelist"].id)
    town_use_case = make_use_case(municipality=sapporo, request=new_request, status="with_town",
                                  author_id=users["evangelist"].id)
    # The library: a published use case of Sapporo (its page and the lists find it).
    published_use_case = make_use_case(municipality=sapporo, population_band="300k_plus")
    db.session.commit()
    feed_token = make_feed(users["evangelist"])

    ids = {
        "completed_request": completed.id,
        "use_case_id": draft.id,
        "town_use_case": town_use_case.id,
        "attachment_id": 1,  # no file: a 404
        "request_id": new_request.id,
        "addition_id": addition.id,
        "proposed_assignment": proposed.id,
        "offered_request": offered.id,
        "working_request": working.id,
        "accepted_assignment": accepted.id,
        "visit_id": visit.id,
        "booking_id": booking.id,
        "notice_id": notice.id,
        "feed_token": feed_token,
        "community_id": community.id,
        "evangelist_id": theirs.id,
        "active_evangelist": theirs.id,
        "candidate": candidate.id,
        "evangelist_ids": [me.id, theirs.id, candidate.id],
        "community_ids": [community.id],
        "registration_id": registration.id,
        "user_id": target.id,
        "invited_id": invited.id,
        "status_token": STATUS_TOKEN,
        "purpose": "invitation",
        "password_token": make_password_token(invited, "invitation"),
        "verify_token": make_password_token(joining, "verify"),
        "assignment_id": accepted.id,
        "dataset": "municipalities",
        "table": "load",  # a table of the dashboard (app/reports/tables.py)
        "job_id": 1,  # no export job: a 404
        "run_id": 1,  # no bulk action: a 404
        "case_id": case.id,
        "theme_id": theme.id,
        "kind": "csv",  # the idea box's open data (ideas.open_data, ideas.theme_open_data)
        "idea_id": idea.id,
        "comment_ids": [comment.id],
        "comment_id": comment.id,
        "held_idea_id": held_idea.id,
        "application_id": application.id,
        "application_token": APPLICATION_TOKEN,
        "registration_token": REGISTRATION_TOKEN,
        "published_use_case_id": published_use_case.id,
        "outreach_town": "012246",
        "code": "011002",
        "locale": "en",
        "prefectures": ["01", "13"],
        "municipalities": ["011002", "012025", "131016"],
    }
    emails = [u.email for u in (*users.values(), other, target, invited, joining)]
    return World(app=app, ids=ids, users=users, emails=emails)
