"""Figures for the open dialogue (issue 21) at ten times the Ideabox's first phase: 73,000
participants, 79,000 ideas in 40 themes, 380,000 comments, 690,000 votes.

A fresh database: a throw-away SQLite file, or PostgreSQL when ``--database-url`` (or
``BENCH_DATABASE_URL``) names an empty database. It is migrated, the gazetteer and the
topics loaded by their services, then the dialogue is written in bulk, around the session
(an ``executemany`` of plain INSERTs on SQLite, where migration 0024's triggers keep the
FTS5 index; ``COPY`` on PostgreSQL, where the pg_trgm GIN indexes are kept by the
database), with every counter and trending key computed from the rows it writes
(``evangelists.ideas.add_activity`` over the idea, its votes and its comments in time
order), so the data is what the services would have left. The data version is counted up
afterwards, as any write around the session must.

What is seeded (``--scale`` multiplies every count; 1 is 10x the Ideabox):

* participants: a ``participant`` account and a dialogue profile each; voices mostly
  生活者・事業者 and IT業界; the optional answers given by most, mostly men aged 30-59,
  prefectures weighted towards the big cities;
* 40 themes of uneven size (Zipf: the largest holds about a quarter of the ideas), some
  closed, some scoped to a prefecture or a town; the largest open;
* ideas with a title and a body drawn from a vocabulary of the Ideabox's subjects, 0-3
  topics, a quarter naming a municipality, 1 % hidden by a moderator and a few held, a few
  answered (検討中 / 採用 / 実現 / 見送り);
* comments with a stance (about half agree), a quarter of them replies, spread over the
  ideas unevenly; one idea of the largest theme has exactly 240;
* votes, one per person per idea, about three agrees in four.

Then, in process and with the page cache off, each measurement runs ``--runs`` times
(after a warm-up) and the table gives the median and the 95th percentile, in ms:

* the pages through Flask's test client (the view, its queries and its template: what a
  visitor waits for, less the network): the largest theme's idea list in each order, page
  1 and page 50; the idea with 240 comments; a search in that theme for a word of two
  characters (a scan: under the trigram's three) and of three or more (FTS5 / pg_trgm),
  over several words each;
* a vote through the service (``app.services.ideas.vote``), by different people on ideas
  of the largest theme, agree and disagree in turn: the write and its commit;
* the results (``app.services.idea_results.theme_results`` / ``overall_results`` and
  ``GET /ideas/themes/<id>/results``) when they exist in this tree, else a note.

Usage::

    .venv/bin/python bench/bench_dialogue.py                     # SQLite, 10x the Ideabox
    .venv/bin/python bench/bench_dialogue.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench_ideas
    .venv/bin/python bench/bench_dialogue.py --scale 0.001 --runs 2   # a smoke run (the tests do this)

Exit status 1 when a p95 is over the 100 ms target (``--scale 1`` only).
"""

from __future__ import annotations

import argparse
import bisect
import gc
import itertools
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("QUEUE_URL", "memory:")  # no notices are sent

import flask_migrate  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import (  # noqa: E402
    Idea,
    IdeaComment,
    IdeaProfile,
    IdeaTheme,
    IdeaVote,
    Municipality,
    Prefecture,
    Topic,
    User,
)
from app.models.ideas import idea_topics  # noqa: E402
from app.models.system import bump_data_version  # noqa: E402
from app.services.geography import load_gazetteer  # noqa: E402
from app.services.ideas import rebuild_participation  # noqa: E402
from app.services.topics import sync_topics  # noqa: E402
from evangelists import ideas as rules  # noqa: E402
from evangelists.calendar import utc_now  # noqa: E402
from evangelists.vocabulary import AGE_BANDS, GENDERS  # noqa: E402

# The Ideabox's first phase, ten times over.
FULL = {"participants": 73_000, "ideas": 79_000, "comments": 380_000, "votes": 690_000}
THEMES = 40
HOT_COMMENTS = 240  # the idea whose page is measured
TARGET_MS = 100
PER_PAGE = 20
DEEP_PAGE = 50

VOICE_WEIGHTS = {"resident_business": 50, "it_industry": 28, "municipal_staff": 12, "national_staff": 4, "other": 6}
AGE_WEIGHTS = {"under_20": 1, "20s": 8, "30s": 21, "40s": 31, "50s": 24, "60s": 11, "70_plus": 4}
GENDER_WEIGHTS = {"male": 72, "female": 24, "nonbinary": 1, "other": 3}
# Participants per prefecture code: the big cities weigh more (roughly by population).
PREFECTURE_WEIGHTS = {"13": 14.0, "14": 9.0, "27": 8.0, "23": 6.0, "11": 6.0, "12": 5.0, "01": 4.0, "40": 4.0,
                      "28": 4.0, "22": 3.0, "26": 2.5, "34": 2.5, "08": 2.5, "04": 2.0}
STANCE_WEIGHTS = {"agree": 50, "disagree": 20, "neutral": 30}
STATUS_WEIGHTS = {"received": 85, "considering": 9, "adopted": 3, "realised": 1.5, "declined": 1.5}
assert set(AGE_WEIGHTS) == set(AGE_BANDS) and set(GENDER_WEIGHTS) == set(GENDERS)
assert set(VOICE_WEIGHTS) == set(rules.VOICES) and set(STANCE_WEIGHTS) == set(rules.STANCES)
assert set(STATUS_WEIGHTS) == set(rules.IDEA_STATUSES)

# Words of the Ideabox's subjects: searched for (two characters, three or more) and
# written into titles and bodies with uneven frequencies (earlier words more often).
SUBJECTS = (
    "オープンデータ", "マイナンバーカード", "行政手続き", "防災", "子育て", "電子申請", "窓口", "給付金",
    "住民票", "証明書", "ハンコ", "押印", "書類", "スマートフォン", "アプリ", "データ連携", "標準化", "地図",
    "公共交通", "バス", "医療", "介護", "教育", "観光", "農業", "税金", "確定申告", "高齢者", "障害者",
    "アクセシビリティ", "クラウド", "セキュリティ", "統計", "予算", "避難所", "ハザードマップ", "ワクチン",
    "保育園", "図書館", "ゴミ", "水道", "道路", "公園", "選挙", "相談", "手当", "補助金", "入札", "議会",
    "デジタル人材", "自治体", "ガバメントクラウド", "個人情報", "本人確認", "キャッシュレス", "郵送", "戸籍",
)
TWO_CHAR_QUERIES = ("防災", "窓口", "地図", "医療", "介護", "教育", "観光", "統計", "予算", "公園")
LONG_QUERIES = ("オープンデータ", "マイナンバー", "避難所", "ハザードマップ", "行政手続き", "図書館",
                "キャッシュレス", "データ連携", "ガバメントクラウド", "確定申告")
WANTS = ("をオンラインで完結できるように", "をオープンデータとして公開して", "の情報を一か所にまとめて",
         "の手続きを簡単にして", "をスマホから使えるように", "のデータ形式を標準化して", "を二十四時間受け付けて",
         "の紙の書類をなくして", "を多言語で案内して", "の予約をネットでできるように")
REASONS = ("毎回窓口に行くのは大変です。", "平日に休みを取るのが難しいです。", "自治体ごとに形式が違って使いにくいです。",
           "高齢の親の代わりに手続きをすることが多いです。", "災害のときにすぐ確認したいです。",
           "民間のサービスで活用できると便利です。", "同じ情報を何度も書くのは無駄だと思います。",
           "紙で届くと見落としてしまいます。", "子どもを連れて役所に行くのは大変です。",
           "地域の事業者として業務の効率化に役立ちます。")
COMMENTS = {
    "agree": ("賛成です。", "ぜひ実現してほしいです。", "私も同じことで困っていました。", "とても良いアイデアだと思います。"),
    "disagree": ("反対です。", "費用に見合う効果があるか疑問です。", "紙の手続きも残してほしいです。",
                 "個人情報の扱いが心配です。"),
    "neutral": ("他の自治体ではどうなっているのでしょうか。", "具体的な方法を知りたいです。",
                "段階的に進めるのがよいと思います。", "まずは実証から始めてはどうでしょう。"),
}
NICKNAMES = ("さくら", "たろう", "ひなた", "そら", "みどり", "けん", "ゆう", "はると", "あおい", "だいち", "Taro",
             "Hana", "Ken", "Yuki", "データ好き", "まちづくり", "子育て中", "エンジニア", "市民", "会社員")


def counts_for(scale: float) -> dict[str, int]:
    counts = {kind: max(1, round(n * scale)) for kind, n in FULL.items()}
    counts["participants"] = max(counts["participants"], 20)
    counts["ideas"] = max(counts["ideas"], 10)
    counts["themes"] = THEMES if scale >= 0.05 else max(3, min(THEMES, round(THEMES * scale * 20)))
    counts["hot"] = min(HOT_COMMENTS, counts["comments"] // 2)
    return counts


def weighted(rng: random.Random, weights: dict[str, float], k: int) -> list[str]:
    return rng.choices(list(weights), weights=list(weights.values()), k=k)


def between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    if end <= start:
        return start
    return start + (end - start) * rng.random()


# -- writing in bulk ---------------------------------------------------------------------


def bulk(table: sa.Table, columns: Sequence[str], rows: Iterable[tuple]) -> int:
    """Write ``rows`` (tuples in the order of ``columns``) into ``table`` around the
    session: COPY on PostgreSQL, an executemany of INSERTs (5,000 a time) elsewhere.
    Returns how many rows were written."""
    written = 0
    if db.engine.dialect.name == "postgresql":
        raw = db.session.connection().connection.driver_connection
        names = ", ".join(f'"{c}"' for c in columns)
        with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
                written += 1
        return written
    insert = table.insert()
    batch: list[dict] = []
    for row in rows:
        batch.append(dict(zip(columns, row, strict=True)))
        if len(batch) == 5_000:
            db.session.execute(insert, batch)
            written += len(batch)
            batch = []
    if batch:
        db.session.execute(insert, batch)
        written += len(batch)
    return written


def restart_sequences() -> None:
    """After COPY with explicit ids, PostgreSQL's sequences start after the largest."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("users", "idea_profiles", "idea_themes", "ideas", "idea_comments"):
        db.session.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"))


# -- the dialogue ------------------------------------------------------------------------


@dataclass
class ThemeRow:
    id: int
    opens_at: datetime
    closes_at: datetime
    scope: str
    prefecture_id: int | None = None
    municipality_id: int | None = None
    towns: list[int] = field(default_factory=list)  # the municipalities its ideas may name


@dataclass
class Seeded:
    counts: dict[str, int]
    seconds: float
    big_theme: int
    hot_idea: int
    new_votes: list[tuple[int, int]]  # (user id, idea id) of the big theme without a vote yet
    rows: dict[str, int] = field(default_factory=dict)


def seed(rng: random.Random, counts: dict[str, int], now: datetime) -> Seeded:
    started = time.perf_counter()
    towns = db.session.execute(sa.select(Municipality.id, Municipality.prefecture_id)).all()
    prefectures = dict(db.session.execute(sa.select(Prefecture.code, Prefecture.id)).all())
    towns_of: dict[int, list[int]] = {}
    for town_id, prefecture_id in towns:
        towns_of.setdefault(prefecture_id, []).append(town_id)
    all_towns = [t for t, _p in towns]
    topic_ids = list(db.session.scalars(sa.select(Topic.id).order_by(Topic.position)))

    # Themes: Zipf sizes; the first (largest) open, about a third closed, a few scoped.
    themes: list[ThemeRow] = []
    theme_rows = []
    for n in range(counts["themes"]):
        if n == 0 or n % 3 != 1:
            opens = now - timedelta(days=rng.randint(30, 90))
            closes = now + timedelta(days=rng.randint(10, 60))
        else:
            opens = now - timedelta(days=rng.randint(120, 200))
            closes = opens + timedelta(days=rng.randint(30, 60))
        scope, prefecture_id, town_id, may_name = "national", None, None, all_towns
        if n % 10 == 7:
            scope = "prefecture"
            prefecture_id = prefectures[rng.choice(sorted(PREFECTURE_WEIGHTS))]
            may_name = towns_of[prefecture_id]
        elif n % 20 == 9:
            scope = "municipality"
            town_id = rng.choice(all_towns)
            may_name = [town_id]
        theme = ThemeRow(n + 1, opens, closes, scope, prefecture_id, town_id, may_name)
        themes.append(theme)
        subject = SUBJECTS[n % len(SUBJECTS)]
        theme_rows.append(dict(id=theme.id, title=f"{subject}をもっと便利に（{n + 1}）",
                               description=f"{subject}について、あなたのアイデアを聞かせてください。",
                               materials=[], opens_at=opens, closes_at=closes, scope=scope,
                               prefecture_id=prefecture_id, municipality_id=town_id, hold_first_posts=False,
                               created_at=opens, updated_at=opens))
    db.session.execute(sa.insert(IdeaTheme), theme_rows)

    # Participants: an account and a profile each.
    p = counts["participants"]
    voices = weighted(rng, VOICE_WEIGHTS, p)
    codes = sorted(prefectures)
    prefecture_weights = [PREFECTURE_WEIGHTS.get(code, 1.2) for code in codes]
    joined = [between(rng, now - timedelta(days=200), now - timedelta(days=1)) for _ in range(p)]
    bulk(User.__table__, ("id", "email", "display_name", "role", "is_active", "session_version", "created_at",
                          "updated_at"),
         ((n + 1, f"participant{n + 1}@example.jp", f"参加者{n + 1}", "participant", True, 0, joined[n], joined[n])
          for n in range(p)))
    profile_rows = []
    for n in range(p):
        answered = rng.random() < 0.8
        profile_rows.append((
            n + 1, n + 1, f"{rng.choice(NICKNAMES)}{n + 1}", voices[n],
            prefectures[rng.choices(codes, prefecture_weights)[0]] if rng.random() < 0.7 else None,
            weighted(rng, AGE_WEIGHTS, 1)[0] if answered else None,
            weighted(rng, GENDER_WEIGHTS, 1)[0] if answered else None,
            joined[n]))
    bulk(IdeaProfile.__table__, ("id", "user_id", "handle", "voice", "prefecture_id", "age_band", "gender",
                                 "created_at"), profile_rows)
    # How much each person writes: a few write a lot.
    author_cum = list(itertools.accumulate(min(rng.paretovariate(1.3), 200.0) for _ in range(p)))

    def author() -> int:
        return bisect.bisect_left(author_cum, rng.random() * author_cum[-1]) + 1

    # Ideas: themes' sizes uneven, in time order within each theme's period.
    theme_cum = list(itertools.accumulate(1.0 / (k + 1) for k in range(len(themes))))
    ideas = []
    for _ in range(counts["ideas"]):
        theme = themes[bisect.bisect_left(theme_cum, rng.random() * theme_cum[-1])]
        ideas.append((between(rng, theme.opens_at, min(now, theme.closes_at)), theme))
    ideas.sort(key=lambda pair: pair[0])
    n_ideas = len(ideas)
    visibility = ["shown"] * n_ideas
    for i in rng.sample(range(n_ideas), n_ideas // 100):
        visibility[i] = "hidden"
    for i in rng.sample(range(n_ideas), n_ideas // 300):
        visibility[i] = "held"
    shown = [i for i in range(n_ideas) if visibility[i] == "shown"]
    big = [i for i in shown if ideas[i][1].id == 1]
    hot = big[len(big) // 4]  # an idea of the largest theme, some weeks old
    activity = [rng.lognormvariate(0, 0.9) if v == "shown" else 0.0 for v in visibility]
    activity[hot] = 0.0  # its comments are set below

    def end_of(i: int) -> datetime:
        return min(now, ideas[i][1].closes_at)

    # Comments per idea, then the comments themselves (a quarter are replies).
    per_idea = [0] * n_ideas
    per_idea[hot] = counts["hot"]
    for i in rng.choices(range(n_ideas), weights=activity, k=max(0, counts["comments"] - counts["hot"])):
        per_idea[i] += 1
    comment_rows = []
    events: list[list[tuple[datetime, float]]] = [[] for _ in range(n_ideas)]
    comment_id = 0
    stances = list(STANCE_WEIGHTS)
    stance_weights = list(STANCE_WEIGHTS.values())
    for i in range(n_ideas):
        if not per_idea[i]:
            continue
        created = ideas[i][0]
        times = sorted(between(rng, created, end_of(i)) for _ in range(per_idea[i]))
        tops: list[int] = []
        for at in times:
            comment_id += 1
            parent = rng.choice(tops) if tops and rng.random() < 0.25 else None
            if parent is None:
                tops.append(comment_id)
            stance = rng.choices(stances, stance_weights)[0]
            body = rng.choice(COMMENTS[stance]) + rng.choice(REASONS)
            comment_rows.append((comment_id, i + 1, parent, author(), stance, body, "shown", at, at))
            events[i].append((at, rules.WEIGHT_COMMENT))

    # Votes: one per person per idea, more on the ideas people talk about.
    vote_weights = [a ** 0.8 if a else 0.0 for a in activity]
    vote_weights[hot] = 5.0
    per_idea_votes = [0] * n_ideas
    for i in rng.choices(range(n_ideas), weights=vote_weights, k=counts["votes"]):
        per_idea_votes[i] += 1
    vote_rows = []
    for i in range(n_ideas):
        k = min(per_idea_votes[i], p - 1)
        if not k:
            continue
        agree = rng.betavariate(4, 1.4)
        created = ideas[i][0]
        for voter in rng.sample(range(1, p + 1), k):
            at = between(rng, created, end_of(i))
            vote_rows.append((i + 1, voter, 1 if rng.random() < agree else -1, at, at))
            events[i].append((at, rules.WEIGHT_VOTE))

    agree_count = [0] * n_ideas
    disagree_count = [0] * n_ideas
    for idea_id, _voter, value, _at, _up in vote_rows:
        if value == 1:
            agree_count[idea_id - 1] += 1
        else:
            disagree_count[idea_id - 1] += 1
    statuses = weighted(rng, STATUS_WEIGHTS, n_ideas)
    idea_rows = []
    topic_rows = []
    for i, (created, theme) in enumerate(ideas):
        trend = rules.trend_key(rules.WEIGHT_IDEA, created)
        last = created
        for at, weight in sorted(events[i]):
            trend = rules.add_activity(trend, weight, at)
            last = at
        subject, other = rng.choice(SUBJECTS[:20]), rng.choice(SUBJECTS)
        want = rng.choice(WANTS)
        title = f"{subject}{want}ほしい"[: rules.IDEA_TITLE_MAX]
        body = "".join((f"{subject}{want}ください。", rng.choice(REASONS), f"{other}についても同じです。",
                        rng.choice(REASONS) if rng.random() < 0.6 else "",
                        f"{rng.choice(SUBJECTS)}と{rng.choice(SUBJECTS)}の連携も考えてほしいです。"
                        if rng.random() < 0.5 else ""))
        names_town = theme.scope != "national" or rng.random() < 0.25
        town = rng.choice(theme.towns) if names_town else None
        status = statuses[i] if visibility[i] == "shown" else "received"
        answered = status != "received"
        hidden = visibility[i] == "hidden"
        writer = author()
        idea_rows.append((i + 1, theme.id, writer, voices[writer - 1], title, body, town, status,
                          "ご提案ありがとうございます。関係部署で検討します。" if answered else None,
                          last if answered else None, visibility[i], rng.randint(1, rules.TERMS_ARTICLES)
                          if hidden else None, agree_count[i], disagree_count[i], per_idea[i], trend, last,
                          created, last))
        for topic in rng.sample(topic_ids, rng.choice((0, 1, 1, 2, 2, 3))):
            topic_rows.append((i + 1, topic))

    rows = {"users": p, "idea_profiles": p, "idea_themes": len(themes)}
    rows["ideas"] = bulk(Idea.__table__, (
        "id", "theme_id", "author_id", "voice", "title", "body", "municipality_id", "status", "answer",
        "answered_at", "visibility", "hidden_article", "agree_count", "disagree_count", "comment_count", "trend",
        "last_activity_at", "created_at", "updated_at"), idea_rows)
    rows["idea_topics"] = bulk(idea_topics, ("idea_id", "topic_id"), topic_rows)
    rows["idea_comments"] = bulk(IdeaComment.__table__, (
        "id", "idea_id", "parent_id", "author_id", "stance", "body", "visibility", "created_at", "updated_at"),
        comment_rows)
    rows["idea_votes"] = bulk(IdeaVote.__table__, ("idea_id", "profile_id", "value", "created_at", "updated_at"),
                              vote_rows)
    # Who took part in each theme (the results' participation), as the services write it.
    rows["idea_theme_participants"] = rebuild_participation(db.session.connection())
    restart_sequences()
    bump_data_version(db.session.connection())
    db.session.commit()
    seconds = time.perf_counter() - started

    # Votes to cast in the measurement: different people (while there are enough), on
    # ideas of the largest theme they have not voted on.
    voted = {(voter, idea_id) for idea_id, voter, *_ in vote_rows}
    new_votes: list[tuple[int, int]] = []
    people = list(range(1, p + 1))
    rng.shuffle(people)
    for n in range(min(len(big) * p, 2_000)):
        pair = (people[n % p], big[rng.randrange(len(big))] + 1)
        if pair not in voted:
            voted.add(pair)
            new_votes.append(pair)
        if len(new_votes) == 500:
            break
    return Seeded(counts=counts, seconds=seconds, big_theme=1, hot_idea=hot + 1, new_votes=new_votes, rows=rows)


def consistent() -> list[str]:
    """What does not add up between the counters and the rows (empty: all is well)."""
    votes = (sa.select(IdeaVote.idea_id, sa.func.sum(sa.case((IdeaVote.value == 1, 1), else_=0)).label("a"),
                       sa.func.sum(sa.case((IdeaVote.value == -1, 1), else_=0)).label("d"))
             .group_by(IdeaVote.idea_id).subquery())
    comments = (sa.select(IdeaComment.idea_id, sa.func.count().label("c")).where(IdeaComment.visibility == "shown")
                .group_by(IdeaComment.idea_id).subquery())
    wrong = db.session.execute(
        sa.select(Idea.id).outerjoin(votes, votes.c.idea_id == Idea.id).outerjoin(comments, comments.c.idea_id == Idea.id)
        .where(sa.or_(Idea.agree_count != sa.func.coalesce(votes.c.a, 0),
                      Idea.disagree_count != sa.func.coalesce(votes.c.d, 0),
                      Idea.comment_count != sa.func.coalesce(comments.c.c, 0))).limit(5)).scalars().all()
    problems = [f"idea {i}: counters differ from its rows" for i in wrong]
    orphans = db.session.scalar(sa.select(sa.func.count()).select_from(IdeaComment).where(
        IdeaComment.parent_id.is_not(None),
        ~sa.exists().where(sa.literal_column("p.id") == IdeaComment.parent_id,
                           sa.literal_column("p.idea_id") == IdeaComment.idea_id,
                           sa.literal_column("p.parent_id").is_(None))
        .select_from(IdeaComment.__table__.alias("p"))))
    if orphans:
        problems.append(f"{orphans} replies whose parent is not a top-level comment of the same idea")
    return problems


# -- measuring ---------------------------------------------------------------------------


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


@dataclass
class Figure:
    what: str
    how: str
    median: float
    p95: float
    samples: int
    note: str = ""
    cpu: float = 0.0  # median CPU time of this process (the database server's not counted)


def timed(what: str, how: str, runs: int, call: Callable[[int], object], warm: int = 2, note: str = "",
          before: Callable[[], object] | None = None) -> Figure:
    """``call(n)`` timed ``runs`` times after ``warm`` untimed calls; ``before`` runs
    untimed before each."""
    for n in range(warm):
        if before:
            before()
        call(n)
    times, cpu = [], []
    for n in range(runs):
        if before:
            before()
        started, started_cpu = time.perf_counter(), time.thread_time()
        call(n)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
    return Figure(what, how, statistics.median(times), p95(times), runs, note, statistics.median(cpu))


def get(client, url: str) -> Callable[[int], object]:
    def call(_n: int):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response
    return call


def get_each(client, urls: Sequence[str]) -> Callable[[int], object]:
    def call(n: int):
        return get(client, urls[n % len(urls)])(n)
    return call


def measure(app, seeded: Seeded, runs: int) -> list[Figure]:
    figures: list[Figure] = []
    client = app.test_client()  # anonymous, outside any app context: each request its own session
    theme = seeded.big_theme
    with app.app_context():
        size = db.session.scalar(sa.select(sa.func.count()).select_from(Idea).where(
            Idea.theme_id == theme, Idea.visibility == "shown"))
    for sort in rules.SORTS:
        figures.append(timed(f"theme list, {sort}, page 1", "view", runs,
                             get(client, f"/ideas/themes/{theme}?sort={sort}")))
    for sort in rules.SORTS:
        figures.append(timed(f"theme list, {sort}, page {DEEP_PAGE}", "view", runs,
                             get(client, f"/ideas/themes/{theme}?sort={sort}&page={DEEP_PAGE}")))
    figures.append(timed(f"idea with {seeded.counts['hot']} comments", "view", runs,
                         get(client, f"/ideas/{seeded.hot_idea}")))
    figures.append(timed(f"idea with {seeded.counts['hot']} comments, signed in", "view", runs,
                         get(participant_client(app), f"/ideas/{seeded.hot_idea}"),
                         note="a participant: a reply and a report link under each comment"))
    with app.app_context():
        hits = {}
        for q in TWO_CHAR_QUERIES + LONG_QUERIES:
            hits[q] = db.session.scalar(sa.select(sa.func.count()).select_from(Idea).where(
                Idea.theme_id == theme, Idea.visibility == "shown",
                sa.or_(Idea.title.contains(q), Idea.body.contains(q))))
    for label, words in (("search, 2 characters", TWO_CHAR_QUERIES), ("search, 3+ characters", LONG_QUERIES)):
        most = max(hits[w] for w in words)
        figures.append(timed(label, "view", max(runs, len(words) * 2),
                             get_each(client, [f"/ideas/themes/{theme}?q={w}" for w in words]),
                             warm=len(words), note=f"{len(words)} words ({words[0]}, {words[1]}…), "
                                                   f"up to {most:,} hits"))
        figures.append(timed(f"{label}, sorted by agreed", "view", max(runs, len(words) * 2),
                             get_each(client, [f"/ideas/themes/{theme}?q={w}&sort=agreed" for w in words]),
                             warm=len(words)))
    figures.append(measure_votes(app, seeded, runs))
    figures.extend(measure_results(app, client, seeded, runs))
    for figure in figures[:8]:
        figure.note = figure.note or f"{size:,} shown ideas in the theme"
    return figures


def participant_client(app):
    """A test client signed in, through the sign-in form, as the first participant."""
    from app.services.accounts import hash_password

    password = "a bench participant's long password"
    with app.app_context():
        user = db.session.get(User, 1)
        user.password_hash = hash_password(password)
        email = user.email
        db.session.commit()
    client = app.test_client()
    response = client.post("/auth/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.status_code
    return client


def measure_votes(app, seeded: Seeded, runs: int) -> Figure:
    """``vote()`` by people who have not voted on these ideas, agree and disagree in turn
    (each a new row, the counters and the trend: the write a click makes)."""
    from app.services import ideas as service

    pairs = seeded.new_votes[:runs + 2]
    count = len(pairs)
    people = [user_id for user_id, _idea in pairs]
    targets = [idea_id for _user, idea_id in pairs]
    with app.app_context():
        users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(people)))}
        db.session.commit()
        # The idea is read outside the timing (the view has it already); the first two
        # votes are the warm-up.
        times, cpu = [], []
        for n in range(count):
            db.session.expire_all()
            idea = service.get_idea(targets[n])
            _ = idea.theme
            started, started_cpu = time.perf_counter(), time.thread_time()
            result = service.vote(users[people[n]], idea, "agree" if n % 2 == 0 else "disagree")
            elapsed, elapsed_cpu = (time.perf_counter() - started) * 1000, (time.thread_time() - started_cpu) * 1000
            assert result.changed
            if n >= 2:
                times.append(elapsed)
                cpu.append(elapsed_cpu)
    return Figure("vote (agree / disagree in turn, different people)", "service", statistics.median(times),
                  p95(times), len(times), "vote() with its commit", statistics.median(cpu))


def measure_results(app, client, seeded: Seeded, runs: int) -> list[Figure]:
    """The results (another part of issue 21): computed afresh by the service, and the
    pages after a write (the data version counted up before each view, as a vote does, so
    what the results keep until the data changes is made again)."""
    try:
        from app.services import idea_results
    except ImportError:
        print("  note: app.services.idea_results is not in this tree: the results are not measured "
              "(run the bench again where it is)")
        return []
    import inspect

    def written():
        with app.app_context():
            bump_data_version(db.session.connection())
            db.session.commit()

    figures = []
    with app.app_context():
        for name, label, args in (("theme_results", "results of the largest theme", (seeded.big_theme,)),
                                  ("overall_results", "results of the whole dialogue", ())):
            function = getattr(idea_results, name, None)
            if function is None:
                print(f"  note: idea_results.{name} is not in this tree: not measured")
                continue
            afresh = "kept" in inspect.signature(function).parameters
            kwargs = {"kept": False} if afresh else {}

            def call(_n: int, function=function, args=args, kwargs=kwargs):
                db.session.expire_all()
                return function(*args, **kwargs)
            figures.append(timed(label, "service", runs, call,
                                 note=f"{name}({', '.join(map(str, args))}{', kept=False' if afresh else ''})"))
            db.session.rollback()
        rules_ = {r.rule for r in app.url_map.iter_rules() if "GET" in (r.methods or ())}
    for rule, url, label in (("/ideas/themes/<id:theme_id>/results", f"/ideas/themes/{seeded.big_theme}/results",
                              "results page of the largest theme"),
                             ("/ideas/results", "/ideas/results", "results page of the whole dialogue")):
        if rule in rules_:
            figures.append(timed(label, "view", runs, get(client, url), before=written, note="after a write"))
        else:
            print(f"  note: no {rule} page in this tree: not measured")
    return figures


# -- running -----------------------------------------------------------------------------


@dataclass
class Outcome:
    dialect: str
    seeded: Seeded
    figures: list[Figure]
    problems: list[str]
    load: tuple[float, float] = (0.0, 0.0)

    @property
    def worst(self) -> float:
        return max((f.p95 for f in self.figures), default=0.0)


def run(database_url: str, *, scale: float = 1.0, runs: int = 30, seed_number: int = 21,
        quiet: bool = False) -> Outcome:
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url, PAGE_CACHE_BYTES=0)
    rng = random.Random(seed_number)
    counts = counts_for(scale)
    with app.app_context():
        logging.disable(logging.INFO)  # the migrations' log lines
        try:
            flask_migrate.upgrade()
        finally:
            logging.disable(logging.NOTSET)
        load_gazetteer()
        sync_topics()
        db.session.commit()
        now = utc_now()
        seeded = seed(rng, counts, now)
        dialect = db.engine.dialect.name
        started = time.perf_counter()
        if dialect == "postgresql":
            with db.engine.connect() as conn:
                # What autovacuum would have done by now: statistics, and the visibility
                # map that lets a count read the index alone.
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        analyzed = time.perf_counter() - started
        problems = consistent()
        db.session.remove()
    # As gunicorn.conf.py does after preloading: what is built so far (modules, the app)
    # is left out of the cycle collector's full collections.
    gc.collect()
    gc.freeze()
    load_before = os.getloadavg()[0]
    try:
        figures = measure(app, seeded, runs)
    finally:
        gc.unfreeze()
    load_after = os.getloadavg()[0]
    with app.app_context():
        db.engine.dispose()
    outcome = Outcome(dialect, seeded, figures, problems, (load_before, load_after))
    if not quiet:
        report(outcome, runs, analyzed)
    return outcome


def report(outcome: Outcome, runs: int, analyzed: float) -> None:
    seeded = outcome.seeded
    r = seeded.rows
    print(f"{outcome.dialect}: {r['users']:,} participants, {r['idea_themes']} themes, {r['ideas']:,} ideas "
          f"({r['idea_topics']:,} topic tags), {r['idea_comments']:,} comments, {r['idea_votes']:,} votes")
    print(f"  seeding in bulk ({'COPY' if outcome.dialect == 'postgresql' else 'executemany, FTS5 triggers'}), "
          f"counters and trend keys included: {seeded.seconds:.1f} s"
          + (f"; VACUUM ANALYZE {analyzed:.1f} s" if outcome.dialect == "postgresql" else ""))
    print(f"  consistency: {'counters match the rows' if not outcome.problems else '; '.join(outcome.problems)}")
    print(f"  page cache off, in process; {runs} runs after a warm-up; ms. Load average (1 min) "
          f"{outcome.load[0]:.1f} before the measurements, {outcome.load[1]:.1f} after, on {os.cpu_count()} CPUs; "
          "CPU: this process's own time (the PostgreSQL server's is not in it)")
    print()
    print("| what | through | median | p95 | CPU median | note |")
    print("|---|---|---:|---:|---:|---|")
    for f in outcome.figures:
        print(f"| {f.what} | {f.how} | {f.median:.1f} | {f.p95:.1f} | {f.cpu:.1f} | {f.note} |")
    print()
    print(f"  worst p95 {outcome.worst:.1f} ms: {'within' if outcome.worst < TARGET_MS else 'OVER'} "
          f"the {TARGET_MS} ms target")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="an empty database (default: a throw-away SQLite file)")
    parser.add_argument("--scale", type=float, default=1.0, help="1 is 10x the Ideabox's first phase")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        outcome = run(args.database_url or f"sqlite:///{tmp}/bench.db", scale=args.scale, runs=args.runs)
    if outcome.problems:
        return 2
    return 1 if args.scale >= 1 and outcome.worst >= TARGET_MS else 0


if __name__ == "__main__":
    sys.exit(main())
