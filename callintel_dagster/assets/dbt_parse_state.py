"""dbt's partial parse kept between runs, per warehouse.

dagster-dbt gives every dbt invocation a target directory of its own and seeds it with the
project's target/partial_parse.msgpack. That file comes from `dbt parse` at install time, with
the profile's default connection, and dbt discards a partial parse whose rendered profile differs
(every real warehouse's does): so every run parsed the whole project again, ~2-3 s of a dbt
build's ~12 s fixed cost. Here each warehouse's connection settings get their own saved parse
state: the run's target directory is seeded with it, and what dbt wrote back is kept for the next
run. A stale or foreign file is harmless: dbt checks it and parses in full.

The run's partitions reach dbt as an environment variable read at execution (PARTITIONS_ENV,
macros/partitions.sql), not as `--vars`: dbt also parses in full whenever the vars change, and
they change with every run's partitions.
"""

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

PARSE_FILE = "partial_parse.msgpack"
KEEP_STATES = 8  # warehouses whose parse state is kept (the most recently used)
PARTITIONS_ENV = "CALLINTEL_DBT_PARTITIONS"


def state_file(project_dir: Path, connection: Mapping[str, str]) -> Path:
    """Where the parse state for this warehouse's connection settings is kept: named by their
    hash (a password among them never appears in the name)."""
    digest = hashlib.sha256(json.dumps(dict(connection), sort_keys=True).encode()).hexdigest()
    return project_dir / "target" / "parse_state" / f"{digest[:16]}.msgpack"


def run_target(project_dir: Path, connection: Mapping[str, str]) -> Path:
    """A new target directory for one dbt invocation, holding this warehouse's parse state."""
    target = project_dir / "target" / f"run-{uuid.uuid4().hex[:12]}"
    target.mkdir(parents=True)
    saved = state_file(project_dir, connection)
    if saved.exists():
        shutil.copyfile(saved, target / PARSE_FILE)
    return target


def keep_parse_state(project_dir: Path, connection: Mapping[str, str], target: Path) -> None:
    """Save what dbt wrote in `target` as this warehouse's parse state (atomically: concurrent
    runs each leave a whole file)."""
    written = target / PARSE_FILE
    if not written.exists():
        return
    saved = state_file(project_dir, connection)
    saved.parent.mkdir(parents=True, exist_ok=True)
    partial = saved.with_name(f"{saved.name}.{uuid.uuid4().hex[:8]}")
    shutil.copyfile(written, partial)
    os.replace(partial, saved)
    forget_old_states(saved.parent)


def forget_old_states(states: Path) -> None:
    """Delete all but the KEEP_STATES most recently saved parse states. Each is ~1 MB, one per
    warehouse connection ever used: a deployment has one or two, but every test's temporary
    warehouse is another, and `make test` left ~40 MB behind on each run. A state deleted while
    another process copies it only costs that run a full parse."""
    found = []
    for path in states.glob("*.msgpack"):
        try:
            found.append((path.stat().st_mtime, path))
        except FileNotFoundError:  # another run's prune got there first
            continue
    for _, path in sorted(found, reverse=True)[KEEP_STATES:]:
        path.unlink(missing_ok=True)


@contextmanager
def partitions_in_env(partitions: list[dict[str, str]]) -> Iterator[None]:
    """The run's partitions in PARTITIONS_ENV while its dbt invocation starts and runs, and gone
    after: a later dbt command from this process must not inherit them."""
    os.environ[PARTITIONS_ENV] = json.dumps(partitions)
    try:
        yield
    finally:
        os.environ.pop(PARTITIONS_ENV, None)
