"""Incremental syncs on real components: cursors, upserts, and failures that advance nothing."""

from datetime import UTC, datetime

from callintel_dagster.definitions import resolved_resource
from callintel_dagster.lib.dayspan import local_today
from conftest import register_tenants

INCREMENTAL = {"callintel/sync": "incremental"}


def sync_today(defs, instance, tenant="acme", tags=INCREMENTAL, raise_on_error=True):
    day = local_today("Asia/Kolkata" if tenant == "acme" else "America/Los_Angeles")
    return defs.resolve_job_def("sync_job").execute_in_process(
        instance=instance, partition_key=f"{day}|{tenant}", tags=tags, raise_on_error=raise_on_error
    )


def materialization(result, asset):
    [event] = [
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key.to_user_string() == asset
    ]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_second_sync_reads_only_what_changed(defs, instance):
    register_tenants(instance)
    first = materialization(sync_today(defs, instance), "call_records")
    assert first["full_windows"] == 1 and first["inserted"] == first["fetched"]
    second = materialization(sync_today(defs, instance), "call_records")
    assert second["incremental_windows"] == 1
    assert second["fetched"] <= first["fetched"] and second["inserted"] == 0
    warehouse = resolved_resource(defs, "warehouse")
    calls = warehouse.query("SELECT call_id FROM raw.call_records WHERE tenant_id = 'acme'")
    assert calls["call_id"].is_unique and len(calls) == first["fetched"]
    cursor = warehouse.query(
        "SELECT cursor_utc FROM raw.sync_cursors WHERE tenant_id = 'acme' "
        "AND source = 'call_records'"
    )["cursor_utc"][0]
    assert cursor.to_pydatetime() <= datetime.now(UTC).replace(tzinfo=None)


def test_full_refetch_of_a_past_day_upserts_without_duplicates(defs, instance):
    register_tenants(instance)
    job = defs.resolve_job_def("sync_job")
    for _ in range(2):
        result = job.execute_in_process(instance=instance, partition_key="2026-11-18|acme")
    meta = materialization(result, "call_records")
    assert meta["mode"] == "full" and meta["unchanged"] == meta["fetched"] == 30
    assert meta["inserted"] == meta["updated"] == 0


def test_failed_tenant_never_advances_its_cursor(defs, instance, callintel_env):
    # globex now reads Bolna with a key variable that is not set: its sync must fail clearly,
    # acme's must land, and globex's cursor must not move.
    text = callintel_env.tenants_path.read_text().replace(
        "calls: {provider: synthetic, calls_per_day: 20, seed: 5}",
        "calls: {provider: bolna, api_key_env: BOLNA_KEY_NOT_SET, base_url: 'http://127.0.0.1:9'}",
    )
    callintel_env.tenants_path.write_text(text)
    register_tenants(instance)
    day_a = local_today("Asia/Kolkata")
    day_g = local_today("America/Los_Angeles")
    result = defs.resolve_job_def("sync_job").execute_in_process(
        instance=instance,
        raise_on_error=False,
        tags={
            "dagster/asset_partition_range_start": f"{min(day_a, day_g)}|acme",
            "dagster/asset_partition_range_end": f"{max(day_a, day_g)}|globex",
            **INCREMENTAL,
        },
    )
    assert not result.success
    failure = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert any(
        "globex" in str(e.event_specific_data.error)
        and "BOLNA_KEY_NOT_SET" in str(e.event_specific_data.error)
        for e in failure
    )
    warehouse = resolved_resource(defs, "warehouse")
    cursors = warehouse.query(
        "SELECT tenant_id FROM raw.sync_cursors WHERE source = 'call_records'"
    )
    assert cursors["tenant_id"].tolist() == ["acme"]
    assert (
        warehouse.query("SELECT count(*) AS n FROM raw.call_records WHERE tenant_id = 'acme'")["n"][
            0
        ]
        > 0
    )
