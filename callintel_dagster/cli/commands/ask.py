"""`callintel ask`: a question across one tenant's calls, answered with the tenant's LLM (or
extractively with the `offline` provider); every citation checked verbatim against the stored
transcript. docs/search.md#ask-and-evaluate."""

import argparse
import os

from callintel_dagster.cli.commands.base import (
    Command,
    open_index,
    print_json,
    settings,
    tenant_of,
    user_error,
)
from callintel_dagster.cli.commands.search import add_filter_arguments, filters_of


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tenant", required=True, help="the tenant id (see `callintel tenants`)")
    parser.add_argument("question", help="what to ask of the tenant's calls")
    add_filter_arguments(parser)
    parser.add_argument(
        "--limit", type=int, default=12, help="passages (chunks) to retrieve (default 12)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("LANCE_LOG", "error")  # LanceDB's own notes stay off stderr
    from callintel_dagster.providers.base import ProviderError
    from callintel_dagster.resources.embeddings import Embedders
    from callintel_dagster.resources.warehouse import Warehouse
    from callintel_dagster.search import SearchError
    from callintel_dagster.search.ask import ask

    env = settings()
    tenant = tenant_of(env, args.tenant)
    filters = filters_of(args)
    if args.limit < 1:
        raise user_error(f"--limit must be at least 1, not {args.limit}")
    if not args.question.strip():
        raise user_error("the question is empty")
    store = open_index(env, tenant)
    warehouse = Warehouse(url=env.warehouse_location)
    try:
        embedder = Embedders().for_tenant(tenant)
        answer = ask(warehouse, store, embedder, tenant, args.question, filters, args.limit)
    except SearchError as exc:
        raise user_error(str(exc)) from None
    except ProviderError as exc:  # e.g. a refused key or unknown model: the tenant's to fix
        raise user_error(f"tenant {tenant.id}: the LLM provider refused: {exc}") from None
    if args.json:
        print_json({"tenant": tenant.id, **answer.to_json()})
        return 0
    print(answer.answer)
    details = [f"{answer.calls_considered} calls considered", f"mode {answer.mode}"]
    if answer.dropped_citations:
        details.append(f"{answer.dropped_citations} citations failed the check and were removed")
    if answer.requests:
        details.append(f"{answer.requests} LLM requests, ${answer.cost_usd:.6f}")
    print(f"({'; '.join(details)})")
    return 0


COMMAND = Command(
    "ask",
    "Ask a question across a tenant's calls: an answer whose every citation "
    '[call @ mm:ss] "quote" is checked against the stored transcript.',
    add_arguments,
    run,
)
