"""`callintel store push`: move a deployment's local state onto the shared store
(CALLINTEL_SHARED_STORE): each tenant's archived recordings, then its search index.
docs/cluster.md, "Moving an existing deployment to S3".

Prints one summary line per tenant and one line per recording that failed (tenant, call, reason);
exit code 1 when anything failed. Run it again after fixing: what moved is not moved twice.
"""

import argparse

from callintel_dagster.cli.commands.base import Command, settings, tenant_of, user_error
from callintel_dagster.cli.store_push import Targets, TenantPush, push_tenant
from callintel_dagster.lib.shared_store import (
    SharedStoreError,
    audio_archive_settings,
    shared_store_of,
)
from callintel_dagster.lib.tenants.registry import RegistryError, load_registry


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    push = actions.add_parser(
        "push",
        help="copy local recordings and search indices to CALLINTEL_SHARED_STORE",
        description="Copy each tenant's archived recordings (verified by sha256) and search "
        "index from CALLINTEL_HOME to CALLINTEL_SHARED_STORE, and point the warehouse's rows "
        "at the copies. Local files stay unless --delete-local.",
    )
    push.add_argument("--tenant", action="append", help="only this tenant (repeatable)")
    push.add_argument("--dry-run", action="store_true", help="say what would move; change nothing")
    push.add_argument(
        "--delete-local",
        action="store_true",
        help="remove each moved local recording once its row names the verified S3 copy",
    )
    push.add_argument("--workers", type=int, default=4, help="recordings copied at once (4)")


def run(args: argparse.Namespace) -> int:
    from callintel_dagster.providers.audio_store import AudioStore
    from callintel_dagster.resources.warehouse import Warehouse
    from callintel_dagster.search.index import ChunkIndex

    env = settings()
    try:
        store = shared_store_of(env)
    except SharedStoreError as exc:
        raise user_error(str(exc)) from None
    if store is None:
        raise user_error("CALLINTEL_SHARED_STORE is not set: there is nowhere to push to")
    if args.dry_run and args.delete_local:
        raise user_error("--dry-run and --delete-local together: choose one")
    if args.tenant:
        tenants = [tenant_of(env, t).id for t in dict.fromkeys(args.tenant)]
    else:
        try:
            tenants = [t.id for t in load_registry(env.tenants_path).tenants]
        except RegistryError as exc:
            raise user_error(str(exc)) from None
    targets = Targets(
        warehouse=Warehouse(url=env.warehouse_location),
        store=AudioStore(env.home / "audio", **audio_archive_settings(env)),
        local_index=ChunkIndex(str(env.lancedb_path)),
        shared_index=ChunkIndex.for_env(env),
    )
    # the bucket and prefix only: the endpoint URL may carry a user name, keys never appear
    print(f"store push{' (dry run)' if args.dry_run else ''}: {store.uri()}")
    pushes = []
    for tenant_id in tenants:
        result = push_tenant(targets, tenant_id, args.dry_run, args.delete_local, args.workers)
        _report(result, args.dry_run)
        pushes.append(result)
    failed = sum(len(p.failed) + (p.index_error is not None) for p in pushes)
    moved = sum(p.moved + (p.index.rows if p.index else 0) for p in pushes)
    kept = "deleted where moved" if args.delete_local else "left in place"
    if failed:
        print(f"store push: {failed} failed; run it again after fixing them (local files {kept})")
    elif moved == 0:
        print("store push: nothing to move, everything is on the shared store")
    else:
        print(f"store push: done (local files {kept})")
    return 1 if failed else 0


def _report(p: TenantPush, dry_run: bool) -> None:
    verb = "would move" if dry_run else "moved"
    line = (
        f"{p.tenant_id}: recordings {verb} {p.moved}, already there {p.there}, "
        f"failed {len(p.failed)}"
    )
    if p.deleted:
        line += f", local files deleted {p.deleted}"
    if p.changed_meanwhile:
        line += f", re-archived by a run meanwhile {p.changed_meanwhile}"
    if p.index is not None:
        rows = "would copy" if dry_run else "copied"
        line += (
            f"; index rows {rows} {p.index.rows} (days {rows} {p.index.days}, "
            f"already there {p.index.days_there})"
        )
    print(line)
    for call_id, reason in p.failed:
        print(f"  {p.tenant_id} call {call_id}: {reason}")
    if p.index_error:
        print(f"  {p.tenant_id} index: {p.index_error}")


COMMAND = Command(
    "store", "Move local recordings and search indices onto the shared store.", add_arguments, run
)
