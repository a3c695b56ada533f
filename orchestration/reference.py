"""Reference data shared by Python code. The dbt seeds are the single source of truth:
this module reads the same CSV files, so the loader and dbt can never disagree."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import yaml

from orchestration.settings import DBT_PROJECT_DIR, SEEDS_DIR


@cache
def load_seed(name: str, seeds_dir: Path = SEEDS_DIR) -> tuple[dict[str, str], ...]:
    """Rows of `dbt_project/seeds/<name>.csv` as dicts of strings."""
    with (seeds_dir / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))


@cache
def project_var(name: str) -> object:
    """A var of dbt_project.yml (plan_year, city_code …): Python and dbt share one value."""
    with (DBT_PROJECT_DIR / "dbt_project.yml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)["vars"][name]
