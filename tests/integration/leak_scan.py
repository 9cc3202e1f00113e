"""Where a run leaves text, and a scan of it for canaries (fake secrets, transcript sentences).

A *source* is `(where, text)`: an event log entry, a compute log file, a warehouse column, a file
of the outbox or CALLINTEL_HOME, an object of the S3 shared store, the captured stdout/stderr.
`hits()` lists every (where, canary) pair; a secret is named by its variable and a masked prefix,
never printed in full.
"""

import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster._serdes import serialize_value

Source = tuple[str, str]


@contextmanager
def captured_output(path: Path) -> Iterator[None]:
    """Everything the process writes to stdout/stderr, at the file-descriptor level (subprocesses,
    C libraries) and through `sys.stdout`/`sys.stderr` (pytest replaces those), goes to `path`."""
    sys.stdout.flush(), sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    saved_sys = sys.stdout, sys.stderr
    with open(path, "w", encoding="utf-8", errors="replace", buffering=1) as sink:
        for fd in (1, 2):
            os.dup2(sink.fileno(), fd)
        sys.stdout = sys.stderr = sink
        try:
            yield
        finally:
            sink.flush()
            sys.stdout, sys.stderr = saved_sys
            for fd, copy in saved.items():
                os.dup2(copy, fd)
                os.close(copy)


def event_log(instance: dg.DagsterInstance) -> Iterator[Source]:
    """Every entry of every run, serialized whole: messages, error infos with their causes and
    contexts, metadata."""
    for record in instance.get_run_records():
        run_id = record.dagster_run.run_id
        for n, entry in enumerate(instance.all_logs(run_id)):
            kind = entry.dagster_event.event_type_value if entry.dagster_event else "log"
            yield f"event log {run_id[:8]} #{n} {kind}", serialize_value(entry)


def files(root: Path, label: str) -> Iterator[Source]:
    """The bytes of every file under `root`, decoded leniently (binary formats keep their strings)."""
    if not root.exists():
        return
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        yield f"{label} {path.relative_to(root)}", path.read_bytes().decode("utf-8", "replace")


def bucket_objects(client, bucket: str) -> Iterator[Source]:
    """Every object of the shared store's bucket, by its key under the store's prefix."""
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    for obj in (o for page in pages for o in page.get("Contents", [])):
        body = client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
        yield f"s3 {obj['Key'].split('/', 1)[-1]}", body.decode("utf-8", "replace")


def warehouse_columns(warehouse) -> Iterator[Source]:
    """Every column of every table and view of the warehouse, as text, one source per column."""
    columns = warehouse.query(
        "SELECT table_schema AS s, table_name AS t, column_name AS c "
        "FROM information_schema.columns "
        "WHERE table_schema NOT IN ('information_schema', 'pg_catalog', 'main')"
    ).to_dict("records")
    for col in columns:
        table, column = f'"{col["s"]}"."{col["t"]}"', f'"{col["c"]}"'
        values = warehouse.query(
            f"SELECT CAST({column} AS VARCHAR) AS v FROM {table} WHERE {column} IS NOT NULL"
        )["v"]
        yield f"warehouse {col['s']}.{col['t']}.{col['c']}", "\n".join(values.astype(str))


def mask(secret: str) -> str:
    return f"{secret[:6]}…({len(secret)} chars)"


def hits(
    sources: Iterable[Source], canaries: dict[str, str], allowed: tuple[str, ...] = ()
) -> list[str]:
    """`where: canary` for each canary found in a source whose `where` starts with none of
    `allowed`; canaries are matched case-sensitively, as written."""
    found = []
    for where, text in sources:
        if where.startswith(allowed):
            continue
        found.extend(f"{where}: {name}" for name, value in canaries.items() if value in text)
    return found
