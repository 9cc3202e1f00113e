"""What a tenant can set under `explorer:`: how its people reach the call explorer.

`key_env` names the environment variable holding the tenant's explorer key (default
`CALLINTEL_KEY_<TENANT_ID>`, upper case); the key itself never appears in tenants.yaml.
`base_url` is where the explorer is reachable from a phone (e.g. https://calls.acme.example):
when set, the digest links names and the best call to their call pages and carries the week's
KPI chart as an image served by the explorer.
"""

from pydantic import Field, field_validator

from callintel_dagster.lib.strict_model import StrictConfig
from callintel_dagster.lib.tenants.source_configs import SecretName


class ExplorerConfig(StrictConfig):
    key_env: SecretName | None = None  # None: CALLINTEL_KEY_<TENANT_ID>
    base_url: str | None = Field(None, min_length=8)
    weekly_chart: bool = True  # attach the week's KPI chart to the digest (needs base_url)

    @field_validator("base_url")
    @classmethod
    def _http(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError(f"{url!r} is not an http(s) URL")
        return url.rstrip("/") if url else url

    def key_env_for(self, tenant_id: str) -> str:
        return self.key_env or f"CALLINTEL_KEY_{tenant_id.upper()}"
