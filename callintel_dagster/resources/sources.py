"""Sources of CRM leads, deals and call records. A tenant picks one per stage in tenants.yaml.

Every source answers for a `SyncWindow` (a tenant-local day, optionally only what changed) with
plain record dicts (see lib/ingest/rows.py for the keys) and counts the requests it made. Secrets are
resolved from the environment variables the registry names, at run time, through `dagster.EnvVar`.
"""

from datetime import timedelta
from pathlib import Path
from typing import Protocol

import dagster as dg

from callintel_dagster.lib.ingest.window import SyncWindow
from callintel_dagster.lib.synthetic import generate_day
from callintel_dagster.lib.synthetic.audio_calls import audio_only_calls
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.base import PermanentProviderError


class CallSource(Protocol):
    provider: str
    requests: int

    def fetch_calls(self, window: SyncWindow) -> list[dict]: ...


class LeadSource(Protocol):
    provider: str
    requests: int

    def fetch_leads(self, window: SyncWindow) -> list[dict]: ...


class SyntheticSource:
    """Deterministic leads and calls per (tenant, day, seed); only what happened before `now`."""

    provider = "synthetic"
    requests = 0

    def __init__(self, tenant: Tenant, home: Path | None = None):
        calls, crm = tenant.calls, tenant.crm
        samples = calls.audio_samples if calls.provider == "synthetic" else None
        self._samples = home / samples if samples and home else None
        self._tenant = tenant
        self._calls = calls.calls_per_day if calls.provider == "synthetic" else 0
        self._leads = crm.leads_per_day if crm.provider == "synthetic" else 0
        self._seed = calls.seed if calls.provider == "synthetic" else 0

    def _day(self, window: SyncWindow):
        return generate_day(
            self._tenant.id,
            window.day,
            self._tenant.timezone,
            calls_per_day=self._calls,
            leads_per_day=self._leads,
            seed=self._seed,
            now_utc=window.now_utc,
        )

    def fetch_calls(self, window: SyncWindow) -> list[dict]:
        calls = self._day(window).calls
        if self._samples and self._samples.is_dir():
            recorded = audio_only_calls(
                self._tenant.id, window.day, self._tenant.timezone, self._samples
            )
            calls = calls + [c for c in recorded if c["ended_at_utc"] <= window.now_utc]
        if window.since_utc is None:
            return calls
        return [c for c in calls if (c["ended_at_utc"] or c["started_at_utc"]) >= window.since_utc]

    def fetch_leads(self, window: SyncWindow) -> list[dict]:
        leads = self._day(window).leads
        if window.since_utc is None:
            return leads
        return [lead for lead in leads if lead["modified_at_utc"] >= window.since_utc]


def secret(tenant: Tenant, provider: str, env_name: str) -> str:
    """The value of the environment variable the registry names; a clear error when unset."""
    value = dg.EnvVar(env_name).get_value()
    if not value:
        raise PermanentProviderError(
            tenant.id,
            provider,
            f"environment variable {env_name} is not set (named in tenants.yaml)",
        )
    return value


def build_source(tenant: Tenant, config, home: Path) -> CallSource | LeadSource:
    # imported here: each provider pulls in its HTTP client only when a tenant uses it
    match config.provider:
        case "synthetic":
            return SyntheticSource(tenant, home)
        case "bolna":
            from callintel_dagster.providers.bolna.source import BolnaSource

            return BolnaSource(
                tenant.id,
                config,
                secret(tenant, "bolna", config.api_key_env),
                region=tenant.default_region,
            )
        case "zoho":
            from callintel_dagster.providers.zoho.source import ZohoSource

            return ZohoSource(
                tenant.id,
                config,
                secret(tenant, "zoho", config.client_id_env),
                secret(tenant, "zoho", config.client_secret_env),
                secret(tenant, "zoho", config.refresh_token_env),
            )
        case "leadsquared":
            from callintel_dagster.providers.leadsquared.source import LeadSquaredSource

            return LeadSquaredSource(
                tenant.id,
                config,
                secret(tenant, "leadsquared", config.access_key_env),
                secret(tenant, "leadsquared", config.secret_key_env),
                discovery_url=config.discovery_url,
            )
        case "folder":
            from callintel_dagster.providers.folder.source import FolderSource

            return FolderSource.in_home(
                tenant.id,
                home,
                source_timezone=config.source_timezone,
                settle_s=config.settle_s,
                audio_wait_s=config.audio_wait_s,
            )
        case "sql":
            from callintel_dagster.providers.sql import SqlCallSource

            return SqlCallSource(tenant.id, config, secret(tenant, "sql", config.url_env))
    raise ValueError(f"tenant {tenant.id}: unknown provider {config.provider!r}")


# Incremental syncs re-read a little before the cursor: upserts make the overlap harmless, and it
# covers clock skew between us and the provider.
CURSOR_OVERLAP = timedelta(minutes=2)


class CallSources(dg.ConfigurableResource):
    """Builds the call source a tenant configured under `calls:`. `home`: CALLINTEL_HOME (the
    drop folders live there)."""

    home: str

    def for_tenant(self, tenant: Tenant) -> CallSource:
        return build_source(tenant, tenant.calls, Path(self.home))


class LeadSources(dg.ConfigurableResource):
    """Builds the CRM a tenant configured under `crm:`."""

    home: str

    def for_tenant(self, tenant: Tenant) -> LeadSource:
        return build_source(tenant, tenant.crm, Path(self.home))
