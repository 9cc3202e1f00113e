"""Search and ask for the explorer (the API and the pages both call these): the tenant's own
index and embedder, results as JSON-ready dicts whose hits and citations link to the call page at
the cited turn. Errors are HTTPExceptions with ids and reasons, never transcript text:
409 when the tenant has no index yet (or one built with another model), 400 for bad input,
502 when the tenant's LLM provider refuses.
"""

from dataclasses import asdict
from datetime import date

import duckdb
from fastapi import HTTPException

from callintel_dagster.explorer.turn_links import link, turns_of
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.base import ProviderError
from callintel_dagster.search import ChunkIndex, EmptyIndex, Filters, ModelMismatch, search
from callintel_dagster.search.ask import ask

HIT_FIELDS = ("call_id", "day", "speaker", "start_s", "end_s", "snippet", "score", "agent")
HIT_FIELDS += ("sentiment", "language", "contact_tag", "quality_score", "objections")
BUSY = "the warehouse is busy with a pipeline run; ask again in a minute"


def open_store(settings, tenant: Tenant) -> ChunkIndex:
    """The tenant's index, checked before any model loads."""
    store = ChunkIndex.for_env(settings.env)  # local, or the shared store's bucket
    if store.open(tenant.id) is None:
        raise HTTPException(409, _no_index(tenant))
    return store


def run_search(
    settings,
    tenant: Tenant,
    text: str,
    mode: str = "hybrid",
    day_from: date | None = None,
    day_to: date | None = None,
    limit: int = 10,
) -> list[dict]:
    if not text.strip():
        raise HTTPException(400, [{"param": "q", "reason": "the search text is empty"}])
    filters = _filters(day_from, day_to)
    store = open_store(settings, tenant)
    embedder = None if mode == "bm25" else settings.embedders.for_tenant(tenant)
    try:
        hits = search(store, embedder, tenant.id, text, filters, limit, mode)
    except (EmptyIndex, ModelMismatch) as exc:
        raise HTTPException(409, _index_problem(tenant, exc)) from None
    turns = turns_of(settings.reader, tenant.id, {h.call_id for h in hits})
    out = []
    for hit in hits:
        row = {k: v for k, v in asdict(hit).items() if k in HIT_FIELDS}
        out.append({**row, **link(tenant.id, turns, hit.call_id, hit.start_s)})
    return out


def run_ask(
    settings, tenant: Tenant, question: str, day_from: date | None, day_to: date | None
) -> dict:
    if not question.strip():
        raise HTTPException(400, [{"param": "question", "reason": "the question is empty"}])
    filters = _filters(day_from, day_to)
    store = open_store(settings, tenant)
    try:
        embedder = settings.embedders.for_tenant(tenant)
        answer = ask(settings.warehouse, store, embedder, tenant, question, filters)
    except (EmptyIndex, ModelMismatch) as exc:
        raise HTTPException(409, _index_problem(tenant, exc)) from None
    except ProviderError as exc:  # a refused key, an unknown model: the tenant's to fix
        raise HTTPException(502, f"tenant {tenant.id}: the LLM provider refused: {exc}") from None
    except TimeoutError:  # a run held the live DuckDB file longer than a person waits
        raise HTTPException(503, BUSY, headers={"Retry-After": "60"}) from None
    except duckdb.IOException as exc:  # another program (an analyst's shell) holds the file
        if "lock" not in str(exc).lower():
            raise
        raise HTTPException(503, BUSY, headers={"Retry-After": "60"}) from None
    body = answer.to_json()
    cited = [c["call_id"] for c in body["citations"]]
    cited += [c["call_id"] for s in body["statements"] for c in s["citations"]]
    turns = turns_of(settings.reader, tenant.id, cited)
    for citation in body["citations"] + [c for s in body["statements"] for c in s["citations"]]:
        citation.update(
            link(tenant.id, turns, citation["call_id"], citation["start_s"], citation["quote"])
        )
    return body


def _filters(day_from: date | None, day_to: date | None) -> Filters:
    try:
        return Filters(day_from=day_from, day_to=day_to)
    except ValueError:
        raise HTTPException(400, [{"param": "day_from", "reason": "is after day_to"}]) from None


def _no_index(tenant: Tenant) -> str:
    return f"tenant {tenant.id} has no search index yet: run the pipeline for its days first"


def _index_problem(tenant: Tenant, exc: Exception) -> str:
    if isinstance(exc, EmptyIndex):
        return _no_index(tenant)
    return f"tenant {tenant.id}: the search index was built with another model; re-embed its days"
