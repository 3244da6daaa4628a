"""gunicorn settings, used by `make serve` and deploy/evangelist-network.service.

Every value can be set from the environment, so one file serves every deployment:
BIND, WEB_CONCURRENCY (worker processes), GUNICORN_TIMEOUT, GUNICORN_MAX_REQUESTS,
LOG_FORMAT.
"""

from __future__ import annotations

import gc
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")

# Workers from the CPU count. The app is CPU-bound (templates, JSON): two workers per
# core keep the cores busy while another worker waits on the database; measured in
# bench/load.py (README "Figures"). Sync workers need a proxy that buffers slow clients,
# as nginx does by default (deploy/nginx.conf).
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Workers are not restarted after a number of requests unless GUNICORN_MAX_REQUESTS says
# so (gunicorn's own default). A restarted worker starts with an empty page cache
# (app/page_cache.py) and renders every page again while the others wait behind it: with
# restarts every 5,000 requests, the slowest pages' p99 under mixed load went from 27 ms
# to 270-330 ms (bench/load.py). What restarts would guard against, memory that grows,
# is bounded instead (PAGE_CACHE_BYTES) and measured: bench/load.py prints the workers'
# memory before and after its 300,000 requests. If it grows in some deployment, set
# GUNICORN_MAX_REQUESTS (a tenth of it is added at random, so workers restart apart).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10

# Who may say the request came over HTTPS (X-Forwarded-Proto) is the app's decision
# alone, by PROXY_COUNT (app/security.py); gunicorn would otherwise trust it from any
# local address.
forwarded_allow_ips = ""

# Build the app once in the master: a broken configuration stops `gunicorn` at start-up
# with its message, instead of every worker dying in a loop.
preload_app = True

# The app writes one structured record per request, with its request id
# (app/request_log.py), so gunicorn's own access log would only repeat it.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

if os.environ.get("LOG_FORMAT", "json") == "json":
    # gunicorn's own messages (start, worker boot, timeouts) as JSON lines too.
    # gunicorn replaces its defaults' top-level keys with these, so root is named again.
    logconfig_dict = {
        "version": 1,
        "root": {"level": "INFO", "handlers": ["error_console"]},
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "app.request_log.JsonFormatter"}},
        "handlers": {
            "error_console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            },
        },
        "loggers": {
            "gunicorn.error": {"level": loglevel.upper(), "handlers": ["error_console"], "propagate": False},
        },
    }


def on_starting(server):
    """Stop here, before any worker starts, when the workers would each keep their own
    rate-limit counters in production (config.check_rate_limit_storage): only here is
    the number of workers known, --workers on the command line included."""
    from config import check_rate_limit_storage
    from wsgi import app

    check_rate_limit_storage(app.config, server.cfg.workers, server.log.warning)


def when_ready(server):
    """Compile every template once in the master, before any worker forks: each worker
    then starts warm. Otherwise a fresh worker (after a crash, a reload or
    ``max_requests``) compiles a page on its first request, about 10 times the page's
    usual time (bench/load.py)."""
    from wsgi import app

    env = app.jinja_env
    for name in env.list_templates(filter_func=lambda n: n.endswith(".html")):
        env.get_template(name)
    # What the master built (modules, the app, compiled templates) lives as long as the
    # workers: out of the cycle collector's sight, a full collection in a worker walks only
    # what its requests made. At 30 times the demo half the time of reading the matching
    # pool after a write went to collections walking the preloaded heap (issue 19). Frozen
    # objects are also not written to by the collector, so the forked pages stay shared.
    gc.freeze()


def post_fork(server, worker):
    """With preload_app the master built the app, and with it the database engine: each
    worker must open its own connections, never share the master's (FIELD-NOTES
    "Databases")."""
    from app.extensions import db
    from wsgi import app

    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
