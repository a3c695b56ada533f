"""Resources, built from settings at definition time so tests can point them elsewhere."""

from __future__ import annotations

from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from orchestration import settings
from orchestration.dbt_project import DBT_EXECUTABLE, dbt_project

# The single pool every DuckDB writer and reader of the working file belongs to (dagster.yaml).
DUCKDB_POOL = "duckdb"


def build_resources() -> dict[str, object]:
    settings.export_dbt_env()
    warehouse = settings.warehouse_path()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    return {
        "duckdb": DuckDBResource(database=str(warehouse)),
        "dbt": DbtCliResource(
            project_dir=dbt_project,
            profiles_dir=str(dbt_project.profiles_dir),
            dbt_executable=DBT_EXECUTABLE,
        ),
    }
