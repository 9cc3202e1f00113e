"""The inbound WhatsApp webhook on loopback, driven by the Twilio emulator as Twilio drives it:
signed form posts in, free-form replies out through the Messages API. Two tenants with the same
recipients on two business numbers and two Twilio accounts; their warehouse and index are empty
here (tests/integration/test_whatsapp_reply.py asks over real calls)."""

import logging
import re
import time
from dataclasses import replace
from datetime import date

import pytest
from twilio.request_validator import RequestValidator

from callintel_dagster.env import current_env
from callintel_dagster.inbound import serve
from callintel_dagster.inbound.replies import (
    days_asked_about,
    mask_phone,
    reply_parts,
    reply_text,
    short_ref,
)
from callintel_dagster.lib.tables import WHATSAPP_QUESTIONS
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.search.ask import AskAnswer
from callintel_dagster.search.citations import Citation
from emulators.twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    TEMPLATE_SID,
    TwilioEmulator,
    inbound_params,
)

ACCOUNT_B, TOKEN_B = "AC" + "0" * 31 + "2", "second-account-token"
NUMBER_A, NUMBER_B = "+14155238886", "+14155238887"
R1, R2, STRANGER = "+919812345678", "+919812345677", "+919800000001"
TENANT = Tenant(id="alpha", name="Alpha Realty", timezone="Asia/Kolkata")
DAY = date(2026, 11, 26)
TENANTS = """
tenants:
  - id: alpha
    name: Alpha Realty
    timezone: Asia/Kolkata
    digest: {{provider: twilio, content_sid: {tpl}, recipients: ["{r1}", "{r2}"],
              account_sid_env: A_SID, auth_token_env: A_TOKEN, from_number: "{a}",
              api_base_url: "{url}", timeout_s: 2}}
  - id: beta
    name: Beta Realty
    timezone: Asia/Kolkata
    digest: {{provider: twilio, mode: body, recipients: ["{r1}", "{r2}"],
              account_sid_env: B_SID, auth_token_env: B_TOKEN, from_number: "{b}",
              api_base_url: "{url}", timeout_s: 2}}
"""


@pytest.fixture
def emulator(monkeypatch):
    for name, value in {
        "A_SID": ACCOUNT_SID,
        "A_TOKEN": AUTH_TOKEN,
        "B_SID": ACCOUNT_B,
        "B_TOKEN": TOKEN_B,
    }.items():
        monkeypatch.setenv(name, value)
    with TwilioEmulator(step_s=None) as emu:
        emu.accounts[ACCOUNT_B] = TOKEN_B
        yield emu


@pytest.fixture
def settings(tmp_path, monkeypatch, emulator):
    registry = tmp_path / "tenants.yaml"
    registry.write_text(
        TENANTS.format(
            tpl=TEMPLATE_SID, r1=R1, r2=R2, a=NUMBER_A, b=NUMBER_B, url=emulator.base_url
        )
    )
    monkeypatch.setenv("CALLINTEL_TENANTS", str(registry))
    monkeypatch.setenv("CALLINTEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CALLINTEL_WAREHOUSE_URL", raising=False)
    (tmp_path / "home").mkdir()
    return serve.settings_from_env(current_env())


@pytest.fixture
def webhook(settings):
    with serve.serving(settings) as base_url:
        yield base_url


def questions(settings) -> list[dict]:
    frame = settings.warehouse.query(f"SELECT * FROM {WHATSAPP_QUESTIONS.qualified}")
    return frame.to_dict("records")


def ask(emulator, url, sender=R1, to=NUMBER_A, body="why was quality low yesterday?", **kw):
    return emulator.send_inbound(url, f"whatsapp:{sender}", f"whatsapp:{to}", body, **kw)


def test_a_signed_question_from_a_recipient_gets_one_reply(emulator, webhook, settings):
    entry = ask(emulator, f"{webhook}/twilio/inbound")
    assert entry["status"] == 200 and "<Response>" in entry["body"]
    replies = emulator.replies_to(R1)
    assert len(replies) >= 1
    assert all(m["from"] == f"whatsapp:{NUMBER_A}" for m in replies)
    assert all(len(m["body"]) <= 1600 for m in replies)
    [row] = questions(settings)
    assert row["tenant_id"] == "alpha" and row["recipient"] == R1
    assert row["status"] == "answered" and row["parts"] == len(replies)
    assert row["answer_sids"].split(",") == [m["sid"] for m in replies]
    assert row["message_sid"] == entry["params"]["MessageSid"]
    # nothing is indexed for alpha here: the reply says so (real answers: test_whatsapp_reply.py)
    assert "Alpha Realty's calls can be searched" in replies[0]["body"] and row["not_found"]


@pytest.mark.parametrize(
    "how", ["missing", "wrong token", "other tenant's token", "tampered", "wrong url"]
)
def test_unsigned_or_wrongly_signed_is_refused(emulator, webhook, settings, how):
    url = f"{webhook}/twilio/inbound"
    if how == "missing":
        entry = ask(emulator, url, signed=False)
    elif how == "wrong token":
        entry = ask(emulator, url, signature="bm90IGEgc2lnbmF0dXJl")
    elif how == "other tenant's token":  # beta's account signs a message To alpha's number
        entry = ask(emulator, url, account_sid=ACCOUNT_B)
    else:
        sid = "SM" + "7" * 32
        if how == "tampered":  # signed for another text than the one posted
            params = inbound_params(R1, NUMBER_A, "hello", sid, ACCOUNT_SID)
            signed_url = url
        else:  # signed for another URL than the one called (a proxy not configured)
            params = inbound_params(
                R1, NUMBER_A, "why was quality low yesterday?", sid, ACCOUNT_SID
            )
            signed_url = "https://hooks.example.com/twilio/inbound"
        signature = RequestValidator(AUTH_TOKEN).compute_signature(signed_url, params)
        entry = ask(emulator, url, message_sid=sid, signature=signature)
    assert entry["status"] == 403
    assert emulator.replies_to(R1) == []
    sids = {r["message_sid"] for r in questions(settings)}
    assert entry["params"]["MessageSid"] not in sids


def test_a_number_not_on_the_list_gets_nothing(emulator, webhook, settings, caplog):
    caplog.set_level(logging.INFO, logger="callintel.inbound")
    entry = ask(emulator, f"{webhook}/twilio/inbound", sender=STRANGER)
    assert entry["status"] == 200  # Twilio is told it arrived; nothing is sent
    assert emulator.replies_to(STRANGER) == [] and questions(settings) == []
    assert mask_phone(STRANGER) in caplog.text
    assert STRANGER not in caplog.text and "quality" not in caplog.text  # no number, no text


def test_a_retried_webhook_sends_one_reply(emulator, webhook, settings):
    url = f"{webhook}/twilio/inbound"
    first = ask(emulator, url)
    sid = first["params"]["MessageSid"]
    again = [ask(emulator, url, message_sid=sid) for _ in range(3)]
    assert {e["status"] for e in [first, *again]} == {200}
    replies = emulator.replies_to(R1)
    assert len(replies) == questions(settings)[0]["parts"]
    assert len(questions(settings)) == 1
    ask(emulator, url)  # a new question (new MessageSid) is answered
    assert len(questions(settings)) == 2


def test_tenants_sharing_recipients_never_cross(emulator, webhook, settings):
    """The tenant is the number the message went To, checked with that tenant's credentials; the
    path narrows it. The same recipient asks both tenants."""
    url = f"{webhook}/twilio/inbound"
    ask(emulator, url, to=NUMBER_A)
    ask(emulator, url, to=NUMBER_B, account_sid=ACCOUNT_B)
    rows = {(r["tenant_id"], r["recipient"]) for r in questions(settings)}
    assert rows == {("alpha", R1), ("beta", R1)}
    froms = [m["from"] for m in emulator.replies_to(R1)]
    assert f"whatsapp:{NUMBER_A}" in froms and f"whatsapp:{NUMBER_B}" in froms
    by_account = {m["account_sid"] for m in emulator.replies_to(R1) if m["from"].endswith("87")}
    assert by_account == {ACCOUNT_B}, "beta's reply goes through beta's account"
    # alpha's path with beta's number (and beta's signature): not alpha's message
    wrong = ask(emulator, f"{webhook}/twilio/inbound/alpha", to=NUMBER_B, account_sid=ACCOUNT_B)
    assert wrong["status"] == 403
    right = ask(emulator, f"{webhook}/twilio/inbound/beta", to=NUMBER_B, account_sid=ACCOUNT_B)
    assert right["status"] == 200
    assert [r["tenant_id"] for r in questions(settings)].count("beta") == 2


def test_public_url_is_what_the_signature_covers(emulator, settings):
    """Behind a proxy Twilio signs its own URL: the configured public URL, not the local one."""
    public = "https://hooks.example.com"
    with serve.serving(replace(settings, public_url=public)) as base_url:
        local = ask(emulator, f"{base_url}/twilio/inbound")  # signed for the local URL
        assert local["status"] == 403
        params = {**local["params"], "MessageSid": "SM" + "5" * 32, "SmsSid": "SM" + "5" * 32}
        params["SmsMessageSid"] = params["MessageSid"]
        signature = RequestValidator(AUTH_TOKEN).compute_signature(
            f"{public}/twilio/inbound", params
        )
        entry = ask(
            emulator,
            f"{base_url}/twilio/inbound",
            message_sid=params["MessageSid"],
            signature=signature,
        )
        assert entry["status"] == 200
        assert [r["message_sid"] for r in questions(settings)] == [params["MessageSid"]]


@pytest.mark.parametrize("length", [10, 1600, 1601, 5000, 20000])
def test_reply_parts_fit_twilio(length):
    words = ("word " * (length // 5 + 1))[:length]
    parts = reply_parts(words)
    assert 1 <= len(parts) <= 3
    assert all(len(p.body) <= 1600 for p in parts)
    assert [p.index for p in parts] == list(range(len(parts)))
    if length > 3 * 1600:
        assert parts[-1].body.endswith("(shortened)")


def test_mask_phone_keeps_only_the_ends():
    assert mask_phone("+919812345678") == "+91******5678"
    assert "12345" not in mask_phone("+14155550123")


def test_twilio_gets_its_answer_in_time_when_the_work_is_slow(emulator, settings):
    """A pipeline run holds the DuckDB warehouse: the question cannot even be recorded yet. The
    webhook still answers Twilio within `wait_s`, a retry meanwhile is a no-op, and the reply
    goes out once the warehouse is free."""
    with serve.serving(replace(settings, wait_s=0.3)) as base_url:
        url = f"{base_url}/twilio/inbound"
        with settings.warehouse.exclusive():
            began = time.monotonic()
            first = ask(emulator, url)
            assert first["status"] == 200 and time.monotonic() - began < 3
            retry = ask(emulator, url, message_sid=first["params"]["MessageSid"])
            assert retry["status"] == 200 and emulator.replies_to(R1) == []
        deadline = time.monotonic() + 20
        while not (rows := questions(settings)) or rows[0]["status"] in ("received", "answering"):
            assert time.monotonic() < deadline, "the reply never went out"
            time.sleep(0.1)
    assert len(rows) == 1 and len(emulator.replies_to(R1)) == rows[0]["parts"] >= 1


def test_reply_text_shortens_call_ids_and_names_the_days():
    cited = Citation("alpha-C-20261126-00003", 192.4, "my budget is around 60,000")
    answer = AskAnswer(
        f"- Budgets came up. {cited}\n- alpha-C-20261126-00003 (2026-11-26): 1 passage",
        [cited],
        0,
        1,
        "extractive",
    )
    text = reply_text(answer, TENANT, date(2026, 11, 19), date(2026, 11, 26))
    ref = short_ref("alpha-C-20261126-00003")
    assert re.fullmatch(r"c-[0-9a-f]{4}", ref)
    assert f'[{ref} @ 03:12] "my budget is around 60,000"' in text
    assert "alpha-C-" not in text and "19 Nov – 26 Nov 2026" in text
    bare = AskAnswer("Prices came up twice.", [cited], 0, 1, "llm")
    assert f"Sources: [{ref} @ 03:12]" in reply_text(bare, TENANT, DAY, DAY)


@pytest.mark.parametrize(
    ("question", "days"),
    [
        ("why was quality low yesterday?", (date(2026, 11, 25), date(2026, 11, 25))),
        ("How many calls today", (date(2026, 11, 26), date(2026, 11, 26))),
        ("what about the budget?", (date(2026, 11, 19), date(2026, 11, 26))),
    ],
)
def test_the_days_a_question_is_about(question, days):
    assert days_asked_about(question, date(2026, 11, 26)) == days


def test_a_message_without_text_is_asked_for_text(emulator, webhook, settings):
    ask(emulator, f"{webhook}/twilio/inbound", body="   ")  # e.g. a photo: Body is empty
    [reply] = emulator.replies_to(R1)
    assert "as a text message" in reply["body"]
    [row] = questions(settings)
    assert row["status"] == "answered" and row["error_reason"] == "empty_question"


def test_a_restart_closes_what_a_stopped_webhook_left_unfinished(emulator, settings):
    from callintel_dagster.inbound.replies import Inbound, claim_question

    [alpha] = [t for t in settings.tenants if t.id == "alpha"]
    params = inbound_params(R1, NUMBER_A, "why?", "SM" + "9" * 32, ACCOUNT_SID)
    claim_question(settings.warehouse, alpha, Inbound.from_form(params))  # then the process died
    with serve.serving(settings) as base_url:
        [row] = questions(settings)
        assert row["status"] == "failed" and row["error_reason"].startswith("interrupted")
        again = ask(emulator, f"{base_url}/twilio/inbound", message_sid=params["MessageSid"])
        assert (
            again["status"] == 200 and emulator.replies_to(R1) == []
        )  # still never answered twice
