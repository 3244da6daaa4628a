"""Figures for the staff search box (issue 20, point 5): one search over 10,000 people,
1,741 municipalities and 20,000 requests, per kind of query, in process and uncached (the
service is called directly; no page is kept).

A fresh database: a throw-away SQLite file, or PostgreSQL when ``--database-url`` (or
``BENCH_DATABASE_URL``, or ``TEST_DATABASE_URL``) names an empty database. It is migrated,
the gazetteer loaded by its service (``flask geo load``), then 10,000 people (evangelists
and candidates with readings, half with an account and its e-mail), 200 communities and
20,000 requests from towns across the country are added through the session, 2,000 at a
time, so the search documents are written as the services write them. Then each kind of
query runs ``--runs`` times (5) over 20 different queries drawn from the data, for an
admin (the whole country) and for a regional coordinator (関東): the table gives the
median and the 95th percentile per kind. Also timed: the seeding (documents included) and
``flask search rebuild``.

Usage: ``.venv/bin/python bench/bench_search.py [--database-url URL] [--runs N]``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TMP = tempfile.TemporaryDirectory()
os.environ["QUEUE_URL"] = "memory:"  # no notices are sent

import flask_migrate  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Community, Evangelist, Municipality, SearchDocument, SupportRequest, User  # noqa: E402
from app.services.geography import load_gazetteer  # noqa: E402
from app.services.regions import set_regions  # noqa: E402
from app.services.search import rebuild, search  # noqa: E402
from evangelists.names import FAMILY_READINGS, GIVEN_READINGS  # noqa: E402
from evangelists.romaji import kana_to_hepburn  # noqa: E402

PEOPLE = 10_000
REQUESTS = 20_000
COMMUNITIES = 200
BATCH = 2_000
QUERIES_PER_KIND = 20
TARGET_MS = 50


def hiragana(katakana: str) -> str:
    return "".join(chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch for ch in katakana)


def seed(rng: random.Random) -> dict:
    towns = list(db.session.execute(sa.select(Municipality.id, Municipality.lat, Municipality.lon)))
    families = sorted(FAMILY_READINGS.items())
    givens = sorted(GIVEN_READINGS.items())
    people = []
    for _ in range(PEOPLE):
        (family, f_kana), (given, g_kana) = rng.choice(families), rng.choice(givens)
        people.append((family, given, f_kana[0], g_kana[0]))
    started = time.perf_counter()
    for start in range(0, PEOPLE, BATCH):
        for n in range(start, min(start + BATCH, PEOPLE)):
            family, given, f_kana, g_kana = people[n]
            town = towns[n % len(towns)]
            user = None
            if n % 2 == 0:
                user = User(email=f"{kana_to_hepburn(g_kana)}.{kana_to_hepburn(f_kana)}{n}@example.jp",
                            display_name=f"{family} {given}", role="evangelist")
            db.session.add(Evangelist(family_name=family, given_name=given, family_name_kana=f_kana,
                                      given_name_kana=g_kana, status="active" if user else "candidate", user=user,
                                      home_municipality_id=town.id, lat=town.lat, lon=town.lon))
        db.session.commit()
    for n in range(COMMUNITIES):
        town = towns[(n * 7) % len(towns)]
        db.session.add(Community(name=f"Code for Bench {n}", municipality_id=town.id, lat=town.lat, lon=town.lon,
                                 contact_email=f"hello{n}@community.example.org"))
    db.session.commit()
    for start in range(0, REQUESTS, BATCH):
        for n in range(start, min(start + BATCH, REQUESTS)):
            family, given, _f, _g = people[(n * 13) % PEOPLE]
            db.session.add(SupportRequest(
                municipality_id=towns[(n * 31) % len(towns)].id, contact_name=f"{family} {given}",
                department=rng.choice(("情報政策課", "企画課", "総務課", "DX推進室", "デジタル戦略課")),
                email=f"contact{n}@city.example.lg.jp", preferred_mode="either",
                token_hash=hashlib.sha256(f"bench-search-{n}".encode()).hexdigest()))
        db.session.commit()
    return {"people": people, "seconds": time.perf_counter() - started}


def queries(rng: random.Random, people: list[tuple[str, str, str, str]]) -> dict[str, list[str]]:
    towns = list(db.session.scalars(sa.select(Municipality.name)))
    emails = list(db.session.scalars(sa.select(User.email).where(User.role == "evangelist")))
    request_ids = list(db.session.scalars(sa.select(SupportRequest.id)))
    picked = [rng.choice(people) for _ in range(QUERIES_PER_KIND)]
    return {
        "kanji name (山田 花子)": [f"{f} {g}" for f, g, _fk, _gk in picked],
        "hiragana reading (やまだ)": [hiragana(fk) for _f, _g, fk, _gk in picked],
        "katakana reading (ヤマダハナコ)": [fk + gk for _f, _g, fk, gk in picked],
        "romaji (yamada hanako)": [f"{kana_to_hepburn(fk)} {kana_to_hepburn(gk)}" for _f, _g, fk, gk in picked],
        "partial (まだは, amad, 幌市)": [
            rng.choice((hiragana(fk + gk)[1:4], kana_to_hepburn(fk)[1:5], rng.choice(towns)[1:4]))
            for _f, _g, fk, gk in picked],
        "request number (#123)": [f"#{rng.choice(request_ids)}" for _ in range(QUERIES_PER_KIND)],
        "e-mail (part or whole)": [rng.choice((e, e.split("@")[0], e[:8])) for e in rng.sample(emails,
                                                                                                QUERIES_PER_KIND)],
        "1-2 characters (中, 札幌)": [rng.choice((f[:1], f[:2], rng.choice(towns)[:2])) for f, _g, _fk, _gk in picked],
    }


def measure(user: User, kinds: dict[str, list[str]], runs: int) -> dict[str, tuple[float, float, int]]:
    figures = {}
    for kind, texts in kinds.items():
        times, hits = [], 0
        for _ in range(runs):
            for text in texts:
                db.session.expire_all()  # nothing kept from the last search
                started = time.perf_counter()
                results = search(user, text)
                times.append((time.perf_counter() - started) * 1000)
                hits = max(hits, results.total)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        figures[kind] = (statistics.median(times), p95, hits)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL")
                        or os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{TMP.name}/bench.db")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=args.database_url)
    rng = random.Random(20)
    with app.app_context():
        flask_migrate.upgrade()
        load_gazetteer()
        seeded = seed(rng)
        admin = User(email="admin@bench.example.jp", display_name="管理者", role="admin")
        regional = User(email="kanto@bench.example.jp", display_name="関東担当", role="coordinator")
        db.session.add_all([admin, regional])
        db.session.commit()
        set_regions(admin, regional, ["kanto"])
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
        started = time.perf_counter()
        rebuild()
        rebuilt = time.perf_counter() - started
        documents = db.session.scalar(sa.select(sa.func.count()).select_from(SearchDocument))
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE search_documents")
        kinds = queries(rng, seeded["people"])
        national = measure(admin, kinds, args.runs)
        in_region = measure(regional, kinds, args.runs)
        dialect = db.engine.dialect.name
    samples = QUERIES_PER_KIND * args.runs
    print(f"{dialect}: {PEOPLE:,} people, 1,741 municipalities, {REQUESTS:,} requests, {COMMUNITIES} communities; "
          f"{documents:,} search documents")
    print(f"  seeding through the session (documents included): {seeded['seconds']:.1f} s; "
          f"flask search rebuild: {rebuilt:.1f} s")
    print(f"  per kind: {QUERIES_PER_KIND} queries x {args.runs} runs = {samples} searches, in ms")
    print(f"  {'query kind':<32} {'admin median':>12} {'p95':>6} {'kanto median':>13} {'p95':>6} {'most hits':>10}")
    worst = 0.0
    for kind in kinds:
        n_med, n_p95, hits = national[kind]
        r_med, r_p95, _ = in_region[kind]
        worst = max(worst, n_p95, r_p95)
        print(f"  {kind:<32} {n_med:>12.1f} {n_p95:>6.1f} {r_med:>13.1f} {r_p95:>6.1f} {hits:>10,}")
    print(f"  worst p95 {worst:.1f} ms: {'within' if worst < TARGET_MS else 'OVER'} the {TARGET_MS} ms target")


if __name__ == "__main__":
    main()
