"""What every `callintel` subcommand shares: its shape, settings, tenant lookup and date parsing."""

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from callintel_dagster.env import Env, current_env
from callintel_dagster.lib.tenants.registry import RegistryError, Tenant, load_registry
from callintel_dagster.lib.transcripts.moments import mm_ss  # noqa: F401 - the commands' import


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def user_error(message: str) -> Exception:
    from callintel_dagster.cli.main import UserError

    return UserError(message)


def settings() -> Env:
    return current_env()


def tenant_of(env: Env, tenant_id: str) -> Tenant:
    """The registry's tenant, or a one-line error naming the known ones."""
    try:
        registry = load_registry(env.tenants_path)
    except RegistryError as exc:
        raise user_error(str(exc)) from None
    for tenant in registry.tenants:
        if tenant.id == tenant_id:
            return tenant
    known = ", ".join(t.id for t in registry.tenants) or "none"
    raise user_error(f"unknown tenant {tenant_id!r} (known: {known})")


def day_arg(value: str) -> date:
    """An argparse type: YYYY-MM-DD, with a clear message otherwise."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-11-18") from None


def print_json(payload: dict) -> None:
    json.dump(payload, sys.stdout, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def open_index(env: Env, tenant: Tenant):
    """The tenant's search index, checked before any model loads: a tenant without one is a
    one-line error."""
    from callintel_dagster.search.index import ChunkIndex

    store = ChunkIndex.for_env(env)
    if store.open(tenant.id) is None:
        raise user_error(
            f"tenant {tenant.id} has no search index yet: run the pipeline for its days first"
        )
    return store
