"""Figures for the coordinators' work (issue 20): a bulk action over 500 requests in its one
transaction (triage, one message to each town, set the owner; and a refusal on the last
row, which rolls all 500 back), and the work queue on the coordinator's home.

The app runs on a throw-away SQLite database (or ``BENCH_DATABASE_URL``: an empty
PostgreSQL database), migrated, with the gazetteer, the demo network and 500 new requests
from 500 towns. Each figure is the median of ``BENCH_RUNS`` runs (5), each run on fresh
rows. Usage: ``.venv/bin/python bench/bench_bulk.py``.
"""

from __future__ import annotations

import hashlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TMP = tempfile.TemporaryDirectory()
os.environ["QUEUE_URL"] = "memory:"  # notices are written, not mailed

import flask_migrate  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Municipality, SupportRequest, User  # noqa: E402
from app.services.bulk import bulk_apply  # noqa: E402
from app.services.demo import seed_demo  # noqa: E402
from app.services.geography import load_gazetteer  # noqa: E402
from app.services.topics import sync_topics  # noqa: E402
from app.services.work_queue import work_queue  # noqa: E402
from evangelists.calendar import today_in_japan  # noqa: E402

ROWS = 500
RUNS = int(os.environ.get("BENCH_RUNS", "5"))


def fresh_requests(towns: list[Municipality], run: int) -> list[int]:
    rows = [SupportRequest(municipality=town, contact_name="担当 太郎", department="情報政策課",
                           email=f"bench{run}-{n}@example.jp", preferred_mode="either",
                           token_hash=hashlib.sha256(f"bench-{run}-{n}".encode()).hexdigest(), status="new")
            for n, town in enumerate(towns)]
    db.session.add_all(rows)
    db.session.commit()
    return [r.id for r in rows]


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{TMP.name}/bench.db")
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        flask_migrate.upgrade()
        load_gazetteer()
        sync_topics()
        seed_demo(evangelists=300, communities=60, requests=200, seed=1)
        me = db.session.scalar(sa.select(User).where(User.email == "coordinator@example.jp"))
        towns = list(db.session.scalars(sa.select(Municipality).order_by(Municipality.code).limit(ROWS)))
        timings: dict[str, list[float]] = {}
        for run in range(RUNS):
            ids = fresh_requests(towns, run)
            closed = fresh_requests(towns[:1], RUNS + run)[0]
            db.session.execute(sa.update(SupportRequest).where(SupportRequest.id == closed)
                               .values(status="withdrawn"))
            db.session.commit()
            for name, action, kw, chosen in (
                ("refused on row 501, all rolled back", "triage", {}, [*ids, closed]),
                ("triage", "triage", {}, ids),
                ("one message to each town", "message", {"body": "年末年始のお知らせです。"}, ids),
                ("set the owner (to nobody)", "owner", {"owner_id": None}, ids),
            ):
                started = time.perf_counter()
                result = bulk_apply(me, chosen, action, nonce=f"bench-{run}-{action}-{len(chosen)}", **kw)
                timings.setdefault(name, []).append(time.perf_counter() - started)
                assert result.applied == (len(chosen) == ROWS), name
        with app.test_request_context():
            today = today_in_japan()
            for scope, mine in (("work queue, mine and nobody's", True), ("work queue, everyone's", False)):
                for _ in range(RUNS):
                    started = time.perf_counter()
                    work_queue(me, mine=mine, today=today)
                    timings.setdefault(scope, []).append(time.perf_counter() - started)
        dialect = db.engine.dialect.name
    print(f"{dialect}, {ROWS} requests per bulk action, median of {RUNS} runs")
    for name, values in timings.items():
        print(f"  {name:<40} {statistics.median(values) * 1000:8.0f} ms")


if __name__ == "__main__":
    main()
