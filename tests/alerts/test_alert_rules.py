"""The periodic checks and the run-failure classification, as pure functions."""

from datetime import date, datetime

import pytest

from callintel_dagster.alerts import rules
from callintel_dagster.alerts.run_failures import KEY_REJECTED, RUN_FAILURE, classify
from callintel_dagster.lib.tenants.registry import Registry, Tenant

ACME = {"id": "acme", "name": "Acme", "timezone": "Asia/Kolkata"}
GLOBEX = {"id": "globex", "name": "Globex", "timezone": "America/Los_Angeles"}


def registry(*tenants: dict, alerts: dict | None = None) -> Registry:
    return Registry.model_validate(
        {"tenants": [Tenant.model_validate(t) for t in tenants], "alerts": alerts or {}}
    )


def test_sync_stale_per_tenant_and_source_with_tenant_thresholds():
    reg = registry(ACME, {**GLOBEX, "alerts": {"thresholds": {"sync_stale_minutes": 240}}})
    now = datetime(2026, 11, 27, 12, 0)
    at = datetime(2026, 11, 27, 10, 30)
    last = {(t, s): at for t in ("acme", "globex") for s in ("call_records", "crm_leads")}
    stale = rules.sync_stale(reg, last, now)  # 90 min: over acme's 60, under globex's 240
    assert [(f.tenant_id, f.asset) for f in stale] == [
        ("acme", "call_records"),
        ("acme", "crm_leads"),
    ]
    assert "since 2026-11-27 10:30 UTC" in stale[0].reason and "60 min" in stale[0].reason
    assert rules.sync_stale(reg, last, datetime(2026, 11, 27, 11, 0)) == []
    # the CRM stopped syncing while calls still land: that source alone
    last[("globex", "crm_leads")] = datetime(2026, 11, 27, 6, 0)
    [crm] = rules.sync_stale(reg, last, datetime(2026, 11, 27, 11, 0))
    assert (crm.tenant_id, crm.asset) == ("globex", "crm_leads")
    never = rules.sync_stale(reg, {}, now)
    assert len(never) == 4 and all(f.reason.startswith("never synced") for f in never)


def test_a_tenant_overrides_only_the_thresholds_it_sets():
    reg = registry(
        {**ACME, "alerts": {"thresholds": {"sync_stale_minutes": 15}}},
        GLOBEX,
        alerts={"thresholds": {"sync_stale_minutes": 45, "digest_grace_minutes": 10}},
    )
    acme, globex = (rules.thresholds_for(reg, t) for t in reg.tenants)
    assert (acme.sync_stale_minutes, acme.digest_grace_minutes) == (15, 10)
    assert (globex.sync_stale_minutes, globex.digest_grace_minutes) == (45, 10)


def test_inactive_tenants_raise_nothing():
    reg = registry({**ACME, "active": False})
    assert rules.sync_stale(reg, {}, datetime(2026, 11, 27)) == []


@pytest.mark.parametrize(
    "now,day",
    [
        # acme's digest for the 26th is due 08:30 IST on the 27th = 03:00 UTC, + 30 min grace
        (datetime(2026, 11, 27, 3, 29), date(2026, 11, 25)),
        (datetime(2026, 11, 27, 3, 30), date(2026, 11, 26)),
        (datetime(2026, 11, 27, 20, 0), date(2026, 11, 26)),  # 01:30 IST on the 28th
        (datetime(2026, 11, 27, 23, 0), date(2026, 11, 26)),  # 04:30 IST on the 28th: not yet
        (datetime(2026, 11, 28, 3, 30), date(2026, 11, 27)),
    ],
)
def test_digest_day_due_follows_the_tenants_clock(now, day):
    tenant = Tenant.model_validate({**ACME, "digest": {"provider": "outbox", "send_time": "08:30"}})
    assert rules.digest_day_due(tenant, 30, now)[0] == day


def test_digest_late_counts_recipients_never_names_them():
    digest = {"provider": "outbox", "recipients": ["+919812345678", "+919812345679"]}
    reg = registry({**ACME, "digest": {**digest, "send_time": "08:30"}}, GLOBEX)
    now = datetime(2026, 11, 27, 4, 0)
    [late] = rules.digest_late(reg, {("acme", date(2026, 11, 26)): 1}, now)
    assert late.partition_key == "2026-11-26|acme" and "1 of 2" in late.reason
    assert "+91" not in late.reason and "98123" not in late.reason
    assert rules.digest_late(reg, {("acme", date(2026, 11, 26)): 2}, now) == []


def test_analysis_failure_rate_in_steps_with_a_minimum():
    reg = registry(ACME, GLOBEX)
    counts = {
        ("acme", date(2026, 11, 26)): (9, 30),  # 30%: over 20%
        ("acme", date(2026, 11, 25)): (6, 30),  # 20%: not over
        ("globex", date(2026, 11, 26)): (3, 4),  # too few calls to judge
        ("gone", date(2026, 11, 26)): (9, 9),  # not in the registry
    }
    [high] = rules.analysis_failure_rate(reg, counts)
    assert (high.tenant_id, high.partition_key) == ("acme", "2026-11-26|acme")
    assert high.reason.startswith("30%+")
    # one more failed call moves the rate within its step: the same reason, no new notice
    [same] = rules.analysis_failure_rate(reg, {("acme", date(2026, 11, 26)): (10, 31)})
    assert same.reason == high.reason


@pytest.mark.parametrize(
    "cls,message,rule,reason",
    [
        (
            "ProviderAuthError",
            "tenant acme: bolna: GET /v2/agent/all → 401: {'detail': 'bad key sk-123'}",
            KEY_REJECTED,
            "ProviderAuthError (bolna, HTTP 401)",
        ),
        (
            "LlmConfigError",
            "tenant acme: groq: POST /chat/completions → 403: forbidden",
            KEY_REJECTED,
            "LlmConfigError (groq, HTTP 403)",
        ),
        ("KeyError", "'the customer said my card is 4111'", RUN_FAILURE, "KeyError"),
        (
            "RetryableProviderError",
            "tenant acme: zoho: GET /crm/v8/Leads → 503",
            RUN_FAILURE,
            "RetryableProviderError (zoho, HTTP 503)",
        ),
    ],
)
def test_classify_reads_only_class_provider_and_status(cls, message, rule, reason):
    assert classify(cls, message) == (rule, reason)
