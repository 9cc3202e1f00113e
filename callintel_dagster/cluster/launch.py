"""Launch runs through the cluster's webserver (GraphQL) and wait for them: the daemon's queue
starts them and a Celery worker runs each one, so nothing here executes a step."""

import time
from dataclasses import dataclass

import httpx
from dagster import DagsterRunStatus
from dagster_graphql import DagsterGraphQLClient, DagsterGraphQLClientError

from callintel_dagster.cluster.celery_signals import CELERY_WORKER_TAG
from callintel_dagster.instance.worker import WORKER_TAG
from callintel_dagster.partitions import range_tags

TENANT_TAG = "callintel/tenant"
DONE = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}
RUN_QUERY = """
query ($runId: ID!) { runOrError(runId: $runId) {
  __typename
  ... on Run { jobName status startTime endTime tags { key value } }
} }"""


@dataclass(frozen=True)
class RunOutcome:
    run_id: str
    label: str
    job_name: str
    status: str
    seconds: float | None
    celery_worker: str  # node and pid of the Celery worker that took the run
    step_process: str  # host:pid:start of the process that ran callintel's steps

    def line(self) -> str:
        took = f"{self.seconds:.1f} s" if self.seconds is not None else "-"
        return (
            f"{self.label}: run {self.run_id[:8]} {self.status} in {took} on "
            f"{self.celery_worker or 'no worker recorded'}"
            f" (steps in {self.step_process or '-'})"
        )


SENSORS_QUERY = """
query ($selector: RepositorySelector!) { sensorsOrError(repositorySelector: $selector) {
  __typename
  ... on Sensors { results { name sensorState { id status } } }
} }"""
STOP_SENSOR = "mutation ($id: String!) { stopSensor(id: $id) { __typename } }"
STEPS_QUERY = """
query ($runId: ID!) { runOrError(runId: $runId) {
  __typename
  ... on Run { stepStats { stepKey startTime endTime } }
} }"""
PARTITION_KEYS_QUERY = """
query ($key: AssetKeyInput!) { assetNodeOrError(assetKey: $key) {
  __typename
  ... on AssetNode { partitionKeysByDimension { name partitionKeys } }
} }"""


class ClusterClient:
    def __init__(self, url_host: str, port: int, location: str = "callintel"):
        self.client = DagsterGraphQLClient(url_host, port_number=port)
        self.graphql = f"http://{url_host}:{port}/graphql"
        self.location = location

    def launch_range(self, job: str, first_key: str, last_key: str, extra_tags=None) -> str:
        """One run over the partition keys from `first_key` to `last_key` (a single-run range)."""
        tags = {**range_tags(first_key, last_key), **(extra_tags or {})}
        return self.launch(job, tags)

    def launch(self, job: str, tags: dict[str, str], run_config: dict | None = None) -> str:
        try:
            return self.client.submit_job_execution(
                job,
                repository_location_name=self.location,
                repository_name="__repository__",
                run_config=run_config or {},
                tags=tags,
            )
        except DagsterGraphQLClientError as exc:
            raise RuntimeError(f"launch of {job} refused: {exc.args[0]}") from None

    def _query(self, query: str, variables: dict) -> dict:
        reply = httpx.post(
            self.graphql, json={"query": query, "variables": variables}, timeout=30.0
        )
        reply.raise_for_status()
        return reply.json()["data"]

    def stop_sensors(self) -> list[str]:
        """Switch off every running sensor of the location (a benchmark must time only the runs
        it launched, not the late-digest runs a sensor requests for new tenants)."""
        selector = {"repositoryLocationName": self.location, "repositoryName": "__repository__"}
        found = self._query(SENSORS_QUERY, {"selector": selector})["sensorsOrError"]
        if found["__typename"] != "Sensors":
            raise RuntimeError(f"sensors of {self.location}: {found['__typename']}")
        stopped = []
        for sensor in found["results"]:
            if sensor["sensorState"]["status"] == "RUNNING":
                self._query(STOP_SENSOR, {"id": sensor["sensorState"]["id"]})
                stopped.append(sensor["name"])
        return stopped

    def tenant_keys(self, asset: str = "call_records") -> list[str]:
        """The tenant partition keys in the instance's order, which a range run's tenant × day
        rectangle follows (partitions.range_tags)."""
        found = self._query(PARTITION_KEYS_QUERY, {"key": {"path": [asset]}})["assetNodeOrError"]
        if found["__typename"] != "AssetNode":
            raise RuntimeError(f"asset {asset}: {found['__typename']}")
        for dimension in found["partitionKeysByDimension"]:
            if dimension["name"] == "tenant":
                return dimension["partitionKeys"]
        raise RuntimeError(f"asset {asset} has no tenant dimension")

    def step_seconds(self, run_id: str) -> dict[str, float]:
        """Each step of a run and how long it took, in the order they started."""
        steps = sorted(
            self._run(STEPS_QUERY, run_id)["stepStats"], key=lambda s: s["startTime"] or 0
        )
        return {
            s["stepKey"]: s["endTime"] - s["startTime"]
            for s in steps
            if s["startTime"] and s["endTime"]
        }

    def run(self, run_id: str) -> dict:
        return self._run(RUN_QUERY, run_id)

    def _run(self, query: str, run_id: str) -> dict:
        """The run's fields that `query` asks for; an unknown run id is an error naming it."""
        found = self._query(query, {"runId": run_id})["runOrError"]
        if found["__typename"] != "Run":
            raise RuntimeError(f"run {run_id}: {found['__typename']}")
        return found

    def wait(self, runs: dict[str, str], timeout: float = 1800.0) -> list[RunOutcome]:
        """Poll until every run (id -> label) has ended; outcomes in the order given."""
        deadline = time.monotonic() + timeout
        pending = set(runs)
        while pending and time.monotonic() < deadline:
            for run_id in sorted(pending):
                if DagsterRunStatus(self.run(run_id)["status"]) in DONE:
                    pending.discard(run_id)
            if pending:
                time.sleep(2.0)
        if pending:
            raise RuntimeError(f"runs still going after {timeout:.0f} s: {', '.join(pending)}")
        return [self.outcome(run_id, label) for run_id, label in runs.items()]

    def outcome(self, run_id: str, label: str) -> RunOutcome:
        run = self.run(run_id)
        tags = {t["key"]: t["value"] for t in run["tags"]}
        start, end = run.get("startTime"), run.get("endTime")
        return RunOutcome(
            run_id=run_id,
            label=label,
            job_name=run["jobName"],
            status=run["status"],
            seconds=(end - start) if start and end else None,
            celery_worker=tags.get(CELERY_WORKER_TAG, ""),
            step_process=tags.get(WORKER_TAG, ""),
        )
