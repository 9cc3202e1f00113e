"""Benchmark: the 5-minute sync tick for 100 tenants in one run (issue 14's goal: ≤ 60 s).

The real `sync_schedule` is evaluated on a Dagster instance where the tenants are registered as
partitions, and its one RunRequest (a single-run tenant × day range) is executed in process: the
first tick of the day (no cursor: every tenant's day in full) and the next one (incremental: only
what changed since each tenant's cursor). A quarter of the tenants each read calls from the Bolna
emulator, leads from the Zoho emulator (own refresh token) and leads from the LeadSquared emulator
(own account); the rest and the other source of each are synthetic. The emulators run on
127.0.0.1 with `--latency` seconds per request. Baselines in the same run: the same ticks for 1
tenant (the fixed cost of a run) and for 10, so the per-tenant marginal cost shows.

    .venv/bin/python -m bench.sync_tick [--tenants 1 10 100] [--latency 0.05] [--records 200]
"""

import argparse
import contextvars
import os
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

TZ = "Asia/Kolkata"  # one timezone: every tenant's local today is the same day (one range column)
GOAL_S = 60.0
KINDS = ("synthetic", "bolna", "zoho", "leadsquared")
HEAD = "tenants:\n"
TENANT = """  - id: {id}
    name: Tenant {id}
    timezone: {tz}
    calls: {calls}
    crm: {crm}
"""


def tenant_yaml(i: int, urls: dict, records: int) -> tuple[str, str]:
    """The i-th tenant of the mix, and its kind."""
    kind = KINDS[i % len(KINDS)]
    synthetic_calls = f"{{provider: synthetic, calls_per_day: {records}, seed: {i}}}"
    synthetic_crm = f"{{provider: synthetic, leads_per_day: {max(1, records // 4)}}}"
    calls, crm = synthetic_calls, synthetic_crm
    if kind == "bolna":
        calls = f'{{provider: bolna, base_url: "{urls["bolna"]}", api_key_env: BENCH_BOLNA_KEY}}'
    elif kind == "zoho":
        crm = (
            f'{{provider: zoho, accounts_url: "{urls["zoho"]}", client_id_env: BENCH_ZOHO_ID, '
            f"client_secret_env: BENCH_ZOHO_SECRET, refresh_token_env: BENCH_ZOHO_REFRESH_{i}}}"
        )
    elif kind == "leadsquared":
        crm = (
            f'{{provider: leadsquared, base_url: "{urls["leadsquared"]}", '
            f"access_key_env: BENCH_LSQ_ACCESS_{i}, secret_key_env: BENCH_LSQ_SECRET_{i}, "
            "requests_per_5s: 25}"
        )
    return TENANT.format(id=f"t{i:03d}", tz=TZ, calls=calls, crm=crm), kind


def start_emulators(stack: ExitStack, tenants: int, latency: float, records: int) -> dict:
    """The three emulators with today's records; each tenant's credentials in the environment."""
    from callintel_dagster.lib.dayspan import day_window_utc, local_today
    from callintel_dagster.providers.zoho.source import clear_token_cache
    from emulators.bolna import BolnaEmulator
    from emulators.leadsquared import LeadSquaredEmulator
    from emulators.zoho import ZohoEmulator

    today = local_today(TZ)
    start = day_window_utc(today, TZ)[0]
    now = datetime.now(UTC).replace(tzinfo=None)
    clear_token_cache()
    bolna = stack.enter_context(BolnaEmulator(api_key="bench-bolna", latency_s=latency))
    bolna.populate(today, tz_offset_minutes=330, n=records, seed=1)
    zoho = stack.enter_context(ZohoEmulator(latency_s=latency, tz=TZ))
    zoho.populate(
        n_leads=records // 4, n_deals=records // 20, seed=2, modified_between=(start, now)
    )
    lsq = stack.enter_context(LeadSquaredEmulator(latency_s=latency, rate_limit=25))
    os.environ.update(
        BENCH_BOLNA_KEY="bench-bolna",
        BENCH_ZOHO_ID=zoho.client_id,
        BENCH_ZOHO_SECRET=zoho.client_secret,
    )
    for i in range(tenants):
        # each tenant its own Zoho grant and LeadSquared account, as separate customers have
        os.environ[f"BENCH_ZOHO_REFRESH_{i}"] = token = f"1000.bench-refresh-{i}"
        zoho.refresh_tokens.add(token)
        os.environ[f"BENCH_LSQ_ACCESS_{i}"] = access = f"u$bench-{i}"
        os.environ[f"BENCH_LSQ_SECRET_{i}"] = secret = f"bench-secret-{i}"
        if KINDS[i % len(KINDS)] == "leadsquared":
            lsq.add_account(access, secret)
            lsq.populate(records // 4, seed=i, modified_between=(start, now), access_key=access)
    return {"bolna": bolna.base_url, "zoho": zoho.base_url, "leadsquared": lsq.base_url}


def tick(defs: dg.Definitions, instance: dg.DagsterInstance) -> dict:
    """Evaluate the schedule now and execute its run: seconds for each part, per step, and the
    sync loop's own per-tenant figures (from the materialization metadata)."""
    from callintel_dagster.schedules import sync_schedule

    began = time.perf_counter()
    context = dg.build_schedule_context(
        instance=instance,
        resources={"registry": defs.resources["registry"]},
        scheduled_execution_time=datetime.now(UTC),
    )
    [request] = sync_schedule.evaluate_tick(context).run_requests
    evaluated = time.perf_counter()
    result = defs.resolve_job_def("sync_job").execute_in_process(
        instance=instance,
        tags=request.tags,
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )
    ran = time.perf_counter()
    assert result.success, f"run {result.run_id} failed"
    steps = {
        s.step_key: s.end_time - s.start_time for s in instance.get_run_step_stats(result.run_id)
    }
    loops = {}
    for event in result.get_asset_materialization_events():
        meta = {k: v.value for k, v in event.materialization.metadata.items()}
        asset = event.materialization.asset_key.to_user_string()
        if asset not in loops:
            loops[asset] = meta
    return {
        "schedule": evaluated - began,
        "run": ran - evaluated,
        "steps": steps,
        "loops": loops,
        "partitions": len(result.dagster_run.tags) and _partitions(request.tags),
    }


def _partitions(tags: dict) -> str:
    return (
        f"{tags['dagster/asset_partition_range_start']}…{tags['dagster/asset_partition_range_end']}"
    )


def measure(tenants: int, latency: float, records: int) -> dict:
    from callintel_dagster.definitions import build_defs
    from callintel_dagster.env import current_env

    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        urls = start_emulators(stack, tenants, latency, records)
        home = Path(tmp)
        mix = [tenant_yaml(i, urls, records) for i in range(tenants)]
        (home / "tenants.yaml").write_text(HEAD + "".join(text for text, _ in mix))
        os.environ.update(CALLINTEL_HOME=str(home), CALLINTEL_TENANTS=str(home / "tenants.yaml"))
        defs = build_defs(current_env())
        (home / "dagster_home").mkdir()
        (home / "dagster_home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        instance = stack.enter_context(dg.DagsterInstance.local_temp(str(home / "dagster_home")))
        instance.add_dynamic_partitions("tenants", [f"t{i:03d}" for i in range(tenants)])
        first = tick(defs, instance)
        second = tick(defs, instance)
    return {"tenants": tenants, "first": first, "next": second}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--records", type=int, default=200, help="calls a tenant-day (leads: ¼)")
    args = parser.parse_args()
    # each size in its own context: a disposed instance must not stay Dagster's current
    # defs-state storage for the next size's definitions (see tests/conftest.py)
    rows = [
        contextvars.copy_context().run(measure, n, args.latency, args.records)
        for n in sorted(args.tenants)
    ]
    report(rows, args)


def report(rows: list[dict], args) -> None:
    print(
        f"\nthe 5-minute sync tick (sync_schedule → one run), {args.records} calls and "
        f"{args.records // 4} leads a tenant-day, {args.latency * 1000:.0f} ms per emulator "
        f"request, tenants {'/'.join(KINDS)} in turn, {os.cpu_count()} cores"
    )
    base = rows[0]
    print(
        f"{'tenants':>8}{'tick':>9}{'schedule s':>12}{'run s':>8}{'s/tenant':>10}"
        f"{'marginal s/tenant':>19}{'× 1 tenant':>12}{'× goal 60 s':>13}"
    )
    for row in rows:
        for which in ("first", "next"):
            t = row[which]
            total = t["schedule"] + t["run"]
            b = base[which]["schedule"] + base[which]["run"]
            marginal = (
                f"{(total - b) / (row['tenants'] - base['tenants']):.3f}"
                if row["tenants"] > base["tenants"]
                else "-"
            )
            print(
                f"{row['tenants']:>8}{which:>9}{t['schedule']:>12.2f}{t['run']:>8.1f}"
                f"{total / row['tenants']:>10.3f}{marginal:>19}{total / b:>12.2f}"
                f"{total / GOAL_S:>13.2f}"
            )
    print("\nper step (s):")
    for row in rows:
        for which in ("first", "next"):
            steps = ", ".join(f"{k} {v:.1f}" for k, v in sorted(row[which]["steps"].items()))
            print(f"  {row['tenants']:>4} tenants, {which:<5}: {steps}")
    print("\nthe sync loop per tenant (the asset's run metadata; s):")
    for row in rows:
        for which in ("first", "next"):
            for asset, meta in sorted(row[which]["loops"].items()):
                seconds = meta.get("run_tenant_seconds") or meta.get("tenant_seconds")
                if seconds:
                    print(f"  {row['tenants']:>4} tenants, {which:<5} {asset:<13}: {seconds}")


if __name__ == "__main__":
    main()
