"""Every dbt unit test of the project runs, with the real dbt, and passes.

Production runs leave the unit tests out (`dbt build --exclude-resource-type unit_test`): they
test the SQL, not the data, so CI runs them here. A unit test needs its model's direct parents
to exist (dbt reads their columns), so one `dbt build --empty` into a temporary DuckDB file
creates every seed and model (models without rows) and runs each unit test before its model.
The count of unit tests that passed must equal the count defined: a selection that silently
ran none fails."""

from __future__ import annotations

import json
from pathlib import Path

from tests.feed_helpers import FeedWarehouse, run_dbt


def test_every_dbt_unit_test_runs_and_passes(tmp_path: Path) -> None:
    wh = FeedWarehouse(tmp_path)
    wh.ensure_sources()  # the raw tables the staging models read (empty)
    result = run_dbt(wh.workdir, wh.env, "build", "--empty", "--exclude-resource-type", "test")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]

    target = wh.workdir / "dbt_target"
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    defined = set(manifest["unit_tests"])
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    ran = {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")}
    assert len(defined) >= 50
    assert ran == dict.fromkeys(defined, "pass")
