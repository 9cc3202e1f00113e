"""Schedules and sensors evaluated for real against a test instance and warehouse."""

import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from dagster._core.test_utils import create_run_for_test

from callintel_dagster.definitions import resolved_resource
from callintel_dagster.partitions import range_tags, tenants_partitions
from callintel_dagster.schedules import digest_schedule, send_time_in_tick, sync_schedule
from callintel_dagster.sensors.late_digest import LATE_TAG, late_requests
from callintel_dagster.sensors.new_calls import MAX_RETRIES, RETRY_BASE_S, new_calls_sensor
from callintel_dagster.sensors.tenant_registry import tenant_registry_sensor
from conftest import register_tenants, run_job


def test_registry_sensor_adds_tenants_and_never_deletes(defs, instance):
    instance.add_dynamic_partitions(tenants_partitions.name, ["old_tenant"])
    ctx = dg.build_sensor_context(
        instance=instance, resources={"registry": defs.resources["registry"]}
    )
    result = tenant_registry_sensor(ctx)
    [request] = result.dynamic_partitions_requests
    assert sorted(request.partition_keys) == ["acme", "globex"]
    instance.add_dynamic_partitions(tenants_partitions.name, list(request.partition_keys))
    again = tenant_registry_sensor(ctx)
    assert isinstance(again, dg.SkipReason) and "old_tenant" in again.skip_message


def test_sync_schedule_is_one_run_for_all_tenants(defs, instance):
    register_tenants(instance)
    # 20:00 UTC: already the 21st in India, still the 20th in Los Angeles
    ctx = dg.build_schedule_context(
        instance=instance,
        resources={"registry": defs.resources["registry"]},
        scheduled_execution_time=datetime(2026, 11, 20, 20, 0, tzinfo=UTC),
    )
    request = sync_schedule(ctx)
    assert isinstance(request, dg.RunRequest)
    assert request.tags["dagster/asset_partition_range_start"] == "2026-11-20|acme"
    assert request.tags["dagster/asset_partition_range_end"] == "2026-11-21|globex"
    assert request.tags["callintel/tenants"] == "acme,globex"
    assert request.tags["callintel/sync"] == "incremental"


def test_sync_range_runs_in_one_run_and_skips_days_not_begun(defs, instance):
    register_tenants(instance)
    today = datetime.now(UTC)
    from callintel_dagster.lib.dayspan import local_today

    days = sorted({local_today("Asia/Kolkata", today), local_today("America/Los_Angeles", today)})
    result = defs.resolve_job_def("sync_job").execute_in_process(
        instance=instance,
        tags=range_tags(f"{days[0]}|acme", f"{days[-1]}|globex"),
    )
    assert result.success
    warehouse = resolved_resource(defs, "warehouse")
    logged = warehouse.query("SELECT DISTINCT tenant_id, partition_date FROM raw.sync_log")
    for row in logged.to_dict("records"):
        tz = "Asia/Kolkata" if row["tenant_id"] == "acme" else "America/Los_Angeles"
        assert str(row["partition_date"])[:10] <= local_today(tz, today).isoformat()
    assert len(instance.get_runs()) == 1


@pytest.mark.parametrize(
    "send,tz,tick,expected",
    [
        (time(8, 30), "Asia/Kolkata", datetime(2026, 11, 21, 3, 0, tzinfo=UTC), True),  # 08:30 IST
        (time(8, 30), "Asia/Kolkata", datetime(2026, 11, 21, 3, 15, tzinfo=UTC), False),
        (time(8, 30), "Asia/Kolkata", datetime(2026, 11, 21, 2, 45, tzinfo=UTC), False),
        (time(7, 0), "America/Los_Angeles", datetime(2026, 11, 21, 15, 0, tzinfo=UTC), True),
        (time(7, 5), "America/Los_Angeles", datetime(2026, 11, 21, 15, 15, tzinfo=UTC), True),
    ],
)
def test_send_time_falls_in_exactly_one_tick(send, tz, tick, expected):
    assert send_time_in_tick(send, tz, tick) is expected


def test_digest_schedule_requests_yesterday_for_the_tenant_due(defs, instance):
    register_tenants(instance)
    ctx = dg.build_schedule_context(
        instance=instance,
        resources={"registry": defs.resources["registry"]},
        scheduled_execution_time=datetime(2026, 11, 21, 3, 0, tzinfo=UTC),
    )
    [request] = digest_schedule(ctx)
    assert request.partition_key == "2026-11-20|acme"
    assert request.run_key == "digest:acme:2026-11-20"
    later = dg.build_schedule_context(
        instance=instance,
        resources={"registry": defs.resources["registry"]},
        scheduled_execution_time=datetime(2026, 11, 21, 3, 15, tzinfo=UTC),
    )
    assert isinstance(digest_schedule(later), dg.SkipReason)


def test_new_calls_sensor_requests_once_and_repeat_tick_does_nothing(defs, instance):
    run_job(defs, instance, job="sync_job")  # calls ingested, not processed
    resources = {"warehouse": resolved_resource(defs, "warehouse")}
    ctx = dg.build_sensor_context(instance=instance, resources=resources)
    first = new_calls_sensor(ctx)
    [request] = first.run_requests
    assert request.partition_key == "2026-11-18|acme"
    repeat = new_calls_sensor(
        dg.build_sensor_context(instance=instance, resources=resources, cursor=first.cursor)
    )
    assert not repeat.run_requests
    run_job(defs, instance, job="processing_job")
    done = new_calls_sensor(
        dg.build_sensor_context(instance=instance, resources=resources, cursor=first.cursor)
    )
    assert not done.run_requests and done.cursor == "{}"


def _ticks(start: datetime, hours: int):
    return [start + timedelta(minutes=15 * i) for i in range(hours * 4)]


@pytest.mark.parametrize(
    "tz,day",
    [
        ("Europe/London", date(2026, 3, 29)),  # 23 hours: 01:00 -> 02:00
        ("Europe/London", date(2026, 10, 25)),  # 25 hours: 01:00 twice
        ("America/Los_Angeles", date(2026, 3, 8)),
        ("America/Los_Angeles", date(2026, 11, 1)),
        ("Australia/Lord_Howe", date(2026, 10, 4)),  # a 30-minute DST shift
        ("Asia/Kolkata", date(2026, 3, 29)),
    ],
)
@pytest.mark.parametrize(
    "send", [time(0, 0), time(1, 0), time(1, 30), time(1, 59), time(2, 0), time(2, 30), time(8, 0)]
)
def test_every_local_day_gets_its_send_time_exactly_once_across_dst(tz, day, send):
    # every 15-minute tick from two days before to two days after the DST change
    start = datetime.combine(day - timedelta(days=2), time(0, 0), tzinfo=UTC)
    fired = [t for t in _ticks(start, 24 * 5) if send_time_in_tick(send, tz, t)]
    local_days = [t.astimezone(ZoneInfo(tz)).date() for t in fired]
    # one tick per local day, and no local day twice (the gap day included)
    assert len(local_days) == len(set(local_days)), (tz, send, fired)
    assert day in local_days, (tz, send)
    for d in (day - timedelta(days=1), day, day + timedelta(days=1)):
        assert d in local_days


def test_spring_gap_send_time_goes_out_just_after_the_gap():
    # 01:30 does not exist in London on 2026-03-29: the digest goes at 02:30 BST (01:30 UTC)
    ticks = _ticks(datetime(2026, 3, 29, 0, 0, tzinfo=UTC), 24)
    fired = [t for t in ticks if send_time_in_tick(time(1, 30), "Europe/London", t)]
    assert fired == [datetime(2026, 3, 29, 1, 30, tzinfo=UTC)]


def test_new_calls_sensor_requests_a_failed_tenant_day_again_with_backoff(defs, instance):
    run_job(defs, instance, job="sync_job")
    resources = {"warehouse": resolved_resource(defs, "warehouse")}

    def tick(cursor):
        ctx = dg.build_sensor_context(instance=instance, resources=resources, cursor=cursor)
        return new_calls_sensor(ctx)

    def days_later(cursor, seconds):  # the cursor remembers when it last asked
        state = json.loads(cursor)
        for value in state.values():
            value["at"] -= seconds
        return json.dumps(state)

    first = tick(None)
    [request] = first.run_requests
    create_run_for_test(
        instance,
        job_name="processing_job",
        tags={"dagster/partition": request.partition_key},
        status=dg.DagsterRunStatus.FAILURE,
    )
    assert not tick(first.cursor).run_requests  # failed just now: wait before asking again
    cursor = first.cursor
    for retry in range(1, MAX_RETRIES + 1):
        result = tick(days_later(cursor, RETRY_BASE_S * 4 ** (retry - 1) + 1))
        [again] = result.run_requests
        assert again.run_key.endswith(f":retry{retry}")
        assert again.partition_key == request.partition_key
        assert not tick(result.cursor).run_requests  # one request per backoff window
        cursor = result.cursor
    assert not tick(days_later(cursor, 10**6)).run_requests  # bounded


def test_a_digest_that_missed_its_time_is_requested_late_once(defs, instance):
    register_tenants(instance)
    warehouse = resolved_resource(defs, "warehouse")
    tenants = resolved_resource(defs, "registry").load().active
    # 2026-11-19 04:00 UTC: 09:30 in Kolkata (acme sends at 08:30: its 18th is due) and 20:00 on
    # the 18th in Los Angeles (globex sent its 17th at 07:00 - it never went out)
    now = datetime(2026, 11, 19, 4, 0, tzinfo=UTC)
    late = {r.partition_key: r for r in late_requests(instance, tenants, warehouse, now)}
    assert sorted(late) == ["2026-11-17|globex", "2026-11-18|acme"]
    assert late["2026-11-18|acme"].run_key == "digest-late:acme:2026-11-18"
    assert late["2026-11-18|acme"].tags[LATE_TAG] == "2026-11-19T03:00+00:00"
    in_grace = late_requests(instance, tenants, warehouse, now - timedelta(minutes=45))
    assert [r.partition_key for r in in_grace] == ["2026-11-17|globex"]  # acme: 15 min late

    run_job(defs, instance)  # the day's run delivers acme's digest for the 18th
    still = late_requests(instance, tenants, warehouse, now)
    assert [r.partition_key for r in still] == ["2026-11-17|globex"]
