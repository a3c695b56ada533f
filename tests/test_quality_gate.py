"""A delivery that fails its feed's Great Expectations gate holds back what is built from that
feed alone and the publication, in the same run; the gate fails again on the next run."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance

from orchestration import settings
from sample_data.spot_checks import generate_spot_checks
from tests.conftest import run_refresh_all

# End to end (several pipeline runs or processes): `scripts/test.sh --all` and CI.
pytestmark = pytest.mark.slow


def _bad_row_into_raw(warehouse: Path) -> None:
    """Simulate a faulty upstream writer: a new delivery's row the loader would never have
    accepted (the gate validates the rows loaded since the staged table was last built)."""
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("""
            insert into raw.spot_checks by name
            select * replace ('GATE-TEST-1' as sample_no, 'NOT-A-CREDIT-CODE' as credit_code,
                              date '1999-01-01' as sampled_on, 100000 as _source_row,
                              repeat('f', 64) as _source_sha256,
                              now()::timestamp as _loaded_at)
            from raw.spot_checks limit 1""")


def test_failing_gx_gate_holds_back_its_feed_and_the_publication(isolated_env: Path) -> None:
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
    assert check.metadata["scope"].value == "1 new delivered file(s)"
    materialised = {e.asset_key for e in second.get_asset_materialization_events()}
    # held back: the feed's own models (built again once a good delivery arrives) ...
    assert AssetKey(["staging", "stg_raw__spot_checks"]) not in materialised
    assert AssetKey(["intermediate", "int_spot_checks__current"]) not in materialised
    # ... and the publication, which reads the marts built from it
    assert AssetKey(["marts", "fct_city_targets"]) not in materialised
    assert AssetKey(["published", "assessment"]) not in materialised
    with duckdb.connect(str(settings.published_path()), read_only=True) as conn:
        assert conn.execute("select count(*) from publications").fetchall()[0][0] == 1

    # nothing new since: the gate is still due, and fails again
    third = run_refresh_all(instance)
    assert not third.success
    again = [e for e in third.get_asset_check_evaluations() if e.check_name == check.check_name]
    assert again and not again[0].passed
