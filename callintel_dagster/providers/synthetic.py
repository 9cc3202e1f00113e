"""The synthetic provider: deterministic leads and calls per (tenant, day, seed), for the demo
and the tests. No network, no secret."""

from pathlib import Path

from callintel_dagster.lib.ingest.window import SyncWindow
from callintel_dagster.lib.synthetic import generate_day
from callintel_dagster.lib.synthetic.audio_calls import audio_only_calls
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.lib.tenants.source_configs import SyntheticCalls, SyntheticCrm
from callintel_dagster.providers.base import SourceCapabilities


class SyntheticSource:
    """Deterministic leads and calls per (tenant, day, seed); only what happened before `now`.
    Calls and leads come from one generated day, so a tenant with both synthetic sees leads
    that match its callers."""

    provider = "synthetic"
    capabilities = SourceCapabilities()
    requests = 0

    def __init__(self, tenant: Tenant, home: Path | None = None):
        calls, crm = tenant.calls, tenant.crm
        synthetic_calls = isinstance(calls, SyntheticCalls)
        samples = calls.audio_samples if synthetic_calls else None
        self._samples = home / samples if samples and home else None
        self._tenant = tenant
        self._calls = calls.calls_per_day if synthetic_calls else 0
        self._leads = crm.leads_per_day if isinstance(crm, SyntheticCrm) else 0
        self._seed = calls.seed if synthetic_calls else 0

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


def source_for(tenant: Tenant, config, home: Path) -> SyntheticSource:
    """The registry's factory (for `calls:` and `crm:` alike)."""
    return SyntheticSource(tenant, home)
