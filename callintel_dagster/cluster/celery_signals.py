"""Loaded by every Celery worker (`-I callintel_dagster.cluster.celery_signals`): tags each run
the worker takes with the worker's node name and pid (`callintel/celery_worker`), so the UI, the
cluster demo and the tests can tell which worker ran which run. dagster-celery records only the
task id; the node is known only inside the worker."""

import os

from celery.signals import task_prerun
from dagster import DagsterInstance
from dagster._grpc.types import ExecuteRunArgs, ResumeRunArgs
from dagster._serdes import unpack_value

CELERY_WORKER_TAG = "callintel/celery_worker"


@task_prerun.connect
def tag_run_with_worker(task_id=None, task=None, args=None, kwargs=None, **_):
    packed = (kwargs or {}).get("execute_job_args_packed")
    if packed is None:  # not a run task (dagster-celery's step task carries no run args)
        return
    run_args = unpack_value(packed, as_type=(ExecuteRunArgs, ResumeRunArgs))
    with DagsterInstance.get() as instance:
        run = instance.get_run_by_id(run_args.run_id)
        # a task redelivered after its worker died keeps naming the dead worker: this worker
        # will not run it again (Dagster ignores a duplicate start), and run monitoring must see
        # that the worker which took it is gone (cluster/launcher.py)
        if run is None or CELERY_WORKER_TAG in run.tags:
            return
        instance.add_run_tags(
            run_args.run_id, {CELERY_WORKER_TAG: f"{task.request.hostname} pid {os.getpid()}"}
        )
