"""Dagster pool slots per request worker: a provider's concurrency limit shared across runs, and
the worker pool that LLM and STT requests run on.

Dagster pools are declared per asset, but one analysis step serves tenants on different LLM
providers, so the step claims slots itself, one per worker thread, in the pool
`llm_<provider>` (set with `dagster instance concurrency set llm_groq 8`; an unset pool takes
the instance's `concurrency.pools.default_limit`). Two runs analysing Groq tenants at once thus
share the Groq limit. Slots are claimed through Dagster's own InstanceConcurrencyContext, so they
show on the UI's concurrency page and are freed with the run.
"""

import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import dagster as dg
from dagster._core.execution.plan.instance_concurrency_context import (
    InstanceConcurrencyContext,
)

POLL_S = 0.25


class PoolSlots:
    def __init__(self, context: dg.AssetExecutionContext, pool: str):
        self.pool = pool
        self._step = context.op_execution_context.op.name
        self._lock = threading.Lock()
        self._storage, self._run_id = context.instance.event_log_storage, context.run.run_id
        self._slots = InstanceConcurrencyContext(context.instance, context.run)

    @contextmanager
    def held(self, worker: int, give_up: Callable[[], bool]) -> Iterator[bool]:
        """Hold one slot while the block runs; yields False (no slot) if `give_up()` turns true
        while waiting, e.g. when other workers already finished the queue."""
        key = f"{self._step}[{self.pool}#{worker}]"
        while True:
            with self._lock:  # the context's bookkeeping is not thread-safe
                claimed = self._slots.claim(self.pool, key)
            if claimed or give_up():
                break
            time.sleep(POLL_S)
        try:
            yield claimed
        finally:
            with self._lock:
                if claimed:
                    self._slots.free_step(key)
                else:  # a pending claim left queued would hold up other runs' claims
                    self._storage.free_concurrency_slot_for_step(self._run_id, key)


def run_workers(items: list, key, work, limit: int, slots, name: str) -> dict:
    """`work(item)` for every item on up to `limit` threads, each holding a pool slot while it
    works; returns {key(item): result}. The first exception stops every worker and is raised
    (e.g. a refused key: no point asking again for the other calls)."""
    todo: queue.SimpleQueue = queue.SimpleQueue()
    for item in items:
        todo.put(item)
    results: dict = {}
    errors: list[BaseException] = []
    slots = slots or NoSlots()

    def worker(index: int) -> None:
        with slots.held(index, give_up=todo.empty) as holding:
            while holding and not errors:
                try:
                    item = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    results[key(item)] = work(item)
                except BaseException as exc:  # noqa: BLE001 - re-raised below, in the caller
                    errors.append(exc)

    threads = [
        threading.Thread(target=worker, args=(i,), name=f"{name}-{i}")
        for i in range(min(limit, len(items)))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


class NoSlots:
    """No cross-run limit (tests and code that runs outside Dagster)."""

    pool = None

    @contextmanager
    def held(self, worker: int, give_up: Callable[[], bool]) -> Iterator[bool]:
        yield True
