"""What every outside service offers, per kind, and the one error family they all raise.

A Protocol per kind: calls and CRM sources, speech-to-text, LLM chat, CRM write-back, digest
messaging and embeddings. What only some providers can do is *declared*, not probed: a source
says what it can do in `capabilities` (a `SourceCapabilities`), and callers ask that.

Errors: `ProviderError` (messages name the tenant and the provider, never a secret) splits into
`RetryableProviderError` (429, 5xx, timeouts: try again, maybe after `retry_after` seconds) and
`PermanentProviderError` (retrying cannot help); `ProviderAuthError` is the permanent error for a
refused key (401/403). Kind-specific subclasses (STT, LLM, messaging) live with their kind.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

if TYPE_CHECKING:  # only for the annotations: base.py imports nothing heavy
    import numpy as np

    from callintel_dagster.lib.ingest.window import SyncWindow
    from callintel_dagster.providers.llm.base import Completion
    from callintel_dagster.providers.stt.base import AudioInput, SttResult

# --- errors --------------------------------------------------------------------------------


class ProviderError(RuntimeError):
    """An outside service failed for one tenant; `code` is the provider's own error code when
    it gave one (e.g. Bedrock's ThrottlingException)."""

    def __init__(self, tenant_id: str, provider: str, message: str, *, code: str | None = None):
        super().__init__(f"tenant {tenant_id}: {provider}: {message}")
        self.tenant_id, self.provider = tenant_id, provider
        self.code = code


class RetryableProviderError(ProviderError):
    """429, 5xx, timeouts, connection errors, a broken response: try again later."""

    def __init__(
        self,
        tenant_id: str,
        provider: str,
        message: str,
        retry_after: float | None = None,
        *,
        code: str | None = None,
    ):
        super().__init__(tenant_id, provider, message, code=code)
        self.retry_after = retry_after  # seconds, from retry-after-ms / retry-after when given


class PermanentProviderError(ProviderError):
    """Retrying cannot help (bad credentials, wrong region, unknown model, bad request)."""

    def __init__(
        self,
        tenant_id: str,
        provider: str,
        message: str,
        status: int | None = None,
        *,
        code: str | None = None,
    ):
        super().__init__(tenant_id, provider, message, code=code)
        self.status = status  # the HTTP status, when the provider answered with one


class ProviderAuthError(PermanentProviderError):
    """The provider refuses the tenant's credentials (401/403): fix the key, not the data."""


AUTH_STATUSES = (401, 403)


def permanent_error(
    tenant_id: str, provider: str, message: str, status: int | None = None
) -> PermanentProviderError:
    """The permanent error for `status`: `ProviderAuthError` for a refused key."""
    cls = ProviderAuthError if status in AUTH_STATUSES else PermanentProviderError
    return cls(tenant_id, provider, message, status)


# --- capabilities --------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceCapabilities:
    """What a call or CRM source can do beyond `fetch_calls` / `fetch_leads`.

    - `rereads_by_id`: `fetch_by_ids(ids)` re-reads records the provider may still change
      (a Bolna call not yet final); see `RereadsById`.
    - `has_deals`: `fetch_deals(window)` returns CRM deals for the same windows; see `HasDeals`.
    - `commits_after_write`: `commit()` must be called once the sync's rows are written (a drop
      folder moves the files it took only then); see `CommitsAfterWrite`.
    - `own_watermark`: after a fetch, `next_cursor` is the highest watermark the source itself
      gave (a database's `updated_at`), or None when it gave no row; the sync keeps that as its
      cursor instead of the pipeline's clock, so the two clocks never need to agree.
    """

    rereads_by_id: bool = False
    has_deals: bool = False
    commits_after_write: bool = False
    own_watermark: bool = False


NO_CAPABILITIES = SourceCapabilities()


class Source(Protocol):
    """What every source has: its provider name, the requests it made, its capabilities."""

    provider: str
    capabilities: ClassVar[SourceCapabilities]

    @property
    def requests(self) -> int: ...


class CallSource(Source, Protocol):
    def fetch_calls(self, window: "SyncWindow") -> list[dict]: ...


class LeadSource(Source, Protocol):
    """A CRM: leads (and, when `capabilities.has_deals`, deals)."""

    def fetch_leads(self, window: "SyncWindow") -> list[dict]: ...


@runtime_checkable
class RereadsById(Protocol):
    def fetch_by_ids(self, ids: list[str]) -> list[dict]: ...


@runtime_checkable
class HasDeals(Protocol):
    def fetch_deals(self, window: "SyncWindow") -> list[dict]: ...


@runtime_checkable
class CommitsAfterWrite(Protocol):
    def commit(self) -> Any: ...


def capabilities_of(source: object) -> SourceCapabilities:
    """The source's declared capabilities (none when it declares nothing)."""
    return getattr(source, "capabilities", NO_CAPABILITIES)


# --- the other kinds -----------------------------------------------------------------------


class SttClient(Protocol):
    """Speech-to-text: one recording in, timed segments out."""

    provider: str
    model: str

    def transcribe(self, audio: "AudioInput") -> "SttResult":
        """One attempt for cloud providers (the caller retries RetryableSttError)."""


class ChatClient(Protocol):
    """An LLM: one JSON-asking completion per call, exactly one HTTP attempt (SDK retries off);
    the caller owns retries."""

    provider: str  # "groq" | "openai_compatible" | "bedrock"
    model: str

    def complete(
        self, system: str, user: str, json_schema: dict, schema_name: str, max_tokens: int
    ) -> "Completion": ...


class CrmWriter(Protocol):
    """Puts an analysed call's note on the lead in the tenant's CRM."""

    provider: str
    requests: int
    can_write: bool  # False: the CRM has no API to write to (`reason` says why)
    reason: str | None

    def write_call_note(self, lead_id: str, note: Any, *, check_existing: bool = False) -> str: ...

    def close(self) -> None: ...


class MessageSender(Protocol):
    """Sends one digest part to one recipient over a messaging API (WhatsApp via Twilio)."""

    provider: str

    def send(self, recipient: str, part: Any, since: datetime) -> Any: ...


class Embedder(Protocol):
    model: str

    def embed(self, texts: list[str]) -> "np.ndarray": ...
