import pytest
from pydantic import ValidationError

from callintel_dagster.lib.tenants.privacy_config import DEFAULT_ENTITIES, PrivacyConfig
from callintel_dagster.lib.tenants.registry import RegistryError, load_registry

TENANT = """
tenants:
  - id: acme
    name: Acme
    timezone: Asia/Kolkata
{privacy}
"""


def registry(tmp_path, privacy: str):
    path = tmp_path / "tenants.yaml"
    path.write_text(TENANT.format(privacy=privacy))
    return load_registry(path)


def test_defaults_mask_everything_but_names_and_keep_no_raw_text(tmp_path):
    cfg = registry(tmp_path, "").get("acme").privacy
    assert cfg == PrivacyConfig()
    assert cfg.enabled and cfg.method == "mask" and not cfg.keep_raw
    assert cfg.entities == DEFAULT_ENTITIES and "PERSON" not in cfg.entities
    assert cfg.digest_numbers == "masked"


def test_a_full_privacy_block(tmp_path):
    block = (
        "    privacy:\n      entities: [PHONE, EMAIL, PERSON]\n      method: hash\n"
        "      hash_salt_env: ACME_PII_SALT\n      keep_raw: true\n      digest_numbers: full"
    )
    cfg = registry(tmp_path, block).get("acme").privacy
    assert cfg.entities == ("PHONE", "EMAIL", "PERSON") and cfg.hash_salt_env == "ACME_PII_SALT"
    assert cfg.keep_raw and cfg.digest_numbers == "full"


@pytest.mark.parametrize(
    "block,fragments",
    [
        ("    privacy: {method: hash}", ["privacy", "hash_salt_env"]),
        ("    privacy: {entities: [PHONE, CREDITCARD]}", ["privacy.entities", "'PHONE'"]),
        ("    privacy: {hash_salt_env: 's3cr3t-value'}", ["privacy.hash_salt_env", "pattern"]),
        ("    privacy: {digest_numbers: partial}", ["privacy.digest_numbers", "'masked'"]),
        ("    privacy: {salt: abc}", ["privacy.salt", "Extra inputs"]),
        ("    privacy: {entities: [PHONE, PHONE]}", ["twice"]),
    ],
)
def test_bad_blocks_name_the_tenant_and_field(tmp_path, block, fragments):
    with pytest.raises(RegistryError) as err:
        registry(tmp_path, block)
    message = str(err.value)
    assert "tenant 'acme'" in message
    for fragment in fragments:
        assert fragment in message


def test_the_config_is_frozen_so_it_can_key_a_cache():
    cfg = PrivacyConfig()
    with pytest.raises(ValidationError):
        cfg.method = "hash"  # type: ignore[misc]
    assert hash(cfg) == hash(PrivacyConfig())
