"""`callintel serve`: the call explorer, a tenant-scoped web app and JSON API (docs/explorer.md).

    CALLINTEL_KEY_ACME_REALTY=... CALLINTEL_ADMIN_KEY=... callintel serve --host 127.0.0.1 --port 8000

Each tenant logs in with the key in its variable (tenants.yaml `explorer.key_env`, default
CALLINTEL_KEY_<TENANT_ID>); CALLINTEL_ADMIN_KEY sees every tenant. `make explore` sets demo keys.
"""

import argparse
import logging

from callintel_dagster.cli.commands.base import Command, settings, user_error
from callintel_dagster.lib.tenants.registry import RegistryError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")


def run(args: argparse.Namespace) -> int:
    from callintel_dagster.explorer.serve import run as serve
    from callintel_dagster.explorer.settings import ExplorerSettings

    if not 0 <= args.port <= 65535:
        raise user_error(f"--port must be between 0 and 65535, not {args.port}")
    env = settings()
    try:
        config = ExplorerSettings.from_env(env)
    except RegistryError as exc:
        raise user_error(str(exc)) from None
    if not config.tenants:
        raise user_error(f"no active tenant in {env.tenants_path}")
    keyed = [t.id for t in config.tenants if config.key_of(t)]
    if not keyed and not config.admin_key():
        names = ", ".join(t.explorer.key_env_for(t.id) for t in config.tenants)
        raise user_error(f"no explorer key is set: set {config.admin_key_env} or one of {names}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    print(f"call explorer on http://{args.host}:{args.port} for {', '.join(keyed) or 'admin'}")
    serve(config, args.host, args.port)
    return 0


COMMAND = Command(
    "serve",
    "Serve the call explorer: a tenant's calls, KPIs, search and ask, as pages and a JSON API.",
    add_arguments,
    run,
)
