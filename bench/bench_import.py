"""Figures for CSV imports: the dry run and the apply of every kind of file, at 1,000,
10,000 and 100,000 rows, on SQLite and on PostgreSQL (issue 15, point 7: an apply must
finish well inside gunicorn's 30 s worker timeout).

Builds its own database for each backend: a throw-away SQLite file in a temp dir, and a
scratch PostgreSQL database created beside ``--database-url`` and dropped at the end (the
named one is never touched; PostgreSQL is skipped with a note when it is not reachable).
Each is migrated and loaded with the gazetteer (1,741 municipalities), the topics and 100
communities the candidate files name. The files are generated, the same on every run:

- ``communities``: new communities (name, town, website, status, members, e-mail,
  description), then the same names again with another status and member count, so every
  row is an update with a status history row;
- ``candidates``: new people (family and given name, home town, one of the 100
  communities on a third of the rows, one or two skills on two rows in three, an e-mail on a seventh), then the
  same people with other skills, so nearly every row updates;
- ``municipality_status``: the survey has one row per local government, so a valid file
  has at most 1,788 rows (1,741 towns, 47 prefectures: prefecture rows are skipped); the
  larger files repeat rows, and the figures are for reporting their problems (the apply
  refuses them, which is timed too).

Every 100,000-row file is checked to be under the upload limit (``MAX_BYTES``). After each
case the rows it wrote are deleted (not timed), so every case starts from the same data.
Times are wall-clock seconds of the service call (``app.services.imports``), rows/s for
dry run + apply; "peak MB" is the largest Python allocation seen (tracemalloc) over the
dry run and the apply, measured in a second, untimed run. ``--web`` also times the two
POSTs through the Flask test client (upload = dry run + report page; apply = the signed
token back). Nothing is asserted: the figures are informational.
Usage: ``.venv/bin/python bench/bench_import.py [--rows 1000,10000,100000] [--kinds ...]
[--backends sqlite,postgresql] [--database-url URL] [--web] [--no-memory] [--profile KIND:ROWS]``.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import logging
import os
import pstats
import re
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from bench_map import drop_postgres, scratch_postgres  # noqa: E402  (this folder)
from sqlalchemy.pool import NullPool  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import (  # noqa: E402
    AuditEvent,
    Community,
    CommunityStatusChange,
    Evangelist,
    Municipality,
    Prefecture,
    Topic,
)
from app.services import imports  # noqa: E402
from app.services.accounts import add_user  # noqa: E402
from app.services.demo import DEMO_PASSWORD  # noqa: E402
from app.services.geography import load_gazetteer  # noqa: E402
from app.services.topics import sync_topics  # noqa: E402
from evangelists.imports import MAX_BYTES  # noqa: E402

DEFAULT_POSTGRES = os.environ.get("TEST_DATABASE_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SIZES = (1_000, 10_000, 100_000)
N_COMMUNITIES = 100  # existing communities candidate rows name
COORDINATOR = "coordinator@example.jp"  # a demo account: see sign_in_coordinator
FAMILY = ("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤",
          "吉田", "山田", "佐々木", "山口", "松本", "井上", "木村", "林", "斎藤", "清水")
GIVEN = ("翔", "蓮", "陽翔", "湊", "大翔", "結衣", "陽菜", "葵", "凛", "芽依", "花子", "太郎", "健",
         "美咲", "優斗", "さくら", "悠真", "彩", "一郎", "愛")  # 20 x 20 names x 1,741 towns


# --- the files -------------------------------------------------------------------------


def community_name(n: int) -> str:
    return f"コミュ{n:02d}"


def communities_file(rows: int, towns: list[str], *, update: bool = False) -> bytes:
    lines = ["name,municipality_code,website,status,member_count,contact_email,description"]
    for i in range(rows):
        status = ("dormant" if i % 2 else "active") if update else ("" if i % 4 else "active")
        members = (i * 7) % 300 + (1 if update else 0)
        website = f"https://c{i}.example.jp/" if i % 5 == 0 else ""
        email = f"c{i}@example.jp" if i % 7 == 0 else ""
        description = "データの会" if i % 4 == 0 else ""
        lines.append(f"CfJ{i:06d},{towns[i % len(towns)]},{website},{status},{members},{email},{description}")
    return ("\n".join(lines) + "\n").encode()


def candidates_file(rows: int, towns: list[str], topics: list[str], *, update: bool = False) -> bytes:
    lines = ["family_name,given_name,municipality_code,community,skills,email"]
    shift = 1 if update else 0
    for i in range(rows):
        family, given = FAMILY[i % 20], GIVEN[(i // 20) % 20]
        town = towns[(i // 400) % len(towns)]  # (family, given, town) is unique below 696,400 rows
        community = community_name(i % N_COMMUNITIES) if i % 3 == 0 else ""
        skills = ";".join(topics[(i + shift + k * 5) % len(topics)] for k in range(1 + i % 2)) if i % 3 else ""
        email = f"p{i}@example.jp" if i % 7 == 0 else ""
        lines.append(f"{family},{given},{town},{community},{skills},{email}")
    return ("\n".join(lines) + "\n").encode()


def survey_file(rows: int, codes: list[str]) -> bytes:
    """The survey's rows for ``codes`` (towns and prefectures) in turn, repeated when
    ``rows`` is larger: a repeated code is a problem (``duplicate_row``)."""
    lines = ["団体コード,市区町村名,取組状況,基準日"]
    for i in range(rows):
        status = "取組済" if i % 3 else "未着手"
        lines.append(f"{codes[i % len(codes)]},,{status},2024/3/31")
    return ("\n".join(lines) + "\n").encode("cp932")


# --- the database ----------------------------------------------------------------------


def postgres_reachable(url: str) -> bool:
    try:
        engine = sa.create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except sa.exc.OperationalError:
        return False


def build() -> None:
    """Gazetteer, topics, the communities candidates name and the coordinator (committed)."""
    load_gazetteer()
    sync_topics()
    town = db.session.scalars(sa.select(Municipality).order_by(Municipality.code)).first()
    db.session.execute(sa.insert(Community), [
        dict(name=community_name(n), municipality_id=town.id, lat=town.lat, lon=town.lon)
        for n in range(N_COMMUNITIES)
    ])
    add_user(COORDINATOR, "Bench coordinator", "coordinator", DEMO_PASSWORD)
    db.session.commit()


def reset() -> None:
    """Back to the data ``build`` left (not timed)."""
    db.session.rollback()
    db.session.execute(sa.delete(Evangelist))
    db.session.execute(sa.delete(CommunityStatusChange))
    db.session.execute(sa.delete(Community).where(Community.name.not_like("コミュ%")))
    db.session.execute(sa.delete(AuditEvent))
    db.session.execute(sa.update(Municipality).values(open_data_status="non_active", open_data_since=None,
                                                      engagement_stage="none"))
    db.session.commit()
    db.session.expunge_all()
    if db.engine.dialect.name == "postgresql":
        # As autovacuum would do soon after a real import; keeps the cases independent.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")


def sign_in_coordinator(client) -> None:
    """Sign in through the real form; the development demo waiver stands in for the second
    factor, as in ``make run`` (see bench_map.py)."""
    response = client.post("/auth/login", data={"email": COORDINATOR, "password": DEMO_PASSWORD})
    target = response.headers.get("Location", "")
    if response.status_code != 302 or "/auth/" in target:
        raise SystemExit(f"coordinator sign-in failed: {response.status_code} -> {target!r}")


# --- the cases -------------------------------------------------------------------------


def cases(kinds: list[str], sizes: list[int], towns: list[str], codes: list[str], topics: list[str]):
    """(label, kind, rows, [(step, data), ...]): steps run in turn, each dry run then apply."""
    for rows in sizes:
        for kind in kinds:
            if kind == "communities":
                yield (f"communities {rows:,}", kind, rows,
                       [("create", communities_file(rows, towns)),
                        ("update", communities_file(rows, towns, update=True))])
            elif kind == "candidates":
                yield (f"candidates {rows:,}", kind, rows,
                       [("create", candidates_file(rows, towns, topics)),
                        ("update", candidates_file(rows, towns, topics, update=True))])
            else:
                step = "valid" if rows <= len(codes) else "refused"
                yield (f"municipality_status {min(rows, len(codes)) if step == 'valid' else rows:,}", kind,
                       rows, [(step, survey_file(min(rows, len(codes)) if step == "valid" else rows, codes))])


def timed(fn):
    gc.collect()
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def peak_mb(fn) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def run_service(kind: str, data: bytes):
    dry_s, report = timed(lambda: imports.dry_run(kind, data))
    db.session.rollback()
    apply_s, applied = timed(lambda: imports.apply(None, kind, data))
    return dry_s, apply_s, report, applied


_clients: dict = {}
TOKEN = re.compile(r'name="token"[^>]*value="([^"]+)"')


def run_web(app, kind: str, data: bytes) -> tuple[float, float, int]:
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    client = _clients.get(app)
    if client is None:  # signed in once: the sign-in form is rate limited
        client = _clients[app] = app.test_client()
        sign_in_coordinator(client)
    boundary, body = encode_multipart({"kind": kind, "file": FileStorage(io.BytesIO(data), filename="x.csv")})
    upload_s, response = timed(lambda: client.post(
        "/coordinator/data/import", data=body, content_type=f"multipart/form-data; boundary={boundary}"))
    match = TOKEN.search(response.get_data(as_text=True))
    if match is None:
        return upload_s, float("nan"), response.status_code
    boundary, body = encode_multipart({"token": match.group(1)})
    apply_s, response = timed(lambda: client.post(
        "/coordinator/data/import/apply", data=body, content_type=f"multipart/form-data; boundary={boundary}"))
    return upload_s, apply_s, response.status_code


def bench_backend(url: str, args) -> list[tuple]:
    logging.getLogger("alembic").setLevel(logging.WARNING)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, PAGE_CACHE_BYTES=0)
    results = []
    with app.app_context():
        start = time.perf_counter()
        flask_migrate.upgrade()
        build()
        backend = db.engine.dialect.name
        print(f"\n{backend}: migrated and built in {time.perf_counter() - start:.1f} s")
        towns = list(db.session.scalars(sa.select(Municipality.code).order_by(Municipality.code)))
        prefecture_codes = [f"{p}0000"[:5] for p in db.session.scalars(sa.select(Prefecture.code))]
        from evangelists.gazetteer import lg_code
        codes = towns + [lg_code(c) for c in prefecture_codes]
        topics = list(db.session.scalars(sa.select(Topic.slug).order_by(Topic.position)))
        db.session.commit()
        header = (f"{'case':<26}{'step':<9}{'bytes':>11}{'dry run s':>11}{'apply s':>9}{'rows/s':>10}"
                  f"{'peak MB':>9}  result")
        print(header)
        for label, kind, rows, steps in cases(args.kinds, args.rows, towns, codes, topics):
            reset()
            for step, data in steps:
                if rows == max(SIZES) and len(data) > MAX_BYTES:
                    raise SystemExit(f"{label} {step}: {len(data):,} bytes, over the limit {MAX_BYTES:,}")
                if args.profile == f"{kind}:{rows}":
                    profile(kind, data, f"{backend}-{kind}-{rows}-{step}")
                dry_s, apply_s, report, applied = run_service(kind, data)
                outcome = (f"applied: {applied.created:,} created, {applied.updated:,} updated, "
                           f"{applied.unchanged:,} unchanged" if applied.applied
                           else f"refused: {len(applied.problems):,} problems")
                memory = ""
                if args.memory:  # again from the same state, untimed, under tracemalloc
                    reset()
                    if step == "update":
                        imports.apply(None, kind, steps[0][1])
                    memory = f"{peak_mb(lambda kind=kind, data=data: run_service(kind, data)):>9.0f}"
                rate = rows / (dry_s + apply_s)
                print(f"{label:<26}{step:<9}{len(data):>11,}{dry_s:>11.2f}{apply_s:>9.2f}{rate:>10,.0f}"
                      f"{memory:>9}  {outcome}", flush=True)
                results.append((backend, label, step, len(data), dry_s, apply_s, rate, memory.strip(), outcome))
            if args.web:
                for step, data in steps:
                    if step in ("create", "valid", "refused"):
                        reset()
                    db.session.commit()
                    upload_s, apply_web_s, status = run_web(app, kind, data)
                    db.session.expire_all()
                    print(f"{label:<26}{step:<9}{'web':>11}{upload_s:>11.2f}{apply_web_s:>9.2f}"
                          f"{rows / (upload_s + apply_web_s) if apply_web_s == apply_web_s else 0:>10,.0f}"
                          f"{'':>9}  POST upload, POST apply -> {status}", flush=True)
        reset()
        db.engine.dispose()
    return results


def profile(kind: str, data: bytes, name: str) -> None:
    out = Path(tempfile.gettempdir()) / f"bench_import-{name}.prof"
    profiler = cProfile.Profile()
    profiler.enable()
    imports.dry_run(kind, data)
    db.session.rollback()
    profiler.disable()
    profiler.dump_stats(str(out) + ".dry")
    profiler = cProfile.Profile()
    profiler.enable()
    imports.apply(None, kind, data)
    profiler.disable()
    profiler.dump_stats(str(out) + ".apply")
    for suffix in (".dry", ".apply"):
        print(f"--- profile {name}{suffix} ({out}{suffix})")
        pstats.Stats(str(out) + suffix).sort_stats("cumulative").print_stats(25)
    reset()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default=",".join(str(s) for s in SIZES),
                        type=lambda s: [int(x) for x in s.split(",")], help="file sizes in rows")
    parser.add_argument("--kinds", default=",".join(imports.KINDS), type=lambda s: s.split(","))
    parser.add_argument("--backends", default="sqlite,postgresql", type=lambda s: s.split(","))
    parser.add_argument("--database-url", default=DEFAULT_POSTGRES,
                        help="PostgreSQL: a scratch database is created beside it and dropped")
    parser.add_argument("--web", action="store_true", help="also time the upload and apply POSTs")
    parser.add_argument("--no-memory", dest="memory", action="store_false",
                        help="skip the untimed tracemalloc run (peak MB)")
    parser.add_argument("--profile", help="KIND:ROWS: print a cProfile of that case's steps")
    args = parser.parse_args()
    if args.database_url.startswith("postgresql://"):
        args.database_url = "postgresql+psycopg://" + args.database_url[len("postgresql://"):]
    print(f"bench_import: {', '.join(args.kinds)} at {', '.join(f'{r:,}' for r in args.rows)} rows; "
          f"upload limit {MAX_BYTES:,} bytes; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends:
            if backend == "sqlite":
                bench_backend(f"sqlite:///{tmp}/bench.db", args)
            elif not postgres_reachable(args.database_url):
                print(f"\npostgresql: skipped, nothing reachable at {args.database_url}")
            else:
                url = scratch_postgres(args.database_url)
                try:
                    bench_backend(url, args)
                finally:
                    drop_postgres(args.database_url, url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
