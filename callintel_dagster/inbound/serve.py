"""The webhook wired to a deployment: its tenants, warehouse, search index and Twilio senders, from
the same CALLINTEL_* settings as everything else; and uvicorn to serve it (in the foreground for
`callintel whatsapp-webhook`, on a thread for the demo and the tests).
"""

from collections.abc import Callable
from datetime import date

import uvicorn

from callintel_dagster.asgi_thread import serving_app
from callintel_dagster.env import Env
from callintel_dagster.inbound.replies import Answerer
from callintel_dagster.inbound.whatsapp_webhook import WAIT_S, WebhookSettings, create_app
from callintel_dagster.lib.tenants.digest_config import TwilioDigest
from callintel_dagster.lib.tenants.registry import Tenant, load_registry
from callintel_dagster.providers.base import MessageSender
from callintel_dagster.providers.whatsapp import SenderSettings
from callintel_dagster.providers.whatsapp.twilio_sender import TwilioWhatsAppSender
from callintel_dagster.resources.embeddings import Embedders
from callintel_dagster.resources.warehouse import Warehouse

SEND_ATTEMPTS = 3  # tries per reply part on 429/5xx/timeouts (providers/http.py backoff)


def warehouse_of(env: Env) -> Warehouse:
    return Warehouse(url=env.warehouse_location)


def twilio_tenants(env: Env) -> tuple[Tenant, ...]:
    """The registry's active tenants whose digest goes through Twilio: the only ones a WhatsApp
    message can be for."""
    tenants = load_registry(env.tenants_path).active
    return tuple(t for t in tenants if isinstance(t.digest, TwilioDigest))


def sender_factory(attempts: int = SEND_ATTEMPTS) -> Callable[[Tenant], MessageSender]:
    settings = SenderSettings(outbox_dir="", attempts=attempts)
    return lambda tenant: TwilioWhatsAppSender.for_tenant(tenant, settings)


def ask_answerer(env: Env, warehouse: Warehouse) -> Answerer:
    """`search.ask` over the tenant's own index and transcripts, calls of the given local days."""
    from callintel_dagster.search.ask import ask
    from callintel_dagster.search.filters import Filters
    from callintel_dagster.search.index import ChunkIndex

    store, embedders = ChunkIndex.for_env(env), Embedders()

    def answer(tenant: Tenant, question: str, day_from: date, day_to: date):
        embedder = embedders.for_tenant(tenant)
        days = Filters(day_from=day_from, day_to=day_to)
        return ask(warehouse, store, embedder, tenant, question, days)

    return answer


def settings_from_env(
    env: Env, public_url: str | None = None, wait_s: float = WAIT_S
) -> WebhookSettings:
    warehouse = warehouse_of(env)
    warehouse.ensure_schema()
    return WebhookSettings(
        tenants=twilio_tenants(env),
        warehouse=warehouse,
        answerer=ask_answerer(env, warehouse),
        sender_for=sender_factory(),
        public_url=public_url,
        wait_s=wait_s,
    )


def run(settings: WebhookSettings, host: str, port: int) -> None:
    """Serve in the foreground until interrupted (one process: see whatsapp_webhook.py)."""
    uvicorn.run(create_app(settings), host=host, port=port, workers=1, log_level="warning")


def serving(settings: WebhookSettings, host: str = "127.0.0.1", port: int = 0):
    """Serve on a thread; yields the base URL (port 0: a free one). Stops on exit, after the
    questions being answered are done."""
    return serving_app(create_app(settings), "WhatsApp webhook", host, port)
