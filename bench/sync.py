"""Benchmark: sync throughput of each provider client against its emulator on 127.0.0.1.

Records per second for one full tenant-day, at no added latency and at a realistic per-request
latency (default 50 ms), measured in the same run; the ratio shows how much paging round trips cost.

    .venv/bin/python -m bench.sync [--latency 0.05] [--records 1000]
"""

import argparse
import time
from datetime import date, datetime

from callintel_dagster.lib.dayspan import day_window_utc
from callintel_dagster.lib.ingest.window import SyncWindow
from callintel_dagster.lib.tenants.source_configs import BolnaConfig, LeadSquaredConfig, ZohoConfig
from callintel_dagster.providers.bolna.source import BolnaSource
from callintel_dagster.providers.leadsquared.source import LeadSquaredSource
from callintel_dagster.providers.zoho.source import ZohoSource, clear_token_cache
from emulators.bolna import BolnaEmulator
from emulators.leadsquared import LeadSquaredEmulator
from emulators.zoho import ZohoEmulator

DAY = date(2026, 11, 18)
TZ = "Asia/Kolkata"


def window() -> SyncWindow:
    start, end = day_window_utc(DAY, TZ)
    return SyncWindow("bench", DAY, start, end, datetime(2026, 11, 20))


def bolna(records: int, latency: float) -> tuple[int, int]:
    with BolnaEmulator(api_key="k", trim_share=0.1, latency_s=latency) as emu:
        emu.populate(DAY, n=records, seed=1)
        source = BolnaSource(
            "bench", BolnaConfig(provider="bolna", base_url=emu.base_url, api_key_env="K"), "k"
        )
        return len(source.fetch_calls(window())), source.requests


def zoho(records: int, latency: float) -> tuple[int, int]:
    clear_token_cache()
    start, end = day_window_utc(DAY, TZ)
    with ZohoEmulator(latency_s=latency) as emu:
        emu.populate(n_leads=records, seed=1, modified_between=(start, end))
        config = ZohoConfig(
            provider="zoho",
            accounts_url=emu.base_url,
            client_id_env="A",
            client_secret_env="B",
            refresh_token_env="C",
            modules=("Leads",),
        )
        source = ZohoSource(
            "bench", config, emu.client_id, emu.client_secret, next(iter(emu.refresh_tokens))
        )
        return len(source.fetch_leads(window())), source.requests


def leadsquared(records: int, latency: float) -> tuple[int, int]:
    start, end = day_window_utc(DAY, TZ)
    with LeadSquaredEmulator(latency_s=latency, rate_limit=25) as emu:
        emu.add_account("ak", "sk")
        emu.populate(records, seed=1, modified_between=(start, end), access_key="ak")
        config = LeadSquaredConfig(
            provider="leadsquared",
            base_url=emu.base_url,
            access_key_env="A",
            secret_key_env="B",
            requests_per_5s=25,
            page_size=200,
        )
        source = LeadSquaredSource("bench", config, "ak", "sk")
        return len(source.fetch_leads(window())), source.requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--records", type=int, default=1000)
    args = parser.parse_args()
    print(f"one tenant-day, {args.records} records per provider; latency per request in seconds")
    print(
        f"{'provider':<14}{'latency':>8}{'records':>9}{'requests':>10}{'seconds':>9}"
        f"{'records/s':>11}{'× no latency':>14}"
    )
    for name, run in (("bolna", bolna), ("zoho", zoho), ("leadsquared", leadsquared)):
        base = None
        for latency in (0.0, args.latency):
            began = time.perf_counter()
            got, requests = run(args.records, latency)
            took = time.perf_counter() - began
            rate = got / took
            base = base or rate
            print(
                f"{name:<14}{latency:>8.3f}{got:>9}{requests:>10}{took:>9.2f}{rate:>11.0f}"
                f"{rate / base:>14.2f}"
            )


if __name__ == "__main__":
    main()
