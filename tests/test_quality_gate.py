"""A staged table that fails its Great Expectations suite stops the assessment in the same run."""

from __future__ import annotations

from pathlib import Path

import duckdb
from dagster import AssetKey, DagsterInstance

from orchestration import settings
from orchestration.sample_data.spot_checks import generate_spot_checks
from tests.conftest import run_refresh_all


def _bad_row_into_raw(warehouse: Path) -> None:
    """Simulate a faulty upstream writer: a row the loader would never have accepted."""
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("""
            insert into raw.spot_checks by name
            select * replace ('GATE-TEST-1' as sample_no, 'NOT-A-CREDIT-CODE' as credit_code,
                              date '1999-01-01' as sampled_on, 100000 as _source_row)
            from raw.spot_checks limit 1""")


def test_failing_gx_suite_blocks_the_marts_and_the_publication(isolated_env: Path) -> None:
    generate_spot_checks(settings.raw_dir(), [2015], scale=0.05, error_rate=0.0)
    instance = DagsterInstance.ephemeral()
    first = run_refresh_all(instance)
    assert first.success

    _bad_row_into_raw(settings.warehouse_path())
    second = run_refresh_all(instance)

    assert not second.success
    check = next(
        e for e in second.get_asset_check_evaluations() if e.check_name == "gx_stg_raw__spot_checks"
    )
    assert not check.passed
    failing = {k: v.value for k, v in check.metadata.items() if "FAILED" in str(v.value)}
    assert any("credit_code" in k and "NOT-A-CREDIT-CODE" in v for k, v in failing.items()), failing
    materialised = {e.asset_key for e in second.get_asset_materialization_events()}
    assert AssetKey(["staging", "stg_raw__spot_checks"]) in materialised
    assert AssetKey(["marts", "fct_city_targets"]) not in materialised
    assert AssetKey(["published", "assessment"]) not in materialised
    with duckdb.connect(str(settings.published_path()), read_only=True) as conn:
        assert conn.execute("select count(*) from publications").fetchall()[0][0] == 1
