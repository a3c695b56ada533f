"""The code location loads, and its wiring is what the docs say."""

from __future__ import annotations

import os

from dagster import AssetKey

from orchestration.definitions import build_definitions
from orchestration.defs.ingestion import FEEDS


def test_definitions_load_and_validate() -> None:
    defs = build_definitions()
    defs.validate_loadable(defs)
    assert defs.resolve_job_def("refresh_all") is not None
    assert defs.resolve_schedule_def("daily_refresh").cron_schedule == "0 6 * * *"


def test_every_check_targets_a_real_asset() -> None:
    # A check on a key that does not exist loads silently (STACK-NOTES), so assert it here.
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    materialisable = set(graph.materializable_asset_keys)
    check_keys = list(graph.asset_check_keys)
    assert check_keys, "no asset checks defined"
    for check_key in check_keys:
        assert check_key.asset_key in materialisable, check_key


def test_gx_gates_are_blocking_and_guard_the_staged_tables() -> None:
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    gx_checks = [k for k in graph.asset_check_keys if k.name.startswith("gx_")]
    # every feed's staged table is gated, and the two tables of submitted workbooks
    staged = {f"stg_raw__{feed}" for feed in FEEDS} | {
        "stg_raw__submission_metric_values",
        "stg_raw__submission_task_progress",
    }
    assert {k.asset_key for k in gx_checks} == {AssetKey(["staging", n]) for n in staged}
    assert all(graph.get_check_spec(k).blocking for k in gx_checks)


def test_assets_that_open_the_warehouse_share_the_duckdb_pool() -> None:
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    readers = {AssetKey(["submissions", "templates"]), AssetKey(["exports", "assessment_workbook"])}
    for key in graph.materializable_asset_keys - readers:
        node = graph.get(key)
        pools = {op.pool for op in node.assets_def.node_def.iterate_op_defs()}
        assert pools == {"duckdb"}, (key, pools)


def test_publication_depends_on_the_city_targets_mart() -> None:
    graph = build_definitions().resolve_asset_graph()
    parents = graph.get(AssetKey(["published", "assessment"])).parent_keys
    assert AssetKey(["marts", "fct_city_targets"]) in parents


def test_a_changed_dbt_file_makes_the_manifest_stale(tmp_path) -> None:
    # Dagster would otherwise miss new models and tests, and a dbt run would fail on them.
    from types import SimpleNamespace

    from orchestration.dbt_project import manifest_is_stale

    (tmp_path / "models").mkdir()
    (tmp_path / "target").mkdir()
    model, manifest = tmp_path / "models" / "m.sql", tmp_path / "target" / "manifest.json"
    project = SimpleNamespace(project_dir=tmp_path, manifest_path=manifest)
    model.write_text("select 1")
    assert manifest_is_stale(project)  # no manifest yet
    manifest.write_text("{}")
    os.utime(model, (1, 1))
    assert not manifest_is_stale(project)
    (tmp_path / "target" / "run_results.json").write_text("{}")  # generated: ignored
    assert not manifest_is_stale(project)
    model.write_text("select 2")
    os.utime(manifest, (1, 1))
    assert manifest_is_stale(project)


def test_templates_never_open_the_warehouse() -> None:
    # Writing templates needs only the seeds: it must not wait for the warehouse's writer.
    node = build_definitions().resolve_asset_graph().get(AssetKey(["submissions", "templates"]))
    assert {op.pool for op in node.assets_def.node_def.iterate_op_defs()} == {None}
    assert not node.assets_def.required_resource_keys - {"io_manager"}


def test_publication_and_export_follow_the_models_in_the_warehouse_step() -> None:
    # One step builds the models, records them, publishes what changed and exports the new
    # versions: a run stopped between the three finishes them on the next run.
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    published, export = (
        AssetKey(["published", "assessment"]),
        AssetKey(["exports", "assessment_workbook"]),
    )
    step = graph.get(published).assets_def
    assert step is graph.get(export).assets_def
    assert step is graph.get(AssetKey(["marts", "fct_kpi_facts"])).assets_def
    assert published in graph.get(export).parent_keys
    assert export in defs.resolve_job_def("refresh_all").asset_layer.executable_asset_keys


def test_jobs_run_in_process() -> None:
    # All warehouse writers are serialised by the pool: a process per step would buy nothing.
    defs = build_definitions()
    for job in defs.resolve_all_job_defs():
        if job.name.startswith("__"):
            continue
        assert job.executor_def.name == "in_process", job.name


def test_every_check_has_a_description() -> None:
    graph = build_definitions().resolve_asset_graph()
    missing = [k for k in graph.asset_check_keys if not graph.get_check_spec(k).description]
    assert not missing, missing[:10]


def test_the_build_state_is_downstream_of_every_model() -> None:
    # Recorded last: a build stopped before it leaves its nodes due (defs/transform/changes.py).
    graph = build_definitions().resolve_asset_graph()
    state = graph.get(AssetKey(["warehouse", "build_state"]))
    dbt_keys = {k for k in graph.materializable_asset_keys if k.path[0] in ("staging", "marts")}
    assert dbt_keys <= set(state.parent_keys)


def test_the_submission_sensor_starts_the_intake_job() -> None:
    defs = build_definitions()
    sensor = defs.resolve_sensor_def("submission_sensor")
    assert sensor.job_name == "submission_intake"
    job = defs.resolve_job_def("submission_intake")
    assert {k.path[-1] for k in job.asset_layer.executable_asset_keys} == {
        "submission_versions",
        "submission_covers",
        "submission_task_progress",
        "submission_metric_values",
    }
