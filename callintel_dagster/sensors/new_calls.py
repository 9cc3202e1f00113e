"""Arrivals: request processing for tenant-days whose calls are not all analysed yet, including
calls a run's cap left `pending`.

The cursor remembers each partition's fingerprint (unprocessed count, newest ingest) and the run key
carries it, so a repeated tick never requests the same work twice; new calls change the fingerprint.
"""

import json

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


@dg.sensor(
    job=processing_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING
)
def new_calls_sensor(context: dg.SensorEvaluationContext, warehouse: Warehouse):
    try:
        pending = warehouse.query(UNPROCESSED_SQL, timeout_s=15)
    except (TimeoutError, duckdb.IOException) as exc:  # a run holds the DuckDB file: next tick
        return dg.SkipReason(f"warehouse busy: {exc}")
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    known = set(context.instance.get_dynamic_partitions(tenants_partitions.name))
    requests = []
    for row in pending.to_dict("records"):
        if row["tenant_id"] not in known:
            continue
        key = str(tenant_day_key(row["tenant_id"], str(row["partition_date"])[:10]))
        fingerprint = f"{row['unprocessed']}@{row['newest']}"
        if seen.get(key) == fingerprint:
            continue
        seen[key] = fingerprint
        requests.append(dg.RunRequest(run_key=f"process:{key}:{fingerprint}", partition_key=key))
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
