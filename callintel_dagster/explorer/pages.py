"""The explorer's pages: login, the admin's tenant picker, a tenant's dashboard, calls, call,
search and ask. Server-rendered Jinja2 (page_format.py); the read layer and the search/ask
helpers are the API's, so a page never shows what the API would not.

Every tenant page takes `PageTenant` (a session, and 404 for a tenant not the principal's);
every POST form carries the session's CSRF token.
"""

from datetime import date, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Path, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import RedirectResponse, StreamingResponse
from pydantic import ValidationError

from callintel_dagster.explorer import auth
from callintel_dagster.explorer.api import DEFAULT_KPI_DAYS, MAX_KPI_DAYS, check_days
from callintel_dagster.explorer.auth import PagePrincipal, PageTenant, settings_of
from callintel_dagster.explorer.call_page import call_detail
from callintel_dagster.explorer.calls import CallFilters, calls_csv, facets, list_calls
from callintel_dagster.explorer.dashboard import dashboard
from callintel_dagster.explorer.page_format import as_date, describe, kpi_totals, templates
from callintel_dagster.explorer.recording import recording_response
from callintel_dagster.explorer.search_api import run_ask, run_search

router = APIRouter(include_in_schema=False)
CHARTS = [
    ("calls", "Calls and connected"),
    ("connected_rate", "Connected rate"),
    ("talk_minutes", "Talk minutes"),
    ("avg_quality", "Average quality"),
    ("booked", "Bookings"),
    ("sentiment", "Sentiment"),
    ("ai_cost_usd", "AI cost (USD)"),
    ("objections", "Objections"),
    ("funnel", "Lead funnel"),
]
CallId = Annotated[str, Path(min_length=1, max_length=200)]
SORTS = [("started", "Start time"), ("duration", "Duration"), ("quality", "Quality"),
         ("lead_score", "Lead score"), ("agent", "Agent")]  # fmt: skip


def render(request: Request, name: str, status_code: int = 200, **context):
    principal = auth.session_principal(request)
    context |= {"principal": principal, "csrf": auth.csrf_token(request)}
    return templates.TemplateResponse(request, name, context, status_code=status_code)


# ---- login, logout, home ----------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request, next: str = "/"):
    if auth.session_principal(request):
        return RedirectResponse(auth.safe_next(next), status_code=303)
    return render(request, "login.html", title="Sign in", next=auth.safe_next(next))


@router.post("/login")
def login_submit(
    request: Request,
    key: Annotated[str, Form(max_length=500)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
):
    auth.verify_csrf(request, csrf)
    if auth.login(request, key) is None:
        error = "That key is not valid. Check it and try again."
        return render(request, "login.html", 401, title="Sign in", next=next, error=error)
    return RedirectResponse(auth.safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form(max_length=200)] = ""):
    auth.verify_csrf(request, csrf)
    auth.logout(request)
    return RedirectResponse("/login", status_code=303)


@router.get("/")
def home(request: Request, principal: PagePrincipal):
    if not principal.is_admin:
        return RedirectResponse(f"/t/{principal.tenant_id}/", status_code=303)
    tenants = auth.visible_tenants(request, principal)
    return render(request, "tenants.html", title="Tenants", tenants=tenants)


# ---- a tenant's pages ---------------------------------------------------------------------------


@router.get("/t/{tenant_id}/")
def dashboard_page(
    request: Request, tenant: PageTenant, day_from: date | None = None, day_to: date | None = None
):
    reader = settings_of(request).reader
    # the API's default range: the last DEFAULT_KPI_DAYS days up to the last day with calls
    day_to = day_to or as_date(facets(reader, tenant.id).get("last_day")) or date.today()
    day_from = day_from or day_to - timedelta(days=DEFAULT_KPI_DAYS - 1)
    check_days(day_from, day_to, MAX_KPI_DAYS)
    board = dashboard(reader, tenant.id, day_from, day_to)
    return render(
        request, "dashboard.html", title="Dashboard", tenant=tenant, active="dashboard",
        day_from=day_from, day_to=day_to, board=board, totals=kpi_totals(board["days"]),
        board_json=jsonable_encoder(board), charts=CHARTS,
    )  # fmt: skip


@router.get("/t/{tenant_id}/calls")
def calls_page(request: Request, tenant: PageTenant):
    reader = settings_of(request).reader
    form = _form(request)
    result, error = None, None
    try:
        result = list_calls(reader, tenant.id, CallFilters.model_validate(form))
    except ValidationError as exc:
        error = _problems(exc)

    def page_query(page: int) -> str:
        return urlencode({**form, "page": page})

    query = urlencode({k: v for k, v in form.items() if k not in ("page", "per_page")})
    return render(
        request, "calls.html", title="Calls", tenant=tenant, active="calls", form=form,
        result=result, error=error, facets=facets(reader, tenant.id), sorts=SORTS,
        page_query=page_query, query=query,
    )  # fmt: skip


@router.get("/t/{tenant_id}/calls.csv")
def calls_csv_page(request: Request, tenant: PageTenant):
    try:
        filters = CallFilters.model_validate(_form(request))
    except ValidationError as exc:
        raise HTTPException(400, _problems(exc)) from None
    rows = calls_csv(settings_of(request).reader, tenant.id, filters)
    headers = {"Content-Disposition": f'attachment; filename="{tenant.id}-calls.csv"'}
    return StreamingResponse(rows, media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/t/{tenant_id}/calls/{call_id}")
def call_page(request: Request, tenant: PageTenant, call_id: CallId):
    detail = call_detail(settings_of(request).reader, tenant.id, call_id)
    if detail is None:
        raise HTTPException(404, "no such call in this tenant")
    return render(
        request, "call.html", title=f"Call {call_id}", tenant=tenant, active="calls", detail=detail
    )


@router.get("/t/{tenant_id}/calls/{call_id}/audio")
def call_audio_page(request: Request, tenant: PageTenant, call_id: CallId):
    # from disk or the shared store; Range requests answered either way: seeking works
    return recording_response(settings_of(request), tenant.id, call_id, request)


@router.get("/t/{tenant_id}/search")
def search_page(
    request: Request, tenant: PageTenant, q: str = "", day_from: date | None = None,
    day_to: date | None = None,
):  # fmt: skip
    hits, error = None, None
    if q.strip():
        try:
            check_days(day_from, day_to)
            hits = run_search(settings_of(request), tenant, q[:200], "hybrid", day_from, day_to)
        except HTTPException as exc:
            error = describe(exc.detail)
    return render(
        request, "search.html", title="Search", tenant=tenant, q=q, hits=hits, error=error,
        day_from=day_from, day_to=day_to,
    )  # fmt: skip


@router.get("/t/{tenant_id}/ask")
def ask_page(request: Request, tenant: PageTenant):
    return render(request, "ask.html", title="Ask", tenant=tenant, active="ask")


@router.post("/t/{tenant_id}/ask")
def ask_submit(
    request: Request,
    tenant: PageTenant,
    question: Annotated[str, Form(max_length=1000)] = "",  # as the API's AskBody
    csrf: Annotated[str, Form(max_length=200)] = "",
    day_from: Annotated[str, Form(max_length=10)] = "",
    day_to: Annotated[str, Form(max_length=10)] = "",
):
    auth.verify_csrf(request, csrf)
    answer, error = None, None
    try:
        first, last = _day(day_from, "day_from"), _day(day_to, "day_to")
        check_days(first, last)
        answer = run_ask(settings_of(request), tenant, question, first, last)
    except HTTPException as exc:
        error = describe(exc.detail)
    return render(
        request, "ask.html", title="Ask", tenant=tenant, active="ask", question=question,
        day_from=day_from, day_to=day_to, answer=answer, error=error,
    )  # fmt: skip


# ---- helpers ------------------------------------------------------------------------------------


def _form(request: Request) -> dict[str, str]:
    """The filter form's query parameters, with the "Any" (empty) choices left out."""
    fields = CallFilters.model_fields
    return {k: v for k, v in request.query_params.items() if k in fields and v.strip()}


def _problems(exc: ValidationError) -> str:
    """Which filter and why, never the value itself."""
    parts = [f"{'.'.join(map(str, e['loc'])) or 'filters'}: {e['msg']}" for e in exc.errors()]
    return "Please fix the filters — " + "; ".join(parts)


def _day(value: str, param: str) -> date | None:
    try:
        return date.fromisoformat(value) if value.strip() else None
    except ValueError:
        raise HTTPException(
            400, [{"param": param, "reason": "is not a date (YYYY-MM-DD)"}]
        ) from None
