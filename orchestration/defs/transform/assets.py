"""The warehouse models: every dbt node in one Dagster step, with the Great Expectations gates
run inside it, between the staged tables and what is built from them.

One step, because DuckDB has one writer and a step costs a process, an import of the code
location and a pool claim (docs/architecture.md, "Execution"). Inside it:

1. plan (changes.py): which nodes changed — new or corrected deliveries in their raw tables,
   a changed model, seed, macro or var, a node missing from the warehouse or never
   materialised — each with everything downstream. Nothing changed: nothing runs.
2. gates (gates.py): the changed staged tables' new rows are validated; a failing gate holds
   back the nodes built from that feed alone, and the publication.
3. `dbt build` of the plan (unit tests excluded: they run in CI, `tests/test_dbt_unit_tests.py`,
   and on demand with `dbt test --select test_type:unit`).
4. the materialisations are recorded only now, descendants before ancestors, and only for
   nodes whose whole build below them succeeded: a run killed or failed anywhere leaves what
   it did not finish looking changed, and the next run does it again."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetCheckKey,
    AssetCheckResult,
    AssetExecutionContext,
    AssetKey,
    AssetMaterialization,
    Config,
    DagsterInstance,
    DataVersion,
    Failure,
    MetadataValue,
    Output,
    multi_asset,
)
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from orchestration import settings
from orchestration.crash_points import crash_point
from orchestration.defs.exports.assets import EXPORT_KEY, EXPORT_SPEC, export_years, pending_years
from orchestration.defs.publication.assets import (
    PUBLISHED_KEY,
    PUBLISHED_MARTS,
    PUBLISHED_SPEC,
    publication_pending,
    publish_every_year,
)
from orchestration.defs.refresh.up_to_date import INPUTS_TAG, record_outputs
from orchestration.defs.resources import DUCKDB_POOL
from orchestration.defs.transform.changes import BOOKKEEPING, BuildPlan, next_state, plan_build
from orchestration.defs.transform.gates import (
    GATES,
    LOADED_THROUGH,
    Gate,
    check_result,
    loaded_through,
    new_deliveries,
    run_gate,
)
from orchestration.defs.transform.manifest import (
    DBT_CHECK_SPECS,
    DBT_SPECS,
    GRAPH,
    MANIFEST,
    STATE_KEY,
    STATE_SPEC,
)
from orchestration.defs.transform.translator import TRANSLATOR

WAREHOUSE_STEP = "warehouse_models"
BY_KEY = GRAPH.by_key()
NO_UNIT_TESTS = ["--exclude-resource-type", "unit_test"]


def _names(unique_ids: set[str]) -> list[str]:
    return sorted(GRAPH.nodes[uid].name for uid in unique_ids)


def _dbt_build(
    context: AssetExecutionContext,
    dbt: DbtCliResource,
    nodes: set[str],
    *,
    tests: str,
    full_refresh: bool = False,
) -> tuple[list[Any], bool]:
    """`dbt build` of exactly these nodes and their data tests (`tests`: dbt's indirect
    selection, "eager" or "buildable"); the events are held back for recording."""
    # One --select value (space-separated nodes): dagster-dbt reads a single value per flag.
    # No JSON artifacts: the events stream says what was built and what failed, and writing
    # manifest.json twice costs about a second per invocation.
    args = ["build", "--select", " ".join(_names(nodes)), *NO_UNIT_TESTS, "--no-write-json"]
    args += ["--indirect-selection", tests]
    if full_refresh:
        args.append("--full-refresh")
    # The warehouse's own target folder: dbt's partial-parse state there stays valid from one
    # run to the next (a scratch folder per call made dbt parse the whole project each time,
    # ≈ 4 s, whenever the warehouse was not the one the project's own state was parsed for).
    # No `context`: the selection is the plan's, never dagster-dbt's own (which, for a subset
    # of this step's assets, would add every selected dbt node); the events are mapped here.
    target = settings.dbt_target_dir()
    target.mkdir(parents=True, exist_ok=True)
    invocation = dbt.cli(
        args,
        manifest=MANIFEST,
        dagster_dbt_translator=TRANSLATOR,
        target_path=target,
        raise_on_error=False,
    )
    events = [e for raw in invocation.stream() if (e := _as_step_event(context, raw))]
    ok = invocation.is_successful()
    if not ok:
        _log_failures(context, invocation)
    return events, ok


def _as_step_event(context: AssetExecutionContext, event: Any) -> Any:
    """dagster-dbt's op-style events as this multi-asset's outputs and check results."""
    if isinstance(event, AssetMaterialization):
        if event.asset_key not in context.selected_asset_keys:
            return None
        return Output(None, output_name=_output(context, event.asset_key), metadata=event.metadata)
    if isinstance(event, AssetCheckEvaluation):
        key = AssetCheckKey(event.asset_key, event.check_name)
        if key not in context.selected_asset_check_keys:
            return None  # run by dbt's indirect selection, not asked for in this run
        return AssetCheckResult(
            asset_key=event.asset_key,
            check_name=event.check_name,
            passed=event.passed,
            metadata=event.metadata,
            severity=event.severity,
            description=event.description,
        )
    return event


def _log_failures(context: AssetExecutionContext, invocation: Any) -> None:
    """dbt's own error lines (which node, which statement, why); failed data tests are also
    failed asset checks."""
    context.log.error(f"dbt failed: {invocation.get_error()}")


def _record_order(
    context: AssetExecutionContext, events: list[Any], plan: BuildPlan, built_ok: set[str]
) -> list[Any]:
    """Outputs of the nodes whose whole selected subtree was built, in dependency order (as
    Dagster wants a multi-asset's outputs), then the check results."""
    depth = GRAPH.depth()
    failed = plan.selected - built_ok
    outputs: list[tuple[int, Output]] = []
    rest: list[Any] = []
    for event in events:
        if isinstance(event, Output):
            uid = _uid(context, event)
            if GRAPH.descendants([uid]) & failed:
                continue
            outputs.append((depth[uid], _versioned(event, uid, plan)))
        else:
            rest.append(event)
    outputs.sort(key=lambda item: item[0])
    return [o for _, o in outputs] + rest


def _versioned(output: Output, uid: str, plan: BuildPlan) -> Output:
    version = plan.source_versions.get(uid)
    metadata = dict(output.metadata or {})
    metadata["lq/why_built"] = plan.why(uid)
    if plan.loaded_through.get(uid):
        metadata[LOADED_THROUGH] = plan.loaded_through[uid]
    return Output(
        value=output.value,
        output_name=output.output_name,
        metadata=metadata,
        data_version=DataVersion(version) if version else None,
        tags=output.tags,
    )


class WarehouseConfig(Config):
    full_rebuild: bool = False
    """Rebuild every node from the raw tables (`dbt build --full-refresh`), whatever the
    build state says: `python -m orchestration.launch refresh_all --full-rebuild`."""


@multi_asset(
    name=WAREHOUSE_STEP,
    specs=[*DBT_SPECS, STATE_SPEC, PUBLISHED_SPEC, EXPORT_SPEC],
    check_specs=[*DBT_CHECK_SPECS, *(gate.spec() for gate in GATES)],
    can_subset=True,
    pool=DUCKDB_POOL,
    allow_arbitrary_check_specs=True,
    description="数据仓库: every dbt model and seed, built only when its raw data, code or "
    "reference data changed, behind the Great Expectations gates; then the publication of "
    "every year whose assessment changed, and its workbooks.",
)
def warehouse_models(
    context: AssetExecutionContext,
    config: WarehouseConfig,
    dbt: DbtCliResource,
    duckdb: DuckDBResource,
) -> Iterator[Output | AssetCheckResult]:
    database = Path(duckdb.database)
    with duckdb.get_connection() as conn:
        state = {} if config.full_rebuild else read_state(context.instance)
        plan = plan_build(GRAPH, conn, state, sorted(context.selected_asset_keys))
        gates = [
            g
            for g in GATES
            if g.unique_id in plan.selected and g.check_key in context.selected_asset_check_keys
        ]
        files = {g.name: new_deliveries(conn, g, state.get(g.unique_id)) for g in gates}
        for g in gates:
            plan.loaded_through[g.unique_id] = _iso(loaded_through(conn, g))
    if plan.nothing:
        context.log.info(
            f"Nothing to build: the {len(GRAPH.nodes)} dbt models and seeds are up to date "
            "(no new deliveries, no changed code or reference data since they were built)."
        )
        yield from _publish_and_export(context, database, marts_built=False)
        _record_outputs(context)
        return
    by_reason: dict[str, list[str]] = {}
    for uid, why in sorted(plan.reasons.items()):
        by_reason.setdefault(why, []).append(GRAPH.nodes[uid].name)
    for why, names in by_reason.items():
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        context.log.info(f"{why}: {shown} (with everything downstream)")
    context.log.info(f"{len(plan.selected)} of {len(GRAPH.nodes)} dbt nodes to build")

    events: list[Any] = []
    built: set[str] = set()

    def build(nodes: set[str], tests: str) -> bool:
        step_events, ok = _dbt_build(
            context, dbt, nodes, tests=tests, full_refresh=config.full_rebuild
        )
        events.extend(step_events)
        built.update(_built(context, step_events))
        return ok

    # A gated staged table must exist in its new form before it is validated: views whose
    # only change is new raw rows already show them; anything else is built first.
    first = (
        GRAPH.ancestors(g.unique_id for g in gates if _needs_build_before_gate(g, plan))
        & plan.selected
    )
    if first:
        # tests that also read nodes built later (a staged code against a seed) run then
        build(first, "buildable")
    crash_point("transform:before_gates")

    held_back: set[str] = set()
    failed_gates: list[str] = []
    for gate in gates:
        if gate.unique_id in first and gate.unique_id not in built:
            continue  # its model failed to build: dbt's error says why
        outcome = run_gate(database, gate, files[gate.name])
        events.append(check_result(gate, outcome, files[gate.name]))
        if not outcome.success:
            failed_gates.append(gate.name)
            held_back |= GRAPH.held_back(gate.unique_id, gate.raw_tables, BOOKKEEPING)
            context.log.error(
                f"{gate.name}: {outcome.failed} of {outcome.evaluated} expectations failed; "
                f"held back: {', '.join(_names(held_back)) or 'nothing'}"
            )
    crash_point("transform:after_gates")

    rest = plan.selected - first - held_back
    ok = build(rest, "eager") if rest else True
    crash_point("transform:after_dbt")

    recorded = built - held_back
    if failed_gates:
        # The publication reads these marts: they are built, but not recorded, so they stay
        # due and nothing is published while a feed fails its gate.
        recorded -= _published_marts()
    for event in _record_order(context, events, plan, recorded):
        yield event
        crash_point("transform:recording")
    if STATE_KEY in context.selected_asset_keys:
        yield Output(
            None,
            output_name=_output(context, STATE_KEY),
            metadata={
                "state": MetadataValue.json(next_state(state, GRAPH, plan, recorded)),
                "nodes_built": len(recorded),
                "nodes_due": len(plan.selected - recorded),
            },
        )
    crash_point("transform:state_recorded")
    if ok and not failed_gates:
        yield from _publish_and_export(
            context, database, marts_built=bool(recorded & _published_marts())
        )
        _record_outputs(context)
    else:
        context.log.error("Nothing published: the warehouse build did not complete.")
    if not ok or failed_gates:
        raise Failure(
            description="; ".join(
                [*(f"gate {name} failed" for name in failed_gates)]
                + ([] if ok else ["dbt build failed: see the step's log"])
            )
        )


def read_state(instance: DagsterInstance) -> dict[str, dict[str, Any]]:
    """What the last completed build recorded (empty before the first)."""
    event = instance.get_latest_materialization_event(STATE_KEY)
    if event is None or event.asset_materialization is None:
        return {}
    value = event.asset_materialization.metadata.get("state")
    return dict(value.value) if value is not None else {}  # type: ignore[union-attr]


def _publish_and_export(
    context: AssetExecutionContext, database: Path, *, marts_built: bool
) -> Iterator[Output]:
    """Publish when the published marts were rebuilt, or a run stopped before publishing
    what it built; export every published version that has no workbook yet."""
    selected = context.selected_asset_keys
    if PUBLISHED_KEY in selected and (marts_built or publication_pending(context.instance)):
        result = publish_every_year(context, database)
        crash_point("publication:before_record")
        yield Output(None, output_name=_output(context, PUBLISHED_KEY), metadata=result.metadata)
    if EXPORT_KEY in selected:
        years = pending_years(settings.published_path())
        if years:
            result = export_years(context, years)
            yield Output(None, output_name=_output(context, EXPORT_KEY), metadata=result.metadata)


def _record_outputs(context: AssetExecutionContext) -> None:
    """A refresh launched from known inputs records what it left, once every connection to
    the warehouse and publication is closed: the next launch can tell it has nothing to do."""
    if INPUTS_TAG in context.run.tags:
        record_outputs(context.instance, context.run_id)


def _output(context: AssetExecutionContext, key: AssetKey) -> str:
    return context.assets_def.get_output_name_for_asset_key(key)


def _needs_build_before_gate(gate: Gate, plan: BuildPlan) -> bool:
    node = GRAPH.nodes[gate.unique_id]
    why = plan.reasons.get(gate.unique_id, "")
    return node.materialized != "view" or not why.startswith("new or corrected deliveries")


def _built(context: AssetExecutionContext, events: list[Any]) -> set[str]:
    return {_uid(context, e) for e in events if isinstance(e, Output)}


def _uid(context: AssetExecutionContext, output: Output) -> str:
    """The dbt node an output of this step materialises."""
    return BY_KEY[context.assets_def.keys_by_output_name[output.output_name]].unique_id


def _published_marts() -> set[str]:
    return {BY_KEY[k].unique_id for k in PUBLISHED_MARTS if isinstance(k, AssetKey)}


def _iso(value: object) -> str | None:
    return value.isoformat(sep=" ") if value is not None else None  # type: ignore[attr-defined]
