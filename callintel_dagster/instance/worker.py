"""Which process runs a run, and whether it is still alive.

Every callintel step that works tenant by tenant tags its run with the worker's host, pid and
process start time (`callintel/worker`) when it starts. A killed worker (`kill -9`, OOM) cannot
report its own death, so without this a run stays STARTED for ever and keeps its provider pool
slots. (Dagster's "Started process for run (pid: N)" event is not used: it does not say on which
host, and a pid checked on the wrong host would fail a healthy run.)
"""

import os
import socket
from dataclasses import dataclass

import dagster as dg

WORKER_TAG = "callintel/worker"


@dataclass(frozen=True)
class Worker:
    host: str
    pid: int
    started: float | None  # the process's start (epoch seconds), to tell a reused pid apart

    def tag(self) -> str:
        return f"{self.host}:{self.pid}:{self.started or ''}"

    @classmethod
    def parse(cls, value: str) -> "Worker | None":
        parts = value.rsplit(":", 2)
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        host, pid, started = parts
        return cls(host, int(pid), float(started) if started else None)


def this_worker() -> Worker:
    return Worker(socket.gethostname(), os.getpid(), process_start(os.getpid()))


def record_worker(context: dg.AssetExecutionContext) -> None:
    """Tag the run with this process (once per process and run)."""
    tag = this_worker().tag()
    if context.run.tags.get(WORKER_TAG) != tag:
        context.instance.add_run_tags(context.run.run_id, {WORKER_TAG: tag})


def process_start(pid: int) -> float | None:
    """When the process started (epoch seconds), from /proc; None where there is no /proc."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        with open("/proc/stat") as fh:
            boot = next(float(line.split()[1]) for line in fh if line.startswith("btime"))
    except (OSError, StopIteration, IndexError, ValueError):
        return None
    return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22 of stat: starttime


def is_alive(worker: Worker) -> bool:
    """Whether that process still runs (not gone, not a zombie, not a reused pid)."""
    try:
        os.kill(worker.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    try:
        with open(f"/proc/{worker.pid}/stat") as fh:
            if fh.read().rsplit(")", 1)[1].split()[0] in {"Z", "X"}:
                return False
    except OSError:
        return True  # no /proc: existence is all we can know
    started = process_start(worker.pid)
    # /proc's start time is in clock ticks since a boot time rounded to the second
    return worker.started is None or started is None or abs(started - worker.started) < 2.0


def worker_of(run: dg.DagsterRun) -> Worker | None:
    tag = run.tags.get(WORKER_TAG)
    return Worker.parse(tag) if tag else None
