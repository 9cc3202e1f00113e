"""`make demo`: materialize the whole graph for the demo tenants' last 7 days and print results.

Runs in-process against the same Dagster instance `make ui` shows ($DAGSTER_HOME).
"""

import argparse
import contextlib
import io
import shutil
import sys
import time
from datetime import timedelta
from pathlib import Path

import dagster as dg

from callintel_dagster.cli.progress import step_progress_logger
from callintel_dagster.cli.report import print_report
from callintel_dagster.definitions import build_defs, resolved_resource
from callintel_dagster.env import REPO_ROOT, current_env
from callintel_dagster.lib.dayspan import local_today
from callintel_dagster.lib.tenants.registry import RegistryError
from callintel_dagster.partitions import range_tags, tenant_day_key, tenants_partitions

DAYS = 7
# stereo (speakers by channel), telephone mono (speakers by heuristic), silence and a corrupt file
SAMPLES = ("stereo_8k.wav", "phone_8k.wav", "silent_8k.wav", "corrupt.wav")


def copy_audio_samples(home: Path) -> None:
    """The committed test recordings become the demo's audio-only calls (see `audio_samples`)."""
    samples = home / "samples"
    samples.mkdir(parents=True, exist_ok=True)
    for name in SAMPLES:
        shutil.copyfile(REPO_ROOT / "tests" / "fixtures" / "audio" / name, samples / name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--days", type=int, default=DAYS, help=f"complete local days to run (default {DAYS})"
    )
    days = parser.parse_args(argv).days
    if days < 1:
        parser.error("--days must be at least 1")
    env = current_env()
    try:
        defs = build_defs(env)
    except RegistryError as exc:
        print(f"callintel demo: {exc}", file=sys.stderr)
        return 2
    copy_audio_samples(env.home)
    registry = resolved_resource(defs, "registry").load()
    tenants = registry.active
    instance = dg.DagsterInstance.get()
    known = instance.get_dynamic_partitions(tenants_partitions.name)
    instance.add_dynamic_partitions(
        tenants_partitions.name, [t.id for t in tenants if t.id not in known]
    )
    known = instance.get_dynamic_partitions(tenants_partitions.name)
    # the last DAYS days that are complete in every tenant's timezone, as one single-run range:
    # when the tenants' local dates differ (Kolkata is already on tomorrow while Los Angeles is
    # not), a wider range would give the tenant ahead one day more than the others
    last = min(local_today(t.timezone) for t in tenants) - timedelta(days=1)
    first = last - timedelta(days=days - 1)
    ids = sorted(tenants, key=lambda t: known.index(t.id))
    start = tenant_day_key(ids[0].id, first.isoformat())
    end = tenant_day_key(ids[-1].id, last.isoformat())
    print(
        f"callintel demo: {len(tenants)} tenants × {days} days ({first} … {last}), "
        f"warehouse {env.duckdb_path if not env.warehouse_url else 'postgres'}",
        flush=True,
    )
    began = time.perf_counter()
    job = defs.resolve_job_def("daily_job").with_logger_defs({"progress": step_progress_logger})
    # dbt echoes its whole log to stdout (the UI keeps it per step); the terminal gets one line per
    # step from the progress logger instead, and the dbt log only if something failed.
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            tags=range_tags(start, end),
            run_config={"loggers": {"progress": {}}},
        )
    took = time.perf_counter() - began
    if not result.success:
        print(captured.getvalue()[-4000:])
        print(f"demo run failed after {took:.1f} s; open `make ui` → Runs → {result.run_id}")
        return 1
    print(f"pipeline finished in {took:.1f} s (run {result.run_id})\n")
    warehouse = resolved_resource(defs, "warehouse")
    warehouse.refresh_snapshot()  # what `make sql` reads (the daemon's sensor does it after runs)
    print_report(warehouse, tenants, env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
