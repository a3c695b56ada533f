"""dbt models as Dagster assets, split in two steps so a blocking data-quality check on the
staged tables runs between them: seeds + staging first, then intermediate + marts."""

import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets, get_asset_key_for_model

from orchestration.dbt_project import dbt_project
from orchestration.resources import DUCKDB_POOL

STAGING_SELECT = "path:seeds path:models/staging"
MARTS_SELECT = "path:models/intermediate path:models/marts"


class LayerTranslator(DagsterDbtTranslator):
    """Groups follow the dbt folder layout (reference, staging, intermediate, marts)."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else None


TRANSLATOR = LayerTranslator()


def _dbt_step(name: str, select: str) -> AssetsDefinition:
    """One `dbt build` step over the selected part of the project."""

    @dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        select=select,
        name=name,
        dagster_dbt_translator=TRANSLATOR,
        pool=DUCKDB_POOL,
    )
    def _step(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[object]:
        # "buildable": a test spanning both steps (e.g. a relationship from a KPI model to a
        # seed) runs in the step where all its parents exist, not the first one that touches one.
        args = ["build", "--indirect-selection", "buildable"]
        # A scratch target folder per invocation: dagster-dbt's default keeps ~5 MB of
        # artefacts per step and run under dbt_project/target, forever. Results live on as
        # Dagster events; partial parsing still reuses the project's partial_parse.msgpack.
        with tempfile.TemporaryDirectory(prefix=f"dbt-{name}-") as target:
            yield from dbt.cli(args, context=context, target_path=Path(target)).stream()

    return _step


DBT_ASSETS = [
    _dbt_step("dbt_reference_and_staging", STAGING_SELECT),
    _dbt_step("dbt_kpis_and_marts", MARTS_SELECT),
]


def model_key(model_name: str) -> AssetKey:
    """The Dagster key of a dbt model, looked up rather than hand-written."""
    for assets_def in DBT_ASSETS:
        try:
            return get_asset_key_for_model([assets_def], model_name)
        except KeyError:
            continue
    raise KeyError(f"no dbt model named {model_name!r} in {[a.node_def.name for a in DBT_ASSETS]}")
