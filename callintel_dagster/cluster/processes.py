"""Start and stop the cluster's processes on this machine: one dagster-daemon, one webserver and
N Celery workers, each in its own process group with a pid file under $CALLINTEL_HOME/cluster/.

Started with subprocess.Popen and default signal handlers (a shell's `cmd &` would have SIGINT,
and so Dagster's SIGTERM, ignored). dagster-celery's `worker start` runs `celery` as a child, so
a stop signals the whole group, then kills what is left after a grace period."""

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

from callintel_dagster.assets.common import DBT_POOL
from callintel_dagster.cluster.services import (
    ClusterError,
    check_broker_and_backend,
    ensure_database,
)
from callintel_dagster.cluster.settings import CELERY_YAML, ClusterSettings

GRACE_S = 30.0


def commands(settings: ClusterSettings, webserver: bool = True) -> dict[str, list[str]]:
    ws = str(settings.workspace)
    procs = {"daemon": ["dagster-daemon", "run", "-w", ws]}
    if webserver:  # the UI and the GraphQL API; runs can also be launched without it
        procs["webserver"] = [
            "dagster-webserver",
            "-w",
            ws,
            "-h",
            "127.0.0.1",
            "-p",
            str(settings.port),
        ]
    for n in range(1, settings.workers + 1):
        procs[f"worker{n}"] = [
            "dagster-celery", "worker", "start", "-A", "dagster_celery.app",
            "-y", str(CELERY_YAML), "-n", worker_name(settings, n), "-q", settings.queue,
            "-i", "callintel_dagster.cluster.celery_signals",
            "--", "--concurrency", "1", "--without-gossip", "--without-mingle",
        ]  # fmt: skip
    return procs


def worker_name(settings: ClusterSettings, n: int) -> str:
    """Celery node names are unique per broker: two clusters' `worker1` would clash."""
    return f"worker{n}.{settings.queue}"


def pid_file(settings: ClusterSettings, name: str) -> Path:
    return settings.home / f"{name}.pid"


def running(settings: ClusterSettings) -> dict[str, int]:
    """The processes whose pid file names a live process group we started (a stale pid file
    whose pid was reused by another program is dropped, never signalled)."""
    alive = {}
    for path in sorted(settings.home.glob("*.pid")):
        pid = path.read_text().strip()
        if pid.isdigit() and _is_ours(int(pid)):
            alive[path.stem] = int(pid)
        else:
            path.unlink(missing_ok=True)
    return alive


def _is_ours(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            cmdline = fh.read()
        return not cmdline or b"dagster" in cmdline  # empty: a zombie leader, its group lives
    except OSError:  # no /proc, or the leader exited while its group lives on
        return True


def up(
    settings: ClusterSettings, webserver: bool = True, only: set[str] | None = None, log=print
) -> dict[str, int]:
    """Start every process not yet running (or only those named) and wait until all are ready."""
    ensure_database(f"{settings.pg_server}/{settings.dagster_db}")
    ensure_database(settings.warehouse_url)
    check_broker_and_backend(settings)
    settings.run_home.mkdir(parents=True, exist_ok=True)
    settings.write_instance_yaml()
    _migrate_instance(settings)  # once, before several processes would race to create tables
    already = running(settings)
    env = settings.process_env()
    started: dict[str, subprocess.Popen] = {}
    for name, cmd in commands(settings, webserver).items():
        if name in already or (only is not None and name not in only):
            continue
        with open(settings.home / f"{name}.log", "ab") as out:
            proc = subprocess.Popen(
                cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        started[name] = proc
        pid_file(settings, name).write_text(str(proc.pid))
        log(f"cluster: started {name} (pid {proc.pid}, log {settings.home / (name + '.log')})")
    if only is None:
        wait_ready(settings, started, webserver=webserver, log=log)
    elif "webserver" in only:
        _wait_for(lambda: _webserver_ready(settings), "webserver", started, settings)
    return running(settings)


def _wait_for(ready, name: str, started: dict, settings: ClusterSettings, timeout=240.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if started[name].poll() is not None or time.monotonic() > deadline:
            down(settings, log=lambda _: None)
            raise ClusterError(f"{name} did not start; see {settings.home}/{name}.log")
        time.sleep(1.0)


def down(settings: ClusterSettings, log=print) -> None:
    """SIGTERM every process group, SIGKILL what is still there after GRACE_S."""
    procs = running(settings)
    for pid in procs.values():
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_S
    for name, pid in procs.items():
        while time.monotonic() < deadline and _group_alive(pid):
            time.sleep(0.2)
        if _group_alive(pid):
            os.killpg(pid, signal.SIGKILL)
            log(f"cluster: {name} (pid {pid}) killed after {GRACE_S:.0f} s")
        else:
            log(f"cluster: stopped {name} (pid {pid})")
        pid_file(settings, name).unlink(missing_ok=True)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    try:  # the leader may be a zombie of ours: reap it
        os.waitpid(pgid, os.WNOHANG)
    except ChildProcessError:
        pass
    return True


def _migrate_instance(settings: ClusterSettings) -> None:
    log_path = settings.home / "migrate.log"
    with open(log_path, "wb") as out:
        done = subprocess.run(
            ["dagster", "instance", "migrate"],
            env=settings.process_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    if done.returncode != 0:
        raise ClusterError(f"the instance storage could not be prepared; see {log_path}")
    # one dbt build at a time against the shared PostgreSQL warehouse: two first builds of a
    # mart would both CREATE TABLE it (`relation "fct_calls" already exists`)
    pool = subprocess.run(
        ["dagster", "instance", "concurrency", "set", DBT_POOL, "1"],
        env=settings.process_env(),
        capture_output=True,
    )
    if pool.returncode != 0:
        raise ClusterError(f"could not limit the {DBT_POOL} pool to 1")


def wait_ready(
    settings: ClusterSettings,
    started: dict[str, subprocess.Popen],
    webserver: bool = True,
    timeout: float = 240.0,
    log=print,
) -> None:
    """Until the webserver answers, the daemon heartbeats and every worker answers a ping."""
    from dagster_celery.make_app import make_app

    app = make_app({"broker": settings.broker, "backend": settings.backend})
    expected = {worker_name(settings, n) for n in range(1, settings.workers + 1)}
    deadline = time.monotonic() + timeout
    pending = {"daemon", *expected} | ({"webserver"} if webserver else set())
    while pending and time.monotonic() < deadline:
        dead = sorted(n for n, p in started.items() if p.poll() is not None)
        if dead:  # leave nothing half-started behind
            down(settings, log=log)
            raise ClusterError(f"{', '.join(dead)} exited at start; see {settings.home}/<name>.log")
        if "webserver" in pending and _webserver_ready(settings):
            pending.discard("webserver")
        if "daemon" in pending and _daemon_ready(settings):
            pending.discard("daemon")
        if pending & expected:
            replies = app.control.ping(timeout=1.0) or []
            answered = {name.split("@")[0] for reply in replies for name in reply}
            pending -= answered
        if pending:
            time.sleep(1.0)
    if pending:
        down(settings, log=log)
        raise ClusterError(f"not ready after {timeout:.0f} s: {', '.join(sorted(pending))}")
    web = f"webserver {settings.url}, " if webserver else ""
    log(f"cluster: ready - {web}daemon, {settings.workers} worker(s) on queue {settings.queue}")


def _webserver_ready(settings: ClusterSettings) -> bool:
    try:
        return httpx.get(f"{settings.url}/server_info", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def _daemon_ready(settings: ClusterSettings) -> bool:
    out = subprocess.run(
        ["dagster-daemon", "liveness-check"],
        env=settings.process_env(),
        capture_output=True,
    )
    return out.returncode == 0
