"""The leak scan's scenario: tenants on every provider kind, each with its own fake key, their
emulators seeded for DAY, and the faults injected into them."""

from datetime import timedelta

from test_audio_tenants import drop_calls, wav

from callintel_dagster.lib.dayspan import day_window_utc
from callintel_dagster.lib.synthetic import generate_day
from conftest import DAY
from emulators.base import Request, Response
from emulators.bedrock import BedrockEmulator
from emulators.bolna import BolnaEmulator
from emulators.deepgram import DeepgramEmulator
from emulators.leadsquared import LeadSquaredEmulator
from emulators.llm import LlmEmulator
from emulators.sarvam import SarvamEmulator
from emulators.twilio import ACCOUNT_SID, TwilioEmulator
from emulators.zoho import ZohoEmulator

KEYS = {  # variable -> a fake secret, distinctive enough that any hit is a leak
    "LK_BOLNA": "bolna-LEAKCANARY-9c1e7a52d4",
    "LK_GROQ": "gsk_LEAKCANARY_groq_7f3a19b2",
    "LK_OPENAI": "sk-LEAKCANARY-openai-4b6c0d",
    "LK_AWS_ID": "LEAKCANARY-aws-key-id-7Q2XF3",  # not AWS-shaped: a canary, never a key
    "LK_AWS_SECRET": "aws-secret-LEAKCANARY-0f9e11",
    "LK_ZOHO_SECRET": "zoho-secret-LEAKCANARY-51d0",
    "LK_ZOHO_REFRESH": "1000.zoho-refresh-LEAKCANARY-e2b7",
    "LK_LSQ_ACCESS": "u$lsq-access-LEAKCANARY-3303",
    "LK_LSQ_SECRET": "lsq-secret-LEAKCANARY-8d1f",
    "LK_DEEPGRAM": "dg-LEAKCANARY-5a7e90",
    "LK_SARVAM": "sv-LEAKCANARY-c4d2aa",
    "LK_TWILIO": "twilio-token-LEAKCANARY-a1b2",
    "LK_SALT": "salt-LEAKCANARY-6e6e42",
    # a call-centre database URL holds a password (trust auth ignores it); the database is
    # missing, so the refusal run's sync of lk_sql fails
    "LK_SQL_URL": "postgresql://postgres:pw-LEAKCANARY-5q1d@127.0.0.1:5432/callintel_leak_nodb",
}
ZOHO_CLIENT_ID = "1000.LEAKTESTCLIENT"  # an OAuth client id is not a secret
R1 = "+919812345678"
FAST = "max_backoff_s: 0.2"
TENANTS = """
tenants:
  - id: lk_bolna
    name: Bolna Co
    timezone: Asia/Kolkata
    calls: {{provider: bolna, api_key_env: LK_BOLNA, base_url: "{bolna}", timeout_s: 0.5}}
    crm: {{provider: bolna, api_key_env: LK_BOLNA, base_url: "{bolna}", timeout_s: 0.5}}
    llm: {{provider: groq, api_key_env: LK_GROQ, base_url: "{groq}", {fast},
           questions: [{{id: demo_offered, text: "Did the agent offer a demo?"}}]}}
    digest: {{provider: twilio, mode: body, recipients: ["{r1}"], account_sid_env: LK_TW_SID,
              auth_token_env: LK_TWILIO, from_number: "+14155238886", api_base_url: "{twilio}",
              timeout_s: 0.5}}
  - id: lk_zoho
    name: Zoho Co
    timezone: Asia/Kolkata
    calls: {{provider: synthetic, calls_per_day: 8, seed: 11}}
    crm: {{provider: zoho, accounts_url: "{zoho}", client_id_env: LK_ZOHO_ID,
           client_secret_env: LK_ZOHO_SECRET, refresh_token_env: LK_ZOHO_REFRESH,
           timeout_s: 0.5, writeback: true}}
    llm: {{provider: bedrock, endpoint_url: "{bedrock}", region: us-east-1, {fast},
           access_key_id_env: LK_AWS_ID, secret_access_key_env: LK_AWS_SECRET}}
    privacy: {{method: hash, hash_salt_env: LK_SALT}}
    digest: {{provider: outbox, recipients: ["{r1}"]}}
  - id: lk_lsq
    name: LSQ Co
    timezone: Asia/Kolkata
    calls: {{provider: synthetic, calls_per_day: 8, seed: 12}}
    crm: {{provider: leadsquared, base_url: "{lsq}", access_key_env: LK_LSQ_ACCESS,
           secret_key_env: LK_LSQ_SECRET, requests_per_5s: 50, timeout_s: 0.5,
           writeback: true, activity_event: 201}}
    llm: {{provider: openai_compatible, base_url: "{openai}", model: "llama3.1:8b",
           api_key_env: LK_OPENAI, {fast}}}
  - id: lk_deepgram
    name: Deepgram Co
    timezone: Asia/Kolkata
    calls: {{provider: folder, source_timezone: Asia/Kolkata, settle_s: 0, audio_wait_s: 0}}
    stt: {{provider: deepgram, api_key_env: LK_DEEPGRAM, base_url: "{deepgram}"}}
  - id: lk_sarvam
    name: Sarvam Co
    timezone: Asia/Kolkata
    calls: {{provider: folder, source_timezone: Asia/Kolkata, settle_s: 0, audio_wait_s: 0}}
    stt: {{provider: sarvam, api_key_env: LK_SARVAM, base_url: "{sarvam}",
           poll_interval_s: 0.05, timeout_s: 0.5}}
  - id: lk_sql
    name: SQL Co
    timezone: Asia/Kolkata
    calls: {{provider: sql, url_env: LK_SQL_URL, table: cdr, watermark_column: updated_at}}
"""
IDS = ["lk_bolna", "lk_zoho", "lk_lsq", "lk_deepgram", "lk_sarvam"]  # the daily run's
REFUSED_ONLY = "lk_sql"  # only in the refusal run: its failing sync would stop the daily graph
# what the audio-only calls say: sentences no template of the synthetic source writes
SPOKEN = [
    "Mera budget pachpan lakh hai aur main Baner mein teen BHK dhoondh raha hoon",
    "The quartz countertop sample arrived cracked in the left corner",
    "Kal subah gyarah baje Hinjewadi wali site dikhane aa jaiye",
]
TIMEOUT = {"timeout": 1}  # longer than every client's timeout_s above
RETRYABLE = [{"status": 429, "retry_after": 0.05}, {"status": 503}, TIMEOUT, {"malformed": True}]


def synthetic_calls(tenant: str, seed: int) -> list[dict]:
    day = generate_day(tenant, DAY, "Asia/Kolkata", calls_per_day=8, leads_per_day=0, seed=seed)
    return day.calls


def callers(tenant: str, seed: int) -> list[str]:
    return [c["phone_raw"] for c in synthetic_calls(tenant, seed) if c["phone_raw"]]


class EchoingLlm(LlmEmulator):
    """An OpenAI-compatible server whose 400 quotes the request, as some servers' validation
    errors do (fault `{"reply": "echo_400"}`): the longest line of the prompt, a line of the
    call. What it quoted is kept in `echoed`."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.echoed: list[str] = []

    def _complete(self, request: Request) -> Response:
        if (request.fault or {}).get("reply") != "echo_400":
            return super()._complete(request)
        user = request.json()["messages"][-1]["content"]
        line = max(user.splitlines(), key=len).split(": ", 1)[-1][:200]
        self.echoed.append(line)
        message = f"invalid request: messages[1].content: unexpected text near '{line}'"
        return Response(400, {"error": {"message": message, "code": "invalid_request"}})


def start(stack, home):
    """Every emulator, seeded for DAY, accepting exactly the canary keys."""
    bolna = stack.enter_context(BolnaEmulator(api_key=KEYS["LK_BOLNA"]))
    bolna.populate(DAY, n=12, seed=4)
    start_utc, end_utc = day_window_utc(DAY, "Asia/Kolkata")
    zoho = stack.enter_context(
        ZohoEmulator(
            client_id=ZOHO_CLIENT_ID,
            client_secret=KEYS["LK_ZOHO_SECRET"],
            refresh_token=KEYS["LK_ZOHO_REFRESH"],
        )
    )
    zoho.populate(
        n_leads=10,
        n_deals=3,
        seed=1,
        modified_between=(start_utc, end_utc - timedelta(minutes=1)),
        phones=callers("lk_zoho", 11),
    )
    lsq = stack.enter_context(LeadSquaredEmulator())
    lsq.add_account(KEYS["LK_LSQ_ACCESS"], KEYS["LK_LSQ_SECRET"])
    lsq.populate(
        10,
        seed=2,
        modified_between=(start_utc, end_utc - timedelta(minutes=1)),
        access_key=KEYS["LK_LSQ_ACCESS"],
        phones=callers("lk_lsq", 12),
    )
    twilio = stack.enter_context(TwilioEmulator(step_s=None))
    twilio.accounts[ACCOUNT_SID] = KEYS["LK_TWILIO"]
    emulators = {
        "bolna": bolna,
        "zoho": zoho,
        "lsq": lsq,
        "groq": stack.enter_context(LlmEmulator(latency_s=0.01, api_key=KEYS["LK_GROQ"])),
        "openai": stack.enter_context(EchoingLlm(latency_s=0.01, api_key=KEYS["LK_OPENAI"])),
        "bedrock": stack.enter_context(
            BedrockEmulator(latency_s=0.01, access_key_id=KEYS["LK_AWS_ID"])
        ),
        "deepgram": stack.enter_context(DeepgramEmulator(api_key=KEYS["LK_DEEPGRAM"])),
        "sarvam": stack.enter_context(SarvamEmulator(api_key=KEYS["LK_SARVAM"], job_steps=1)),
        "twilio": twilio,
    }
    talk, junk = wav(12, 1), b"not audio " * 30
    emulators["deepgram"].add_recording(
        talk,
        utterances=[("0", 0.3, 5.0, SPOKEN[1] + "."), ("1", 5.5, 11.0, "Please send a new one.")],
        duration=12.0,
    )
    emulators["sarvam"].add_recording(
        talk,
        entries=[(None, 0.2, 5.0, SPOKEN[0] + "."), (None, 5.5, 11.0, SPOKEN[2] + ".")],
    )
    for tenant in ("lk_deepgram", "lk_sarvam"):
        drop_calls(home / "inbox" / tenant, {f"{tenant}-talk": talk, f"{tenant}-junk": junk})
    return emulators


def inject_faults(emu) -> None:
    """Transient faults everywhere (retried), answers that fail one call (recorded), and a 401
    where a refused key ends only the last step (the digest)."""
    for name in ("bolna", "zoho", "lsq", "deepgram", "sarvam"):
        emu[name].inject("*", *RETRYABLE)
    invalid = [{"reply": "not_json"}, {"reply": "missing_fields"}, {"reply": "missing_fields"}]
    emu["groq"].inject("*", *RETRYABLE[:3], *invalid)
    emu["openai"].inject("*", *RETRYABLE[:3], *invalid, {"reply": "echo_400"})
    emu["bedrock"].inject("*", *RETRYABLE[:3])
    emu["twilio"].inject("*", {"status": 503}, {"status": 401})


def refuse_every_key(emu) -> None:
    """Every provider answers its next request 401: the sync and processing of DAY + 1 fail."""
    for emulator in emu.values():
        emulator.clear_faults()
        emulator.inject("*", {"status": 401})
