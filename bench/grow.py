"""Data sets for measuring scale: the demo network grown to k times its size.

``grow(k)`` seeds the demo generator (``app/services/demo.py``, through the models, one
transaction) at k times the demo's people and, from 10x on, the request and visit history
of a programme ten years old, then adds follow-up visits until the visit count is reached.
Deterministic: the same k and seed give the same rows on SQLite and PostgreSQL.

| scale | evangelists | communities | requests | visits | audit events (about) |
|---|---|---|---|---|---|
| 1x (the demo, ``make run``) | 300 | 60 | 200 | ~150 | ~2,300 |
| 10x | 3,000 | 600 | 5,000 | 20,000 | ~60,000 |
| 30x | 9,000 | 1,800 | 15,000 | 60,000 | ~190,000 |

Usage::

    .venv/bin/python bench/grow.py --scale 30                  # instance/bench/scale-30x.sqlite3
    .venv/bin/python bench/grow.py --scale 10 --database postgresql+psycopg://postgres@127.0.0.1/bench

A SQLite file is kept and reused while its recipe (``RECIPE``) is the same; ``--fresh``
builds it again. A PostgreSQL database is emptied (schema ``public`` dropped) and rebuilt.
"""

from __future__ import annotations

import argparse
import logging
import random
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import AuditEvent, Visit  # noqa: E402
from app.models.accounts import User  # noqa: E402
from app.models.workflow import Assignment, SupportRequest, visit_topics  # noqa: E402
from app.services.demo import seed_demo  # noqa: E402
from app.services.geography import load_gazetteer  # noqa: E402
from app.services.topics import sync_topics  # noqa: E402
from evangelists.calendar import PROGRAMME_ZONE as JST  # noqa: E402
from evangelists.calendar import day_in_japan

RECIPE = 1  # bump when what grow() writes changes: kept SQLite files are then rebuilt
SEED = 7
KEEP = ROOT / "instance" / "bench"
FOLLOW_UP_HOUR = clock_time(18, 0)


@dataclass(frozen=True)
class Size:
    evangelists: int
    communities: int
    requests: int
    visits: int  # 0: what the generator makes


def size_of(scale: int) -> Size:
    """The demo at 1x; from 2x on, a programme with the history the issue measures (500
    requests and 2,000 visits per 1x of people)."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    if scale == 1:
        return Size(300, 60, 200, 0)
    return Size(300 * scale, 60 * scale, 500 * scale, 2000 * scale)


def grow(scale: int, *, seed: int = SEED) -> dict[str, int]:
    """Fill the (migrated, empty) database of the current app context; return row counts."""
    load_gazetteer()
    sync_topics()
    size = size_of(scale)
    seed_demo(evangelists=size.evangelists, communities=size.communities, requests=size.requests, seed=seed)
    if size.visits:
        _follow_up_visits(size.visits, random.Random(seed))
    return row_counts()


def row_counts() -> dict[str, int]:
    counted = ("evangelists", "communities", "support_requests", "assignments", "visits", "outcomes",
               "audit_events", "users")
    return {table: db.session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in counted}


def _follow_up_visits(target: int, rng: random.Random) -> None:
    """Add follow-up visits to assignments that already have one, until ``target`` visits
    exist: each a copy of one of the assignment's visits (same mode, people and topics) on
    an earlier day between the request and that visit, with its ``visit.logged`` event."""
    have = db.session.scalar(sa.select(sa.func.count()).select_from(Visit))
    needed = target - have
    if needed <= 0:
        return
    rows = db.session.execute(
        sa.select(Visit.id, Visit.assignment_id, Visit.author_id, Visit.visited_on, Visit.mode,
                  Visit.duration_minutes, Visit.attendee_count, Visit.attendee_departments,
                  Visit.summary, Visit.next_steps, SupportRequest.created_at.label("submitted_at"))
        .join(Assignment, Assignment.id == Visit.assignment_id)
        .join(SupportRequest, SupportRequest.id == Assignment.request_id)
        .order_by(Visit.id)
    ).all()
    templates = [r for r in rows if (r.visited_on - day_in_japan(r.submitted_at)).days > 1]
    if not templates:
        raise ValueError("no visit to follow up: the demo made none with a day before it")
    topics: dict[int, list[int]] = {}
    for visit_id, topic_id in db.session.execute(sa.select(visit_topics.c.visit_id, visit_topics.c.topic_id)):
        topics.setdefault(visit_id, []).append(topic_id)
    authors = {user_id: email for user_id, email in db.session.execute(sa.select(User.id, User.email))}
    next_id = (db.session.scalar(sa.select(sa.func.max(Visit.id))) or 0) + 1
    visits, links, events = [], [], []
    for n in range(needed):
        t = templates[rng.randrange(len(templates))]
        first = day_in_japan(t.submitted_at) + timedelta(days=1)
        day = first + timedelta(days=rng.randrange((t.visited_on - first).days))
        at = datetime.combine(day, FOLLOW_UP_HOUR, JST)
        visit_id = next_id + n
        visits.append({
            "id": visit_id, "assignment_id": t.assignment_id, "author_id": t.author_id, "visited_on": day,
            "mode": t.mode, "duration_minutes": t.duration_minutes, "attendee_count": t.attendee_count,
            "attendee_departments": t.attendee_departments, "summary": t.summary, "next_steps": t.next_steps,
            "created_at": at, "updated_at": at,
        })
        links.extend({"visit_id": visit_id, "topic_id": topic} for topic in topics.get(t.id, ()))
        events.append({
            "created_at": at, "actor_id": t.author_id, "actor_label": authors.get(t.author_id, "system"),
            "action": "visit.logged", "entity_type": "visit", "entity_id": visit_id, "before": None,
            "after": {"assignment": t.assignment_id, "outcomes": []}, "client_address": None,
        })
    for table, rows in ((Visit, visits), (visit_topics, links), (AuditEvent, events)):
        for chunk in range(0, len(rows), 5000):
            db.session.execute(sa.insert(table), rows[chunk:chunk + 5000])
    if db.engine.dialect.name == "postgresql":  # ids were given: move the sequence past them
        db.session.execute(sa.text("SELECT setval(pg_get_serial_sequence('visits', 'id'), "
                                   "(SELECT max(id) FROM visits))"))
    db.session.commit()


def sqlite_file(scale: int, *, seed: int = SEED, fresh: bool = False) -> Path:
    """The kept SQLite file for ``scale`` (built when missing, stale or ``fresh``)."""
    KEEP.mkdir(parents=True, exist_ok=True)
    path = KEEP / f"scale-{scale}x-seed{seed}-r{RECIPE}.sqlite3"
    if path.exists() and not fresh:
        _upgrade(f"sqlite:///{path}")  # a migration added since (an index) applies to the kept file
        return path
    building = path.with_suffix(".building")
    building.unlink(missing_ok=True)
    build(f"sqlite:///{building}", scale, seed=seed)
    shutil.move(building, path)
    return path


def _upgrade(url: str) -> None:
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, PAGE_CACHE_BYTES=0)
    with app.app_context():
        logging.getLogger("alembic").setLevel(logging.WARNING)
        flask_migrate.upgrade()
        db.engine.dispose()


def build(url: str, scale: int, *, seed: int = SEED) -> tuple[dict[str, int], float]:
    """Empty the database at ``url``, migrate it and grow it; (row counts, seconds)."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, PAGE_CACHE_BYTES=0)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        logging.getLogger("alembic").setLevel(logging.WARNING)
        flask_migrate.upgrade()
        started = time.perf_counter()
        counts = grow(scale, seed=seed)
        if db.engine.dialect.name == "postgresql":
            # The planner's statistics, as autovacuum gathers them after a load this size in
            # production: without them it guesses (the visit export took 1.6 s, not 1.0 s).
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("ANALYZE")
        seconds = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    return counts, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=10, help="k times the demo (1, 10, 30…)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--database", help="a database URL to fill (default: a kept SQLite file)")
    parser.add_argument("--fresh", action="store_true", help="rebuild the kept SQLite file")
    args = parser.parse_args()
    if args.scale < 1:
        parser.error(f"--scale must be 1 or more, not {args.scale}")
    started = time.perf_counter()
    if args.database:
        counts, _ = build(args.database, args.scale, seed=args.seed)
        where = args.database
    else:
        path = sqlite_file(args.scale, seed=args.seed, fresh=args.fresh)
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", PAGE_CACHE_BYTES=0)
        with app.app_context():
            counts = row_counts()
            db.engine.dispose()
        where = str(path)
    print(f"{args.scale}x in {time.perf_counter() - started:.1f} s: {where}")
    for table, count in counts.items():
        print(f"  {table:<18} {count:>8,}")


if __name__ == "__main__":
    main()
