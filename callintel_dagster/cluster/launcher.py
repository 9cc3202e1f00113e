"""`CeleryRunLauncher`: dagster-celery's run launcher that also notices a worker killed outright.

dagster-celery asks only the task's state. A worker killed with `kill -9` (or its host lost)
never reports one, and with late acknowledgement the broker hands the task to another worker,
which sees the run already started, ignores it and reports SUCCESS: the run would stay STARTED
for ever, holding its pool slots (measured: docs/cluster.md). So the worker that took the run
(`callintel/celery_worker`, see celery_signals.py) must still answer a ping; when it does not,
run monitoring fails the run and frees its slots.
"""

from dagster import DagsterRun
from dagster._core.launcher import CheckRunHealthResult, WorkerStatus
from dagster_celery.launcher import CeleryRunLauncher as DagsterCeleryRunLauncher

from callintel_dagster.cluster.celery_signals import CELERY_WORKER_TAG

PING_TIMEOUT_S = 3.0


class CeleryRunLauncher(DagsterCeleryRunLauncher):
    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        node = run.tags.get(CELERY_WORKER_TAG, "").split(" pid ")[0]
        if node and not self.celery.control.ping(destination=[node], timeout=PING_TIMEOUT_S):
            return CheckRunHealthResult(
                WorkerStatus.FAILED,
                f"Celery worker {node} took the run and no longer answers: killed or lost",
            )
        return super().check_run_worker_health(run)
