"""Writing a generated demo network (``evangelists.demo``) into the database."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import (
    Assignment,
    AuditEvent,
    Booking,
    CalendarFeed,
    Community,
    CommunityRegistration,
    CommunityStatusChange,
    Evangelist,
    EvangelistApplication,
    Idea,
    IdeaComment,
    IdeaPageViews,
    IdeaProfile,
    IdeaReport,
    IdeaTheme,
    IdeaThemeParticipant,
    IdeaViewSalt,
    IdeaVisitor,
    IdeaVote,
    ModerationEvent,
    Municipality,
    Notice,
    NoticePreference,
    Outcome,
    Prefecture,
    RequestFeedback,
    RequestNote,
    SearchDocument,
    SupportRequest,
    Topic,
    UseCase,
    UseCaseAttachment,
    UseCaseLink,
    UseCaseTownAnswer,
    User,
    UserRegion,
    Visit,
    VisitSlot,
    idea_topics,
    use_case_outcomes,
    use_case_topics,
    use_case_visits,
)
from app.secrets_at_rest import seal
from app.services import ideas as ideas_service
from app.services.accounts import UNUSABLE_PASSWORD, add_user, hash_password
from app.services.audit import SYSTEM, record_event
from app.services.notices import notify
from app.services.ownership import claim_if_unowned
from app.services.requests import MUNICIPALITY
from app.services.use_cases import file_path, prefill, refresh_search_text
from app.services.visits import activate_town
from evangelists import demo, demo_ideas, lifecycle
from evangelists import ideas as ideas_rules
from evangelists.calendar import start_of_day_in_japan, today_in_japan
from evangelists.geo import haversine_km
from evangelists.vocabulary import ACTIVATING_OUTCOMES

# Development only: `flask demo seed` refuses to run under the production configuration.
DEMO_PASSWORD = "evangelist-demo-2026"
DEMO_ACCOUNTS = (
    ("admin", "admin@example.jp", "デモ 管理者"),
    ("coordinator", "coordinator@example.jp", "デモ コーディネーター"),
    ("coordinator", "kanto@example.jp", "デモ 関東コーディネーター"),
    ("evangelist", "evangelist@example.jp", None),  # named after the generated person behind it
    ("participant", "participant@example.jp", "デモ参加者"),  # takes part in the idea box only
)
DEMO_EMAILS = frozenset(email for _, email, _ in DEMO_ACCOUNTS)
# A regional coordinator to try the regions with (issue 20): 関東 only.
DEMO_REGIONS = {"kanto@example.jp": ("kanto",)}


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
    places = [demo.Place(m.code, m.name, m.kind, m.lat, m.lon, m.name_romaji or "") for m in municipalities]
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
    # When each town active before the programme started: spread over ten years, most
    # around 2019, as the national survey's history looks; deterministic for the seed.
    # Towns the programme brings to open data become active on the day of that visit.
    since_rng = random.Random(seed)
    for m in municipalities:
        active = m.code in network.open_data_active
        m.open_data_status = "active" if active else "non_active"
        m.open_data_since = today - timedelta(days=int(since_rng.triangular(730, 3650, 2400))) if active else None

    community_rows = [
        Community(
            name=c.name,
            website=c.website or None,
            contact_email=c.contact_email or None,
            municipality=by_code[c.municipality_code],
            lat=c.lat,
            lon=c.lon,
            status=c.status,
            status_since=c.founded_on,
            member_count=c.member_count,
            description=c.description,
            status_history=[CommunityStatusChange(status=c.status, since=c.founded_on)],
        )
        for c in network.communities
    ]
    db.session.add_all(community_rows)
    _public_communities(seed, community_rows)

    # Every generated evangelist account gets no password (they cannot sign in); only the
    # three demo accounts can.
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
                family_name_kana=e.family_name_kana,
                given_name_kana=e.given_name_kana,
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

    accounts = _demo_accounts(evangelist_rows, network.demo_evangelist)
    db.session.flush()
    coordinator = db.session.scalar(sa.select(User).where(User.email == "coordinator@example.jp"))
    _pipeline(network, evangelist_rows, coordinator)
    _applications(seed, today, municipalities, evangelist_rows, sorted(topics))
    _requests(network, seed, by_code, topics, evangelist_rows, coordinator)
    _propose_to_demo_evangelist()
    _demo_notices(coordinator, today)
    _demo_feedback(seed)
    _dialogue(seed, today, municipalities, sorted(topics))
    _demo_registrations(seed, today, community_rows, municipalities)
    _demo_use_cases(seed, coordinator, today)
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
        open_data_active=sum(m.open_data_status == "active" for m in municipalities),
        communities=len(community_rows),
        evangelists=len(evangelist_rows),
        requests=len(network.requests),
        accounts=accounts,
    )


def _demo_accounts(evangelist_rows: list[Evangelist], demo_index: int | None) -> tuple[tuple[str, str], ...]:
    """Create the admin and coordinator accounts and give the demo evangelist (chosen by
    the generator, kept free of past work) a signable account. Returns ``(role, email)``
    pairs."""
    made = []
    for role, email, name in DEMO_ACCOUNTS:
        if role == "evangelist":
            if demo_index is None:
                continue
            person = evangelist_rows[demo_index]
            person.user.email = email
            person.user.password_hash = hash_password(DEMO_PASSWORD)
        else:
            user = add_user(email, name, role, DEMO_PASSWORD)
            user.region_rows = [UserRegion(region=region) for region in DEMO_REGIONS.get(email, ())]
            if role == "participant":
                db.session.add(IdeaProfile(user=user, handle="デモさん", voice="resident_business"))
        made.append((role, email))
    return tuple(made)


def _pipeline(network: demo.DemoNetwork, evangelist_rows: list[Evangelist], coordinator: User) -> None:
    """Each person's nomination, appointment, pause or retirement, audited as the
    recruitment service does, dated when it happened; their rows and accounts are dated
    from then too."""
    events = []
    for n, (row, moves) in enumerate(zip(evangelist_rows, network.evangelist_moves, strict=True), start=1):
        for at, move in moves:
            if move == "nominated":
                row.created_at = row.updated_at = at
                events.append(_event(at, coordinator, "evangelist.nominated", "evangelist", row.id, after={
                    "family_name": row.family_name, "given_name": row.given_name,
                    "family_name_kana": row.family_name_kana, "given_name_kana": row.given_name_kana,
                    "home_municipality": row.home_municipality.code,
                    "community": row.home_community.id if row.home_community else None,
                    "skills": [t.slug for t in row.skills],
                    "email": row.user.email if row.user else f"candidate{n:04d}@example.jp", "note": "",
                }))
            elif move == "appointed":
                row.user.created_at = row.user.updated_at = at
                events.append(_event(at, coordinator, "evangelist.appointed", "evangelist", row.id,
                                     before={"status": "candidate", "appointed_on": None},
                                     after={"status": "active", "appointed_on": row.appointed_on.isoformat(),
                                            "user": row.user.id, "account": "created"}))
            else:
                after = {"status": move}
                events.append(_event(at, coordinator, f"evangelist.{move}", "evangelist", row.id,
                                     before={"status": "active"}, after=after))
    _add_events(events)


def _applications(seed: int, today: date, municipalities: list[Municipality], evangelist_rows: list[Evangelist],
                  topic_slugs: list[str]) -> None:
    """Three applications from the public form (issue 22, point 6): one confirmed that
    became a candidate, one confirmed that may be a candidate the network already has
    (waiting for a coordinator), and one whose address is not confirmed yet. Audited as
    app/services/applications.py does."""
    rng = random.Random(seed * 7919 + 22)
    # The start of today in Japan: never ahead of the clock on the day of the seed, so the
    # unconfirmed one's link is still good for about a day.
    now = start_of_day_in_japan(today)
    events: list[dict] = []
    towns = [m for m in municipalities if m.kind in demo.URBAN_KINDS] or municipalities

    def person(gender: str) -> dict:
        generation = rng.choice(("young", "middle", "older"))
        family = rng.choice(demo.FAMILY_NAMES)
        given = rng.choice(demo.GIVEN_NAMES[(gender, generation)])
        return {"family_name": family, "given_name": given, "family_name_kana": demo.NAME_READINGS[family],
                "given_name_kana": demo.NAME_READINGS[given]}

    def answers(n: int, town: Municipality, age_band: str | None, gender: str | None) -> dict:
        return {"email": f"applicant{n:04d}@example.jp", "municipality": town,
                "skills": rng.sample(topic_slugs, k=min(3, len(topic_slugs))), "languages": ["ja"],
                "capacity": rng.choice((1, 2, 3)), "travel_radius_km": float(rng.choice((30, 50, 100))),
                "online_ok": True, "availability": rng.choice(("平日の夜と週末", "土日のみ", "月に2回程度")),
                "motivation": rng.choice(("地域のハッカソンを運営しています。自治体のデータ公開を手伝いたいです。",
                                          "市のオープンデータを使ったアプリを作っています。")),
                "age_band": age_band, "gender": gender, "locale": "ja", "matches": []}

    # 1. Confirmed three days ago: one of the generated candidates came this way (its
    # nomination event is the applicant's, naming the application, as the service writes it).
    candidates = [row for row in evangelist_rows if row.status == "candidate"]
    if candidates:
        newcomer = candidates[-1]
        confirmed = newcomer.created_at or now - timedelta(days=3)
        submitted = confirmed - timedelta(minutes=12)
        first = EvangelistApplication(
            family_name=newcomer.family_name, given_name=newcomer.given_name,
            family_name_kana=newcomer.family_name_kana, given_name_kana=newcomer.given_name_kana,
            community=newcomer.home_community,
            **{**answers(1, newcomer.home_municipality, newcomer.age_band, newcomer.gender),
               "skills": [t.slug for t in newcomer.skills], "languages": list(newcomer.languages),
               "capacity": newcomer.capacity, "travel_radius_km": newcomer.travel_radius_km,
               "online_ok": newcomer.online_ok},
            status="in_pipeline", consented_at=submitted, confirm_by=submitted + timedelta(hours=48),
            confirmed_at=confirmed, evangelist=newcomer, created_at=submitted, updated_at=confirmed)
        db.session.add(first)
        db.session.flush()
        nominated = db.session.scalar(sa.select(AuditEvent).where(
            AuditEvent.entity_type == "evangelist", AuditEvent.entity_id == newcomer.id,
            AuditEvent.action == "evangelist.nominated"))
        if nominated is not None:
            nominated.actor_id, nominated.actor_label = None, "applicant"
            nominated.after = {**(nominated.after or {}), "email": first.email, "application": first.id}
        events += [
            _event(submitted, "applicant", "application.submitted", "evangelist_application", first.id,
                   after={"municipality": newcomer.home_municipality.code}),
            _event(confirmed, "applicant", "application.in_pipeline", "evangelist_application", first.id,
                   before={"status": "unconfirmed"}, after={"status": "in_pipeline", "evangelist": newcomer.id}),
        ]
    # 2. Confirmed yesterday, with the name, reading and community of a candidate we have.
    known = candidates[0] if len(candidates) > 1 else None
    if known is not None:
        submitted = now - timedelta(days=1, hours=2)
        confirmed = submitted + timedelta(minutes=40)
        second = EvangelistApplication(
            family_name=known.family_name, given_name=known.given_name, family_name_kana=known.family_name_kana,
            given_name_kana=known.given_name_kana, community=known.home_community,
            **{**answers(2, known.home_municipality, None, None), "matches": [known.id]},
            status="possible_duplicate", consented_at=submitted, confirm_by=submitted + timedelta(hours=48),
            confirmed_at=confirmed, created_at=submitted, updated_at=confirmed)
        db.session.add(second)
        db.session.flush()
        events += [
            _event(submitted, "applicant", "application.submitted", "evangelist_application", second.id,
                   after={"municipality": known.home_municipality.code}),
            _event(confirmed, "applicant", "application.possible_duplicate", "evangelist_application", second.id,
                   before={"status": "unconfirmed"}, after={"status": "possible_duplicate", "matches": [known.id]}),
        ]
    # 3. Sent two hours ago; its link (nobody's: a demo has no mailbox) waits.
    submitted = now - timedelta(hours=2)
    town = rng.choice(towns)
    token = f"demo-application-{seed}-{rng.getrandbits(64):x}"
    third = EvangelistApplication(**person("male"), **answers(3, town, "40s", None), status="unconfirmed",
                                  consented_at=submitted, confirm_by=submitted + timedelta(hours=48),
                                  token_hash=hashlib.sha256(token.encode()).hexdigest(), token_sealed=seal(token),
                                  created_at=submitted, updated_at=submitted)
    db.session.add(third)
    db.session.flush()
    events.append(_event(submitted, "applicant", "application.submitted", "evangelist_application", third.id,
                         after={"municipality": town.code}))
    _add_events(events)


def _event(at: datetime, actor: User | str, action: str, entity_type: str, entity_id: int, *,
           before: dict | None = None, after: dict | None = None) -> dict:
    """An audit row as ``record_event`` makes it (same actor columns and payloads), dated
    ``at``: the seed writes a few thousand of them at once."""
    if isinstance(actor, User):
        actor_id, actor_label = actor.id, actor.email
    else:
        actor_id, actor_label = None, actor or SYSTEM
    return {"created_at": at, "actor_id": actor_id, "actor_label": actor_label, "action": action,
            "entity_type": entity_type, "entity_id": entity_id, "before": before, "after": after,
            "client_address": None}


def _add_events(events: list[dict]) -> None:
    if events:
        db.session.execute(sa.insert(AuditEvent), events)




def _requests(network: demo.DemoNetwork, seed: int, by_code: dict, topics: dict,
              evangelist_rows: list[Evangelist], coordinator: User) -> None:
    """Store the generated requests with their assignments, visits and outcomes, then
    replay each one's steps: every status move is checked by the lifecycle and audited
    with the event and payload the live service writes, at the moment it happened, so a
    request's history and its town's timeline tell the same story."""
    token_rng = random.Random(seed)
    stored = []
    for r in network.requests:
        # Demo status tokens are never shown; only their hash is stored, as for real ones.
        token = token_rng.getrandbits(128).to_bytes(16, "big").hex()
        request = SupportRequest(
            municipality=by_code[r.municipality_code],
            contact_name=r.contact_name,
            department=r.department,
            email=r.email,
            phone=r.phone,
            preferred_mode=r.mode,
            preferred_period=r.period,
            message=r.message,
            status="new",
            decline_reason=r.decline_reason,
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
            topics=[topics[s] for s in r.topics],
            created_at=r.submitted_at,
            updated_at=r.updated_at,
            closed_at=r.closed_at,
        )
        assignments = []
        for a in r.assignments:
            person = evangelist_rows[a.evangelist_index]
            last = max(t for t in (a.proposed_at, a.responded_at, a.completed_at,
                                   *(v.logged_at for v in a.visits)) if t is not None)
            assignment = Assignment(
                request=request, evangelist=person, status=a.status, score=a.score,
                distance_km=a.distance_km, reasons=[list(reason) for reason in a.reasons],
                proposed_by=coordinator, decline_reason=a.decline_reason,
                responded_at=a.responded_at, completed_at=a.completed_at,
                created_at=a.proposed_at, updated_at=last,
            )
            for v in a.visits:
                Visit(
                    assignment=assignment, author_id=person.user_id, visited_on=v.visited_on, mode=v.mode,
                    duration_minutes=v.duration_minutes, attendee_count=v.attendee_count,
                    attendee_departments=v.attendee_departments, summary=v.summary, next_steps=v.next_steps,
                    topics=list(request.topics),
                    outcomes=[Outcome(type=t, count=count, achieved_on=v.visited_on) for t, count in v.outcomes],
                    created_at=v.logged_at, updated_at=v.logged_at,
                )
            assignments.append(assignment)
        db.session.add(request)
        stored.append((r, request, assignments))
    db.session.flush()
    events = []
    for r, request, assignments in stored:
        events.extend(_replay(r, request, assignments, coordinator))
    _add_events(events)


def _replay(story: demo.DemoRequest, request: SupportRequest, assignments: list[Assignment],
            coordinator: User) -> list[dict]:
    """Walk one request's steps, moving its status and its town's stage as the services
    do; returns their audit events, dated when each step happened."""
    town = request.municipality
    status = "new"
    events = []

    def event(at, actor, action, entity_type, entity_id, *, before=None, after=None):
        # Microseconds keep the events of one step in the order the service writes them.
        events.append((at + timedelta(microseconds=len(events)), actor, action, entity_type, entity_id,
                       before, after))

    def move(at, actor, target, **after):
        nonlocal status
        lifecycle.check("request", status, target)
        if target in ("triaged", "assigned"):
            after.update(claim_if_unowned(actor, request))  # as change_status and a proposal do
        event(at, actor, f"request.{target}", "support_request", request.id,
              before={"status": status}, after={"status": target, **after})
        status = target

    for step in story.steps:
        at = step.at
        assignment = assignments[step.assignment] if step.assignment is not None else None
        person = assignment.evangelist.user if assignment is not None else None
        if step.kind == "submitted":
            town.engagement_stage = lifecycle.advance_engagement(town.engagement_stage, "requested")
            event(at, MUNICIPALITY, "request.submitted", "support_request", request.id,
                  after={"municipality": town.code})
        elif step.kind == "triaged":
            move(at, coordinator, "triaged")
        elif step.kind == "declined":
            move(at, coordinator, "declined", reason=story.decline_reason)
        elif step.kind == "withdrawn":
            move(at, MUNICIPALITY, "withdrawn")
        elif step.kind == "proposed":
            event(at, coordinator, "assignment.proposed", "assignment", assignment.id,
                  after={"request": request.id, "evangelist": assignment.evangelist_id, "score": assignment.score})
            move(at, coordinator, "assigned")
        elif step.kind == "accepted":
            town.engagement_stage = lifecycle.advance_engagement(town.engagement_stage, "assigned")
            event(at, person, "assignment.accepted", "assignment", assignment.id, after={"request": request.id})
        elif step.kind == "refused":
            move(at, person, "triaged")
            event(at, person, "assignment.declined", "assignment", assignment.id,
                  after={"request": request.id, "reason": assignment.decline_reason})
        elif step.kind == "visited":
            visit = sorted(assignment.visits, key=lambda v: v.visited_on)[step.visit]
            if status == "assigned":
                move(at, person, "scheduled")
            town.engagement_stage = lifecycle.advance_engagement(town.engagement_stage, "visited")
            if any(o.type in ACTIVATING_OUTCOMES for o in visit.outcomes):
                changed = activate_town(town, visit.visited_on)
                if changed is not None:
                    before, after = changed
                    event(at, person, "municipality.activated", "municipality", town.id,
                          before=before, after={**after, "visit": visit.id})
            event(at, person, "visit.logged", "visit", visit.id,
                  after={"assignment": assignment.id, "outcomes": [o.type for o in visit.outcomes]})
        elif step.kind == "completed":
            event(at, person, "assignment.completed", "assignment", assignment.id, after={"request": request.id})
            move(at, person, "completed")
        else:  # pragma: no cover - the generator's vocabulary
            raise ValueError(f"unknown demo step {step.kind!r}")
    if status != story.status:
        raise ValueError(f"demo request replay ended {status!r}, generated {story.status!r}")
    request.status = status
    return [_event(at, actor, action, entity_type, entity_id, before=before, after=after)
            for at, actor, action, entity_type, entity_id, before, after in events]


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


# What towns said when asked "was the help useful?" (generated, not real towns' words).
_FEEDBACK_COMMENTS = (
    "",
    "",
    "最初に公開するデータを一緒に選んでいただき、庁内の説明がしやすくなりました。",
    "推奨データセットの作り方が具体的に分かりました。",
    "ライセンスの考え方が整理でき、公開の判断が早くなりました。",
    "担当が一人なので、相談できる相手ができて心強いです。",
    "カタログサイトの立ち上げまで見通しが立ちました。",
    "もう少し事例の紹介があると、庁内で説得しやすかったです。",
)


def _demo_feedback(seed: int) -> None:
    """About two in three completed requests answered the closing question: mostly 4 or 5,
    some 3, a few lower; half with a comment. Answered a few days after closing."""
    rng = random.Random(seed * 31 + 7)
    completed = db.session.scalars(
        sa.select(SupportRequest).where(SupportRequest.status == "completed").order_by(SupportRequest.id)
    ).all()
    for request in completed:
        if request.closed_at is None or rng.random() > 0.65:
            continue
        rating = rng.choices((5, 4, 3, 2, 1), weights=(45, 35, 14, 4, 2))[0]
        db.session.add(RequestFeedback(
            request_id=request.id, rating=rating, comment=rng.choice(_FEEDBACK_COMMENTS),
            created_at=request.closed_at + timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 8)),
        ))


# Communities in public (issue 22.5): what a listed community says about joining.
_HOW_TO_JOIN = (
    "毎月第2土曜日の午後に{place}の市民活動センターで定例会を開いています。初めての方も見学歓迎です。",
    "オンラインのチャットで日々やり取りしています。ウェブサイトの参加フォームからどうぞ。",
    "年に数回、{place}でハッカソンやアイデアソンを開いています。告知はウェブサイトに載せます。",
    "プログラミングができなくても大丈夫です。データ集めや地図づくりの作業会にお気軽にご参加ください。",
    "月1回のもくもく会（オンラインと{place}の会場の併用）に参加申し込みをしてください。",
)


def _public_communities(seed: int, community_rows: list[Community]) -> None:
    """About a third of the active communities (and a few dormant ones) chose to be listed
    in the public directory, each saying how to join; deterministic for the seed."""
    rng = random.Random(seed * 53 + 11)
    for row in community_rows:
        if rng.random() < (0.35 if row.status == "active" else 0.1):
            row.public = True
            place = row.municipality.name
            row.how_to_join = rng.choice(_HOW_TO_JOIN).format(place=place)


def _demo_registrations(seed: int, today: date, community_rows: list[Community],
                        municipalities: list[Municipality]) -> None:
    """Two communities that registered on the public form and wait for review: a known
    community registering again under a name written differently (the review flags it),
    and a new group in a town without one. Both confirmed their contact address by the
    mailed link an hour after sending (unconfirmed ones never reach the queue). Not
    mailed: the addresses are not real."""
    rng = random.Random(seed * 59 + 3)
    known = sorted((c for c in community_rows if not c.public), key=lambda c: c.name)
    rows = []
    if known:
        twin = rng.choice(known)
        name = (twin.name.replace("Code for ", "Code4") if twin.name.startswith("Code for ")
                else f"一般社団法人 {twin.name}")
        rows.append(CommunityRegistration(
            name=name, municipality=twin.municipality, website=twin.website,
            description=twin.description, how_to_join=rng.choice(_HOW_TO_JOIN).format(place=twin.municipality.name),
            member_count=twin.member_count + rng.randint(1, 5), contact_email="hello@registrant-1.example.jp",
            consent=True, status="pending", created_at=start_of_day_in_japan(today - timedelta(days=4))))
        rows[-1].confirmed_at = rows[-1].created_at + timedelta(hours=1)
    taken = {c.municipality_id for c in community_rows}
    towns = [m for m in municipalities if m.kind == "city" and m.id not in taken]
    if towns:
        town = rng.choice(towns)
        short = town.name.removesuffix("市")
        rows.append(CommunityRegistration(
            name=f"{short}まちのデータ部", municipality=town, website=None,
            description=f"{town.name}で2か月前に始めたばかりの集まりです。地域の行事やごみ収集のデータを地図にしています。",
            how_to_join=rng.choice(_HOW_TO_JOIN).format(place=town.name), member_count=rng.randint(4, 9),
            contact_email="hello@registrant-2.example.jp", consent=True, status="pending",
            created_at=start_of_day_in_japan(today - timedelta(days=1))))
        rows[-1].confirmed_at = rows[-1].created_at + timedelta(hours=1)
    db.session.add_all(rows)
    db.session.flush()
    for row in rows:
        _add_events([_event(row.created_at, "registrant", "community_registration.submitted",
                            "community_registration", row.id,
                            after={"name": row.name, "municipality": row.municipality.code,
                                   "website": row.website, "member_count": row.member_count}),
                     _event(row.confirmed_at, "registrant", "community_registration.confirmed",
                            "community_registration", row.id, before={"status": "unconfirmed"},
                            after={"status": "pending"})])


def _demo_notices(coordinator: User | None, today: date) -> None:
    """The demo coordinator's notices of the requests that arrived in the last week, so
    the bell and the notice list can be tried at once: the older ones read, none mailed
    (demo addresses are not real people's), the newest three unread."""
    if coordinator is None:
        return
    since = start_of_day_in_japan(today - timedelta(days=7))
    recent = db.session.scalars(
        sa.select(SupportRequest).where(SupportRequest.created_at >= since).order_by(SupportRequest.created_at)
    ).all()
    for n, request in enumerate(reversed(recent)):
        town = request.municipality
        for row in notify("request_new", users=[coordinator], request=request,
                          params={"town": town.name, "prefecture": town.prefecture.name_ja}):
            row.mail, row.created_at = "none", request.created_at
            row.read_at = request.created_at if n >= 3 else None


def _dialogue(seed: int, today: date, municipalities: list[Municipality], topic_slugs: list[str]) -> None:
    """The idea box's demo (evangelists.demo_ideas): themes, participants with accounts
    that cannot sign in, ideas with comments, replies and votes; every counter and trending
    key as the services would have kept them. Not committed."""
    now = start_of_day_in_japan(today) + timedelta(hours=12)
    towns = [(m.code, m.name, m.code[:2]) for m in municipalities if m.open_data_status == "non_active"]
    dialogue = demo_ideas.generate(towns, topic_slugs, now=now, seed=seed)
    prefectures = {p.code: p.id for p in db.session.scalars(sa.select(Prefecture))}
    by_code = {m.code: m for m in municipalities}
    topics = {t.slug: t for t in db.session.scalars(sa.select(Topic))}
    coordinator = db.session.scalar(sa.select(User).where(User.email == "coordinator@example.jp"))
    themes = [IdeaTheme(title=t.title, title_reading=t.reading, description=t.description, opens_at=t.opens_at,
                        closes_at=t.closes_at, hold_first_posts=t.hold_first_posts, materials=[],
                        created_by=coordinator, created_at=t.opens_at - timedelta(days=3),
                        updated_at=t.opens_at - timedelta(days=3)) for t in dialogue.themes]
    profiles = []
    for n, p in enumerate(dialogue.participants, start=1):
        user = User(email=f"participant{n:04d}@example.jp", display_name=p.handle, role="participant",
                    password_hash=UNUSABLE_PASSWORD, created_at=p.joined_at, updated_at=p.joined_at)
        profiles.append(IdeaProfile(user=user, handle=p.handle, voice=p.voice, age_band=p.age_band, gender=p.gender,
                                    prefecture_id=prefectures.get(p.prefecture_code or ""), created_at=p.joined_at))
    db.session.add_all(themes + profiles)
    for story in dialogue.ideas:
        activity = [(story.at, ideas_rules.WEIGHT_IDEA)]
        activity += [(c.at, ideas_rules.WEIGHT_COMMENT) for c in story.comments]
        activity += [(at, ideas_rules.WEIGHT_VOTE) for _voter, _value, at in story.votes]
        trend = None
        for at, weight in sorted(activity):
            trend = ideas_rules.add_activity(trend, weight, at)
        last = max(at for at, _ in activity)
        author = profiles[story.author]
        idea = Idea(theme=themes[story.theme], author=author, voice=author.voice, title=story.title, body=story.body,
                    municipality=by_code.get(story.municipality_code or ""), topics=[topics[s] for s in story.topics],
                    status=story.status, answer=story.answer,
                    answered_at=themes[story.theme].closes_at + timedelta(days=14) if story.answer else None,
                    answered_by=coordinator if story.answer else None,
                    agree_count=sum(v == 1 for _p, v, _at in story.votes),
                    disagree_count=sum(v == -1 for _p, v, _at in story.votes),
                    comment_count=len(story.comments), trend=trend, last_activity_at=last,
                    created_at=story.at, updated_at=last)
        db.session.add(idea)
        made: list[IdeaComment] = []
        for c in story.comments:
            parent = made[c.reply_to] if c.reply_to is not None else None
            if parent is not None and parent.parent is not None:
                parent = parent.parent
            row = IdeaComment(idea=idea, parent=parent, author=profiles[c.author], stance=c.stance, body=c.body,
                              created_at=c.at, updated_at=c.at)
            made.append(row)
        db.session.add_all(made)
        db.session.add_all(IdeaVote(idea=idea, profile=profiles[p], value=v, created_at=at, updated_at=at)
                           for p, v, at in story.votes)
    db.session.flush()
    ideas_service.rebuild_participation(db.session.connection())


# What demo towns would tell others, and how long it took (the demo's use cases).
_DEMO_ADVICE = (
    "完璧なデータを待たずに、まず一つ公開してみること。利用者の声で次に何を出すかが決まりました。",
    "庁内の勉強会を先に開くと、担当課の協力が得やすくなります。",
    "地域のシビックテックの集まりに声をかけ、使い道を一緒に考えてもらいました。",
    "推奨データセットの項目に合わせておくと、他の自治体と比べやすくなります。",
)
_DEMO_TIME = ("3か月、勉強会2回", "半年、ワークショップ3回", "4か月、訪問2回とオンライン相談1回")
_DEMO_PEOPLE = ("情報政策課2名、防災課1名、地域のシビックテック団体", "企画課の担当者1名と各課の窓口", "総務課1名、市民ボランティア5名")
# Widening participation (参加の多様化): how a town or community widened who takes part.
_DEMO_PARTICIPATION = (
    "アイデアソンを平日夜と土曜の2回に分け、子育て世代や学生も参加できるようにしました。",
    "高校の授業と連携し、生徒が地域のデータを集めて公開する取組を始めました。",
)
# (final status, kind) of the demo's use cases, in the order of the completed requests.
_DEMO_USE_CASES = (("published", "story"), ("published", "participation"), ("published", "story"),
                   ("with_town", "story"), ("changes_asked", "story"))


def _demo_use_cases(seed: int, coordinator: User | None, today: date) -> None:
    """A few use cases (事例) from completed demo requests, each drafted by the evangelist
    who served it and audited as the services do: three published (one of widening
    participation, with a community of its prefecture), one with the town, one whose town
    asked for changes."""
    rng = random.Random(seed + 22)
    completed = list(db.session.scalars(
        sa.select(SupportRequest).where(SupportRequest.status == "completed",
                                        # closed long enough ago for the town to have answered by today
                                        SupportRequest.closed_at <= start_of_day_in_japan(today) - timedelta(days=20))
        .order_by(SupportRequest.closed_at, SupportRequest.id)))
    completed = [r for r in completed if any(a.visits for a in r.assignments)]
    events = []
    for (status, kind), request in zip(_DEMO_USE_CASES, completed[-len(_DEMO_USE_CASES):], strict=False):
        served = next(a for a in request.assignments if a.visits)
        author = served.evangelist.user
        words = prefill(request)
        town = request.municipality
        drafted = request.closed_at + timedelta(days=3)
        sent = drafted + timedelta(days=7)
        answered = sent + timedelta(days=5)
        community = None
        if kind == "participation":
            community = db.session.scalar(
                sa.select(Community).join(Municipality, Community.municipality_id == Municipality.id)
                .where(Municipality.prefecture_id == town.prefecture_id).order_by(Community.id).limit(1))
        use_case = UseCase(
            kind=kind, status=status, municipality=town, request=request, community=community,
            author_id=author.id if author is not None else None,
            title=(f"{town.name}: 参加の輪を広げたデータ公開" if kind == "participation"
                   else f"{town.name}: {words['datasets']}件のデータ公開から始めた取組" if words["datasets"]
                   else f"{town.name}: データカタログの公開までの取組" if words["catalogue_url"]
                   else f"{town.name}: オープンデータを始めるまでの取組"),
            starting_point=request.message or "オープンデータの担当者がおらず、何から始めるか決まっていなかった。",
            what_was_done=words["what_was_done"] + (f"\n\n{rng.choice(_DEMO_PARTICIPATION)}"
                                                    if kind == "participation" else ""),
            results=words["results"] or f"公開したデータは{town.name}のウェブサイトからダウンロードできます。",
            datasets=words["datasets"], catalogue_url=words["catalogue_url"],
            people=rng.choice(_DEMO_PEOPLE), time_taken=rng.choice(_DEMO_TIME), advice=rng.choice(_DEMO_ADVICE),
            population_band=words["population_band"], created_at=drafted, updated_at=answered,
            sent_to_town_at=sent,
            town_agreed_at=answered if status == "published" else None,
            published_at=answered if status == "published" else None,
            version=4 if status == "with_town" else 5,
        )
        use_case.topics = words["topics"]
        use_case.visits = words["visits"]
        use_case.outcomes = words["outcomes"]
        use_case.links = [UseCaseLink(position=i, label=label, url=url) for i, (label, url) in enumerate(words["links"])]
        if status != "with_town":
            decision = "agreed" if status == "published" else "changes_asked"
            use_case.town_answers = [UseCaseTownAnswer(
                decision=decision, version=4, created_at=answered,
                message="" if decision == "agreed" else "担当者の人数と、公開したデータの名前を正確にしてください。")]
        db.session.add(use_case)
        refresh_search_text(use_case)
        db.session.flush()
        steps = [(drafted, author, "use_case.drafted", None, {"request": request.id}),
                 (drafted + timedelta(hours=2), author, "use_case.submitted", {"status": "draft"},
                  {"status": "with_coordinator"}),
                 (sent, coordinator, "use_case.sent", {"status": "with_coordinator"}, {"status": "with_town"})]
        if status == "published":
            steps.append((answered, MUNICIPALITY, "use_case.agreed", {"status": "with_town"}, {"status": "published"}))
        elif status == "changes_asked":
            steps.append((answered, MUNICIPALITY, "use_case.changes_asked", {"status": "with_town"},
                          {"status": "changes_asked"}))
        events += [_event(at, actor, action, "use_case", use_case.id, before=before, after=after)
                   for at, actor, action, before, after in steps if actor is not None]
    _add_events(events)


def existing_demo_accounts() -> tuple[tuple[str, str], ...]:
    """``(role, email)`` of the demo accounts present in the database."""
    emails = [email for _, email, _ in DEMO_ACCOUNTS]
    found = db.session.execute(
        sa.select(User.role, User.email).where(User.email.in_(emails))
    ).all()
    return tuple(sorted(found, key=lambda pair: emails.index(pair[1])))


def _delete_network() -> None:
    """Delete every network, workflow and account row (the gazetteer and topics stay);
    not committed. A use case's stored files go from the disk too."""
    for attachment in db.session.scalars(sa.select(UseCaseAttachment)):
        file_path(attachment).unlink(missing_ok=True)
    # Use cases first: they name requests, visits, outcomes, communities and users.
    for table in (use_case_topics, use_case_visits, use_case_outcomes):
        db.session.execute(sa.delete(table))
    for model in (UseCaseTownAnswer, UseCaseAttachment, UseCaseLink, UseCase):
        db.session.execute(sa.delete(model))
    for model in (IdeaThemeParticipant, IdeaVisitor, IdeaPageViews, IdeaViewSalt, ModerationEvent, IdeaReport, IdeaVote, IdeaComment):
        db.session.execute(sa.delete(model))
    db.session.execute(sa.delete(idea_topics))
    for model in (Idea, IdeaProfile, IdeaTheme):
        db.session.execute(sa.delete(model))
    # Registrations point at the community they became and the coordinator who decided.
    for model in (Notice, NoticePreference, RequestFeedback, RequestNote, VisitSlot, Booking, CalendarFeed,
                  Outcome, Visit, Assignment, SupportRequest, EvangelistApplication, Evangelist,
                  CommunityRegistration,
                  CommunityStatusChange, Community,
                  AuditEvent, UserRegion, User):
        db.session.execute(sa.delete(model))
    # Bulk deletes pass the session's flush, which keeps the search documents in step.
    db.session.execute(sa.delete(SearchDocument).where(SearchDocument.kind != "municipality"))
    db.session.execute(
        sa.update(Municipality).values(open_data_status="non_active", engagement_stage="none", open_data_since=None)
    )
