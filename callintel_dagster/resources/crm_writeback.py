"""Writers that put each analysed call's contact tag and one-line summary on the lead in the
tenant's CRM (`crm: {..., writeback: true}` in tenants.yaml).

- Zoho CRM: a note on the lead (providers/zoho/writeback.py).
- LeadSquared: a custom activity on the lead (providers/leadsquared/writeback.py).
- Bolna: no customer-record write API in its contract, so nothing can be written; its writer says
  so (`can_write` False, with the reason) and stages/writeback.py records "no_crm_api" instead.
Secrets are resolved from the environment variables the registry names, at run time.
"""

import dagster as dg

from callintel_dagster.lib.crm_notes import CallNote
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.base import CrmWriter
from callintel_dagster.resources.sources import secret


class BolnaNoWriter:
    provider = "bolna"
    requests = 0
    can_write = False
    reason = (
        "Bolna has no customer-record API to write to (only agents and executions); "
        "tag and summary stay in callintel (marts.fct_calls)"
    )

    def write_call_note(self, lead_id: str, note: CallNote, *, check_existing: bool = False) -> str:
        # never called: stages/writeback.py checks `can_write` and records no_crm_api instead
        raise RuntimeError(f"bolna: cannot write back: {self.reason}")

    def close(self) -> None:
        pass


def writeback_enabled(tenant: Tenant) -> bool:
    """The per-tenant switch: `crm.writeback` (CRMs without the setting never write back)."""
    return bool(getattr(tenant.crm, "writeback", False))


class CrmWriters(dg.ConfigurableResource):
    """Builds the write-back client of the CRM a tenant configured under `crm:`."""

    def for_tenant(self, tenant: Tenant) -> CrmWriter:
        config = tenant.crm
        # imported here: each provider pulls in its HTTP client only when a tenant uses it
        match config.provider:
            case "zoho":
                from callintel_dagster.providers.zoho.writeback import ZohoWriter

                return ZohoWriter(
                    tenant.id,
                    config,
                    secret(tenant, "zoho", config.client_id_env),
                    secret(tenant, "zoho", config.client_secret_env),
                    secret(tenant, "zoho", config.refresh_token_env),
                )
            case "leadsquared":
                from callintel_dagster.providers.leadsquared.writeback import (
                    LeadSquaredWriter,
                )

                return LeadSquaredWriter(
                    tenant.id,
                    config,
                    secret(tenant, "leadsquared", config.access_key_env),
                    secret(tenant, "leadsquared", config.secret_key_env),
                    discovery_url=config.discovery_url,
                )
            case "bolna":
                return BolnaNoWriter()
        raise ValueError(f"tenant {tenant.id}: CRM {config.provider!r} has no write-back")
