"""One run over many tenant-days: each partition shows its own figures and preview in the UI."""

from conftest import DAY, register_tenants


def test_each_partition_of_a_range_run_has_its_own_metadata(defs, instance):
    register_tenants(instance)
    result = defs.resolve_job_def("daily_job").execute_in_process(
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": f"{DAY}|acme",
            "dagster/asset_partition_range_end": f"{DAY}|globex",
        },
    )
    assert result.success
    meta = {
        (e.asset_key.to_user_string(), e.partition): {
            k: v.value for k, v in e.materialization.metadata.items()
        }
        for e in result.get_asset_materialization_events()
    }
    acme, globex = f"{DAY}|acme", f"{DAY}|globex"
    # conftest's registry: acme has 30 calls a day, globex 20
    assert meta[("call_records", acme)]["dagster/row_count"] == 30
    assert meta[("call_records", globex)]["dagster/row_count"] == 20
    assert meta[("call_records", acme)]["run_partitions"] == 2
    assert meta[("call_analyses", acme)]["dagster/row_count"] == 30
    assert meta[("fct_calls", globex)]["dagster/row_count"] == 20
    assert meta[("kpi_tenant_daily", acme)]["dagster/row_count"] == 1
    # each partition previews its own digest
    assert "Acme Realty" in meta[("whatsapp_digest", acme)]["preview"]
    assert "Globex" in meta[("whatsapp_digest", globex)]["preview"]
    assert "Globex" not in meta[("whatsapp_digest", acme)]["preview"]
    # reasons are counted by code, not listed call by call
    reasons = meta[("call_analyses", acme)]["reasons"]
    assert all(":" not in code for code in reasons) and sum(reasons.values()) <= 30
