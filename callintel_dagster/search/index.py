"""The per-tenant search index: one LanceDB table per tenant (`chunks_<tenant>`), never shared.

Each row is a transcript chunk with its vector and the call's facets as filterable columns. Beside
the vectors sits LanceDB's native full-text (BM25) index on `text`, brought up to date after every
write, and an ANN index (IVF_RQ) once the table is large enough that it pays: below
`ANN_MIN_ROWS` an exact scan is as fast and exact (bench/search_latency.py measures where).
"""

from datetime import timedelta

import pyarrow as pa

from callintel_dagster.env import Env
from callintel_dagster.lib.shared_store import vector_location

# Where the ANN index starts to pay for one tenant's table, measured by bench/search_latency.py
# (384-d, 2 busy cores, unfiltered vector search p50, exact scan vs IVF_RQ): 10k chunks 25 vs
# 24 ms (with filters the exact scan is faster), 30k 40 vs 12 ms, 100k 90 vs 15 ms, 1M 844 vs
# 20 ms. The index builds in 0.4 s at 30k. docs/search.md.
ANN_MIN_ROWS = 20_000
# An exact scan costs rows x dimension, so the break-even moves with the model's vector size: the
# static model's 64-d vectors scanned exactly took 25 ms p50 at 100k chunks vs 21 ms with the
# index. The threshold is ANN_MIN_ROWS at 384-d, scaled by 384 / dim (64-d: 120,000 chunks).
ANN_REFERENCE_DIM = 384


def ann_min_rows_for(dim: int) -> int:
    return ANN_MIN_ROWS * ANN_REFERENCE_DIM // dim


# Probing 20 IVF partitions and re-ranking 100x the asked rows by exact distance: recall@10
# against the exact scan at 1M chunks 0.997 (refine 20: 0.86, 50: 0.97; more probes did not
# help), p95 33 ms; at 100k and below 1.0 either way.
ANN_NPROBES = 20
ANN_REFINE_FACTOR = 100
METRIC = "cosine"  # the embedders return L2-normalised vectors

# Scalar indices on the filter columns: a prefilter then reads an index instead of scanning the
# column (bench, 1M chunks: BM25 with a day + sentiment filter 81 -> 9 ms p50, vector 67 -> 14).
SCALAR_INDICES = {
    "tenant_id": "bitmap",
    "sentiment": "bitmap",
    "contact_tag": "bitmap",
    "language": "bitmap",
    "agent_key": "bitmap",
    "partition_date": "btree",
    "call_id": "btree",
    "objections": "label_list",
}


def chunk_schema(dim: int) -> pa.Schema:
    """One row per transcript chunk; `dim` is the tenant's embedding model's dimension."""
    return pa.schema(
        [
            ("chunk_id", pa.string()),  # <call_id>:<chunk_index>
            ("tenant_id", pa.string()),
            ("partition_date", pa.string()),  # the call's local day, ISO (compares as a date)
            ("call_id", pa.string()),
            ("chunk_index", pa.int32()),
            ("speaker", pa.string()),  # the role of the chunk's first turn
            ("roles", pa.string()),  # every role in the chunk, comma-separated
            ("start_s", pa.float64()),
            ("end_s", pa.float64()),
            ("text", pa.string()),
            # the call's facets (marts.fct_calls, core.call_objections) at embedding time
            ("agent", pa.string()),
            ("agent_key", pa.string()),  # the agent lower-cased: filtered through its bitmap index
            ("sentiment", pa.string()),
            ("contact_tag", pa.string()),
            ("quality_score", pa.float64()),
            ("objections", pa.list_(pa.string())),  # objection types; filter with array_has
            ("language", pa.string()),
            ("model", pa.string()),
            ("vector", pa.list_(pa.float32(), dim)),
        ]
    )


class SearchError(Exception):
    """The search index's errors: the message carries ids and the reason, never transcript text."""


class EmptyIndex(SearchError):
    """The tenant has no chunks indexed (no table yet, or an empty one)."""


class ModelMismatch(SearchError):
    """The query's embedder is not the model the tenant's index was built with."""


class ChunkIndex:
    """The tenants' chunk tables under one LanceDB directory or S3 prefix."""

    def __init__(
        self,
        path: str,
        ann_min_rows: int | None = None,
        storage_options: dict[str, str] | None = None,
    ):
        """`path`: a local directory or an s3:// URI (lib/shared_store.py), with LanceDB's
        `storage_options` for it; `ann_min_rows`: rows from which the ANN index is built; None:
        by the vector size (`ann_min_rows_for`)."""
        self.path = str(path)
        self.ann_min_rows = ann_min_rows
        self.storage_options = dict(storage_options or {})
        self._db = None  # one connection: its cache keeps index partitions loaded across queries

    @classmethod
    def for_env(cls, env: Env, ann_min_rows: int | None = None) -> "ChunkIndex":
        """The index where this environment keeps it: the shared store when set, else
        $CALLINTEL_HOME/lancedb."""
        path, options = vector_location(env)
        return cls(path, ann_min_rows, options)

    def _connect(self):
        import lancedb

        if self._db is None:
            self._db = lancedb.connect(self.path, storage_options=self.storage_options or None)
        return self._db

    @staticmethod
    def table_name(tenant_id: str) -> str:
        return f"chunks_{tenant_id}"  # tenant ids are validated identifiers: safe in a name

    def open(self, tenant_id: str):
        """The tenant's LanceDB table, or None when it has none yet."""
        try:
            return self._connect().open_table(self.table_name(tenant_id))
        except ValueError:  # LanceDB: "Table '...' was not found"
            return None

    def replace_day(self, tenant_id: str, day: str, rows: list[dict], dim: int) -> int:
        """Replace the tenant's chunks of `day` with `rows` (idempotent). A table built with an
        older schema or another model's dimension is rebuilt: its other days return when they
        are embedded again."""
        schema = chunk_schema(dim)
        keyed = [{**r, "agent_key": (r.get("agent") or "").strip().lower() or None} for r in rows]
        data = pa.Table.from_pylist(keyed, schema=schema)
        table = self.open(tenant_id)
        if table is not None and table.schema != schema:
            self._connect().drop_table(self.table_name(tenant_id))
            table = None
        if table is None:
            self._connect().create_table(self.table_name(tenant_id), data, schema=schema)
            return len(rows)
        table.delete(f"partition_date = {quote(day)}")
        if rows:
            table.add(data)
        return len(rows)

    def refresh(self, tenant_id: str) -> dict:
        """Bring the tenant's indices up to date after writes: the BM25 index over `text` (created
        on first use), the scalar indices of the filter columns, the ANN index once the table is
        large enough that it pays. Returns what it did."""
        table = self.open(tenant_id)
        if table is None:
            return {"rows": 0, "fts": False, "ann": False}
        from lancedb.index import FTS, Bitmap, BTree, LabelList

        rows = table.count_rows()
        names = {i.name: i for i in table.list_indices()}
        if "text_idx" not in names:
            table.create_index("text", config=FTS(with_position=False), name="text_idx")
        kinds = {"bitmap": Bitmap, "btree": BTree, "label_list": LabelList}
        for column, kind in SCALAR_INDICES.items():
            if f"{column}_idx" not in names:
                table.create_index(column, config=kinds[kind](), name=f"{column}_idx")
        ann = "vector_idx" in names
        dim = table.schema.field("vector").type.list_size
        threshold = self.ann_min_rows or ann_min_rows_for(dim)
        if not ann and rows >= threshold:
            build_ann(table)
            ann = True
        # Adds rows written since to both indices and compacts the files of replaced days.
        table.optimize(cleanup_older_than=timedelta(hours=1))
        return {"rows": rows, "fts": True, "ann": ann}

    def vectors_of_day(self, tenant_id: str, day: str, model: str) -> dict[str, list[float]]:
        """{chunk text: vector} stored for the day by `model`: unchanged chunks keep their vector
        instead of being embedded again."""
        table = self.open(tenant_id)
        if table is None:
            return {}
        rows = (
            table.search()
            .where(f"partition_date = {quote(day)} AND model = {quote(model)}", prefilter=True)
            .select(["text", "vector"])
            .limit(None)
            .to_list()
        )
        return {r["text"]: r["vector"] for r in rows}

    def count(self, tenant_id: str, day: str | None = None) -> int:
        table = self.open(tenant_id)
        if table is None:
            return 0
        return table.count_rows(f"partition_date = {quote(day)}" if day else None)

    def has_ann(self, tenant_id: str) -> bool:
        table = self.open(tenant_id)
        return table is not None and any(i.name == "vector_idx" for i in table.list_indices())


def build_ann(table) -> None:
    """The ANN index on `vector`: IVF partitions with RaBitQ-quantised codes (IVF_RQ), cosine;
    LanceDB sizes the partitions from the rows. Chosen by bench/search_latency.py at 100k 384-d
    chunks (2 cores, busy): IVF_RQ built in 2.4 s with recall@10 1.0 (refine 20) at p95 33 ms;
    IVF_SQ 5.2 s, 1.0, 55 ms; IVF_PQ (48 sub-vectors) 188 s, 1.0, 43 ms, (default sub-vectors)
    56 s, 0.48; exact scan p95 272 ms."""
    from lancedb.index import IvfRq

    table.create_index("vector", config=IvfRq(distance_type=METRIC), name="vector_idx")


def quote(value: str) -> str:
    """A SQL string literal for LanceDB filters: quotes doubled, control characters refused."""
    text = str(value)
    if any(ord(c) < 32 for c in text):
        raise ValueError("filter values cannot contain control characters")
    return "'" + text.replace("'", "''") + "'"
