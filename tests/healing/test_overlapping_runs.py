"""Two runs on the same tenant-day at once: the second leaves the calls the first has claimed to
it, so no call is analysed - and paid for - twice. Real processes against a slow LLM emulator."""

import re
import subprocess

import dagster as dg
import duckdb
import pytest
from test_killed_run import BIN, POOL, TENANTS, deployment, wait_for  # noqa: F401 - the fixture

from callintel_dagster.env import REPO_ROOT

pytestmark = pytest.mark.integration
UPSTREAM = "call_records,call_recordings,call_transcripts,call_signals,call_analyses"


def materialize(env, select: str) -> subprocess.Popen:
    return subprocess.Popen(
        [BIN / "dagster", "asset", "materialize", "-m", "callintel_dagster.definitions",
         "--select", select, "--partition", "2026-11-18|acme"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


def test_a_second_run_leaves_a_day_being_analysed_to_the_first(deployment):  # noqa: F811
    env, llm, tmp_path = deployment
    llm.latency_s = 0.01
    llm.gate.clear()  # the first run's requests wait until the second run is done
    first = materialize(env, UPSTREAM)
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        wait_for(
            "the first run to be analysing",
            lambda: instance.event_log_storage.get_concurrency_info(POOL).active_slot_count,
            240,
        )
    second = materialize(env, "call_analyses")
    second_out, _ = second.communicate(timeout=300)
    llm.gate.set()
    first_out, _ = first.communicate(timeout=300)
    assert first.returncode == 0, first_out.decode()[-3000:]
    assert second.returncode == 0, second_out.decode()[-3000:]
    # the first run claimed every call of the day before the second one started
    assert re.search(r"is working on 12 call\(s\); left to that run", second_out.decode())

    con = duckdb.connect(str(tmp_path / "home" / "warehouse.duckdb"), read_only=True)
    rows, distinct, ok = con.execute(
        "SELECT count(*), count(DISTINCT call_id), count(*) FILTER (analysis_status = 'ok') "
        "FROM core.call_analyses WHERE tenant_id = 'acme'"
    ).fetchone()
    asked = sum(n for route, n in llm.requests.items() if "chat" in route)
    assert rows == distinct == 12 and ok > 0
    assert asked == ok  # one request per analysed call: nothing paid for twice
