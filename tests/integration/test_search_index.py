"""The whole graph for one tenant-day, then `callintel search` over what it indexed: hits come from
that tenant's calls, carry the facets fct_calls holds, and the filters hold inside the query."""

import json

from callintel_dagster.cli.main import main
from callintel_dagster.definitions import resolved_resource
from conftest import DAY, run_job


def search_json(capsys, *argv) -> list[dict]:
    capsys.readouterr()  # what the run printed before
    assert main(["search", "--tenant", "acme", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)["hits"]


def test_search_the_calls_a_run_indexed(defs, instance, callintel_env, capsys):
    result = run_job(defs, instance)
    warehouse = resolved_resource(defs, "warehouse")
    fct = warehouse.query("SELECT * FROM marts.fct_calls WHERE tenant_id = 'acme'")
    facets = fct.set_index("call_id")
    objections = warehouse.query(
        "SELECT call_id, objection FROM core.call_objections WHERE tenant_id = 'acme'"
    )
    materialization = result.asset_materializations_for_node("transcript_embeddings")[0]
    assert materialization.metadata["index"].data["acme"]["fts"] is True

    hits = search_json(capsys, "too expensive for us", "--limit", "20")
    assert hits and all(h["day"] == DAY.isoformat() for h in hits)
    assert {h["call_id"] for h in hits} <= set(fct["call_id"])
    for hit in hits:  # each chunk carries its call's facets from the marts
        row = facets.loc[hit["call_id"]]
        assert hit["sentiment"] == row["sentiment_label"] and hit["agent"] == row["agent_name"]
        assert hit["language"] == row["language"]
    assert any("«expensive»" in h["snippet"] for h in hits)

    priced = set(objections.loc[objections["objection"] == "price", "call_id"])
    assert priced, "the synthetic day has price objections"
    found = search_json(capsys, "too expensive for us", "--objection", "price", "--limit", "50")
    assert found and {h["call_id"] for h in found} <= priced
    negative = search_json(capsys, "price", "--sentiment", "negative", "--limit", "50")
    assert all(facets.loc[h["call_id"], "sentiment_label"] == "negative" for h in negative)
    assert search_json(capsys, "price", "--from", "2026-11-19") == []

    # globex was not run: its index is empty, one line and exit code 2
    capsys.readouterr()
    assert main(["search", "--tenant", "globex", "price"]) == 2
    assert "tenant globex has no search index yet" in capsys.readouterr().err

    # a re-analysis changes a call's sentiment: the re-drive job rebuilds fct_calls and the index
    moved = negative[0]["call_id"] if negative else hits[0]["call_id"]
    with warehouse.connect() as con:
        con.execute(
            "UPDATE core.call_analyses SET sentiment_label = 'positive' "
            "WHERE tenant_id = 'acme' AND call_id = ?",
            [moved],
        )
    run_job(defs, instance, job="redrive_analyses_job")
    positive = search_json(capsys, "price", "--sentiment", "positive", "--limit", "500")
    assert moved in {h["call_id"] for h in positive}
    still_negative = search_json(capsys, "price", "--sentiment", "negative", "--limit", "500")
    assert moved not in {h["call_id"] for h in still_negative}
