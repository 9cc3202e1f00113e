"""A throwaway cluster for tests/cluster: a dagster-daemon and two Celery workers on a fresh
PostgreSQL database and a queue of their own, loading the tiny jobs of pool_job_defs.py."""

import json
import subprocess
import uuid
from pathlib import Path

import pytest

from callintel_dagster.cluster.processes import down, up
from callintel_dagster.cluster.services import forget_queue
from callintel_dagster.cluster.settings import REPO_ROOT, cluster_settings
from conftest import fresh_postgres_db

DEFS = Path(__file__).with_name("pool_job_defs.py")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, monkeypatch_module):
    home = tmp_path_factory.mktemp("cluster_home")
    workspace = home / "workspace.yaml"
    workspace.write_text(
        f"load_from:\n  - python_file:\n      relative_path: {DEFS}\n"
        f"      location_name: pool_test\n      working_directory: {REPO_ROOT}\n"
    )
    queue = f"callintel_test_{uuid.uuid4().hex[:8]}"
    monkeypatch_module.setenv("CALLINTEL_HOME", str(home))
    monkeypatch_module.setenv("CALLINTEL_CELERY_QUEUE", queue)
    monkeypatch_module.setenv("CALLINTEL_CLUSTER_MONITOR_S", "5")  # a lost worker is seen sooner
    with fresh_postgres_db() as url:
        monkeypatch_module.setenv("CALLINTEL_CLUSTER_DAGSTER_DB", url.rsplit("/", 1)[1])
        monkeypatch_module.setenv("CALLINTEL_WAREHOUSE_URL", url)
        settings = cluster_settings().with_workspace(workspace)
        settings.home.mkdir(parents=True)
        try:
            up(settings, webserver=False)
            yield settings
        finally:
            down(settings)
            forget_queue(settings)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def launch(settings, batch: str, tags: dict | None = None) -> None:
    subprocess.run(
        ["dagster", "job", "launch", "-w", str(settings.workspace), "-j", "pool_job"]
        + ["--tags", json.dumps({"cluster_test/batch": batch, **(tags or {})})],
        env=settings.process_env(),
        check=True,
        capture_output=True,
        timeout=120,
    )
