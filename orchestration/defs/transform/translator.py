"""How dbt nodes appear in Dagster: groups by layer, code versions, check descriptions."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from dagster import AssetCheckSpec, AssetSpec
from dagster_dbt import DagsterDbtTranslator, DbtProject
from dagster_dbt.asset_utils import default_code_version_fn

from orchestration.settings import DBT_PROJECT_DIR


@cache
def project_fingerprint(project_dir: Path = DBT_PROJECT_DIR) -> str:
    """A hash of what every model's SQL depends on besides its own text: the macros and the
    project file (vars). A change there changes every code version, so everything rebuilds."""
    digest = hashlib.sha256()
    macros = project_dir.joinpath("macros").rglob("*.sql")
    paths = sorted([*macros, project_dir / "dbt_project.yml"])
    for path in paths:
        digest.update(path.relative_to(project_dir).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


class LayerTranslator(DagsterDbtTranslator):
    """Groups follow the dbt folder layout (reference, staging, intermediate, marts); code
    versions cover the node's own code plus the macros and vars it may use."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else None

    def get_code_version(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        own = default_code_version_fn(dbt_resource_props)
        return f"{(own or '')[:16]}-{project_fingerprint()}"

    def get_asset_check_spec(
        self,
        asset_spec: AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        # dbt keeps a data test's `description:` on the node, dagster-dbt reads only meta.
        node = manifest["nodes"].get(unique_id, {})
        return AssetCheckSpec(
            name=spec.name,
            asset=spec.asset_key,
            description=node.get("description") or None,
            additional_deps=spec.additional_deps,
            blocking=spec.blocking,
            metadata=spec.metadata,
        )


TRANSLATOR = LayerTranslator()
