"""The `callintel` subcommands: each module defines one `Command`, listed in COMMANDS.

Add a command: a module here with `COMMAND = Command(name, help, add_arguments, run)`, and one
line below.
"""

from callintel_dagster.cli.commands.base import Command
from callintel_dagster.cli.commands.tenants import COMMAND as TENANTS

COMMANDS: list[Command] = [TENANTS]
