"""Search across one tenant's calls (Dagster-free): the per-tenant LanceDB index (index.py), the
filters applied inside the query (filters.py) and the search API (query.py). docs/search.md."""

from callintel_dagster.search.filters import Filters, where_clause
from callintel_dagster.search.index import (
    ANN_MIN_ROWS,
    ChunkIndex,
    EmptyIndex,
    ModelMismatch,
    SearchError,
)
from callintel_dagster.search.query import (
    MODES,
    Chunk,
    Hit,
    calls_in_index,
    chunks_of_calls,
    search,
)

__all__ = [
    "ANN_MIN_ROWS",
    "MODES",
    "Chunk",
    "ChunkIndex",
    "EmptyIndex",
    "Filters",
    "Hit",
    "ModelMismatch",
    "SearchError",
    "calls_in_index",
    "chunks_of_calls",
    "search",
    "where_clause",
]
