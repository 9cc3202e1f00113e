"""Spoken personal data never leaves the warehouse's redacted tables (issue 13): a synthetic
tenant-day that speaks phones, e-mails, Aadhaar, PAN and UPI ids goes through sync, transcription,
LLM analysis (the emulator records every request), embeddings into LanceDB, ask and evaluate;
none of the values (as written or as spoken) is in any request or any LanceDB file, while the
placeholders that replaced them are (so the scan looked where the data went)."""

from datetime import date, datetime

import pytest
from pii_canaries import canaries, hits, lance_texts

from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.embeddings import embedder_named
from callintel_dagster.providers.synthetic import SyntheticSource
from callintel_dagster.resources.analyzers import LlmAnalyzer
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.search import ChunkIndex
from callintel_dagster.search.ask import ask
from callintel_dagster.search.evaluate import evaluate
from callintel_dagster.stages.analysis import analyse_tenant
from callintel_dagster.stages.embeddings import embed_tenant
from callintel_dagster.stages.sync import sync_tenant
from callintel_dagster.stages.sync_specs import CALLS
from callintel_dagster.stages.transcription import transcribe_tenant
from emulators.llm import LlmEmulator

pytestmark = pytest.mark.integration  # the whole path, with an HTTP emulator: seconds, not ms

DAY = date(2026, 11, 18)
NOW = datetime(2026, 11, 20, 12, 0)
# a placeholder's name without its brackets, which a prompt may escape in JSON (\u003c)
PLACEHOLDER = ("PHONE_1", "EMAIL_1", "AADHAAR_1", "PAN_1", "UPI_1")


def tenant(base_url: str) -> Tenant:
    return Tenant.model_validate(
        {
            "id": "acme",
            "name": "Acme",
            "timezone": "Asia/Kolkata",
            "calls": {"provider": "synthetic", "calls_per_day": 40, "seed": 3},
            "embeddings": {"provider": "local", "model": "static"},
            "llm": {
                "provider": "openai_compatible",
                "base_url": base_url,
                "model": "llama3.1:8b",
                "max_backoff_s": 0.5,
                "requests_per_minute": 100_000,
            },
        }
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Every stage that sends transcript text out, each one's LLM requests kept apart."""
    root = tmp_path_factory.mktemp("leaks")
    warehouse = Warehouse(url=f"duckdb:///{root}/w.duckdb")
    index = ChunkIndex(str(root / "lancedb"))
    sent: dict[str, list[str]] = {}
    with LlmEmulator(latency_s=0.0) as emulator:
        t = tenant(emulator.base_url)
        sync_tenant(warehouse, t, [DAY], SyntheticSource(t), CALLS, NOW)
        warehouse.write(transcribe_tenant(warehouse, t, [DAY], None).writes())
        steps = {
            "analysis": lambda: warehouse.write(
                analyse_tenant(warehouse, t, [DAY], LlmAnalyzer(t), NOW).writes()
            ),
            "embeddings": lambda: embed_tenant(
                warehouse, t, [DAY], embedder_named("static"), index
            ),
            "ask": lambda: ask(
                warehouse,
                index,
                embedder_named("static"),
                t,
                "What number or email did the customer give, and their Aadhaar, PAN or UPI id?",
                now=NOW,
            ),
            "evaluate": lambda: evaluate(
                warehouse, t, "Did the customer share contact details?", DAY, DAY, now=NOW
            ),
        }
        for name, step in steps.items():
            before = len(emulator.calls)
            step()
            sent[name] = [c["user"] for c in emulator.calls[before:]]
    return {"tenant": t, "sent": sent, "lancedb": root / "lancedb", "warehouse": warehouse}


@pytest.mark.parametrize("path", ["analysis", "ask", "evaluate"])
def test_no_llm_request_carries_spoken_personal_data(run, path):
    requests = run["sent"][path]
    assert requests, f"{path} sent nothing to the LLM"
    pii = canaries(run["tenant"], DAY)
    assert hits(((f"{path} request {i}", r) for i, r in enumerate(requests)), pii) == []
    if path != "ask":  # these send every call: the PII calls went, as placeholders
        assert any(p in r for r in requests for p in PLACEHOLDER)


def test_no_lancedb_file_holds_spoken_personal_data(run):
    texts = list(lance_texts(run["lancedb"]))
    assert texts and hits(texts, canaries(run["tenant"], DAY)) == []
    assert any(p in text for _, text in texts for p in PLACEHOLDER)


def test_no_stored_analysis_quotes_personal_data(run):
    analyses = run["warehouse"].query("SELECT * FROM core.call_analyses").astype(str)
    columns = ((f"core.call_analyses.{c}", "\n".join(analyses[c])) for c in analyses.columns)
    assert len(analyses) and hits(columns, canaries(run["tenant"], DAY)) == []
