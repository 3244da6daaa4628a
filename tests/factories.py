"""``make_x(**overrides)`` factories with sensible defaults. They flush, never commit."""

from __future__ import annotations

import hashlib
import itertools
from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Assignment,
    Booking,
    Community,
    CommunityRegistration,
    Evangelist,
    EvangelistApplication,
    Idea,
    IdeaComment,
    IdeaProfile,
    IdeaTheme,
    Municipality,
    Outcome,
    Prefecture,
    RequestAddition,
    SupportRequest,
    UseCase,
    User,
    Visit,
    VisitSlot,
)
from app.secrets_at_rest import seal
from evangelists.calendar import start_of_day_in_japan, today_in_japan
from evangelists.gazetteer import lg_code
from evangelists.names import readings

_serial = itertools.count(1)


def _save(row):
    db.session.add(row)
    db.session.flush()
    return row


# The reference places the tests share: Hokkaido and Aomori, and towns of theirs with their
# real codes, names and coordinates. ``make_prefecture(code="02")`` is Aomori;
# ``make_places("sapporo", "aomori")`` makes those towns (and their prefectures).
PREFECTURES = {
    "01": dict(name_ja="北海道", name_kana="ホッカイドウ", name_en="Hokkaido", region="hokkaido"),
    "02": dict(name_ja="青森県", name_kana="アオモリケン", name_en="Aomori", region="tohoku"),
}
PLACES = {
    "sapporo": dict(code="011002", name="札幌市", name_romaji="Sapporo-shi", kind="designated_city",
                    lat=43.0642, lon=141.3469, open_data_status="active"),
    "tobetsu": dict(code="013030", name="当別町", name_romaji="Tobetsu-cho", lat=43.2237, lon=141.5170),
    "ishikari": dict(code="012351", name="石狩市", name_romaji="Ishikari-shi", kind="city", lat=43.1713, lon=141.3157),
    "otaru": dict(code="012033", name="小樽市", name_romaji="Otaru-shi", kind="city", lat=43.1907, lon=140.9946,
                  open_data_status="active"),
    "aomori": dict(code="022012", name="青森市", name_romaji="Aomori-shi", kind="city", lat=40.8246, lon=140.7406),
    "hirosaki": dict(code="022021", name="弘前市", name_romaji="Hirosaki-shi", kind="city", lat=40.6031, lon=140.4640),
}


def make_prefecture(**overrides) -> Prefecture:
    """The prefecture with this code (Hokkaido, "01", by default), made if missing. Codes of
    PREFECTURES get their real names; others Hokkaido's unless given."""
    code = overrides.pop("code", "01")
    existing = db.session.scalar(sa.select(Prefecture).where(Prefecture.code == code))
    if existing is not None and not overrides:
        return existing
    fields = dict(code=code, **PREFECTURES.get(code, PREFECTURES["01"]))
    fields.update(overrides)
    return _save(Prefecture(**fields))


def make_places(*names: str, **overrides: dict) -> dict[str, Municipality]:
    """The reference towns called ``names`` (keys of PLACES) in Hokkaido and Aomori, made with
    their prefectures; ``sapporo={"kind": "city"}`` changes a field of one."""
    made = {}
    for name in names:
        fields = {**PLACES[name], **overrides.get(name, {})}
        made[name] = make_municipality(prefecture=make_prefecture(code=fields["code"][:2]), **fields)
    return made


def make_municipality(**overrides) -> Municipality:
    n = next(_serial)
    prefecture = overrides.pop("prefecture", None) or make_prefecture()
    fields = dict(
        code=lg_code(f"{prefecture.code}{900 + n % 100:03d}"),
        prefecture=prefecture,
        name=f"テスト{n}町",
        name_kana=f"テスト{n}チョウ",
        name_romaji=f"Test{n}-cho",
        kind="town",
        lat=43.0,
        lon=141.3,
    )
    fields.update(overrides)
    return _save(Municipality(**fields))


def make_user(**overrides) -> User:
    n = next(_serial)
    fields = dict(email=f"user{n}@example.jp", display_name=f"利用者 {n}", role="coordinator")
    fields.update(overrides)
    return _save(User(**fields))


def make_community(**overrides) -> Community:
    n = next(_serial)
    municipality = overrides.pop("municipality", None) or make_municipality()
    fields = dict(
        name=f"テストコミュニティ{n}",
        municipality=municipality,
        lat=municipality.lat,
        lon=municipality.lon,
        status="active",
        member_count=10,
    )
    fields.update(overrides)
    return _save(Community(**fields))


def make_registration(**overrides) -> CommunityRegistration:
    """A community's registration from the public form (issue 22.5), its address confirmed
    and waiting for review unless ``status`` says otherwise (an unconfirmed one gets a
    live link for 48 hours: ``token`` gives its value)."""
    from app.models.base import utcnow
    from app.services.community_registrations import hash_token

    n = next(_serial)
    token = overrides.pop("token", None)
    status = overrides.get("status", "pending")
    now = utcnow()
    fields = dict(
        name=f"登録コミュニティ{n}",
        municipality=overrides.pop("municipality", None) or make_municipality(),
        contact_email=f"registrant{n}@example.jp",
        consent=True,
        status="pending",
        member_count=12,
        how_to_join="毎月の勉強会にどうぞ",
        description="地域のデータを使う会です",
        confirmed_at=None if status == "unconfirmed" else now,
    )
    if status == "unconfirmed":
        token = token or f"registration-token-{n}"
        fields.update(token_hash=hash_token(token), token_sealed=seal(token), confirm_by=now + timedelta(hours=48))
    fields.update(overrides)
    return _save(CommunityRegistration(**fields))


def make_evangelist(**overrides) -> Evangelist:
    municipality = overrides.pop("home_municipality", None) or make_municipality()
    if "user" not in overrides:
        overrides["user"] = make_user(role="evangelist")
    fields = dict(
        family_name="試験",
        given_name="花子",
        status="active",
        home_municipality=municipality,
        lat=municipality.lat,
        lon=municipality.lon,
        capacity=2,
        travel_radius_km=50.0,
    )
    fields.update(overrides)
    # The reading the tables of evangelists.names know (as migration 0018 fills it), unless given.
    family_kana, given_kana = readings(fields["family_name"], fields["given_name"])
    fields.setdefault("family_name_kana", family_kana[0] if family_kana else "")
    fields.setdefault("given_name_kana", given_kana[0] if given_kana else "")
    return _save(Evangelist(**fields))


def make_request(**overrides) -> SupportRequest:
    n = next(_serial)
    fields = dict(
        municipality=overrides.pop("municipality", None) or make_municipality(),
        contact_name="担当 太郎",
        department="情報政策課",
        email=f"contact{n}@example.jp",
        phone="+81312345678",
        preferred_mode="either",
    )
    # The private status token is "token-<n>", or the ``token`` given.
    token = overrides.pop("token", f"token-{n}")
    fields.update(token_hash=hashlib.sha256(token.encode()).hexdigest(), token_sealed=seal(token))
    fields.update(overrides)
    return _save(SupportRequest(**fields))


def make_addition(**overrides) -> RequestAddition:
    """A pending addition from another person of the town (to a new request by default)."""
    n = next(_serial)
    fields = dict(
        request=overrides.pop("request", None) or make_request(),
        contact_name="別の 職員",
        department="総務課",
        email=f"other{n}@example.jp",
        phone="+81311112222",
        message="補足の相談です。",
    )
    fields.update(overrides)
    return _save(RequestAddition(**fields))


def make_assignment(**overrides) -> Assignment:
    """An evangelist proposed for a request (a new one of each by default)."""
    fields = dict(
        request=overrides.pop("request", None) or make_request(),
        evangelist=overrides.pop("evangelist", None) or make_evangelist(),
        status="proposed",
        score=0.5,
        distance_km=10.0,
        reasons=[],
    )
    fields.update(overrides)
    return _save(Assignment(**fields))


def make_visit(**overrides) -> Visit:
    """A visit made today under an accepted assignment (a new one by default)."""
    fields = dict(
        assignment=overrides.pop("assignment", None) or make_assignment(status="accepted"),
        visited_on=today_in_japan(),
        mode="online",
        duration_minutes=60,
        summary="相談",
    )
    fields.update(overrides)
    return _save(Visit(**fields))


def make_outcome(**overrides) -> Outcome:
    """An outcome of a visit (a new one by default), achieved on the day of the visit."""
    visit = overrides.pop("visit", None) or make_visit()
    fields = dict(visit=visit, type="event_held", count=None, achieved_on=visit.visited_on)
    fields.update(overrides)
    return _save(Outcome(**fields))


def make_booking(**overrides) -> Booking:
    """A booked visit a week ahead (10:00-11:30 in Japan) under an accepted assignment."""
    assignment = overrides.pop("assignment", None) or make_assignment(status="accepted")
    starts = start_of_day_in_japan(today_in_japan() + timedelta(days=7)) + timedelta(hours=10)
    fields = dict(request=assignment.request, assignment=assignment, status="booked", mode="onsite",
                  place="市役所 会議室", attendees="情報政策課", starts_at=starts, ends_at=starts + timedelta(minutes=90),
                  sequence=0, slots=[VisitSlot(starts_at=starts, ends_at=starts + timedelta(minutes=90))])
    fields.update(overrides)
    return _save(Booking(**fields))


# -- the open dialogue (issue 21) ---------------------------------------------------------


def make_theme(**overrides) -> IdeaTheme:
    """A national theme open from a day ago for thirty days (UTC clock of the test run)."""
    from app.models.base import utcnow

    n = next(_serial)
    now = utcnow()
    fields = dict(title=f"テーマ{n}", description="どんなデータが欲しいですか。", opens_at=now - timedelta(days=1),
                  closes_at=now + timedelta(days=30), scope="national", materials=[])
    fields.update(overrides)
    return _save(IdeaTheme(**fields))


def make_profile(**overrides) -> IdeaProfile:
    """A dialogue profile, with a participant account unless ``user`` is given."""
    n = next(_serial)
    if "user" not in overrides and "user_id" not in overrides:
        overrides["user"] = make_user(role="participant", display_name=f"参加者{n}")
    fields = dict(handle=f"参加者{n}", voice="resident_business")
    fields.update(overrides)
    return _save(IdeaProfile(**fields))


def make_idea(**overrides) -> Idea:
    from app.models.base import utcnow
    from evangelists.ideas import WEIGHT_IDEA, trend_key

    n = next(_serial)
    theme = overrides.pop("theme", None) or make_theme()
    author = overrides.pop("author", None) or make_profile()
    now = overrides.pop("created_at", None) or utcnow()
    fields = dict(theme=theme, author=author, voice=author.voice, title=f"アイデア{n}",
                  body="バス停の位置をオープンデータにしてください。", created_at=now, updated_at=now,
                  last_activity_at=now, trend=trend_key(WEIGHT_IDEA, now))
    fields.update(overrides)
    return _save(Idea(**fields))


def make_comment(**overrides) -> IdeaComment:
    idea = overrides.pop("idea", None) or make_idea()
    author = overrides.pop("author", None) or make_profile()
    fields = dict(idea=idea, author=author, stance="agree", body="賛成です。")
    fields.update(overrides)
    return _save(IdeaComment(**fields))


def make_use_case(**overrides) -> UseCase:
    """A use case of a town, published unless ``status`` says otherwise; its ``search_text``
    made from its words as app.services.use_cases makes it."""
    from app.models.base import utcnow
    from evangelists.use_cases import search_text_of

    n = next(_serial)
    municipality = overrides.pop("municipality", None) or make_municipality()
    status = overrides.pop("status", "published")
    now = utcnow()
    fields = dict(municipality=municipality, status=status, kind="story", title=f"事例{n}: 避難所データの公開",
                  starting_point="オープンデータの担当者がいなかった。", what_was_done="避難所一覧をCSVで公開した。",
                  results="避難所一覧など3件のデータセット。", advice="小さく始めること。",
                  published_at=now if status == "published" else None)
    fields.update(overrides)
    use_case = UseCase(**fields)
    use_case.search_text = search_text_of(
        [use_case.title, use_case.starting_point, use_case.what_was_done, use_case.results, use_case.people,
         use_case.time_taken, use_case.advice, municipality.name, *(t.name_ja for t in use_case.topics)])
    return _save(use_case)


def make_application(**overrides) -> EvangelistApplication:
    """A public application to become an evangelist, confirmed and waiting as a possible
    duplicate unless ``status`` says otherwise (an unconfirmed one gets a live link:
    ``token`` gives its value)."""
    from app.models.base import utcnow
    from app.services.applications import hash_token

    municipality = overrides.pop("municipality", None) or make_municipality()
    token = overrides.pop("token", None)
    status = overrides.get("status", "possible_duplicate")
    now = utcnow()
    fields = dict(
        status=status, family_name="応募", given_name="太郎", family_name_kana="オウボ", given_name_kana="タロウ",
        email=f"applicant{next(_serial)}@example.jp", municipality=municipality, skills=["gis"], languages=["ja"],
        capacity=2, travel_radius_km=50.0, online_ok=True, consented_at=now, confirm_by=now + timedelta(hours=48),
        confirmed_at=None if status == "unconfirmed" else now, matches=[],
    )
    if status == "unconfirmed":
        token = token or f"test-token-{next(_serial)}"
        fields.update(token_hash=hash_token(token), token_sealed=seal(token))
    fields.update(overrides)
    return _save(EvangelistApplication(**fields))
def make_completed_request(**overrides) -> SupportRequest:
    """A completed request served by an evangelist (``evangelist``, a new one with an
    account by default): a completed assignment with two visits, their outcomes (5 and 3
    datasets published, a catalogue launched with its address) and their topics. The
    town has ``population`` (12,000 unless given)."""
    from app.models import Topic
    from app.models.base import utcnow

    population = overrides.pop("population", 12_000)
    municipality = overrides.pop("municipality", None) or make_municipality(population=population)
    evangelist = overrides.pop("evangelist", None) or make_evangelist()
    topics = list(db.session.scalars(sa.select(Topic).order_by(Topic.position).limit(2)))
    fields = dict(municipality=municipality, status="completed", closed_at=utcnow(), message="データ公開を始めたい。")
    fields.update(overrides)
    request = make_request(**fields)
    request.topics = topics[:1]
    assignment = make_assignment(request=request, evangelist=evangelist, status="completed", completed_at=utcnow())
    first = make_visit(assignment=assignment, author_id=evangelist.user_id, summary="庁内勉強会を開いた。",
                       attendee_departments="情報政策課、防災課", visited_on=today_in_japan() - timedelta(days=20))
    first.topics = topics[1:2]
    second = make_visit(assignment=assignment, author_id=evangelist.user_id, summary="避難所データをCSVで公開した。",
                        attendee_departments="防災課")
    make_outcome(visit=first, type="datasets_published", count=5, note="避難所一覧ほか", evidence_url="https://example.jp/data/1")
    make_outcome(visit=second, type="datasets_published", count=3)
    make_outcome(visit=second, type="catalog_launched", evidence_url="https://example.jp/catalog")
    db.session.flush()
    return request
