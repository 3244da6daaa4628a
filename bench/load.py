"""Load: gunicorn on loopback driven by wrk, route by route and then all routes at once.

Builds a throw-away SQLite file in a temp dir the way a new server is set up (``flask db
upgrade``, ``flask geo load``, ``flask topics load``, run as commands), adds the demo
network at the size of the other benches (1,741 municipalities, 1,000 evangelists, 100
communities, 300 requests, plus the demo's two years of past work), gives the demo
coordinator an authenticator, and starts gunicorn on 127.0.0.1 with the production
configuration (``wsgi:app``; only ``SESSION_COOKIE_SECURE=0``, since loopback is plain
HTTP). With a ``gunicorn.conf.py`` at the repository root the server runs with it, so the
figures are those of the real configuration (workers, preload, worker recycling); without
one, ``--workers`` (default: the CPU count) and ``--preload`` are given on the command
line. The request log stays as production has it (on, JSON lines, here to a file);
``--log-cost`` also measures what it costs.

The coordinator signs in through the real forms (password, then a TOTP code) and wrk sends
that session cookie. Every route is fetched once and checked first (its status, and that a
staff page is not the sign-in form), then measured:

* alone: a warm-up, then ``--duration`` seconds with ``--connections`` connections, giving
  requests per second, p50 and p99. Each route runs between two runs of the trivial route
  on the same server, and its share is of their mean rate, so a shared machine that gets
  busier or quieter during the run moves both sides of the ratio;
* all at once: one wrk per route, started together, each with its route's few connections
  (``Route.mix``), so each route has its own p50 and p99 while the others load the server;
* all at once again while the coordinator replies to a request through the real form
  every ``--write-every`` seconds (default 1). Pages are kept until a transaction writes
  (app/page_cache.py), so without writes the runs above mostly measure pages served from
  memory; here every worker renders every page again after each reply. The issue sets no
  target for this run: its p99 is printed against 250 ms for information, and only errors
  fail it.

The workers' resident memory is printed after the first requests and at the end: workers
are not recycled (gunicorn.conf.py), so that is where a leak would show.

The trivial route goes through the whole app (request id and log, locale, session, login
manager, security headers) but touches no database and renders no template:
``/request/sent`` without a request sent, a redirect to the form. Two more rows are for
reference: ``/healthz`` (the same plus ``SELECT 1``) and the page layout alone
(``/request/thanks``: navigation, footer, a paragraph, no database), the most any page
can reach.

Targets (issue 9): list and detail pages at least 25 % of the trivial route's rate, the
public form and the map pages at least 40 %; every route without errors (a status other
than the expected one counts, as do socket errors and timeouts) and with p99 under
250 ms, alone and all at once. Exit status 1 when a target is missed.

wrk is required (``apt-get install -y wrk``): a load generator written in Python takes
more CPU than the cheap routes it drives on a 2-core machine, which lowers the trivial
route's rate most and so makes every share look better than it is. So is Redis (the
workers share their rate-limit counters there; ``RATELIMIT_STORAGE_URI`` overrides
``redis://127.0.0.1:6379/0``): production refuses several workers on ``memory://``.

At scale (issue 19), ``--scale 10`` serves ``bench/grow.py``'s data set (3,000 evangelists,
5,000 requests, 20,000 visits) instead, on SQLite or, with ``--database URL``, PostgreSQL:
every staff list must then reach 40 % of the trivial route with p99 under 250 ms while the
coordinator's reply commits every ``--write-every`` seconds, alone and all at once.

Usage: ``.venv/bin/python bench/load.py [--duration 10] [--connections 8] [--mix-duration 20]
[--write-every 1] [--only NAME] [--log-cost] [--scale K [--database postgresql+psycopg://…]]``;
about five minutes with the defaults.
"""

from __future__ import annotations

import argparse
import hashlib
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEED = 20240601
N_EVANGELISTS = 1_000
N_COMMUNITIES = 100
N_REQUESTS = 300
COORDINATOR = "coordinator@example.jp"  # a demo account, given an authenticator below
STATUS_TOKEN = "load-bench-status-token-" + "0" * 16
USER_AGENT = "evn-load-bench"  # sign-in and wrk send the same one ("strong" session protection)
P99_MAX_MS = 250.0
TRIVIAL = "/request/sent"


@dataclass(frozen=True)
class Route:
    key: str
    path: str
    who: str  # "public" or "coordinator"
    kind: str  # what the target is: "list", "detail", "form", "map", "" (none)
    mix: int  # connections in the mixed run
    status: int = 200
    gzip: bool = False  # sends Accept-Encoding: gzip, as browsers do


TARGETS = {"list": 0.25, "detail": 0.25, "form": 0.40, "map": 0.40}
SCALED_LIST_SHARE = 0.40  # issue 19, with --scale: every staff list, with a write every second


def routes(request_id: int) -> list[Route]:
    return [
        Route("request form", "/request", "public", "form", 2),
        Route("request status", f"/request/status/{STATUS_TOKEN}", "public", "detail", 1),
        Route("municipality list", "/municipalities", "public", "list", 2),
        Route("municipality page", "/municipalities/011002", "public", "detail", 2),
        Route("network (public map)", "/network", "public", "map", 1),
        Route("map data (GeoJSON)", "/api/v1/municipalities", "public", "", 1, gzip=True),
        Route("map (coordinator)", "/map", "coordinator", "map", 1),
        Route("request queue", "/coordinator/requests", "coordinator", "list", 1),
        Route("request page", f"/coordinator/requests/{request_id}", "coordinator", "detail", 1),
        Route("communities", "/coordinator/communities", "coordinator", "list", 1),
        Route("recruitment board", "/coordinator/recruitment", "coordinator", "list", 1),
        Route("dashboard", "/coordinator/reports", "coordinator", "", 1),
    ]


# --- the database ---------------------------------------------------------------------


def server_env(database_url: str, secret_key: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "APP_", "GUNICORN_"))}
    env.update(
        FLASK_APP="wsgi", APP_CONFIG="production", SECRET_KEY=secret_key, DATABASE_URL=database_url,
        # Production needs its own key for the authenticator secrets; one per run will do.
        TOTP_ENCRYPTION_KEYS=hashlib.sha256(f"totp:{secret_key}".encode()).hexdigest(),
        SESSION_COOKIE_SECURE="0", PYTHONUNBUFFERED="1",
        # Several workers need shared rate-limit counters: production refuses memory://.
        RATELIMIT_STORAGE_URI=os.environ.get("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0"), **extra,
    )
    for name in ("REQUEST_LOG", "LOG_FORMAT", "LOG_LEVEL", "WEB_CONCURRENCY"):
        if name not in extra:
            env.pop(name, None)  # production's own defaults, whatever this shell says
    return env


def build_database(env: dict[str, str], scale: int | None = None) -> dict:
    """Migrate and load reference data with the real commands, then add the demo network
    in process; returns what the routes need (a request id and the TOTP secret). With
    ``scale``, the network is ``bench/grow.py``'s at that scale instead: a copy of its kept
    SQLite file, or grown in the PostgreSQL database of ``DATABASE_URL``."""
    if scale is not None:
        from bench.grow import build, sqlite_file

        url = env["DATABASE_URL"]
        if url.startswith("sqlite:///"):
            shutil.copyfile(sqlite_file(scale), url.removeprefix("sqlite:///"))
        else:
            build(url, scale)
    else:
        flask = str(Path(sys.executable).with_name("flask"))
        for args in (["db", "upgrade"], ["geo", "load"], ["topics", "load"]):
            done = subprocess.run([flask, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")

    import sqlalchemy as sa

    from app import create_app
    from app.extensions import db
    from app.models import SupportRequest, User
    from app.services.accounts import new_totp_secret, set_totp_secret
    from app.services.demo import seed_demo
    from app.services.requests import hash_token
    from config import real_password_hashing

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=env["DATABASE_URL"],
                     TOTP_ENCRYPTION_KEYS=env["TOTP_ENCRYPTION_KEYS"],
                     **real_password_hashing())  # as the served app hashes, not the tests' cheap way
    with app.app_context():
        if scale is None:
            active = seed_demo(evangelists=N_EVANGELISTS, communities=N_COMMUNITIES, requests=N_REQUESTS,
                               seed=SEED).open_data_active
        else:
            active = db.session.scalar(sa.text(
                "SELECT count(*) FROM municipalities WHERE open_data_status = 'active'"))
        # The open request that costs most to show: a new one, with suggestions and their map.
        request = db.session.scalars(
            sa.select(SupportRequest).where(SupportRequest.status == "new").order_by(SupportRequest.id)
        ).first()
        request.token_hash = hash_token(STATUS_TOKEN)
        coordinator = db.session.scalar(sa.select(User).where(User.email == COORDINATOR))
        secret = new_totp_secret()
        set_totp_secret(coordinator, secret)
        db.session.commit()
        counts = db.session.execute(sa.text(
            "SELECT (SELECT count(*) FROM municipalities), (SELECT count(*) FROM evangelists),"
            " (SELECT count(*) FROM communities), (SELECT count(*) FROM support_requests),"
            " (SELECT count(*) FROM visits)"
        )).one()
        request_id = request.id
        db.engine.dispose()
    return {"request_id": request_id, "totp_secret": secret, "counts": counts, "active": active}


# --- the server -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving wsgi:app on 127.0.0.1, its output in a log file."""

    def __init__(self, env: dict[str, str], log: Path, workers: int | None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        config = ROOT / "gunicorn.conf.py"
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        cmd = [gunicorn, "--bind", f"127.0.0.1:{self.port}"]
        if config.exists():
            cmd += ["-c", str(config)]
            self.how = "gunicorn -c gunicorn.conf.py"
        else:
            cmd += ["--preload"]
            self.how = "gunicorn --preload (no gunicorn.conf.py)"
            workers = workers or os.cpu_count() or 2
        if workers:
            cmd += ["--workers", str(workers)]
        cmd.append("wsgi:app")
        self.out = open(log, "ab")
        env = {"PUBLIC_BASE_URL": self.base, **env}  # production needs its public address
        self.process = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=self.out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=1).read()
                break
            except (urllib.error.URLError, OSError) as error:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise SystemExit(f"gunicorn did not start; its output:\n{log.read_text()[-3000:]}") from error
                time.sleep(0.2)

    def worker_pids(self) -> list[int]:
        try:
            out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)],
                                 capture_output=True, text=True, check=True).stdout
            return sorted(int(pid) for pid in out.split())
        except (OSError, subprocess.CalledProcessError):
            return []

    def count_workers(self) -> int:
        return len(self.worker_pids())

    def worker_memory(self) -> dict[int, int]:
        """Resident memory of each worker, in KB, by process id."""
        memory = {}
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
            if found:
                memory[pid] = int(found.group(1))
        return memory

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.out.close()


# --- signing in -----------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    if not found:
        raise SystemExit("no csrf_token on the sign-in form")
    return found.group(1)


def sign_in(base: str, secret: str) -> str:
    """Sign the coordinator in through the forms (password, then the TOTP code); the
    session cookie as a Cookie header value."""
    import pyotp

    from app.services.demo import DEMO_PASSWORD

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    opener.addheaders = [("User-Agent", USER_AGENT)]

    def get(path):
        url = path if path.startswith("http") else base + path
        return opener.open(url, timeout=10).read().decode()

    def post(path, fields) -> str:
        data = urllib.parse.urlencode(fields).encode()
        try:
            response = opener.open(base + path, data=data, timeout=10)
        except urllib.error.HTTPError as answer:  # the 302 we asked not to follow
            if answer.code != 302:
                raise SystemExit(f"POST {path} answered {answer.code}") from None
            return answer.headers["Location"]
        raise SystemExit(f"POST {path} answered {response.status}, not a redirect")

    target = post("/auth/login", {"csrf_token": _csrf(get("/auth/login")), "email": COORDINATOR,
                                  "password": DEMO_PASSWORD})
    if not target.endswith("/auth/two-factor"):
        raise SystemExit(f"sign-in went to {target!r}, not the second factor")
    target = post("/auth/two-factor", {"csrf_token": _csrf(get("/auth/two-factor")),
                                       "code": pyotp.TOTP(secret).now()})
    if "/auth/" in target:
        raise SystemExit(f"second factor went to {target!r}")
    # Signing in starts a new session, without the CSRF secret; the first page puts one in
    # and the browser keeps that cookie. Without this step every measured request would
    # make a new secret and send a new cookie, which no browser would cause.
    get(target)
    return "; ".join(f"{c.name}={c.value}" for c in jar if c.name == "session")


def check(base: str, route: Route, cookie: str) -> int:
    """Fetch once: the expected status, a real page (not the sign-in form); the body size."""
    headers = {"User-Agent": USER_AGENT, **({"Cookie": cookie} if route.who == "coordinator" else {}),
               **({"Accept-Encoding": "gzip"} if route.gzip else {})}
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        response = opener.open(urllib.request.Request(base + route.path, headers=headers), timeout=30)
        status, body = response.status, response.read()
    except urllib.error.HTTPError as answer:
        status, body = answer.code, answer.read()
    if status != route.status or b'name="password"' in body:
        raise SystemExit(f"{route.path} answered {status} (expected {route.status}) or showed the sign-in form")
    return len(body)


# --- wrk ------------------------------------------------------------------------------

# Counts answers whose status is not the expected one (wrk itself counts only >= 400, so
# a redirect to the sign-in page would pass) and prints the figures as one JSON line.
WRK_SCRIPT = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) expected = tonumber(args[1]); unexpected = 0; seen = 0 end
function response(status, headers, body)
  if status ~= expected then unexpected = unexpected + 1; seen = status end
end
function done(summary, latency, requests)
  local unexpected, seen = 0, 0
  for _, t in ipairs(threads) do
    unexpected = unexpected + t:get("unexpected")
    if t:get("seen") ~= 0 then seen = t:get("seen") end
  end
  local e = summary.errors
  io.write(string.format(
    'WRK-JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,'
    .. '"status":%d,"timeout":%d,"unexpected":%d,"seen":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, unexpected, seen, latency:percentile(50), latency:percentile(99), latency.max))
end
"""


@dataclass(frozen=True)
class Figures:
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    requests: int
    errors: int
    detail: str  # what the errors were

    @property
    def ok_latency(self) -> bool:
        return self.p99_ms < P99_MAX_MS


def wrk_command(wrk: str, script: Path, base: str, route: Route, cookie: str, connections: int,
                seconds: float) -> list[str]:
    cmd = [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "5s", "-s", str(script),
           "-H", f"User-Agent: {USER_AGENT}"]
    if route.who == "coordinator":
        cmd += ["-H", f"Cookie: {cookie}"]
    if route.gzip:
        cmd += ["-H", "Accept-Encoding: gzip"]
    return [*cmd, base + route.path, "--", str(route.status)]


def parse_wrk(output: str) -> Figures:
    line = next((ln for ln in output.splitlines() if ln.startswith("WRK-JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no figures:\n{output}")
    r = json.loads(line[len("WRK-JSON "):])
    socket_errors = r["connect"] + r["read"] + r["write"] + r["timeout"]
    errors = socket_errors + max(r["status"], r["unexpected"])
    parts = [f"{r[k]} {k}" for k in ("connect", "read", "write", "timeout") if r[k]]
    if r["unexpected"]:
        parts.append(f"{r['unexpected']} unexpected status (e.g. {r['seen']})")
    return Figures(r["requests"] / (r["duration_us"] / 1e6), r["p50_us"] / 1000, r["p99_us"] / 1000,
                   r["max_us"] / 1000, r["requests"], errors, ", ".join(parts))


def run_wrk(cmd: list[str]) -> Figures:
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse_wrk(done.stdout)


def run_together(cmds: list[list[str]]) -> list[Figures]:
    processes = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in cmds]
    outputs = [p.communicate() for p in processes]
    for p, (out, err) in zip(processes, outputs, strict=True):
        if p.returncode != 0:
            raise SystemExit(f"wrk failed ({p.returncode}): {err or out}")
    return [parse_wrk(out) for out, _err in outputs]


# --- the report -----------------------------------------------------------------------


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def row(label: str, f: Figures, share: str, target: str) -> str:
    errors = f"{f.errors}" + (f" ({f.detail})" if f.detail else "")
    return f"{label:<24} {f.rps:>8,.0f} {f.p50_ms:>7.1f} {f.p99_ms:>7.1f} {share:>8} {target:<20} {errors}"


def header(title: str, share: str = "% triv.") -> str:
    return (f"\n{title}\n{'route':<24} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {share:>8} "
            f"{'target':<20} errors")


class Bench:
    """wrk against one server: a warm-up, then the measured run."""

    def __init__(self, wrk: str, script: Path, base: str, cookie: str, args):
        self.wrk, self.script, self.base, self.cookie, self.args = wrk, script, base, cookie, args

    def command(self, route: Route, connections: int, seconds: float) -> list[str]:
        return wrk_command(self.wrk, self.script, self.base, route, self.cookie, connections, seconds)

    def alone(self, route: Route, seconds: float | None = None, warmup: bool = True) -> Figures:
        if warmup and self.args.warmup > 0:
            run_wrk(self.command(route, 4, self.args.warmup))
        return run_wrk(self.command(route, self.args.connections, seconds or self.args.duration))


TRIVIAL_ROUTE = Route("trivial", TRIVIAL, "public", "", 0, status=302)
HEALTHZ_ROUTE = Route("/healthz (SELECT 1)", "/healthz", "public", "", 0)
# The page layout alone (navigation, footer, one paragraph; no database): what every page
# costs before it shows anything, so the ceiling of any page's share.
LAYOUT_ROUTE = Route("layout only", "/request/thanks", "public", "", 0)
REFERENCES = (HEALTHZ_ROUTE, LAYOUT_ROUTE)


def each_alone(bench: Bench, chosen: list[Route], sizes: dict[str, int], failures: list[str],
               targets: dict[str, float] = TARGETS, note: str = "") -> None:
    """Every route alone, each between two runs of the trivial route: its share is of
    their mean, so a machine that gets busier or quieter during the run (other work on a
    shared machine) moves both sides."""
    trivial_seconds = max(bench.args.duration / 2, 2)
    trivial = [bench.alone(TRIVIAL_ROUTE, trivial_seconds)]
    measured = []
    for route in [*REFERENCES, *chosen]:
        figures = bench.alone(route)
        trivial.append(bench.alone(TRIVIAL_ROUTE, trivial_seconds, warmup=False))
        measured.append((route, figures, (trivial[-2].rps + trivial[-1].rps) / 2))

    rates = sorted(t.rps for t in trivial)
    median = rates[len(rates) // 2]
    p50s = sorted(t.p50_ms for t in trivial)
    print(header("each route alone; % is of the trivial route's rate just before and after it" + note))
    print(f"{'trivial ' + TRIVIAL:<24} {median:>8,.0f} {p50s[len(p50s) // 2]:>7.1f} "
          f"{max(t.p99_ms for t in trivial):>7.1f} {'100 %':>8} {'(reference)':<20} "
          f"{sum(t.errors for t in trivial)}  [{len(trivial)} runs: median; {rates[0]:,.0f}–{rates[-1]:,.0f} "
          "req/s; worst p99]")
    for route, f, base in measured:
        share = f.rps / base
        goal = targets.get(route.kind)
        ok = f.errors == 0 and f.ok_latency and (goal is None or share >= goal)
        if route in REFERENCES:
            target = "(reference)"
            if f.errors:
                failures.append(f"{route.key}: {f.errors} errors ({f.detail})")
        else:
            target = (f">= {goal:.0%} {route.kind}" if goal else "p99 and errors") + f" {verdict(ok)}"
            if not ok:
                failures.append(f"{route.key} alone: {share:.0%} of trivial, p99 {f.p99_ms:.0f} ms, "
                                f"{f.errors} errors")
        print(row(route.key, f, f"{share:.0%}", target) + f"  [{sizes.get(route.key, 0) / 1000:,.0f} KB]")
    for t in trivial:
        if t.errors:
            failures.append(f"trivial route: {t.errors} errors ({t.detail})")


def all_at_once(bench: Bench, chosen: list[Route], seconds: float, failures: list[str],
                writer: Writer | None = None, latency_counts: bool = False) -> None:
    """One wrk per route, all started together, each with its few connections (``Route.mix``);
    with ``writer``, a coordinator's reply committed every so often meanwhile."""
    mixed = [r for r in chosen if r.mix]
    if writer is not None:
        writer.start()
    try:
        together = run_together([bench.command(r, r.mix, seconds) for r in mixed])
    finally:
        if writer is not None:
            writer.finish()
    total = sum(f.rps for f in together)
    title = f"all at once: {sum(r.mix for r in mixed)} connections (one wrk per route), {seconds:g} s"
    if writer is not None:
        title += f", {writer.describe()}"
    print(header(title + "; % is the route's share of all requests", "% share"))
    for route, f in zip(mixed, together, strict=True):
        if writer is None:
            ok = f.errors == 0 and f.ok_latency
            print(row(route.key, f, f"{f.rps / total:.0%}", f"p99 and errors {verdict(ok)}"))
            if not ok:
                failures.append(f"{route.key} mixed: p99 {f.p99_ms:.0f} ms, {f.errors} errors")
        else:
            # Measured, not a target (issue 9 sets none for writes), but errors still fail;
            # at scale (issue 19) the p99 counts too.
            ok = f.errors == 0 and (f.ok_latency or not latency_counts)
            note = f"errors {verdict(ok)}" + ("" if f.ok_latency else f"; p99 over {P99_MAX_MS:.0f}")
            print(row(route.key, f, f"{f.rps / total:.0%}", note))
            if not ok:
                failures.append(f"{route.key} mixed with writes: p99 {f.p99_ms:.0f} ms, {f.errors} errors")
    print(f"{'total':<24} {total:>8,.0f}")
    if writer is not None and writer.errors:
        failures.append(f"writes: {writer.errors} of {writer.sent} failed ({writer.detail})")


class Writer(threading.Thread):
    """A coordinator replying to a support request through the real form every
    ``interval`` seconds. Each reply is a committed write, after which every page any
    worker kept is stale (app/page_cache.py): the mixed run with writes measures the
    pages as they are rendered again, not only as they are served from memory."""

    def __init__(self, base: str, cookie: str, request_id: int, interval: float):
        super().__init__(daemon=True)
        self.base, self.cookie, self.interval = base, cookie, interval
        self.path = f"/coordinator/requests/{request_id}"
        self.sent = self.errors = 0
        self.detail = ""
        self.durations: list[float] = []
        self._done = threading.Event()

    def _open(self, path: str, data: bytes | None = None):
        headers = {"User-Agent": USER_AGENT, "Cookie": self.cookie}
        opener = urllib.request.build_opener(_NoRedirect)
        return opener.open(urllib.request.Request(self.base + path, data=data, headers=headers), timeout=10)

    def run(self) -> None:
        page = self._open(self.path)
        token = _csrf(page.read().decode())
        # The page put a new CSRF secret in the session: send the session that holds it.
        for header in page.headers.get_all("Set-Cookie") or []:
            if header.startswith("session="):
                self.cookie = header.split(";", 1)[0]
        while not self._done.wait(self.interval):
            data = urllib.parse.urlencode({"csrf_token": token, "body": f"load bench reply {self.sent + 1}"})
            start = time.perf_counter()
            try:
                self._open(self.path + "/messages", data.encode())
                status = 200
            except urllib.error.HTTPError as answer:
                status = answer.code
            except OSError as error:
                status, self.detail = 0, str(error)
            self.sent += 1
            self.durations.append((time.perf_counter() - start) * 1000)
            if status != 302:
                self.errors += 1
                self.detail = self.detail or f"status {status}"

    def finish(self) -> None:
        self._done.set()
        self.join()

    def describe(self) -> str:
        slowest = max(self.durations, default=0)
        return f"a reply committed every {self.interval:g} s ({self.sent} sent, slowest {slowest:.0f} ms)"


def memory_report(before: dict[int, int], after: dict[int, int]) -> str:
    """Each worker's resident memory after the first requests and at the end: with no
    worker recycling (gunicorn.conf.py), this is where a leak would show."""
    def mb(kb: int) -> str:
        return f"{kb / 1024:.0f}"

    kept = sorted(set(before) & set(after))
    line = ("workers' memory (MB, after the first requests -> at the end): "
            + ", ".join(f"{mb(before[p])} -> {mb(after[p])}" for p in kept))
    replaced = len(set(before) - set(after))
    if replaced:
        line += f"; {replaced} worker(s) replaced during the run"
    return line


def log_cost(wrk: str, script: Path, env: dict[str, str], tmp: Path, args) -> None:
    """The trivial route on a server with the request log (production's default) and on
    one without (REQUEST_LOG=0), alternately, twice each."""
    rates: dict[str, list[float]] = {"1": [], "0": []}
    for n in range(4):
        setting = "1" if n % 2 == 0 else "0"
        server = Server(server_env(env["DATABASE_URL"], env["SECRET_KEY"], REQUEST_LOG=setting),
                        tmp / f"log-cost-{n}.log", args.workers)
        try:
            rates[setting].append(Bench(wrk, script, server.base, "", args).alone(TRIVIAL_ROUTE).rps)
        finally:
            server.stop()
    on, off = (sum(v) / len(v) for v in (rates["1"], rates["0"]))
    cores = os.cpu_count() or 1
    print(f"\nrequest log: trivial route {on:,.0f} req/s with it (JSON lines to a file), {off:,.0f} req/s "
          f"with REQUEST_LOG=0 (means of two runs each): about {(cores / on - cores / off) * 1e6:,.0f} µs "
          f"of CPU per request on {cores} cores")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per route alone (default 10)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of warm-up per route (default 2)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections per route alone (default 8)")
    parser.add_argument("--mix-duration", type=float, default=20, help="seconds of the mixed run (default 20; 0 skips)")
    parser.add_argument("--write-every", type=float, default=1,
                        help="then the mixed run again with a committed write every this many seconds (default 1; 0 skips)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py's, else the CPU count)")
    parser.add_argument("--only", help="measure only routes whose name contains this (and the trivial route)")
    parser.add_argument("--scale", type=int,
                        help="bench/grow.py's data at this scale (10: 3,000 evangelists, 5,000 requests, "
                             "20,000 visits) instead of the default network; then every staff list must reach "
                             f"{SCALED_LIST_SHARE:.0%} of the trivial route with p99 < {P99_MAX_MS:.0f} ms while "
                             "a write commits every --write-every seconds, alone and all at once")
    parser.add_argument("--database", help="with --scale: a PostgreSQL URL to grow the data in and serve from "
                                           "(it is emptied first; default: SQLite)")
    parser.add_argument("--log-cost", action="store_true",
                        help="also measure what the request log costs (two more servers, four more runs)")
    args = parser.parse_args()
    if args.scale is not None and args.scale < 1:
        parser.error(f"--scale must be 1 or more, not {args.scale}")
    if args.database and args.scale is None:
        parser.error("--database needs --scale (the default network is built on SQLite)")
    if args.database and not args.database.startswith("postgresql"):
        parser.error(f"--database must be a postgresql+psycopg:// URL, not {args.database!r}")

    wrk = shutil.which("wrk")
    if wrk is None:
        print("bench/load.py needs wrk: apt-get install -y wrk (Debian/Ubuntu) or brew install wrk.\n"
              "(A Python load generator would take more CPU than the routes it measures on 2 cores.)",
              file=sys.stderr)
        return 2

    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="evn-load-") as tmp_name:
        tmp = Path(tmp_name)
        env = server_env(args.database or f"sqlite:///{tmp}/load.db", secrets.token_hex(32))
        start = time.perf_counter()
        built = build_database(env, args.scale)
        writes_too = args.scale is not None and args.write_every > 0
        setup_s = time.perf_counter() - start
        script = tmp / "count.lua"
        script.write_text(WRK_SCRIPT)

        server = Server(env, tmp / "gunicorn.log", args.workers)
        try:
            cookie = sign_in(server.base, built["totp_secret"])
            chosen = [r for r in routes(built["request_id"]) if not args.only or args.only in r.key]
            sizes = {route.key: check(server.base, route, cookie)
                     for route in [TRIVIAL_ROUTE, *REFERENCES, *chosen]}
            bench = Bench(wrk, script, server.base, cookie, args)

            m, e, c, r, v = built["counts"]
            database = "PostgreSQL" if args.database else "SQLite"
            scaled = f" at {args.scale}x (bench/grow.py)" if args.scale else ""
            print(f"load: {server.how}, {server.count_workers()} workers, {database}{scaled}; wrk 1 thread x "
                  f"{args.connections} connections, {args.duration:g} s per route after {args.warmup:g} s "
                  f"of warm-up; {os.cpu_count()} CPUs; setup {setup_s:.0f} s")
            print(f"data: {m:,} municipalities ({built['active']:,} open-data active), {e:,} evangelists, "
                  f"{c} communities, {r} requests, {v} visits; load average before: {load_average()}")
            memory_before = server.worker_memory()
            if writes_too:  # issue 19: the staff lists at scale, with a write every second
                writer = Writer(server.base, cookie, built["request_id"], args.write_every)
                writer.start()
                try:
                    each_alone(bench, chosen, sizes, failures, targets={**TARGETS, "list": SCALED_LIST_SHARE},
                               note=f"; a reply committed every {args.write_every:g} s meanwhile")
                finally:
                    writer.finish()
                print(f"writes meanwhile: {writer.describe()}")
                if writer.errors:
                    failures.append(f"writes: {writer.errors} of {writer.sent} failed ({writer.detail})")
            else:
                each_alone(bench, chosen, sizes, failures)
            if args.mix_duration > 0:
                all_at_once(bench, chosen, args.mix_duration, failures)
                if args.write_every > 0:
                    all_at_once(bench, chosen, args.mix_duration, failures,
                                Writer(server.base, cookie, built["request_id"], args.write_every),
                                latency_counts=args.scale is not None)
            print(f"\nload average after: {load_average()}")
            print(memory_report(memory_before, server.worker_memory()))
        finally:
            server.stop()
        if args.log_cost:
            log_cost(wrk, script, env, tmp, args)

    print()
    if failures:
        print(f"targets: {len(failures)} missed:\n  " + "\n  ".join(failures))
        return 1
    print("targets: all met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
