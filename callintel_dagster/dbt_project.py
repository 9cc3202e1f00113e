"""The dbt project (dbt_metrics/) as Dagster sees it. Absolute imports only: dagster-dbt's
`project prepare-and-package` loads this file on its own."""

from pathlib import Path

from dagster_dbt import DbtProject

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_metrics"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
