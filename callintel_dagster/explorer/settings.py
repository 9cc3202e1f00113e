"""What one explorer process serves: the registry's active tenants, the warehouse (read through
the snapshot on DuckDB), the search index, the signing secret, and where the keys live.

Keys are never stored here: `key_of` reads the tenant's variable at request time, so rotating a
key (and restarting nothing) takes effect at once and ends the sessions made with the old one.
"""

import os
import threading
from dataclasses import dataclass, field

from callintel_dagster.env import Env
from callintel_dagster.explorer.reader import Reader
from callintel_dagster.explorer.secret import explorer_secret
from callintel_dagster.lib.tenants.registry import Tenant, load_registry
from callintel_dagster.providers.base import Embedder
from callintel_dagster.resources.embeddings import Embedders
from callintel_dagster.resources.warehouse import Warehouse

ADMIN_KEY_ENV = "CALLINTEL_ADMIN_KEY"
HTTPS_ENV = "CALLINTEL_EXPLORER_HTTPS"  # "1": the session cookie is sent over HTTPS only
# `ask` reads turns from the live DuckDB file: a person waits this long for a run to let go of
# it, then gets a "busy" answer (a run's own default wait is minutes)
LIVE_WAIT_S = 10.0


class EmbedderCache:
    """One embedder per tenant per process: loading a model takes seconds, a query milliseconds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._models: dict[tuple[str, str], Embedder] = {}

    def for_tenant(self, tenant: Tenant) -> Embedder:
        # keyed by the configuration too, so a registry edit never serves a stale model
        key = (tenant.id, tenant.embeddings.model_dump_json())
        with self._lock:
            if key not in self._models:
                self._models[key] = Embedders().for_tenant(tenant)
            return self._models[key]


@dataclass(frozen=True)
class ExplorerSettings:
    env: Env
    tenants: tuple[Tenant, ...]  # the registry's active tenants
    reader: Reader  # pages and API read through it (the DuckDB snapshot, read-only)
    warehouse: Warehouse  # the live warehouse: `ask` reads turns and records its LLM cost there
    secret: str  # signs session cookies and media URLs (secret.py)
    admin_key_env: str = ADMIN_KEY_ENV
    https_only: bool = False
    embedders: EmbedderCache = field(default_factory=EmbedderCache, compare=False)

    @classmethod
    def from_env(cls, env: Env) -> "ExplorerSettings":
        """Raises the registry's RegistryError (a one-line message) for a bad tenants file."""
        warehouse = Warehouse(url=env.warehouse_location, lock_timeout_s=LIVE_WAIT_S)
        return cls(
            env=env,
            tenants=tuple(load_registry(env.tenants_path).active),
            reader=Reader(warehouse),
            warehouse=warehouse,
            secret=explorer_secret(env.home),
            https_only=os.environ.get(HTTPS_ENV, "") == "1",
        )

    def tenant(self, tenant_id: str) -> Tenant | None:
        return next((t for t in self.tenants if t.id == tenant_id), None)

    def key_of(self, tenant: Tenant) -> str | None:
        """The tenant's key now; None when its variable is unset or empty (it cannot log in)."""
        return os.environ.get(tenant.explorer.key_env_for(tenant.id)) or None

    def admin_key(self) -> str | None:
        return os.environ.get(self.admin_key_env) or None
