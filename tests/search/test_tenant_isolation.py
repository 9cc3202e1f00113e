"""Two tenants with identical phone numbers, call ids and transcripts: search, ask and evaluate for
one never return the other's calls. The twin's rows are a copy of acme's with only the tenant id
changed, indexed on a different day, so where a result came from shows in its day."""

from datetime import date, datetime

import pytest
from test_ask import tenant

from callintel_dagster.lib.tables import CALL_RECORDS, CALL_TRANSCRIPTS, TRANSCRIPT_TURNS
from callintel_dagster.providers.embeddings import embedder_named
from callintel_dagster.providers.synthetic import SyntheticSource
from callintel_dagster.resources.warehouse import SliceWrite, Warehouse
from callintel_dagster.search import ChunkIndex, search
from callintel_dagster.search.ask import ask
from callintel_dagster.search.citations import load_turns, verify
from callintel_dagster.search.evaluate import NoTranscripts, evaluate
from callintel_dagster.stages.embeddings import embed_tenant
from callintel_dagster.stages.sync import sync_tenant
from callintel_dagster.stages.sync_specs import CALLS
from callintel_dagster.stages.transcription import transcribe_tenant

ACME_DAY, TWIN_DAY = date(2026, 11, 18), date(2026, 11, 19)
NOW = datetime(2026, 11, 21, 12, 0)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("isolation")
    warehouse = Warehouse(url=f"duckdb:///{root}/w.duckdb")
    index = ChunkIndex(str(root / "lancedb"))
    acme, twin = tenant("acme"), tenant("twin")
    sync_tenant(warehouse, acme, [ACME_DAY], SyntheticSource(acme), CALLS, NOW)
    warehouse.write(transcribe_tenant(warehouse, acme, [ACME_DAY], None).writes())
    for table in (CALL_RECORDS, CALL_TRANSCRIPTS, TRANSCRIPT_TURNS):  # the same rows for twin
        rows = warehouse.read_slices(table.qualified, [("acme", ACME_DAY)])
        rows["tenant_id"], rows["partition_date"] = "twin", TWIN_DAY
        warehouse.write([SliceWrite(table, [("twin", TWIN_DAY)], rows)])
    static = embedder_named("static")
    embed_tenant(warehouse, acme, [ACME_DAY], static, index)
    embed_tenant(warehouse, twin, [TWIN_DAY], static, index)
    return warehouse, index, static, acme, twin


def test_identical_calls_really_are_identical(data):
    warehouse = data[0]
    a = warehouse.read_slices(TRANSCRIPT_TURNS.qualified, [("acme", ACME_DAY)])
    t = warehouse.read_slices(TRANSCRIPT_TURNS.qualified, [("twin", TWIN_DAY)])
    assert len(a) > 50 and a["text"].tolist() == t["text"].tolist()
    assert a["call_id"].tolist() == t["call_id"].tolist()


@pytest.mark.parametrize("mode", ["bm25", "vector", "hybrid"])
def test_search_returns_only_the_tenants_own_calls(data, mode):
    _, index, static, acme, twin = data
    for t, day in ((acme, ACME_DAY), (twin, TWIN_DAY)):
        hits = search(index, static, t.id, "price too expensive", limit=50, mode=mode)
        assert hits and {h.day for h in hits} == {day.isoformat()}


def test_ask_and_evaluate_stay_inside_the_tenant(data):
    warehouse, index, static, acme, twin = data
    answer = ask(warehouse, index, static, twin, "Who said the price was too expensive?", now=NOW)
    assert answer.citations
    twin_turns = load_turns(warehouse, "twin", [c.call_id for c in answer.citations])
    assert twin_turns and all(verify(c, twin_turns) for c in answer.citations)
    out = evaluate(warehouse, twin, "Did the agent offer a demo?", TWIN_DAY, TWIN_DAY)
    assert len(out.calls) > 0
    with pytest.raises(NoTranscripts):  # acme's day holds nothing of twin's
        evaluate(warehouse, twin, "Did the agent offer a demo?", ACME_DAY, ACME_DAY)
