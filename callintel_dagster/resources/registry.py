"""The tenant registry as a resource: assets, sensors and schedules read tenants through it."""

import dagster as dg

from callintel_dagster.lib.tenants.registry import Registry, Tenant, load_registry


class TenantRegistry(dg.ConfigurableResource):
    """`path`: the tenants.yaml file (CALLINTEL_TENANTS)."""

    path: str

    def load(self) -> Registry:
        return load_registry(self.path)

    def tenant(self, tenant_id: str) -> Tenant:
        return self.load().get(tenant_id)
