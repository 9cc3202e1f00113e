from datetime import time

import pytest

from callintel_dagster.lib.tenants.registry import RegistryError, load_registry

GOOD = """
tenants:
  - id: acme
    name: Acme
    timezone: Asia/Kolkata
    digest: {provider: outbox, recipients: ["+919812345678"], send_time: "08:30"}
  - id: globex_2
    name: Globex
    timezone: America/Los_Angeles
    default_region: US
    active: false
"""


def write(tmp_path, text):
    path = tmp_path / "tenants.yaml"
    path.write_text(text)
    return path


def test_valid_registry_with_defaults(tmp_path):
    reg = load_registry(write(tmp_path, GOOD))
    assert [t.id for t in reg.tenants] == ["acme", "globex_2"]
    assert [t.id for t in reg.active] == ["acme"]
    acme = reg.get("acme")
    assert acme.calls.provider == "synthetic" and acme.llm.provider == "offline"
    assert acme.digest.send_time == time(8, 30)


@pytest.mark.parametrize(
    "tenant_yaml,fragments",
    [
        ("id: Acme\n    name: A\n    timezone: UTC", ["'Acme'", "field 'id'", "pattern"]),
        (
            "id: acme\n    name: A\n    timezone: Asia/Kolkatta",
            ["'acme'", "field 'timezone'", "unknown IANA timezone"],
        ),
        (
            "id: acme\n    name: A\n    timezone: UTC\n    digest: {provider: outbox, recipients: ['98123']}",
            ["field 'digest.recipients'", "E.164"],
        ),
        (
            "id: acme\n    name: A\n    timezone: UTC\n    calls: {provider: vonage}",
            ["field 'calls'", "vonage"],
        ),
        (
            "id: acme\n    name: A\n    timezone: UTC\n    calls: {provider: bolna}",
            ["field 'calls.api_key_env'", "Field required"],
        ),
        (
            "id: acme\n    name: A\n    timezone: UTC\n    crm: {provider: zoho, "
            "client_id_env: ZC, client_secret_env: ZS, refresh_token_env: 1000.abc}",
            ["field 'crm.refresh_token_env'", "pattern"],
        ),
        (
            "id: acme\n    name: A\n    timezone: UTC\n    calls: {provider: synthetic, calls_per_day: -1}",
            ["field 'calls.calls_per_day'", "greater than or equal"],
        ),
        (
            "id: acme\n    name: A\n    timezone: UTC\n    api_key: sk-123",
            ["field 'api_key'", "Extra inputs"],
        ),
    ],
)
def test_errors_name_file_tenant_field_and_reason(tmp_path, tenant_yaml, fragments):
    path = write(tmp_path, f"tenants:\n  - {tenant_yaml}\n")
    with pytest.raises(RegistryError) as err:
        load_registry(path)
    message = str(err.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message


def test_duplicate_ids_rejected(tmp_path):
    text = (
        "tenants:\n  - {id: acme, name: A, timezone: UTC}\n  - {id: acme, name: B, timezone: UTC}\n"
    )
    with pytest.raises(RegistryError, match="duplicate tenant id"):
        load_registry(write(tmp_path, text))


@pytest.mark.parametrize(
    "text,reason", [("tenants: 3", "'tenants' list"), (":\n- [", "not valid YAML")]
)
def test_malformed_files(tmp_path, text, reason):
    with pytest.raises(RegistryError, match=reason):
        load_registry(write(tmp_path, text))


def test_missing_file(tmp_path):
    with pytest.raises(RegistryError, match="not found"):
        load_registry(tmp_path / "nope.yaml")


def test_yaml_syntax_error_names_file_and_line_in_one_line(tmp_path):
    text = "tenants:\n  - id: acme\n    name: [Acme\n    timezone: UTC\n"
    path = write(tmp_path, text)
    with pytest.raises(RegistryError) as err:
        load_registry(path)
    message = str(err.value)
    assert message.startswith(f"{path}:") and "not valid YAML" in message
    assert "\n" not in message
    line = int(message[len(str(path)) + 1 :].split(":")[0])
    assert 3 <= line <= 5  # the parser reports where the unclosed flow sequence ends
