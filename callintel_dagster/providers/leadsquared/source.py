"""LeadSquared leads modified in a window, for one tenant (seed 001).

Host: each account lives in one region host (api-in21.leadsquared.com, ...) and other hosts answer
401 as for a bad key. `config.base_url` pins the host. When it is None the host is discovered once
per source with `GET /v2/Authentication.svc/UserByAccessKey.Get` on `discovery_url` (the generic
host https://api.leadsquared.com unless the constructor is given another, as tests do), read from
`LSQCommonServiceURLs.api` of the answer (shape UNCONFIRMED; when absent, the discovery host
itself is used since the keys worked there).

Throttling: a few requests per 5 s per account, refused as HTTP 429 or as HTTP 200 carrying
MXAPIRateLimitExceededException, never with Retry-After. So every client of a tenant shares one
limiter, and both refusals are retried with backoff.
"""

from collections.abc import Iterator
from pathlib import Path

import httpx

from callintel_dagster.lib.ingest.window import SyncWindow
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.lib.tenants.source_configs import LeadSquaredConfig
from callintel_dagster.providers.base import PermanentProviderError, SourceCapabilities
from callintel_dagster.providers.http import ProviderHttp, RateLimiter
from callintel_dagster.providers.leadsquared.mapping import flatten, format_lsq_date, lead_to_record
from callintel_dagster.providers.secrets import secret

DISCOVERY_URL = "https://api.leadsquared.com"
USER_PATH = "/v2/Authentication.svc/UserByAccessKey.Get"
LEADS_PATH = "/v2/LeadManagement.svc/Leads.RecentlyModified"
COLUMNS = (
    "ProspectID,FirstName,LastName,EmailAddress,Phone,Mobile,ProspectStage,Source,"
    "ModifiedOn,CreatedOn"
)
RATE_LIMIT_EXCEPTION = "MXAPIRateLimitExceededException"
# The provider counts a request when it arrives, we when we send it: the first request of a window
# also pays for the connection, so a window measured at exactly 5 s here can be a hair shorter
# there. A little slack keeps a matching limiter from being throttled at the window's edge.
_WINDOW_S = 5.0 + 0.25


class LeadSquaredSource:
    provider = "leadsquared"
    capabilities = SourceCapabilities()

    def __init__(
        self,
        tenant_id: str,
        config: LeadSquaredConfig,
        access_key: str,
        secret_key: str,
        *,
        discovery_url: str = DISCOVERY_URL,
        max_attempts: int = 8,  # no Retry-After to go by: more, shorter tries than the default
        max_backoff_s: float = 5.0,  # one rate window: waiting longer never helps
    ):
        self.tenant_id, self.config = tenant_id, config
        self._discovery_url = discovery_url
        self._headers = {"x-LSQ-AccessKey": access_key, "x-LSQ-SecretKey": secret_key}
        self._retry = {"max_attempts": max_attempts, "max_backoff_s": max_backoff_s}
        # one key per tenant: the limit is per account, whichever client object spends it
        self._limiter = RateLimiter(
            key=f"leadsquared:{tenant_id}", calls=config.requests_per_5s, per_s=_WINDOW_S
        )
        self._clients: list[ProviderHttp] = []
        self._api: ProviderHttp | None = None
        if config.base_url:
            self._api = self._client(config.base_url)

    @property
    def requests(self) -> int:
        return sum(client.requests for client in self._clients)

    def close(self) -> None:
        for client in self._clients:
            client.close()

    def fetch_leads(self, window: SyncWindow) -> list[dict]:
        """Leads modified in the window (from `since_utc` when incremental), deduplicated by id."""
        tz = self.config.date_timezone
        low = window.start_utc
        if window.since_utc is not None:
            # the cursor may lie before the day (syncs re-read a margin): the day still bounds it
            low = max(low, window.since_utc)
        parameter = {
            "FromDate": format_lsq_date(low, tz),
            "ToDate": format_lsq_date(window.end_utc, tz),
        }
        found: dict[str, dict] = {}
        for raw in self._pages(parameter):
            lead = lead_to_record(flatten(raw), tz)
            modified = lead["modified_at_utc"]
            # no id: nothing to upsert by. ToDate is inclusive but the window's end is not: that
            # instant belongs to the next day
            if lead["lead_id"] is None or (modified is not None and modified >= window.end_utc):
                continue
            # pages sorted by ModifiedOn shift when a lead is edited mid-sync: keep the last copy
            found[lead["lead_id"]] = lead
        return list(found.values())

    def _pages(self, parameter: dict) -> Iterator[dict]:
        api = self._region_api()
        size = self.config.page_size
        index = 1
        while True:
            body = self._call(
                api,
                "POST",
                LEADS_PATH,
                json={
                    "Parameter": parameter,
                    "Columns": {"Include_CSV": COLUMNS},
                    "Paging": {"PageIndex": index, "PageSize": size},
                    "Sorting": {"ColumnName": "ModifiedOn", "Direction": "0"},
                },
            )
            leads = (body or {}).get("Leads") or []
            yield from leads
            # RecordCount's meaning (total or this page) is not documented: a short page ends it
            if len(leads) < size:
                return
            index += 1

    def _region_api(self) -> ProviderHttp:
        if self._api is None:
            discovery = self._client(self._discovery_url)
            user = self._call(discovery, "GET", USER_PATH)
            host = _api_host(user)
            self._api = self._client(host) if host else discovery
        return self._api

    def _client(self, base_url: str) -> ProviderHttp:
        client = ProviderHttp(
            self.tenant_id,
            self.provider,
            base_url,
            headers=self._headers,
            timeout_s=self.config.timeout_s,
            limiter=self._limiter,
            is_throttled=_is_rate_limited,
            **self._retry,
        )
        self._clients.append(client)
        return client

    def _call(self, client: ProviderHttp, method: str, path: str, **kwargs) -> dict | None:
        try:
            body = client.json(method, path, **kwargs)
        except PermanentProviderError as exc:
            if exc.status == 401:
                raise PermanentProviderError(
                    self.tenant_id,
                    self.provider,
                    f"{method} {path} → 401: bad key or wrong region (keys work only on the "
                    "account's region host: check base_url, or leave it empty to discover it)",
                    status=401,
                ) from None
            raise
        # LeadSquared also reports errors as HTTP 200 with Status "Error"
        if isinstance(body, dict) and body.get("Status") == "Error":
            raise PermanentProviderError(
                self.tenant_id,
                self.provider,
                f"{method} {path}: {body.get('ExceptionType')}: {body.get('ExceptionMessage')}",
            )
        return body


def _is_rate_limited(response: httpx.Response) -> bool:
    """HTTP 200 whose body is LeadSquared's rate-limit exception (429 is retried anyway)."""
    if response.status_code != 200 or RATE_LIMIT_EXCEPTION.encode() not in response.content:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("ExceptionType") == RATE_LIMIT_EXCEPTION


def _api_host(user: object) -> str | None:
    """`LSQCommonServiceURLs.api` of a UserByAccessKey.Get answer, as a base URL; tolerant of
    key case, a list-wrapped answer and a host without scheme."""
    if isinstance(user, list) and user:
        user = user[0]
    if not isinstance(user, dict):
        return None
    urls = _get_ci(user, "LSQCommonServiceURLs")
    host = _get_ci(urls, "api") if isinstance(urls, dict) else None
    if not isinstance(host, str) or not host.strip():
        return None
    host = host.strip().rstrip("/")
    return host if "://" in host else f"https://{host}"


def _get_ci(mapping: dict, key: str) -> object:
    return next((v for k, v in mapping.items() if k.lower() == key.lower()), None)


def source_for(tenant: Tenant, config: LeadSquaredConfig, home: Path) -> LeadSquaredSource:
    """The registry's factory: leads from the tenant's LeadSquared account."""
    return LeadSquaredSource(
        tenant.id, config, *keys(tenant.id, config), discovery_url=config.discovery_url
    )


def keys(tenant_id: str, config: LeadSquaredConfig) -> tuple[str, str]:
    """The access key and secret key, from the variables tenants.yaml names."""
    provider = LeadSquaredSource.provider
    return secret(tenant_id, provider, config.access_key_env), secret(
        tenant_id, provider, config.secret_key_env
    )
