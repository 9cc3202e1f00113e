"""`callintel whatsapp-webhook`: serve Twilio's inbound WhatsApp webhook, so that digest recipients
can ask questions by replying (callintel_dagster/inbound/).

    callintel whatsapp-webhook --host 127.0.0.1 --port 8089 [--public-url https://hooks.example.com]

Point each Twilio tenant's WhatsApp sender "A message comes in" webhook at
`<public url>/twilio/inbound` (or `/twilio/inbound/<tenant id>`).
"""

import argparse
import logging
import os

from callintel_dagster.cli.commands.base import Command, settings, user_error
from callintel_dagster.lib.tenants.registry import RegistryError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8089, help="port to listen on")
    parser.add_argument(
        "--public-url",
        default=os.environ.get("CALLINTEL_PUBLIC_URL"),
        help="scheme://host Twilio posts to, when behind a proxy (default: CALLINTEL_PUBLIC_URL;"
        " Twilio signs the exact URL it calls)",
    )
    parser.add_argument(
        "--wait-s",
        type=float,
        default=10.0,
        help="how long a request waits for its answer before answering Twilio (< 15 s)",
    )


def run(args: argparse.Namespace) -> int:
    from callintel_dagster.inbound import serve

    if not 0 < args.wait_s < 15:
        raise user_error("--wait-s must be between 0 and 15 seconds (Twilio's webhook timeout)")
    env = settings()
    try:
        config = serve.settings_from_env(env, public_url=args.public_url, wait_s=args.wait_s)
    except RegistryError as exc:
        raise user_error(str(exc)) from None
    if not config.tenants:
        raise user_error(f"no active tenant in {env.tenants_path} sends its digest through Twilio")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    ids = ", ".join(t.id for t in config.tenants)
    print(f"WhatsApp webhook on http://{args.host}:{args.port}/twilio/inbound for {ids}")
    serve.run(config, args.host, args.port)
    return 0


COMMAND = Command(
    "whatsapp-webhook",
    "Serve Twilio's inbound WhatsApp webhook: digest recipients ask by replying.",
    add_arguments,
    run,
)
