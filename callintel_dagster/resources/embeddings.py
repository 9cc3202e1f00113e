"""Sentence embedders by tenant (the models live in providers/embeddings.py) and the per-tenant
vector store (LanceDB; the index itself is search/index.py)."""

import dagster as dg
from pydantic import PrivateAttr

from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.base import Embedder
from callintel_dagster.providers.registry import build
from callintel_dagster.search.index import ChunkIndex


class Embedders(dg.ConfigurableResource):
    """Builds the embedder a tenant configured under `embeddings:`."""

    def for_tenant(self, tenant: Tenant) -> Embedder:
        return build("embeddings", tenant.id, tenant.embeddings.provider, tenant)


class VectorStore(dg.ConfigurableResource):
    """One LanceDB table per tenant (`chunks_<tenant>`) under `path`; tenants never share one.
    Chunks with the call's facets, a BM25 index on the text, an ANN index from `ann_min_rows`."""

    path: str  # a local directory, or s3://bucket/prefix/lancedb (lib/shared_store.py)
    ann_min_rows: int | None = None  # None: by the vector size (search/index.py)
    storage_options: dict[str, str] = {}  # LanceDB's, for an s3:// path: endpoint, region; no keys
    _index: ChunkIndex | None = PrivateAttr(default=None)

    @property
    def index(self) -> ChunkIndex:
        if self._index is None:  # one connection for the resource's life: a warm index cache
            self._index = ChunkIndex(self.path, self.ann_min_rows, self.storage_options)
        return self._index

    def open(self, tenant_id: str):
        """The tenant's LanceDB table or None (what search.search() reads)."""
        return self.index.open(tenant_id)

    def replace_day(self, tenant_id: str, day: str, rows: list[dict], dim: int) -> int:
        return self.index.replace_day(tenant_id, day, rows, dim)

    def refresh(self, tenant_id: str) -> dict:
        return self.index.refresh(tenant_id)

    def vectors_of_day(self, tenant_id: str, day: str, model: str) -> dict[str, list[float]]:
        return self.index.vectors_of_day(tenant_id, day, model)

    def count(self, tenant_id: str, day: str | None = None) -> int:
        return self.index.count(tenant_id, day)

    @staticmethod
    def table_name(tenant_id: str) -> str:
        return ChunkIndex.table_name(tenant_id)
