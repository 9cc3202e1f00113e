"""Asset checks beside their assets: bad data here would poison everything downstream."""

import dagster as dg
from pydantic import ValidationError

from callintel_dagster.lib.agents.outputs import output_model
from callintel_dagster.lib.phones import is_e164
from callintel_dagster.lib.tables import CALL_ANALYSES, CALL_RECORDS, CRM_LEADS, QUARANTINED_RECORDS
from callintel_dagster.resources.analyzers import agent_version
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.warehouse import Warehouse


@dg.asset_check(asset="call_records", blocking=True)
def call_ids_unique_per_tenant(warehouse: Warehouse) -> dg.AssetCheckResult:
    """No call id appears twice for a tenant, across all days."""
    dupes = warehouse.query(
        f"SELECT tenant_id, call_id, count(*) AS n FROM {CALL_RECORDS.qualified} "
        "GROUP BY tenant_id, call_id HAVING count(*) > 1 LIMIT 20"
    )
    return dg.AssetCheckResult(
        passed=dupes.empty,
        metadata={"duplicates": dg.MetadataValue.json(dupes.astype(str).to_dict("records"))},
    )


OPEN_QUARANTINE_BY_DAY_SQL = (
    "SELECT tenant_id, partition_date, source, reason, count(*) AS records "
    f"FROM {QUARANTINED_RECORDS.qualified} WHERE status = 'open' "
    "GROUP BY tenant_id, partition_date, source, reason ORDER BY 1, 2, 3, 4 LIMIT 50"
)


@dg.asset_check(asset="call_records")
def no_open_quarantine(warehouse: Warehouse) -> dg.AssetCheckResult:
    """No source record waits in raw.quarantined_records. A WARN, never a block: the records'
    neighbours landed. Fix the source (or upgrade callintel), then re-drive by re-materializing
    the listed tenant-days (a full refetch); the records that land are marked resolved."""
    open_rows = warehouse.query(OPEN_QUARANTINE_BY_DAY_SQL)
    partitions = sorted(
        {
            f"{d}|{t}"
            for t, d in zip(
                open_rows.tenant_id, open_rows.partition_date.astype(str).str[:10], strict=True
            )
        }
    )
    return dg.AssetCheckResult(
        passed=open_rows.empty,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "open_records": int(open_rows["records"].sum()) if len(open_rows) else 0,
            "by_day_and_reason": dg.MetadataValue.json(open_rows.astype(str).to_dict("records")),
            "redrive": dg.MetadataValue.md(
                "Re-materialize these partitions of `call_records` / `crm_leads` "
                "(a full refetch): " + (", ".join(f"`{p}`" for p in partitions) or "none")
            ),
        },
    )


@dg.asset_check(asset="call_records", blocking=True)
def call_phones_e164_or_flagged(warehouse: Warehouse) -> dg.AssetCheckResult:
    """Every caller number is valid E.164 or flagged with the reason (never dropped)."""
    return phones_check(warehouse, CALL_RECORDS.qualified, "call_id")


@dg.asset_check(asset="crm_leads", blocking=True)
def lead_phones_e164_or_flagged(warehouse: Warehouse) -> dg.AssetCheckResult:
    """Every lead number is valid E.164 or flagged with the reason (never dropped)."""
    return phones_check(warehouse, CRM_LEADS.qualified, "lead_id")


def phones_check(warehouse: Warehouse, table: str, id_column: str) -> dg.AssetCheckResult:
    rows = warehouse.query(
        f"SELECT {id_column} AS id, phone_valid, phone_e164, phone_issue "
        f"FROM {table} WHERE phone_valid OR phone_issue IS NULL"
    )
    bad = [
        r["id"]
        for r in rows.to_dict("records")
        if (r["phone_valid"] and not is_e164(r["phone_e164"] or ""))
        or (not r["phone_valid"] and not r["phone_issue"])
    ]
    return dg.AssetCheckResult(
        passed=not bad,
        metadata={"checked_valid": len(rows), "violations": dg.MetadataValue.json(bad[:20])},
    )


@dg.asset_check(asset="call_analyses")
def analyses_conform_to_schema(
    registry: TenantRegistry, warehouse: Warehouse
) -> dg.AssetCheckResult:
    """Every successful analysis made with the tenant's current agents validates against their
    output schema; every other outcome carries a reason. Rows from older agent versions are
    counted as stale (they are re-analysed on their next run)."""
    rows = warehouse.query(
        "SELECT tenant_id, call_id, analysis_status, reason, agent_version, analysis_json "
        f"FROM {CALL_ANALYSES.qualified}"
    )
    tenants = {t.id: t for t in registry.load().tenants}
    models, bad, stale = {}, [], 0
    for r in rows.to_dict("records"):
        tenant = tenants.get(r["tenant_id"])
        if r["analysis_status"] != "ok":
            if not r["reason"]:
                bad.append(r["call_id"])
            continue
        if tenant is None or r["agent_version"] != agent_version(tenant):
            stale += 1
            continue
        if tenant.id not in models:  # building the model costs ~3 ms: once per tenant, not row
            models[tenant.id] = output_model(tenant.llm)
        model = models[tenant.id]
        try:
            model.model_validate_json(r["analysis_json"] or "")
        except ValidationError:
            bad.append(r["call_id"])
    return dg.AssetCheckResult(
        passed=not bad,
        metadata={
            "checked": len(rows) - stale,
            "stale_versions": stale,
            "violations": dg.MetadataValue.json(bad[:20]),
        },
    )
