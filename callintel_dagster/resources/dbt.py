"""The dbt CLI resource, minus a subprocess per run.

dagster-dbt runs `dbt --version` on every run (~4 s on 2 cores) to tell dbt-core from dbt Fusion.
callintel installs dbt-core (pinned in uv.lock), whose version the package metadata already gives;
tests/resources/test_dbt_cli.py checks the two agree.
"""

from functools import cached_property
from importlib.metadata import version

from dagster_dbt import DbtCliResource
from packaging.version import Version


class DbtCoreCli(DbtCliResource):
    @cached_property
    def _cli_version(self) -> Version:
        return Version(version("dbt-core"))
