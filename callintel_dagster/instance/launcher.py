"""`LocalRunLauncher`: Dagster's default launcher (runs in a subprocess of the code server) that
can also tell whether a run's worker is alive, which is what run monitoring asks.

With it, the daemon's run monitoring (dagster.yaml `run_monitoring`) fails a run whose worker
died - `kill -9`, the OOM killer, a reboot - instead of leaving it STARTED, and
`free_slots_after_run_end_seconds` then frees the pool slots it held (`llm_<provider>`,
`stt_<provider>`), so later runs stop waiting. It checks processes on the daemon's own host; a
worker on another host is reported as running (a multi-host deployment uses a launcher that
knows its workers: dagster-celery's or the Kubernetes one, see docs/operations.md).
"""

import socket

from dagster import DagsterRun, DefaultRunLauncher
from dagster._core.launcher import CheckRunHealthResult, WorkerStatus

from callintel_dagster.instance.worker import is_alive, worker_of


class LocalRunLauncher(DefaultRunLauncher):
    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        worker = worker_of(run)
        if worker is None:  # no callintel step has started yet: nothing to check
            return CheckRunHealthResult(WorkerStatus.RUNNING, "no worker recorded yet")
        if worker.host != socket.gethostname():
            return CheckRunHealthResult(
                WorkerStatus.RUNNING, f"worker on {worker.host}: not checkable from here"
            )
        if is_alive(worker):
            return CheckRunHealthResult(WorkerStatus.RUNNING, f"worker pid {worker.pid} alive")
        return CheckRunHealthResult(
            WorkerStatus.FAILED,
            f"the run's worker process (pid {worker.pid} on {worker.host}) is gone: killed or "
            "crashed without ending the run",
        )
