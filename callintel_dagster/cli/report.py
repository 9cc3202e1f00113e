"""The per-tenant summary the demo prints: what was ingested, analysed, and the last digest."""

from collections import Counter

from callintel_dagster.env import Env
from callintel_dagster.lib.ingest.redaction import counts_of
from callintel_dagster.lib.shared_store import vector_location
from callintel_dagster.lib.tables import (
    CALL_ANALYSES,
    CALL_RECORDS,
    CALL_TRANSCRIPTS,
    CRM_LEADS,
    CRM_WRITEBACKS,
    DIGESTS,
    DIM_CONTACTS,
    FCT_CALLS,
    KPI_TENANT_DAILY,
    QUARANTINED_RECORDS,
)
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.resources.warehouse import Warehouse

COUNTS_SQL = f"""
SELECT
  (SELECT count(*) FROM {CRM_LEADS.qualified} WHERE tenant_id = ?) AS leads,
  (SELECT count(*) FROM {CALL_RECORDS.qualified} WHERE tenant_id = ?) AS calls,
  (SELECT count(*) FROM {DIM_CONTACTS} WHERE tenant_id = ?) AS contacts,
  (SELECT count(*) FROM {CALL_ANALYSES.qualified} WHERE tenant_id = ? AND analysis_status = 'ok')
    AS analysed,
  (SELECT count(*) FROM {CALL_ANALYSES.qualified} WHERE tenant_id = ? AND analysis_status = 'skipped')
    AS skipped,
  (SELECT count(*) FROM {CALL_ANALYSES.qualified} WHERE tenant_id = ? AND analysis_status = 'failed')
    AS failed
"""
# what links and lands: calls matched to a CRM lead, notes written back, records held out
FIDELITY_SQL = f"""
SELECT
  (SELECT count(*) FROM {FCT_CALLS} WHERE tenant_id = ? AND lead_id IS NOT NULL) AS linked,
  (SELECT count(*) FROM {CRM_WRITEBACKS.qualified} WHERE tenant_id = ? AND status = 'written')
    AS written_back,
  (SELECT count(*) FROM {CALL_RECORDS.qualified} WHERE tenant_id = ? AND repairs IS NOT NULL)
    AS repaired,
  (SELECT count(*) FROM {QUARANTINED_RECORDS.qualified} WHERE tenant_id = ? AND status = 'open')
    AS quarantined
"""


def print_report(warehouse: Warehouse, tenants: list[Tenant], env: Env) -> None:
    for tenant in tenants:
        c = warehouse.query(COUNTS_SQL, [tenant.id] * 6).iloc[0]
        print(f"== {tenant.name} ({tenant.id}, {tenant.timezone})")
        print(
            f"   leads {c.leads} · calls {c.calls} · contacts {c.contacts} · analysed {c.analysed} · "
            f"skipped {c.skipped} · failed {c.failed}"
        )
        f = warehouse.query(FIDELITY_SQL, [tenant.id] * 4).iloc[0]
        print(
            f"   calls linked to a lead {f.linked} · notes written back {f.written_back} · "
            f"repaired rows {f.repaired} · quarantined {f.quarantined}"
        )
        llm = warehouse.query(
            "SELECT provider, model, count(*) AS calls, sum(requests) AS requests, "
            "sum(CASE WHEN cache_hit THEN 1 ELSE 0 END) AS cached, "
            "sum(prompt_tokens + completion_tokens) AS tokens, sum(cost_usd) AS cost "
            f"FROM {CALL_ANALYSES.qualified} WHERE tenant_id = ? AND analysis_status = 'ok' "
            "GROUP BY provider, model",
            [tenant.id],
        )
        audio = warehouse.query(
            f"SELECT provider, transcript_status AS status, count(*) AS n FROM {CALL_TRANSCRIPTS.qualified} "
            "WHERE tenant_id = ? AND audio_sha256 IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2",
            [tenant.id],
        )
        if len(audio):
            parts = ", ".join(f"{r.status} {r.n}" for r in audio.itertuples())
            print(f"   transcribed from audio by {audio['provider'][0]}: {parts}")
        for r in llm.itertuples():
            print(
                f"   analysed by {r.provider} {r.model}: {r.calls} calls, {r.requests} requests, "
                f"{r.cached} from cache, {int(r.tokens or 0):,} tokens, ${float(r.cost or 0):.4f}"
            )
        print(f"   {privacy_line(warehouse, tenant)}")
        kpi = warehouse.query(
            f"SELECT * FROM {KPI_TENANT_DAILY} WHERE tenant_id = ? "
            "ORDER BY partition_date DESC LIMIT 1",
            [tenant.id],
        )
        if not kpi.empty:
            k = kpi.iloc[0]
            print(
                f"   KPIs {k.partition_date}: calls {k.calls}, connected {k.connected_calls} "
                f"({_pct(k.connect_rate)}), talk {_num(k.talk_minutes)} min, "
                f"avg quality {_num(k.avg_quality_score)}, new leads {k.new_leads}, "
                f"qualified {k.qualified_leads}, booked {k.booked}"
            )
        digest = warehouse.query(
            "SELECT partition_date, recipient, provider, delivery_status, body, location "
            f"FROM {DIGESTS.qualified} WHERE tenant_id = ? "
            "ORDER BY partition_date DESC, recipient LIMIT 1",
            [tenant.id],
        )
        if not digest.empty:
            d = digest.iloc[0]
            print(
                f"   digest for {d.partition_date} → {d.recipient} "
                f"({d.provider} {d.delivery_status}: {d.location}):"
            )
            print("   | " + d.body.replace("\n", "\n   | "))
        print()
    where = "PostgreSQL (CALLINTEL_WAREHOUSE_URL)" if env.warehouse_url else env.duckdb_path
    print(f"warehouse: {where}")
    print(f"vectors:   {vector_location(env)[0]}")
    print("explore:   make ui  →  http://127.0.0.1:3000")


def privacy_line(warehouse: Warehouse, tenant: Tenant) -> str:
    """`privacy (mask): 7 entities redacted in 5 calls (EMAIL 2, PHONE 5)`, from the counts
    the transcription stage recorded per call (docs/privacy.md)."""
    cfg = tenant.privacy
    if not cfg.enabled or not cfg.entities:
        return "privacy: redaction off"
    stored = warehouse.query(
        f"SELECT redactions_json FROM {CALL_TRANSCRIPTS.qualified} "
        "WHERE tenant_id = ? AND redactions_json IS NOT NULL",
        [tenant.id],
    )["redactions_json"]
    per_call = [counts_of(s) for s in stored]
    total = sum(per_call, Counter())
    kinds = ", ".join(f"{entity} {n}" for entity, n in sorted(total.items())) or "none found"
    kept = "raw transcripts kept for admins" if cfg.keep_raw else "raw transcripts not kept"
    return (
        f"privacy ({cfg.method}): {total.total()} entities redacted in "
        f"{sum(1 for c in per_call if c)} of {len(per_call)} calls ({kinds}); {kept}"
    )


def _pct(value) -> str:
    return "n/a" if value is None or value != value else f"{100 * float(value):.0f}%"


def _num(value) -> str:
    return "n/a" if value is None or value != value else f"{float(value):.1f}"
