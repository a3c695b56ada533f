"""The dbt project as Dagster assets: specs, dbt-test checks and the build graph, read once
from the manifest."""

from __future__ import annotations

import json
from pathlib import Path

from dagster import AssetKey, AssetSpec
from dagster_dbt.asset_utils import build_dbt_specs

from orchestration.dbt_project import dbt_project
from orchestration.defs.transform.changes import ManifestGraph
from orchestration.defs.transform.translator import TRANSLATOR

MANIFEST = json.loads(Path(dbt_project.manifest_path).read_text(encoding="utf-8"))

DBT_SPECS, DBT_CHECK_SPECS = build_dbt_specs(
    translator=TRANSLATOR,
    manifest=MANIFEST,
    select="fqn:*",
    exclude="",
    selector="",
    io_manager_key=None,
    project=dbt_project,
)
DBT_KEYS = tuple(spec.key for spec in DBT_SPECS)

# What every node was last built from, recorded last by each completed build (changes.py).
STATE_KEY = AssetKey(["warehouse", "build_state"])
STATE_SPEC = AssetSpec(
    STATE_KEY,
    deps=[spec.key for spec in DBT_SPECS],
    group_name="marts",
    kinds={"dbt"},
    description="构建记录 / build state: what every dbt node was last built from (its code "
    "version and, for the staging models, the data version of the raw tables it read). "
    "Recorded last by each completed build; the next run builds only what differs.",
)

GRAPH = ManifestGraph.build(
    MANIFEST,
    key_of=lambda uid: TRANSLATOR.get_asset_spec(MANIFEST, uid, dbt_project).key,
    code_version_of=TRANSLATOR.get_code_version,
)
_BY_NAME = {node.name: node for node in GRAPH.nodes.values()}


def model_key(model_name: str) -> AssetKey:
    """The Dagster key of a dbt model, looked up rather than hand-written."""
    try:
        return _BY_NAME[model_name].key
    except KeyError:
        raise KeyError(f"no dbt model or seed named {model_name!r}") from None


def model_unique_id(model_name: str) -> str:
    return _BY_NAME[model_name].unique_id
