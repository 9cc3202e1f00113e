"""`callintel tenants`: the registry's tenants, as the other commands see them."""

import argparse

from callintel_dagster.cli.commands.base import Command, print_json, settings, user_error
from callintel_dagster.lib.tenants.registry import RegistryError, load_registry


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    env = settings()
    try:
        tenants = load_registry(env.tenants_path).tenants
    except RegistryError as exc:
        raise user_error(str(exc)) from None
    rows = [
        {"id": t.id, "name": t.name, "timezone": t.timezone, "active": t.active} for t in tenants
    ]
    if args.json:
        print_json({"tenants": rows})
    else:
        for row in rows:
            state = "" if row["active"] else "  (inactive)"
            print(f"{row['id']:<20} {row['name']:<32} {row['timezone']}{state}")
    return 0


COMMAND = Command("tenants", "List the tenants in the registry.", add_arguments, run)
