"""The dbt project as Dagster sees it. Kept alone in this module: dagster-dbt's
`project prepare-and-package --file` imports it before any manifest exists."""

from __future__ import annotations

import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from orchestration.settings import DBT_PROJECT_DIR, export_dbt_env

# The dbt installed beside this Python, so it is found without an activated venv.
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))

export_dbt_env()

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# `dagster dev` re-parses on load; other entry points need a manifest too, so parse once if absent.
if not dbt_project.manifest_path.exists():
    DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE).cli(
        ["--quiet", "parse"], target_path=dbt_project.target_path
    ).wait()
else:
    dbt_project.prepare_if_dev()
