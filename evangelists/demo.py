"""Deterministic demo data: generated people and groups placed in real municipalities, and
two years of the programme's requests, each with the story that brought it where it is.

Nothing here names a real person: family and given names are drawn independently from
lists of common names, and every address uses the reserved ``example.jp`` domain.
The same seed always gives the same data (``random.Random(seed)``, inputs sorted by code).

What the shares and distributions are (documented in the README):
- open-data active municipalities before the programme's two years: about 84 % (cities and
  wards 95 %, towns 78 %, villages 55 %); towns helped to their first publication become
  active on the day of that visit, so today's share is near the Agency's 90 %;
- a municipality's size is estimated from its prefecture's population (2020 census,
  ``data/prefecture_population.csv``) shared among its municipalities by kind (a designated
  city counts as about 1,000,000 people, a ward 420,000, a city 70,000, a town 15,000, a
  village 4,000); communities and evangelists follow these sizes;
- communities: in cities and wards, at least one per prefecture when there are enough of
  them, the rest by population; members grow with the size of the town; 85 % active;
- evangelists: apportioned to prefectures by population (with a little noise), 90 % in a
  community within 40 km; 85 % active, 5 % paused, 7 % candidates, 3 % retired; age bands
  and genders (self-reported by about 80 %) as the programme's participants look today:
  three in four aged 30–59, about three men to one woman;
- requests: over the last two years, arriving more and more often (four times as often now
  as two years ago), plus a wave (12 %) answering the Agency's notice to every municipality
  three weeks ago; on weekdays and in office hours (Japan time) mostly; every request
  follows the same process (days to the first proposal, to the answer, to the first visit,
  between visits, to completion), and today's state is wherever that process has reached,
  so open requests are as old as the process makes them.
"""

from __future__ import annotations

import csv
import heapq
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from importlib import resources

import numpy as np

from evangelists.calendar import PROGRAMME_ZONE, start_of_day_in_japan
from evangelists.geo import haversine_matrix_km
from evangelists.matching import Candidate, Need, rank
from evangelists.vocabulary import ACTIVATING_OUTCOMES

OPEN_DATA_SHARE_BY_KIND = {
    "designated_city": 0.95,
    "special_ward": 0.95,
    "city": 0.95,
    "town": 0.78,
    "village": 0.55,
}
# Typical people per municipality of each kind, shared out within a prefecture.
NOMINAL_SIZE_BY_KIND = {
    "designated_city": 1_000_000,
    "special_ward": 420_000,
    "city": 70_000,
    "town": 15_000,
    "village": 4_000,
}
URBAN_KINDS = ("designated_city", "special_ward", "city")
EVANGELIST_STATUS_SHARES = (("active", 0.85), ("paused", 0.05), ("candidate", 0.07), ("retired", 0.03))
EVANGELIST_NEIGHBOURHOOD_KM = 40.0
# Of those who say: the programme's participants as its presentations show them.
AGE_BAND_SHARES = (
    ("under_20", 0.01), ("20s", 0.10), ("30s", 0.24), ("40s", 0.31),
    ("50s", 0.20), ("60s", 0.10), ("70_plus", 0.04),
)
GENDER_SHARES = (("male", 0.72), ("female", 0.25), ("nonbinary", 0.02), ("other", 0.01))
SAYS_AGE_SHARE = 0.85
SAYS_GENDER_SHARE = 0.80

FAMILY_NAMES = (
    "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤",
    "吉田", "山田", "佐々木", "山口", "松本", "井上", "木村", "林", "斎藤", "清水",
    "山崎", "森", "池田", "橋本", "阿部", "石川", "山下", "中島", "石井", "小川",
    "前田", "岡田", "長谷川", "藤田", "後藤", "近藤", "村上", "遠藤", "青木", "坂本",
    "西村", "福田", "太田", "三浦", "藤井", "岡本", "松田", "中川", "原田", "小野",
)
# Given names by gender and generation (names popular when people of that age were born).
GIVEN_NAMES = {
    ("female", "young"): ("陽菜", "結衣", "葵", "美咲", "さくら", "七海", "彩花", "真央", "里奈", "千尋"),
    ("female", "middle"): ("愛", "麻衣", "彩", "沙織", "舞", "瞳", "優子", "絵美", "香織", "恵美"),
    ("female", "older"): ("明美", "恵", "裕子", "智子", "久美子", "由美", "直美", "幸子", "洋子", "和子"),
    ("male", "young"): ("大翔", "蓮", "悠真", "陽斗", "湊", "颯太", "樹", "翔", "悠人", "大和"),
    ("male", "middle"): ("健太", "翔太", "拓海", "直樹", "大輔", "亮", "誠", "達也", "健一", "雄太"),
    ("male", "older"): ("隆", "修", "浩二", "博", "和夫", "正樹", "哲也", "聡", "茂", "浩"),
}
NEUTRAL_GIVEN_NAMES = ("薫", "忍", "光", "渚", "歩", "晶", "真琴", "瑞希", "ひかる", "優")
# The reading (フリガナ) of every name above: demo people carry one, as new people must.
NAME_READINGS: dict[str, str] = {
    "佐藤": "サトウ", "鈴木": "スズキ", "高橋": "タカハシ", "田中": "タナカ", "伊藤": "イトウ",
    "渡辺": "ワタナベ", "山本": "ヤマモト", "中村": "ナカムラ", "小林": "コバヤシ", "加藤": "カトウ",
    "吉田": "ヨシダ", "山田": "ヤマダ", "佐々木": "ササキ", "山口": "ヤマグチ", "松本": "マツモト",
    "井上": "イノウエ", "木村": "キムラ", "林": "ハヤシ", "斎藤": "サイトウ", "清水": "シミズ",
    "山崎": "ヤマザキ", "森": "モリ", "池田": "イケダ", "橋本": "ハシモト", "阿部": "アベ",
    "石川": "イシカワ", "山下": "ヤマシタ", "中島": "ナカジマ", "石井": "イシイ", "小川": "オガワ",
    "前田": "マエダ", "岡田": "オカダ", "長谷川": "ハセガワ", "藤田": "フジタ", "後藤": "ゴトウ",
    "近藤": "コンドウ", "村上": "ムラカミ", "遠藤": "エンドウ", "青木": "アオキ", "坂本": "サカモト",
    "西村": "ニシムラ", "福田": "フクダ", "太田": "オオタ", "三浦": "ミウラ", "藤井": "フジイ",
    "岡本": "オカモト", "松田": "マツダ", "中川": "ナカガワ", "原田": "ハラダ", "小野": "オノ",
    "陽菜": "ヒナ", "結衣": "ユイ", "葵": "アオイ", "美咲": "ミサキ", "さくら": "サクラ", "七海": "ナナミ",
    "彩花": "アヤカ", "真央": "マオ", "里奈": "リナ", "千尋": "チヒロ", "愛": "アイ", "麻衣": "マイ",
    "彩": "アヤ", "沙織": "サオリ", "舞": "マイ", "瞳": "ヒトミ", "優子": "ユウコ", "絵美": "エミ",
    "香織": "カオリ", "恵美": "エミ", "明美": "アケミ", "恵": "メグミ", "裕子": "ユウコ", "智子": "トモコ",
    "久美子": "クミコ", "由美": "ユミ", "直美": "ナオミ", "幸子": "サチコ", "洋子": "ヨウコ", "和子": "カズコ",
    "大翔": "ヒロト", "蓮": "レン", "悠真": "ユウマ", "陽斗": "ハルト", "湊": "ミナト", "颯太": "ソウタ",
    "樹": "イツキ", "翔": "ショウ", "悠人": "ユウト", "大和": "ヤマト", "健太": "ケンタ", "翔太": "ショウタ",
    "拓海": "タクミ", "直樹": "ナオキ", "大輔": "ダイスケ", "亮": "リョウ", "誠": "マコト", "達也": "タツヤ",
    "健一": "ケンイチ", "雄太": "ユウタ", "隆": "タカシ", "修": "オサム", "浩二": "コウジ", "博": "ヒロシ",
    "和夫": "カズオ", "正樹": "マサキ", "哲也": "テツヤ", "聡": "サトシ", "茂": "シゲル", "浩": "ヒロシ",
    "薫": "カオル", "忍": "シノブ", "光": "ヒカル", "渚": "ナギサ", "歩": "アユミ", "晶": "アキラ",
    "真琴": "マコト", "瑞希": "ミズキ", "ひかる": "ヒカル", "優": "ユウ",
}  # fmt: skip
GENERATION_BY_AGE_BAND = {
    "under_20": "young", "20s": "young", "30s": "middle", "40s": "middle",
    "50s": "older", "60s": "older", "70_plus": "older",
}
# (name pattern, web address pattern); {place} the town's name without 市/区, {slug} its romaji.
COMMUNITY_PATTERNS = (
    ("Code for {Slug}", "code-for-{slug}"),
    ("{place}シビックテック", "civictech-{slug}"),
    ("シビックテック{place}", "{slug}-civictech"),
    ("{place}オープンデータ研究会", "{slug}-opendata"),
    ("{place}データ活用ラボ", "{slug}-datalab"),
    ("{place}デジタルまちづくりの会", "{slug}-machidukuri"),
    ("{place}地域データ部", "{slug}-data-club"),
    ("{place}ハックの会", "hack-{slug}"),
    ("{place}オープンガバメント研究会", "{slug}-opengov"),
    ("Civic Tech {Slug}", "civic-tech-{slug}"),
    ("{Slug} Open Data Lab", "{slug}-odlab"),
    ("{place}もくもく会", "{slug}-mokumoku"),
)
COMMUNITY_ACTIVITIES = (
    "月に一度の勉強会と、年に二回のアイデアソンを開いています。",
    "市の公開データを使ったアプリづくりと、その発表会を続けています。",
    "子育て・防災の地図づくりを住民と一緒に進めています。",
    "職員と住民が一緒に参加するデータ活用の勉強会を開いています。",
    "毎年のハッカソンのほか、オンラインのもくもく会を週に一度開いています。",
    "学生と社会人が集まり、地域の課題をデータで調べて提案しています。",
    "オープンデータの使い方講座と、公開データの利用例の紹介をしています。",
    "観光・交通のデータを使った可視化に取り組んでいます。",
)
DEPARTMENTS = (
    "情報政策課", "企画課", "総務課", "DX推進室", "政策推進課", "デジタル推進課", "企画財政課",
    "情報システム課", "行政改革推進室", "総合政策課",
)
PERIODS = ("今年度中", "来月以降", "3か月以内", "秋頃", "年明け以降", "")
MESSAGES = (
    "オープンデータの取り組みを始めたいが、何から手を付ければよいか分からない。",
    "推奨データセットの公開手順について相談したい。",
    "職員向けの勉強会を開いてほしい。",
    "データカタログサイトの立ち上げを検討している。",
    "首長から公開の方針を求められており、他の自治体の進め方を知りたい。",
    "小さな町で担当が一人しかいないため、無理のない進め方を教えてほしい。",
    "",
)
REQUEST_DECLINE_REASONS = (
    "同じ町からの依頼と重複しているため、先の依頼で対応します。",
    "ご相談の内容は都道府県の窓口が担当するため、そちらへおつなぎしました。",
)
ASSIGNMENT_DECLINE_REASONS = (
    "希望の時期は本業の繁忙期と重なるため、今回はお受けできません。",
    "別の依頼を担当中で、いまは時間が取れません。",
    "より近くの伝道師の方が適任だと思います。",
)

# A visit's summary is built from parts: where and who, the topic, what was done, the outcome.
SUMMARY_SETTINGS = {
    "onsite": (
        "{department}を中心に{attendees}名が参加し、",
        "庁内の会議室で{attendees}名の職員と、",
        "{department}の担当者{attendees}名と、",
        "首長・幹部を含む{attendees}名に向けて、",
    ),
    "online": (
        "オンラインで{department}の{attendees}名と、",
        "Web会議で{attendees}名が参加し、",
        "オンラインの勉強会として{attendees}名に、",
    ),
}
SUMMARY_TOPICS = {
    "open_data_publication": ("オープンデータ公開の進め方", "最初に公開するデータの選び方", "公開までの庁内手続き"),
    "recommended_datasets": ("推奨データセットのうち避難所・AED・公共施設一覧", "推奨データセットの項目定義", "推奨データセットの整備状況"),
    "data_catalog": ("データカタログサイトの構成", "カタログサイトの選び方と運用体制", "既存ホームページへの掲載方法"),
    "policy_guidelines": ("オープンデータ推進方針の案", "公開の基本方針とガイドライン", "庁内向けの公開手順書"),
    "licensing": ("CC BY 4.0 での公開と利用規約", "ライセンス表示の書き方", "著作権と第三者の権利の確認"),
    "machine_readable": ("Excel表の機械判読しやすい形への直し方", "CSV形式と文字コードの扱い", "表記ゆれの整え方"),
    "dashboards": ("ダッシュボードによる可視化", "グラフと地図で見せる公開の工夫", "庁内で使える集計の見える化"),
    "gis": ("地図データ・位置情報の公開", "施設の緯度経度の整え方", "GISデータの形式と座標系"),
    "community_building": ("地域のシビックテックとの連携", "住民の有志との勉強会づくり", "地元の学生・企業との協働"),
    "hackathons": ("アイデアソン・ハッカソンの企画", "データを使ったイベントの進め方", "住民向けワークショップの準備"),
    "e_participation": ("アイデアボックスと意見募集", "住民参加の仕組みづくり", "パブリックコメントのデータ化"),
    "accessibility": ("誰もが使える公開の工夫", "ウェブアクセシビリティの確認", "読み上げに配慮した資料づくり"),
    "privacy_legal": ("個人情報を含まない形への加工", "公開前の法務上の確認", "匿名加工と公開範囲の判断"),
}
SUMMARY_ACTIONS = (
    "について説明し、質疑応答をしました。",
    "について、他の自治体の事例を紹介しました。",
    "について、公開候補のデータを一緒に洗い出しました。",
    "について、手元の表を使って実演しました。",
    "について、ワークショップ形式で課題を整理しました。",
    "について、担当課ごとの進め方を相談しました。",
    "について、庁内説明会で概要を説明しました。",
)
SUMMARY_OUTCOMES = {
    "open_data_published": ("その場で最初のデータを公開サイトに掲載できました。", "初めてのオープンデータ公開に至りました。"),
    "catalog_launched": ("データカタログサイトの公開まで進みました。", "カタログサイトを開設し、最初のデータを載せました。"),
    "datasets_published": ("{count}件のデータセットを公開しました。", "新たに{count}件のデータを公開しました。"),
    "policy_adopted": ("オープンデータ推進方針が庁議で決まりました。", "公開の基本方針を定めることになりました。"),
    "event_held": ("住民向けのアイデアソンを共催しました。", "職員向けの勉強会を開きました。"),
    "community_formed": ("地元の有志と勉強会を続けることになりました。", "地域のシビックテックの集まりが生まれました。"),
    "no_change": ("庁内の合意づくりにはもう少し時間がかかりそうです。", "今回は情報共有にとどまりました。"),
}
NEXT_STEPS = (
    "次回までに公開候補の一覧を作成する。",
    "庁内で公開方針を確認し、次回は具体的なデータ整備に入る。",
    "担当課に推奨データセットの様式を共有する。",
    "公開するデータのライセンス表示を決める。",
    "次回はカタログサイトへの掲載を一緒に行う。",
    "住民向けイベントの日程を調整する。",
    "首長への報告を経て、公開の時期を決める。",
)

# The process every request follows (days; lognormal: median and spread).
HISTORY_DAYS = 730
ARRIVAL_GROWTH = 4.0  # requests arrive this many times as often now as HISTORY_DAYS ago
# The Agency's notice to every municipality, three weeks ago, brought a wave of requests.
NOTICE_DAYS_AGO = 21
NOTICE_FADE_DAYS = 5.0  # mean days from the notice to an answer
NOTICE_SHARE = 0.12
DAYS_TO_FIRST_LOOK = (1.5, 0.8)  # a coordinator reads it (triage)
DAYS_TO_PROPOSAL = (7.0, 0.8)  # first proposal after submission
DAYS_TO_ANSWER = (1.0, 0.9)  # the evangelist accepts or declines
DAYS_TO_FIRST_VISIT = (18.0, 0.5)
DAYS_BETWEEN_VISITS = (30.0, 0.4)
DAYS_TO_REPROPOSAL = (4.0, 0.6)  # after an evangelist declined
ACCEPT_SHARE = 0.88
DECLINED_BY_COORDINATOR_SHARE = 0.03
WITHDRAWN_SHARE = 0.03
VISIT_COUNT_SHARES = ((1, 0.45), (2, 0.35), (3, 0.20))
ACTIVATING_SHARE = 0.7  # of finished requests: the town's first publication
TOP_SUGGESTION_SHARE = 0.8  # coordinators mostly propose the first suggestion
NEAREST_CANDIDATES = 40  # the people the matcher ranks for a past proposal


@dataclass(frozen=True)
class Place:
    """A municipality as the generator sees it."""

    code: str
    name: str
    kind: str
    lat: float
    lon: float
    romaji: str = ""

    @property
    def prefecture_code(self) -> str:
        return self.code[:2]


@dataclass(frozen=True)
class DemoCommunity:
    name: str
    municipality_code: str
    lat: float
    lon: float
    status: str
    member_count: int
    founded_on: date
    website: str = ""
    contact_email: str = ""
    description: str = ""  # its area and what it does


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

    @property
    def family_name_kana(self) -> str:
        return NAME_READINGS[self.family_name]

    @property
    def given_name_kana(self) -> str:
        return NAME_READINGS[self.given_name]


@dataclass(frozen=True)
class DemoVisit:
    visited_on: date
    logged_at: datetime  # aware, UTC
    mode: str
    duration_minutes: int
    attendee_count: int
    attendee_departments: str
    summary: str
    next_steps: str
    outcomes: tuple[tuple[str, int | None], ...]  # (type, count)

    @property
    def activates(self) -> bool:
        return any(t in ACTIVATING_OUTCOMES for t, _ in self.outcomes)


@dataclass(frozen=True)
class DemoAssignment:
    evangelist_index: int  # index into the evangelists list
    proposed_at: datetime
    score: float
    distance_km: float
    reasons: tuple
    status: str
    responded_at: datetime | None = None
    decline_reason: str | None = None
    completed_at: datetime | None = None
    visits: tuple[DemoVisit, ...] = ()


@dataclass(frozen=True)
class DemoStep:
    """One step of a request's story, in time order: ``kind`` is submitted, triaged,
    declined, withdrawn, proposed, accepted, refused (the evangelist declined), visited or
    completed; ``assignment`` and ``visit`` index the request's assignments and that
    assignment's visits."""

    at: datetime
    kind: str
    assignment: int | None = None
    visit: int | None = None


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
    submitted_at: datetime  # aware, UTC
    closed_at: datetime | None = None
    decline_reason: str | None = None
    assignments: tuple[DemoAssignment, ...] = ()
    steps: tuple[DemoStep, ...] = ()

    @property
    def updated_at(self) -> datetime:
        return self.steps[-1].at if self.steps else self.submitted_at


@dataclass(frozen=True)
class DemoNetwork:
    open_data_active: frozenset[str]  # municipality codes, before the programme's requests
    communities: tuple[DemoCommunity, ...]
    evangelists: tuple[DemoEvangelist, ...]
    requests: tuple[DemoRequest, ...]
    demo_evangelist: int | None = None  # index of the person behind the demo account
    # Per evangelist, their way through the recruitment pipeline: (moment, move) with move
    # nominated, appointed, paused or retired, in time order.
    evangelist_moves: tuple[tuple[tuple[datetime, str], ...], ...] = ()

    @property
    def activated(self) -> dict[str, date]:
        """Towns whose first publication came from a visit: code -> the visit's day."""
        days = {}
        for r in self.requests:
            for a in r.assignments:
                for v in a.visits:
                    if v.activates:
                        days.setdefault(r.municipality_code, v.visited_on)
        return days


@cache
def prefecture_population() -> dict[str, int]:
    """Residents per prefecture code (2020 census)."""
    text = resources.files("evangelists").joinpath("data/prefecture_population.csv").read_text("utf-8")
    return {row["code"]: int(row["population"]) for row in csv.DictReader(text.splitlines())}


def estimated_population(places: list[Place]) -> dict[str, float]:
    """Each municipality's share of its prefecture's residents, by the nominal size of its
    kind: a rough picture of town sizes from public totals."""
    population = prefecture_population()
    totals: dict[str, float] = {}
    for p in places:
        totals[p.prefecture_code] = totals.get(p.prefecture_code, 0.0) + NOMINAL_SIZE_BY_KIND[p.kind]
    return {
        p.code: population.get(p.prefecture_code, 0) * NOMINAL_SIZE_BY_KIND[p.kind] / totals[p.prefecture_code]
        for p in places
    }


def generate(
    places: list[Place],
    topics: list[str],
    *,
    evangelists: int = 300,
    communities: int = 60,
    requests: int = 200,
    seed: int = 7,
    today: date,
) -> DemoNetwork:
    """Generate a demo network over ``places`` (all municipalities) and ``topics`` (slugs),
    with ``requests`` requests over the two years before ``today`` (Japan's), every step
    of them before ``today`` begins.

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
    topics = sorted(topics)
    sizes = estimated_population(places)

    active = frozenset(
        p.code for p in places if rng.random() < OPEN_DATA_SHARE_BY_KIND[p.kind]
    )
    made_communities = _communities(rng, places, sizes, communities, today)
    made_evangelists = _evangelists(rng, places, sizes, made_communities, evangelists, topics, today)
    # The person behind the demo account: active, free of past work, and able to help
    # online too, so that a request waiting today can be proposed to them.
    demo_index = next(
        (i for i, e in enumerate(made_evangelists) if e.status == "active" and e.online_ok and e.capacity >= 2),
        next((i for i, e in enumerate(made_evangelists) if e.status == "active"), None),
    )
    non_active = [p for p in places if p.code not in active]
    if requests and not non_active:
        raise ValueError("every municipality is open-data active: no one left to request help")
    made_requests = _requests(rng, non_active, requests, topics, made_evangelists, demo_index, today)
    moves = _pipeline(random.Random(seed + 1), made_evangelists, made_requests, today)
    return DemoNetwork(active, made_communities, made_evangelists, made_requests, demo_index, moves)


def _pipeline(rng, evangelists, requests, today) -> tuple[tuple[tuple[datetime, str], ...], ...]:
    """When each person was nominated, appointed (their ``appointed_on``), and paused or
    retired (after their last piece of work), by a coordinator in office hours."""
    last_work: dict[int, date] = {}
    for r in requests:
        for a in r.assignments:
            end = (a.completed_at or a.responded_at or a.proposed_at).astimezone(PROGRAMME_ZONE).date()
            last_work[a.evangelist_index] = max(end, last_work.get(a.evangelist_index, end))
    made = []
    yesterday = today - timedelta(days=1)
    for i, e in enumerate(evangelists):
        if e.appointed_on is None:
            nominated = today - timedelta(days=rng.randint(3, 120))
        else:
            nominated = e.appointed_on - timedelta(days=rng.randint(14, 120))
        moves = [(_staff_moment(rng, _in_japan(nominated, 8.5)), "nominated")]
        if e.appointed_on is not None:
            moves.append((_in_japan(e.appointed_on, _office_hour(rng)), "appointed"))
        if e.status in ("paused", "retired"):
            since = max(e.appointed_on, last_work.get(i, e.appointed_on)) + timedelta(days=1)
            day = since + timedelta(days=rng.randint(0, max(0, (yesterday - since).days)))
            moves.append((_in_japan(min(day, yesterday), _office_hour(rng)), e.status))
        made.append(tuple(moves))
    return tuple(made)


def _jitter(rng: random.Random, lat: float, lon: float, km: float) -> tuple[float, float]:
    """A point up to ``km`` from (lat, lon), rounded to 6 decimals (about 10 cm)."""
    dlat = rng.uniform(-km, km) / 111.0
    dlon = rng.uniform(-km, km) / (111.0 * max(0.2, np.cos(np.radians(lat))))
    return round(float(lat + dlat), 6), round(float(lon + dlon), 6)


def _weighted(rng: random.Random, shares) -> str:
    values, weights = zip(*shares, strict=True)
    return rng.choices(values, weights=weights)[0]


def _lognormal_days(rng: random.Random, median_and_spread: tuple[float, float]) -> float:
    median, spread = median_and_spread
    return median * math.exp(rng.gauss(0.0, spread))


def apportion(weights: dict[str, float], total: int, *, minimum: int = 0) -> dict[str, int]:
    """``total`` shared out in proportion to ``weights`` (largest remainders), each key
    getting at least ``minimum`` when there is enough to go round."""
    keys = sorted(weights)
    if not keys:
        return {}
    floor = minimum if total >= minimum * len(keys) else 0
    rest = total - floor * len(keys)
    whole = sum(weights.values()) or 1.0
    exact = {k: rest * weights[k] / whole for k in keys}
    shares = {k: floor + int(exact[k]) for k in keys}
    left = total - sum(shares.values())
    for k in sorted(keys, key=lambda k: (-(exact[k] - int(exact[k])), k))[:left]:
        shares[k] += 1
    return shares


def _slug(place: Place) -> str:
    """"Sapporo-shi" -> "sapporo"; "" when the place has no romaji."""
    base = place.romaji.rsplit("-", 1)[0] if "-" in place.romaji else place.romaji
    return "".join(ch for ch in base.lower() if ch.isascii() and ch.isalnum())


def _communities(rng, places, sizes, count, today) -> tuple[DemoCommunity, ...]:
    urban = [p for p in places if p.kind in URBAN_KINDS]
    if count > len(urban) * len(COMMUNITY_PATTERNS):
        raise ValueError(f"cannot place {count} communities in {len(urban)} cities")
    by_prefecture: dict[str, list[Place]] = {}
    for p in urban:
        by_prefecture.setdefault(p.prefecture_code, []).append(p)
    population = prefecture_population()
    # Every prefecture has a group when there are enough; bigger ones have more.
    quota = apportion({c: population.get(c, 1) ** 0.8 for c in by_prefecture}, count, minimum=1)
    lat = np.array([p.lat for p in places])
    lon = np.array([p.lon for p in places])
    made, names, sites = [], set(), set()
    for code in sorted(quota):
        towns = by_prefecture[code]
        weights = [sizes[p.code] ** 0.8 for p in towns]
        placed = 0
        while placed < quota[code]:
            place = rng.choices(towns, weights=weights)[0]
            pattern, site = rng.choice(COMMUNITY_PATTERNS)
            slug = _slug(place)
            if not slug and "{Slug}" in pattern:
                continue
            short = place.name.removesuffix("市").removesuffix("区") or place.name
            name = pattern.format(place=short, Slug=slug.capitalize())
            host = site.format(slug=slug or place.code)
            if name in names or host in sites:
                continue
            names.add(name)
            sites.add(host)
            placed += 1
            lat_, lon_ = _jitter(rng, place.lat, place.lon, 2.0)
            members = max(3, round(8 * (sizes[place.code] / 30_000) ** 0.5 * math.exp(rng.gauss(0, 0.35))))
            made.append(
                DemoCommunity(
                    name=name,
                    municipality_code=place.code,
                    lat=lat_,
                    lon=lon_,
                    status="active" if rng.random() < 0.85 else "dormant",
                    member_count=members,
                    founded_on=today - timedelta(days=rng.randint(200, 4000)),
                    website=f"https://{host}.example.jp/",
                    contact_email=f"info@{host}.example.jp",
                    description=_area(rng, place, places, lat, lon),
                )
            )
    rng.shuffle(made)
    return tuple(made)


def _area(rng, place: Place, places: list[Place], lat, lon) -> str:
    """Where the community works: its town and up to three neighbours in the prefecture,
    then what it does."""
    km = haversine_matrix_km(np.array([place.lat]), np.array([place.lon]), lat, lon)[0]
    near = [
        places[i] for i in np.argsort(km, kind="stable")
        if km[i] <= 25 and places[i].code != place.code and places[i].prefecture_code == place.prefecture_code
    ][: rng.randint(2, 3)]
    if near:
        where = f"{place.name}を拠点に、{'・'.join(p.name for p in near)}など周辺の地域で活動しています。"
    else:
        where = f"{place.name}を中心に活動しています。"
    return where + rng.choice(COMMUNITY_ACTIVITIES)


def _given_name(rng, gender: str | None, age_band: str | None) -> str:
    generation = GENERATION_BY_AGE_BAND.get(age_band or "", rng.choice(("young", "middle", "middle", "older")))
    if gender not in ("female", "male"):
        if gender is not None or rng.random() < 0.1:
            return rng.choice(NEUTRAL_GIVEN_NAMES)
        gender = _weighted(rng, (("male", 0.74), ("female", 0.26)))
    return rng.choice(GIVEN_NAMES[(gender, generation)])


def _evangelists(rng, places, sizes, communities, count, topics, today) -> tuple[DemoEvangelist, ...]:
    if count and not communities:
        raise ValueError("evangelists are placed near communities: ask for at least one")
    if not count:
        return ()
    index_of = {p.code: i for i, p in enumerate(places)}
    lat = np.array([p.lat for p in places])
    lon = np.array([p.lon for p in places])
    home_lat = np.array([places[index_of[c.municipality_code]].lat for c in communities])
    home_lon = np.array([places[index_of[c.municipality_code]].lon for c in communities])
    # Municipalities within reach of each community, computed once.
    near = haversine_matrix_km(home_lat, home_lon, lat, lon) <= EVANGELIST_NEIGHBOURHOOD_KM
    in_prefecture: dict[str, list[int]] = {}
    for i, p in enumerate(places):
        in_prefecture.setdefault(p.prefecture_code, []).append(i)
    population = prefecture_population()
    # People live where people live: by population, with a little noise.
    quota = apportion(
        {c: population.get(c, 0) * math.exp(rng.gauss(0, 0.15)) for c in sorted(in_prefecture)}, count
    )
    slots = [code for code in sorted(quota) for _ in range(quota[code])]
    # Communities within reach of some town of each prefecture.
    reach = {code: np.flatnonzero(near[:, towns].any(axis=1)).tolist() for code, towns in in_prefecture.items()}
    rng.shuffle(slots)

    made = []
    for code in slots:
        towns = in_prefecture[code]
        reachable = reach[code]
        community = None
        if reachable and rng.random() < 0.9:
            weights = [
                communities[j].member_count * (3 if communities[j].municipality_code[:2] == code else 1)
                for j in reachable
            ]
            community = rng.choices(reachable, weights=weights)[0]
            towns = [i for i in towns if near[community, i]]
        place = places[rng.choices(towns, weights=[sizes[places[i].code] for i in towns])[0]]
        status = _weighted(rng, EVANGELIST_STATUS_SHARES)
        age_band = _weighted(rng, AGE_BAND_SHARES) if rng.random() < SAYS_AGE_SHARE else None
        gender = _weighted(rng, GENDER_SHARES) if rng.random() < SAYS_GENDER_SHARE else None
        lat_, lon_ = _jitter(rng, place.lat, place.lon, 3.0)
        made.append(
            DemoEvangelist(
                family_name=rng.choice(FAMILY_NAMES),
                given_name=_given_name(rng, gender, age_band),
                status=status,
                municipality_code=place.code,
                lat=lat_,
                lon=lon_,
                community_index=community,
                skills=tuple(sorted(rng.sample(topics, rng.randint(2, min(5, len(topics)))))),
                languages=("ja", "en") if rng.random() < 0.15 else ("ja",),
                capacity=rng.randint(1, 4),
                travel_radius_km=float(rng.choice((30, 50, 80, 100, 150))),
                online_ok=rng.random() < 0.8,
                appointed_on=None if status == "candidate" else today - timedelta(days=rng.randint(30, 2400)),
                age_band=age_band,
                gender=gender,
            )
        )
    return tuple(made)


# --- requests: one process from submission to completion ----------------------------------


def _in_japan(day: date, hour: float) -> datetime:
    """``hour`` o'clock (fractional) of Japan's ``day``, as an aware UTC moment."""
    minutes = int(hour * 60)
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=PROGRAMME_ZONE)
    return local.astimezone(UTC)


def _office_hour(rng) -> float:
    """Mostly mornings and afternoons, fewer at lunch."""
    return rng.choice((rng.uniform(8.5, 12.0), rng.uniform(13.0, 17.75), rng.uniform(8.5, 17.75)))


def _submission(rng, start: date, days: int) -> datetime:
    """When a town sends a request: more recently more often, weekdays and office hours
    mostly (Japan time)."""
    while True:
        if rng.random() < NOTICE_SHARE:
            # Answers to the Agency's recent notice to every municipality, fading day by day.
            after = min(NOTICE_DAYS_AGO - 1, int(rng.expovariate(1 / NOTICE_FADE_DAYS)))
            day = start + timedelta(days=days - NOTICE_DAYS_AGO + after)
        else:
            # Intensity grows linearly by ARRIVAL_GROWTH over the window (inverse CDF).
            g, u = ARRIVAL_GROWTH - 1.0, rng.random()
            x = (math.sqrt(1 + g * (g + 2) * u) - 1) / g if g else u
            day = start + timedelta(days=min(days - 1, int(x * days)))
        if day.weekday() >= 5 and rng.random() < 0.85:
            continue
        roll = rng.random()
        hour = _office_hour(rng) if roll < 0.8 else rng.uniform(17.75, 21.5) if roll < 0.95 else rng.uniform(6.5, 8.5)
        return _in_japan(day, hour)


def _staff_moment(rng, after: datetime) -> datetime:
    """The first working-day office moment at or after ``after``, for a coordinator."""
    day = after.astimezone(PROGRAMME_ZONE).date()
    while day.weekday() >= 5:
        day += timedelta(days=1)
    moment = _in_japan(day, _office_hour(rng))
    return moment if moment >= after else after + timedelta(minutes=rng.randint(5, 90))


def _later(rng, after: datetime, median_and_spread, *, staff: bool) -> datetime:
    moment = after + timedelta(days=_lognormal_days(rng, median_and_spread))
    if staff:
        return _staff_moment(rng, moment)
    day = moment.astimezone(PROGRAMME_ZONE).date()  # an evangelist answers any day, 7-23 h
    moment = _in_japan(day, rng.uniform(7.0, 23.0))
    return moment if moment > after else after + timedelta(minutes=rng.randint(10, 120))


@dataclass
class _Story:
    """A request while its process is simulated."""

    place: Place
    topics: tuple[str, ...]
    mode: str
    department: str
    submitted_at: datetime
    steps: list[DemoStep] = field(default_factory=list)
    assignments: list[DemoAssignment] = field(default_factory=list)
    closed_at: datetime | None = None
    decline_reason: str | None = None
    tried: set[int] = field(default_factory=set)


def _summary(rng, mode, department, attendees, topics, outcomes) -> str:
    setting = rng.choice(SUMMARY_SETTINGS[mode]).format(department=department, attendees=attendees)
    topic = rng.choice(SUMMARY_TOPICS.get(rng.choice(topics), ("オープンデータの進め方",)))
    outcome = "".join(
        rng.choice(SUMMARY_OUTCOMES[kind]).format(count=count) for kind, count in outcomes
    )
    return f"{setting}{topic}{rng.choice(SUMMARY_ACTIONS)}{outcome}"


def _visits(rng, story: _Story, accepted_at: datetime, online_only: bool, cutoff: datetime):
    """The visits an accepted assignment leads to before ``cutoff``, and when it was
    completed (None: still under way)."""
    planned = _weighted(rng, VISIT_COUNT_SHARES)
    activating = rng.random() < ACTIVATING_SHARE
    made = []
    moment = accepted_at + timedelta(days=max(3.0, _lognormal_days(rng, DAYS_TO_FIRST_VISIT)))
    for number in range(1, planned + 1):
        day = moment.astimezone(PROGRAMME_ZONE).date()
        while day.weekday() >= 5:
            day += timedelta(days=1)
        logged = _in_japan(day + timedelta(days=rng.choice((0, 0, 1, 2))), rng.uniform(17.0, 23.0))
        if logged >= cutoff:
            return made, None
        final = number == planned
        if final and activating:
            outcomes = [(rng.choice(ACTIVATING_OUTCOMES), None)]
            if rng.random() < 0.6:
                outcomes.append(("datasets_published", rng.randint(3, 40)))
        elif final:
            outcomes = [(rng.choice(("policy_adopted", "event_held", "community_formed")), None)]
        else:
            outcomes = [(_weighted(rng, (("event_held", 3), ("policy_adopted", 2), ("community_formed", 1),
                                         ("no_change", 2))), None)]
        mode = "online" if online_only or story.mode == "online" else (
            "onsite" if story.mode == "onsite" or rng.random() < 0.65 else "online")
        attendees = rng.randint(3, 15) if mode == "onsite" else rng.randint(2, 8)
        made.append(DemoVisit(
            visited_on=day,
            logged_at=logged,
            mode=mode,
            duration_minutes=rng.choice((60, 90, 90, 120)),
            attendee_count=attendees,
            attendee_departments=story.department,
            summary=_summary(rng, mode, story.department, attendees, story.topics, outcomes),
            next_steps="" if final else rng.choice(NEXT_STEPS),
            outcomes=tuple(outcomes),
        ))
        moment = _in_japan(day, 12.0) + timedelta(days=_lognormal_days(rng, DAYS_BETWEEN_VISITS))
    completed = made[-1].logged_at + timedelta(days=rng.uniform(0.1, 10.0))
    return made, (completed if completed < cutoff else None)


def _requests(rng, non_active, count, topics, evangelists, demo_index, today) -> tuple[DemoRequest, ...]:
    cutoff = start_of_day_in_japan(today)
    start = today - timedelta(days=HISTORY_DAYS)
    # Each municipality asks once until all have asked; only then do repeats appear.
    order = rng.sample(non_active, len(non_active))
    moments = sorted(_submission(rng, start, HISTORY_DAYS) for _ in range(count))
    stories = [
        _Story(
            place=order[n % len(order)],
            topics=tuple(sorted(rng.sample(topics, rng.randint(1, min(4, len(topics)))))),
            mode=rng.choice(("onsite", "online", "either", "either")),
            department=rng.choice(DEPARTMENTS),
            submitted_at=at,
        )
        for n, at in enumerate(moments)
    ]
    # Who can be asked, and when they are busy: (start, end) of each active assignment.
    helpers = [
        i for i, e in enumerate(evangelists)
        if e.status == "active" and i != demo_index and e.appointed_on is not None
    ]
    busy: dict[int, list[tuple[datetime, datetime | None]]] = {i: [] for i in helpers}
    helper_lat = np.array([evangelists[i].lat for i in helpers])
    helper_lon = np.array([evangelists[i].lon for i in helpers])
    queue: list[tuple[datetime, int]] = []
    for n, story in enumerate(stories):
        story.steps.append(DemoStep(story.submitted_at, "submitted"))
        proposal = _later(rng, story.submitted_at, DAYS_TO_PROPOSAL, staff=True)
        first_look = min(_later(rng, story.submitted_at, DAYS_TO_FIRST_LOOK, staff=True), proposal)
        roll = rng.random()
        if roll < DECLINED_BY_COORDINATOR_SHARE:
            if first_look < cutoff:
                story.steps.append(DemoStep(first_look, "declined"))
                story.closed_at, story.decline_reason = first_look, rng.choice(REQUEST_DECLINE_REASONS)
            continue
        if roll < DECLINED_BY_COORDINATOR_SHARE + WITHDRAWN_SHARE:
            # The town changes its mind before anyone is proposed.
            withdrawn = story.submitted_at + (proposal - story.submitted_at) * rng.uniform(0.3, 0.95)
            if first_look < withdrawn and first_look < cutoff:
                story.steps.append(DemoStep(first_look, "triaged"))
            if withdrawn < cutoff:
                story.steps.append(DemoStep(withdrawn, "withdrawn"))
                story.closed_at = withdrawn
            continue
        if first_look < proposal and first_look < cutoff:
            story.steps.append(DemoStep(first_look, "triaged"))
        if proposal < cutoff:
            heapq.heappush(queue, (proposal, n))

    def load(i: int, at: datetime) -> int:
        return sum(1 for s, e in busy[i] if s <= at and (e is None or at < e))

    while queue:
        at, n = heapq.heappop(queue)
        story = stories[n]
        day = at.astimezone(PROGRAMME_ZONE).date()
        need = Need(0, story.place.code, story.place.prefecture_code, story.place.lat, story.place.lon,
                    frozenset(story.topics), story.mode)
        # The matcher sees the nearest people who could go (or help online), as the
        # coordinator's suggestions list starts with them.
        distances = haversine_matrix_km(np.array([story.place.lat]), np.array([story.place.lon]),
                                        helper_lat, helper_lon)[0]
        km = distances.tolist()
        candidates = []
        for k in np.argsort(distances, kind="stable").tolist():
            i = helpers[k]
            e = evangelists[i]
            if i in story.tried or e.appointed_on > day:
                continue
            if km[k] > e.travel_radius_km and not (e.online_ok and story.mode != "onsite"):
                continue
            in_use = load(i, at)
            if in_use < e.capacity:
                candidates.append(Candidate(i, e.lat, e.lon, frozenset(e.skills), e.capacity, in_use,
                                            e.travel_radius_km, e.online_ok, e.municipality_code[:2]))
                if len(candidates) == NEAREST_CANDIDATES:
                    break
        matches = rank(need, candidates, limit=3)
        if not matches and story.mode == "onsite" and not story.assignments:
            # Nobody within reach: the town agrees to online advice (it says "either").
            story.mode = "either"
            heapq.heappush(queue, (at, n))
            continue
        if not matches:  # nobody free: the coordinator tries again a week later
            again = _staff_moment(rng, at + timedelta(days=7))
            if again < cutoff:
                heapq.heappush(queue, (again, n))
            continue
        match = matches[0] if rng.random() < TOP_SUGGESTION_SHARE else rng.choice(matches)
        person = match.candidate_id
        story.tried.add(person)
        number = len(story.assignments)
        story.steps.append(DemoStep(at, "proposed", number))
        answer = _later(rng, at, DAYS_TO_ANSWER, staff=False)
        common = dict(evangelist_index=person, proposed_at=at, score=round(match.score, 6),
                      distance_km=round(match.distance_km, 3), reasons=match.reasons)
        if answer >= cutoff:
            story.assignments.append(DemoAssignment(status="proposed", **common))
            busy[person].append((at, None))
            continue
        if rng.random() >= ACCEPT_SHARE:
            story.steps.append(DemoStep(answer, "refused", number))
            story.assignments.append(DemoAssignment(status="declined", responded_at=answer,
                                                    decline_reason=rng.choice(ASSIGNMENT_DECLINE_REASONS), **common))
            busy[person].append((at, answer))
            again = _later(rng, answer, DAYS_TO_REPROPOSAL, staff=True)
            if again < cutoff:
                heapq.heappush(queue, (again, n))
            continue
        story.steps.append(DemoStep(answer, "accepted", number))
        visits, completed = _visits(rng, story, answer, ("online",) in match.reasons, cutoff)
        story.steps.extend(DemoStep(v.logged_at, "visited", number, k) for k, v in enumerate(visits))
        if completed is not None:
            story.steps.append(DemoStep(completed, "completed", number))
            story.closed_at = completed
        story.assignments.append(DemoAssignment(
            status="completed" if completed else "accepted", responded_at=answer, completed_at=completed,
            visits=tuple(visits), **common,
        ))
        busy[person].append((at, completed))

    made = []
    for n, story in enumerate(stories):
        family, given = rng.choice(FAMILY_NAMES), _given_name(rng, None, None)
        made.append(DemoRequest(
            municipality_code=story.place.code,
            contact_name=f"{family} {given}",
            department=story.department,
            email=f"contact{n + 1:04d}@example.jp",
            # 03-0000-xxxx: the 0000 exchange is never assigned, so no real line rings.
            phone=f"+8130000{rng.randint(0, 9999):04d}",
            topics=story.topics,
            mode=story.mode,
            period=rng.choice(PERIODS),
            message=rng.choice(MESSAGES),
            status=STATUS_AFTER_STEP[max(story.steps, key=lambda s: s.at).kind],
            submitted_at=story.submitted_at,
            closed_at=story.closed_at,
            decline_reason=story.decline_reason,
            assignments=tuple(story.assignments),
            steps=tuple(sorted(story.steps, key=lambda s: s.at)),
        ))
    return tuple(made)


# The request's status after each kind of step.
STATUS_AFTER_STEP = {
    "submitted": "new", "triaged": "triaged", "declined": "declined", "withdrawn": "withdrawn",
    "proposed": "assigned", "accepted": "assigned", "refused": "triaged", "visited": "scheduled",
    "completed": "completed",
}
