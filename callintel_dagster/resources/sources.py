"""Sources of CRM leads, deals and call records. A tenant picks one per stage in tenants.yaml.

Every source answers for a `SyncWindow` (a tenant-local day, optionally only what changed) with
plain record dicts (see lib/ingest/rows.py for the keys), counts the requests it made and declares
its capabilities (providers/base.py). Which class serves which name is providers/registry.py's
business; secrets are resolved at run time by providers/secrets.py.
"""

from pathlib import Path

import dagster as dg

from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.base import CallSource, LeadSource
from callintel_dagster.providers.registry import build


class CallSources(dg.ConfigurableResource):
    """Builds the call source a tenant configured under `calls:`. `home`: CALLINTEL_HOME (the
    drop folders live there)."""

    home: str

    def for_tenant(self, tenant: Tenant) -> CallSource:
        return build(
            "calls", tenant.id, tenant.calls.provider, tenant, tenant.calls, Path(self.home)
        )


class LeadSources(dg.ConfigurableResource):
    """Builds the CRM a tenant configured under `crm:`."""

    home: str

    def for_tenant(self, tenant: Tenant) -> LeadSource:
        return build("crm", tenant.id, tenant.crm.provider, tenant, tenant.crm, Path(self.home))
