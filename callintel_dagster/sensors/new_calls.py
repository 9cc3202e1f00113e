"""Arrivals: request processing for tenant-days whose calls are not all analysed yet, including
calls a run's cap left `pending`.

The cursor remembers each partition's fingerprint (unprocessed count, newest ingest) and the run key
carries it, so a repeated tick never requests the same work twice; new calls change the fingerprint.
A tenant-day whose processing run failed is requested again, up to `MAX_RETRIES` times, waiting
`RETRY_BASE_S` x 4^n between tries (5 min, 20 min, 80 min), so a provider's outage heals by itself
without a retry storm; after that it waits for new calls, a re-drive or an operator.
"""

import json
import time

import dagster as dg
import duckdb

from callintel_dagster.jobs import processing_job
from callintel_dagster.lib.tables import CALL_ANALYSES, CALL_RECORDS
from callintel_dagster.partitions import tenant_day_key, tenants_partitions
from callintel_dagster.resources.warehouse import Warehouse

UNPROCESSED_SQL = f"""
SELECT c.tenant_id, c.partition_date, count(*) AS unprocessed,
       max(c.ingested_at_utc) AS newest
FROM {CALL_RECORDS.qualified} c
LEFT JOIN {CALL_ANALYSES.qualified} a ON a.tenant_id = c.tenant_id AND a.call_id = c.call_id
WHERE a.call_id IS NULL OR a.analysis_status = 'pending'
GROUP BY c.tenant_id, c.partition_date
ORDER BY c.tenant_id, c.partition_date
"""


MAX_RETRIES = 3
RETRY_BASE_S = 300


@dg.sensor(
    job=processing_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING
)
def new_calls_sensor(context: dg.SensorEvaluationContext, warehouse: Warehouse):
    try:
        pending = warehouse.query(UNPROCESSED_SQL, timeout_s=15)
    except (TimeoutError, duckdb.IOException) as exc:  # a run holds the DuckDB file: next tick
        return dg.SkipReason(f"warehouse busy: {exc}")
    seen: dict[str, dict] = {
        key: value if isinstance(value, dict) else {"f": value}  # cursors before retries: str
        for key, value in (json.loads(context.cursor) if context.cursor else {}).items()
    }
    known = set(context.instance.get_dynamic_partitions(tenants_partitions.name))
    requests, now = [], time.time()
    for row in pending.to_dict("records"):
        if row["tenant_id"] not in known:
            continue
        key = str(tenant_day_key(row["tenant_id"], str(row["partition_date"])[:10]))
        fingerprint = f"{row['unprocessed']}@{row['newest']}"
        state = seen.get(key)
        if state is None or state["f"] != fingerprint:
            seen[key] = {"f": fingerprint, "at": now}
            run_key = f"process:{key}:{fingerprint}"
        elif (retry := _retry_due(context.instance, key, state, now)) is not None:
            seen[key] = {"f": fingerprint, "retries": retry, "at": now}
            run_key = f"process:{key}:{fingerprint}:retry{retry}"
            context.log.info(f"{key}: its processing run failed; requesting it again ({retry})")
        else:
            continue
        requests.append(dg.RunRequest(run_key=run_key, partition_key=key))
    # forget partitions that are fully processed, so the cursor stays small
    pending_keys = {
        str(tenant_day_key(r["tenant_id"], str(r["partition_date"])[:10]))
        for r in pending.to_dict("records")
    }
    cursor = json.dumps({k: v for k, v in seen.items() if k in pending_keys}, sort_keys=True)
    if not requests:
        reason = (
            f"{len(pending)} partition(s) with unprocessed calls, all already requested"
            if len(pending)
            else "every ingested call is processed"
        )
        return dg.SensorResult(skip_reason=reason, cursor=cursor)
    return dg.SensorResult(run_requests=requests, cursor=cursor)


def _retry_due(instance: dg.DagsterInstance, key: str, state: dict, now: float) -> int | None:
    """The retry number to request now, when this partition's last processing run failed and
    its backoff has passed; None otherwise."""
    retries = int(state.get("retries", 0))
    if retries >= MAX_RETRIES or now < state.get("at", 0) + RETRY_BASE_S * 4**retries:
        return None
    [last] = instance.get_run_records(
        dg.RunsFilter(job_name=processing_job.name, tags={"dagster/partition": key}), limit=1
    ) or [None]
    if last is None or last.dagster_run.status != dg.DagsterRunStatus.FAILURE:
        return None
    return retries + 1
