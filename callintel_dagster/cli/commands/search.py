"""`callintel search`: hybrid search (BM25 + vectors, fused) across one tenant's calls, with the
filters applied inside the query. docs/search.md."""

import argparse
import os

from callintel_dagster.cli.commands.base import (
    Command,
    day_arg,
    mm_ss,
    open_index,
    print_json,
    settings,
    tenant_of,
    user_error,
)


def add_filter_arguments(parser: argparse.ArgumentParser) -> None:
    """The filters `search` shares with `ask` (search/filters.py)."""
    # dates are checked in filters_of, so a bad one is a one-line error like the others
    parser.add_argument("--from", dest="day_from", metavar="YYYY-MM-DD", help="first local day")
    parser.add_argument("--to", dest="day_to", metavar="YYYY-MM-DD", help="last local day")
    parser.add_argument("--agent", help="agent name (case-insensitive)")
    parser.add_argument("--sentiment", help="positive | neutral | negative")
    parser.add_argument("--tag", help="contact tag: purchased | interested | follow_up | ...")
    parser.add_argument("--objection", help="an objection type the call raised, e.g. price")
    parser.add_argument("--language", help="en | hi | hi-Latn | ...")


def filters_of(args: argparse.Namespace):
    """The Filters of parsed arguments; --from after --to is a user error."""
    from callintel_dagster.search.filters import Filters, where_clause

    days = {}
    for flag, value in (("from", args.day_from), ("to", args.day_to)):
        try:
            days[flag] = day_arg(value) if value else None
        except argparse.ArgumentTypeError as exc:
            raise user_error(f"--{flag}: {exc}") from None
    try:
        filters = Filters(
            day_from=days["from"],
            day_to=days["to"],
            agent=args.agent,
            sentiment=args.sentiment,
            tag=args.tag,
            objection=args.objection,
            language=args.language,
        )
    except ValueError as exc:
        raise user_error(f"--from {args.day_from} is after --to {args.day_to}") from exc
    try:
        where_clause(args.tenant, filters)  # a value it cannot quote is the user's to fix
    except ValueError as exc:
        raise user_error(f"a filter value is not allowed: {exc}") from None
    return filters


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tenant", required=True, help="the tenant id (see `callintel tenants`)")
    parser.add_argument("text", help="what to look for, in the callers' or agents' words")
    add_filter_arguments(parser)
    parser.add_argument("--limit", type=int, default=10, help="hits to show (default 10)")
    parser.add_argument(
        "--mode",
        choices=["hybrid", "bm25", "vector"],
        default="hybrid",
        help="hybrid (default): BM25 and vectors fused by reciprocal rank; or one of them",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    # LanceDB logs deprecation notes of its own hybrid query on stderr; the command's stderr is
    # for the user's errors only (set before lancedb is first imported).
    os.environ.setdefault("LANCEDB_LOG", "error")
    from callintel_dagster.providers.registry import build
    from callintel_dagster.search import SearchError, search

    env = settings()
    tenant = tenant_of(env, args.tenant)
    filters = filters_of(args)
    if args.limit < 1:
        raise user_error(f"--limit must be at least 1, not {args.limit}")
    if not args.text.strip():
        raise user_error("the search text is empty")
    store = open_index(env, tenant)
    # the tenant's model, from the registry as the Embedders resource builds it (no Dagster import)
    embedder = (
        None
        if args.mode == "bm25"
        else build("embeddings", tenant.id, tenant.embeddings.provider, tenant)
    )
    try:
        hits = search(store, embedder, tenant.id, args.text, filters, args.limit, args.mode)
    except SearchError as exc:
        raise user_error(str(exc)) from None
    if args.json:
        print_json(
            {
                "tenant": tenant.id,
                "mode": args.mode,
                "hits": [
                    {
                        "call_id": h.call_id,
                        "day": h.day,
                        "speaker": h.speaker,
                        "start_s": h.start_s,
                        "end_s": h.end_s,
                        "snippet": h.snippet,
                        "score": round(h.score, 6),
                        "chunk_id": h.chunk_id,
                        "agent": h.agent,
                        "sentiment": h.sentiment,
                        "language": h.language,
                        "contact_tag": h.contact_tag,
                        "objections": h.objections,
                    }
                    for h in hits
                ],
            }
        )
        return 0
    if not hits:
        print("no matching calls")
    for h in hits:
        print(f"{h.call_id}  {h.day}  {h.speaker:<8} {mm_ss(h.start_s)}  {h.score:.4f}")
        print(f"    {h.snippet}")
    return 0


COMMAND = Command(
    "search",
    "Search a tenant's calls: hybrid BM25 + vector search, filters applied inside the query.",
    add_arguments,
    run,
)
