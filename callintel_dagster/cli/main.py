"""The `callintel` command: one entry point, a subcommand per task, the same settings as the demo.

    callintel search --tenant acme "price too high" --from 2026-11-01 --json
    callintel --help, callintel <command> --help

Settings come from the environment, as for `make demo`: CALLINTEL_HOME (warehouse, vectors),
CALLINTEL_TENANTS (the registry), CALLINTEL_WAREHOUSE_URL (PostgreSQL instead of DuckDB).
A user error (unknown tenant, bad date, empty index, ...) is one line on stderr and exit code 2;
`--json` prints exactly one JSON object on stdout.
"""

import argparse
import sys
from collections.abc import Callable

from callintel_dagster.cli.commands import COMMANDS


class UserError(Exception):
    """What the user can fix (a tenant id, a date, a missing index): one line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="callintel",
        description="callintel: search, ask and evaluate across a tenant's calls, and more.",
        epilog="Settings: CALLINTEL_HOME, CALLINTEL_TENANTS, CALLINTEL_WAREHOUSE_URL.",
    )
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        sub = subcommands.add_parser(command.name, help=command.help, description=command.help)
        command.add_arguments(sub)
        sub.set_defaults(run=command.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args) or 0
    except UserError as exc:
        print(f"callintel {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
