"""Cluster settings and process bookkeeping, without starting a cluster (fast tier)."""

import subprocess
import sys

import pytest
import yaml

from callintel_dagster.cluster.processes import commands, running, worker_name
from callintel_dagster.cluster.settings import cluster_settings


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLINTEL_HOME", str(tmp_path))
    monkeypatch.setenv("CALLINTEL_CELERY_QUEUE", "q1")
    for var in ("CALLINTEL_WAREHOUSE_URL", "CALLINTEL_CLUSTER_DAGSTER_DB", "CALLINTEL_CLUSTER_PG"):
        monkeypatch.delenv(var, raising=False)
    s = cluster_settings()
    s.home.mkdir(parents=True)
    return s


def test_processes_get_the_cluster_instance_and_their_own_home(settings, tmp_path):
    env = settings.process_env()
    assert env["DAGSTER_HOME"] == str(tmp_path / "cluster" / "dagster_home")
    assert env["CALLINTEL_HOME"] == str(tmp_path / "cluster" / "home")
    assert env["DAGSTER_PG_DB"] == "callintel_cluster_dagster"
    assert env["CALLINTEL_WAREHOUSE_URL"].endswith("/callintel_cluster")
    assert env["CALLINTEL_CELERY_QUEUE"] == "q1"
    assert int(env["DAGSTER_EVENT_BATCH_SIZE"]) >= 7 * 20  # an output of a 20 x 7 run: one write


def test_the_instance_yaml_carries_the_monitoring_interval(settings, monkeypatch):
    shipped = yaml.safe_load(settings.write_instance_yaml().read_text())
    assert shipped["run_monitoring"]["poll_interval_seconds"] == 30
    assert shipped["run_launcher"]["class"] == "CeleryRunLauncher"
    monkeypatch.setenv("CALLINTEL_CLUSTER_MONITOR_S", "5")
    fast = yaml.safe_load(cluster_settings().write_instance_yaml().read_text())["run_monitoring"]
    assert fast["poll_interval_seconds"] == fast["free_slots_after_run_end_seconds"] == 5


def test_workers_take_the_cluster_queue_under_names_unique_to_it(settings):
    procs = commands(settings)
    assert set(procs) == {"daemon", "webserver", "worker1", "worker2"}
    for n in (1, 2):
        cmd = procs[f"worker{n}"]
        assert cmd[cmd.index("-q") + 1] == "q1"
        assert cmd[cmd.index("-n") + 1] == worker_name(settings, n) == f"worker{n}.q1"
        assert "callintel_dagster.cluster.celery_signals" in cmd
    assert "webserver" not in commands(settings, webserver=False)


@pytest.mark.parametrize(
    ("var", "value", "reason"),
    [
        ("CALLINTEL_CLUSTER_WORKERS", "two", "must be integers"),
        ("CALLINTEL_CLUSTER_WORKERS", "0", "at least 1"),
        ("CALLINTEL_CLUSTER_PORT", "80a", "must be integers"),
        ("CALLINTEL_CLUSTER_MONITOR_S", "0", "at least 1"),
    ],
)
def test_bad_settings_are_refused_with_a_reason(monkeypatch, var, value, reason):
    monkeypatch.setenv(var, value)
    with pytest.raises(ValueError, match=reason):
        cluster_settings()


def test_a_stale_pid_file_is_dropped_never_signalled(settings):
    # a live process group that is not a cluster process (a reused pid), and a dead pid
    stranger = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)"], start_new_session=True
    )
    gone = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True)
    gone.wait()
    try:
        (settings.home / "worker1.pid").write_text(str(stranger.pid))
        (settings.home / "worker2.pid").write_text(str(gone.pid))
        (settings.home / "daemon.pid").write_text("not a pid")
        assert running(settings) == {}
        assert not list(settings.home.glob("*.pid"))
        assert stranger.poll() is None  # still alive: nothing was sent to it
    finally:
        stranger.kill()
        stranger.wait()
