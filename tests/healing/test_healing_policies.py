"""The self-healing settings as shipped: step retries with backoff and jitter on the steps that
talk to providers, freshness on the sync, run monitoring and run retries in dagster.yaml."""

import dagster as dg
import pytest
import yaml

from callintel_dagster.env import REPO_ROOT
from callintel_dagster.instance.launcher import LocalRunLauncher

PROVIDER_FACING = ["crm_leads", "call_records", "call_recordings", "call_transcripts",
                   "call_analyses", "daily_ai_summary", "crm_writeback", "whatsapp_digest"]  # fmt: skip


@pytest.mark.parametrize("key", PROVIDER_FACING)
def test_provider_facing_steps_retry_with_backoff_and_jitter(defs, key):
    policy = defs.resolve_assets_def(key).op.retry_policy
    assert policy.max_retries == 2 and policy.backoff == dg.Backoff.EXPONENTIAL
    assert policy.jitter == dg.Jitter.PLUS_MINUS


def test_local_steps_are_not_retried(defs):
    assert defs.resolve_assets_def("call_signals").op.retry_policy is None


@pytest.mark.parametrize("key", ["crm_leads", "call_records"])
def test_the_sync_has_a_freshness_policy(defs, key):
    assets = defs.resolve_assets_def(key)
    policy = assets.specs_by_key[assets.key].freshness_policy
    assert policy.fail_window.to_timedelta().total_seconds() == 30 * 60


@pytest.mark.parametrize("name", ["dagster.yaml", "dagster.postgres.yaml"])
def test_shipped_instances_monitor_runs_and_retry_dead_ones(name):
    config = yaml.safe_load((REPO_ROOT / "deploy" / name).read_text())
    assert config["run_launcher"]["class"] == LocalRunLauncher.__name__
    monitoring = config["run_monitoring"]
    assert monitoring["enabled"] and monitoring["free_slots_after_run_end_seconds"] > 0
    assert config["run_retries"] == {
        "enabled": True, "max_retries": 2, "retry_on_asset_or_op_failure": False
    }  # fmt: skip


def test_the_shipped_instance_loads_the_launcher(tmp_path):
    (tmp_path / "dagster.yaml").write_text((REPO_ROOT / "deploy" / "dagster.yaml").read_text())
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert isinstance(instance.run_launcher, LocalRunLauncher)
        assert instance.run_monitoring_enabled and instance.run_retries_enabled


def test_the_digest_has_a_freshness_policy(defs):
    assets = defs.resolve_assets_def("whatsapp_digest")
    assert assets.specs_by_key[assets.key].freshness_policy.fail_window.to_timedelta().days == 1
