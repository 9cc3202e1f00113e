"""Nothing leaks into logs (issue 13): the daily graph runs for tenants on every provider kind,
each with its own fake key, with faults of every kind injected (401, 429, 5xx, timeouts,
malformed and invalid replies), its vectors and archived audio on the S3 shared store (moto);
then stdout/stderr, the Dagster event log, the compute logs, the warehouse, the outbox, the
files under CALLINTEL_HOME and every object of the bucket are scanned for the keys (the S3
secret included), and for transcript sentences outside the places meant to hold transcripts."""

from contextlib import ExitStack
from datetime import timedelta

import dagster as dg
import httpx
import pytest
from leak_scan import (
    bucket_objects,
    captured_output,
    event_log,
    files,
    hits,
    mask,
    warehouse_columns,
)
from leak_scenario import (
    FAST,
    IDS,
    KEYS,
    R1,
    REFUSED_ONLY,
    SPOKEN,
    TENANTS,
    ZOHO_CLIENT_ID,
    inject_faults,
    refuse_every_key,
    start,
)

from callintel_dagster.definitions import build_defs, resolved_resource
from callintel_dagster.env import current_env
from callintel_dagster.explorer import serve as explorer
from callintel_dagster.explorer.settings import ExplorerSettings
from callintel_dagster.inbound import serve as webhook
from callintel_dagster.providers.zoho.source import clear_token_cache
from conftest import DAY, register_tenants
from emulators.twilio import ACCOUNT_SID
from tests.shared_store.s3_server import SECRET as S3_SECRET
from tests.shared_store.s3_server import moto_s3, use_shared_store


def day_range(day, last: str = IDS[-1]) -> dict[str, str]:
    return {
        "dagster/asset_partition_range_start": f"{day}|{IDS[0]}",
        "dagster/asset_partition_range_end": f"{day}|{last}",
    }


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("leaks")
    home = tmp / "home"
    with ExitStack() as stack, pytest.MonkeyPatch.context() as mp:
        clear_token_cache()
        emu = start(stack, home)
        s3, bucket = use_shared_store(mp, tmp, stack.enter_context(moto_s3()))
        urls = {name: e.base_url for name, e in emu.items()}
        (tmp / "t.yaml").write_text(TENANTS.format(**urls, fast=FAST, r1=R1))
        mp.setenv("CALLINTEL_TENANTS", str(tmp / "t.yaml"))
        mp.setenv("CALLINTEL_HOME", str(home))
        mp.delenv("CALLINTEL_WAREHOUSE_URL", raising=False)
        for name, value in {**KEYS, "LK_TW_SID": ACCOUNT_SID, "LK_ZOHO_ID": ZOHO_CLIENT_ID}.items():
            mp.setenv(name, value)
        env = current_env()
        defs = build_defs(env)
        dagster_home = tmp / "dagster_home"
        dagster_home.mkdir()
        instance = stack.enter_context(dg.instance_for_test(temp_dir=str(dagster_home)))
        register_tenants(instance, [*IDS, REFUSED_ONLY])
        inject_faults(emu)
        output = tmp / "output.txt"
        results = {}
        with captured_output(output):
            results["daily"] = defs.resolve_job_def("daily_job").execute_in_process(
                instance=instance, tags=day_range(DAY), raise_on_error=False
            )
            refuse_every_key(emu)
            for job in ("sync_job", "processing_job"):
                results[job] = defs.resolve_job_def(job).execute_in_process(
                    instance=instance,
                    tags=day_range(DAY + timedelta(days=1), REFUSED_ONLY),
                    raise_on_error=False,
                )
        yield {
            "env": env,
            "emu": emu,
            "instance": instance,
            "results": results,
            "warehouse": resolved_resource(defs, "warehouse"),
            "output": output.read_text(encoding="utf-8", errors="replace"),
            "dagster_home": dagster_home,
            "bucket": (s3, bucket),
        }


def logs(s) -> list:
    """What operators read: stdout/stderr, the event log and the compute logs."""
    return [
        ("stdout/stderr", s["output"]),
        *event_log(s["instance"]),
        *files(s["dagster_home"] / "storage", "compute log"),
    ]


# Columns and files meant to hold what was said (or an LLM's reading of it, with its quotes).
TRANSCRIPT_PLACES = (
    "warehouse raw.call_records.transcript_",
    "warehouse staging.stg_call_records.source_transcript_",
    "warehouse core.transcript_turns.text",
    "warehouse core.call_transcripts.text",
    "warehouse staging.stg_call_transcripts.transcript_text",
    "warehouse core.call_analyses.summary",
    "warehouse core.call_analyses.analysis_json",
    "warehouse staging.stg_call_analyses.summary",  # and .summary_paragraph
    "warehouse staging.stg_call_analyses.analysis_json",
    "warehouse marts.fct_calls.summary",
    "warehouse core.call_answers.quote",
    "warehouse staging.stg_call_answers.quote",
    "warehouse core.llm_cache.response_json",
    "s3 lancedb/",  # the shared store's index (chunk texts)
)


def test_the_scenario_reaches_every_provider_and_fault(scenario):
    emu, warehouse, results = scenario["emu"], scenario["warehouse"], scenario["results"]
    unused = [name for name, e in emu.items() if sum(e.requests.values()) == 0]
    assert not unused, f"never asked: {unused}"
    assert not any(r.success for r in results.values())  # the refused keys fail their steps
    failed = {e.step_key for r in results.values() for e in r.all_events if e.is_step_failure}
    assert {"call_records", "crm_leads", "call_analyses", "whatsapp_digest"} <= failed, failed
    sync_errors = " ".join(
        str(e.event_specific_data.error)
        for e in results["sync_job"].all_events
        if e.is_step_failure
    )
    assert "lk_sql: sql: query failed" in sync_errors, "the database URL was tried"
    statuses = set(
        warehouse.query("SELECT DISTINCT analysis_status FROM core.call_analyses")[
            "analysis_status"
        ]
    )
    assert {"ok", "failed"} <= statuses, statuses
    reasons = warehouse.query(
        "SELECT reason FROM core.call_analyses WHERE analysis_status = 'failed' "
        "UNION ALL SELECT reason FROM core.call_transcripts WHERE transcript_status = 'failed'"
    )["reason"].tolist()
    for kind in ("invalid_output", "provider_error", "unreadable_audio"):
        assert any(r.startswith(kind) for r in reasons), (kind, reasons)
    written = warehouse.query(
        "SELECT DISTINCT provider FROM delivery.crm_writebacks WHERE status = 'written'"
    )["provider"]
    assert set(written) == {"zoho", "leadsquared"}
    assert list(scenario["env"].outbox_path.rglob("*.txt")), "the outbox digest was written"


def test_no_key_anywhere(scenario):
    env = scenario["env"]
    sources = [
        *logs(scenario),
        *warehouse_columns(scenario["warehouse"]),
        *files(env.home, "home"),
        *bucket_objects(*scenario["bucket"]),
    ]
    # every kind of place was read, and holds something: a scan of nothing finds nothing
    filled = {where.split(" ")[0] for where, text in sources if text.strip()}
    assert {"stdout/stderr", "event", "compute", "warehouse", "home", "s3"} <= filled, filled
    assert any(w.startswith("s3 lancedb/") for w, _ in sources), "no index on the shared store"
    canaries = {**KEYS, "S3_SECRET": S3_SECRET, "any key (LEAKCANARY)": "LEAKCANARY"}
    found = hits(sources, canaries)
    assert not found, f"{len(found)} key leak(s):\n" + "\n".join(
        f"{h} ({mask(KEYS[h.rsplit(': ', 1)[1]])})" if h.rsplit(": ", 1)[1] in KEYS else h
        for h in found
    )


def said(warehouse) -> dict[str, str]:
    """Sentences callers and agents said: the audio calls' and distinctive synthetic turns."""
    turns = warehouse.query(
        "SELECT DISTINCT text FROM core.transcript_turns WHERE length(text) >= 30 ORDER BY text"
    )["text"].tolist()
    return {f"spoken[{i}]": s for i, s in enumerate(SPOKEN)} | {
        f"turn {t[:24]!r}": t for t in turns[:: max(1, len(turns) // 40)]
    }


def test_no_transcript_text_outside_transcripts(scenario):
    env = scenario["env"]
    sources = [
        *logs(scenario),
        *warehouse_columns(scenario["warehouse"]),
        *files(env.outbox_path, "outbox"),
        *bucket_objects(*scenario["bucket"]),
    ]
    needles = said(scenario["warehouse"])
    # the scan sees what it looks for: each sentence is where transcripts are kept
    kept = {h.rsplit(": ", 1)[1] for h in hits(sources, needles) if h.startswith(TRANSCRIPT_PLACES)}
    assert kept == set(needles), f"not found at all: {set(needles) - kept}"
    echoed = scenario["emu"]["openai"].echoed
    assert echoed, "the LLM server quoted a prompt in an error"
    needles |= {f"prompt line the LLM error quoted {i}": q for i, q in enumerate(echoed)}
    found = hits(sources, needles, allowed=TRANSCRIPT_PLACES)
    assert not found, f"{len(found)} transcript leak(s):\n" + "\n".join(found)


SERVICE_KEYS = {
    "CALLINTEL_KEY_LK_ZOHO": "explorer-LEAKCANARY-k3y9",
    "CALLINTEL_ADMIN_KEY": "admin-LEAKCANARY-77aa",
    "a refused key": "wrong-LEAKCANARY-0000",
}


def test_the_explorer_and_the_webhook_log_no_key(scenario, tmp_path, monkeypatch):
    """The explorer (a good key, a refused one, a bad login) and the WhatsApp webhook (a signed
    question, a forged one) run in-process; uvicorn's and our log output is scanned."""
    for name in ("CALLINTEL_KEY_LK_ZOHO", "CALLINTEL_ADMIN_KEY"):
        monkeypatch.setenv(name, SERVICE_KEYS[name])
    env, twilio = scenario["env"], scenario["emu"]["twilio"]
    output = tmp_path / "services.txt"
    with captured_output(output):
        with explorer.serving(ExplorerSettings.from_env(env)) as url:
            api = f"{url}/api/tenants/lk_zoho/calls"
            for key in SERVICE_KEYS.values():
                httpx.get(api, headers={"Authorization": f"Bearer {key}"}, timeout=10)
            httpx.post(f"{url}/login", data={"key": SERVICE_KEYS["a refused key"]}, timeout=10)
        twilio.clear_faults()
        with webhook.serving(webhook.settings_from_env(env)) as url:
            for signed in (True, False):
                twilio.send_inbound(
                    f"{url}/twilio/inbound",
                    f"whatsapp:{R1}",
                    "whatsapp:+14155238886",
                    "why was quality low?",
                    signed=signed,
                )
    statuses = [entry["status"] for entry in twilio.inbound[-2:]]
    assert statuses[0] == 200 and statuses[1] in (401, 403), statuses
    text = output.read_text(encoding="utf-8", errors="replace")
    found = hits([("service output", text)], {**KEYS, **SERVICE_KEYS, "any": "LEAKCANARY"})
    assert not found, found
