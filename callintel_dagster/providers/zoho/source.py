"""Zoho CRM v8 leads and deals for one tenant (OAuth refresh token, records by Modified_Time).

- Access tokens: a refresh token allows 30 live access tokens and ~5 refreshes a minute, so one
  token is cached per process, keyed by (accounts_url, client_id, refresh-token digest), and
  shared by every sync until shortly before it expires. Requests go to the token's `api_domain`.
- A 401 INVALID_TOKEN (revoked, rotated) drops the cached token, refreshes once and retries once.
- A window: records whose Modified_Time falls in [start_utc, end_utc) (the tenant-local day of
  the change), asked for with `If-Modified-Since` = start_utc, or the cursor for an incremental
  sync, sorted by Modified_Time ascending so paging stops at the window's end.
- Paging: `page` for the first 2,000 records, then `info.next_page_token`. 204/304: no records.
Secrets travel in the token request's form body and the Authorization header only, never in a
URL, a cache key, a log line or an error message.
"""

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

import httpx

from callintel_dagster.lib.ingest.window import SyncWindow
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.lib.tenants.source_configs import ZohoConfig
from callintel_dagster.providers.base import PermanentProviderError, SourceCapabilities
from callintel_dagster.providers.http import ProviderHttp
from callintel_dagster.providers.secrets import secret
from callintel_dagster.providers.zoho.mapping import (
    DEAL_FIELDS,
    LEAD_FIELDS,
    deal_to_record,
    lead_to_record,
    parse_zoho_time,
)

log = logging.getLogger(__name__)

DISCRETE_PAGE_LIMIT = 2000  # records `page` can reach; past them Zoho wants page_token
_EXPIRY_MARGIN_S = 60.0  # refresh this long before expiry so a token never dies mid-sync


@dataclass(frozen=True)
class _Token:
    access_token: str
    api_domain: str
    expires_at: float  # time.monotonic()


class _InvalidToken(Exception):
    """A 401 INVALID_TOKEN: the cached token is dead; refresh and retry once."""


# Process-wide: one refresh serves every tenant and sync that shares the credentials. Each key
# has its own lock, so a slow refresh for one account never holds up another.
_TOKENS: dict[tuple[str, str, str], _Token] = {}
_KEY_LOCKS: dict[tuple[str, str, str], threading.Lock] = {}
_TOKENS_LOCK = threading.Lock()


def clear_token_cache() -> None:
    """Forget every cached access token (tests; a credential rotation)."""
    with _TOKENS_LOCK:
        _TOKENS.clear()


def _key_lock(key: tuple[str, str, str]) -> threading.Lock:
    with _TOKENS_LOCK:
        return _KEY_LOCKS.setdefault(key, threading.Lock())


class ZohoSource:
    provider = "zoho"
    capabilities = SourceCapabilities(has_deals=True)

    def __init__(
        self,
        tenant_id: str,
        config: ZohoConfig,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        *,
        max_attempts: int = 5,
        max_backoff_s: float = 60.0,
    ):
        self.tenant_id, self.config = tenant_id, config
        self._accounts_url = config.accounts_url.rstrip("/")
        self._credentials = {"client_id": client_id, "client_secret": client_secret}
        self._refresh_token = refresh_token
        digest = hashlib.sha256(refresh_token.encode()).hexdigest()[:16]
        self._key = (self._accounts_url, client_id, digest)
        # One client for both hosts: API requests use absolute URLs on the token's api_domain.
        self._http = ProviderHttp(
            tenant_id,
            self.provider,
            self._accounts_url,
            timeout_s=config.timeout_s,
            max_attempts=max_attempts,
            max_backoff_s=max_backoff_s,
            is_throttled=_screen,
        )

    @property
    def requests(self) -> int:
        """HTTP requests this source made (token refreshes included, retries included)."""
        return self._http.requests

    def close(self) -> None:
        self._http.close()

    def fetch_leads(self, window: SyncWindow) -> list[dict]:
        if "Leads" not in self.config.modules:
            return []  # the tenant did not grant or want this module
        return [lead_to_record(r) for r in self._records("Leads", LEAD_FIELDS, window)]

    def fetch_deals(self, window: SyncWindow) -> list[dict]:
        if "Deals" not in self.config.modules:
            return []
        return [deal_to_record(r) for r in self._records("Deals", DEAL_FIELDS, window)]

    # ---- records -------------------------------------------------------------------------

    def _records(self, module: str, fields: tuple[str, ...], window: SyncWindow) -> list[dict]:
        since = window.start_utc
        if window.since_utc is not None:
            since = max(since, window.since_utc)  # an older cursor only adds earlier days
        if since >= window.end_utc:
            return []  # a cursor past this day: nothing in the window can be newer
        # whole seconds, rounded down: Zoho's times have no fraction and the header is inclusive
        header = {"If-Modified-Since": since.replace(tzinfo=UTC, microsecond=0).isoformat()}
        params: dict[str, Any] = {
            "fields": ",".join(fields),
            "per_page": self.config.per_page,
            "sort_by": "Modified_Time",
            "sort_order": "asc",
        }
        found: dict[str, dict] = {}
        page, token, seen = 1, None, 0
        while True:
            paging = {"page_token": token} if token else {"page": page}
            body = self._get(f"/crm/v8/{module}", {**params, **paging}, header)
            data = (body or {}).get("data") or []  # 204/304 come back as None: no records
            for record in data:
                modified = parse_zoho_time(record.get("Modified_Time"))
                if modified is not None and modified >= window.end_utc:
                    return list(found.values())  # sorted ascending: the rest are later still
                if modified is None or modified >= window.start_utc:
                    found[str(record["id"])] = record  # a record that moved pages is kept once
            info = (body or {}).get("info") or {}
            seen += len(data)
            if not data or not info.get("more_records"):
                return list(found.values())
            if seen + self.config.per_page <= DISCRETE_PAGE_LIMIT and not token:
                page += 1
            else:
                token = info.get("next_page_token")
                if not token:
                    raise PermanentProviderError(
                        self.tenant_id,
                        self.provider,
                        f"GET /crm/v8/{module}: more than {DISCRETE_PAGE_LIMIT} records "
                        "but no next_page_token to reach them",
                    )

    def _get(self, path: str, params: dict, headers: dict[str, str]) -> Any:
        return self._api("GET", path, params=params, headers=headers)

    def _api(self, method: str, path: str, headers: dict[str, str] | None = None, **kw) -> Any:
        """A CRM request on the token's api_domain (writers use it too: zoho_writeback.py)."""
        for _ in range(2):
            token = self._token()
            auth = {"Authorization": f"Zoho-oauthtoken {token.access_token}", **(headers or {})}
            try:
                return self._http.json(method, token.api_domain + path, headers=auth, **kw)
            except _InvalidToken:
                self._drop(token)
                log.info("zoho: tenant %s: access token refused; refreshing", self.tenant_id)
        raise PermanentProviderError(
            self.tenant_id,
            self.provider,
            f"{method} {path} → 401 INVALID_TOKEN with a freshly refreshed token "
            "(app revoked, or the refresh token lacks the ZohoCRM.modules scopes?)",
        )

    # ---- tokens --------------------------------------------------------------------------

    def _token(self) -> _Token:
        # Held while refreshing, so concurrent syncs wait for one refresh instead of each
        # spending one of the ~5 a minute Zoho allows.
        with _key_lock(self._key):
            cached = _TOKENS.get(self._key)
            if cached is not None and cached.expires_at > time.monotonic():
                return cached
            token = self._refresh()
            with _TOKENS_LOCK:
                _TOKENS[self._key] = token
            return token

    def _drop(self, token: _Token) -> None:
        with _TOKENS_LOCK:
            if _TOKENS.get(self._key) == token:  # another sync may have replaced it already
                del _TOKENS[self._key]

    def _refresh(self) -> _Token:
        body = self._http.json(
            "POST",
            "/oauth/v2/token",
            # a form body, not the query string Zoho's docs show: URLs end up in logs
            data={
                **self._credentials,
                "refresh_token": self._refresh_token,
                "grant_type": "refresh_token",
            },
        )
        if not isinstance(body, dict) or body.get("error") or not body.get("access_token"):
            # Zoho answers a bad client or refresh token with HTTP 200 and {"error": ...}
            error = body.get("error") if isinstance(body, dict) else "no token in the response"
            raise PermanentProviderError(
                self.tenant_id, self.provider, f"token refresh refused: {error}"
            )
        if not body.get("api_domain"):
            raise PermanentProviderError(
                self.tenant_id, self.provider, "token response has no api_domain"
            )
        lifetime = _lifetime_s(body)
        log.info("zoho: tenant %s: access token refreshed (%.0f s)", self.tenant_id, lifetime)
        margin = min(_EXPIRY_MARGIN_S, lifetime / 10)  # short-lived test tokens stay usable
        return _Token(
            body["access_token"],
            str(body["api_domain"]).rstrip("/"),
            time.monotonic() + lifetime - margin,
        )


def _lifetime_s(body: dict) -> float:
    # Older accounts send expires_in in milliseconds next to expires_in_sec; prefer the latter.
    if body.get("expires_in_sec"):
        return float(body["expires_in_sec"])
    value = float(body.get("expires_in") or 3600)
    return value / 1000 if value > 86_400 else value


def _screen(response: httpx.Response) -> bool:
    """ProviderHttp's throttle hook, the one place that sees a 4xx before it becomes permanent:
    an expired token must lead to a refresh, and the accounts host's refresh limit is a
    400 "Access Denied ... too many requests" that waiting cures."""
    if response.status_code == 401 and _code(response) == "INVALID_TOKEN":
        raise _InvalidToken()
    return response.status_code == 400 and "too many requests" in response.text.lower()


def _code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def source_for(tenant: Tenant, config: ZohoConfig, home: Path) -> ZohoSource:
    """The registry's factory: leads and deals from the tenant's Zoho CRM."""
    return ZohoSource(tenant.id, config, *credentials(tenant.id, config))


def credentials(tenant_id: str, config: ZohoConfig) -> tuple[str, str, str]:
    """client id, client secret and refresh token, from the variables tenants.yaml names."""
    names = (config.client_id_env, config.client_secret_env, config.refresh_token_env)
    return tuple(secret(tenant_id, ZohoSource.provider, name) for name in names)
