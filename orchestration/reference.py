"""Reference data shared by Python code. The dbt seeds are the single source of truth:
this module reads the same CSV files, so the loader and dbt can never disagree."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from orchestration.settings import SEEDS_DIR


@cache
def load_seed(name: str, seeds_dir: Path = SEEDS_DIR) -> tuple[dict[str, str], ...]:
    """Rows of `dbt_project/seeds/<name>.csv` as dicts of strings."""
    with (seeds_dir / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))
