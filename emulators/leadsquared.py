"""LeadSquared emulator: one server per region, as LeadSquared has one host per region.

One local server cannot answer for several hostnames, so each region is its own emulator
(`LeadSquaredEmulator(region="in21")`) and a client's base_url points at it. An account lives in
one region; its keys sent to another region's emulator answer 401 exactly like a wrong key.

Auth: headers `x-LSQ-AccessKey` / `x-LSQ-SecretKey`, or query params `accessKey` / `secretKey`.

- `GET /v2/Authentication.svc/UserByAccessKey.Get` → the key's user and its region host. The real
  shape is UNCONFIRMED; this emulator answers
  `{"Id", "FirstName", "LastName", "EmailAddress", "Timezone", "Region",
    "LSQCommonServiceURLs": {"api": "<scheme://host of the account's region>", "app": ...}}`.
  It answers for accounts of every region `link()`ed to this emulator (a global lookup, so a
  client can discover its host from the generic one); the data endpoints stay region-bound.
- `POST /v2/LeadManagement.svc/Leads.RecentlyModified` with
  `{"Parameter": {"FromDate", "ToDate"}, "Columns": {"Include_CSV"}, "Paging": {"PageIndex",
  "PageSize"}, "Sorting": {"ColumnName": "ModifiedOn", "Direction": "0"}}` → `{"RecordCount": total
  matching, "Leads": [{"LeadPropertyList": [{"Attribute", "Value"}, ...]}]}`. Both dates are
  inclusive, `YYYY-MM-DD HH:MM:SS` in the account's timezone (default UTC), and so are ModifiedOn
  and CreatedOn in the answer. PageIndex starts at 1; PageSize at most 5000. Direction "0" is
  ascending, "1" descending. Requested columns a lead lacks come back with Value null.

Activities (write-back):
- `POST /v2/ProspectActivity.svc/Create` `{"RelatedProspectId", "ActivityEvent": int,
  "ActivityNote", "ActivityDateTime": "YYYY-MM-DD HH:MM:SS", "Fields": [{"SchemaName", "Value"}]}`
  → `{"Status": "Success", "Message": {"Id": "..."}}`. An unknown lead → `{"Status": "Error",
  "ExceptionType": "MXInvalidEntityException", ...}` with HTTP `error_status` (200 by default; the
  real status is UNCONFIRMED, LeadSquared's docs list 500 for failed calls); a bad body →
  400 MXInvalidInputException.
- `POST /v2/ProspectActivity.svc/Retrieve?leadId=...` `{"Parameter": {"ActivityEvent"},
  "Paging": {"Offset", "RowCount"}}` → `{"RecordCount", "ProspectActivities": [{"Id",
  "EventCode", "CreatedOn", "ActivityDateTime", "Data": {"ActivityEvent_Note", fields...}}]}`,
  newest first; Offset counts pages of RowCount from 0.
`activities_of()` lists what was posted on a lead.

Rate limit: `rate_limit` requests per `rate_window_s` per account (throttled requests do not use up
the window). Excess answers HTTP 429 without Retry-After, or HTTP 200 with
`{"Status": "Error", "ExceptionType": "MXAPIRateLimitExceededException", ...}`: `throttle` picks
"429", "200" or "alternate". `throttled` counts them.
"""

import random
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from emulators.base import Emulator, Request, Response

USER_PATH = "/v2/Authentication.svc/UserByAccessKey.Get"
LEADS_PATH = "/v2/LeadManagement.svc/Leads.RecentlyModified"
CREATE_ACTIVITY_PATH = "/v2/ProspectActivity.svc/Create"
RETRIEVE_ACTIVITIES_PATH = "/v2/ProspectActivity.svc/Retrieve"
MAX_PAGE_SIZE = 5000
RATE_LIMIT_EXCEPTION = "MXAPIRateLimitExceededException"
_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"

Throttle = Literal["429", "200", "alternate"]


@dataclass
class Lead:
    attributes: dict[str, str | None]  # everything but the dates, as LeadSquared's strings
    created_utc: datetime  # naive UTC
    modified_utc: datetime  # naive UTC


@dataclass
class Account:
    access_key: str
    secret_key: str
    timezone: str = "UTC"
    user_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    leads: dict[str, Lead] = field(default_factory=dict)  # by ProspectID
    activities: dict[str, list[dict]] = field(default_factory=dict)  # by ProspectID, oldest first


class LeadSquaredEmulator(Emulator):
    name = "leadsquared"

    def __init__(
        self,
        region: str = "api",
        *,
        rate_limit: int = 20,
        rate_window_s: float = 5.0,
        throttle: Throttle = "429",
        port: int = 0,
        latency_s: float = 0.0,
    ):
        super().__init__(port=port, latency_s=latency_s)
        self.region = region
        self.rate_limit, self.rate_window_s, self.throttle = rate_limit, rate_window_s, throttle
        self.accounts: dict[str, Account] = {}
        self.throttled = 0
        self.error_status = 200  # HTTP status of an MXInvalidEntityException (UNCONFIRMED)
        self._peers: list[LeadSquaredEmulator] = []
        self._hits: dict[str, deque[float]] = {}
        self._state = threading.Lock()
        self.route("GET", USER_PATH, self._user_by_access_key)
        self.route("POST", LEADS_PATH, self._recently_modified)
        self.route("POST", CREATE_ACTIVITY_PATH, self._create_activity)
        self.route("POST", RETRIEVE_ACTIVITIES_PATH, self._retrieve_activities)

    # ---- seeding -------------------------------------------------------------------------

    def add_account(self, access_key: str, secret_key: str, timezone: str = "UTC") -> Account:
        account = Account(access_key, secret_key, timezone)
        self.accounts[access_key] = account
        return account

    def link(self, *others: "LeadSquaredEmulator") -> None:
        """Let UserByAccessKey.Get here answer for the accounts of other regions."""
        self._peers.extend(others)

    def add_lead(
        self,
        modified_utc: datetime,
        created_utc: datetime | None = None,
        access_key: str | None = None,
        **attributes: str | None,
    ) -> str:
        """Store (or replace) a lead; naive datetimes are UTC. Returns its ProspectID."""
        account = self._seed_account(access_key)
        prospect_id = attributes.pop("ProspectID", None) or str(uuid.uuid4())
        lead = Lead(
            {"ProspectID": prospect_id, **attributes},
            _naive_utc(created_utc or modified_utc),
            _naive_utc(modified_utc),
        )
        with self._state:
            account.leads[prospect_id] = lead
        return prospect_id

    def touch_lead(
        self,
        prospect_id: str,
        modified_utc: datetime,
        access_key: str | None = None,
        **changes: str,
    ) -> None:
        """Modify a stored lead, as a user editing it in LeadSquared would."""
        lead = self._seed_account(access_key).leads[prospect_id]
        with self._state:
            lead.attributes.update(changes)
            lead.modified_utc = _naive_utc(modified_utc)

    def populate(
        self,
        n: int,
        seed: int,
        modified_between: tuple[datetime, datetime],
        access_key: str | None = None,
        phones: list[str] = (),
    ) -> list[str]:
        """`n` plausible Indian leads modified uniformly in the range; returns their ids. The
        first leads take `phones` as their Mobile (callers the tenant's calls come from)."""
        rng = random.Random(seed)
        start, end = (_naive_utc(d) for d in modified_between)
        span = (end - start).total_seconds()
        ids = []
        for i in range(n):
            modified = start + timedelta(seconds=int(rng.uniform(0, span)))
            first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
            mobile = _phone(rng)
            if i < len(phones):
                mobile = phones[i]
            ids.append(
                self.add_lead(
                    modified,
                    created_utc=modified - timedelta(days=rng.randint(0, 30)),
                    access_key=access_key,
                    ProspectID=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    FirstName=first,
                    LastName=last,
                    # leads typed in by hand: some lack an email or a mobile, some have a landline
                    EmailAddress=f"{first}.{last}{rng.randint(1, 99)}@example.in".lower()
                    if rng.random() < 0.8
                    else "",
                    Mobile=mobile if rng.random() < 0.85 or i < len(phones) else "",
                    Phone=rng.choice([None, "", mobile, f"080-4{rng.randint(1000000, 9999999)}"]),
                    ProspectStage=rng.choice(_STAGES),
                    Source=rng.choice(_SOURCES),
                    mx_City=rng.choice(_CITIES),
                )
            )
        return ids

    def activities_of(self, prospect_id: str, access_key: str | None = None) -> list[dict]:
        account = self._seed_account(access_key)
        with self._state:
            return [dict(a) for a in account.activities.get(prospect_id, [])]

    def _seed_account(self, access_key: str | None) -> Account:
        if access_key is None:
            return next(iter(self.accounts.values()))
        return self.accounts[access_key]

    # ---- handlers ------------------------------------------------------------------------

    def _user_by_access_key(self, request: Request) -> Response:
        found = self._authenticate_anywhere(request)
        if found is None:
            return _unauthorized()
        account, home = found
        if throttled := self._throttle(account):
            return throttled
        return Response(
            200,
            {
                "Id": account.user_id,
                "FirstName": "API",
                "LastName": "User",
                "EmailAddress": f"api@{account.access_key.lower()}.example.in",
                "Timezone": account.timezone,
                "Region": home.region,
                "LSQCommonServiceURLs": {"api": home.base_url, "app": home.base_url},
            },
        )

    def _recently_modified(self, request: Request) -> Response:
        account = self._authenticate(request)
        if account is None:
            return _unauthorized()
        if throttled := self._throttle(account):
            return throttled
        try:
            body = request.json() or {}
            zone = ZoneInfo(account.timezone)
            window = [
                datetime.strptime(body["Parameter"][k], _DATE_FORMAT).replace(tzinfo=zone)
                for k in ("FromDate", "ToDate")
            ]
            paging = body.get("Paging") or {}
            index, size = int(paging.get("PageIndex", 1)), int(paging.get("PageSize", 100))
        except (ValueError, KeyError, TypeError) as exc:
            return _error(400, "MXInvalidInputException", f"Invalid request: {exc}")
        if not 1 <= size <= MAX_PAGE_SIZE or index < 1:
            return _error(400, "MXInvalidInputException", f"PageSize must be 1..{MAX_PAGE_SIZE}")
        low, high = (d.astimezone(UTC).replace(tzinfo=None) for d in window)
        descending = str((body.get("Sorting") or {}).get("Direction", "0")) == "1"
        csv = (body.get("Columns") or {}).get("Include_CSV") or ""
        columns = [c.strip() for c in csv.split(",") if c.strip()]
        with self._state:
            matching = sorted(
                (lead for lead in account.leads.values() if low <= lead.modified_utc <= high),
                key=lambda lead: (lead.modified_utc, lead.attributes["ProspectID"]),
                reverse=descending,
            )
            page = matching[(index - 1) * size : index * size]
            leads = [{"LeadPropertyList": _properties(lead, zone, columns)} for lead in page]
        return Response(200, {"RecordCount": len(matching), "Leads": leads})

    def _create_activity(self, request: Request) -> Response:
        account = self._authenticate(request)
        if account is None:
            return _unauthorized()
        if throttled := self._throttle(account):
            return throttled
        try:
            body = request.json() or {}
            prospect_id = str(body["RelatedProspectId"])
            event = body["ActivityEvent"]
            if isinstance(event, bool) or not isinstance(event, int):
                raise TypeError("ActivityEvent must be an integer code")
            when = body.get("ActivityDateTime")
            if when:
                datetime.strptime(when, _DATE_FORMAT)
            fields = {str(f["SchemaName"]): f.get("Value") for f in body.get("Fields") or []}
        except (ValueError, KeyError, TypeError) as exc:
            return _error(400, "MXInvalidInputException", f"Invalid request: {exc}")
        with self._state:
            if prospect_id not in account.leads:
                return _error(self.error_status, "MXInvalidEntityException", "Lead does not exist")
            now = datetime.now(UTC).replace(tzinfo=None)
            activity = {
                "Id": str(uuid.uuid4()),
                "EventCode": event,
                "CreatedOn": _render(now, ZoneInfo(account.timezone)),
                "ActivityDateTime": when or _render(now, ZoneInfo(account.timezone)),
                "Data": {"ActivityEvent_Note": body.get("ActivityNote"), **fields},
            }
            account.activities.setdefault(prospect_id, []).append(activity)
        return Response(200, {"Status": "Success", "Message": {"Id": activity["Id"]}})

    def _retrieve_activities(self, request: Request) -> Response:
        account = self._authenticate(request)
        if account is None:
            return _unauthorized()
        if throttled := self._throttle(account):
            return throttled
        try:
            body = request.json() or {}
            event = (body.get("Parameter") or {}).get("ActivityEvent")
            paging = body.get("Paging") or {}
            offset, rows = int(paging.get("Offset", 0)), int(paging.get("RowCount", 25))
        except (ValueError, TypeError) as exc:
            return _error(400, "MXInvalidInputException", f"Invalid request: {exc}")
        with self._state:
            found = [
                dict(a)
                for a in reversed(account.activities.get(request.query.get("leadId", ""), []))
                if event is None or a["EventCode"] == int(event)
            ]
        page = found[offset * rows : (offset + 1) * rows]
        return Response(200, {"RecordCount": len(found), "ProspectActivities": page})

    # ---- auth and throttling -------------------------------------------------------------

    def _authenticate(self, request: Request) -> Account | None:
        key = request.headers.get("x-lsq-accesskey") or request.query.get("accessKey") or ""
        secret = request.headers.get("x-lsq-secretkey") or request.query.get("secretKey")
        account = self.accounts.get(key)
        return account if account and account.secret_key == secret else None

    def _authenticate_anywhere(
        self, request: Request
    ) -> tuple[Account, "LeadSquaredEmulator"] | None:
        for emulator in (self, *self._peers):
            account = emulator._authenticate(request)
            if account:
                return account, emulator
        return None

    def _throttle(self, account: Account) -> Response | None:
        now = time.monotonic()
        with self._state:
            hits = self._hits.setdefault(account.access_key, deque())
            while hits and now - hits[0] >= self.rate_window_s:
                hits.popleft()
            if len(hits) < self.rate_limit:
                hits.append(now)
                return None
            self.throttled += 1
            count = self.throttled
        mode = self.throttle if self.throttle != "alternate" else ("429" if count % 2 else "200")
        message = (
            f"API calls exceeded the limit of {self.rate_limit} in {self.rate_window_s:g} second(s)"
        )
        return _error(429 if mode == "429" else 200, RATE_LIMIT_EXCEPTION, message)


def _properties(lead: Lead, zone: ZoneInfo, columns: list[str]) -> list[dict]:
    values = {
        **lead.attributes,
        "CreatedOn": _render(lead.created_utc, zone),
        "ModifiedOn": _render(lead.modified_utc, zone),
    }
    names = columns or list(values)
    return [{"Attribute": name, "Value": values.get(name)} for name in names]


def _render(dt_utc: datetime, zone: ZoneInfo) -> str:
    return dt_utc.replace(tzinfo=UTC).astimezone(zone).strftime(_DATE_FORMAT)


def _naive_utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC).replace(tzinfo=None) if dt.tzinfo else dt


def _error(status: int, exception_type: str, message: str) -> Response:
    body = {"Status": "Error", "ExceptionType": exception_type, "ExceptionMessage": message}
    return Response(status, body)


def _unauthorized() -> Response:
    # the same answer for a wrong key and for a right key on another region's host
    return _error(401, "MXUnAuthorizedAccessException", "Invalid access key or secret key")


def _phone(rng: random.Random) -> str:
    digits = f"{rng.choice('6789')}{rng.randint(0, 999_999_999):09d}"
    return rng.choice(
        [
            f"+91-{digits}",
            f"0{digits}",
            f"{digits[:5]} {digits[5:]}",
            f"+91 {digits[:5]} {digits[5:]}",
            f"91{digits}",
            digits,
        ]
    )


_FIRST_NAMES = (
    "Aarav Vivaan Aditya Ishaan Rohan Arjun Karthik Siddharth Rahul Vikram "
    "Ananya Diya Priya Kavya Sneha Meera Lakshmi Pooja Nandini Shreya"
).split()
_LAST_NAMES = (
    "Sharma Verma Iyer Nair Reddy Patel Shah Gupta Mehta Kulkarni Banerjee Das Rao Menon Singh"
).split()
_STAGES = ("Prospect", "Opportunity", "Customer", "Disqualified", "Not Interested")
_SOURCES = (
    "Website",
    "Facebook Ads",
    "Google Ads",
    "99acres",
    "MagicBricks",
    "Walk-in",
    "Referral",
)
_CITIES = ("Mumbai", "Pune", "Bengaluru", "Hyderabad", "Chennai", "Delhi", "Kolkata", "Ahmedabad")
