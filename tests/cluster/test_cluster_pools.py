"""Cluster mode for real: a dagster-daemon and two Celery workers (dagster-celery's run launcher)
on a fresh PostgreSQL instance storage and a queue of their own on the machine's RabbitMQ. Two
runs whose steps claim the same pool of 1 (PoolSlots) are launched with `dagster job launch`,
queued by the daemon, each taken by a different worker process, and never hold the pool at
the same time."""

import time
import uuid

import cluster_harness
import dagster as dg
import pytest
from cluster_harness import launch

from callintel_dagster.cluster.celery_signals import CELERY_WORKER_TAG
from conftest import postgres_available

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not postgres_available(), reason="needs PostgreSQL on 127.0.0.1:5432"),
]
cluster, monkeypatch_module = cluster_harness.cluster, cluster_harness.monkeypatch_module


def wait_for_batch(instance: dg.DagsterInstance, batch: str, timeout: float = 150.0) -> list:
    runs_filter = dg.RunsFilter(tags={"cluster_test/batch": batch})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = instance.get_runs(runs_filter)
        if len(runs) == 2 and all(r.is_finished for r in runs):
            break
        time.sleep(1.0)
    return instance.get_runs(runs_filter)


def test_two_runs_on_two_workers_never_share_a_pool_of_one(cluster, monkeypatch_module):
    for key, value in cluster.process_env().items():
        monkeypatch_module.setenv(key, value)
    batch = uuid.uuid4().hex
    with dg.DagsterInstance.get() as instance:
        instance.event_log_storage.set_concurrency_slots("llm_cluster_test", 1)
        launch(cluster, batch)
        launch(cluster, batch)
        runs = wait_for_batch(instance, batch)
    assert [r.status for r in runs] == [dg.DagsterRunStatus.SUCCESS] * 2, [
        (r.run_id, r.status) for r in runs
    ]
    # each run was a Celery task, taken by a different worker process
    workers = {r.tags[CELERY_WORKER_TAG].split(".")[0] for r in runs}
    assert workers == {"worker1", "worker2"}
    assert len({r.tags["callintel/worker"] for r in runs}) == 2
    held = sorted(
        (float(r.tags["cluster_test/got"]), float(r.tags["cluster_test/gave_back"]), r)
        for r in runs
    )
    (got_a, gave_a, _), (got_b, gave_b, second) = held
    assert gave_a <= got_b, f"pool of 1 held by both runs: {got_a}-{gave_a} and {got_b}-{gave_b}"
    # and the second run really asked while the first held the slot: it had to wait
    assert float(second.tags["cluster_test/asked"]) < gave_a
