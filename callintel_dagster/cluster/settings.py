"""Where the cluster's processes find each other: read from the environment at call time.

| variable | default |
|---|---|
| CALLINTEL_HOME | ./.callintel (pid files and logs under cluster/) |
| CALLINTEL_CLUSTER_PG | postgresql://postgres@127.0.0.1:5432 (the server) |
| CALLINTEL_CLUSTER_DAGSTER_DB | callintel_cluster_dagster (Dagster's instance storage) |
| CALLINTEL_WAREHOUSE_URL | <CALLINTEL_CLUSTER_PG>/callintel_cluster (the warehouse the runs write) |
| CALLINTEL_CELERY_BROKER | pyamqp://guest:guest@127.0.0.1:5672// (RabbitMQ) |
| CALLINTEL_CELERY_QUEUE | dagster (the queue the runs go to and the workers take from) |
| CALLINTEL_CELERY_BACKEND | redis://127.0.0.1:6379/0 (task states for run monitoring) |
| CALLINTEL_CLUSTER_PORT | 3070 (the webserver, on 127.0.0.1) |
| CALLINTEL_CLUSTER_WORKERS | 2 |
| CALLINTEL_CLUSTER_MONITOR_S | 30 (run monitoring: how soon a lost worker's run fails and its slots are freed) |
"""

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from callintel_dagster.env import REPO_ROOT

CLUSTER_YAML = REPO_ROOT / "deploy" / "dagster.cluster.yaml"
CELERY_YAML = REPO_ROOT / "deploy" / "celery_config.yaml"
WORKSPACE = REPO_ROOT / "workspace.yaml"


EVENT_BATCH = "1000"  # events per batch write; Dagster's default, 0, writes one by one


@dataclass(frozen=True)
class ClusterSettings:
    home: Path  # $CALLINTEL_HOME/cluster: pid files, logs, the instance's dagster.yaml
    pg_server: str
    dagster_db: str
    broker: str
    backend: str
    queue: str
    port: int
    workers: int
    warehouse_url: str
    workspace: Path = WORKSPACE
    # run monitoring's poll and slot-free delay (s): how soon a lost worker's run fails and its
    # pool slots come back. 30 s suits a cluster (each poll reads every started run); small
    # clusters and the tests may go lower.
    monitor_s: int = 30

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster_home"

    @property
    def run_home(self) -> Path:
        """The runs' CALLINTEL_HOME (LanceDB, outbox): apart from the demo's DuckDB-backed one.
        On several hosts this must be shared storage (docs/cluster.md)."""
        return self.home / "home"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def with_workspace(self, workspace: Path) -> "ClusterSettings":
        return ClusterSettings(**{**self.__dict__, "workspace": workspace})

    def process_env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """The environment every cluster process runs with: the instance in PostgreSQL, the
        broker, and this interpreter's bin/ first (dagster-celery calls `celery` by name)."""
        pg = urlsplit(self.pg_server)
        env = {
            **os.environ,
            "DAGSTER_HOME": str(self.dagster_home),
            "DAGSTER_PG_HOST": pg.hostname or "127.0.0.1",
            "DAGSTER_PG_USER": pg.username or "postgres",
            "DAGSTER_PG_PASSWORD": pg.password or "",
            "DAGSTER_PG_DB": self.dagster_db,
            "CALLINTEL_CELERY_BROKER": self.broker,
            "CALLINTEL_CELERY_BACKEND": self.backend,
            "CALLINTEL_CELERY_QUEUE": self.queue,
            "CALLINTEL_HOME": str(self.run_home),
            "CALLINTEL_WAREHOUSE_URL": self.warehouse_url,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONUNBUFFERED": "1",
            # a run over many tenant-days writes each output's partition materializations as ONE
            # insert (PostgreSQL's store_event_batch) instead of one per partition: a marts_job
            # run over 20 tenants x 7 days has 19 x 140 of them (docs/cluster.md, Benchmark)
            "DAGSTER_EVENT_BATCH_SIZE": os.environ.get("DAGSTER_EVENT_BATCH_SIZE", EVENT_BATCH),
        }
        return {**env, **(extra or {})}

    def write_instance_yaml(self) -> Path:
        self.dagster_home.mkdir(parents=True, exist_ok=True)
        target = self.dagster_home / "dagster.yaml"
        config = yaml.safe_load(CLUSTER_YAML.read_text())
        monitoring = config["run_monitoring"]
        monitoring["poll_interval_seconds"] = self.monitor_s
        monitoring["free_slots_after_run_end_seconds"] = self.monitor_s
        target.write_text(yaml.safe_dump(config, sort_keys=False))
        return target


def cluster_settings() -> ClusterSettings:
    home = Path(os.environ.get("CALLINTEL_HOME") or ".callintel").resolve() / "cluster"
    try:
        port = int(os.environ.get("CALLINTEL_CLUSTER_PORT") or 3070)
        workers = int(os.environ.get("CALLINTEL_CLUSTER_WORKERS") or 2)
        monitor_s = int(os.environ.get("CALLINTEL_CLUSTER_MONITOR_S") or 30)
    except ValueError as exc:
        raise ValueError(
            f"CALLINTEL_CLUSTER_PORT/WORKERS/MONITOR_S must be integers ({exc})"
        ) from None
    if workers < 1:
        raise ValueError("CALLINTEL_CLUSTER_WORKERS must be at least 1")
    if monitor_s < 1:
        raise ValueError("CALLINTEL_CLUSTER_MONITOR_S must be at least 1")
    pg_server = os.environ.get("CALLINTEL_CLUSTER_PG") or "postgresql://postgres@127.0.0.1:5432"
    return ClusterSettings(
        home=home,
        pg_server=pg_server,
        dagster_db=os.environ.get("CALLINTEL_CLUSTER_DAGSTER_DB") or "callintel_cluster_dagster",
        broker=os.environ.get("CALLINTEL_CELERY_BROKER") or "pyamqp://guest:guest@127.0.0.1:5672//",
        backend=os.environ.get("CALLINTEL_CELERY_BACKEND") or "redis://127.0.0.1:6379/0",
        queue=os.environ.get("CALLINTEL_CELERY_QUEUE") or "dagster",
        port=port,
        workers=workers,
        monitor_s=monitor_s,
        warehouse_url=os.environ.get("CALLINTEL_WAREHOUSE_URL") or f"{pg_server}/callintel_cluster",
    )
