"""What a tenant can set under `privacy:`: which entities are redacted, how, and what is kept.

Redaction runs before every LLM request, every embedding and search index and every non-admin
view. `method: mask` writes placeholders that are consistent within one call (`<PHONE_1>` is the
same number in every turn); `method: hash` writes a salted HMAC (`<PHONE:3f9a0c21d4>`), the same
value in every call, so a number can be followed across calls without being readable. The salt
comes from the environment variable NAMED by `hash_salt_env`, never from this file.

PERSON is off by default: no named-entity model is installed (spaCy's trained pipelines are a
run-time download), so names are found only by cue phrases ("my name is ...", "Mr ...",
"mera naam ... hai"); a tenant that wants them anyway lists PERSON explicitly.
"""

from typing import Literal

from pydantic import model_validator

from callintel_dagster.lib.strict_model import StrictConfig
from callintel_dagster.lib.tenants.source_configs import SecretName

Entity = Literal[
    "PHONE", "EMAIL", "CARD", "AADHAAR", "PAN", "UPI", "IFSC", "ACCOUNT", "SSN", "PERSON"
]
ALL_ENTITIES: tuple[str, ...] = (
    "PHONE", "EMAIL", "CARD", "AADHAAR", "PAN", "UPI", "IFSC", "ACCOUNT", "SSN", "PERSON"
)  # fmt: skip
DEFAULT_ENTITIES: tuple[str, ...] = tuple(e for e in ALL_ENTITIES if e != "PERSON")


class PrivacyConfig(StrictConfig):
    enabled: bool = True
    entities: tuple[Entity, ...] = DEFAULT_ENTITIES  # type: ignore[assignment]
    method: Literal["mask", "hash"] = "mask"
    hash_salt_env: SecretName | None = None  # required with method: hash
    keep_raw: bool = False  # keep the raw transcript, visible to admins only
    digest_numbers: Literal["masked", "full"] = "masked"

    @model_validator(mode="after")
    def _salt_for_hash(self) -> "PrivacyConfig":
        if self.method == "hash" and self.hash_salt_env is None:
            raise ValueError(
                "method 'hash' needs hash_salt_env: the NAME of the environment variable "
                "holding the salt"
            )
        if len(set(self.entities)) != len(self.entities):
            raise ValueError("entities lists an entity twice")
        return self
