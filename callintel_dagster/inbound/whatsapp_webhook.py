"""Twilio's inbound WhatsApp webhook (Starlette): a digest recipient asks a question by replying,
and gets a cited answer from the tenant's calls. The rules are in replies.py.

    POST /twilio/inbound              the tenant is the one whose number the message was sent To
    POST /twilio/inbound/{tenant_id}  the same, restricted to that tenant (use it when tenants
                                      share a number or a messaging service)
    GET  /healthz

Every answer to Twilio is 200 with an empty TwiML `<Response/>` (the reply goes out through the
Messages API, part by part, on the exactly-once ledger), except: 403 when the signature is
missing or does not verify with the auth token of a tenant the message could be for (an unknown
number included: nothing can be verified), 400 when the fields are not an inbound message.

**Timing.** Twilio waits 15 s for a webhook, then logs error 11200 and may retry. Checking the
signature and the recipient is immediate; the question is then claimed and answered on a worker
thread, and the request waits for it at most `wait_s` (10 s by default). An extractive answer
(the `offline` provider) or an LLM emulator finishes well within it, so Twilio's 200 comes after
the reply was sent; a slower LLM keeps answering after the 200, and the ledger row (status
`received`/`answering`) makes a retry of the same MessageSid a no-op either way.

**One process.** Run one server process per warehouse (`callintel whatsapp-webhook` does): the
claim of a MessageSid is atomic across its threads, not across processes. On start it marks
questions a stopped process left `received`/`answering` as failed ("interrupted").

**Signed URL.** Twilio signs the exact URL it called. Behind a proxy this server sees another
host and scheme: set `public_url` (`--public-url` or CALLINTEL_PUBLIC_URL) to the scheme and host
Twilio posts to; the request's path and query are appended.
"""

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from callintel_dagster.inbound.replies import (
    Answerer,
    Inbound,
    answer_question,
    candidate_tenants,
    claim_question,
    close_interrupted,
    mask_phone,
    signed_by,
)
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.base import MessageSender
from callintel_dagster.providers.secrets import MissingSecretError
from callintel_dagster.resources.warehouse import Warehouse

log = logging.getLogger("callintel.inbound")

WAIT_S = 10.0  # below Twilio's 15 s webhook timeout, with room for the network
TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@dataclass(frozen=True)
class WebhookSettings:
    tenants: tuple[Tenant, ...]
    warehouse: Warehouse
    answerer: Answerer  # ask over a tenant's calls (see answerers.py)
    sender_for: Callable[[Tenant], MessageSender]  # the tenant's Twilio sender
    public_url: str | None = None  # scheme://host Twilio posts to, when proxied
    wait_s: float = WAIT_S
    workers: int = 2  # questions answered at the same time


@dataclass(frozen=True)
class Verdict:
    status: int  # 200 | 400 | 403
    reason: str  # for the log: ids and reasons only
    tenant: Tenant | None = None  # set when the question is to be answered
    inbound: Inbound | None = None


class InboundService:
    """The webhook's work outside the HTTP layer: check, then claim and answer on a worker."""

    def __init__(self, settings: WebhookSettings):
        self.settings = settings
        self.executor = ThreadPoolExecutor(settings.workers, thread_name_prefix="inbound")
        self._inflight: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def check(
        self, form: dict[str, str], url: str, signature: str, path_tenant: str | None
    ) -> Verdict:
        """Which tenant the message is for and whether its sender may ask; no warehouse access."""
        inbound = Inbound.from_form(form)
        if inbound is None:
            if not signature:
                return Verdict(403, "unsigned")
            return Verdict(400, "not an inbound message")
        candidates = candidate_tenants(self.settings.tenants, inbound, path_tenant)
        try:
            tenants = signed_by(candidates, url, form, signature)
        except MissingSecretError as exc:
            log.error("inbound sid=%s: %s", inbound.message_sid, exc)
            return Verdict(403, "credentials not configured")
        if not tenants:
            why = "unsigned" if not signature else "no tenant's signature matches"
            return Verdict(403, why if candidates else f"{why} (no tenant for this number)")
        if len(tenants) > 1:
            ids = ",".join(t.id for t in tenants)
            return Verdict(200, f"ambiguous: tenants {ids} share the number; use the path")
        tenant = tenants[0]
        if inbound.from_number not in tenant.digest.recipients:
            return Verdict(200, f"tenant={tenant.id} sender not on the recipient list", tenant)
        return Verdict(200, f"tenant={tenant.id} accepted", tenant, inbound)

    def submit(self, tenant: Tenant, inbound: Inbound) -> Future | None:
        """Claim and answer on a worker; None when this MessageSid is already being handled."""
        key = (tenant.id, inbound.message_sid)
        with self._lock:
            if key in self._inflight:
                return None
            self._inflight.add(key)
        future = self.executor.submit(self._answer, tenant, inbound)
        future.add_done_callback(lambda _: self._done(key))
        return future

    def _done(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._inflight.discard(key)

    def _answer(self, tenant: Tenant, inbound: Inbound) -> str:
        sid, who = inbound.message_sid, mask_phone(inbound.from_number)
        try:
            row = claim_question(self.settings.warehouse, tenant, inbound)
            if row is None:
                log.info("inbound tenant=%s sid=%s from=%s: already seen", tenant.id, sid, who)
                return "duplicate"
            sender = self.settings.sender_for(tenant)
            outcome = answer_question(
                self.settings.warehouse, tenant, inbound, row, self.settings.answerer, sender
            )
        except Exception as exc:  # noqa: BLE001 - a worker's failure must reach the log
            log.error(
                "inbound tenant=%s sid=%s from=%s: %s", tenant.id, sid, who, type(exc).__name__
            )
            return "error"
        log.info(
            "inbound tenant=%s sid=%s from=%s: %s, %d part(s)%s",
            tenant.id,
            sid,
            who,
            outcome.status,
            len(outcome.sids),
            f" ({outcome.reason})" if outcome.reason else "",
        )
        return outcome.status


def signed_url(public_url: str | None, request: Request) -> str:
    """The URL Twilio signed: the configured public scheme and host with this path and query."""
    if not public_url:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return public_url.rstrip("/") + request.url.path + query


def create_app(settings: WebhookSettings) -> Starlette:
    service = InboundService(settings)

    async def inbound(request: Request) -> Response:
        raw = (await request.body()).decode("utf-8", errors="replace")
        form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        signature = request.headers.get("x-twilio-signature", "")
        path_tenant = request.path_params.get("tenant_id")
        verdict = service.check(
            form, signed_url(settings.public_url, request), signature, path_tenant
        )
        sid = form.get("MessageSid", "-")[:40]
        who = mask_phone(form.get("From", "").removeprefix("whatsapp:") or "+")
        log.info("inbound sid=%s from=%s: %d %s", sid, who, verdict.status, verdict.reason)
        if verdict.status != 200:
            return Response(status_code=verdict.status)
        if verdict.inbound is not None and verdict.tenant is not None:
            future = service.submit(verdict.tenant, verdict.inbound)
            if future is not None:
                try:
                    await asyncio.wait_for(
                        asyncio.shield(asyncio.wrap_future(future)), settings.wait_s
                    )
                except TimeoutError:
                    log.warning(
                        "inbound sid=%s: still answering after %.0f s; continuing after the 200",
                        sid,
                        settings.wait_s,
                    )
        return Response(TWIML_EMPTY, media_type="text/xml")

    async def healthz(_: Request) -> Response:
        # a count, not the ids: this endpoint is reachable by anyone who can reach the webhook
        return JSONResponse({"ok": True, "tenants": len(settings.tenants)})

    @asynccontextmanager
    async def lifespan(_app: Starlette):
        closed = await asyncio.to_thread(close_interrupted, settings.warehouse)
        if closed:
            log.warning("inbound: %d question(s) left unfinished by a stopped webhook", closed)
        yield
        # questions being answered finish before the process ends: a half-sent reply would
        # stay "answering" on the ledger
        await asyncio.to_thread(service.executor.shutdown, wait=True)

    app = Starlette(
        routes=[
            Route("/twilio/inbound", inbound, methods=["POST"]),
            Route("/twilio/inbound/{tenant_id}", inbound, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.service = service
    return app
