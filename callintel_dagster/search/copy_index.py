"""Copying a tenant's chunk table from one index to another (local disk to the shared store, for
`callintel store push`), day by day.

LanceDB 0.40's `clone_table` makes only shallow clones, whose manifest points at the source's
data files: on another host those are missing. So the rows are read from the local table and
written to the target in one commit (`create_table` or `add`, streamed in batches), then the
target's indices are built as after an embeddings step (`ChunkIndex.refresh`).

A day the target already has is kept as it is: either an earlier push copied it, or a run after
the switch to S3 embedded it again (newer than the local copy). So a second push copies nothing,
and a push interrupted before its commit copies the same days again (the commit is all or none).
"""

from dataclasses import dataclass

import pyarrow.compute as pc

from callintel_dagster.search.index import (
    SCALAR_INDICES,
    ChunkIndex,
    SearchError,
    build_ann,
    quote,
)

BATCH_ROWS = 10_000  # rows in memory at a time while copying


@dataclass(frozen=True)
class IndexCopy:
    rows: int  # rows copied (or that a dry run would copy)
    days: int  # days copied
    days_there: int  # days the target already had


def copy_tenant_index(
    source: ChunkIndex, target: ChunkIndex, tenant_id: str, dry_run: bool = False
) -> IndexCopy:
    """Copy the days of the tenant's table that `target` lacks; SearchError when the target's
    table has another schema (another embedding model or vector size)."""
    local = source.open(tenant_id)
    if local is None:
        return IndexCopy(0, 0, 0)
    remote = target.open(tenant_id)
    if remote is not None and remote.schema != local.schema:
        raise SearchError(
            f"tenant {tenant_id}: the shared store's table has another schema (embedding model "
            "or vector size): not copied"
        )
    there = _days(remote) if remote is not None else set()
    missing = sorted(_days(local) - there)
    where = f"partition_date IN ({', '.join(quote(d) for d in missing)})" if missing else None
    rows = local.count_rows(where) if missing else 0
    if dry_run:
        return IndexCopy(rows, len(missing), len(there))
    if missing:
        batches = local.search().where(where).limit(None).to_batches(BATCH_ROWS)
        if remote is None:
            # "overwrite": a push interrupted mid-create may have left data files without a
            # manifest, which LanceDB reports as no table but refuses to create over
            import lancedb

            db = lancedb.connect(target.path, storage_options=target.storage_options or None)
            name = ChunkIndex.table_name(tenant_id)
            db.create_table(name, batches, schema=local.schema, mode="overwrite")
        else:
            remote.add(batches)
    remote = target.open(tenant_id)
    if remote is not None and (missing or not _indexed(remote)):  # also an interrupted refresh
        target.refresh(tenant_id)
        if source.has_ann(tenant_id) and not target.has_ann(tenant_id):
            build_ann(target.open(tenant_id))  # the local threshold was lower: keep its ANN
    return IndexCopy(rows, len(missing), len(there))


def _days(table) -> set[str]:
    column = table.search().select(["partition_date"]).limit(None).to_arrow()["partition_date"]
    return {d for d in pc.unique(column).to_pylist() if d is not None}


def _indexed(table) -> bool:
    names = {i.name for i in table.list_indices()}
    return {"text_idx", *(f"{c}_idx" for c in SCALAR_INDICES)} <= names
