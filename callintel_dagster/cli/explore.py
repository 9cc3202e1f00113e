"""`make explore`: the call explorer on the demo data, with a key for every demo tenant.

A tenant whose key variable is unset gets a generated key, kept in
$CALLINTEL_HOME/explorer-keys.env (mode 0600) and reused on the next run, so a bookmarked login
keeps working; the admin key likewise. The keys are printed: this is a local demo on loopback.

    python -m callintel_dagster.cli.explore [--host 127.0.0.1] [--port 8000]
"""

import argparse
import os
import secrets
import sys
from pathlib import Path

from dotenv import dotenv_values

from callintel_dagster.env import current_env
from callintel_dagster.explorer.settings import ADMIN_KEY_ENV
from callintel_dagster.lib.tenants.registry import RegistryError, load_registry

KEYS_FILE = "explorer-keys.env"


def demo_keys(path: Path, names: list[str], environ: dict) -> dict[str, str]:
    """{variable: key} for every name unset in `environ`: the file's key, else a new one (the
    file is rewritten with them, 0600). Keys already set in the environment are never stored."""
    kept = {k: v for k, v in dotenv_values(path).items() if v} if path.exists() else {}
    missing = [n for n in names if not environ.get(n)]
    keys = {n: kept.get(n) or secrets.token_urlsafe(24) for n in missing}
    if any(n not in kept for n in missing):  # a new key: keep it for the next run
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write("# the call explorer's demo keys (make explore); delete to make new ones\n")
            fh.writelines(f"{name}={value}\n" for name, value in {**kept, **keys}.items())
        os.chmod(path, 0o600)  # an older file made with a wider mode is narrowed too
    return keys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The call explorer on the demo data.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    env = current_env()
    try:
        tenants = load_registry(env.tenants_path).active
    except RegistryError as exc:
        print(f"make explore: {exc}", file=sys.stderr)
        return 2
    names = [t.explorer.key_env_for(t.id) for t in tenants] + [ADMIN_KEY_ENV]
    keys = demo_keys(env.home / KEYS_FILE, names, dict(os.environ))
    os.environ.update(keys)
    print(f"\nThe call explorer: http://{args.host}:{args.port}  (API docs: /api/docs)")
    for tenant in tenants:
        name = tenant.explorer.key_env_for(tenant.id)
        print(f"  {tenant.id:<20} key {os.environ[name]}")
    print(f"  {'admin (all tenants)':<20} key {os.environ[ADMIN_KEY_ENV]}")
    print(f"  (kept in {env.home / KEYS_FILE}; API: Authorization: Bearer <key>)\n", flush=True)
    from callintel_dagster.cli.main import main as callintel

    return callintel(["serve", "--host", args.host, "--port", str(args.port)])


if __name__ == "__main__":
    sys.exit(main())
