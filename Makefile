# callintel — one command to try it, one to test it. Everything installs into .venv (uv).
SHELL := /bin/bash
VENV := .venv
UV := $(VENV)/bin/uv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.9
export CALLINTEL_HOME ?= $(CURDIR)/.callintel
export DAGSTER_HOME ?= $(CALLINTEL_HOME)/dagster_home
DBT_SOURCES := $(shell find dbt_metrics/models dbt_metrics/macros dbt_metrics/tests -type f 2>/dev/null) dbt_metrics/dbt_project.yml
MANIFEST := dbt_metrics/target/manifest.json

.PHONY: install demo demo-emulated ui test test-fast test-scenarios lint bench clean preview-digest sql explore \
	cluster-up cluster-down cluster-demo

install: $(VENV)/.synced $(MANIFEST) $(DAGSTER_HOME)/dagster.yaml

# uv itself is bootstrapped into .venv (nothing global); it stays there as a dev dependency.
$(UV):
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# A no-op (no network) when pyproject.toml and uv.lock have not changed since the last sync.
$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --quiet
	@touch $@

# dagster-dbt loads the dbt manifest at import time: build it whenever the dbt project changes.
$(MANIFEST): $(VENV)/.synced $(DBT_SOURCES)
	cd dbt_metrics && ../$(VENV)/bin/dbt parse --quiet --profiles-dir . --project-dir .
	@touch $@

# Created once; a dagster.yaml you put there yourself (e.g. deploy/dagster.postgres.yaml) is kept.
$(DAGSTER_HOME)/dagster.yaml:
	@mkdir -p $(DAGSTER_HOME)
	cp deploy/dagster.yaml $@

# make demo DAYS=3 for a shorter range (default: the last 7 complete local days)
demo: install
	@$(PY) -m callintel_dagster.cli.demo $(if $(DAYS),--days $(DAYS))

# The same demo against local emulators of Bolna, Zoho CRM, LeadSquared and a call-centre DB.
demo-emulated: install
	@CALLINTEL_HOME=$(CURDIR)/.callintel-emulated DAGSTER_HOME=$(CURDIR)/.callintel-emulated/dagster_home \
		sh -c 'mkdir -p "$$DAGSTER_HOME" && cp -n deploy/dagster.yaml "$$DAGSTER_HOME/" ; $(PY) -m emulators.demo'

# What the digest for a tenant-day would send: make preview-digest TENANT=acme_realty DATE=2026-11-18
preview-digest: install
	@$(PY) -m callintel_dagster.cli.preview_digest --tenant $(TENANT) --date $(DATE)

# A SQL shell on the warehouse with the project's own DuckDB (psql on PostgreSQL): make sql
# ARGS='-c "SELECT ..."' for one statement, ARGS=--live for the live file instead of the snapshot.
sql: install
	@$(PY) -m callintel_dagster.cli.sql $(ARGS)

# The call explorer on the demo data at http://127.0.0.1:8000 (the demo runs first when there is
# no warehouse yet); a key per demo tenant is made and printed (callintel_dagster/cli/explore.py).
explore: install
	@test -f "$(CALLINTEL_HOME)/warehouse.duckdb" || [ -n "$$CALLINTEL_WAREHOUSE_URL" ] || $(MAKE) demo DAYS=3
	@$(PY) -m callintel_dagster.cli.explore --host 127.0.0.1 --port 8000

# Cluster mode on this machine (docs/cluster.md): dagster-daemon, the webserver on :3070 and two
# Celery workers against the local PostgreSQL (instance storage, warehouse) and RabbitMQ; pid
# files and logs in $(CALLINTEL_HOME)/cluster/. cluster-demo launches the demo tenants' runs
# through it and prints which worker ran each.
cluster-up: install
	@$(PY) -m callintel_dagster.cluster up

cluster-down:
	@$(PY) -m callintel_dagster.cluster down

cluster-demo: install
	@$(PY) -m callintel_dagster.cluster demo $(if $(DAYS),--days $(DAYS))

ui: install
	$(VENV)/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

# Lint, the definitions as the UI loads them, then every tier but the multi-process scenarios;
# prints the wall time and the 15 slowest tests so a slow one is seen when it lands. Two workers
# (pytest-xdist), one test file each at a time, so a module's shared pipeline run is made once;
# the definitions are validated beside them (its output is shown when it fails).
test: install lint
	@start=$$(date +%s); mkdir -p "$(CALLINTEL_HOME)"; \
	$(VENV)/bin/dagster definitions validate -w workspace.yaml \
		> "$(CALLINTEL_HOME)/validate.log" 2>&1 & validate=$$!; \
	$(VENV)/bin/pytest -n 2 --dist loadfile --durations=15 -m "not scenario"; status=$$?; \
	if ! wait $$validate; then cat "$(CALLINTEL_HOME)/validate.log"; status=1; \
	else echo "dagster definitions validate: ok"; fi; \
	echo "make test: wall time $$(( $$(date +%s) - start )) s"; exit $$status

# The end-to-end scenarios (tests/conftest.py SCENARIO_FILES): dagster-daemon and Celery workers
# killed mid-run, overlapping runs, the demo program twice, the leak scan, the whole graph on
# PostgreSQL, dbt's partitions and analysis marts. About 5 minutes on 2 cores; .ci/run runs them
# after `make test`.
test-scenarios: install
	@start=$$(date +%s); \
	$(VENV)/bin/pytest -n 2 --dist loadfile --durations=6 -m scenario; status=$$?; \
	echo "make test-scenarios: wall time $$(( $$(date +%s) - start )) s"; exit $$status

# The inner loop: unit and stage tests (no Dagster runs, no dbt), about 2 minutes on 2 cores.
test-fast: install
	$(VENV)/bin/pytest -m "unit or stage" -n 2 --dist loadfile --durations=5

lint: install
	$(VENV)/bin/ruff check callintel_dagster emulators tests bench
	$(VENV)/bin/ruff format --check --quiet callintel_dagster emulators tests bench

bench: install
	$(PY) -m bench.pipeline
	$(PY) -m bench.throughput --runs 2
	$(PY) -m bench.sync
	$(PY) -m bench.sync_tick
	$(PY) -m bench.backfill --tenants 2 --days 7
	$(PY) -m bench.analysis
	$(PY) -m bench.dbt_scale
	$(PY) -m bench.analysis_faults
	$(PY) -m bench.transcribe_local
	$(PY) -m bench.transcribe_cloud

clean:
	rm -rf $(CALLINTEL_HOME) .callintel-emulated dbt_metrics/target dbt_metrics/logs
