"""tenants.yaml `alerts:` blocks: the deployment's and a tenant's, and clear one-line errors."""

import pytest

from callintel_dagster.alerts.channels import routes_for
from callintel_dagster.lib.tenants.registry import RegistryError, load_registry

ONE_TENANT = """
tenants:
  - id: acme
    name: Acme
    timezone: Asia/Kolkata
"""
TENANTS = """
alerts:
  channels:
    - {kind: webhook, url_env: CALLINTEL_ALERTS_WEBHOOK_URL}
    - {kind: email, to: [ops@example.com]}
  thresholds: {sync_stale_minutes: 30}
tenants:
  - id: acme
    name: Acme
    timezone: Asia/Kolkata
    alerts:
      channels:
        - kind: whatsapp
          via: {provider: outbox, recipients: ["+919812345678"]}
  - id: globex
    name: Globex
    timezone: America/Los_Angeles
"""


def load(tmp_path, text):
    path = tmp_path / "tenants.yaml"
    path.write_text(text)
    return load_registry(path)


def test_deployment_and_tenant_channels(tmp_path):
    registry = load(tmp_path, TENANTS)
    assert registry.alerts.thresholds.sync_stale_minutes == 30
    assert registry.alerts.thresholds.digest_grace_minutes == 30  # the default
    acme = [r.id for r in routes_for(registry, "acme")]
    assert acme == ["deployment:0:webhook", "deployment:1:email", "acme:0:whatsapp"]
    # a tenant's own channel never hears about another tenant
    assert [r.id for r in routes_for(registry, "globex")] == acme[:2]
    assert [r.id for r in routes_for(registry, "*")] == acme[:2]


def test_no_alerts_block_means_no_channels(tmp_path):
    registry = load(tmp_path, ONE_TENANT)
    assert registry.alerts.channels == () and routes_for(registry, "acme") == []


@pytest.mark.parametrize(
    "block,expected",
    [
        # a webhook URL pasted into the file (a secret) is refused: only a variable's NAME fits
        (
            "alerts:\n  channels:\n    - {kind: webhook, url_env: 'https://hooks.slack.com/x'}\n",
            "field 'alerts.channels.0.webhook.url_env'",
        ),
        ("alerts:\n  channels:\n    - {kind: pager}\n", "field 'alerts.channels.0'"),
        (
            "alerts:\n  thresholds: {analysis_failure_rate: 2}\n",
            "field 'alerts.thresholds.analysis_failure_rate'",
        ),
        ("alerts:\n  channels:\n    - {kind: email, to: [not-an-address]}\n", "alerts.channels"),
    ],
)
def test_bad_deployment_block_is_one_clear_line(tmp_path, block, expected):
    with pytest.raises(RegistryError) as err:
        load(tmp_path, block + ONE_TENANT)
    assert expected in str(err.value) and "\n" not in str(err.value)
    assert "hooks.slack.com" not in str(err.value)  # a pasted secret is never echoed


def test_twilio_alerts_need_free_text(tmp_path):
    tenant = """
tenants:
  - id: acme
    name: Acme
    timezone: Asia/Kolkata
    alerts:
      channels:
        - kind: whatsapp
          via:
            provider: twilio
            account_sid_env: TWILIO_SID
            auth_token_env: TWILIO_TOKEN
            from_number: "+14155550199"
            content_sid: HX0123456789abcdef0123456789abcdef
            recipients: ["+919812345678"]
"""
    with pytest.raises(RegistryError, match="mode: body"):
        load(tmp_path, tenant)
