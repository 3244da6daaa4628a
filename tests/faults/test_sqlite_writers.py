"""The embedded SQLite under concurrent writers: several gunicorn workers, many town halls
sending the public form at the same moment. Nothing is lost, nobody sees an error, and
no "database is locked" reaches anyone (FIELD-NOTES "Databases": WAL, busy_timeout)."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

from tests.faults.conftest import Browser, prepared_database

CLIENTS = 12
EACH = 6  # requests per client; the form allows 10 per hour per address


def municipality_codes(path, count: int) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT m.code, p.code FROM municipalities m JOIN prefectures p ON p.id = m.prefecture_id "
            "ORDER BY m.code LIMIT ?", (count,)
        ).fetchall()
    finally:
        conn.close()
    return rows


def send_requests(server_url: str, client: int, towns: list[tuple[str, str]]) -> list[tuple[int, str]]:
    """One town hall's browser: for each town, open the form and send it."""
    browser = Browser(server_url, f"198.51.100.{client + 1}")
    answers = []
    for number, (code, prefecture) in enumerate(towns):
        status, _headers, page = browser.request("GET", "/request")
        assert status == 200, page[:300]
        status, headers, page = browser.request("POST", "/request", [
            ("csrf_token", Browser.hidden(page, "csrf_token")),
            ("nonce", Browser.hidden(page, "nonce")),
            ("prefecture", prefecture),
            ("municipality", code),
            ("contact_name", f"担当 {client}-{number}"),
            ("department", "企画課"),
            ("email", f"town{client}-{number}@example.lg.jp"),
            ("topics", "open_data_publication"),
            ("topics", "licensing"),
            ("mode", "either"),
            ("message", "同時送信の確認"),
        ])
        answers.append((status, headers.get("Location", "") + page[:300]))
        # The confirmation page and the status link work straight away, on any worker.
        status, _headers, page = browser.request("GET", "/request/sent")
        answers.append((status, page[:300]))
    return answers


def test_concurrent_public_requests_on_sqlite_lose_nothing(tmp_path, gunicorn_server):
    path = tmp_path / "shared.db"
    prepared_database(f"sqlite:///{path}")
    server = gunicorn_server(f"sqlite:///{path}", workers=4)
    towns = municipality_codes(path, CLIENTS * EACH)
    start = threading.Barrier(CLIENTS)

    def client(number: int):
        start.wait()
        return send_requests(server.url, number, towns[number * EACH:(number + 1) * EACH])

    with ThreadPoolExecutor(CLIENTS) as pool:
        results = [answer for answers in pool.map(client, range(CLIENTS)) for answer in answers]
    log = server.stop()

    posts, confirmations = results[0::2], results[1::2]
    assert [s for s, _ in posts] == [302] * len(posts), [r for r in posts if r[0] != 302][:3]
    assert all("/request/sent" in detail for _, detail in posts)
    assert [s for s, _ in confirmations] == [200] * len(confirmations)
    conn = sqlite3.connect(path)
    try:
        saved = conn.execute("SELECT COUNT(*), COUNT(DISTINCT municipality_id) FROM support_requests").fetchone()
        topics = conn.execute("SELECT COUNT(*) FROM request_topics").fetchone()[0]
        audited = conn.execute("SELECT COUNT(*) FROM audit_events WHERE action = 'request.submitted'").fetchone()[0]
    finally:
        conn.close()
    assert saved == (CLIENTS * EACH, CLIENTS * EACH)
    assert topics == 2 * CLIENTS * EACH
    assert audited == CLIENTS * EACH
    assert "database is locked" not in log
    assert '"status": 5' not in log  # no 5xx in the request log
    # Each request was logged once, with its id, by the worker that served it.
    assert log.count('"route": "/request", "path": "/request", "status": 302') == CLIENTS * EACH
