"""Settings of the real providers a tenant can pick in tenants.yaml.

Every HTTP provider takes a `base_url` (pointed at a local emulator in tests and in
`make demo-emulated`); secrets are the NAMES of environment variables, resolved at run time with
`dagster.EnvVar`, never values in the file.
"""

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from callintel_dagster.lib.crm_notes import check_title_template
from callintel_dagster.lib.strict_model import StrictConfig

# The name of an environment variable that holds a secret; the secret itself never appears here.
SecretName = Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]*$")]


class BolnaConfig(StrictConfig):
    """Bolna voice-agent executions: calls (`calls:`) and customers from extracted_data (`crm:`)."""

    provider: Literal["bolna"]
    base_url: str = "https://api.bolna.ai"
    api_key_env: SecretName
    page_size: int = Field(50, ge=1, le=50)
    agent_ids: tuple[str, ...] = ()  # empty: every agent of the account
    timeout_s: float = Field(30.0, gt=0)
    # Bolna has no customer-record write API: write-back records "no_crm_api" in callintel's
    # ledger (delivery.crm_writebacks) instead of pretending to write
    writeback: bool = False


class ZohoConfig(StrictConfig):
    """Zoho CRM v8: Leads (and Deals for the deal pipeline)."""

    provider: Literal["zoho"]
    accounts_url: str = "https://accounts.zoho.com"
    client_id_env: SecretName
    client_secret_env: SecretName
    refresh_token_env: SecretName
    modules: tuple[Literal["Leads", "Deals"], ...] = ("Leads", "Deals")
    per_page: int = Field(200, ge=1, le=200)
    timeout_s: float = Field(30.0, gt=0)
    writeback: bool = False  # a note on the lead per analysed call (needs ZohoCRM.modules.notes)
    # placeholders: {tag} {status} {time} {date}; Zoho keeps at most 120 characters
    note_title: str = Field("Call summary: {tag} ({time})", min_length=1, max_length=120)

    @field_validator("note_title")
    @classmethod
    def _title_placeholders(cls, template: str) -> str:
        return check_title_template(template)


class LeadSquaredConfig(StrictConfig):
    """LeadSquared: leads modified in a window, throttled client-side per tenant."""

    provider: Literal["leadsquared"]
    base_url: str | None = None  # the region host; None: discovered with UserByAccessKey.Get
    discovery_url: str = "https://api.leadsquared.com"  # where that discovery asks
    access_key_env: SecretName
    secret_key_env: SecretName
    requests_per_5s: int = Field(5, ge=1, le=100)
    page_size: int = Field(500, ge=1, le=5000)
    date_timezone: str = "UTC"  # FromDate/ToDate are UTC per the docs; some accounts use local time
    timeout_s: float = Field(30.0, gt=0)
    writeback: bool = False  # a custom activity on the lead per analysed call
    activity_event: int | None = Field(None, ge=1)  # the custom activity type's code (e.g. 201)
    # optional custom activity fields (SchemaName, e.g. mx_Custom_1) for the tag and lead status
    tag_field: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    status_field: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")

    @model_validator(mode="after")
    def _event_for_writeback(self) -> "LeadSquaredConfig":
        if self.writeback and self.activity_event is None:
            raise ValueError(
                "writeback: true needs activity_event, the code of the custom activity type "
                "to post (Settings > Customizations > Activities and Scores)"
            )
        return self


# A column name: configuration goes into SQL text, so only plain identifiers are accepted.
Column = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class SqlColumns(StrictConfig):
    """Which source column holds each call field (names in the source table or query)."""

    call_id: Column = "call_id"
    phone: Column = "phone"
    started_at: Column = "started_at"
    duration_seconds: Column | None = "duration_seconds"
    status: Column | None = "status"
    agent_name: Column | None = None
    direction: Column | None = None
    recording_url: Column | None = None
    transcript: Column | None = None


class SqlCallsConfig(StrictConfig):
    """A call-centre database (seed 001): a table or a query, read incrementally by a watermark."""

    provider: Literal["sql"]
    url_env: SecretName  # a SQLAlchemy URL, e.g. mysql+pymysql://user:pass@host/db (a secret)
    table: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_.]*$")
    query: str | None = None  # used as a subquery: SELECT ... FROM (<query>) AS source
    watermark_column: Column  # increases whenever a row is inserted or changed
    columns: SqlColumns = SqlColumns()
    source_timezone: str = "UTC"  # the zone of naive timestamps in the source
    answered_only: bool = False
    answered_statuses: tuple[str, ...] = ("ANSWER", "ANSWERED", "completed")
    only_crm_phones: bool = False  # keep calls whose number is a CRM lead (never silently zero)
    status_map: dict[str, str] = {}  # source status → completed|no_answer|busy|failed|voicemail


class FolderCallsConfig(StrictConfig):
    """A drop folder: call metadata (JSON/CSV) and audio files put into
    `$CALLINTEL_HOME/inbox/<tenant>/`; what a sync took moves to `processed/`, bad files to
    `failed/` with the reason beside them."""

    provider: Literal["folder"]
    source_timezone: str = "UTC"  # the zone of metadata times written without an offset
    settle_s: float = Field(30.0, ge=0)  # younger files may still be uploading
    audio_wait_s: float = Field(600.0, ge=0)  # how long metadata and audio wait for each other


class SyntheticCalls(StrictConfig):
    provider: Literal["synthetic"]
    calls_per_day: int = Field(40, ge=0, le=100_000)
    seed: int = 0
    # a folder under CALLINTEL_HOME whose recordings become audio-only calls, one each per day
    audio_samples: str | None = Field(None, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_./-]*$")


class SyntheticCrm(StrictConfig):
    provider: Literal["synthetic"]
    leads_per_day: int = Field(10, ge=0, le=100_000)  # shares the calls' seed so callers match


# What `calls:` and `crm:` may name: a new source's config class joins its union here.
CallsConfig = Annotated[
    SyntheticCalls | BolnaConfig | SqlCallsConfig | FolderCallsConfig,
    Field(discriminator="provider"),
]
CrmConfig = Annotated[
    SyntheticCrm | BolnaConfig | ZohoConfig | LeadSquaredConfig, Field(discriminator="provider")
]
