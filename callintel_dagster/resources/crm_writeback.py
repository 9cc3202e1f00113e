"""Writers that put each analysed call's contact tag and one-line summary on the lead in the
tenant's CRM (`crm: {..., writeback: true}` in tenants.yaml).

- Zoho CRM: a note on the lead (providers/zoho/writeback.py).
- LeadSquared: a custom activity on the lead (providers/leadsquared/writeback.py).
- Bolna: no customer-record write API in its contract, so nothing can be written; its writer says
  so (`can_write` False, with the reason; providers/bolna/writeback.py) and stages/writeback.py
  records "no_crm_api" instead.
Each writer is built by its provider's factory (providers/registry.py); secrets are resolved at
run time by providers/secrets.py.
"""

import dagster as dg

from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.base import CrmWriter
from callintel_dagster.providers.registry import build


def writeback_enabled(tenant: Tenant) -> bool:
    """The per-tenant switch: `crm.writeback` (CRMs without the setting never write back)."""
    return bool(getattr(tenant.crm, "writeback", False))


class CrmWriters(dg.ConfigurableResource):
    """Builds the write-back client of the CRM a tenant configured under `crm:`."""

    def for_tenant(self, tenant: Tenant) -> CrmWriter:
        return build("writeback", tenant.id, tenant.crm.provider, tenant, tenant.crm)
