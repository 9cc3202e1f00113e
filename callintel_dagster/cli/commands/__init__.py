"""The `callintel` subcommands: each module defines one `Command`, listed in COMMANDS.

Add a command: a module here with `COMMAND = Command(name, help, add_arguments, run)`, and one
line below.
"""

from callintel_dagster.cli.commands.ask import COMMAND as ASK
from callintel_dagster.cli.commands.base import Command
from callintel_dagster.cli.commands.evaluate import COMMAND as EVALUATE
from callintel_dagster.cli.commands.search import COMMAND as SEARCH
from callintel_dagster.cli.commands.serve import COMMAND as SERVE
from callintel_dagster.cli.commands.store import COMMAND as STORE
from callintel_dagster.cli.commands.tenants import COMMAND as TENANTS
from callintel_dagster.cli.commands.whatsapp_webhook import COMMAND as WHATSAPP_WEBHOOK

COMMANDS: list[Command] = [TENANTS, SEARCH, ASK, EVALUATE, WHATSAPP_WEBHOOK, SERVE, STORE]
