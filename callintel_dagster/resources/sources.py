"""Sources of CRM leads and call records. A tenant picks one per stage in tenants.yaml.

Each source returns plain dicts (see lib/synthetic.py for the keys) for one tenant-local day.
Real providers (Bolna, Zoho CRM, LeadSquared, a SQL DB, a drop folder) implement the same methods.
"""

from datetime import date, datetime
from typing import Protocol

import dagster as dg

from callintel_dagster.lib.registry import Tenant
from callintel_dagster.lib.synthetic import generate_day


class CallSource(Protocol):
    provider: str

    def calls_for_day(self, day: date, now_utc: datetime) -> list[dict]: ...


class LeadSource(Protocol):
    provider: str

    def leads_for_day(self, day: date, now_utc: datetime) -> list[dict]: ...


class SyntheticSource:
    """Deterministic leads and calls per (tenant, day, seed); only what happened before `now`."""

    provider = "synthetic"

    def __init__(self, tenant: Tenant):
        self._tenant = tenant

    def _day(self, day: date, now_utc: datetime):
        return generate_day(
            self._tenant.id,
            day,
            self._tenant.timezone,
            calls_per_day=self._tenant.calls.calls_per_day,
            leads_per_day=self._tenant.crm.leads_per_day,
            seed=self._tenant.calls.seed,
            now_utc=now_utc,
        )

    def calls_for_day(self, day: date, now_utc: datetime) -> list[dict]:
        return self._day(day, now_utc).calls

    def leads_for_day(self, day: date, now_utc: datetime) -> list[dict]:
        return self._day(day, now_utc).leads


class CallSources(dg.ConfigurableResource):
    """Builds the call source a tenant configured under `calls:`."""

    def for_tenant(self, tenant: Tenant) -> CallSource:
        match tenant.calls.provider:
            case "synthetic":
                return SyntheticSource(tenant)
        raise ValueError(f"tenant {tenant.id}: unknown calls provider {tenant.calls.provider!r}")


class LeadSources(dg.ConfigurableResource):
    """Builds the CRM a tenant configured under `crm:`."""

    def for_tenant(self, tenant: Tenant) -> LeadSource:
        match tenant.crm.provider:
            case "synthetic":
                return SyntheticSource(tenant)
        raise ValueError(f"tenant {tenant.id}: unknown crm provider {tenant.crm.provider!r}")
