"""The demo's open dialogue (issue 21): three themes (one closed with official answers, one
open, one opening soon), participants whose ages and genders follow the presentation (most
are men aged 30–59), and their ideas, comments with a stance, replies and votes, placed in
time inside each theme's period. Deterministic for a seed; plain data, no database.

Every name is generated (display names are handles, never real names); the ideas name real
municipalities, as residents would ("data we want this town to publish").
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from evangelists.ideas import IDEA_STATUSES, VOICES

# Ages and genders as the Ideabox's participants were (the presentation's slide): mostly
# men, mostly 30–59; some leave either question unanswered.
AGE_WEIGHTS = {"under_20": 2, "20s": 10, "30s": 22, "40s": 28, "50s": 22, "60s": 11, "70_plus": 5}
GENDER_WEIGHTS = {"male": 72, "female": 24, "nonbinary": 1, "other": 1}
VOICE_WEIGHTS = {"resident_business": 45, "it_industry": 25, "municipal_staff": 18, "national_staff": 4, "other": 8}

HANDLE_PARTS = ("そら", "みどり", "かぜ", "ゆき", "はる", "あお", "つき", "ほし", "もり", "うみ", "Taka", "Kenji",
                "mika", "Yuu", "りんご", "さくら", "のぞみ", "ひかり", "こだま", "あさひ")
DATASETS = ("避難所一覧", "AED設置箇所", "公衆トイレ一覧", "子育て施設一覧", "文化財一覧", "観光施設一覧", "バス停留所",
            "ごみ収集日", "公共施設一覧", "地域・年齢別人口", "介護サービス事業所", "医療機関一覧", "指定緊急避難場所",
            "投票所一覧", "公園一覧", "消防水利", "イベント一覧", "食品等営業許可")
REASONS = ("地図アプリで探せるようにしたい", "災害のときに家族と確認したい", "子育て中の親が使うアプリを作りたい",
           "観光客向けの案内に使いたい", "地域の勉強会で分析したい", "高齢の親のために探しやすくしたい",
           "ハッカソンの題材にしたい", "民間のサービスと組み合わせたい")
FORMATS = ("CSVで、緯度経度つき", "推奨データセットの形式", "毎月更新のCSV", "PDFではなく機械判読できる形",
           "CC BY で")
COMMENTS = {
    "agree": ("賛成です。隣の市でも同じデータがあると比べられます。", "ぜひお願いします。アプリで使いたいです。",
              "推奨データセットの形式だと助かります。", "地域のイベントでも使えそうです。"),
    "disagree": ("個人情報に当たらないか、公開の前に確認が必要だと思います。", "ほかのデータを先に公開する方がよいと思います。",
                 "更新の手間を考えると、まずは年1回からでは。"),
    "neutral": ("県のサイトに一部が載っているようです。", "どの課の担当か分かると話が早そうです。",
                "形式の例があれば自治体も判断しやすいと思います。"),
}
ANSWERS = {
    "considering": "担当課と公開の方法を相談しています。結果はこのページでお知らせします。",
    "adopted": "ご提案を採用し、伝道師の助言のもとで公開の準備を始めました。",
    "realised": "オープンデータとして公開しました。カタログサイトからダウンロードできます。",
    "declined": "個人情報を含むため、いまは公開を見送ります。集計したデータの公開を検討します。",
}

THEMES = (
    # (title, reading, description, days before today it opened, days it runs, hold first posts)
    ("子育て・防災のオープンデータ活用アイデア", "こそだて・ぼうさいのおーぷんでーたかつようあいであ",
     "子育てと防災の分野で、どんなデータがあれば暮らしが便利になるか、アイデアを募集しました。"
     "集まったアイデアは担当課と伝道師が検討し、回答しています。", 150, 60, False),
    ("あなたのまちで公開してほしいデータ", "あなたのまちでこうかいしてほしいでーた",
     "あなたの市区町村に公開してほしいデータを教えてください。市区町村を選んで投稿すると、"
     "その自治体のページにも表示され、伝道師が訪問するときの参考にします。"
     "参考: https://www.digital.go.jp/resources/open_data/", 20, 45, True),
    ("オープンデータ伝道師に聞いてみたいこと", None,
     "伝道師の勉強会で取り上げてほしい話題を募集します。", -10, 30, False),
)


@dataclass(frozen=True)
class DemoParticipant:
    handle: str
    voice: str
    age_band: str | None
    gender: str | None
    prefecture_code: str | None
    joined_at: datetime


@dataclass(frozen=True)
class DemoComment:
    author: int  # index into participants
    stance: str
    body: str
    at: datetime
    reply_to: int | None = None  # index of the comment answered, in the idea's comments


@dataclass(frozen=True)
class DemoIdea:
    theme: int
    author: int
    title: str
    body: str
    municipality_code: str | None
    topics: tuple[str, ...]
    at: datetime
    status: str = "received"
    answer: str | None = None
    comments: tuple[DemoComment, ...] = ()
    votes: tuple[tuple[int, int, datetime], ...] = ()  # (participant, +1/-1, when)


@dataclass(frozen=True)
class DemoTheme:
    title: str
    reading: str | None
    description: str
    opens_at: datetime
    closes_at: datetime
    hold_first_posts: bool


@dataclass(frozen=True)
class DemoDialogue:
    themes: tuple[DemoTheme, ...]
    participants: tuple[DemoParticipant, ...]
    ideas: tuple[DemoIdea, ...] = field(default_factory=tuple)


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def generate(towns: list[tuple[str, str, str]], topics: list[str], *, now: datetime, seed: int,
             participants: int = 120, ideas_per_theme: tuple[int, ...] = (26, 22, 0)) -> DemoDialogue:
    """``towns``: (code, name, prefecture code) of the municipalities ideas may name;
    ``now``: the seeding moment (aware). The last theme opens after ``now``."""
    rng = random.Random(seed * 7919 + 21)
    start_of_today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    themes = tuple(DemoTheme(title, reading, text, start_of_today - timedelta(days=ago),
                             start_of_today - timedelta(days=ago) + timedelta(days=runs), hold)
                   for title, reading, text, ago, runs, hold in THEMES)
    first_open = min(t.opens_at for t in themes)
    people: list[DemoParticipant] = []
    handles: set[str] = set()
    while len(people) < participants:
        handle = f"{rng.choice(HANDLE_PARTS)}{rng.randint(1, 999)}"
        if handle.casefold() in handles:
            continue
        handles.add(handle.casefold())
        answered = rng.random() < 0.85  # some leave the optional questions blank
        people.append(DemoParticipant(
            handle=handle, voice=_pick(rng, VOICE_WEIGHTS),
            age_band=_pick(rng, AGE_WEIGHTS) if answered else None,
            gender=_pick(rng, GENDER_WEIGHTS) if answered and rng.random() < 0.95 else None,
            prefecture_code=rng.choice(towns)[2] if answered else None,
            joined_at=first_open - timedelta(days=rng.randint(0, 30), minutes=rng.randint(0, 1440))))
    ideas: list[DemoIdea] = []
    for theme_index, count in enumerate(ideas_per_theme):
        theme = themes[theme_index]
        end = min(theme.closes_at, now)
        if end <= theme.opens_at:
            continue
        span = (end - theme.opens_at).total_seconds()
        closed = theme.closes_at <= now
        for n in range(count):
            at = theme.opens_at + timedelta(seconds=span * (n + rng.random()) / (count + 1))
            code, town, _pref = rng.choice(towns)
            dataset = rng.choice(DATASETS)
            named = theme_index == 1 or rng.random() < 0.5
            title = f"{town}の{dataset}を公開してほしい" if named else f"{dataset}をオープンデータに"
            body = f"{rng.choice(REASONS)}ので、{dataset}を{rng.choice(FORMATS)}で公開してほしいです。"
            author = rng.randrange(len(people))
            comments = []
            for c in range(rng.choice((0, 1, 2, 2, 3, 4, 6))):
                stance = rng.choices(("agree", "disagree", "neutral"), weights=(6, 2, 3))[0]
                when = at + timedelta(hours=rng.randint(1, 24 * 10) + c)
                if when >= end:
                    break
                reply_to = rng.randrange(len(comments)) if comments and rng.random() < 0.3 else None
                comments.append(DemoComment(rng.randrange(len(people)), stance, rng.choice(COMMENTS[stance]), when,
                                            reply_to))
            votes, voters = [], rng.sample(range(len(people)), k=min(len(people), int(rng.paretovariate(1.2) * 4)))
            for voter in voters:
                when = at + timedelta(minutes=rng.randint(5, 60 * 24 * 14))
                if when < end:
                    votes.append((voter, 1 if rng.random() < 0.8 else -1, when))
            status, answer = "received", None
            if closed:
                status = rng.choices(IDEA_STATUSES, weights=(2, 3, 3, 2, 2))[0]
                answer = ANSWERS.get(status)
            ideas.append(DemoIdea(theme_index, author, title, body, code if named else None,
                                  tuple(rng.sample(topics, k=rng.randint(0, 2))) if topics else (), at,
                                  status, answer, tuple(comments), tuple(sorted(votes, key=lambda v: v[2]))))
    assert all(p.voice in VOICES for p in people)
    return DemoDialogue(themes, tuple(people), tuple(ideas))
