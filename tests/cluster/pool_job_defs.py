"""A tiny job for tests/cluster: its one step holds a slot of the pool `POOL` (PoolSlots, as
callintel's LLM and STT steps do) and tags its run with when it asked, got and gave back the
slot. The step holds the slot until the other run of its batch has asked for one too, so the
two runs really compete for the pool whatever the workers' start-up times are."""

import time

import dagster as dg

from callintel_dagster.instance.worker import record_worker
from callintel_dagster.resources.pool_slots import PoolSlots

POOL = "llm_cluster_test"
BATCH_TAG = "cluster_test/batch"
ASKED, GOT, GAVE_BACK = "cluster_test/asked", "cluster_test/got", "cluster_test/gave_back"
WAIT_FOR_OTHER_S = 90.0


def _other_has_asked(instance: dg.DagsterInstance, run: dg.DagsterRun) -> bool:
    batch = dg.RunsFilter(tags={BATCH_TAG: run.tags[BATCH_TAG]})
    return any(r.run_id != run.run_id and ASKED in r.tags for r in instance.get_runs(batch))


@dg.asset
def pool_holder(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    record_worker(context)
    instance, run_id = context.instance, context.run.run_id
    slots = PoolSlots(context, POOL, max_wait=120.0)
    instance.add_run_tags(run_id, {ASKED: repr(time.time())})
    with slots.held(0, give_up=lambda: False) as holding:
        assert holding, "PoolSlots yields False only when told to give up"
        got = time.time()
        instance.add_run_tags(run_id, {GOT: repr(got)})
        while time.time() - got < WAIT_FOR_OTHER_S and not _other_has_asked(
            instance, instance.get_run_by_id(run_id)
        ):
            time.sleep(0.25)
        time.sleep(1.0)  # the other run is now polling for this slot
        instance.add_run_tags(run_id, {GAVE_BACK: repr(time.time())})
    return dg.MaterializeResult(metadata={"pool": POOL})


defs = dg.Definitions(
    assets=[pool_holder],
    jobs=[dg.define_asset_job("pool_job", selection=[pool_holder])],
    executor=dg.in_process_executor,  # as callintel's definitions: the run runs in its worker
)
