"""`make demo-emulated`: every provider emulator on 127.0.0.1, the demo's graph for
demo/tenants.emulated.yaml, then the emulators stop. No account, no key, no network.
"""

import json
import os
import sys
import time
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from callintel_dagster.env import REPO_ROOT
from callintel_dagster.lib.dayspan import day_window_utc, local_today
from callintel_dagster.lib.synthetic import generate_day
from emulators import twilio
from emulators.bedrock import BedrockEmulator
from emulators.bolna import SILENT_WAV, BolnaEmulator
from emulators.leadsquared import LeadSquaredEmulator
from emulators.llm import LlmEmulator
from emulators.zoho import ZohoEmulator

TENANTS = REPO_ROOT / "demo" / "tenants.emulated.yaml"
DAYS = 8  # the demo's 7 complete days and today
KEYS = {  # the emulators' demo credentials, exported as the variables tenants.yaml names
    "BOLNA_API_KEY": "demo-bolna-key",
    "LSQ_ACCESS_KEY": "u$demo-access",
    "LSQ_SECRET_KEY": "demo-secret",
    "ZOHO_CLIENT_ID": "1000.DEMOCLIENT",
    "ZOHO_CLIENT_SECRET": "demo-client-secret",
    "ZOHO_REFRESH_TOKEN": "1000.demo-refresh-token",
    "GROQ_API_KEY": "gsk_demo",
    "BEDROCK_KEY_ID": "AKIDDEMO",
    "BEDROCK_SECRET": "demo-bedrock-secret",
    "TWILIO_ACCOUNT_SID": twilio.ACCOUNT_SID,
    "TWILIO_AUTH_TOKEN": twilio.AUTH_TOKEN,
}


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def days(tz: str) -> list[date]:
    today = local_today(tz)
    return [today - timedelta(days=n) for n in range(DAYS)]


def known_callers(tenant_id: str, tz: str, calls_per_day: int, seed: int) -> list[str]:
    """Distinct raw numbers of the synthetic callers of the demo's days, as the calls spell them:
    the CRM emulators give some of their leads these numbers, so calls link to leads."""
    seen: dict[str, None] = {}
    for day in days(tz):
        for call in generate_day(
            tenant_id, day, tz, calls_per_day=calls_per_day, leads_per_day=0, seed=seed
        ).calls:
            if call["phone_raw"] and any(c.isdigit() for c in call["phone_raw"]):
                seen.setdefault(call["phone_raw"])
    return list(seen)


def start_bolna(stack: ExitStack) -> None:
    bolna = stack.enter_context(
        BolnaEmulator(api_key=KEYS["BOLNA_API_KEY"], trim_share=0.2, port=18701)
    )
    for n, day in enumerate(days("Asia/Kolkata")):
        bolna.populate(day, tz_offset_minutes=330, n=30, seed=100 + n)


def start_zoho(stack: ExitStack) -> None:
    zoho = stack.enter_context(
        ZohoEmulator(
            port=18702,
            client_id=KEYS["ZOHO_CLIENT_ID"],
            client_secret=KEYS["ZOHO_CLIENT_SECRET"],
            refresh_token=KEYS["ZOHO_REFRESH_TOKEN"],
            tz="America/New_York",
        )
    )
    first = days("America/New_York")[-1]
    callers = known_callers("saas_us", "America/New_York", calls_per_day=20, seed=21)
    zoho.populate(
        n_leads=80,
        n_deals=25,
        seed=7,
        modified_between=(day_window_utc(first, "America/New_York")[0], _utcnow()),
        phones=callers[:30],  # some of the tenant's callers are Zoho leads: write-back happens
    )


def start_leadsquared(stack: ExitStack) -> None:
    lsq = stack.enter_context(LeadSquaredEmulator(port=18703, rate_limit=25))
    lsq.add_account(KEYS["LSQ_ACCESS_KEY"], KEYS["LSQ_SECRET_KEY"])
    first = days("Asia/Kolkata")[-1]
    callers = known_callers("callcentre_in", "Asia/Kolkata", calls_per_day=35, seed=5)
    lsq.populate(
        90,
        seed=3,
        modified_between=(day_window_utc(first, "Asia/Kolkata")[0], _utcnow()),
        access_key=KEYS["LSQ_ACCESS_KEY"],
        phones=callers[:40],  # some of the call centre's callers are LeadSquared leads
    )


def start_llms(stack: ExitStack) -> None:
    """Groq (:18711), Bedrock (:18712) and an Ollama-style server (:18713), each answering in its
    provider's shape at the emulators' default latency."""
    stack.enter_context(LlmEmulator(port=18711, api_key=KEYS["GROQ_API_KEY"]))
    stack.enter_context(BedrockEmulator(port=18712, access_key_id=KEYS["BEDROCK_KEY_ID"]))
    stack.enter_context(LlmEmulator(port=18713))


def start_twilio(stack: ExitStack) -> twilio.TwilioEmulator:
    """Twilio's Messages API (:18705) with the demo's approved template (HXaaa…)."""
    return stack.enter_context(twilio.TwilioEmulator(port=18705))


QUESTION = "why was quality low yesterday?"
WEBHOOK_PORT = 18720


def reply_to_digest(emulator: twilio.TwilioEmulator) -> None:
    """A digest recipient of the Twilio tenant replies with a question: Twilio (the emulator)
    posts it, signed, to the inbound webhook (callintel_dagster/inbound/), which answers from the
    tenant's calls through the Messages API; the reply is printed as the emulator received it."""
    from callintel_dagster.env import current_env
    from callintel_dagster.inbound import serve
    from callintel_dagster.inbound.replies import mask_phone

    settings = serve.settings_from_env(current_env())
    if not settings.tenants:
        return
    tenant = settings.tenants[0]
    recipient, business = tenant.digest.recipients[0], tenant.digest.from_number
    with serve.serving(settings, port=WEBHOOK_PORT) as url:
        entry = emulator.send_inbound(
            f"{url}/twilio/inbound", f"whatsapp:{recipient}", f"whatsapp:{business}", QUESTION
        )
    replies = emulator.replies_to(recipient)
    print(
        f"\nWhatsApp: {mask_phone(recipient)} replied to {tenant.id}'s digest: {QUESTION!r} "
        f"(webhook answered Twilio {entry['status']}); the reply, {len(replies)} part(s):"
    )
    for message in replies:
        print("  " + message["body"].replace("\n", "\n  "))


RECORDINGS_BUCKET = "callcentre-recordings"


def start_s3(stack: ExitStack):
    """moto in server mode: the call centre's recordings bucket, on loopback."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=18704, verbose=False)
    server.start()
    stack.callback(server.stop)
    os.environ.update(
        AWS_ACCESS_KEY_ID="demo",
        AWS_SECRET_ACCESS_KEY="demo",
        AWS_DEFAULT_REGION="us-east-1",
        CALLINTEL_S3_ENDPOINT_URL="http://127.0.0.1:18704",
    )
    import boto3

    s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:18704", region_name="us-east-1")
    s3.create_bucket(Bucket=RECORDINGS_BUCKET)
    return s3


def seed_call_centre_db(path: Path, s3) -> str:
    """A call-centre CDR table (seed 001's shape), filled from the synthetic generator."""
    url = f"sqlite:///{path}"
    engine = sa.create_engine(url)
    with engine.begin() as con:
        con.execute(sa.text("DROP TABLE IF EXISTS cdr"))
        con.execute(
            sa.text(
                "CREATE TABLE cdr (uniqueid TEXT PRIMARY KEY, caller TEXT, call_time TIMESTAMP, "
                "billsec INTEGER, disposition TEXT, agent TEXT, direction TEXT, transcript TEXT, "
                "recording TEXT, updated_at TIMESTAMP)"
            )
        )
        disposition = {
            "completed": "ANSWER",
            "no_answer": "NO ANSWER",
            "busy": "BUSY",
            "failed": "FAILED",
            "voicemail": "ANSWER",
        }
        for day in days("Asia/Kolkata"):
            for call in generate_day(
                "callcentre_in", day, "Asia/Kolkata", calls_per_day=35, leads_per_day=0, seed=5
            ).calls:
                local = call["started_at_utc"] + timedelta(minutes=330)  # the DB keeps IST
                recording = None
                if call["call_status"] == "completed":
                    key = f"{day}/{call['call_id']}.wav"
                    s3.put_object(Bucket=RECORDINGS_BUCKET, Key=key, Body=SILENT_WAV)
                    recording = f"s3://{RECORDINGS_BUCKET}/{key}"
                con.execute(
                    sa.text(
                        "INSERT INTO cdr VALUES (:id, :ph, :t, :sec, :d, :a, :dir, :tr, :rec, :up)"
                    ),
                    {
                        "id": call["call_id"],
                        "ph": call["phone_raw"],
                        "t": local,
                        "sec": int(call["duration_seconds"]),
                        "d": disposition[call["call_status"]],
                        "a": call["agent_name"],
                        "dir": call["direction"],
                        "tr": call["transcript_text"],
                        "rec": recording,
                        "up": local + timedelta(seconds=call["duration_seconds"] + 5),
                    },
                )
    engine.dispose()
    return url


def drop_folder_files(home: Path) -> None:
    """Call metadata (one JSON file a day) and a short WAV per answered call, as a call centre's
    export job would leave them in the tenant's inbox."""
    inbox = home / "inbox" / "dropfolder_in"
    inbox.mkdir(parents=True, exist_ok=True)
    for day in days("Asia/Kolkata"):
        calls = generate_day(
            # seed 0 and 5 leads a day, as the tenant's synthetic CRM generates them: some callers
            # are its leads, so the folder's calls link to contacts
            "dropfolder_in",
            day,
            "Asia/Kolkata",
            calls_per_day=15,
            leads_per_day=5,
            seed=0,
        ).calls
        rows = []
        for call in calls:
            row = {
                "call_id": call["call_id"],
                "started_at": call["started_at_utc"].isoformat(),
                "duration": call["duration_seconds"],
                "status": call["call_status"],
                "phone": call["phone_raw"],
                "agent": call["agent_name"],
                "direction": call["direction"],
                "transcript": call["transcript_text"],
            }
            if call["call_status"] == "completed":
                row["recording"] = f"{call['call_id']}.wav"
                (inbox / row["recording"]).write_bytes(SILENT_WAV)
            rows.append(row)
        (inbox / f"calls-{day}.json").write_text(json.dumps(rows))
    for path in inbox.iterdir():  # exported a while ago: settled
        os.utime(path, (time.time() - 3600, time.time() - 3600))


def main() -> int:
    home = Path(os.environ.setdefault("CALLINTEL_HOME", str(REPO_ROOT / ".callintel-emulated")))
    home.mkdir(parents=True, exist_ok=True)
    os.environ["CALLINTEL_TENANTS"] = str(TENANTS)
    os.environ.update(KEYS)
    drop_folder_files(home)
    with ExitStack() as stack:
        s3 = start_s3(stack)
        os.environ["CALLCENTRE_DB_URL"] = seed_call_centre_db(home / "callcentre.sqlite", s3)
        start_bolna(stack)
        start_zoho(stack)
        start_leadsquared(stack)
        start_llms(stack)
        emulator = start_twilio(stack)
        print(
            "emulators up: bolna :18701, zoho :18702, leadsquared :18703, S3 (moto) :18704, "
            "twilio :18705, groq :18711, bedrock :18712, openai-compatible :18713; "
            "call-centre SQLite and a drop folder under $CALLINTEL_HOME"
        )
        from callintel_dagster.cli import demo

        status = demo.main()
        if status == 0:
            reply_to_digest(emulator)
        return status


if __name__ == "__main__":
    sys.exit(main())
