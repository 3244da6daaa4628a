"""Writing a generated demo network (``evangelists.demo``) into the database."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import (
    Assignment,
    AuditEvent,
    Community,
    CommunityStatusChange,
    Evangelist,
    Municipality,
    Outcome,
    SupportRequest,
    Topic,
    User,
    Visit,
)
from app.services.accounts import UNUSABLE_PASSWORD, add_user, hash_password
from app.services.audit import record_event
from evangelists import demo
from evangelists.calendar import today_in_japan
from evangelists.geo import haversine_km
from evangelists.vocabulary import OPEN_REQUEST_STATUSES

# Development only: `flask demo seed` refuses to run under the production configuration.
DEMO_PASSWORD = "evangelist-demo-2026"
DEMO_ACCOUNTS = (
    ("admin", "admin@example.jp", "デモ 管理者"),
    ("coordinator", "coordinator@example.jp", "デモ コーディネーター"),
    ("evangelist", "evangelist@example.jp", None),  # named after the first demo evangelist
)
DEMO_EMAILS = frozenset(email for _, email, _ in DEMO_ACCOUNTS)


def waives_second_factor(user: User) -> bool:
    """Demo accounts skip the second factor, in development only; pages then say so."""
    return bool(current_app.config["DEMO_ALLOWED"]) and user.email in DEMO_EMAILS


class DemoDataExists(Exception):
    """The database already holds network data; seeding would mix demo and real rows."""

    def __init__(self, counts: dict[str, int]):
        super().__init__(counts)
        self.counts = counts

    def describe(self) -> str:
        """E.g. "60 communities, 300 evangelists"."""
        return ", ".join(f"{n} {table}" for table, n in self.counts.items() if n)


@dataclass(frozen=True)
class SeedReport:
    open_data_active: int
    communities: int
    evangelists: int
    requests: int
    accounts: tuple[tuple[str, str], ...]  # (role, email)


NETWORK_MODELS = (Community, Evangelist, SupportRequest, User)


def network_row_counts() -> dict[str, int]:
    """How many communities, evangelists, requests and users the database holds (one query)."""
    row = db.session.execute(
        sa.select(
            *(sa.select(sa.func.count()).select_from(m).scalar_subquery() for m in NETWORK_MODELS)
        )
    ).one()
    return {model.__tablename__: n for model, n in zip(NETWORK_MODELS, row, strict=True)}


def seed_demo(
    *,
    evangelists: int,
    communities: int,
    requests: int,
    seed: int,
    replace: bool = False,
    today: date | None = None,
) -> SeedReport:
    """Generate and store a demo network plus the three demo accounts, in one transaction.

    With ``replace`` every network, workflow and account row is deleted first, in the same
    transaction, so a failed seed leaves the old data in place. Otherwise raises
    DemoDataExists when any community, evangelist, request or user is already there.
    Raises ValueError when the gazetteer or topics are not loaded or the counts cannot be
    met.
    """
    if not replace:
        counts = network_row_counts()
        if any(counts.values()):
            raise DemoDataExists(counts)
    try:
        if replace:
            _delete_network()
        report = _seed(evangelists, communities, requests, seed, today or today_in_japan())
    except ValueError:
        db.session.rollback()
        raise
    db.session.commit()
    return report


def _seed(evangelists: int, communities: int, requests: int, seed: int, today: date) -> SeedReport:
    """Add the generated network to the session (not committed)."""
    municipalities = list(db.session.scalars(sa.select(Municipality).order_by(Municipality.code)))
    if not municipalities:
        raise ValueError("no municipalities: run `flask geo load` first")
    topics = {t.slug: t for t in db.session.scalars(sa.select(Topic))}
    places = [demo.Place(m.code, m.name, m.kind, m.lat, m.lon) for m in municipalities]
    network = demo.generate(
        places,
        sorted(topics),
        evangelists=evangelists,
        communities=communities,
        requests=requests,
        seed=seed,
        today=today,
    )
    by_code = {m.code: m for m in municipalities}
    # When each active town started: spread over ten years, most around 2019, as the
    # national survey's history looks; deterministic for the seed.
    since_rng = random.Random(seed)
    start = today or today_in_japan()
    for m in municipalities:
        active = m.code in network.open_data_active
        m.open_data_status = "active" if active else "non_active"
        m.open_data_since = start - timedelta(days=int(since_rng.triangular(30, 3650, 2400))) if active else None

    community_rows = [
        Community(
            name=c.name,
            municipality=by_code[c.municipality_code],
            lat=c.lat,
            lon=c.lon,
            status=c.status,
            status_since=c.founded_on,
            member_count=c.member_count,
            description="",
            status_history=[CommunityStatusChange(status=c.status, since=c.founded_on)],
        )
        for c in network.communities
    ]
    db.session.add_all(community_rows)

    # Hash once: every generated evangelist account gets no password (they cannot sign
    # in); only the three demo accounts can.
    evangelist_rows = []
    for n, e in enumerate(network.evangelists, start=1):
        user = None
        if e.status != "candidate":
            user = User(
                email=f"evangelist{n:04d}@example.jp",
                display_name=f"{e.family_name} {e.given_name}",
                role="evangelist",
                # Generated people never sign in; they are not "invited" either.
                password_hash=UNUSABLE_PASSWORD,
                is_active=e.status != "retired",
            )
        evangelist_rows.append(
            Evangelist(
                user=user,
                family_name=e.family_name,
                given_name=e.given_name,
                status=e.status,
                home_municipality=by_code[e.municipality_code],
                lat=e.lat,
                lon=e.lon,
                home_community=None
                if e.community_index is None
                else community_rows[e.community_index],
                languages=list(e.languages),
                capacity=e.capacity,
                travel_radius_km=e.travel_radius_km,
                online_ok=e.online_ok,
                appointed_on=e.appointed_on,
                age_band=e.age_band,
                gender=e.gender,
                skills=[topics[s] for s in e.skills],
            )
        )
    db.session.add_all(evangelist_rows)

    token_rng = random.Random(seed)
    now = datetime.now(UTC)
    for r in network.requests:
        municipality = by_code[r.municipality_code]
        submitted = now - timedelta(days=r.submitted_days_ago)
        # Demo status tokens are never shown; only their hash is stored, as for real ones.
        token = token_rng.getrandbits(128).to_bytes(16, "big").hex()
        db.session.add(
            SupportRequest(
                municipality=municipality,
                contact_name=r.contact_name,
                department=r.department,
                email=r.email,
                phone=r.phone,
                preferred_mode=r.mode,
                preferred_period=r.period,
                message=r.message,
                status=r.status,
                decline_reason="管理者により重複と判断されました。" if r.status == "declined" else None,
                token_hash=hashlib.sha256(token.encode()).hexdigest(),
                topics=[topics[s] for s in r.topics],
                created_at=submitted,
                updated_at=submitted,
                closed_at=submitted if r.status not in OPEN_REQUEST_STATUSES else None,
            )
        )
        if r.status in OPEN_REQUEST_STATUSES and municipality.engagement_stage == "none":
            municipality.engagement_stage = "requested"

    accounts = _demo_accounts(evangelist_rows)
    db.session.flush()
    _past_work(seed, today, topics, requests)
    _propose_to_demo_evangelist()
    record_event(
        None,
        "demo.seeded",
        "demo",
        after={
            "seed": seed,
            "communities": len(community_rows),
            "evangelists": len(evangelist_rows),
            "requests": len(network.requests),
        },
    )
    return SeedReport(
        open_data_active=len(network.open_data_active),
        communities=len(community_rows),
        evangelists=len(evangelist_rows),
        requests=len(network.requests),
        accounts=accounts,
    )


def _demo_accounts(evangelist_rows: list[Evangelist]) -> tuple[tuple[str, str], ...]:
    """Create the admin and coordinator accounts and give the first active demo evangelist
    a signable account. Returns ``(role, email)`` pairs."""
    made = []
    for role, email, name in DEMO_ACCOUNTS:
        if role == "evangelist":
            person = next((e for e in evangelist_rows if e.status == "active"), None)
            if person is None:
                continue
            person.user.email = email
            person.user.password_hash = hash_password(DEMO_PASSWORD)
        else:
            add_user(email, name, role, DEMO_PASSWORD)
        made.append((role, email))
    return tuple(made)


HISTORY_SHARE = 0.5  # finished requests (towns brought to open data), per generated request
IN_PROGRESS_SHARE = 0.125  # requests accepted and visited once, not finished yet


def _past_work(seed: int, today: date, topics: dict, requests: int) -> None:
    """Two years of the programme's past work, so the dashboard, the timelines and the
    reports have something to show: finished requests in towns that started open data
    through a visit (their ``open_data_since`` is the visit's date), and requests under way
    in non-active towns with a first visit. Deterministic for ``seed``."""
    rng = random.Random(seed + 101)
    # The demo evangelist keeps a free hand for the proposal made to them below.
    helpers = db.session.scalars(
        sa.select(Evangelist).join(Evangelist.user)
        .where(Evangelist.status == "active", User.email != "evangelist@example.jp")
        .order_by(Evangelist.id)
    ).all()
    if not helpers:
        return
    slugs = sorted(topics)
    recent = db.session.scalars(
        sa.select(Municipality)
        .where(Municipality.open_data_since.is_not(None), Municipality.open_data_since >= today - timedelta(days=700),
               Municipality.open_data_since <= today - timedelta(days=20))
        .order_by(Municipality.code)
    ).all()
    waiting = db.session.scalars(
        sa.select(Municipality)
        .where(Municipality.open_data_status == "non_active", Municipality.engagement_stage == "none")
        .order_by(Municipality.code)
    ).all()
    finished = rng.sample(recent, min(round(requests * HISTORY_SHARE), len(recent)))
    under_way = rng.sample(waiting, min(round(requests * IN_PROGRESS_SHARE), len(waiting)))

    def nearest(town):
        return min(helpers, key=lambda e: haversine_km(town.lat, town.lon, e.lat, e.lon))

    def at(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, rng.randint(0, 8), rng.randint(0, 59), tzinfo=UTC)

    for n, town in enumerate([*finished, *under_way], start=1):
        done = n <= len(finished)
        person = nearest(town)
        last_visit = town.open_data_since if done else today - timedelta(days=rng.randint(3, 40))
        first_visit = last_visit - timedelta(days=rng.randint(0, 45))
        asked = first_visit - timedelta(days=rng.randint(14, 90))
        assigned = asked + timedelta(days=rng.randint(1, 12))
        request = SupportRequest(
            municipality=town, contact_name=f"{rng.choice(demo.FAMILY_NAMES)} {rng.choice(demo.GIVEN_NAMES)}",
            department=rng.choice(("情報政策課", "企画課", "総務課", "デジタル推進課")),
            email=f"history{n}@{town.code}.example.jp", preferred_mode=rng.choice(("onsite", "online", "either")),
            status="completed" if done else "scheduled",
            token_hash=hashlib.sha256(f"demo-history-{seed}-{n}".encode()).hexdigest(),
            topics=[topics[s] for s in rng.sample(slugs, 2)],
            created_at=at(asked), updated_at=at(last_visit),
            closed_at=at(last_visit + timedelta(days=2)) if done else None,
        )
        assignment = Assignment(
            request=request, evangelist=person, status="completed" if done else "accepted",
            score=round(rng.uniform(0.55, 0.9), 3),
            distance_km=round(haversine_km(town.lat, town.lon, person.lat, person.lon), 1),
            reasons=[], created_at=at(assigned), updated_at=at(last_visit),
            responded_at=at(assigned + timedelta(days=rng.randint(0, 4))),
            completed_at=at(last_visit + timedelta(days=2)) if done else None,
        )
        dates = [first_visit] if first_visit == last_visit or not done else [first_visit, last_visit]
        for number, day in enumerate(dates, start=1):
            final = done and number == len(dates)
            outcomes = []
            if final:
                outcomes.append(Outcome(type=rng.choice(("open_data_published", "catalog_launched")), achieved_on=day))
                if rng.random() < 0.6:
                    outcomes.append(Outcome(type="datasets_published", count=rng.randint(3, 40), achieved_on=day))
            else:
                outcomes.append(Outcome(type=rng.choice(("event_held", "policy_adopted", "community_formed", "no_change")),
                                        achieved_on=day))
            db.session.add(Visit(
                assignment=assignment, author_id=person.user_id, visited_on=day,
                mode=rng.choice(("onsite", "online")), duration_minutes=rng.choice((60, 90, 120)),
                attendee_count=rng.randint(2, 12), attendee_departments=request.department,
                summary="オープンデータの進め方を説明し、公開する候補データを一緒に選びました。",
                next_steps="" if final else "次回までに推奨データセットの一覧を確認する。",
                topics=request.topics, outcomes=outcomes, created_at=at(day), updated_at=at(day),
            ))
        town.engagement_stage = "active" if done else "visited"
        db.session.add(assignment)


def _propose_to_demo_evangelist() -> None:
    """Give the demo evangelist one proposal to accept (from the demo coordinator, for the
    nearest open request they can take), so the visit workflow can be tried at once."""
    from app.services.matching import CapacityFull, _propose_locked

    evangelist_user = db.session.scalar(sa.select(User).where(User.email == "evangelist@example.jp"))
    coordinator = db.session.scalar(sa.select(User).where(User.email == "coordinator@example.jp"))
    if evangelist_user is None or coordinator is None or evangelist_user.evangelist is None:
        return
    person = evangelist_user.evangelist
    open_requests = db.session.scalars(
        sa.select(SupportRequest).where(SupportRequest.status.in_(("new", "triaged")))
    ).all()
    open_requests.sort(key=lambda r: haversine_km(person.lat, person.lon, r.municipality.lat, r.municipality.lon))
    for request in open_requests[:20]:
        try:
            _propose_locked(coordinator, request.id, person.id, address=None)
        except (ValueError, CapacityFull):
            continue
        return


def existing_demo_accounts() -> tuple[tuple[str, str], ...]:
    """``(role, email)`` of the demo accounts present in the database."""
    emails = [email for _, email, _ in DEMO_ACCOUNTS]
    found = db.session.execute(
        sa.select(User.role, User.email).where(User.email.in_(emails))
    ).all()
    return tuple(sorted(found, key=lambda pair: emails.index(pair[1])))


def _delete_network() -> None:
    """Delete every network, workflow and account row (the gazetteer and topics stay);
    not committed."""
    for model in (Outcome, Visit, Assignment, SupportRequest, Evangelist, CommunityStatusChange, Community,
                  AuditEvent, User):
        db.session.execute(sa.delete(model))
    db.session.execute(
        sa.update(Municipality).values(open_data_status="non_active", engagement_stage="none", open_data_since=None)
    )
