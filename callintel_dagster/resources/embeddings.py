"""Sentence embedders by tenant (the models live in providers/embeddings.py) and the per-tenant
vector store (LanceDB)."""

import dagster as dg
import numpy as np
import pyarrow as pa

from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.base import Embedder
from callintel_dagster.providers.embeddings import DIM
from callintel_dagster.providers.registry import build


class Embedders(dg.ConfigurableResource):
    """Builds the embedder a tenant configured under `embeddings:`."""

    def for_tenant(self, tenant: Tenant) -> Embedder:
        return build("embeddings", tenant.id, tenant.embeddings.provider, tenant)


CHUNK_SCHEMA = pa.schema(
    [
        ("chunk_id", pa.string()),
        ("tenant_id", pa.string()),
        ("partition_date", pa.string()),
        ("call_id", pa.string()),
        ("chunk_index", pa.int32()),
        ("start_s", pa.float64()),
        ("end_s", pa.float64()),
        ("roles", pa.string()),
        ("text", pa.string()),
        ("model", pa.string()),
        ("vector", pa.list_(pa.float32(), DIM)),
    ]
)


class VectorStore(dg.ConfigurableResource):
    """One LanceDB table per tenant (`chunks_<tenant>`) under `path`; tenants never share one."""

    path: str

    def replace_day(self, tenant_id: str, day: str, rows: list[dict]) -> int:
        """Replace the tenant's chunks of `day` with `rows`."""
        data = pa.Table.from_pylist(rows, schema=CHUNK_SCHEMA)
        table = self._open(tenant_id)
        if table is None:
            import lancedb

            lancedb.connect(self.path).create_table(
                self.table_name(tenant_id), data, schema=CHUNK_SCHEMA
            )
            return len(rows)
        table.delete(f"partition_date = '{day}'")
        if rows:
            table.add(data)
        return len(rows)

    def vectors_of_day(self, tenant_id: str, day: str, model: str) -> dict[str, list[float]]:
        """{chunk text: vector} already stored for the day by `model`: unchanged chunks reuse
        their vector instead of being embedded again."""
        table = self._open(tenant_id)
        if table is None:
            return {}
        rows = (
            table.search()
            .where(f"partition_date = '{day}' AND model = '{model}'", prefilter=True)
            .select(["text", "vector"])
            .limit(None)
            .to_list()
        )
        return {r["text"]: r["vector"] for r in rows}

    def search(self, tenant_id: str, vector: np.ndarray, limit: int = 5) -> list[dict]:
        table = self._open(tenant_id)
        return [] if table is None else table.search(vector).limit(limit).to_list()

    def count(self, tenant_id: str, day: str | None = None) -> int:
        table = self._open(tenant_id)
        if table is None:
            return 0
        return table.count_rows(f"partition_date = '{day}'" if day else None)

    def _open(self, tenant_id: str):
        import lancedb

        try:
            return lancedb.connect(self.path).open_table(self.table_name(tenant_id))
        except ValueError:  # LanceDB: "Table '...' was not found"
            return None

    @staticmethod
    def table_name(tenant_id: str) -> str:
        return f"chunks_{tenant_id}"  # tenant ids are validated identifiers: safe in a name
