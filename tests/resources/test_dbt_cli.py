import subprocess

import pytest

from callintel_dagster.dbt_project import dbt_project
from callintel_dagster.resources.dbt import DbtCoreCli

pytestmark = pytest.mark.integration  # starts the dbt executable


def test_version_from_metadata_matches_the_dbt_executable(defs):
    dbt = defs.resources["dbt"]
    assert isinstance(dbt, DbtCoreCli)
    printed = subprocess.check_output([dbt.dbt_executable, "--version"], text=True)
    assert f"installed: {dbt._cli_version}" in printed
    assert (
        DbtCoreCli(project_dir=dbt_project, dbt_executable=dbt.dbt_executable)._cli_version.major
        < 2
    )
