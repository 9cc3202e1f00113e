"""The tenant registry (`tenants.yaml`), validated with pydantic.

Each tenant picks a provider per stage as `{provider: NAME, ...settings}`. Unknown keys are
rejected, so a secret pasted into the file fails to load; providers that need secrets take the
NAME of the environment variable that holds them. Errors name the file, the tenant, the field and
the reason.
"""

from pathlib import Path
from typing import Annotated, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import Field, ValidationError, field_validator

from callintel_dagster.lib.strict_model import StrictConfig
from callintel_dagster.lib.tenants.alerts_config import AlertsConfig
from callintel_dagster.lib.tenants.digest_config import DigestConfig, OutboxDigest
from callintel_dagster.lib.tenants.explorer_config import ExplorerConfig
from callintel_dagster.lib.tenants.llm_config import LlmConfig, OfflineLlm
from callintel_dagster.lib.tenants.privacy_config import PrivacyConfig
from callintel_dagster.lib.tenants.source_configs import (
    CallsConfig,
    CrmConfig,
    SyntheticCalls,
    SyntheticCrm,
)
from callintel_dagster.lib.tenants.stt_config import PassthroughStt, SttConfig

TENANT_ID_PATTERN = r"^[a-z][a-z0-9_]{1,40}$"


class RegistryError(ValueError):
    """tenants.yaml is missing or invalid; the message says where and why."""


class LocalEmbeddings(StrictConfig):
    provider: Literal["local"]
    # static (the default): model2vec static model, 64-d; minilm: all-MiniLM-L6-v2 int8, 384-d.
    # Chosen by quality per CPU-second (bench/search_quality.py): hybrid search with static
    # scores 0.648 against MiniLM's 0.706 (mean of recall@10 and MRR) for ~475x less CPU per
    # chunk, and embedding was most of the graph's time. Changing it rebuilds the tenant's search
    # index as its days are embedded again.
    model: Literal["minilm", "static"] = "static"
    chunk_words: int = Field(120, ge=10, le=2000)


EmbeddingsConfig = Annotated[LocalEmbeddings, Field(discriminator="provider")]


class Tenant(StrictConfig):
    id: str = Field(pattern=TENANT_ID_PATTERN)
    name: str = Field(min_length=1)
    timezone: str
    default_region: str = Field("IN", pattern=r"^[A-Z]{2}$")  # for numbers without a country code
    active: bool = True
    calls: CallsConfig = SyntheticCalls(provider="synthetic")
    crm: CrmConfig = SyntheticCrm(provider="synthetic")
    stt: SttConfig = PassthroughStt(provider="passthrough")
    llm: LlmConfig = OfflineLlm(provider="offline")
    embeddings: EmbeddingsConfig = LocalEmbeddings(provider="local")
    digest: DigestConfig = OutboxDigest(provider="outbox")
    explorer: ExplorerConfig = ExplorerConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    alerts: AlertsConfig | None = None  # channels that hear only about this tenant

    @field_validator("timezone")
    @classmethod
    def _iana(cls, tz: str) -> str:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA timezone {tz!r} (e.g. Asia/Kolkata)") from None
        return tz


class Registry(StrictConfig):
    tenants: tuple[Tenant, ...]
    alerts: AlertsConfig = AlertsConfig()  # the deployment's operator channels

    def get(self, tenant_id: str) -> Tenant:
        for tenant in self.tenants:
            if tenant.id == tenant_id:
                return tenant
        raise RegistryError(f"tenant {tenant_id!r} is not in the registry")

    @property
    def active(self) -> list[Tenant]:
        return [t for t in self.tenants if t.active]


def load_registry(path: str | Path) -> Registry:
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise RegistryError(f"{path}: tenant registry not found (set CALLINTEL_TENANTS)") from None
    except yaml.YAMLError as exc:
        raise RegistryError(_yaml_error(path, exc)) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("tenants"), list):
        raise RegistryError(f"{path}: expected a mapping with a 'tenants' list")
    tenants, seen = [], set()
    for index, raw in enumerate(doc["tenants"]):
        label = raw.get("id", f"#{index + 1}") if isinstance(raw, dict) else f"#{index + 1}"
        try:
            tenant = Tenant.model_validate(raw)
        except ValidationError as exc:
            raise RegistryError(f"{path}: tenant {label!r}: {_describe(exc)}") from None
        if tenant.id in seen:
            raise RegistryError(f"{path}: tenant {tenant.id!r}: field 'id': duplicate tenant id")
        seen.add(tenant.id)
        tenants.append(tenant)
    return Registry(tenants=tuple(tenants), alerts=_deployment_alerts(path, doc.get("alerts")))


def _deployment_alerts(path: Path, raw: object) -> AlertsConfig:
    try:
        return AlertsConfig.model_validate(raw or {})
    except ValidationError as exc:
        where = _describe(exc).replace("field '", "field 'alerts.")
        raise RegistryError(f"{path}: {where}") from None


def _yaml_error(path: Path, exc: yaml.YAMLError) -> str:
    """One line: the file, the line and column, and what the parser found wrong there."""
    mark = getattr(exc, "problem_mark", None)
    where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    return f"{where}: not valid YAML: {problem}" + (f" ({context})" if context else "")


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"] if not _is_union_tag(p)) or "(tenant)"
        parts.append(f"field {where!r}: {err['msg']}")
    return "; ".join(parts)


def _is_union_tag(part: object) -> bool:
    # pydantic puts the discriminator value into the error location (e.g. calls.synthetic.seed)
    return part in _PROVIDER_NAMES


def _provider_names() -> set[str]:
    """Every `provider:` value a stage accepts, read from the stage fields' config models."""
    names = set()
    for stage in STAGES:
        annotation = Tenant.model_fields[stage].annotation
        for model in get_args(annotation) or (annotation,):
            names.update(get_args(model.model_fields["provider"].annotation))
    return names


STAGES = ("calls", "crm", "stt", "llm", "embeddings", "digest")
_PROVIDER_NAMES = _provider_names()
