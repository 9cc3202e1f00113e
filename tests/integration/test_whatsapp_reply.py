"""Ask by replying to the digest, end to end: the daily graph for two tenants (their digests go
out through the Twilio emulator to the same recipient), then that recipient replies to each
tenant's number; Twilio (the emulator) posts the signed messages to the webhook on loopback, and
each tenant answers from its own calls only, once, through the Messages API."""

import re
from datetime import timedelta

import pytest

from callintel_dagster.env import current_env
from callintel_dagster.inbound import serve
from callintel_dagster.inbound.replies import short_ref
from callintel_dagster.lib.dayspan import local_today
from callintel_dagster.lib.tables import CALL_RECORDS, WHATSAPP_QUESTIONS
from conftest import defs_for_tenants, register_tenants
from emulators.twilio import ACCOUNT_SID, AUTH_TOKEN, TwilioEmulator

ACCOUNT_B, TOKEN_B = "AC" + "0" * 31 + "2", "second-account-token"
NUMBER_A, NUMBER_B = "+14155238886", "+14155238887"
RECIPIENT = "+919812345678"
QUESTION = "What did customers say about their budget?"  # words the synthetic calls use
TENANTS = """
tenants:
  - id: alpha
    name: Alpha Realty
    timezone: Asia/Kolkata
    calls: {{provider: synthetic, calls_per_day: 10, seed: 3}}
    crm: {{provider: synthetic, leads_per_day: 3}}
    digest: {{provider: twilio, mode: body, recipients: ["{r}"], account_sid_env: A_SID,
              auth_token_env: A_TOKEN, from_number: "{a}", api_base_url: "{url}", timeout_s: 5}}
  - id: beta
    name: Beta Realty
    timezone: Asia/Kolkata
    calls: {{provider: synthetic, calls_per_day: 10, seed: 3}}
    crm: {{provider: synthetic, leads_per_day: 3}}
    digest: {{provider: twilio, mode: body, recipients: ["{r}"], account_sid_env: B_SID,
              auth_token_env: B_TOKEN, from_number: "{b}", api_base_url: "{url}", timeout_s: 5}}
"""
CITED = re.compile(r"\[(c-[0-9a-f]{4}) @ \d{2,3}:\d{2}\]")


@pytest.fixture
def emulator(monkeypatch):
    monkeypatch.setenv("A_SID", ACCOUNT_SID)
    monkeypatch.setenv("A_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("B_SID", ACCOUNT_B)
    monkeypatch.setenv("B_TOKEN", TOKEN_B)
    with TwilioEmulator(step_s=None) as emu:
        emu.accounts[ACCOUNT_B] = TOKEN_B
        yield emu


def test_each_tenant_answers_its_recipient_from_its_own_calls(
    tmp_path, monkeypatch, instance, emulator
):
    yaml = TENANTS.format(r=RECIPIENT, a=NUMBER_A, b=NUMBER_B, url=emulator.base_url)
    defs = defs_for_tenants(tmp_path, monkeypatch, yaml)
    register_tenants(instance, ["alpha", "beta"])
    day = local_today("Asia/Kolkata") - timedelta(days=1)  # inside the reply's 7-day window
    result = defs.resolve_job_def("daily_job").execute_in_process(
        instance=instance,
        raise_on_error=False,
        tags={
            "dagster/asset_partition_range_start": f"{day}|alpha",
            "dagster/asset_partition_range_end": f"{day}|beta",
        },
    )
    assert result.success
    digests = len(emulator.messages)
    assert digests >= 2, "both digests went out first"

    settings = serve.settings_from_env(current_env())
    with serve.serving(settings) as url:
        to_a = emulator.send_inbound(f"{url}/twilio/inbound", RECIPIENT, NUMBER_A, QUESTION)
        to_b = emulator.send_inbound(
            f"{url}/twilio/inbound/beta", RECIPIENT, NUMBER_B, QUESTION, account_sid=ACCOUNT_B
        )
        retried = emulator.send_inbound(
            f"{url}/twilio/inbound",
            RECIPIENT,
            NUMBER_A,
            QUESTION,
            message_sid=to_a["params"]["MessageSid"],
        )
    assert {to_a["status"], to_b["status"], retried["status"]} == {200}

    calls = settings.warehouse.query(f"SELECT tenant_id, call_id FROM {CALL_RECORDS.qualified}")
    refs = {
        t: {short_ref(c) for c in calls.loc[calls["tenant_id"] == t, "call_id"]}
        for t in ("alpha", "beta")
    }
    rows = settings.warehouse.query(f"SELECT * FROM {WHATSAPP_QUESTIONS.qualified}")
    assert sorted(rows["tenant_id"]) == ["alpha", "beta"], "one row per question, not per retry"
    replies = emulator.messages[digests:]
    for tenant, number in (("alpha", NUMBER_A), ("beta", NUMBER_B)):
        row = rows[rows["tenant_id"] == tenant].iloc[0]
        assert row["status"] == "answered" and row["recipient"] == RECIPIENT
        own = [m for m in replies if m["from"] == f"whatsapp:{number}"]
        assert row["answer_sids"].split(",") == [m["sid"] for m in own]
        assert all(m["to"] == f"whatsapp:{RECIPIENT}" and not m["_content_sid"] for m in own)
        assert all(len(m["body"]) <= 1600 for m in own)
        text = "\n".join(m["body"] for m in own)
        cited = set(CITED.findall(text))
        assert row["citations"] >= 1 and cited, f"{tenant}: a cited answer"
        assert cited <= refs[tenant], f"{tenant} cites only its own calls"
        assert "-C-" not in text, "call ids are shortened to references"
        assert float(row["cost_usd"]) >= 0
    assert len(replies) == int(rows["parts"].sum()), "the retried webhook sent nothing"


GROQ_TENANT = """
tenants:
  - id: gamma
    name: Gamma Realty
    timezone: Asia/Kolkata
    calls: {{provider: synthetic, calls_per_day: 10, seed: 3}}
    crm: {{provider: synthetic, leads_per_day: 3}}
    llm:
      provider: groq
      api_key_env: GROQ_KEY
      base_url: "{groq}"
      max_backoff_s: 0.2
      requests_per_minute: 100000
      prices:
        llama-3.3-70b-versatile: {{input_per_mtok: 0.59, output_per_mtok: 0.79}}
    digest: {{provider: twilio, mode: body, recipients: ["{r}"], account_sid_env: A_SID,
              auth_token_env: A_TOKEN, from_number: "{a}", api_base_url: "{url}", timeout_s: 5}}
"""


def test_a_tenant_with_an_llm_replies_with_its_answer_and_cost(
    tmp_path, monkeypatch, instance, emulator
):
    from emulators.llm import LlmEmulator

    monkeypatch.setenv("GROQ_KEY", "gsk_test")
    with LlmEmulator(latency_s=0.01, api_key="gsk_test") as groq:
        yaml = GROQ_TENANT.format(
            groq=groq.base_url, r=RECIPIENT, a=NUMBER_A, url=emulator.base_url
        )
        defs = defs_for_tenants(tmp_path, monkeypatch, yaml)
        register_tenants(instance, ["gamma"])
        day = local_today("Asia/Kolkata") - timedelta(days=1)
        result = defs.resolve_job_def("daily_job").execute_in_process(
            instance=instance, partition_key=f"{day}|gamma", raise_on_error=False
        )
        assert result.success
        digests = len(emulator.messages)
        settings = serve.settings_from_env(current_env())
        before = sum(groq.requests.values())
        with serve.serving(settings) as url:
            entry = emulator.send_inbound(f"{url}/twilio/inbound", RECIPIENT, NUMBER_A, QUESTION)
        assert entry["status"] == 200 and sum(groq.requests.values()) > before
    [row] = settings.warehouse.query(f"SELECT * FROM {WHATSAPP_QUESTIONS.qualified}").to_dict(
        "records"
    )
    assert row["status"] == "answered" and row["answer_mode"] == "llm"
    assert row["prompt_tokens"] > 0 and row["cost_usd"] > 0
    replies = emulator.messages[digests:]
    assert row["answer_sids"].split(",") == [m["sid"] for m in replies]
    text = "\n".join(m["body"] for m in replies)
    calls = settings.warehouse.query(f"SELECT call_id FROM {CALL_RECORDS.qualified}")
    cited = set(CITED.findall(text))
    assert not row["not_found"] and row["citations"] >= 1 and row["dropped_citations"] == 0
    assert cited and cited <= {short_ref(c) for c in calls["call_id"]}
    assert "-C-" not in text
