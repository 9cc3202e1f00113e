"""Zoho CRM v8 emulator: the accounts host (OAuth refresh) and the API domain in one server.

Follows ../shared/docs/provider-contracts.md (Zoho CRM v8) and its traps:
- `POST /oauth/v2/token` takes refresh_token, client_id, client_secret and grant_type in the query
  string (as Zoho's docs show) or a form body. Errors come back as HTTP 200 with `{"error": ...}`
  like Zoho (`oauth_error_status` changes that): `invalid_client` for a wrong client id/secret,
  `invalid_code` for an unknown refresh token. At most 30 live access tokens per refresh token
  (the oldest is revoked) and ~5 refreshes a minute (then HTTP 400 "Access Denied").
- `GET /crm/v8/{module}` (Leads, Deals) wants `Authorization: Zoho-oauthtoken <token>`; Bearer,
  missing, expired or revoked tokens get 401 INVALID_TOKEN. `fields` is required; `page` stops at
  2,000 records (DISCRETE_PAGINATION_LIMIT_EXCEEDED), after which `page_token` must be used.
  `If-Modified-Since` keeps records modified at or after it; nothing left → 304 (204 without it).
- Notes on a lead (write-back): `POST /crm/v8/Leads/{record_id}/Notes` with
  `{"data": [{"Note_Title", "Note_Content"}]}` (1..100 items, Note_Content required) → 201
  `{"data": [{"code": "SUCCESS", "details": {"id", "Created_Time", ...}, "message": "record added",
  "status": "success"}]}`; an unknown lead → 400 with that item as `{"code": "INVALID_DATA",
  "details": {"api_name": "Parent_Id", ...}, "status": "error"}`. `GET` on the same path (`fields`
  required) lists them as records are listed (204 when none). `notes` holds them per lead.
- With `api_domain` set to another host name (e.g. http://localhost:PORT), CRM requests that
  arrive on any other host get 404, as the accounts host would answer: a client that ignores the
  token response's `api_domain` fails.
"""

import itertools
import random
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

from callintel_dagster.lib.synthetic import people as P
from callintel_dagster.lib.synthetic.phones import format_number, random_number
from emulators.base import Emulator, Request, Response

MODULES = ("Leads", "Deals")
DISCRETE_PAGE_LIMIT = 2000  # records reachable with `page`; beyond them only `page_token`
MAX_FIELDS = 50
MAX_PER_PAGE = 200

OWNERS = (
    {"name": "Ritika Sharma", "id": "4876876000000333001", "email": "ritika@acme.example"},
    {"name": "Arjun Mehta", "id": "4876876000000333002", "email": "arjun@acme.example"},
    {"name": "Sarah Miller", "id": "4876876000000333003", "email": "sarah@acme.example"},
    {"name": "Kabir Rao", "id": "4876876000000333004", "email": "kabir@acme.example"},
)
LEAD_STATUSES = (
    "Not Contacted",
    "Attempted to Contact",
    "Contact in Future",
    "Contacted",
    "Pre-Qualified",
    "Not Qualified",
    "Junk Lead",
    "Lost Lead",
    "-None-",
)
LEAD_SOURCES = (
    "Advertisement",
    "Cold Call",
    "Employee Referral",
    "Facebook",
    "Online Store",
    "Web Download",
    "Chat",
    "Trade Show",
    "-None-",
)
STAGES = (
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
)
COMPANIES = ("Sharma Traders", "Blue Peak Realty", "Nimbus Labs", "Greenfield Homes", "Acme Corp")
# Indian numbers the way Zoho web forms collect them: +91 with a space, a trunk 0, bare 10 digits
_IN_STYLES = ("intl_space", "trunk", "bare", "e164", "trunk_space")
_US_STYLES = ("paren", "dash", "paren_intl", "e164")


@dataclass
class _Issued:
    refresh_token: str
    expires_at: float  # time.monotonic()


class ZohoEmulator(Emulator):
    name = "zoho"

    def __init__(
        self,
        port: int = 0,
        latency_s: float = 0.0,
        client_id: str = "1000.TESTCLIENT",
        client_secret: str = "test-client-secret",
        refresh_token: str = "1000.test-refresh-token",
        expires_in: int = 3600,
        max_live_tokens: int = 30,
        refreshes_per_minute: int | None = 5,
        refresh_window_s: float = 60.0,
        tz: str = "Asia/Kolkata",
    ):
        super().__init__(port=port, latency_s=latency_s)
        self.client_id, self.client_secret = client_id, client_secret
        self.refresh_tokens = {refresh_token}
        self.expires_in = expires_in
        self.max_live_tokens = max_live_tokens
        self.refreshes_per_minute = refreshes_per_minute
        self.refresh_window_s = refresh_window_s
        self.oauth_error_status = 200  # Zoho answers OAuth errors with 200; some proxies say 400
        self.not_modified_status = 304  # what an empty If-Modified-Since answer uses (UNCONFIRMED)
        self.api_domain: str | None = None  # None: this server's base_url
        self.tz = ZoneInfo(tz)  # Zoho writes times in the CRM user's timezone
        self.records: dict[str, dict[str, dict]] = {m: {} for m in MODULES}
        self.api_log: list[dict] = []  # what each CRM request asked for and got, for tests
        self.notes: dict[str, list[dict]] = {}  # by lead id, in creation order
        self._tokens: dict[str, _Issued] = {}
        self._live: dict[str, deque[str]] = {}
        self._refreshes: dict[str, deque[float]] = {}
        self._page_tokens: dict[str, dict] = {}
        self._ids = itertools.count(4_876_876_000_000_100_001)
        self._state = threading.Lock()
        self.route("POST", "/oauth/v2/token", self._token)
        self.route("GET", "/crm/v8/{module}", self._list)
        self.route("POST", "/crm/v8/{module}/{record_id}/Notes", self._add_notes)
        self.route("GET", "/crm/v8/{module}/{record_id}/Notes", self._list_notes)

    # ---- seeding -------------------------------------------------------------------------

    def add_lead(self, **fields: object) -> dict:
        """Store a lead; `Modified_Time`/`Created_Time` may be datetimes (naive = UTC)."""
        owner = OWNERS[0]
        base = {"Owner": dict(owner), "Lead_Status": "Not Contacted", "Lead_Source": "Chat"}
        return self._add("Leads", base, fields)

    def add_deal(self, **fields: object) -> dict:
        base = {"Owner": dict(OWNERS[0]), "Stage": "Qualification", "Currency": "INR"}
        return self._add("Deals", base, fields)

    def update(self, module: str, record_id: str, modified: datetime, **changes: object) -> dict:
        """Edit a record as a CRM user would: the change bumps Modified_Time."""
        with self._state:
            record = self.records[module][record_id]
            record.update(changes)
            record["Modified_Time"] = self._stamp(modified)
            return record

    def populate(
        self,
        n_leads: int,
        n_deals: int = 0,
        seed: int = 0,
        modified_between: tuple[datetime, datetime] | None = None,
        phones: list[str] = (),
    ) -> None:
        """Realistic leads and deals, modified uniformly inside `modified_between`. The first
        leads take `phones` as their Mobile (callers the tenant's calls come from)."""
        start, end = modified_between or (datetime(2026, 11, 17), datetime(2026, 11, 19))
        span = (end - start).total_seconds()
        rng = random.Random(seed)
        for i in range(n_leads):
            modified = start + timedelta(seconds=int(rng.uniform(0, span)))
            lead = _random_lead(rng)
            if i < len(phones):
                lead["Mobile"] = phones[i]
            self.add_lead(**lead, **_times(rng, modified))
        for _ in range(n_deals):
            modified = start + timedelta(seconds=int(rng.uniform(0, span)))
            self.add_deal(**_random_deal(rng), **_times(rng, modified))

    def revoke_all_tokens(self) -> None:
        """Every access token stops working (a tenant revoked the app, Zoho rotated keys)."""
        with self._state:
            self._tokens.clear()
            self._live.clear()

    def _add(self, module: str, base: dict, fields: dict) -> dict:
        record = {**base, **fields}
        record.setdefault("id", str(next(self._ids)))
        record["id"] = str(record["id"])
        modified = record.get("Modified_Time") or datetime.now(UTC)
        record["Modified_Time"] = self._stamp(modified)
        record["Created_Time"] = self._stamp(record.get("Created_Time") or modified)
        if module == "Leads" and "Full_Name" not in record:
            parts = (record.get("First_Name"), record.get("Last_Name"))
            record["Full_Name"] = " ".join(p for p in parts if p) or None
        with self._state:
            self.records[module][record["id"]] = record
        return record

    def _stamp(self, value: object) -> str:
        if isinstance(value, str):
            return value
        assert isinstance(value, datetime)
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(self.tz).isoformat(timespec="seconds")

    # ---- OAuth ---------------------------------------------------------------------------

    def _token(self, request: Request) -> Response:
        params = dict(request.query)
        if request.body:  # a form body, as OAuth clients that keep secrets out of URLs send
            params.update({k: v[-1] for k, v in parse_qs(request.body.decode()).items()})
        if params.get("grant_type") != "refresh_token":
            return Response(self.oauth_error_status, {"error": "unsupported_grant_type"})
        if (params.get("client_id"), params.get("client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            return Response(self.oauth_error_status, {"error": "invalid_client"})
        refresh = params.get("refresh_token", "")
        if refresh not in self.refresh_tokens:
            return Response(self.oauth_error_status, {"error": "invalid_code"})
        with self._state:
            if self._refresh_limited(refresh):
                return Response(400, _ACCESS_DENIED)
            token = f"1000.{secrets.token_hex(16)}"
            self._tokens[token] = _Issued(refresh, time.monotonic() + self.expires_in)
            live = self._live.setdefault(refresh, deque())
            live.append(token)
            while len(live) > self.max_live_tokens:  # Zoho revokes the oldest past 30
                self._tokens.pop(live.popleft(), None)
        return Response(
            200,
            {
                "access_token": token,
                "scope": "ZohoCRM.modules.leads.READ ZohoCRM.modules.deals.READ "
                "ZohoCRM.modules.notes.ALL",
                "api_domain": self.api_domain or self.base_url,
                "token_type": "Bearer",
                "expires_in": self.expires_in,
            },
        )

    def _refresh_limited(self, refresh: str) -> bool:
        if self.refreshes_per_minute is None:
            return False
        now = time.monotonic()
        recent = self._refreshes.setdefault(refresh, deque())
        while recent and now - recent[0] >= self.refresh_window_s:
            recent.popleft()
        if len(recent) >= self.refreshes_per_minute:
            return True
        recent.append(now)
        return False

    def _authorised(self, request: Request) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme != "Zoho-oauthtoken":  # Bearer is the classic mistake: Zoho refuses it
            return False
        with self._state:
            issued = self._tokens.get(token.strip())
            return issued is not None and issued.expires_at > time.monotonic()

    # ---- records -------------------------------------------------------------------------

    def _list(self, request: Request) -> Response:
        module, q = request.params["module"], request.query
        entry = {"module": module, "query": dict(q), "host": request.headers.get("host")}
        entry["if_modified_since"] = request.headers.get("if-modified-since")
        self.api_log.append(entry)
        response = self._answer(request, module, q)
        entry["status"] = response.status
        return response

    def _answer(self, request: Request, module: str, q: dict[str, str]) -> Response:
        if self.api_domain and request.headers.get("host") != urlparse(self.api_domain).netloc:
            return Response(404, {"detail": "not an API domain: use the token's api_domain"})
        if not self._authorised(request):
            return _error(401, "INVALID_TOKEN", "invalid oauth token")
        if module not in MODULES:
            return _error(400, "INVALID_MODULE", "the module name given seems to be invalid")
        fields = [f for f in q.get("fields", "").split(",") if f]
        if not fields:
            return _error(400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing")
        if len(fields) > MAX_FIELDS:
            return _error(400, "LIMIT_EXCEEDED", f"at most {MAX_FIELDS} fields")
        per_page = int(q.get("per_page", MAX_PER_PAGE))
        if not 1 <= per_page <= MAX_PER_PAGE:
            return _error(400, "INVALID_DATA", "per_page must be between 1 and 200")
        if "page_token" in q and "page" in q:
            return _error(400, "INVALID_REQUEST", "use either page or page_token")
        if "page_token" in q:
            state = self._page_tokens.get(q["page_token"])
            if state is None or state["module"] != module:
                return _error(400, "INVALID_DATA", "invalid page_token")
            offset = state["offset"]
        else:
            page = int(q.get("page", 1))
            if page * per_page > DISCRETE_PAGE_LIMIT:
                return _error(
                    400,
                    "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
                    "cannot fetch more than 2000 records with page; use page_token",
                )
            offset = (page - 1) * per_page
            ims = request.headers.get("if-modified-since")
            state = {"module": module, "ims": ims, "sort": (q.get("sort_by"), q.get("sort_order"))}
        matching = self._matching(module, state["ims"], *state["sort"])
        if matching is None:
            return _error(400, "INVALID_DATA", "If-Modified-Since is not a valid time")
        chunk = matching[offset : offset + per_page]
        if not chunk:  # no body at all, as Zoho does
            return Response(self.not_modified_status if state["ims"] else 204)
        more = offset + per_page < len(matching)
        next_token = None
        if more:
            next_token = secrets.token_hex(12)
            self._page_tokens[next_token] = {**state, "offset": offset + per_page}
        info = {
            "per_page": per_page,
            "count": len(chunk),
            "page": offset // per_page + 1,
            "sort_by": state["sort"][0] or "id",
            "sort_order": state["sort"][1] or "desc",
            "more_records": more,
            "next_page_token": next_token,
            "previous_page_token": None,
        }
        data = [{"id": r["id"], **{f: r.get(f) for f in fields}} for r in chunk]
        return Response(200, {"data": data, "info": info})

    # ---- notes ---------------------------------------------------------------------------

    def notes_of(self, lead_id: str) -> list[dict]:
        with self._state:
            return [dict(n) for n in self.notes.get(lead_id, [])]

    def _notes_gate(self, request: Request) -> Response | None:
        if self.api_domain and request.headers.get("host") != urlparse(self.api_domain).netloc:
            return Response(404, {"detail": "not an API domain: use the token's api_domain"})
        if not self._authorised(request):
            return _error(401, "INVALID_TOKEN", "invalid oauth token")
        if request.params["module"] not in MODULES:
            return _error(400, "INVALID_MODULE", "the module name given seems to be invalid")
        return None

    def _add_notes(self, request: Request) -> Response:
        if refused := self._notes_gate(request):
            return refused
        module, record_id = request.params["module"], request.params["record_id"]
        try:
            items = (request.json() or {})["data"]
            assert isinstance(items, list) and 1 <= len(items) <= 100
            assert all(isinstance(i, dict) and i.get("Note_Content") for i in items)
        except (ValueError, KeyError, TypeError, AssertionError):
            return _error(400, "INVALID_DATA", "data: 1..100 notes, each with Note_Content")
        with self._state:
            known = record_id in self.records[module]
        if not known:
            detail = {"api_name": "Parent_Id", "json_path": "$.data[0].Parent_Id", "id": record_id}
            item = {
                "code": "INVALID_DATA",
                "details": detail,
                "message": "the related id given seems to be invalid",
                "status": "error",
            }
            return Response(400, {"data": [item] * len(items)})
        answers = []
        for item in items:
            now = self._stamp(datetime.now(UTC))
            note = {
                "id": str(next(self._ids)),
                "Note_Title": item.get("Note_Title"),
                "Note_Content": item["Note_Content"],
                "Parent_Id": {"module": {"api_name": module}, "id": record_id},
                "Created_Time": now,
                "Modified_Time": now,
            }
            with self._state:
                self.notes.setdefault(record_id, []).append(note)
            by = {"name": OWNERS[0]["name"], "id": OWNERS[0]["id"]}
            details = {
                "id": note["id"],
                "Created_Time": now,
                "Modified_Time": now,
                "Created_By": by,
                "Modified_By": by,
            }
            answers.append(
                {
                    "code": "SUCCESS",
                    "details": details,
                    "message": "record added",
                    "status": "success",
                }
            )
        return Response(201, {"data": answers})

    def _list_notes(self, request: Request) -> Response:
        if refused := self._notes_gate(request):
            return refused
        q = request.query
        fields = [f for f in q.get("fields", "").split(",") if f]
        if not fields:
            return _error(400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing")
        per_page, page = int(q.get("per_page", MAX_PER_PAGE)), int(q.get("page", 1))
        notes = self.notes_of(request.params["record_id"])
        chunk = notes[(page - 1) * per_page : page * per_page]
        if not chunk:
            return Response(204)
        info = {
            "per_page": per_page,
            "count": len(chunk),
            "page": page,
            "more_records": page * per_page < len(notes),
        }
        data = [{"id": n["id"], **{f: n.get(f) for f in fields}} for n in chunk]
        return Response(200, {"data": data, "info": info})

    def _matching(
        self, module: str, ims: str | None, sort_by: str | None, order: str | None
    ) -> list[dict] | None:
        since = None
        if ims:
            since = _parse_ims(ims)
            if since is None:
                return None
        with self._state:
            rows = list(self.records[module].values())
        if since is not None:
            rows = [r for r in rows if datetime.fromisoformat(r["Modified_Time"]) >= since]
        key = sort_by if sort_by in ("Modified_Time", "Created_Time") else None
        # ties broken by id so pages never overlap; times compared as instants, not strings
        rows.sort(
            key=lambda r: (datetime.fromisoformat(r[key]), int(r["id"])) if key else int(r["id"]),
            reverse=(order or ("desc" if key is None else "asc")) == "desc",
        )
        return rows


_ACCESS_DENIED = {
    "error_description": "You have made too many requests continuously. Please try again after "
    "some time.",
    "error": "Access Denied",
    "status": "failure",
}


def _error(status: int, code: str, message: str) -> Response:
    return Response(status, {"status": "error", "code": code, "details": {}, "message": message})


def _parse_ims(value: str) -> datetime | None:
    """Zoho documents ISO-8601 with an offset; an HTTP-date is accepted too."""
    try:
        parsed = datetime.fromisoformat(value.strip())
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except ValueError:
        try:
            return parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None


def _times(rng: random.Random, modified: datetime) -> dict:
    created = modified - timedelta(seconds=rng.choice((0, 0, rng.randint(60, 30 * 86400))))
    return {"Created_Time": created, "Modified_Time": modified}


def _phone(rng: random.Random, india: bool) -> str:
    if india:
        return format_number("IN", random_number(rng, "IN"), rng.choice(_IN_STYLES))
    return format_number("US", random_number(rng, "US"), rng.choice(_US_STYLES))


def _name(rng: random.Random, india: bool) -> tuple[str, str]:
    if india:
        return rng.choice(P.IN_FIRST), rng.choice(P.IN_LAST)
    return rng.choice(P.US_FIRST), rng.choice(P.US_LAST)


def _random_lead(rng: random.Random) -> dict:
    india = rng.random() < 0.7
    first, last = _name(rng, india)
    # Zoho forms: Mobile usually, Phone sometimes, both or neither now and then
    numbers = rng.choices(("mobile", "phone", "both", "none"), (60, 20, 15, 5))[0]
    lead = {
        "First_Name": first,
        "Last_Name": last,
        "Email": f"{first}.{last}@{rng.choice(('gmail.com', 'yahoo.co.in', 'outlook.com'))}"
        if rng.random() < 0.85
        else None,
        "Mobile": _phone(rng, india) if numbers in ("mobile", "both") else None,
        "Phone": _phone(rng, india) if numbers in ("phone", "both") else None,
        "Company": rng.choice(COMPANIES),
        "City": rng.choice(P.IN_CITIES if india else P.US_CITIES),
        "Country": "India" if india else "United States",
        "Lead_Status": rng.choice(LEAD_STATUSES),
        "Lead_Source": rng.choice(LEAD_SOURCES),
        "Owner": dict(rng.choice(OWNERS)),
    }
    return lead


def _random_deal(rng: random.Random) -> dict:
    india = rng.random() < 0.7
    person = " ".join(_name(rng, india))
    company = rng.choice(COMPANIES)
    closing = date(2026, 11, 1) + timedelta(days=rng.randint(0, 90))
    return {
        "Deal_Name": f"{company} - {rng.choice(('2BHK', 'Annual plan', 'Pilot', 'Renewal'))}",
        "Stage": rng.choice(STAGES),
        "Amount": round(rng.uniform(20_000, 5_000_000) if india else rng.uniform(500, 80_000), 2),
        "Currency": "INR" if india else "USD",
        "Closing_Date": closing.isoformat(),
        "Probability": rng.choice((10, 20, 40, 60, 75, 90, 100, 0)),
        "Owner": dict(rng.choice(OWNERS)),
        "Contact_Name": {
            "name": person,
            "id": str(4_876_876_000_000_500_000 + rng.randrange(10**5)),
        },
        "Account_Name": {"name": company, "id": str(4_876_876_000_000_600_000 + rng.randrange(99))},
    }
