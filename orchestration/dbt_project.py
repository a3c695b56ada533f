"""The dbt project as Dagster sees it. Kept alone in this module: dagster-dbt's
`project prepare-and-package --file` imports it before any manifest exists."""

from __future__ import annotations

import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from orchestration.settings import DBT_PROJECT_DIR, export_dbt_env

# The dbt installed beside this Python, so it is found without an activated venv.
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))
_GENERATED = {"target", "logs", "dbt_packages"}

export_dbt_env()

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def manifest_is_stale(project: DbtProject = dbt_project) -> bool:
    """True when the manifest is missing or older than any source file of the dbt project.
    A stale manifest makes Dagster miss new models and tests (a dbt run then fails on them)."""
    manifest = Path(project.manifest_path)
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    return any(
        path.stat().st_mtime > built
        for path in Path(project.project_dir).rglob("*")
        if path.is_file() and not _GENERATED & set(path.relative_to(project.project_dir).parts)
    )


# Parse before the code location loads whenever the project changed since the last parse
# (`dagster dev` re-parses on its own; CLI runs, tests and schedules rely on this).
if manifest_is_stale():
    DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE).cli(
        ["--quiet", "parse"], target_path=dbt_project.target_path
    ).wait()
else:
    dbt_project.prepare_if_dev()
