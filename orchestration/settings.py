"""Where things live. Every path can be moved with an environment variable, so tests and
benchmarks run in a temporary directory while the demo uses the project's own folders."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
FEEDS_DIR = Path(__file__).resolve().parent / "feeds"

# Switch telemetry off before any dbt, Dagster or GX code runs: the platform works offline.
for _name, _value in {
    "DAGSTER_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "GX_ANALYTICS_ENABLED": "False",
}.items():
    os.environ.setdefault(_name, _value)


def _path_from_env(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).resolve() if value else default


def raw_dir() -> Path:
    """The landing zone: departments and feeds drop files here."""
    return _path_from_env("LQ_RAW_DIR", PROJECT_ROOT / "raw")


def data_dir() -> Path:
    """Generated state: the warehouse, the content-addressed file store, published copies."""
    return _path_from_env("LQ_DATA_DIR", PROJECT_ROOT / "warehouse")


def warehouse_path() -> Path:
    """The working DuckDB file. One writer at a time (see docs/architecture.md)."""
    return _path_from_env("LQ_WAREHOUSE", data_dir() / "langfang_quality.duckdb")


def dbt_target_dir() -> Path:
    """dbt's target folder for the runs on this warehouse: its partial-parse state is valid
    only for one profile, and the profile names the warehouse file, so each warehouse keeps
    its own (a shared one would make every run on another warehouse parse the project anew)."""
    warehouse = warehouse_path()
    return warehouse.with_name(f"{warehouse.stem}.dbt_target")


def file_store_dir() -> Path:
    """Raw files kept exactly as delivered, named by their sha256."""
    return data_dir() / "file_store"


def feedback_dir() -> Path:
    """Reports returned to units for each processed submission (HTML, Chinese)."""
    return data_dir() / "feedback"


def templates_dir() -> Path:
    """Blank submission templates, one per unit and period, ready to send out."""
    return data_dir() / "templates"


def settle_seconds() -> float:
    """A landed file younger than this may still be being copied: leave it for the next pass."""
    return float(os.environ.get("LQ_SETTLE_SECONDS", "5"))


def published_path() -> Path:
    """The read-only copy for the statistics bureau; the pipeline never holds it open."""
    return _path_from_env("LQ_PUBLISHED", data_dir() / "published" / "assessment.duckdb")


def exports_dir() -> Path:
    """Workbooks exported from the published file for the bureau (`lq export`)."""
    return published_path().parent / "exports"


def export_dbt_env() -> None:
    """dbt's profiles.yml reads the warehouse path from the environment."""
    os.environ["LQ_WAREHOUSE"] = str(warehouse_path())


def environment_for(workdir: Path) -> dict[str, str]:
    """Variables that put every path of the platform below `workdir` (tests, benchmarks)."""
    return {
        "LQ_DATA_DIR": str(workdir / "warehouse"),
        "LQ_RAW_DIR": str(workdir / "raw"),
        "LQ_WAREHOUSE": str(workdir / "warehouse" / "langfang_quality.duckdb"),
        "DAGSTER_HOME": str(workdir / "dagster_home"),
    }


def prepare_dagster_home(home: Path) -> None:
    """An instance folder with the project's dagster.yaml (DuckDB pool, telemetry off), its
    event log placed in this folder even when $DAGSTER_HOME names another (tests, benchmarks)."""
    home.mkdir(parents=True, exist_ok=True)
    import yaml  # Dagster's own dependency; only needed here

    config = yaml.safe_load((PROJECT_ROOT / "dagster.yaml").read_text(encoding="utf-8"))
    event_log = config["event_log_storage"].setdefault("config", {})
    event_log["base_dir"] = str(home.resolve() / "history" / "runs")
    (home / "dagster.yaml").write_text(
        "# Made from the project's dagster.yaml by orchestration.settings.prepare_dagster_home\n"
        + yaml.safe_dump(config, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
