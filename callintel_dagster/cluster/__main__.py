"""`python -m callintel_dagster.cluster up|down|status|demo` (the Makefile's cluster-* targets)."""

import argparse
import sys

import httpx

from callintel_dagster.cluster.processes import down, running, up
from callintel_dagster.cluster.services import ClusterError
from callintel_dagster.cluster.settings import cluster_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m callintel_dagster.cluster")
    parser.add_argument("command", choices=["up", "down", "status", "demo"])
    parser.add_argument("--days", type=int, default=3, help="demo: days per tenant (default 3)")
    args = parser.parse_args(argv)
    try:
        settings = cluster_settings()
        settings.home.mkdir(parents=True, exist_ok=True)
        if args.command == "up":
            up(settings)
        elif args.command == "down":
            down(settings)
        elif args.command == "status":
            procs = running(settings)
            for name, pid in procs.items():
                print(f"{name}: pid {pid}")
            if not procs:
                print("cluster: not running")
        else:
            from callintel_dagster.cluster.demo import run_demo

            return run_demo(settings, days=args.days)
    except (ClusterError, RuntimeError, ValueError, httpx.HTTPError) as exc:
        # ClusterError: a process or service; RuntimeError: a launch refused or a run not found
        print(f"cluster {args.command}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
