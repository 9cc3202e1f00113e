"""A Celery worker killed outright (`kill -9` of its process group) mid-run: the broker hands the
task to the other worker, which ignores the run as already started, so only the launcher's ping
of the worker that took the run (cluster/launcher.py) can tell. Run monitoring must fail the run
with that reason, and the run's pool slot must be freed for later runs."""

import os
import signal
import time
import uuid

import cluster_harness
import dagster as dg
import pytest
from cluster_harness import launch
from pool_job_defs import GOT, POOL

from callintel_dagster.cluster.celery_signals import CELERY_WORKER_TAG
from conftest import postgres_available

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not postgres_available(), reason="needs PostgreSQL on 127.0.0.1:5432"),
]
cluster, monkeypatch_module = cluster_harness.cluster, cluster_harness.monkeypatch_module


def poll(what, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(1.0)
    return what()


def test_a_killed_worker_fails_its_run_and_frees_its_slot(cluster, monkeypatch_module):
    for key, value in cluster.process_env().items():
        monkeypatch_module.setenv(key, value)
    batch = uuid.uuid4().hex
    with dg.DagsterInstance.get() as instance:
        instance.event_log_storage.set_concurrency_slots(POOL, 1)
        # alone in its batch, the step holds the slot ~90 s; no run retry, so no new claim
        launch(cluster, batch, tags={"dagster/max_retries": "0"})
        runs_filter = dg.RunsFilter(tags={"cluster_test/batch": batch})

        def holding():
            runs = instance.get_runs(runs_filter)
            return runs[0] if runs and GOT in runs[0].tags else None

        run = poll(holding, 90.0)
        assert run is not None, "the run never got its slot"
        node = run.tags[CELERY_WORKER_TAG].split(" pid ")[0]
        leader = int((cluster.home / f"{node.split('.')[0]}.pid").read_text())
        os.killpg(leader, signal.SIGKILL)

        ended = poll(lambda: instance.get_run_by_id(run.run_id).is_finished or None, 90.0)
        run = instance.get_run_by_id(run.run_id)
        assert ended and run.status == dg.DagsterRunStatus.FAILURE, run.status
        reasons = [
            e.message
            for e in instance.all_logs(run.run_id)
            if e.dagster_event and e.dagster_event.is_run_failure
        ]
        assert any(f"Celery worker {node}" in m and "no longer answers" in m for m in reasons)
        # freed by run monitoring `free_slots_after_run_end_seconds` (5 s here) after the failure
        freed = poll(
            lambda: instance.event_log_storage.get_concurrency_info(POOL).active_slot_count == 0,
            75.0,
        )
        assert freed, instance.event_log_storage.get_concurrency_info(POOL)
