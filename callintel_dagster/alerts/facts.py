"""What the periodic rules read from the warehouse: portable SQL (DuckDB and PostgreSQL) that
returns counts, times and codes only, never a message body, a number or a transcript."""

from datetime import date, datetime

from callintel_dagster.alerts.rules import DELIVERED, TWILIO_AUTH_CODES
from callintel_dagster.lib.tables import (
    CALL_ANALYSES,
    CRM_WRITEBACKS,
    DIGESTS,
    SYNC_LOG,
    WHATSAPP_LEDGER,
)
from callintel_dagster.resources.warehouse import Warehouse

TIMEOUT_S = 15  # a run holding the DuckDB file longer: the tick is skipped, the next one reads

LAST_SYNC_SQL = f"""
SELECT tenant_id, source, max(synced_at_utc) AS last_sync FROM {SYNC_LOG.qualified}
GROUP BY tenant_id, source
"""

DELIVERED_SQL = f"""
SELECT tenant_id, partition_date, count(DISTINCT recipient) AS recipients
FROM {DIGESTS.qualified}
WHERE partition_date >= ? AND delivery_status IN ({", ".join(f"'{s}'" for s in DELIVERED)})
GROUP BY tenant_id, partition_date
"""

# the latest analysis of each call: a re-analysed call counts once, as it stands now
ANALYSIS_COUNTS_SQL = f"""
SELECT tenant_id, partition_date,
       sum(CASE WHEN analysis_status = 'failed' THEN 1 ELSE 0 END) AS failed,
       sum(CASE WHEN analysis_status IN ('ok', 'failed') THEN 1 ELSE 0 END) AS decided
FROM (
  SELECT tenant_id, partition_date, analysis_status,
         row_number() OVER (PARTITION BY tenant_id, call_id ORDER BY analysed_at_utc DESC) AS n
  FROM {CALL_ANALYSES.qualified} WHERE partition_date >= ?
) latest
WHERE n = 1
GROUP BY tenant_id, partition_date
"""

# Twilio's auth error on a digest part, and a CRM write-back refused with 401/403 (the
# provider's HTTP layer words a status as "→ 401"; only the status is read out of it)
REFUSED_SQL = f"""
SELECT tenant_id, partition_date, 'whatsapp_digest' AS asset,
       'twilio ' || CAST(error_code AS VARCHAR) AS code
FROM {WHATSAPP_LEDGER.qualified}
WHERE partition_date >= ? AND error_code IN ({", ".join(str(c) for c in TWILIO_AUTH_CODES)})
UNION
SELECT tenant_id, partition_date, 'crm_writeback' AS asset,
       provider || CASE WHEN strpos(reason, '→ 403') > 0 THEN ' HTTP 403' ELSE ' HTTP 401' END AS code
FROM {CRM_WRITEBACKS.qualified}
WHERE partition_date >= ? AND status = 'failed'
  AND (strpos(reason, '→ 401') > 0 OR strpos(reason, '→ 403') > 0)
"""


def last_syncs(warehouse: Warehouse) -> dict[tuple[str, str], datetime]:
    frame = warehouse.query(LAST_SYNC_SQL, timeout_s=TIMEOUT_S)
    return {(r["tenant_id"], r["source"]): _naive(r["last_sync"]) for r in frame.to_dict("records")}


def delivered_digests(warehouse: Warehouse, since: date) -> dict[tuple[str, date], int]:
    frame = warehouse.query(DELIVERED_SQL, [since], timeout_s=TIMEOUT_S)
    return {
        (r["tenant_id"], _day(r["partition_date"])): int(r["recipients"])
        for r in frame.to_dict("records")
    }


def analysis_counts(warehouse: Warehouse, since: date) -> dict[tuple[str, date], tuple[int, int]]:
    frame = warehouse.query(ANALYSIS_COUNTS_SQL, [since], timeout_s=TIMEOUT_S)
    return {
        (r["tenant_id"], _day(r["partition_date"])): (int(r["failed"]), int(r["decided"]))
        for r in frame.to_dict("records")
    }


def refused_keys(warehouse: Warehouse, since: date) -> list[tuple[str, date, str, str]]:
    frame = warehouse.query(REFUSED_SQL, [since, since], timeout_s=TIMEOUT_S)
    return [
        (r["tenant_id"], _day(r["partition_date"]), r["asset"], r["code"])
        for r in frame.to_dict("records")
    ]


def _day(value) -> date:
    return date.fromisoformat(str(value)[:10])


def _naive(value) -> datetime:
    stamp = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
    return stamp.replace(tzinfo=None)
