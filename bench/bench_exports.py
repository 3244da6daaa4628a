"""Figures for the CSV exports: every export, in both formats, through the web route.

Runs against an existing database (``--database-url``, e.g. a copy of the 30x data set:
``sqlite:////tmp/me-30x.sqlite3``; never the original, the route may write export jobs),
signed in as the demo coordinator, page cache off and the background threshold off (so
every export streams). For each: median and p95 wall time of ``--repeat`` requests after
two warm-ups, the median CPU time of this process (on a machine shared with other work the
CPU time says more than the wall time), the body's size, its rows (one COUNT), rows per
second of wall time and of CPU time, and the SQL statements per request (the same for
every request, and the same at any data size: a test holds it).

Usage: ``.venv/bin/python bench/bench_exports.py --database-url URL [--repeat 20] [--kinds visits,outcomes]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.services import exports  # noqa: E402
from app.services.demo import DEMO_PASSWORD  # noqa: E402

COORDINATOR = "coordinator@example.jp"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--kinds", default=",".join(exports.KINDS))
    args = parser.parse_args()
    kinds = args.kinds.split(",")

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=args.database_url, PAGE_CACHE_BYTES=0,
                     EXPORT_BACKGROUND_ROWS=0)
    client = app.test_client()
    response = client.post("/auth/login", data={"email": COORDINATOR, "password": DEMO_PASSWORD})
    if response.status_code != 302 or "/auth/" in response.headers.get("Location", ""):
        raise SystemExit(f"coordinator sign-in failed: {response.status_code}")
    statements = [0]

    def count(*_args) -> None:
        statements[0] += 1

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
        rows_of = {kind: exports.count_rows(kind, {}) for kind in kinds}
        db.session.remove()

    print(f"{'export':24} {'rows':>7} {'median':>8} {'p95':>8} {'CPU':>8} {'size':>8} "
          f"{'rows/s':>8} {'rows/s CPU':>10} {'SQL':>4}")
    for style in ("labels", "codes"):
        for kind in kinds:
            path = f"/coordinator/data/export/{kind}.csv" + ("?format=codes" if style == "codes" else "")
            for _ in range(2):
                client.get(path).get_data()
            walls, cpus, counts, size = [], [], set(), 0
            for _ in range(args.repeat):
                statements[0] = 0
                wall, cpu = time.perf_counter(), time.process_time()
                size = len(client.get(path).get_data())
                walls.append(time.perf_counter() - wall)
                cpus.append(time.process_time() - cpu)
                counts.add(statements[0])
            median, cpu = statistics.median(walls), statistics.median(cpus)
            p95 = statistics.quantiles(walls, n=20)[-1] if len(walls) > 1 else median
            rows = rows_of[kind]
            print(f"{kind + ' ' + style:24} {rows:7,} {median * 1000:6.0f}ms {p95 * 1000:6.0f}ms "
                  f"{cpu * 1000:6.0f}ms {size / 1e6:6.2f}MB {rows / median:8,.0f} {rows / cpu:10,.0f} "
                  f"{'/'.join(map(str, sorted(counts))):>4}", flush=True)
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()
