"""The one assembly point: Definitions built from the environment, read at load time."""

import logging
import os
import sys
from pathlib import Path

import dagster as dg

from callintel_dagster.assets import (
    analyses,
    checks,
    daily_summary,
    digest,
    embeddings,
    ingest,
    metrics,
    recordings,
    transcripts,
    writeback,
)
from callintel_dagster.dbt_project import dbt_project
from callintel_dagster.env import Env, current_env
from callintel_dagster.jobs import (
    calls_job,
    daily_job,
    marts_job,
    processing_job,
    redrive_analyses_job,
    sync_job,
)
from callintel_dagster.lib.shared_store import audio_archive_settings, vector_location
from callintel_dagster.lib.tenants.registry import load_registry
from callintel_dagster.partitions import tenants_partitions
from callintel_dagster.resources.analyzers import Analyzers
from callintel_dagster.resources.audio import AudioArchive
from callintel_dagster.resources.crm_writeback import CrmWriters
from callintel_dagster.resources.dbt import DbtCoreCli
from callintel_dagster.resources.digests import DigestSenders
from callintel_dagster.resources.embeddings import Embedders, VectorStore
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.sources import CallSources, LeadSources
from callintel_dagster.resources.stt import Transcribers
from callintel_dagster.resources.summaries import Summarizers
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.schedules import digest_schedule, sync_schedule
from callintel_dagster.sensors.alerts import alert_on_run_failure, alert_rules_sensor
from callintel_dagster.sensors.digest_status import digest_status_sensor
from callintel_dagster.sensors.late_digest import late_digest_sensor
from callintel_dagster.sensors.new_calls import new_calls_sensor
from callintel_dagster.sensors.tenant_registry import tenant_registry_sensor
from callintel_dagster.sensors.warehouse_snapshot import warehouse_snapshot_sensor

ASSET_MODULES = (
    ingest,
    recordings,
    transcripts,
    analyses,
    embeddings,
    metrics,
    daily_summary,
    digest,
    writeback,
)


def resources_for(env: Env) -> dict:
    """The same keys in every environment; only where they point changes."""
    warehouse = (
        Warehouse(url=dg.EnvVar("CALLINTEL_WAREHOUSE_URL"))
        if env.warehouse_url
        else Warehouse(url=f"duckdb:///{env.duckdb_path}")
    )
    # local disk under CALLINTEL_HOME, or the shared store's bucket (CALLINTEL_SHARED_STORE)
    vectors, vector_options = vector_location(env)
    return {
        "registry": TenantRegistry(path=str(env.tenants_path)),
        "warehouse": warehouse,
        "call_sources": CallSources(home=str(env.home)),
        "lead_sources": LeadSources(home=str(env.home)),
        "transcribers": Transcribers(),
        "analyzers": Analyzers(),
        "embedders": Embedders(),
        "vector_store": VectorStore(path=vectors, storage_options=vector_options),
        "audio_archive": AudioArchive(
            root=str(env.home / "audio"),
            local_roots=[str(env.home / "processed"), str(env.home / "samples")],
            **audio_archive_settings(env),
        ),
        "summarizers": Summarizers(),
        "digest_senders": DigestSenders(outbox_dir=str(env.outbox_path)),
        "crm_writers": CrmWriters(),
        # the dbt installed beside this interpreter (.venv/bin), whatever PATH says
        "dbt": DbtCoreCli(
            project_dir=dbt_project,
            dbt_executable=str(Path(sys.executable).parent / "dbt"),
            target="postgres" if env.warehouse_url else "duckdb",
        ),
    }


def build_defs(env: Env) -> dg.Definitions:
    # A broken tenants.yaml fails the load here, with its one-line reason (file, tenant, field),
    # instead of surfacing later in sensor skips, schedule ticks and runs.
    load_registry(env.tenants_path)
    env.home.mkdir(parents=True, exist_ok=True)
    return dg.Definitions(
        assets=dg.load_assets_from_modules(ASSET_MODULES),
        asset_checks=dg.load_asset_checks_from_modules([checks]),
        jobs=[sync_job, processing_job, daily_job, calls_job, marts_job, redrive_analyses_job],
        schedules=[sync_schedule, digest_schedule],
        sensors=[
            tenant_registry_sensor,
            new_calls_sensor,
            late_digest_sensor,
            digest_status_sensor,
            warehouse_snapshot_sensor,
            alert_on_run_failure,
            alert_rules_sensor,
        ],
        resources=resources_for(env),
        executor=dg.in_process_executor,
    )


def resolved_resource(defs: dg.Definitions, key: str):
    """A resource with its EnvVar config resolved, for use outside a run (demo, reports, tests)."""
    return defs.resources[key].process_config_and_initialize()


def register_tenants(env: Env) -> list[str]:
    """Add the registry's tenants to the instance's `tenants` partitions, so one tenant-day can be
    materialized from the UI right after the first load (before the registry sensor's first tick).
    Only where Dagster itself loads the code (DAGSTER_HOME is set); never fails the load."""
    if not os.environ.get("DAGSTER_HOME"):
        return []
    try:
        instance = dg.DagsterInstance.get()
        try:
            known = set(instance.get_dynamic_partitions(tenants_partitions.name))
            missing = [t.id for t in load_registry(env.tenants_path).tenants if t.id not in known]
            if missing:
                instance.add_dynamic_partitions(tenants_partitions.name, missing)
            return missing
        finally:
            instance.dispose()
    except Exception as exc:  # noqa: BLE001 - the registry sensor registers them on its first tick
        logging.getLogger(__name__).warning(
            "tenants not registered at load (%s); the tenant_registry_sensor will add them",
            type(exc).__name__,
        )
        return []


@dg.definitions
def defs() -> dg.Definitions:
    env = current_env()
    built = build_defs(env)
    register_tenants(env)
    return built
