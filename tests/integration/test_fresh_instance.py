"""A fresh Dagster instance: one tenant-day can be materialized from the CLI straight away (the
tenants are registered when definitions load), and the partition grid starts at the first day."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from callintel_dagster.env import REPO_ROOT
from callintel_dagster.partitions import DEFAULT_FIRST_DAY, daily_partitions, first_day
from conftest import TENANTS_YAML


def test_one_tenant_day_materializes_on_a_fresh_instance(tmp_path):
    (tmp_path / "tenants.yaml").write_text(TENANTS_YAML)
    home = tmp_path / "dagster_home"
    home.mkdir()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "CALLINTEL_HOME": str(tmp_path / "home"),
        "CALLINTEL_TENANTS": str(tmp_path / "tenants.yaml"),
    }
    env.pop("CALLINTEL_WAREHOUSE_URL", None)
    dagster = str(Path(sys.executable).parent / "dagster")
    done = subprocess.run(
        [
            *(dagster, "asset", "materialize", "-m", "callintel_dagster.definitions"),
            *("--select", "crm_leads", "--partition", "2026-11-18|acme"),
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "RUN_SUCCESS" in done.stdout + done.stderr


def test_partitions_start_at_the_first_day(monkeypatch):
    assert daily_partitions.start.strftime("%Y-%m-%d") == first_day() == DEFAULT_FIRST_DAY
    monkeypatch.setenv("CALLINTEL_FIRST_DAY", "2025-13-01")
    with pytest.raises(ValueError, match="CALLINTEL_FIRST_DAY"):
        first_day()
    monkeypatch.setenv("CALLINTEL_FIRST_DAY", "2025-06-01")
    assert first_day() == "2025-06-01"
