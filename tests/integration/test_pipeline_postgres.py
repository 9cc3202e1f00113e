"""The same tenant-day on PostgreSQL: the warehouse AND Dagster's own storage in fresh databases."""

import dagster as dg
import yaml

from callintel_dagster.definitions import build_defs, resolved_resource
from callintel_dagster.env import REPO_ROOT, current_env
from conftest import fresh_postgres_db, requires_postgres, run_job


@requires_postgres
def test_tenant_day_on_postgres(callintel_env, monkeypatch):
    with fresh_postgres_db() as warehouse_url, fresh_postgres_db() as dagster_url:
        monkeypatch.setenv("CALLINTEL_WAREHOUSE_URL", warehouse_url)
        defs = build_defs(current_env())
        # Dagster's storage from the shipped deploy/dagster.postgres.yaml, as a user would set it
        monkeypatch.setenv("DAGSTER_PG_HOST", "127.0.0.1")
        monkeypatch.setenv("DAGSTER_PG_USER", "postgres")
        monkeypatch.setenv("DAGSTER_PG_PASSWORD", "")
        monkeypatch.setenv("DAGSTER_PG_DB", dagster_url.rsplit("/", 1)[1])
        overrides = yaml.safe_load((REPO_ROOT / "deploy" / "dagster.postgres.yaml").read_text())
        with dg.instance_for_test(overrides=overrides) as instance:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            # the cluster's two halves (jobs.py), then the whole daily_job again: idempotent
            run_job(defs, instance, job="calls_job")
            run_job(defs, instance, job="marts_job")
            warehouse = resolved_resource(defs, "warehouse")
            assert warehouse.is_postgres
            assert counts(warehouse) == (30, 30, [30])
            run_job(defs, instance)
            assert counts(warehouse) == (30, 30, [30])
            assert [r.job_name for r in reversed(instance.get_runs())] == [
                "calls_job",
                "marts_job",
                "daily_job",
            ]


def counts(warehouse) -> tuple[int, int, list[int]]:
    """Call records, analyses, and the KPI mart's calls per tenant-day."""
    calls = warehouse.query("SELECT count(*) AS n FROM raw.call_records")["n"][0]
    analyses = warehouse.query("SELECT count(*) AS n FROM core.call_analyses")["n"][0]
    kpi = warehouse.query("SELECT calls FROM marts.kpi_tenant_daily")["calls"].tolist()
    return int(calls), int(analyses), kpi
