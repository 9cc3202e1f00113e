"""Operator alerts (callintel_dagster/alerts): two sensors that request no runs.

`alert_on_run_failure` reacts to each failed run of this code location: one incident per failed
step and tenant, with the partition and the error's class (a refused key is `key_rejected`).
`alert_rules_sensor` runs the periodic checks every few minutes (a tenant not syncing, a digest
not out by its send time + grace, an analysis failure rate above threshold, a key refused in a
recorded delivery), resolves run incidents a later successful run cleared, and sends what is due.
"""

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb

from callintel_dagster.alerts import facts, rules
from callintel_dagster.alerts.channels import Outbox
from callintel_dagster.alerts.incidents import resolve
from callintel_dagster.alerts.notify import run_pass
from callintel_dagster.alerts.run_failures import findings_for_run, resolved_by_success
from callintel_dagster.alerts.store import load_incidents
from callintel_dagster.lib.tenants.registry import RegistryError
from callintel_dagster.resources.digests import DigestSenders
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.warehouse import Warehouse

BUSY = (TimeoutError, duckdb.IOException)  # a run holds the DuckDB file: the next tick reads


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)  # the warehouse keeps naive UTC


def _outbox(digest_senders: DigestSenders) -> Outbox:
    return Outbox(Path(digest_senders.outbox_dir), digest_senders.twilio_attempts)


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def alert_on_run_failure(
    context: dg.RunFailureSensorContext,
    registry: TenantRegistry,
    warehouse: Warehouse,
    digest_senders: DigestSenders,
):
    # A raise (warehouse busy past its wait) leaves this run unprocessed: the next tick retries.
    try:
        tenants = registry.load()
    except RegistryError as exc:
        raise RegistryError(f"alerts for run {context.dagster_run.run_id} wait: {exc}") from None
    findings = findings_for_run(context.dagster_run, context.get_step_failure_events())
    outcome = run_pass(warehouse, tenants, _outbox(digest_senders), _now(), findings)
    for error in outcome.errors:
        context.log.warning(f"alert not delivered: {error}")
    context.log.info(f"run {context.dagster_run.run_id}: {outcome.summary()}")


@dg.sensor(minimum_interval_seconds=180, default_status=dg.DefaultSensorStatus.RUNNING)
def alert_rules_sensor(
    context: dg.SensorEvaluationContext,
    registry: TenantRegistry,
    warehouse: Warehouse,
    digest_senders: DigestSenders,
):
    now = _now()
    since = rules.window_start(now)
    try:
        tenants = registry.load()
        found = (
            rules.sync_stale(tenants, facts.last_syncs(warehouse), now)
            + rules.digest_late(tenants, facts.delivered_digests(warehouse, since), now)
            + rules.analysis_failure_rate(tenants, facts.analysis_counts(warehouse, since))
            + rules.key_rejected_delivery(tenants, facts.refused_keys(warehouse, since))
        )
        open_runs = [i for i in load_incidents(warehouse).values() if i.job_name]
    except BUSY as exc:
        return dg.SkipReason(f"warehouse busy: {exc}")
    except RegistryError as exc:
        return dg.SkipReason(f"tenant registry invalid: {exc}")
    resolutions = [
        resolve(i, now, why)
        for i in open_runs
        if (why := resolved_by_success(context.instance, i)) is not None
    ]
    try:
        outcome = run_pass(
            warehouse, tenants, _outbox(digest_senders), now, found, rules.CLEARED, resolutions
        )
    except BUSY as exc:
        return dg.SkipReason(f"warehouse busy: {exc}")
    for error in outcome.errors:
        context.log.warning(f"alert not delivered: {error}")
    return dg.SkipReason(outcome.summary())
