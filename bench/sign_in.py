"""Figures for signing in: the argon2id cost and a full password sign-in request.

In process through Flask's test client against a throw-away SQLite file. Prints a table
that the README quotes. Usage: ``.venv/bin/python bench/sign_in.py``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.services.accounts import add_user, hash_password, verify_password  # noqa: E402
from config import real_password_hashing  # noqa: E402

REPEAT = 30
PASSWORD = "a long and quiet morning walk"


def median_ms(fn) -> float:
    samples = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/bench.db",
                         LOGIN_LIMIT_PER_ACCOUNT="10000 per minute", LOGIN_LIMIT_PER_ADDRESS="10000 per minute",
                         **real_password_hashing())  # the test configuration's are cheap
        with app.app_context():
            flask_migrate.upgrade()
            add_user("bench@example.jp", "Bench", "evangelist", PASSWORD)
            db.session.commit()
            hashed = hash_password(PASSWORD)
            client = app.test_client()

            def sign_in():
                client.post("/auth/login", data={"email": "bench@example.jp", "password": PASSWORD})
                client.post("/auth/logout")

            rows = [
                ("argon2id hash (argon2-cffi defaults)", median_ms(lambda: hash_password(PASSWORD))),
                ("argon2id verify", median_ms(lambda: verify_password(hashed, PASSWORD))),
                ("POST /auth/login, unknown e-mail", median_ms(lambda: client.post(
                    "/auth/login", data={"email": "nobody@example.jp", "password": PASSWORD}))),
                ("POST /auth/login + /auth/logout, right password", median_ms(sign_in)),
            ]
            db.engine.dispose()
    for label, ms in rows:
        print(f"{label:<50} median {ms:.0f} ms ({REPEAT} runs)")


if __name__ == "__main__":
    main()
