"""The worker check run monitoring relies on: alive, killed, zombie, reused pid, other host."""

import subprocess
import sys
import time

import dagster as dg
from dagster._core.launcher import WorkerStatus

from callintel_dagster.instance.launcher import LocalRunLauncher
from callintel_dagster.instance.worker import (
    WORKER_TAG,
    Worker,
    is_alive,
    process_start,
    this_worker,
)


def sleeper() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


def worker_for(proc: subprocess.Popen, host: str | None = None) -> Worker:
    return Worker(host or this_worker().host, proc.pid, process_start(proc.pid))


def run_with(worker: Worker | None) -> dg.DagsterRun:
    tags = {WORKER_TAG: worker.tag()} if worker else {}
    return dg.DagsterRun(job_name="processing_job", run_id="r1", tags=tags)


def test_the_tag_round_trips():
    me = this_worker()
    assert Worker.parse(me.tag()) == me and Worker.parse("garbage") is None


def test_alive_then_killed_then_reaped():
    proc = sleeper()
    worker = worker_for(proc)
    assert is_alive(worker)
    proc.kill()
    # killed but not yet reaped by its parent: a zombie is not a live worker
    deadline = time.monotonic() + 5
    while is_alive(worker) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not is_alive(worker) and proc.returncode is None  # not reaped yet
    proc.wait()
    assert not is_alive(worker)


def test_a_reused_pid_is_not_the_worker():
    proc = sleeper()
    try:
        impostor = Worker(this_worker().host, proc.pid, process_start(proc.pid) - 3600)
        assert not is_alive(impostor)
    finally:
        proc.kill()
        proc.wait()


def test_the_launcher_fails_only_runs_whose_worker_it_can_see_dead():
    launcher = LocalRunLauncher()
    proc = sleeper()
    worker = worker_for(proc)
    try:
        assert launcher.check_run_worker_health(run_with(worker)).status == WorkerStatus.RUNNING
        assert launcher.check_run_worker_health(run_with(None)).status == WorkerStatus.RUNNING
    finally:
        proc.kill()
        proc.wait()
    dead = launcher.check_run_worker_health(run_with(worker))
    assert dead.status == WorkerStatus.FAILED and f"pid {proc.pid}" in dead.msg
    elsewhere = worker_for(proc, host="other-host")
    assert launcher.check_run_worker_health(run_with(elsewhere)).status == WorkerStatus.RUNNING
