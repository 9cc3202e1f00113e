"""A broken tenants.yaml fails the definitions load itself, with the registry's one-line reason:
in `dagster definitions validate` (which `make test` runs), in the UI's code location and in
`make demo`, instead of later in sensor skips, schedule ticks and runs."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from callintel_dagster.definitions import build_defs
from callintel_dagster.env import REPO_ROOT, current_env
from callintel_dagster.lib.tenants.registry import RegistryError

GOOD = "  - {id: acme, name: Acme, timezone: Asia/Kolkata}\n"
BROKEN = {
    "unknown provider": (
        "  - {id: acme, name: A, timezone: UTC, calls: {provider: hubspot}}\n",
        "field 'calls'",
    ),
    "misspelt timezone": ("  - {id: acme, name: A, timezone: Asia/Kolkatta}\n", "timezone"),
    "duplicate id": (GOOD + GOOD, "duplicate tenant id"),
    "missing name": ("  - {id: acme, timezone: UTC}\n", "field 'name'"),
    "non-E.164 recipient": (
        "  - {id: acme, name: A, timezone: UTC, digest: {provider: outbox, "
        "recipients: ['98123 45678']}}\n",
        "E.164",
    ),
    "YAML syntax": ("  - {id: acme, name: [A, timezone: UTC}\n", "not valid YAML"),
}


def _write(tmp_path, body: str):
    path = tmp_path / "tenants.yaml"
    path.write_text("tenants:\n" + body)
    return path


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_definitions_refuse_a_broken_registry(case, tmp_path, monkeypatch):
    body, fragment = BROKEN[case]
    path = _write(tmp_path, body)
    monkeypatch.setenv("CALLINTEL_TENANTS", str(path))
    monkeypatch.setenv("CALLINTEL_HOME", str(tmp_path / "home"))
    with pytest.raises(RegistryError) as err:
        build_defs(current_env())
    assert str(path) in str(err.value) and fragment in str(err.value)


def _run(args, tmp_path, tenants):
    env = {
        **os.environ,
        "CALLINTEL_TENANTS": str(tenants),
        "CALLINTEL_HOME": str(tmp_path / "home"),
        "DAGSTER_HOME": str(tmp_path),
    }
    env.pop("CALLINTEL_WAREHOUSE_URL", None)
    return subprocess.run(
        args, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_demo_prints_the_one_line_and_no_traceback(tmp_path):
    tenants = _write(tmp_path, BROKEN["misspelt timezone"][0])
    done = _run([sys.executable, "-m", "callintel_dagster.cli.demo"], tmp_path, tenants)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == [line for line in lines if "Traceback" not in line]
    assert any(str(tenants) in line and "Asia/Kolkatta" in line for line in lines)
    assert len(lines) <= 2, done.stderr


def test_dagster_definitions_validate_fails_on_a_broken_registry(tmp_path):
    tenants = _write(tmp_path, BROKEN["duplicate id"][0])
    dagster = str(Path(sys.executable).parent / "dagster")  # the one beside this interpreter
    done = _run([dagster, "definitions", "validate", "-w", "workspace.yaml"], tmp_path, tenants)
    assert done.returncode != 0
    assert "duplicate tenant id" in done.stdout + done.stderr
