"""The explorer's JSON API: one tenant's calls, a call, its audio, KPIs, search and ask, under
/api/tenants/{tenant_id}/ with `Authorization: Bearer <key>` (auth.py). Errors: app.py.

Every route takes the tenant through `api_tenant`, so a key never reaches another tenant's data
(404, as for a tenant that does not exist), and passes that tenant's id to every read.
"""

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from callintel_dagster.explorer.auth import ApiTenant, settings_of
from callintel_dagster.explorer.call_page import call_detail
from callintel_dagster.explorer.calls import CallFilters, calls_csv, facets, list_calls
from callintel_dagster.explorer.dashboard import dashboard
from callintel_dagster.explorer.page_format import as_date
from callintel_dagster.explorer.recording import recording_response
from callintel_dagster.explorer.search_api import run_ask, run_search
from callintel_dagster.explorer.turn_links import call_page_url

DEFAULT_KPI_DAYS = 30  # /kpis without dates: the last 30 days that hold calls
MAX_KPI_DAYS = 366
NOT_FOUND_CALL = "no such call for this tenant"


class ErrorBody(BaseModel):
    """Every error's body: `detail` is a sentence, or for bad parameters [{param, reason}]."""

    error: str = Field(examples=["bad request"])
    detail: str | list[dict] = Field(
        examples=[[{"param": "day_from", "reason": "is after day_to"}]]
    )


ERRORS = {
    400: {"model": ErrorBody, "description": "A malformed parameter: which one, and why"},
    401: {"model": ErrorBody, "description": "No key, or a wrong one (WWW-Authenticate: Bearer)"},
    404: {"model": ErrorBody, "description": "No such tenant for this key, or no such call"},
}
NO_INDEX = {409: {"model": ErrorBody, "description": "The tenant has no search index yet"}}
ASK_ERRORS = {
    **NO_INDEX,
    502: {"model": ErrorBody, "description": "The tenant's LLM provider refused"},
    503: {"model": ErrorBody, "description": "A pipeline run holds the warehouse: retry"},
}
router = APIRouter(prefix="/api/tenants/{tenant_id}", tags=["tenant"], responses=ERRORS)


class AskBody(BaseModel):
    question: str = Field(min_length=1, max_length=1000)
    day_from: date | None = None
    day_to: date | None = None


@router.get("/calls", summary="A page of the tenant's calls, filtered and sorted")
def calls(tenant: ApiTenant, request: Request, filters: Annotated[CallFilters, Query()]) -> dict:
    page = list_calls(settings_of(request).reader, tenant.id, filters)
    return {
        "tenant": tenant.id,
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
        "pages": page.pages,
        "calls": [_with_url(tenant.id, row) for row in page.rows],
    }


@router.get("/calls.csv", summary="Every call matching the filters, as CSV")
def calls_as_csv(
    tenant: ApiTenant, request: Request, filters: Annotated[CallFilters, Query()]
) -> StreamingResponse:
    rows = calls_csv(settings_of(request).reader, tenant.id, filters)
    headers = {"Content-Disposition": f'attachment; filename="{tenant.id}-calls.csv"'}
    return StreamingResponse(rows, media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/facets", summary="The values the call filters can take, and the days with calls")
def call_facets(tenant: ApiTenant, request: Request) -> dict:
    return {"tenant": tenant.id, **facets(settings_of(request).reader, tenant.id)}


@router.get("/calls/{call_id}", summary="One call: transcript, analysis, recording, lead, problems")
def call(tenant: ApiTenant, request: Request, call_id: str) -> dict:
    detail = call_detail(settings_of(request).reader, tenant.id, _call_id(call_id))
    if detail is None:
        raise HTTPException(404, NOT_FOUND_CALL)
    return {"tenant": tenant.id, "url": call_page_url(tenant.id, call_id), **detail}


@router.get("/calls/{call_id}/audio", summary="The call's archived recording")
def audio(tenant: ApiTenant, request: Request, call_id: str) -> Response:
    # from disk or the shared store; Range requests answered either way (seeking)
    return recording_response(settings_of(request), tenant.id, _call_id(call_id), request)


@router.get("/kpis", summary="KPIs per day, leaderboard, objections, funnel and freshness")
def kpis(
    tenant: ApiTenant, request: Request, day_from: date | None = None, day_to: date | None = None
) -> dict:
    reader = settings_of(request).reader
    if day_from is None or day_to is None:
        last = facets(reader, tenant.id).get("last_day")
        end = day_to or as_date(last) or date.today()
        day_to, day_from = end, day_from or end - timedelta(days=DEFAULT_KPI_DAYS - 1)
    check_days(day_from, day_to, MAX_KPI_DAYS)
    body = dashboard(reader, tenant.id, day_from, day_to)
    return {"tenant": tenant.id, "day_from": day_from, "day_to": day_to, **body}


@router.get(
    "/search", summary="Hybrid (BM25 + vector) search across the tenant's calls", responses=NO_INDEX
)
def search(
    tenant: ApiTenant,
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=200, description="what to look for")],
    mode: Annotated[str, Query(pattern="^(hybrid|bm25|vector)$")] = "hybrid",
    day_from: date | None = None,
    day_to: date | None = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict:
    check_days(day_from, day_to)
    hits = run_search(settings_of(request), tenant, q, mode, day_from, day_to, limit)
    return {"tenant": tenant.id, "mode": mode, "hits": hits}


@router.post(
    "/ask",
    summary="A question across the tenant's calls, with checked citations",
    responses=ASK_ERRORS,
)
def ask(tenant: ApiTenant, request: Request, body: AskBody) -> dict:
    check_days(body.day_from, body.day_to)
    answer = run_ask(settings_of(request), tenant, body.question, body.day_from, body.day_to)
    return {"tenant": tenant.id, **answer}


def check_days(day_from: date | None, day_to: date | None, max_days: int | None = None) -> None:
    """400 for a range that ends before it starts, or one longer than `max_days`."""
    if day_from and day_to and day_from > day_to:
        raise HTTPException(400, [{"param": "day_from", "reason": "is after day_to"}])
    if max_days and day_from and day_to and (day_to - day_from).days + 1 > max_days:
        reason = f"the range is longer than {max_days} days"
        raise HTTPException(400, [{"param": "day_to", "reason": reason}])


def _call_id(call_id: str) -> str:
    if not call_id or len(call_id) > 200:
        raise HTTPException(400, [{"param": "call_id", "reason": "must be 1 to 200 characters"}])
    return call_id


def _with_url(tenant_id: str, row: dict) -> dict:
    return {**row, "url": call_page_url(tenant_id, row["call_id"])}
