"""Incidents from a failed Dagster run: one per failed step and tenant, from the run's event log.

A step that ran tenant by tenant (assets/tenant_loop.py) fails with `failed_tenants` metadata
({tenant: "ErrorClass: message"}): one incident per tenant named there. Any other step failure
concerns the run's partition. A refused key (`ProviderAuthError`, or any provider error answered
with HTTP 401/403) is its own rule, `key_rejected`: the fix is a credential, not a re-run.

Only the error's class, its provider and its HTTP status are read out of an error: its message may
quote a provider's response, so it never reaches an alert.
"""

import re
from datetime import UTC

import dagster as dg

from callintel_dagster.alerts.incidents import OPEN, Finding, Incident
from callintel_dagster.partitions import RANGE_END, RANGE_START

RUN_FAILURE = "run_failure"
KEY_REJECTED = "key_rejected"
RUN_RULES = frozenset({RUN_FAILURE, KEY_REJECTED})

PARTITION_TAG = "dagster/partition"
ANY_TENANT = "*"  # a run over several tenants whose failure names none

_CLASS = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*):")
_PROVIDER = re.compile(r"tenant [a-z][a-z0-9_]*: ([a-z][a-z0-9_]*):")  # ProviderError's wording
_STATUS = re.compile(r"→ (\d{3})\b")  # the HTTP layer's wording: "GET /path → 401"
_TENANT_ID = re.compile(r"^[a-z][a-z0-9_]{1,40}$")


def run_partition(run: dg.DagsterRun) -> tuple[str, str]:
    """(tenant or ANY_TENANT, partition key or range) of a run; ("", "") when unpartitioned."""
    tags = run.tags
    if key := tags.get(PARTITION_TAG):
        return key.rsplit("|", 1)[-1] if "|" in key else ANY_TENANT, key
    if RANGE_START in tags:
        start, end = tags[RANGE_START], tags.get(RANGE_END, tags[RANGE_START])
        return ANY_TENANT, f"{start}...{end}"
    return ANY_TENANT, ""


def classify(cls_name: str, message: str) -> tuple[str, str]:
    """(rule, reason) for an error, from its class and, inside its message, only the provider
    name and the HTTP status."""
    provider = m.group(1) if (m := _PROVIDER.search(message)) else None
    status = m.group(1) if (m := _STATUS.search(message)) else None
    detail = ", ".join(filter(None, (provider, f"HTTP {status}" if status else None)))
    reason = f"{cls_name} ({detail})" if detail else cls_name
    if cls_name == "ProviderAuthError" or status in ("401", "403"):
        return KEY_REJECTED, reason
    return RUN_FAILURE, reason


def findings_for_run(run: dg.DagsterRun, step_failures: list[dg.DagsterEvent]) -> list[Finding]:
    tenant, partition = run_partition(run)
    common = {"partition_key": partition, "run_id": run.run_id, "job_name": run.job_name}
    out = []
    for event in step_failures:
        step = event.step_key or ""
        data = event.step_failure_data
        per_tenant = _failed_tenants(data)
        if per_tenant:
            for tenant_id, text in sorted(per_tenant.items()):
                cls = m.group(1) if (m := _CLASS.match(text)) else "Error"
                rule, reason = classify(cls, text)
                out.append(
                    Finding(rule, tenant_id, step, reason=f"step {step}: {reason}", **common)
                )
            continue
        cls, message = _innermost(data.error) if data and data.error else ("Error", "")
        rule, reason = classify(cls, message)
        out.append(Finding(rule, tenant, step, reason=f"step {step}: {reason}", **common))
    if not out:  # failed before any step did (e.g. could not start)
        out.append(Finding(RUN_FAILURE, tenant, "", reason="run failed outside a step", **common))
    return out


def resolved_by_success(instance: dg.DagsterInstance, incident: Incident) -> str | None:
    """Why a run incident no longer holds: a later successful run of its job over the same
    partition (for a range run: any later successful range run of the job); None otherwise."""
    if incident.state != OPEN or incident.rule not in RUN_RULES or not incident.job_name:
        return None
    records = instance.get_run_records(
        dg.RunsFilter(
            job_name=incident.job_name,
            statuses=[dg.DagsterRunStatus.SUCCESS],
            created_after=incident.opened_at_utc.replace(tzinfo=UTC),
        ),
        limit=50,
    )
    for record in records:
        _, partition = run_partition(record.dagster_run)
        ranged = "..." in incident.partition_key
        if partition == incident.partition_key or (ranged and "..." in partition):
            return f"run {record.dagster_run.run_id[:8]} of {incident.job_name} succeeded"
    return None


def _failed_tenants(data) -> dict[str, str]:
    meta = (data.user_failure_data.metadata or {}) if data and data.user_failure_data else {}
    value = meta.get("failed_tenants")
    found = getattr(value, "data", None) or {}
    return {t: str(r) for t, r in found.items() if isinstance(t, str) and _TENANT_ID.match(t)}


def _innermost(error) -> tuple[str, str]:
    """The user's exception under Dagster's wrapper (DagsterExecutionStepExecutionError)."""
    while error.cause is not None and error.cls_name.startswith("Dagster"):
        error = error.cause
    return error.cls_name or "Error", error.message or ""
