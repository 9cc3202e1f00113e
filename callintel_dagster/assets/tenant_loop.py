"""Run an asset's work tenant by tenant so one tenant's failure never blocks the others."""

import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date
from typing import TypeVar

import dagster as dg

from callintel_dagster.instance.worker import record_worker
from callintel_dagster.lib.dayspan import local_today
from callintel_dagster.lib.tenants.registry import RegistryError, Tenant
from callintel_dagster.partitions import partition_slices
from callintel_dagster.providers.base import RetryableProviderError
from callintel_dagster.providers.registry import pool as provider_pool
from callintel_dagster.resources.pool_slots import PoolSlots, PoolWaitTimeout
from callintel_dagster.resources.registry import TenantRegistry

T = TypeVar("T")
X = TypeVar("X")
LIVE_STATUSES = {
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
}
TRANSIENT = (RetryableProviderError, PoolWaitTimeout, TimeoutError, ConnectionError)


class TenantRun:
    """Iterate the run's tenants with their days; collect per-tenant failures, then fail loudly."""

    def __init__(self, context: dg.AssetExecutionContext, registry: TenantRegistry):
        self.context = context
        record_worker(context)  # so run monitoring can tell when this process dies
        self.slices = partition_slices(context)
        self._registry = registry.load()
        self.failures: dict[str, str] = {}
        self.transient: set[str] = set()  # tenants whose failure a later attempt may not meet
        self.unknown: list[str] = []  # not in the registry, or inactive: no work, no deletes
        self.future: set[tuple[str, date]] = set()
        self.seconds: dict[str, float] = {}  # each tenant's wall time in `each`

    def tenants(self) -> Iterator[tuple[Tenant, list[date]]]:
        days: dict[str, list[date]] = defaultdict(list)
        for tenant_id, day in self.slices:
            days[tenant_id].append(day)
        for tenant_id, tenant_days in days.items():
            try:
                tenant = self._registry.get(tenant_id)
            except RegistryError:
                # removed from tenants.yaml: keep its data, do no new work
                self.context.log.warning(f"tenant {tenant_id} is not in the registry; skipped")
                self.unknown.append(tenant_id)
                continue
            if not tenant.active:
                self.context.log.warning(f"tenant {tenant_id} is inactive (active: false); skipped")
                self.unknown.append(tenant_id)
                continue
            # a day that has not begun in the tenant's timezone has nothing to process yet
            today = local_today(tenant.timezone)
            future = [d for d in tenant_days if d > today]
            if future:
                self.context.log.info(f"tenant {tenant_id}: {len(future)} future day(s) skipped")
                self.future.update((tenant_id, d) for d in future)
            if current := [d for d in tenant_days if d <= today]:
                yield tenant, current

    def each(self, stage: str, work: Callable[[Tenant, list[date]], T]) -> list[tuple[Tenant, T]]:
        """`work(tenant, days)` for every tenant of the run, with what each returned; a tenant
        whose work raises is recorded as failed (see `fail`) and left out."""
        return self.each_of(stage, list(self.tenants()), work)

    def each_of(
        self, stage: str, items: list[tuple[Tenant, X]], work: Callable[[Tenant, X], T]
    ) -> list[tuple[Tenant, T]]:
        """`each` over what an earlier phase returned per tenant (e.g. `each`'s own result):
        work done in phases (read all, fetch all, write all) with the same isolation."""
        done = []
        for tenant, item in items:
            began = time.perf_counter()
            try:
                done.append((tenant, work(tenant, item)))
            except Exception as exc:  # noqa: BLE001 - isolate the tenant, report at the end
                self.fail(tenant, stage, exc)
            finally:
                spent = time.perf_counter() - began
                self.seconds[tenant.id] = self.seconds.get(tenant.id, 0.0) + spent
        return done

    def timing(self, kind_of: Callable[[Tenant], str]) -> dict:
        """Where the loop's time went, small enough for every partition's metadata: the median
        and slowest tenant, and seconds per kind (e.g. provider) with its tenant count."""
        if not self.seconds:
            return {}
        slowest = max(self.seconds, key=self.seconds.get)
        by_kind: dict[str, list[float]] = defaultdict(list)
        for tenant_id, seconds in self.seconds.items():
            by_kind[kind_of(self._registry.get(tenant_id))].append(seconds)
        return {
            "median_s": round(statistics.median(self.seconds.values()), 3),
            "slowest": f"{slowest} {self.seconds[slowest]:.2f} s",
            "by_kind": {
                k: {"tenants": len(v), "seconds": round(sum(v), 2)}
                for k, v in sorted(by_kind.items())
            },
        }

    def pool_slots(self, kind: str, tenant: Tenant, provider: str) -> PoolSlots | None:
        """Slots of the provider's Dagster pool for its concurrent requests (None: it makes
        none), e.g. kind "llm" with the tenant's `llm.provider`."""
        pool = provider_pool(kind, tenant.id, provider)
        return PoolSlots(self.context, pool) if pool else None

    def fail(self, tenant: Tenant, stage: str, exc: Exception) -> None:
        reason = f"{type(exc).__name__}: {exc}"
        self.failures[tenant.id] = reason
        if isinstance(exc, TRANSIENT):
            self.transient.add(tenant.id)
        self.context.log.error(f"tenant {tenant.id}: {stage} failed: {reason}")

    def done_slices(self) -> list[tuple[str, date]]:
        """Slices of tenants that ran without failure (the ones safe to replace)."""
        skip = set(self.failures) | set(self.unknown)
        return [(t, d) for t, d in self.slices if t not in skip and (t, d) not in self.future]

    def is_live(self, run_id: str) -> bool:
        """Whether that run may still be working (a dead worker's run is failed by monitoring)."""
        other = self.context.instance.get_run_by_id(run_id)
        return other is not None and other.status in LIVE_STATUSES

    def left_to_others(self, tenant: Tenant, left: dict[str, dict[str, int]]) -> None:
        """Log the calls left to the runs that hold them (`left`: run id → {day: calls})."""
        for other, days in sorted(left.items()):
            for day, calls in sorted(days.items()):
                self.context.log.warning(
                    f"tenant {tenant.id} {day}: run {other} is working on {calls} call(s); "
                    "left to that run"
                )

    def raise_failures(self) -> None:
        if self.failures:
            lines = "; ".join(f"{t}: {r}" for t, r in sorted(self.failures.items()))
            raise dg.Failure(
                description=f"{len(self.failures)} tenant(s) failed: {lines}",
                metadata={"failed_tenants": dg.MetadataValue.json(self.failures)},
                # the step's retry policy applies only when trying again can help someone
                allow_retries=bool(self.transient),
            )
