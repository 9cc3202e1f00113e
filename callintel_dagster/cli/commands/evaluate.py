"""`callintel evaluate`: one yes/no question asked of every call of a tenant in a range of days,
each answer stored with its checked quote (core.evaluations); a re-run on the same calls costs
nothing. docs/search.md#ask-and-evaluate."""

import argparse
import sys

from callintel_dagster.cli.commands.base import (
    Command,
    day_arg,
    mm_ss,
    print_json,
    settings,
    tenant_of,
    user_error,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tenant", required=True, help="the tenant id (see `callintel tenants`)")
    parser.add_argument("question", help='a yes/no question, e.g. "Did the agent offer a demo?"')
    parser.add_argument(
        "--from", dest="day_from", required=True, metavar="YYYY-MM-DD", help="first local day"
    )
    parser.add_argument(
        "--to", dest="day_to", required=True, metavar="YYYY-MM-DD", help="last local day"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from callintel_dagster.providers.base import ProviderError
    from callintel_dagster.resources.warehouse import Warehouse
    from callintel_dagster.search.evaluate import NoTranscripts, evaluate

    env = settings()
    tenant = tenant_of(env, args.tenant)
    days = []
    for flag, value in (("from", args.day_from), ("to", args.day_to)):
        try:
            days.append(day_arg(value))
        except argparse.ArgumentTypeError as exc:
            raise user_error(f"--{flag}: {exc}") from None
    if days[0] > days[1]:
        raise user_error(f"--from {days[0]} is after --to {days[1]}")
    if not args.question.strip():
        raise user_error("the question is empty")
    warehouse = Warehouse(url=env.warehouse_location)
    try:
        out = evaluate(warehouse, tenant, args.question, days[0], days[1], _progress())
    except NoTranscripts as exc:
        raise user_error(str(exc)) from None
    except ProviderError as exc:  # e.g. a refused key or unknown model: the tenant's to fix
        raise user_error(f"tenant {tenant.id}: the LLM provider refused: {exc}") from None
    if args.json:
        print_json({"tenant": tenant.id, **out.to_json()})
        return 0
    c = out.counts
    print(f"{args.question}")
    print(f"  yes {c['yes']}   no {c['no']}   unknown {c['unknown']}   ({len(out.calls)} calls)")
    for call in out.calls:
        where = f" @ {mm_ss(call.start_s)}" if call.quote else ""
        said = f' "{call.quote}"' if call.quote else f"  ({call.reason})" if call.reason else ""
        print(f"{call.answer:<8} {call.call_id}{where}{said}")
    spent = f"{out.requests} LLM requests, ${out.cost_usd:.6f}" if out.requests else "no cost"
    print(f"(mode {out.mode}; {out.reused} answers reused; {spent})")
    return 0


def _progress():
    """Progress on stderr: a line updated in place on a terminal, else a line per tenth."""
    tty = sys.stderr.isatty()
    shown = [-1]

    def report(done: int, total: int, call_id: str) -> None:
        if tty:
            end = "\n" if done == total else ""
            print(f"\revaluated {done}/{total} calls", end=end, file=sys.stderr, flush=True)
            return
        tenth = done * 10 // total
        if total >= 10 and tenth > shown[0]:
            shown[0] = tenth
            print(f"evaluated {done}/{total} calls", file=sys.stderr, flush=True)

    return report


COMMAND = Command(
    "evaluate",
    "Ask one yes/no question of every call in a range of days: yes/no/unknown counts, each "
    "answer with its checked quote, stored and reused.",
    add_arguments,
    run,
)
