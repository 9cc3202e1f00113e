"""Every provider callintel can use, by kind and name: its factory and its Dagster pool.

One line per provider. The factory is named as "module:function" and imported only when a tenant
uses that provider (each provider pulls in its SDK or HTTP client then, not at startup). A
provider without a factory (`passthrough` STT, `offline` LLM) has nothing outside to call: the
caller keeps the source transcript or runs the rules. The pool is the Dagster pool whose slots
its concurrent requests hold (None: nothing remote to throttle).

Factories per kind take:
- calls, crm: (tenant, config, home) -> a source (providers/base.py CallSource / LeadSource)
- stt:        (tenant_id, config) -> SttClient        - llm: (tenant_id, config) -> ChatClient
- writeback:  (tenant, config) -> CrmWriter           - embeddings: (tenant) -> Embedder
- messaging:  the digest sender class (resources/digests.py builds it with its own settings)
"""

from dataclasses import dataclass
from importlib import import_module
from typing import Any

KINDS = ("calls", "crm", "stt", "llm", "writeback", "messaging", "embeddings")


@dataclass(frozen=True)
class Provider:
    kind: str
    name: str
    factory: str | None  # "module:attribute", imported on first use; None: nothing to build
    pool: str | None = None  # the Dagster pool its concurrent requests take slots of

    def load(self) -> Any:
        if self.factory is None:
            raise ValueError(f"{self.kind} provider {self.name!r} has nothing to build")
        module, _, attribute = self.factory.partition(":")
        return getattr(import_module(module), attribute)


_P = "callintel_dagster.providers"
PROVIDERS = (
    Provider("calls", "synthetic", f"{_P}.synthetic:source_for"),
    Provider("calls", "bolna", f"{_P}.bolna.source:source_for"),
    Provider("calls", "sql", f"{_P}.sql:source_for"),
    Provider("calls", "folder", f"{_P}.folder.source:source_for"),
    Provider("crm", "synthetic", f"{_P}.synthetic:source_for"),
    Provider("crm", "bolna", f"{_P}.bolna.source:source_for"),
    Provider("crm", "zoho", f"{_P}.zoho.source:source_for"),
    Provider("crm", "leadsquared", f"{_P}.leadsquared.source:source_for"),
    Provider("writeback", "bolna", f"{_P}.bolna.writeback:writer_for"),
    Provider("writeback", "zoho", f"{_P}.zoho.writeback:writer_for"),
    Provider("writeback", "leadsquared", f"{_P}.leadsquared.writeback:writer_for"),
    Provider("stt", "passthrough", None),
    Provider("stt", "local", f"{_P}.stt.local_whisper:client_for", pool="stt_local"),
    Provider("stt", "deepgram", f"{_P}.stt.deepgram:client_for", pool="stt_deepgram"),
    Provider("stt", "sarvam", f"{_P}.stt.sarvam:client_for", pool="stt_sarvam"),
    Provider("llm", "offline", None),
    Provider("llm", "groq", f"{_P}.llm.groq:client_for", pool="llm_groq"),
    Provider(
        "llm",
        "openai_compatible",
        f"{_P}.llm.openai_compatible:client_for",
        pool="llm_openai_compatible",
    ),
    Provider("llm", "bedrock", f"{_P}.llm.bedrock:client_for", pool="llm_bedrock"),
    Provider("messaging", "outbox", f"{_P}.whatsapp.outbox:OutboxSender"),
    Provider("messaging", "twilio", f"{_P}.whatsapp.twilio_sender:TwilioWhatsAppSender"),
    Provider("embeddings", "local", f"{_P}.embeddings:embedder_for"),
)
_BY_KEY = {(p.kind, p.name): p for p in PROVIDERS}


class UnknownProviderError(ValueError):
    """tenants.yaml names a provider callintel has none of for that kind."""


def names(kind: str) -> list[str]:
    """The provider names of `kind`, in registry order."""
    if kind not in KINDS:
        raise ValueError(f"unknown provider kind {kind!r} (kinds: {', '.join(KINDS)})")
    return [p.name for p in PROVIDERS if p.kind == kind]


def lookup(kind: str, tenant_id: str, name: str) -> Provider:
    """The registry line of `name` for `kind`; an error naming the tenant and the provider."""
    found = _BY_KEY.get((kind, name))
    if found is None:
        raise UnknownProviderError(
            f"tenant {tenant_id}: unknown {kind} provider {name!r} "
            f"(known: {', '.join(names(kind))})"
        )
    return found


def build(kind: str, tenant_id: str, name: str, *args: Any) -> Any:
    """The tenant's provider object: the factory called with `args` (see the module doc)."""
    return lookup(kind, tenant_id, name).load()(*args)


def is_local(kind: str, tenant_id: str, name: str) -> bool:
    """True for a provider with nothing outside to call (`passthrough` STT, `offline` LLM)."""
    return lookup(kind, tenant_id, name).factory is None


def pool(kind: str, tenant_id: str, name: str) -> str | None:
    """The Dagster pool for the provider's concurrent requests; None when it makes none."""
    return lookup(kind, tenant_id, name).pool
