"""Where a contract column lands in its staging model.

The staging model `stg_<schema>__<table>` selects the raw table's columns, renaming a few
(`treated_volume as treated_volume_10k_t`) and adding derived ones. Its SQL is the one place a
rename is written, and its YAML documents every column it has: both are read here, not
restated in the contract."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from orchestration.ingest.contract import FeedContract
from orchestration.settings import DBT_PROJECT_DIR

STAGING_DIR = DBT_PROJECT_DIR / "models" / "staging"

LINEAGE_COLUMNS = ("source_sha256", "source_file", "source_row", "loaded_at")
"""The loader's bookkeeping columns (`_source_sha256` …) as every staging model names them."""

# one select item that only renames a column: `    treated_volume as treated_volume_10k_t,`
_RENAME = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s+as\s+([a-z_][a-z0-9_]*)\s*,?\s*$", re.I | re.M)


@dataclass(frozen=True)
class StagedModel:
    name: str  # stg_raw__sewage
    columns: tuple[str, ...]  # every column the model documents, in its YAML's order
    renames: Mapping[str, str]  # raw column → staged column, for the plain renames

    @property
    def relation(self) -> str:
        return f"staging.{self.name}"

    def column_of(self, raw_column: str) -> str | None:
        """The staged name of a raw column, None when the model does not stage it."""
        name = self.renames.get(raw_column, raw_column)
        return name if name in self.columns else None


def staging_model_name(contract: FeedContract) -> str:
    """`raw.sewage` → `stg_raw__sewage` (dbt Labs: stg_<source>__<entity>)."""
    schema, table = contract.table.split(".")
    return f"stg_{schema}__{table}"


def staged_model(contract: FeedContract, staging_dir: Path = STAGING_DIR) -> StagedModel:
    return _staged_model(staging_model_name(contract), staging_dir)


@cache
def _staged_model(name: str, staging_dir: Path) -> StagedModel:
    sql = (staging_dir / f"{name}.sql").read_text(encoding="utf-8")
    renames = {raw: staged for raw, staged in _RENAME.findall(sql) if raw != staged}
    return StagedModel(name, _documented_columns(name, staging_dir), renames)


def _documented_columns(model: str, staging_dir: Path) -> tuple[str, ...]:
    for path in sorted(staging_dir.glob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for entry in document.get("models") or []:
            if entry.get("name") == model:
                return tuple(column["name"] for column in entry.get("columns") or [])
    raise FileNotFoundError(f"{model}: no YAML in {staging_dir} documents its columns")
