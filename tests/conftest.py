"""Shared fixtures: a temporary callintel home, a small tenant registry, a Dagster instance."""

import contextvars
import logging
import os
import uuid
from contextlib import contextmanager
from datetime import date

import dagster as dg
import pytest

from callintel_dagster.definitions import build_defs
from callintel_dagster.env import current_env
from callintel_dagster.partitions import tenant_day_key, tenants_partitions

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DAY = date(2026, 11, 18)  # a past day: complete in every timezone

TENANTS_YAML = """
tenants:
  - id: acme
    name: Acme Realty
    timezone: Asia/Kolkata
    calls: {provider: synthetic, calls_per_day: 30, seed: 3}
    crm: {provider: synthetic, leads_per_day: 6}
    digest: {provider: outbox, recipients: ["+919812345678"], send_time: "08:30"}
  - id: globex
    name: Globex Support
    timezone: America/Los_Angeles
    default_region: US
    calls: {provider: synthetic, calls_per_day: 20, seed: 5}
    crm: {provider: synthetic, leads_per_day: 4}
    digest: {provider: outbox, recipients: ["+14155550100"], send_time: "07:00"}
"""


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    """Each test (set-up, call, tear-down) runs in its own copy of the session's context.

    Entering a Dagster instance sets a "current" defs-state storage ContextVar through a context
    manager. An instance some code entered and never exited resets that variable when the garbage
    collector finalises it, at any later moment: in a shared context that restores a storage whose
    temporary directory is long deleted, and the next definitions build fails with "unable to open
    database file" (seen by test order under xdist). A token from another context cannot be reset
    into this one: Dagster then falls back to no storage, which is what tests want."""
    from _pytest.runner import runtestprotocol

    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    contextvars.copy_context().run(runtestprotocol, item, nextitem=nextitem)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


@pytest.fixture
def callintel_env(tmp_path, monkeypatch):
    """CALLINTEL_* pointing at a fresh home and registry; returns the Env."""
    tenants = tmp_path / "tenants.yaml"
    tenants.write_text(TENANTS_YAML)
    monkeypatch.setenv("CALLINTEL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CALLINTEL_TENANTS", str(tenants))
    monkeypatch.delenv("CALLINTEL_WAREHOUSE_URL", raising=False)
    return current_env()


@pytest.fixture
def instance():
    with dg.instance_for_test() as inst:
        yield inst


@pytest.fixture
def defs(callintel_env):
    return build_defs(callintel_env)


def register_tenants(instance, ids=("acme", "globex")):
    instance.add_dynamic_partitions(tenants_partitions.name, list(ids))


def run_job(defs, instance, job="daily_job", tenant="acme", day=DAY, **kwargs):
    register_tenants(instance)
    result = defs.resolve_job_def(job).execute_in_process(
        instance=instance, partition_key=str(tenant_day_key(tenant, day.isoformat())), **kwargs
    )
    assert result.success
    return result


@contextmanager
def fresh_postgres_db():
    """A new, empty PostgreSQL database on the machine's server; dropped afterwards."""
    import psycopg2

    name = f"callintel_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(PG_ADMIN_URL)
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def postgres_available() -> bool:
    try:
        import psycopg2

        psycopg2.connect(PG_ADMIN_URL, connect_timeout=3).close()
        return True
    except Exception:  # noqa: BLE001
        return False


requires_postgres = pytest.mark.skipif(
    not postgres_available() and not os.environ.get("CI"),
    reason="PostgreSQL not reachable on 127.0.0.1:5432 (.ci/run starts it)",
)


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=requires_postgres)])
def warehouse_url(request, tmp_path):
    """A fresh, empty warehouse on each engine: a DuckDB file, then a new PostgreSQL database."""
    if request.param == "duckdb":
        yield f"duckdb:///{tmp_path / 'w.duckdb'}"
    else:
        with fresh_postgres_db() as url:
            yield url


# Dagster's test instances close their SQLite engines before pooled connections are collected;
# SQLAlchemy then logs a harmless "Cannot operate on a closed database" traceback at exit.
logging.getLogger("sqlalchemy.pool").setLevel(logging.CRITICAL)


def defs_for_tenants(tmp_path, monkeypatch, tenants_yaml: str, home=None):
    """Definitions for a registry written from `tenants_yaml`, with a fresh CALLINTEL_HOME."""
    (tmp_path / "t.yaml").write_text(tenants_yaml)
    monkeypatch.setenv("CALLINTEL_TENANTS", str(tmp_path / "t.yaml"))
    monkeypatch.setenv("CALLINTEL_HOME", str(home or tmp_path / "home"))
    return build_defs(current_env())


# Tiers, by folder (tests mirror the package): `make test-fast` runs unit and stage tests;
# `make test` runs everything. A test that materializes through Dagster or runs dbt belongs in
# tests/integration (or carries @pytest.mark.integration where it sits beside its unit tests).
# sensors/ evaluate schedules and sensors against a real instance and execute jobs: integration
TIER_BY_FOLDER = {"integration": "integration", "sensors": "integration", "stages": "stage"}
# The scenario tier (`make test-scenarios`, run by .ci/run after `make test`): end-to-end scenarios
# of several real processes (dagster-daemon, Celery workers, `kill -9`, the demo program twice, the
# leak scan over every output), each tens of seconds of mostly waiting, and the slowest whole-graph
# runs. Kept apart so that `make test` stays under 10 minutes on 2 cores; never skipped in CI.
SCENARIO_FILES = {
    "cluster/test_cluster_pools.py",
    "cluster/test_cluster_worker_loss.py",
    "healing/test_killed_run.py",
    "healing/test_overlapping_runs.py",
    "integration/test_demo.py",
    "integration/test_no_leaks.py",
    # the slowest single-process runs: three whole-graph runs with Dagster's storage and the
    # warehouse on fresh PostgreSQL databases; dbt builds from a new warehouse (its partitions,
    # the analysis marts' exact figures on DuckDB and PostgreSQL)
    "integration/test_pipeline_postgres.py",
    "integration/test_dbt_partitions.py",
    "integration/test_analysis_marts.py",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        parts = item.path.relative_to(config.rootpath / "tests").parts
        tier = TIER_BY_FOLDER.get(parts[0], "unit") if len(parts) > 1 else "unit"
        if not any(item.iter_markers(name="integration")):
            item.add_marker(getattr(pytest.mark, tier))
        if "/".join(parts) in SCENARIO_FILES:
            item.add_marker(pytest.mark.scenario)
