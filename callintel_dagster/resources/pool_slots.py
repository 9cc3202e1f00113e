"""Dagster pool slots per request worker: a provider's concurrency limit shared across runs, and
the worker pool that LLM and STT requests run on.

Dagster pools are declared per asset, but one analysis step serves tenants on different LLM
providers, so the step claims slots itself, one per worker thread, in the pool
`llm_<provider>` (set with `dagster instance concurrency set llm_groq 8`; an unset pool takes
the instance's `concurrency.pools.default_limit`). Two runs analysing Groq tenants at once thus
share the Groq limit. Slots are claimed through Dagster's own InstanceConcurrencyContext, so they
show on the UI's concurrency page and are freed with the run.

A step waiting for a slot says so in its log (which pool, its limit, which runs hold it) every
`LOG_EVERY_S`, and fails with `PoolWaitTimeout` when none of its workers got a slot within
`CALLINTEL_POOL_WAIT_S` (default 15 minutes): a run killed without cleaning up (see
callintel_dagster/instance/launcher.py) can no longer make every later run wait in silence.
"""

import os
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
LOG_EVERY_S = 30.0
DEFAULT_MAX_WAIT_S = 900.0


class PoolWaitTimeout(dg.Failure):
    """No slot of a provider's pool within the bounded wait."""


def max_wait_s() -> float:
    return float(os.environ.get("CALLINTEL_POOL_WAIT_S") or DEFAULT_MAX_WAIT_S)


class PoolSlots:
    def __init__(self, context: dg.AssetExecutionContext, pool: str, max_wait: float | None = None):
        self.pool = pool
        self._step = context.op_execution_context.op.name
        self._log = context.log
        self._lock = threading.Lock()
        self._storage, self._run_id = context.instance.event_log_storage, context.run.run_id
        self._slots = InstanceConcurrencyContext(context.instance, context.run)
        self._max_wait = max_wait_s() if max_wait is None else max_wait
        self._holding = 0  # this step's workers holding a slot now

    @contextmanager
    def held(self, worker: int, give_up: Callable[[], bool]) -> Iterator[bool]:
        """Hold one slot while the block runs; yields False (no slot) if `give_up()` turns true
        while waiting, e.g. when other workers already finished the queue. Raises
        PoolWaitTimeout when no worker of this step got a slot within the bounded wait."""
        key = f"{self._step}[{self.pool}#{worker}]"
        started = last_log = time.monotonic()
        while True:
            with self._lock:  # the context's bookkeeping is not thread-safe
                claimed = self._slots.claim(self.pool, key)
                if claimed:
                    self._holding += 1
            if claimed or give_up():
                break
            waited = time.monotonic() - started
            if waited >= self._max_wait and not self._holding:
                self._release(key, claimed=False)
                raise PoolWaitTimeout(
                    f"no slot in pool {self.pool} after {waited:.0f} s: {self._holders()}; "
                    "a dead run's slots are freed by run monitoring (dagster-daemon), or free them "
                    f"with `dagster instance concurrency set {self.pool} <limit>` after checking"
                )
            if worker == 0 and time.monotonic() - last_log >= min(LOG_EVERY_S, self._max_wait / 2):
                last_log = time.monotonic()
                self._log.warning(
                    f"{self._step} has waited {waited:.0f} s for a slot in pool {self.pool}: "
                    f"{self._holders()}"
                )
            time.sleep(POLL_S)
        try:
            yield claimed
        finally:
            self._release(key, claimed)

    def _release(self, key: str, claimed: bool) -> None:
        with self._lock:
            if claimed:
                self._holding -= 1
                self._slots.free_step(key)
            else:  # a pending claim left queued would hold up other runs' claims
                self._storage.free_concurrency_slot_for_step(self._run_id, key)

    def _holders(self) -> str:
        info = self._storage.get_concurrency_info(self.pool)
        runs = sorted(info.active_run_ids - {self._run_id})
        return (
            f"limit {info.slot_count}, held by run(s) {', '.join(runs) or 'none'}"
            f" ({info.active_slot_count} slot(s) claimed)"
        )


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
        try:
            with slots.held(index, give_up=lambda: todo.empty() or bool(errors)) as holding:
                while holding and not errors:
                    try:
                        item = todo.get_nowait()
                    except queue.Empty:
                        return
                    try:
                        results[key(item)] = work(item)
                    except BaseException as exc:  # noqa: BLE001 - re-raised below, in the caller
                        errors.append(exc)
        except PoolWaitTimeout as exc:
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
