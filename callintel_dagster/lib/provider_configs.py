"""Settings of the real providers a tenant can pick in tenants.yaml.

Every HTTP provider takes a `base_url` (pointed at a local emulator in tests and in
`make demo-emulated`); secrets are the NAMES of environment variables, resolved at run time with
`dagster.EnvVar`, never values in the file.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

# The name of an environment variable that holds a secret; the secret itself never appears here.
SecretName = Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]*$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BolnaConfig(_Strict):
    """Bolna voice-agent executions: calls (`calls:`) and customers from extracted_data (`crm:`)."""

    provider: Literal["bolna"]
    base_url: str = "https://api.bolna.ai"
    api_key_env: SecretName
    page_size: int = Field(50, ge=1, le=50)
    agent_ids: tuple[str, ...] = ()  # empty: every agent of the account
    timeout_s: float = Field(30.0, gt=0)


class ZohoConfig(_Strict):
    """Zoho CRM v8: Leads (and Deals for the deal pipeline)."""

    provider: Literal["zoho"]
    accounts_url: str = "https://accounts.zoho.com"
    client_id_env: SecretName
    client_secret_env: SecretName
    refresh_token_env: SecretName
    modules: tuple[Literal["Leads", "Deals"], ...] = ("Leads", "Deals")
    per_page: int = Field(200, ge=1, le=200)
    timeout_s: float = Field(30.0, gt=0)


class LeadSquaredConfig(_Strict):
    """LeadSquared: leads modified in a window, throttled client-side per tenant."""

    provider: Literal["leadsquared"]
    base_url: str | None = None  # the region host; None: discovered with UserByAccessKey.Get
    access_key_env: SecretName
    secret_key_env: SecretName
    requests_per_5s: int = Field(5, ge=1, le=100)
    page_size: int = Field(500, ge=1, le=5000)
    date_timezone: str = "UTC"  # FromDate/ToDate are UTC per the docs; some accounts use local time
    timeout_s: float = Field(30.0, gt=0)
