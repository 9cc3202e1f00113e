"""`callintel ask` and `callintel evaluate`: JSON shapes, lines, and one-line errors with exit 2,
on synthetic calls synced, transcribed and indexed under a temporary CALLINTEL_HOME (the LLM
tenant talks to the emulator)."""

import json
from datetime import date, datetime

import pytest

from callintel_dagster.cli.main import main
from callintel_dagster.env import current_env
from callintel_dagster.lib.tenants.registry import load_registry
from callintel_dagster.providers.embeddings import embedder_named
from callintel_dagster.providers.synthetic import SyntheticSource
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.search import ChunkIndex
from callintel_dagster.search.citations import Citation, load_turns, verify
from callintel_dagster.stages.embeddings import embed_tenant
from callintel_dagster.stages.sync import sync_tenant
from callintel_dagster.stages.sync_specs import CALLS
from callintel_dagster.stages.transcription import transcribe_tenant
from emulators.llm import LlmEmulator

pytestmark = pytest.mark.integration  # builds a real index of synthetic calls first


DAY = date(2026, 11, 18)
NOW = datetime(2026, 11, 20, 12, 0)
REGISTRY = """
tenants:
  - id: acme
    name: Acme
    timezone: Asia/Kolkata
    calls: {{provider: synthetic, calls_per_day: 24, seed: 3}}
    embeddings: {{provider: local, model: static}}
  - id: beta
    name: Beta
    timezone: Asia/Kolkata
    calls: {{provider: synthetic, calls_per_day: 24, seed: 3}}
    embeddings: {{provider: local, model: static}}
    llm: {{provider: openai_compatible, base_url: "{base_url}", model: llama3.1:8b,
          requests_per_minute: 100000, max_backoff_s: 0.5}}
  - id: globex
    name: Globex
    timezone: America/Los_Angeles
    embeddings: {{provider: local, model: static}}
"""


@pytest.fixture(scope="module")
def emulator():
    with LlmEmulator(latency_s=0.0) as emu:
        yield emu


@pytest.fixture(scope="module")
def home(tmp_path_factory, emulator):
    """acme (offline) and beta (LLM) synced, transcribed and indexed; globex has nothing."""
    root = tmp_path_factory.mktemp("cli")
    (root / "t.yaml").write_text(REGISTRY.format(base_url=emulator.base_url))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CALLINTEL_TENANTS", str(root / "t.yaml"))
        mp.setenv("CALLINTEL_HOME", str(root / "home"))
        mp.delenv("CALLINTEL_WAREHOUSE_URL", raising=False)
        env = current_env()
        warehouse = Warehouse(url=f"duckdb:///{env.duckdb_path}")
        index = ChunkIndex(str(env.lancedb_path))
        for t in load_registry(env.tenants_path).tenants[:2]:
            sync_tenant(warehouse, t, [DAY], SyntheticSource(t), CALLS, NOW)
            warehouse.write(transcribe_tenant(warehouse, t, [DAY], None).writes())
            embed_tenant(warehouse, t, [DAY], embedder_named("static"), index)
        yield root, warehouse


@pytest.fixture
def cli(home, monkeypatch, capsys):
    root, _ = home
    monkeypatch.setenv("CALLINTEL_TENANTS", str(root / "t.yaml"))
    monkeypatch.setenv("CALLINTEL_HOME", str(root / "home"))
    monkeypatch.delenv("CALLINTEL_WAREHOUSE_URL", raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_ask_json_offline_is_extractive_with_checked_citations(cli, home):
    code, out, err = cli(
        "ask", "--tenant", "acme", "Who said the price is too expensive?", "--json"
    )
    assert code == 0, err
    doc = json.loads(out)
    assert {"answer", "citations", "dropped_citations", "not_found", "mode"} <= set(doc)
    assert doc["mode"] == "extractive" and doc["dropped_citations"] == 0 and doc["citations"]
    assert all(set(c) == {"call_id", "start_s", "quote"} for c in doc["citations"])
    turns = load_turns(home[1], "acme", [c["call_id"] for c in doc["citations"]])
    assert all(verify(Citation(**c), turns) for c in doc["citations"])


def test_ask_json_with_the_llm_and_lines(cli, home, emulator):
    before = sum(emulator.requests.values())
    code, out, err = cli("ask", "--tenant", "beta", "What did customers say about price?", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["mode"] == "llm" and doc["requests"] == 1 and doc["dropped_citations"] == 0
    assert sum(emulator.requests.values()) == before + 1
    turns = load_turns(home[1], "beta", [c["call_id"] for c in doc["citations"]])
    assert doc["citations"] and all(verify(Citation(**c), turns) for c in doc["citations"])

    code, out, err = cli("ask", "--tenant", "acme", "price too expensive", "--from", "2026-11-18")
    assert code == 0 and err == ""
    assert "[acme-C-20261118-" in out and '] "' in out and "calls considered" in out


def test_evaluate_json_counts_and_a_free_rerun(cli, emulator):
    argv = ("evaluate", "--tenant", "beta", "--from", "2026-11-18", "--to", "2026-11-18")
    before = sum(emulator.requests.values())
    code, out, err = cli(*argv, "Did the agent offer a demo?", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc["counts"]) == {"yes", "no", "unknown"}
    assert sum(doc["counts"].values()) == len(doc["calls"]) > 10
    assert all({"call_id", "answer", "quote"} <= set(c) for c in doc["calls"])
    assert "evaluated " in err and f"/{len(doc['calls'])} calls" in err  # progress on stderr
    asked = sum(emulator.requests.values()) - before
    assert asked == len(doc["calls"]) and doc["reused"] == 0

    code, out, _ = cli(*argv, "Did the agent offer a demo?", "--json")
    again = json.loads(out)
    assert sum(emulator.requests.values()) - before == asked  # zero requests the second time
    assert again["reused"] == len(doc["calls"]) and again["counts"] == doc["counts"]
    assert again["cost_usd"] == 0


def test_evaluate_lines_offline(cli):
    code, out, err = cli(
        "evaluate", "--tenant", "acme", "--from", "2026-11-18", "--to", "2026-11-18",
        "Did the agent offer a demo?",
    )  # fmt: skip
    assert code == 0, err
    assert out.splitlines()[1].strip().startswith("yes ") and "mode rules" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (("ask", "--tenant", "nobody", "price?"), "unknown tenant 'nobody'"),
        (("ask", "--tenant", "globex", "price?"), "no search index"),
        (("ask", "--tenant", "acme", "price?", "--from", "18-11-2026"), "--from: '18-11-2026'"),
        (("ask", "--tenant", "acme", "  "), "the question is empty"),
        (
            ("ask", "--tenant", "acme", "price?", "--from", "2026-11-19", "--to", "2026-11-18"),
            "is after --to",
        ),
        (
            ("evaluate", "--tenant", "acme", "--from", "2026-13-01", "--to", "2026-11-18", "q?"),
            "--from: '2026-13-01' is not a date",
        ),
        (
            ("evaluate", "--tenant", "acme", "--from", "2026-11-19", "--to", "2026-11-18", "q?"),
            "is after --to",
        ),
        (
            ("evaluate", "--tenant", "globex", "--from", "2026-11-18", "--to", "2026-11-18", "q?"),
            "no call transcripts",
        ),
        (
            ("evaluate", "--tenant", "nobody", "--from", "2026-11-18", "--to", "2026-11-18", "q?"),
            "unknown tenant",
        ),
    ],
)
def test_user_errors_are_one_line_and_exit_code_2(cli, argv, message):
    code, out, err = cli(*argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err, err
