"""Figures for the library of use cases (issue 22): 5,000 published use cases (far more
than the programme will write in years) over the national gazetteer.

A fresh database: a throw-away SQLite file, or PostgreSQL when ``--database-url`` (or
``BENCH_DATABASE_URL``) names an empty database. It is migrated, the gazetteer and the
topics loaded by their services, the towns given populations, then the use cases written
in bulk around the session (an ``executemany`` of plain INSERTs: on SQLite migration
0028's triggers keep the FTS5 index, on PostgreSQL the pg_trgm GIN index is kept by the
database), each with the ``search_text`` the services would write
(``evangelists.use_cases.search_text_of``), 1-3 topics, a population band, and a
publication moment spread over three fiscal years; one in ten is unpublished (drafts,
with the town, withdrawn). The data version is counted up afterwards.

Then, in process and with the page cache off, each measurement runs ``--runs`` times
(after a warm-up) through Flask's test client (the view, its queries and its template),
and the table gives the median and the 95th percentile, in ms: the list (page 1, page
100), searches of two characters (a scan) and of three or more (the text index), a
Latin word, filters, a use case's page (with its map), the feed, and "towns like yours"
(``similar_use_cases``: every published use case's town ranked in Python).

Usage::

    .venv/bin/python bench/bench_library.py                      # SQLite, 5,000 use cases
    .venv/bin/python bench/bench_library.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench_library
    .venv/bin/python bench/bench_library.py --count 50 --runs 2  # a smoke run (the tests do this)

Exit status 1 when a p95 is over the 100 ms target (with 5,000 use cases or more).
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("QUEUE_URL", "memory:")  # no notices are sent

import flask_migrate  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Municipality, Topic  # noqa: E402
from app.models.system import bump_data_version  # noqa: E402
from app.models.use_cases import UseCase, use_case_topics  # noqa: E402
from app.services import library  # noqa: E402
from app.services.geography import load_gazetteer  # noqa: E402
from app.services.topics import sync_topics  # noqa: E402
from evangelists.use_cases import population_band, search_text_of  # noqa: E402

TARGET_MS = 100
DEFAULT_COUNT = 5_000
SUBJECTS = ["避難所", "公園", "ごみ収集", "子育て施設", "AED設置場所", "文化財", "観光", "人口統計", "バス停",
            "公衆トイレ", "図書館", "消防水利", "ハザードマップ", "イベント", "介護施設"]
ACTIONS = ["CSVで公開した", "カタログサイトを立ち上げた", "推奨データセットに合わせて整えた",
           "ハッカソンを開いた", "高校生とアイデアソンをした", "庁内研修を三回行った", "CC BYで公開した"]
PEOPLE = ["職員2人", "職員と地元の高専生", "シビックテックの有志5人", "情報政策課の全員"]


@dataclass
class Figure:
    what: str
    median: float
    p95: float
    samples: int


@dataclass
class Outcome:
    dialect: str
    published: int
    unpublished: int
    seconds: float
    figures: list[Figure] = field(default_factory=list)

    @property
    def worst(self) -> float:
        return max((f.p95 for f in self.figures), default=0.0)


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def seed(rng: random.Random, count: int, now: datetime) -> tuple[int, int, list[int]]:
    """``count`` use cases, nine in ten published; returns (published, unpublished, ids)."""
    towns = db.session.execute(sa.select(Municipality.id, Municipality.name)).all()
    # Populations for the bands: most towns small, a few large.
    with db.engine.begin() as conn:
        conn.execute(sa.update(Municipality.__table__).where(Municipality.id == sa.bindparam("mid"))
                     .values(population=sa.bindparam("population")),
                     [{"mid": t.id, "population": int(rng.lognormvariate(10.3, 1.2))} for t in towns])
    populations = dict(db.session.execute(sa.select(Municipality.id, Municipality.population)).all())
    topics = db.session.execute(sa.select(Topic.id, Topic.name_ja)).all()
    start = now - timedelta(days=3 * 365)
    rows, tags, published = [], [], 0
    for n in range(1, count + 1):
        town = rng.choice(towns)
        chosen = rng.sample(topics, rng.randint(1, 3))
        subject, action = rng.choice(SUBJECTS), rng.choice(ACTIONS)
        status = "published" if rng.random() < 0.9 else rng.choice(["draft", "with_town", "withdrawn"])
        published += status == "published"
        texts = dict(title=f"{town.name}の{subject}データ", starting_point=f"{subject}の情報は紙で配っていた。",
                     what_was_done=f"{subject}の一覧を{action}。", results=f"{subject}など{rng.randint(1, 40)}件のデータセット。",
                     people=rng.choice(PEOPLE), time_taken=f"{rng.randint(1, 18)}か月", advice="小さく始めること。")
        moment = start + timedelta(seconds=rng.randint(0, 3 * 365 * 86400))
        rows.append(dict(
            id=n, kind="participation" if rng.random() < 0.2 else "story", status=status, municipality_id=town.id,
            **texts, datasets=rng.randint(0, 40), population_band=population_band(populations[town.id]),
            search_text=search_text_of([*texts.values(), town.name, *(name for _id, name in chosen)]),
            published_at=moment if status == "published" else None, version=1, created_at=moment, updated_at=moment))
        tags += [dict(use_case_id=n, topic_id=topic_id) for topic_id, _name in chosen]
    with db.engine.begin() as conn:
        conn.execute(sa.insert(UseCase.__table__), rows)
        conn.execute(sa.insert(use_case_topics), tags)
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('use_cases', 'id'), "
                                 "(SELECT max(id) FROM use_cases))")
        bump_data_version(conn)
    ids = [r["id"] for r in rows if r["status"] == "published"]
    return published, count - published, ids


def timed(what: str, runs: int, call: Callable[[int], object], warm: int = 2) -> Figure:
    for n in range(warm):
        call(n)
    times = []
    for n in range(runs):
        started = time.perf_counter()
        call(n)
        times.append((time.perf_counter() - started) * 1000)
    return Figure(what, statistics.median(times), p95(times), runs)


def get_each(client, urls: Sequence[str]) -> Callable[[int], object]:
    def call(n: int):
        url = urls[n % len(urls)]
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response
    return call


def measure(app, ids: list[int], runs: int, rng: random.Random) -> list[Figure]:
    client = app.test_client()
    with app.app_context():
        towns = db.session.scalars(sa.select(Municipality).order_by(Municipality.id)).all()
        sample = rng.sample(towns, min(len(towns), 50))
        pages = [f"/cases/{i}" for i in rng.sample(ids, min(len(ids), 50))]
    figures = [
        timed("list, page 1", runs, get_each(client, ["/cases"])),
        timed("list, page 100", runs, get_each(client, ["/cases?page=100"])),
        timed("search, 2 characters (scan)", runs, get_each(client, ["/cases?q=公園", "/cases?q=観光", "/cases?q=文化"])),
        timed("search, 3+ characters (text index)", runs,
              get_each(client, ["/cases?q=避難所", "/cases?q=ハザードマップ", "/cases?q=子育て 公開"])),
        timed("search, Latin (NFKC)", runs, get_each(client, ["/cases?q=aed", "/cases?q=ＣＳＶ"])),
        timed("filter: topic + town kind", runs, get_each(client, ["/cases?topic=gis&town_kind=town",
                                                                    "/cases?topic=hackathons&town_kind=city"])),
        timed("filter: fiscal year + prefecture + band", runs,
              get_each(client, ["/cases?fy=2025&prefecture=13", "/cases?fy=2026&band=under_10k&prefecture=01"])),
        timed("a use case's page (with its map)", runs, get_each(client, pages)),
        timed("feed.atom", runs, get_each(client, ["/cases/feed.atom"]), warm=1),
    ]

    def similar(n: int):
        with app.app_context():
            return library.similar_use_cases(sample[n % len(sample)])

    figures.append(timed("towns like yours (service)", runs, similar))
    return figures


def run(database_url: str, *, count: int = DEFAULT_COUNT, runs: int = 30, seed_number: int = 22,
        quiet: bool = False) -> Outcome:
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url, PAGE_CACHE_BYTES=0)
    rng = random.Random(seed_number)
    with app.app_context():
        logging.disable(logging.INFO)  # the migrations' log lines
        try:
            flask_migrate.upgrade()
        finally:
            logging.disable(logging.NOTSET)
        load_gazetteer()
        sync_topics()
        db.session.commit()
        started = time.perf_counter()
        published, unpublished, ids = seed(rng, count, datetime.now(UTC))
        seconds = time.perf_counter() - started
        dialect = db.engine.dialect.name
        if dialect == "postgresql":
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        db.session.remove()
    gc.collect()
    gc.freeze()
    try:
        figures = measure(app, ids, runs, rng)
    finally:
        gc.unfreeze()
    with app.app_context():
        db.engine.dispose()
    outcome = Outcome(dialect, published, unpublished, seconds, figures)
    if not quiet:
        report(outcome, runs)
    return outcome


def report(outcome: Outcome, runs: int) -> None:
    print(f"{outcome.dialect}: {outcome.published:,} published use cases, {outcome.unpublished:,} not published; "
          f"seeded in {outcome.seconds:.1f} s")
    print(f"  page cache off, in process; {runs} runs after a warm-up; ms; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    print()
    print("| what | median | p95 |")
    print("|---|---:|---:|")
    for f in outcome.figures:
        print(f"| {f.what} | {f.median:.1f} | {f.p95:.1f} |")
    print()
    print(f"  worst p95 {outcome.worst:.1f} ms: {'within' if outcome.worst < TARGET_MS else 'OVER'} "
          f"the {TARGET_MS} ms target")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="an empty database (default: a throw-away SQLite file)")
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help="use cases to seed (nine in ten published)")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        outcome = run(args.database_url or f"sqlite:///{tmp}/bench.db", count=args.count, runs=args.runs)
    return 1 if args.count >= DEFAULT_COUNT and outcome.worst >= TARGET_MS else 0


if __name__ == "__main__":
    sys.exit(main())
