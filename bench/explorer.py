"""Benchmark: the call explorer's API and pages for a tenant with 1,000 and 100,000 calls.

For each size a fresh warehouse is filled (bench/explorer_data.py: ~90 days, every table the
explorer reads, dbt marts, the snapshot), the explorer is served on a thread (uvicorn, as `callintel
serve`) with the tenant's key set, and httpx times each request (keep-alive; body read in full):
sequentially, then from 4 concurrent clients, >= 50 requests each. Baselines measured in the same
run: GET /healthz (the HTTP stack with no work) and the read layer alone - the same functions the
endpoint calls (list_calls, calls_csv, call_detail, facets + dashboard), through the explorer's
Reader, no HTTP. "read %" is that share of the sequential p50: the rest is FastAPI, JSON or Jinja2
rendering and HTTP. The slowest SQL statement of each case is printed with its p50.

    .venv/bin/python -m bench.explorer                       # 1,000 and 100,000 calls, DuckDB
    .venv/bin/python -m bench.explorer --calls 100000 --requests 100 --postgres
"""

import argparse
import os
import re
import secrets
import statistics
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx

from bench.explorer_data import AGENTS, BIG, LAST_DAY, build

BUDGET_MS = 300.0  # issue 12: p95 per page or API call on these 2 cores
CLIENTS = 4


def percentiles(ms: list[float]) -> tuple[float, float, float]:
    ordered = sorted(ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95, ordered[-1]


def timed_reader(warehouse):
    """The explorer's Reader, recording each statement's seconds (for the read-layer figures)."""
    from callintel_dagster.explorer.reader import Reader

    class TimedReader(Reader):
        def __init__(self, warehouse):
            super().__init__(warehouse)
            self.log: list[tuple[float, str]] = []

        def rows(self, sql, params=()):
            began = time.perf_counter()
            try:
                return super().rows(sql, params)
            finally:
                self.log.append((time.perf_counter() - began, " ".join(sql.split())))

    return TimedReader(warehouse)


def cases(reader, calls: int) -> list[tuple]:
    """(name, path for the i-th request, read-layer function of the i-th request | None)."""
    from callintel_dagster.explorer.call_page import call_detail
    from callintel_dagster.explorer.calls import CallFilters, calls_csv, facets, list_calls
    from callintel_dagster.explorer.dashboard import dashboard

    ids = [r["call_id"] for r in reader.rows(
        "SELECT call_id FROM raw.call_records WHERE tenant_id = ? AND call_status = 'completed' "
        "ORDER BY call_id", [BIG])]  # fmt: skip
    ids = ids[:: max(1, len(ids) // 97)]  # spread over every day; each request a different call
    month = {"day_from": LAST_DAY - timedelta(days=29), "day_to": LAST_DAY}
    week = {"day_from": LAST_DAY - timedelta(days=6), "day_to": LAST_DAY}
    lists = {
        "list default": {},
        "list agent+sentiment+30d": {"agent": AGENTS[3], "sentiment": "negative", **month},
        "list text 'budget'": {"text": "budget"},
        "list sort quality asc": {"sort": "quality", "order": "asc"},
        "list deep page": {"page": max(1, calls // 50 - 1)},
    }
    api, page = f"/api/tenants/{BIG}", f"/t/{BIG}"

    def dash(r):
        facets(r, BIG)
        return dashboard(r, BIG, month["day_from"], month["day_to"])

    out = [("GET /healthz (baseline)", lambda i: "/healthz", None)]
    for name, f in lists.items():
        query = httpx.QueryParams({k: str(v) for k, v in f.items()})
        out.append((f"api {name}", lambda i, q=query: f"{api}/calls?{q}",
                    lambda r, i, f=f: list_calls(r, BIG, CallFilters(**f))))  # fmt: skip
    week_q = httpx.QueryParams({k: str(v) for k, v in week.items()})
    return out + [
        ("api csv 7 days", lambda i: f"{api}/calls.csv?{week_q}",
         lambda r, i: list(calls_csv(r, BIG, CallFilters(**week)))),
        ("api call detail", lambda i: f"{api}/calls/{ids[i % len(ids)]}",
         lambda r, i: call_detail(r, BIG, ids[i % len(ids)])),
        ("api kpis (last 30 days)", lambda i: f"{api}/kpis", lambda r, i: dash(r)),
        ("page calls list", lambda i: f"{page}/calls",
         lambda r, i: (list_calls(r, BIG, CallFilters()), facets(r, BIG))),
        ("page call", lambda i: f"{page}/calls/{ids[i % len(ids)]}",
         lambda r, i: call_detail(r, BIG, ids[i % len(ids)])),
        ("page dashboard", lambda i: f"{page}/", lambda r, i: dash(r)),
    ]  # fmt: skip


def client(base: str, key: str) -> httpx.Client:
    """A keep-alive client with the API key and a page session (the login form, CSRF and all)."""
    c = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60)
    form = c.get("/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf, "the login page has no CSRF field"
    done = c.post("/login", data={"key": key, "csrf": csrf.group(1), "next": "/"})
    assert done.status_code == 303, f"login answered {done.status_code}"
    return c


def http_times(clients: list[httpx.Client], path, n: int) -> list[float]:
    """Milliseconds of `n` requests shared among `clients` running at once."""

    def worker(k: int) -> list[float]:
        out = []
        for i in range(k, n, len(clients)):
            began = time.perf_counter()
            r = clients[k].get(path(i))
            assert r.status_code == 200, f"{path(i)}: {r.status_code} {r.text[:200]}"
            out.append((time.perf_counter() - began) * 1000)
        return out

    with ThreadPoolExecutor(len(clients)) as pool:
        return [ms for part in pool.map(worker, range(len(clients))) for ms in part]


def sequential(c: httpx.Client, path, reader, fn, n: int) -> tuple[list, list, dict]:
    """`n` requests one after another, each followed by the same work in the read layer alone
    (interleaved, so both see the same load on the shared cores): HTTP ms, read ms, ms per SQL
    statement."""
    http, read = [], []
    reader.log.clear()
    for i in range(n):
        http += http_times([c], lambda _, i=i: path(i), 1)
        if fn is not None:
            began = time.perf_counter()
            fn(reader, i)
            read.append((time.perf_counter() - began) * 1000)
    per_sql = defaultdict(list)
    for seconds, sql in reader.log:
        per_sql[sql].append(seconds * 1000)
    return http, read, per_sql


def run_size(calls: int, n: int, postgres: bool, home: Path) -> dict[str, dict]:
    from callintel_dagster.env import current_env
    from callintel_dagster.explorer.serve import serving
    from callintel_dagster.explorer.settings import ExplorerSettings

    print(f"\n== {calls:,} calls ({'PostgreSQL' if postgres else 'DuckDB snapshot'}) ==")
    os.environ.pop("CALLINTEL_WAREHOUSE_URL", None)  # the bench's warehouse, not the shell's
    os.environ.update(build(home, calls, postgres=postgres, log=lambda m: print("  " + m)))
    key = secrets.token_urlsafe(24)
    os.environ[f"CALLINTEL_KEY_{BIG.upper()}"] = key
    settings = ExplorerSettings.from_env(current_env())
    reader = timed_reader(settings.warehouse)
    found = {}
    with serving(settings) as base:
        one, four = [client(base, key)], [client(base, key) for _ in range(CLIENTS)]
        for name, path, fn in cases(reader, calls):
            sequential(one[0], path, reader, fn, 2)  # warm: connections, first-query caches
            seq, read, per_sql = sequential(one[0], path, reader, fn, n)
            found[name] = {"seq": percentiles(seq), "conc": percentiles(http_times(four, path, n))}
            if read:
                slow = max(per_sql.items(), key=lambda kv: statistics.median(kv[1]))
                found[name] |= {"read": percentiles(read), "sql": slow, "statements": len(per_sql)}
        for c in one + four:
            c.close()
    reader.close()
    settings.reader.close()
    if postgres:
        drop_database(settings.warehouse.url)
    report(calls, found, n)
    return found


def drop_database(url: str) -> None:
    import psycopg2

    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    admin.cursor().execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")
    admin.close()


def report(calls: int, found: dict[str, dict], n: int) -> None:
    base = found["GET /healthz (baseline)"]["seq"][0]
    head = f"{'case':<28}{'seq p50':>8}{'p95':>7}{'max':>7}{'4x p50':>8}{'p95':>7}{'max':>7}"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())  # other work on the cores skews p95
    print(f"\n{calls:,} calls, {n} requests per case (ms); {os.cpu_count()} cores, load {load}")
    print(head + f"{'read p50':>9}{'read %':>7}{'×healthz':>9}  {'p95<=300':>8}")
    for name, s in found.items():
        (p50, p95, mx), (c50, c95, cmx) = s["seq"], s["conc"]
        row = f"{name:<28}{p50:>8.1f}{p95:>7.1f}{mx:>7.1f}{c50:>8.1f}{c95:>7.1f}{cmx:>7.1f}"
        read = f"{s['read'][0]:>9.1f}{100 * s['read'][0] / p50:>6.0f}%" if "read" in s else " " * 16
        ok = "yes" if max(p95, c95) <= BUDGET_MS else "NO"
        print(f"{row}{read}{p50 / base:>9.1f}  {ok:>8}")
    if "api list default" in found:
        s = found["api list default"]
        print(f"api list default / the same list_calls through the Reader: "
              f"{s['seq'][0] / s['read'][0]:.2f}× (p50)")  # fmt: skip
    print("\nslowest SQL statement per case (p50 ms, statements per request):")
    for name, s in found.items():
        if "sql" in s:
            sql, ms = s["sql"]
            print(f"  {name:<28}{statistics.median(ms):>7.1f}  {s['statements']:>2}  {sql[:140]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--requests", type=int, default=60, help="per case and mode (>= 50)")
    parser.add_argument("--postgres", action="store_true", help="a fresh database on :5432")
    args = parser.parse_args()
    if args.requests < CLIENTS or min(args.calls) < 1:
        parser.error(f"--requests must be >= {CLIENTS} and --calls >= 1")
    os.environ.setdefault("LANCEDB_LOG", "error")
    results = {}
    for calls in args.calls:
        with tempfile.TemporaryDirectory(prefix="explorer-bench-") as tmp:
            results[calls] = run_size(calls, args.requests, args.postgres, Path(tmp))
    if len(results) > 1:
        small, big = min(results), max(results)
        print(f"\ngrowth {small:,} -> {big:,} calls (sequential p95, ms):")
        for name in results[big]:
            a, b = results[small][name]["seq"][1], results[big][name]["seq"][1]
            print(f"  {name:<28}{a:>8.1f}{b:>8.1f}{b / a:>8.1f}×")


if __name__ == "__main__":
    main()
