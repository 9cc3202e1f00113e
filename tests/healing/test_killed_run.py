"""A backfill run (three days, one run) killed with `kill -9` while it holds every slot of its LLM
provider's pool: the daemon's run monitoring (LocalRunLauncher's worker check) fails it and frees
the slots, the warehouse lock died with it, and the next run completes every day with nothing lost
or duplicated. Real processes, a real kill."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from callintel_dagster.env import REPO_ROOT
from callintel_dagster.resources.warehouse import file_lock
from emulators.llm import LlmEmulator

pytestmark = pytest.mark.integration

POOL = "llm_openai_compatible"
TENANTS = """
tenants:
  - id: acme
    name: Acme
    timezone: Asia/Kolkata
    calls: {{provider: synthetic, calls_per_day: 12, seed: 3}}
    llm: {{provider: openai_compatible, base_url: "{url}", model: "llama3.1:8b",
           max_concurrency: 4, timeout_s: 600}}
"""
ASSETS = "call_records,call_recordings,call_transcripts,call_signals,call_analyses"
BIN = Path(sys.executable).parent


def wait_for(what: str, check, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if got := check():
            return got
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture
def deployment(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shipped = (REPO_ROOT / "deploy" / "dagster.yaml").read_text()
    # the shipped policy, polled faster so the test takes seconds, not minutes
    (home / "dagster.yaml").write_text(
        shipped.replace("poll_interval_seconds: 30", "poll_interval_seconds: 1").replace(
            "free_slots_after_run_end_seconds: 30", "free_slots_after_run_end_seconds: 1"
        )
    )
    with LlmEmulator(latency_s=600) as llm:  # every answer hangs: the run sits in its slots
        (tmp_path / "tenants.yaml").write_text(TENANTS.format(url=llm.base_url))
        env = {
            **os.environ,
            "DAGSTER_HOME": str(home),
            "CALLINTEL_HOME": str(tmp_path / "home"),
            "CALLINTEL_TENANTS": str(tmp_path / "tenants.yaml"),
        }
        env.pop("CALLINTEL_WAREHOUSE_URL", None)
        yield env, llm, tmp_path


def backfill(env) -> subprocess.Popen:
    return subprocess.Popen(
        [BIN / "dagster", "asset", "materialize", "-m", "callintel_dagster.definitions",
         "--select", ASSETS, "--partition-range", "2026-11-16|acme...2026-11-18|acme"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def test_a_killed_backfill_is_failed_its_slots_freed_and_the_next_run_completes_it(
    deployment, monkeypatch
):
    env, llm, tmp_path = deployment
    monkeypatch.setenv("DAGSTER_HOME", env["DAGSTER_HOME"])
    with dg.DagsterInstance.get() as instance:
        storage = instance.event_log_storage
        first = backfill(env)
        info = wait_for(
            "the run to hold all 4 slots",
            lambda: (i := storage.get_concurrency_info(POOL)).active_slot_count == 4 and i,
            180,
        )
        (run_id,) = info.active_run_ids
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(30)
        time.sleep(2)
        assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED

        daemon = subprocess.Popen(
            [BIN / "dagster-daemon", "run", "-m", "callintel_dagster.definitions"],
            cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            wait_for(
                "run monitoring to fail the dead run",
                lambda: instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE,
                120,
            )
            wait_for(
                "its slots to be freed",
                lambda: storage.get_concurrency_info(POOL).active_slot_count == 0,
                60,
            )
        finally:
            os.killpg(daemon.pid, signal.SIGTERM)
            daemon.wait(60)
        failure = [
            r.message for r in instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
        ]
        assert any("worker process" in m and "is gone" in m for m in failure), failure

    # the warehouse lock died with the process; the next run does the day, once
    with file_lock(str(tmp_path / "home" / "warehouse.duckdb.lock"), timeout_s=1):
        pass
    llm.latency_s = 0.01
    second = backfill(env)
    out, _ = second.communicate(timeout=300)
    assert second.returncode == 0, out.decode()[-3000:]
    con = duckdb.connect(str(tmp_path / "home" / "warehouse.duckdb"), read_only=True)
    per_table = {
        table: con.execute(
            f"SELECT partition_date, count(*), count(DISTINCT call_id) FROM {table} "
            "WHERE tenant_id = 'acme' GROUP BY 1 ORDER BY 1"
        ).fetchall()
        for table in ("raw.call_records", "core.call_transcripts", "core.call_analyses")
    }
    records = per_table["raw.call_records"]
    assert len(records) == 3 and all(n == distinct == 12 for _, n, distinct in records)
    assert per_table["core.call_transcripts"] == records  # every day, each call once
    assert per_table["core.call_analyses"] == records
    statuses = con.execute(
        "SELECT DISTINCT analysis_status FROM core.call_analyses WHERE tenant_id = 'acme'"
    ).fetchall()
    assert {s for (s,) in statuses} <= {"ok", "skipped"}  # none left pending or failed
