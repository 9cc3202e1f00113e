"""Bolna voice-agent executions as calls (`calls:`) and customers (`crm:`) for one tenant.

Bolna has no "modified since" filter, and an execution changes after it is created
(`call-disconnected` first, `completed` with duration, cost and extraction seconds later). So:
- a full window reads every execution created in the tenant-day;
- an incremental window reads from `since_utc - reread_margin`, so executions that finished just
  before the cursor are read again (ingest upserts by id; the record hash tells what changed);
- executions still non-terminal after that margin are re-read by id: `pending_ids(calls)` from
  `providers/bolna/mapping.py` → `fetch_by_ids(ids)` on a later sync.
Calls and customers come from the same executions, so one fetch per window serves both.
"""

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

from callintel_dagster.lib.ingest.window import SyncWindow
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.lib.tenants.source_configs import BolnaConfig
from callintel_dagster.providers.base import PermanentProviderError, SourceCapabilities
from callintel_dagster.providers.bolna.mapping import (
    dedupe_customers,
    execution_to_call,
    execution_to_customer,
    parse_utc,
)
from callintel_dagster.providers.http import ProviderHttp, RateLimiter
from callintel_dagster.providers.secrets import secret

# Long enough for post-call processing (extraction can take a minute or two) with room to spare;
# older stragglers are caught by fetch_by_ids.
REREAD_MARGIN = timedelta(minutes=30)
# Bolna allows 500 requests/min per organisation on executions; stay a little under it.
_REQUESTS_PER_MIN = 450
# Keys a full execution always has (null or not); a trimmed list record lacks them.
_DETAIL_KEYS = ("transcript", "telephony_data")


class BolnaSource:
    provider = "bolna"
    capabilities = SourceCapabilities(rereads_by_id=True)  # calls not final yet: fetch_by_ids

    def __init__(
        self,
        tenant_id: str,
        config: BolnaConfig,
        api_key: str,
        *,
        region: str = "IN",  # the tenant's default_region: numbers without a country code
        reread_margin: timedelta = REREAD_MARGIN,
        max_attempts: int = 5,
        max_backoff_s: float = 60.0,
    ):
        self.tenant_id, self.config, self.region = tenant_id, config, region
        self.reread_margin = reread_margin
        self._http = ProviderHttp(
            tenant_id,
            self.provider,
            config.base_url,
            headers={"Authorization": f"Bearer {api_key}"},
            timeout_s=config.timeout_s,
            max_attempts=max_attempts,
            max_backoff_s=max_backoff_s,
            limiter=RateLimiter(f"bolna:{tenant_id}", _REQUESTS_PER_MIN, 60.0),
        )
        self._agent_names: dict[str, str | None] = {}
        self._cached: tuple[SyncWindow, list[dict]] | None = None

    @property
    def requests(self) -> int:
        return self._http.requests

    def close(self) -> None:
        self._http.close()

    def fetch_calls(self, window: SyncWindow) -> list[dict]:
        return [self._call(e) for e in self._executions(window)]

    def fetch_leads(self, window: SyncWindow) -> list[dict]:
        """Customers from the executions' extracted_data, one per phone (seed 000, Flow 1)."""
        leads = (execution_to_customer(e, self.region) for e in self._executions(window))
        return dedupe_customers([lead for lead in leads if lead is not None])

    def fetch_by_ids(self, ids: list[str]) -> list[dict]:
        """Re-read executions by id (the non-terminal ones of earlier syncs); gone ones are
        skipped."""
        if ids and not self._agent_names:
            self._load_agents()
        found = self._details(list(dict.fromkeys(ids)))
        return [self._call(e) for e in found if e is not None]

    def _call(self, execution: dict) -> dict:
        return execution_to_call(execution, self._agent_names.get(execution.get("agent_id")))

    def _executions(self, window: SyncWindow) -> list[dict]:
        if self._cached is None or self._cached[0] != window:
            self._cached = (window, self._fetch_window(window))
        return self._cached[1]

    def _fetch_window(self, window: SyncWindow) -> list[dict]:
        low = window.start_utc
        if window.since_utc is not None:
            low = max(low, window.since_utc - self.reread_margin)
        params = {"page_size": self.config.page_size, "from": _iso(low), "to": _iso(window.end_utc)}
        found: dict[str, dict] = {}
        for agent_id in self._agent_ids():
            for record in self._pages(agent_id, params):
                created = parse_utc(record.get("created_at"))
                # `to` is inclusive but the window's end is not: that instant is the next day's
                if created is not None and created >= window.end_utc:
                    continue
                # newest-first pages shift while calls arrive, so a record can repeat
                found[record["id"]] = record
        details = dict(
            zip(
                trimmed := [i for i, r in found.items() if _trimmed(r)],
                self._details(trimmed),
                strict=True,
            )
        )
        full = (details[i] if i in details else r for i, r in found.items())
        return [e for e in full if e is not None]

    def _details(self, ids: list[str]) -> list[dict | None]:
        """Detail reads run concurrently: each is one round trip, and a day can need hundreds.
        The tenant's rate limiter still paces them."""
        if len(ids) < 2:
            return [self._detail(i) for i in ids]
        with ThreadPoolExecutor(max_workers=DETAIL_CONCURRENCY) as pool:
            return list(pool.map(self._detail, ids))

    def _pages(self, agent_id: str, params: dict):
        page = 1
        while True:
            body = self._http.json(
                "GET", f"/v2/agent/{agent_id}/executions", params={**params, "page_number": page}
            )
            data = body.get("data") or []
            yield from data
            # an empty page ends it even if has_more says otherwise: never loop forever
            if not body.get("has_more") or not data:
                return
            page += 1

    def _agent_ids(self) -> list[str]:
        self._load_agents()  # once per window: names for the calls, and agents added since
        return list(self.config.agent_ids) or list(self._agent_names)

    def _load_agents(self) -> None:
        agents = self._http.json("GET", "/v2/agent/all") or []
        self._agent_names = {a["id"]: a.get("agent_name") for a in agents}

    def _detail(self, execution_id: str) -> dict | None:
        try:
            return self._http.json("GET", f"/executions/{execution_id}")
        except PermanentProviderError as exc:
            # deleted since it was listed: nothing to sync. Any other 4xx (a bad key) still fails.
            if exc.status == 404:
                return None
            raise


DETAIL_CONCURRENCY = 8


def _trimmed(record: dict) -> bool:
    return any(key not in record for key in _DETAIL_KEYS)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")  # naive UTC in, Bolna's ISO-8601 UTC out


def source_for(tenant: Tenant, config: BolnaConfig, home: Path) -> BolnaSource:
    """The registry's factory: calls (and CRM customers) from the tenant's Bolna account."""
    key = secret(tenant.id, BolnaSource.provider, config.api_key_env)
    return BolnaSource(tenant.id, config, key, region=tenant.default_region)
