"""Print what the daily digest of one tenant-day sends to each recipient, sending nothing:

    python -m callintel_dagster.cli.preview_digest --tenant acme --date 2026-11-18

For a Twilio template: the ContentSid and the ContentVariables JSON; in body mode: each Body part
as Twilio would get it; for the outbox: the text. Parts the ledger already records as sent (or as
failed) are marked: a run sends those only with `force_resend`. Reads the warehouse and tenant
registry that CALLINTEL_HOME / CALLINTEL_TENANTS / CALLINTEL_WAREHOUSE_URL point at, like the
demo. Exits 2 when the tenant-day has no daily summary yet.
"""

import argparse
import json
import sys
from datetime import date

from callintel_dagster.env import current_env
from callintel_dagster.lib.digest.parts import plan_parts
from callintel_dagster.lib.tables import WHATSAPP_LEDGER
from callintel_dagster.lib.tenants.registry import RegistryError, load_registry
from callintel_dagster.resources.digests import sender_class
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.stages.digest import load_digest

LEDGER_SQL = (
    f"SELECT part_index, status, message_sid, error_code FROM {WHATSAPP_LEDGER.qualified} "
    "WHERE tenant_id = ? AND partition_date = ? AND recipient = ?"
)


def _ledger(warehouse: Warehouse, tenant_id: str, day: date, recipient: str) -> dict[int, dict]:
    rows = warehouse.query(LEDGER_SQL, [tenant_id, day, recipient])
    return {int(r["part_index"]): r for r in rows.to_dict("records")}


def _mark(row: dict | None) -> str:
    if row is None:
        return "not sent yet: the next run sends it"
    code = row["error_code"]
    error = f", error {int(code)}" if code is not None and code == code else ""
    return f"ledger: {row['status']} {row['message_sid'] or ''}{error} (a run does not resend it)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Preview a tenant-day's WhatsApp digest")
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--date", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    args = parser.parse_args(argv)
    env = current_env()
    try:
        tenant = load_registry(env.tenants_path).get(args.tenant)
    except RegistryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not env.warehouse_url and not env.duckdb_path.exists():
        print(f"error: no warehouse at {env.duckdb_path}: run `make demo` first", file=sys.stderr)
        return 2
    warehouse = Warehouse(url=env.warehouse_location)
    digest = load_digest(warehouse, tenant, args.date)
    if digest is None:
        print(
            f"error: no daily summary for {tenant.id} on {args.date} yet "
            "(materialize daily_ai_summary for that tenant-day first)",
            file=sys.stderr,
        )
        return 2
    config = tenant.digest
    ledgered = sender_class(tenant).ledgered  # sent in parts, each recorded in the ledger
    mode = f" ({config.mode} mode)" if ledgered else ""
    print(f"{tenant.name} ({tenant.id}) · {args.date} · {config.provider}{mode}")
    if not config.recipients:
        print("no recipients configured: nothing would be sent")
    for recipient in config.recipients:
        print(f"\n→ {recipient}")
        if not ledgered:
            print("  | " + digest.text.replace("\n", "\n  | "))
            continue
        sent = _ledger(warehouse, tenant.id, args.date, recipient)
        for part in plan_parts(config, digest.facts):
            if part.mode == "template":
                variables = json.dumps(
                    json.loads(part.content_variables), ensure_ascii=False, indent=2
                )
                print(f"  ContentSid {part.content_sid}   {_mark(sent.get(0))}")
                print("  ContentVariables " + variables.replace("\n", "\n  "))
            else:
                head = f"part {part.index + 1}/{part.parts}, {len(part.body)} chars"
                print(f"  [{head}]   {_mark(sent.get(part.index))}")
                print("  | " + part.body.replace("\n", "\n  | "))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
