"""Who is asking, and which tenant they may see.

The API takes `Authorization: Bearer <key>`; pages take a signed session cookie made by the
login form (Starlette's SessionMiddleware, itsdangerous). A key is a tenant's (that tenant only)
or the admin's (every tenant). Keys are compared in constant time against every candidate, and
the session keeps only a fingerprint of the key (an HMAC under the explorer secret), so rotating a
key ends the sessions made with the old one. A tenant the principal may not see answers 404,
exactly like a tenant that does not exist.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from callintel_dagster.lib.tenants.registry import Tenant

if TYPE_CHECKING:  # settings imports the read layer; auth needs only its shape
    from callintel_dagster.explorer.settings import ExplorerSettings

ADMIN = "*"  # the session's principal for the admin key
SESSION_PRINCIPAL, SESSION_FINGERPRINT, SESSION_CSRF = "principal", "key_fp", "csrf"
NOT_FOUND = "no such tenant"  # the same words for an unknown tenant and one not yours

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="TenantKey",
    description="A tenant's explorer key (that tenant only) or the admin key (every tenant).",
)


@dataclass(frozen=True)
class Principal:
    tenant_id: str | None  # None: the admin

    @property
    def is_admin(self) -> bool:
        return self.tenant_id is None

    def may_see(self, tenant_id: str) -> bool:
        return self.is_admin or self.tenant_id == tenant_id


class LoginRequired(Exception):
    """A page needs a session: the app answers with a redirect to /login?next=<this page>."""

    def __init__(self, next_url: str):  # the page's path and query, unquoted
        super().__init__("login required")
        self.next_url = next_url


def settings_of(request: Request) -> "ExplorerSettings":
    return request.app.state.settings


def fingerprint(settings: "ExplorerSettings", key: str) -> str:
    return hmac.new(settings.secret.encode(), key.encode(), hashlib.sha256).hexdigest()[:16]


def _same(candidate: str | None, key: str) -> bool:
    # compare_digest runs for every candidate, set or not (an unset one never matches a key)
    return hmac.compare_digest((candidate or "").encode(), key.encode())


def principal_for_key(settings: "ExplorerSettings", key: str | None) -> Principal | None:
    """The principal a key belongs to; None for no key, a wrong one, or one that two tenants
    share (a misconfiguration that must never pick one of them)."""
    if not key:
        return None
    is_admin = _same(settings.admin_key(), key)
    owners = [t.id for t in settings.tenants if _same(settings.key_of(t), key)]
    if is_admin:
        return Principal(None)
    return Principal(owners[0]) if len(owners) == 1 else None


def _current_key(settings: "ExplorerSettings", principal: Principal) -> str | None:
    if principal.is_admin:
        return settings.admin_key()
    tenant = settings.tenant(principal.tenant_id or "")
    return settings.key_of(tenant) if tenant else None


def _visible_tenant(settings: "ExplorerSettings", principal: Principal, tenant_id: str) -> Tenant:
    tenant = settings.tenant(tenant_id)
    if tenant is None or not principal.may_see(tenant_id):
        raise HTTPException(404, NOT_FOUND)
    return tenant


# ---- the API: a Bearer key on every request ---------------------------------------------------


def api_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    principal = principal_for_key(settings_of(request), credentials and credentials.credentials)
    if principal is None:
        reason = "a wrong API key" if credentials else "no API key (Authorization: Bearer <key>)"
        raise HTTPException(401, reason, headers={"WWW-Authenticate": "Bearer"})
    return principal


def api_tenant(
    tenant_id: str, request: Request, principal: Annotated[Principal, Depends(api_principal)]
) -> Tenant:
    return _visible_tenant(settings_of(request), principal, tenant_id)


ApiTenant = Annotated[Tenant, Depends(api_tenant)]  # for route signatures: `tenant: ApiTenant`


# ---- pages: a session made by the login form ----------------------------------------------------


def session_principal(request: Request) -> Principal | None:
    """The session's principal while its key is still the one it logged in with."""
    settings, session = settings_of(request), request.session
    who, fp = session.get(SESSION_PRINCIPAL), session.get(SESSION_FINGERPRINT)
    if not isinstance(who, str) or not isinstance(fp, str):
        return None
    principal = Principal(None if who == ADMIN else who)
    key = _current_key(settings, principal)
    if key is None or not hmac.compare_digest(fingerprint(settings, key), fp):
        logout(request)  # the key was rotated or removed: this session is over
        return None
    return principal


def page_principal(request: Request) -> Principal:
    principal = session_principal(request)
    if principal is None:
        raise LoginRequired(_here(request))
    return principal


def page_tenant(
    tenant_id: str, request: Request, principal: Annotated[Principal, Depends(page_principal)]
) -> Tenant:
    return _visible_tenant(settings_of(request), principal, tenant_id)


# for route signatures: `tenant: PageTenant`, `principal: PagePrincipal`
PagePrincipal = Annotated[Principal, Depends(page_principal)]
PageTenant = Annotated[Tenant, Depends(page_tenant)]


def login(request: Request, key: str) -> Principal | None:
    """Start a session for the key's principal (a fresh session: nothing of the anonymous one
    carries over); None, and no session, for a wrong key."""
    settings = settings_of(request)
    principal = principal_for_key(settings, (key or "").strip())
    request.session.clear()
    if principal is None:
        return None
    request.session[SESSION_PRINCIPAL] = principal.tenant_id or ADMIN
    request.session[SESSION_FINGERPRINT] = fingerprint(settings, key.strip())
    return principal


def logout(request: Request) -> None:
    request.session.clear()


def visible_tenants(request: Request, principal: Principal) -> list[Tenant]:
    """The tenants the principal may open (the admin's picker lists them all)."""
    return [t for t in settings_of(request).tenants if principal.may_see(t.id)]


def safe_next(next_url: str | None, default: str = "/") -> str:
    """Where to go after logging in: a path on this site only (never `//host` or `https://...`)."""
    if not next_url or not next_url.startswith("/") or next_url.startswith(("//", "/\\")):
        return default
    parts = urlsplit(next_url)
    return default if parts.scheme or parts.netloc else next_url


def login_url(next_url: str) -> str:
    """/login?next=<the page asked for>, the redirect for a page without a session."""
    return f"/login?next={quote(next_url, safe='')}"


def _here(request: Request) -> str:
    url = request.url
    return url.path + (f"?{url.query}" if url.query else "")


# ---- CSRF: a random token in the session, echoed by every POST form -----------------------------


def csrf_token(request: Request) -> str:
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


def verify_csrf(request: Request, token: str | None) -> None:
    """Raises 403 unless `token` is this session's CSRF token."""
    expected = request.session.get(SESSION_CSRF)
    if (
        not isinstance(expected, str)
        or not token
        or not hmac.compare_digest(expected.encode(), str(token).encode())
    ):
        raise HTTPException(403, "this form has expired or did not come from this site; reload it")
