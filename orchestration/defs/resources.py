"""Resources, built from settings at definition time so tests can point them elsewhere."""

from __future__ import annotations

from functools import cached_property
from importlib import metadata

from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource
from packaging import version

from orchestration import settings
from orchestration.dbt_project import DBT_EXECUTABLE, dbt_project


class OfflineDbtCliResource(DbtCliResource):
    """dagster-dbt learns dbt's version by running `dbt --version`, which asks PyPI for the
    latest release of dbt-core and each adapter: a network call per step, and the platform runs
    offline. The installed version answers the same question without leaving the machine."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(metadata.version("dbt-core"))


# The single pool every DuckDB writer and reader of the working file belongs to (dagster.yaml).
DUCKDB_POOL = "duckdb"


def build_resources() -> dict[str, object]:
    settings.export_dbt_env()
    warehouse = settings.warehouse_path()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    return {
        "duckdb": DuckDBResource(database=str(warehouse)),
        "dbt": OfflineDbtCliResource(
            project_dir=dbt_project,
            profiles_dir=str(dbt_project.profiles_dir),
            dbt_executable=DBT_EXECUTABLE,
        ),
    }
