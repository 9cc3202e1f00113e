"""The explorer's FastAPI app: the JSON API (/api, OpenAPI docs at /api/docs), the pages, the
digest's media, static files, and one way errors look.

Errors: JSON `{"error", "detail"}` under /api, the `error.html` page elsewhere, a redirect to
/login for a page without a session; never a traceback (an unexpected error is logged with an
id, and the id is all the client sees).
"""

import logging
import os
import secrets
from http import HTTPStatus
from pathlib import Path

import plotly
import swagger_ui_bundle
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from callintel_dagster.explorer import api, auth, media, pages
from callintel_dagster.explorer.auth import LoginRequired, login_url
from callintel_dagster.explorer.page_format import describe, templates
from callintel_dagster.explorer.reader import SnapshotUnavailable
from callintel_dagster.explorer.settings import ExplorerSettings

HERE = Path(__file__).parent
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
SWAGGER = "/static/vendor/swagger-ui"  # the swagger-ui-bundle package's files: no CDN
SESSION_MAX_AGE_S = 12 * 3600
log = logging.getLogger(__name__)


def create_app(settings: ExplorerSettings) -> FastAPI:
    # before LanceDB first loads: its notes on its own hybrid query stay off the server's log
    os.environ.setdefault("LANCEDB_LOG", "error")
    app = FastAPI(
        title="callintel explorer",
        summary="A tenant's calls, KPIs, search and questions, as JSON.",
        docs_url=None,  # /api/docs below, with Swagger UI served from this process
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret,
        session_cookie="callintel_session",
        max_age=SESSION_MAX_AGE_S,
        same_site="lax",
        https_only=settings.https_only,
    )
    app.include_router(api.router)
    app.include_router(media.router)
    app.include_router(pages.router)

    @app.get("/static/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        # from the installed plotly package: the pages never load a script from a CDN
        return FileResponse(PLOTLY_JS, media_type="text/javascript")

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> Response:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title="callintel explorer API",
            swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png",
        )

    swagger_files = StaticFiles(directory=swagger_ui_bundle.swagger_ui_path)
    app.mount(SWAGGER, swagger_files, name="swagger-ui")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict:
        return {"status": "ok"}

    _add_error_handlers(app)
    return app


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_response(request: Request, status: int, detail, headers=None) -> Response:
    """The one shape of an error: JSON for the API, the error page for a person."""
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    if _is_api(request):
        body = {"error": title.lower(), "detail": detail}
        return JSONResponse(body, status_code=status, headers=headers)
    message = detail if isinstance(detail, str) else describe(detail)
    context = {"status_code": status, "title": title, "message": message}
    if "session" in request.scope:  # not for a 500: it is answered outside the session layer
        context |= {"principal": auth.session_principal(request), "csrf": auth.csrf_token(request)}
    return templates.TemplateResponse(
        request, "error.html", context, status_code=status, headers=headers
    )


def _bad_params(exc: RequestValidationError) -> list[dict]:
    """Which parameter and why, without echoing a long input back."""
    out = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ()) if part not in ("query", "path", "body")]
        out.append({"param": ".".join(loc) or "request", "reason": err.get("msg", "invalid")})
    return out


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return error_response(request, exc.status_code, exc.detail, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        return error_response(request, 400, _bad_params(exc))

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(login_url(exc.next_url), status_code=303)

    @app.exception_handler(SnapshotUnavailable)
    async def busy(request: Request, exc: SnapshotUnavailable) -> Response:
        detail = "a pipeline run holds the warehouse and there is no snapshot yet: try again soon"
        return error_response(request, 503, detail, {"Retry-After": "30"})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        error_id = secrets.token_hex(6)
        log.error(
            "explorer error %s on %s %s", error_id, request.method, request.url.path, exc_info=exc
        )
        detail = f"an unexpected error (id {error_id}); the server log has the details"
        return error_response(request, 500, detail)
