"""Keep the `tenants` dynamic partitions in step with tenants.yaml. Never deletes: a tenant
removed from the file keeps its partitions and its data."""

import dagster as dg

from callintel_dagster.lib.tenants.registry import RegistryError
from callintel_dagster.partitions import tenants_partitions
from callintel_dagster.resources.registry import TenantRegistry


@dg.sensor(minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def tenant_registry_sensor(context: dg.SensorEvaluationContext, registry: TenantRegistry):
    try:
        wanted = [t.id for t in registry.load().tenants]
    except RegistryError as exc:
        return dg.SkipReason(f"tenant registry invalid, partitions unchanged: {exc}")
    known = set(context.instance.get_dynamic_partitions(tenants_partitions.name))
    missing = [t for t in wanted if t not in known]
    removed = sorted(known - set(wanted))
    if not missing:
        note = f"; {len(removed)} removed from the file, kept: {removed}" if removed else ""
        return dg.SkipReason(f"all {len(wanted)} tenants registered{note}")
    context.log.info(f"adding tenant partitions: {missing}")
    return dg.SensorResult(
        dynamic_partitions_requests=[tenants_partitions.build_add_request(missing)]
    )
