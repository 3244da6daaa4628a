"""Deterministic demo data: generated people and groups placed in real municipalities.

Nothing here names a real person: family and given names are drawn independently from
lists of common names, and contact addresses use the reserved ``example.jp`` domain.
The same seed always gives the same data (``random.Random(seed)``, inputs sorted by code).

Shares used (documented in the README):
- open-data active municipalities: about 85 % overall (the Agency's list counts about 90 %),
  lower for small places: cities and special wards 95 %, towns 80 %, villages 60 %;
- communities: only in cities, wards and designated cities, designated cities six times as
  likely; 85 % active, the rest dormant;
- evangelists: 90 % in a community, living within 40 km of it; 85 % active, 5 % paused,
  7 % candidates, 3 % retired;
- requests: from municipalities that have not started open data, about 60 % new and
  35 % triaged, a few declined or withdrawn.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from evangelists.geo import haversine_matrix_km
from evangelists.vocabulary import AGE_BANDS, GENDERS

OPEN_DATA_SHARE_BY_KIND = {
    "designated_city": 0.95,
    "special_ward": 0.95,
    "city": 0.95,
    "town": 0.80,
    "village": 0.60,
}
COMMUNITY_WEIGHT_BY_KIND = {"designated_city": 6.0, "special_ward": 2.0, "city": 1.0}
EVANGELIST_STATUS_SHARES = (("active", 0.85), ("paused", 0.05), ("candidate", 0.07), ("retired", 0.03))
REQUEST_STATUS_SHARES = (("new", 0.60), ("triaged", 0.35), ("declined", 0.03), ("withdrawn", 0.02))
EVANGELIST_NEIGHBOURHOOD_KM = 40.0

FAMILY_NAMES = (
    "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤",
    "吉田", "山田", "佐々木", "山口", "松本", "井上", "木村", "林", "斎藤", "清水",
    "山崎", "森", "池田", "橋本", "阿部", "石川", "山下", "中島", "石井", "小川",
    "前田", "岡田", "長谷川", "藤田", "後藤", "近藤", "村上", "遠藤", "青木", "坂本",
)
GIVEN_NAMES = (
    "陽菜", "結衣", "葵", "美咲", "さくら", "七海", "彩花", "真央", "優子", "里奈",
    "大翔", "蓮", "悠真", "陽斗", "湊", "健太", "翔太", "拓海", "直樹", "誠",
    "明美", "恵", "裕子", "智子", "亮", "隆", "修", "浩二", "春香", "千尋",
)
COMMUNITY_PATTERNS = (
    "{place}シビックテック",
    "{place}オープンデータ研究会",
    "Civic Lab {place}",
    "{place}データ部",
    "{place}まちづくりハック",
)
DEPARTMENTS = (
    "情報政策課", "企画課", "総務課", "DX推進室", "政策推進課", "デジタル推進課", "企画財政課",
)
PERIODS = ("今年度中", "来月以降", "3か月以内", "秋頃", "年明け以降", "")
MESSAGES = (
    "オープンデータの取り組みを始めたいが、何から手を付ければよいか分からない。",
    "推奨データセットの公開手順について相談したい。",
    "職員向けの勉強会を開いてほしい。",
    "データカタログサイトの立ち上げを検討している。",
    "",
)


@dataclass(frozen=True)
class Place:
    """A municipality as the generator sees it."""

    code: str
    name: str
    kind: str
    lat: float
    lon: float


@dataclass(frozen=True)
class DemoCommunity:
    name: str
    municipality_code: str
    lat: float
    lon: float
    status: str
    member_count: int
    founded_on: date


@dataclass(frozen=True)
class DemoEvangelist:
    family_name: str
    given_name: str
    status: str
    municipality_code: str
    lat: float
    lon: float
    community_index: int | None  # index into the communities list
    skills: tuple[str, ...]
    languages: tuple[str, ...]
    capacity: int
    travel_radius_km: float
    online_ok: bool
    appointed_on: date | None
    age_band: str | None
    gender: str | None


@dataclass(frozen=True)
class DemoRequest:
    municipality_code: str
    contact_name: str
    department: str
    email: str
    phone: str
    topics: tuple[str, ...]
    mode: str
    period: str
    message: str
    status: str
    submitted_days_ago: int


@dataclass(frozen=True)
class DemoNetwork:
    open_data_active: frozenset[str]  # municipality codes
    communities: tuple[DemoCommunity, ...]
    evangelists: tuple[DemoEvangelist, ...]
    requests: tuple[DemoRequest, ...]


def generate(
    places: list[Place],
    topics: list[str],
    *,
    evangelists: int = 300,
    communities: int = 60,
    requests: int = 120,
    seed: int = 7,
    today: date,
) -> DemoNetwork:
    """Generate a demo network over ``places`` (all municipalities) and ``topics`` (slugs).

    Raises ValueError when the counts cannot be met: more communities than cities, or
    requests asked for with no municipality left that has not started open data.
    """
    for name, value in (("evangelists", evangelists), ("communities", communities), ("requests", requests)):
        if value < 0:
            raise ValueError(f"{name} must be 0 or more, not {value}")
    if not topics:
        raise ValueError("the topic vocabulary is empty: load the topics first")
    rng = random.Random(seed)
    places = sorted(places, key=lambda p: p.code)

    active = frozenset(
        p.code for p in places if rng.random() < OPEN_DATA_SHARE_BY_KIND[p.kind]
    )
    made_communities = _communities(rng, places, communities, today)
    made_evangelists = _evangelists(rng, places, made_communities, evangelists, topics, today)
    non_active = [p for p in places if p.code not in active]
    if requests and not non_active:
        raise ValueError("every municipality is open-data active: no one left to request help")
    made_requests = _requests(rng, non_active, requests, topics)
    return DemoNetwork(active, made_communities, made_evangelists, made_requests)


def _jitter(rng: random.Random, lat: float, lon: float, km: float) -> tuple[float, float]:
    """A point up to ``km`` from (lat, lon), rounded to 6 decimals (about 10 cm)."""
    dlat = rng.uniform(-km, km) / 111.0
    dlon = rng.uniform(-km, km) / (111.0 * max(0.2, np.cos(np.radians(lat))))
    return round(lat + dlat, 6), round(lon + dlon, 6)


def _weighted(rng: random.Random, shares) -> str:
    values, weights = zip(*shares, strict=True)
    return rng.choices(values, weights=weights)[0]


def _communities(rng, places, count, today) -> tuple[DemoCommunity, ...]:
    urban = [p for p in places if p.kind in COMMUNITY_WEIGHT_BY_KIND]
    if count > len(urban) * len(COMMUNITY_PATTERNS):
        raise ValueError(f"cannot place {count} communities in {len(urban)} cities")
    weights = [COMMUNITY_WEIGHT_BY_KIND[p.kind] for p in urban]
    made, names = [], set()
    while len(made) < count:
        place = rng.choices(urban, weights=weights)[0]
        short = place.name.removesuffix("市").removesuffix("区") or place.name
        name = rng.choice(COMMUNITY_PATTERNS).format(place=short)
        if name in names:
            continue
        names.add(name)
        lat, lon = _jitter(rng, place.lat, place.lon, 2.0)
        made.append(
            DemoCommunity(
                name=name,
                municipality_code=place.code,
                lat=lat,
                lon=lon,
                status="active" if rng.random() < 0.85 else "dormant",
                member_count=rng.randint(5, 120),
                founded_on=today - timedelta(days=rng.randint(200, 4000)),
            )
        )
    return tuple(made)


def _evangelists(rng, places, communities, count, topics, today) -> tuple[DemoEvangelist, ...]:
    if count and not communities:
        raise ValueError("evangelists are placed near communities: ask for at least one")
    by_code = {p.code: p for p in places}
    lat = np.array([p.lat for p in places])
    lon = np.array([p.lon for p in places])
    home_lat = np.array([by_code[c.municipality_code].lat for c in communities])
    home_lon = np.array([by_code[c.municipality_code].lon for c in communities])
    # Municipalities within reach of each community, computed once.
    near = haversine_matrix_km(home_lat, home_lon, lat, lon) <= EVANGELIST_NEIGHBOURHOOD_KM
    neighbours = [np.flatnonzero(row) for row in near]

    made = []
    for _ in range(count):
        index = rng.randrange(len(communities))
        place = places[int(rng.choice(neighbours[index]))]
        in_community = rng.random() < 0.9
        status = _weighted(rng, EVANGELIST_STATUS_SHARES)
        lat_, lon_ = _jitter(rng, place.lat, place.lon, 3.0)
        made.append(
            DemoEvangelist(
                family_name=rng.choice(FAMILY_NAMES),
                given_name=rng.choice(GIVEN_NAMES),
                status=status,
                municipality_code=place.code,
                lat=lat_,
                lon=lon_,
                community_index=index if in_community else None,
                skills=tuple(sorted(rng.sample(topics, rng.randint(2, min(5, len(topics)))))),
                languages=("ja", "en") if rng.random() < 0.15 else ("ja",),
                capacity=rng.randint(1, 4),
                travel_radius_km=float(rng.choice((30, 50, 80, 100, 150))),
                online_ok=rng.random() < 0.8,
                appointed_on=None
                if status == "candidate"
                else today - timedelta(days=rng.randint(30, 2000)),
                age_band=rng.choice(AGE_BANDS[1:]) if rng.random() < 0.7 else None,
                gender=rng.choice(GENDERS[:2] * 9 + GENDERS[2:]) if rng.random() < 0.7 else None,
            )
        )
    return tuple(made)


def _requests(rng, non_active, count, topics) -> tuple[DemoRequest, ...]:
    # Each municipality asks once until all have asked; only then do repeats appear.
    order = rng.sample(non_active, len(non_active))
    made = []
    for n in range(count):
        place = order[n % len(order)]
        family, given = rng.choice(FAMILY_NAMES), rng.choice(GIVEN_NAMES)
        made.append(
            DemoRequest(
                municipality_code=place.code,
                contact_name=f"{family} {given}",
                department=rng.choice(DEPARTMENTS),
                email=f"contact{n + 1:04d}@example.jp",
                # 03-0000-xxxx: the 0000 exchange is never assigned, so no real line rings.
                phone=f"+8130000{rng.randint(0, 9999):04d}",
                topics=tuple(sorted(rng.sample(topics, rng.randint(1, 4)))),
                mode=rng.choice(("onsite", "online", "either", "either")),
                period=rng.choice(PERIODS),
                message=rng.choice(MESSAGES),
                status=_weighted(rng, REQUEST_STATUS_SHARES),
                submitted_days_ago=rng.randint(0, 90),
            )
        )
    return tuple(made)
