"""A Dagster logger that prints one line per finished step, for terminals (the demo, benches)."""

import logging
import sys
import time

import dagster as dg

_STARTED: dict[str, float] = {}


class _StepLines(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_meta", {}).get("dagster_event")
        if event is None or not event.step_key:
            return
        kind = event.event_type_value
        if kind == "STEP_START":
            _STARTED[event.step_key] = time.perf_counter()
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
            took = time.perf_counter() - _STARTED.pop(event.step_key, time.perf_counter())
            mark = "ok " if kind == "STEP_SUCCESS" else "FAILED"
            _say(f"  {mark} {event.step_key:<44} {took:6.1f} s")
        elif kind == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            if not data.passed:
                _say(f"  check failed: {data.check_name} on {data.asset_key.to_user_string()}")


def _say(line: str) -> None:
    # the real terminal, even while a caller captures sys.stdout (the demo hides dbt's echo)
    print(line, file=sys.__stdout__, flush=True)


@dg.logger
def step_progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    log = logging.getLogger("callintel.progress")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    if not log.handlers:
        log.addHandler(_StepLines())
    return log
