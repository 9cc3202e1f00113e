"""One tenant's move from local disk onto the shared store (`callintel store push`): its archived
recordings (copied, verified, then its raw.call_recordings rows pointed at the copies in one
transaction) and its search index (search/copy_index.py).

Resumable: a row already holding an s3:// URI is done; an object uploaded by an interrupted push
is verified and kept; the warehouse changes only after the copies are verified. The update of a
row also requires its archive_uri to be still the local path read before, so a run that
re-archived the call meanwhile keeps its own value.
"""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from callintel_dagster.lib.tables import CALL_RECORDINGS
from callintel_dagster.providers.audio_push import LocalRecording, PushRefused, push_recording
from callintel_dagster.providers.audio_store import AudioStore, AudioUnavailable
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.search.copy_index import IndexCopy, copy_tenant_index
from callintel_dagster.search.index import ChunkIndex, SearchError

ARCHIVED = (
    f"SELECT partition_date, call_id, archive_uri, bytes, sha256, content_type "
    f"FROM {CALL_RECORDINGS.qualified} WHERE tenant_id = ? AND recording_status = 'archived' "
    "AND archive_uri IS NOT NULL ORDER BY partition_date, call_id"
)


@dataclass
class TenantPush:
    tenant_id: str
    moved: int = 0  # rows pointed at their S3 copy in this run (a dry run: would be)
    there: int = 0  # rows already holding an S3 URI
    failed: list[tuple[str, str]] = field(default_factory=list)  # (call id, reason)
    changed_meanwhile: int = 0  # verified copies whose row a run changed during the push
    deleted: int = 0  # local files removed (--delete-local)
    index: IndexCopy | None = None
    index_error: str | None = None

    @property
    def ok(self) -> bool:
        return not self.failed and self.index_error is None


@dataclass(frozen=True)
class Targets:
    warehouse: Warehouse
    store: AudioStore  # archive_bucket set: the shared store's audio prefix
    local_index: ChunkIndex
    shared_index: ChunkIndex


def push_tenant(
    to: Targets, tenant_id: str, dry_run: bool = False, delete_local: bool = False, workers: int = 4
) -> TenantPush:
    out = TenantPush(tenant_id)
    rows = to.warehouse.query(ARCHIVED, [tenant_id]).to_dict("records")
    local: dict[tuple, list[dict]] = {}  # one copy per file, whichever rows (days) name it
    for row in rows:
        if row["archive_uri"].startswith("s3://"):
            try:
                to.store.archive_key(tenant_id, row["archive_uri"])
                out.there += 1
            except AudioUnavailable:
                out.failed.append(
                    (
                        row["call_id"],
                        "an s3:// URI outside this store's audio prefix for the tenant",
                    )
                )
            continue
        local.setdefault((row["archive_uri"], row["sha256"], _int(row["bytes"])), []).append(row)

    def push(item: tuple[tuple, list[dict]]) -> tuple[list[dict], str | None, str | None]:
        (path, sha256, size), named = item
        first = named[0]
        rec = LocalRecording(tenant_id, first["call_id"], path, size, sha256, first["content_type"])
        try:
            return named, push_recording(to.store, rec, dry_run).uri, None
        except PushRefused as exc:
            return named, None, str(exc)

    moves = []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for named, uri, reason in pool.map(push, local.items()):
            if uri is None:
                out.failed += [(r["call_id"], reason) for r in named]
            else:
                moves += [{**r, "new_uri": uri} for r in named]
    if dry_run:
        out.moved = len(moves)
    elif moves:
        out.moved = _point_rows_at(to.warehouse, tenant_id, moves)
        out.changed_meanwhile = len(moves) - out.moved
        if delete_local:
            out.deleted = _delete_moved(to.warehouse, tenant_id, moves)
    try:
        out.index = copy_tenant_index(to.local_index, to.shared_index, tenant_id, dry_run)
    except SearchError as exc:
        out.index_error = str(exc)
    except Exception as exc:  # LanceDB or the store: one line, the tenant's other work stands
        out.index_error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    return out


def _point_rows_at(warehouse: Warehouse, tenant_id: str, moves: list[dict]) -> int:
    """Rewrite archive_uri of the moved rows in one transaction; returns the rows changed."""
    frame = pd.DataFrame(
        {
            "tenant_id": tenant_id,
            "partition_date": [m["partition_date"] for m in moves],
            "call_id": [m["call_id"] for m in moves],
            "old_uri": [m["archive_uri"] for m in moves],
            "new_uri": [m["new_uri"] for m in moves],
        }
    )
    update = (
        f"UPDATE {CALL_RECORDINGS.qualified} AS t SET archive_uri = m.new_uri FROM {{source}} "
        "WHERE t.tenant_id = m.tenant_id AND t.partition_date = m.partition_date "
        "AND t.call_id = m.call_id AND t.archive_uri = m.old_uri"
    )
    warehouse.ensure_schema()
    with warehouse.connect() as con:
        if not warehouse.is_postgres:
            con.register("_moves", frame)
            changed = con.execute(update.format(source="_moves AS m")).fetchone()[0]
            con.unregister("_moves")
            return int(changed)
        from psycopg2.extras import execute_values

        cur, changed = con.cursor(), 0
        source = "(VALUES %s) AS m(tenant_id, partition_date, call_id, old_uri, new_uri)"
        values = list(frame.itertuples(index=False, name=None))
        for start in range(0, len(values), 1000):  # rowcount counts one statement
            page = values[start : start + 1000]
            execute_values(cur, update.format(source=source), page, page_size=len(page))
            changed += cur.rowcount
        return changed


def _delete_moved(warehouse: Warehouse, tenant_id: str, moves: list[dict]) -> int:
    """Remove the local files of moved rows that no row of the warehouse names any more."""
    named = set(
        warehouse.query(
            f"SELECT DISTINCT archive_uri FROM {CALL_RECORDINGS.qualified} "
            "WHERE tenant_id = ? AND archive_uri IS NOT NULL",
            [tenant_id],
        )["archive_uri"]
    )
    gone = 0
    for path in {m["archive_uri"] for m in moves} - named:
        Path(path).unlink(missing_ok=True)
        gone += 1
    return gone


def _int(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)
