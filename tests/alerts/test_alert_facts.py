"""The rules' warehouse reads on real rows, in DuckDB and (integration tier) PostgreSQL."""

from datetime import date, datetime

import pandas as pd
import pytest

from callintel_dagster.alerts import facts
from callintel_dagster.lib.tables import (
    CALL_ANALYSES,
    CRM_WRITEBACKS,
    DIGESTS,
    SYNC_LOG,
    WHATSAPP_LEDGER,
)
from callintel_dagster.resources.warehouse import RowUpsert, Warehouse
from conftest import fresh_postgres_db, requires_postgres

D1, D2 = date(2026, 11, 25), date(2026, 11, 26)
AT = datetime(2026, 11, 26, 9, 0)


def put(writes: list, table, rows: list[dict]) -> None:
    writes.append(RowUpsert(table, ("tenant_id",), pd.DataFrame(rows)))


def seed(warehouse: Warehouse) -> None:
    writes: list[RowUpsert] = []  # one transaction: a DuckDB open costs more than the rows
    sync = {"source": "call_records", "provider": "synthetic", "fetched": 3}
    put(
        writes,
        SYNC_LOG,
        [
            {**sync, "tenant_id": "acme", "partition_date": D1, "synced_at_utc": AT},
            {
                **sync,
                "tenant_id": "acme",
                "partition_date": D2,
                "synced_at_utc": AT.replace(hour=11),
            },
        ],
    )
    digest = {"provider": "outbox", "body": "x", "created_at_utc": AT, "partition_date": D2}
    put(
        writes,
        DIGESTS,
        [
            {**digest, "tenant_id": "acme", "recipient": "+1", "delivery_status": "outboxed"},
            {**digest, "tenant_id": "acme", "recipient": "+2", "delivery_status": "failed"},
        ],
    )
    analysis = {"attempts": 1, "provider": "offline", "model": "m", "agent_version": "v"}
    analysis |= {"input_hash": "h", "tenant_id": "acme", "partition_date": D2}
    statuses = ["ok", "failed", "failed", "skipped"]
    rows = [
        {**analysis, "call_id": f"c{n}", "analysis_status": s, "analysed_at_utc": AT}
        for n, s in enumerate(statuses)
    ]
    # c1 failed on D1, moved to D2 (its provider changed the date), was analysed again later
    # and is ok now: it counts once, as it stands
    rows[1] = {**rows[1], "partition_date": D1}
    rows.append(
        {
            **analysis,
            "call_id": "c1",
            "analysis_status": "ok",
            "analysed_at_utc": AT.replace(hour=10),
        }
    )
    put(writes, CALL_ANALYSES, rows)
    ledger = {"recipient": "+1", "part_index": 0, "parts": 1, "mode": "body", "body_sha256": "s"}
    ledger |= {"created_at_utc": AT, "updated_at_utc": AT, "partition_date": D2}
    put(
        writes,
        WHATSAPP_LEDGER,
        [
            {**ledger, "tenant_id": "acme", "status": "failed", "error_code": 20003},
            {**ledger, "tenant_id": "globex", "status": "failed", "error_code": 63016},
        ],
    )
    wb = {"agent_version": "v", "attempts": 1, "written_at_utc": AT, "partition_date": D1}
    put(
        writes,
        CRM_WRITEBACKS,
        [
            {
                **wb,
                "tenant_id": "globex",
                "call_id": "c1",
                "provider": "zoho",
                "status": "failed",
                "reason": "tenant globex: zoho: POST /crm/v8/Notes → 401: INVALID_TOKEN",
            },
            {
                **wb,
                "tenant_id": "globex",
                "call_id": "c2",
                "provider": "zoho",
                "status": "failed",
                "reason": "tenant globex: zoho: POST /crm/v8/Notes → 400: bad",
            },
        ],
    )
    warehouse.write(writes)


def check(warehouse: Warehouse) -> None:
    seed(warehouse)
    assert facts.last_syncs(warehouse) == {("acme", "call_records"): AT.replace(hour=11)}
    assert facts.delivered_digests(warehouse, D1) == {("acme", D2): 1}
    assert facts.analysis_counts(warehouse, D1) == {("acme", D2): (1, 3)}
    assert facts.analysis_counts(warehouse, date(2026, 11, 27)) == {}
    assert sorted(facts.refused_keys(warehouse, D1)) == [
        ("acme", D2, "whatsapp_digest", "twilio 20003"),
        ("globex", D1, "crm_writeback", "zoho HTTP 401"),
    ]


def test_facts_on_duckdb(tmp_path):
    check(Warehouse(url=f"duckdb:///{tmp_path}/w.duckdb"))


@pytest.mark.integration
@requires_postgres
def test_facts_on_postgres():
    with fresh_postgres_db() as url:
        check(Warehouse(url=url))
