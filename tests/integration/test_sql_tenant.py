"""A tenant whose calls come from a call-centre database, through Dagster, with the CRM filter."""

import sqlalchemy as sa

from callintel_dagster.definitions import resolved_resource
from conftest import defs_for_tenants, register_tenants

TENANTS = """
tenants:
  - id: callcentre
    name: Call Centre
    timezone: Asia/Kolkata
    calls:
      provider: sql
      url_env: CALLCENTRE_DB_URL
      table: cdr
      watermark_column: updated_at
      source_timezone: Asia/Kolkata
      only_crm_phones: {only_crm}
      columns: {{call_id: uniqueid, phone: caller, started_at: call_time,
                duration_seconds: billsec, status: disposition}}
    crm: {{provider: synthetic, leads_per_day: 0}}
"""


def seed(url):
    engine = sa.create_engine(url)
    with engine.begin() as con:
        con.execute(
            sa.text(
                "CREATE TABLE cdr (uniqueid TEXT, caller TEXT, call_time TIMESTAMP, "
                "billsec INTEGER, disposition TEXT, updated_at TIMESTAMP)"
            )
        )
        for i, phone in enumerate(["098123 45678", "+91 98123 45679", "12345"]):
            con.execute(
                sa.text(
                    "INSERT INTO cdr VALUES (:i, :p, '2026-11-18 10:00:00', 60, "
                    "'ANSWER', '2026-11-18 10:02:00')"
                ),
                {"i": f"c{i}", "p": phone},
            )
    engine.dispose()


def materialize(tmp_path, monkeypatch, instance, only_crm):
    url = f"sqlite:///{tmp_path}/cdr.db"
    seed(url)
    monkeypatch.setenv("CALLCENTRE_DB_URL", url)
    defs = defs_for_tenants(tmp_path, monkeypatch, TENANTS.format(only_crm=str(only_crm).lower()))
    register_tenants(instance, ["callcentre"])
    result = defs.resolve_job_def("sync_job").execute_in_process(
        instance=instance, partition_key="2026-11-18|callcentre"
    )
    [event] = [
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key.to_user_string() == "call_records"
    ]
    meta = {k: v.value for k, v in event.materialization.metadata.items()}
    return resolved_resource(defs, "warehouse"), meta


def test_sql_calls_land_with_phones_normalised(tmp_path, monkeypatch, instance):
    warehouse, meta = materialize(tmp_path, monkeypatch, instance, only_crm=False)
    calls = warehouse.query(
        "SELECT call_id, phone_e164, phone_valid FROM raw.call_records ORDER BY call_id"
    )
    assert calls["call_id"].tolist() == ["c0", "c1", "c2"]
    assert calls["phone_e164"].tolist()[:2] == ["+919812345678", "+919812345679"]
    assert not calls["phone_valid"][2], "an invalid number is kept and flagged"
    assert meta["requests"] == 1 and meta["inserted"] == 3


def test_crm_filter_with_no_leads_is_disabled_visibly(tmp_path, monkeypatch, instance):
    warehouse, meta = materialize(tmp_path, monkeypatch, instance, only_crm=True)
    assert meta["crm_filter_disabled_no_leads"] == 1
    assert warehouse.query("SELECT count(*) AS n FROM raw.call_records")["n"][0] == 3
