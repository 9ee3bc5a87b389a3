# Partnership Registry: `make run` for the app with demo data, `make test` for the suite.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(shell command -v uv 2>/dev/null || echo $(TOOLS)/bin/uv)
VENV := .venv
MANAGE := $(VENV)/bin/python manage.py
CELERY := $(VENV)/bin/celery
BROKER_DIRS := var/broker/queue var/broker/processed var/broker/control

.PHONY: run install test lint format migrate seed worker beat bench bench-api bench-audit clean

## run: install, migrate, load the demo registry, and serve on http://127.0.0.1:8000 with a worker and beat
run: install migrate seed
	@echo "Serving on http://127.0.0.1:8000 (admin: /admin/). Ctrl-C stops the web server, worker and beat."
	@trap 'kill 0' EXIT INT TERM; \
	$(CELERY) -A config worker --loglevel=INFO --concurrency=2 & \
	$(CELERY) -A config beat --loglevel=INFO & \
	$(MANAGE) runserver 127.0.0.1:8000

## install: a virtualenv in .venv with the locked dependencies
install: $(VENV)/.synced

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked
	@touch $@

$(TOOLS)/bin/uv:
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

var:
	mkdir -p var $(BROKER_DIRS)

migrate: install var
	$(MANAGE) migrate --noinput

seed: install var
	$(MANAGE) seed_demo
	$(MANAGE) run_flagging

worker: install var
	$(CELERY) -A config worker --loglevel=INFO

beat: install var
	$(CELERY) -A config beat --loglevel=INFO

## test: the whole suite (DATABASE_URL=postgres://... runs it on PostgreSQL, as CI does)
test: install var
	$(VENV)/bin/pytest

## bench: the benchmarks, on PostgreSQL (a scratch database: its tables are emptied)
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/registry_bench
bench: install
	DATABASE_URL=$(BENCH_DATABASE_URL) $(VENV)/bin/python benchmarks/flagging.py --agreements 1000000
	DATABASE_URL=$(BENCH_DATABASE_URL) $(VENV)/bin/python benchmarks/api.py --agreements 1000000 --keep-data

## bench-api: the public API alone (reuses the registry the last bench left, if any)
bench-api: install
	DATABASE_URL=$(BENCH_DATABASE_URL) $(VENV)/bin/python benchmarks/api.py --agreements 1000000 --keep-data

## bench-audit: the audit trail's write overhead, 10,000 agreements with and without it
BENCH_AUDIT_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/registry_bench_audit
bench-audit: install
	DATABASE_URL=$(BENCH_AUDIT_DATABASE_URL) $(VENV)/bin/python benchmarks/audit.py --agreements 10000

## lint: ruff, the layers contract, migrations that match the models, and an OpenAPI schema without warnings
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(MANAGE) makemigrations --check --dry-run
	$(MANAGE) spectacular --validate --fail-on-warn --file /dev/null

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) $(TOOLS) var
