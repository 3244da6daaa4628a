"""Figures for the foundation: gazetteer load, demo seed, and the public pages.

Runs against a throw-away SQLite file (or ``BENCH_DATABASE_URL``), in process, through
Flask's test client, so it measures the app and the database, not the network. Prints a
table; the README quotes it. Usage: ``make bench`` or ``.venv/bin/python bench/foundation.py``.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.services.demo import seed_demo  # noqa: E402
from app.services.geography import load_gazetteer  # noqa: E402
from app.services.topics import sync_topics  # noqa: E402

REPEAT = 200


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{tmp}/bench.db")
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
        with app.app_context():
            flask_migrate.upgrade()
            rows = [
                ("gazetteer load, empty database", f"{timed(load_gazetteer) * 1000:.0f} ms"),
                ("gazetteer load, nothing to change", f"{timed(load_gazetteer) * 1000:.0f} ms"),
            ]
            sync_topics()
            rows.append(
                (
                    "demo seed 300/60/200",
                    f"{timed(lambda: seed_demo(evangelists=300, communities=60, requests=200, seed=7)) * 1000:.0f} ms",
                )
            )
            client = app.test_client()
            for label, path in [
                ("GET /healthz", "/healthz"),
                ("GET /", "/"),
                ("GET /municipalities (page 1 of 35)", "/municipalities"),
                ("GET /municipalities?q=さっぽろ", "/municipalities?q=さっぽろ"),
                ("GET /municipalities?q=011002", "/municipalities?q=011002"),
                ("GET /municipalities?prefecture=13&page=2", "/municipalities?prefecture=13&page=2"),
                ("GET /municipalities/011002", "/municipalities/011002"),
                ("GET /request?prefecture=01 (form, 179 towns)", "/request?prefecture=01"),
            ]:
                client.get(path)  # warm the template cache
                samples = [timed(lambda path=path: client.get(path)) * 1000 for _ in range(REPEAT)]
                samples.sort()
                rows.append(
                    (
                        label,
                        f"median {statistics.median(samples):.1f} ms, "
                        f"p95 {samples[int(len(samples) * 0.95)]:.1f} ms",
                    )
                )
            db.engine.dispose()
    width = max(len(label) for label, _ in rows)
    print(f"{'what':<{width}}  figure ({REPEAT} requests each, in process, {url.split(':')[0]})")
    for label, figure in rows:
        print(f"{label:<{width}}  {figure}")


if __name__ == "__main__":
    main()
