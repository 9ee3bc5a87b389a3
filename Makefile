# Partnership Registry: `make run` for the app with demo data, `make test` for the suite.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(shell command -v uv 2>/dev/null || echo $(TOOLS)/bin/uv)
VENV := .venv
MANAGE := $(VENV)/bin/python manage.py
# A command with a database: DATABASE_URL's, or the embedded server's.
WITH_DB := $(VENV)/bin/python -m core.embedded_db --
CELERY := $(VENV)/bin/celery
# Where the embedded database, the filesystem broker, logs and uploads live.
VAR_DIR ?= var
export VAR_DIR
BROKER_DIRS := $(VAR_DIR)/broker/queue $(VAR_DIR)/broker/processed $(VAR_DIR)/broker/control

.PHONY: run install system-libs messages test lint format migrate seed worker beat bench bench-api bench-audit bench-import bench-scale clean var

## run: install, migrate, load the demo registry, and serve on http://127.0.0.1:8000 with a worker and beat
# Without DATABASE_URL, on the embedded PostgreSQL server under var/ (core/embedded_db.py).
run: install var messages
	@$(WITH_DB) $(MANAGE) run_demo

## install: a virtualenv in .venv with the locked dependencies
install: system-libs $(VENV)/.synced

## system-libs: Pango, which WeasyPrint (the reports' PDFs) needs, from Debian's packages if missing
system-libs:
	@PATH="$$PATH:/sbin:/usr/sbin" ldconfig -p | grep -q libpangoft2-1.0 || \
	if [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core >/dev/null; \
	else \
	  echo "Pango is missing: the transparency reports' PDFs need it (sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)."; \
	fi

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked
	@touch $@

$(TOOLS)/bin/uv:
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

## messages: the interface's translations, compiled from locale/*/LC_MESSAGES/django.po
## (pure Python: core/translations.py; `manage.py translations update` after marking new text)
messages: install
	@$(MANAGE) translations compile

var:
	@mkdir -p $(VAR_DIR) $(BROKER_DIRS)

migrate: install var
	$(WITH_DB) $(MANAGE) migrate --noinput

seed: install var
	$(WITH_DB) $(MANAGE) seed_demo
	$(WITH_DB) $(MANAGE) run_flagging

worker: install var
	$(CELERY) -A config worker --loglevel=INFO

beat: install var
	$(CELERY) -A config beat --loglevel=INFO

## test: the whole suite, on DATABASE_URL's PostgreSQL (as CI does) or the embedded server,
## one pytest-xdist worker per core (each on its own test database), a test file per worker
TEST_WORKERS ?= auto
test: install var messages
	$(WITH_DB) $(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadfile

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

## bench-import: a CSV import of 10,000 agreements against a plain bulk insert of the same rows
BENCH_IMPORT_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/registry_bench_import
bench-import: install
	DATABASE_URL=$(BENCH_IMPORT_DATABASE_URL) $(VENV)/bin/python benchmarks/imports.py --agreements 10000

## bench-scale: the public read path at 10,000 and 1,000,000 agreements (registries reused when present)
SCALE_10K_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/registry_scale_10k
SCALE_1M_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/registry_scale_1m
bench-scale: install
	SCALE_10K_DATABASE_URL=$(SCALE_10K_DATABASE_URL) SCALE_1M_DATABASE_URL=$(SCALE_1M_DATABASE_URL) \
		$(VENV)/bin/python benchmarks/scale.py

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
