"""Submissions through the main job on the shared fixture warehouse: every workbook
accounted for, every injected mistake returned with its kind, KPIs from the current accepted
annual reports, timeliness, and the GX gates."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey

from tests.conftest import Pipeline


def _query(path: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(sql, params or []).fetchall()


def test_submission_assets_and_gates_ran(pipeline: Pipeline) -> None:
    materialised = {e.asset_key for e in pipeline.result.get_asset_materialization_events()}
    for key in (
        AssetKey(["raw", "submission_versions"]),
        AssetKey(["raw", "submission_metric_values"]),
        AssetKey(["staging", "stg_raw__submission_task_progress"]),
        AssetKey(["intermediate", "int_kpi__submitted_metrics"]),
        AssetKey(["marts", "fct_submission_timeliness"]),
        AssetKey(["marts", "fct_task_progress"]),
        AssetKey(["marts", "fct_task_status"]),
    ):
        assert key in materialised, key
    checks = {e.check_name: e for e in pipeline.result.get_asset_check_evaluations()}
    for name in ("gx_stg_raw__submission_metric_values", "gx_stg_raw__submission_task_progress"):
        assert checks[name].passed, name
        assert checks[name].metadata["rows_validated"].value > 0


def test_every_delivered_workbook_is_accounted_for(pipeline: Pipeline) -> None:
    delivered = {p.resolve() for p in pipeline.submissions.files}
    versions = _query(
        pipeline.warehouse,
        """
        select v.source_file, v.status, v.rows_read, v.rows_loaded, v.rows_quarantined,
            (select count(*) from raw.submission_covers c where c._source_sha256 = v.sha256)
          + (select count(*) from raw.submission_task_progress t where t._source_sha256 = v.sha256)
          + (select count(*) from raw.submission_metric_values m where m._source_sha256 = v.sha256),
            (select count(*) from raw.quarantine q where q.source_sha256 = v.sha256)
        from raw.submission_versions v""",
    )
    duplicates = pipeline.submissions.injected_errors.get("duplicate_delivery", 0)
    assert len(versions) == len(delivered) - duplicates
    for name, _, read, loaded, quarantined, in_tables, in_quarantine in versions:
        assert read == loaded + quarantined, name
        assert (loaded, quarantined) == (in_tables, in_quarantine), name
    files = _query(
        pipeline.warehouse,
        "select count(*), sum(rows_read), sum(rows_loaded + rows_quarantined) "
        "from raw.ingested_files where feed = 'submissions'",
    )[0]
    assert files[0] == len(versions) and files[1] == files[2]


def test_every_injected_mistake_returns_the_workbook_with_its_kind(pipeline: Pipeline) -> None:
    injected = {
        kind: n
        for kind, n in pipeline.submissions.injected_errors.items()
        if kind not in ("hostile_file", "foreign_workbook", "duplicate_delivery")
    }
    assert sum(injected.values()) > 0
    problems = [
        p["kind"]
        for (text,) in _query(
            pipeline.warehouse,
            "select problems from raw.quarantine where feed = 'submissions'",
        )
        for p in json.loads(text)
    ]
    kind_map = {"bad_date": "not_a_date"}  # the generator's name for the parser's kind
    for kind, count in injected.items():
        assert problems.count(kind_map.get(kind, kind)) >= count, (kind, count)
    returned = _query(
        pipeline.warehouse, "select count(*) from raw.submission_versions where status = 'returned'"
    )[0][0]
    assert returned == sum(injected.values())
    rejected = _query(
        pipeline.warehouse,
        "select source_file from raw.submission_versions where status = 'rejected'",
    )
    hostile = pipeline.submissions.injected_errors.get("hostile_file", 0)
    foreign = pipeline.submissions.injected_errors.get("foreign_workbook", 0)
    assert len(rejected) == hostile + foreign


def test_city_kpis_come_from_the_current_accepted_annual_report(pipeline: Pipeline) -> None:
    # Independent of dbt: the last accepted 2016Y version of each owner, straight from raw.
    expected = dict(
        _query(
            pipeline.warehouse,
            """
            with current_version as (
                select unit_code, arg_max(sha256, received_at) as sha256
                from raw.submission_versions
                where period_code = '2016Y' and status = 'accepted'
                group by unit_code
            )
            select m.kpi_code, m.value
            from raw.submission_metric_values m
            join current_version c on m._source_sha256 = c.sha256
            join reference.ref_kpi_catalogue k on k.kpi_code = m.kpi_code
            where k.scope = 'city'""",
        )
    )
    assert len(expected) > 20
    actual = dict(
        _query(
            pipeline.warehouse,
            "select kpi_code, actual_value from marts.fct_city_targets "
            "where assessment_year = 2016 and source_feed = 'submissions'",
        )
    )
    for kpi_code, value in expected.items():
        assert actual[kpi_code] == pytest.approx(value, abs=1e-4), kpi_code  # marts round to 4


def test_timeliness_shows_on_time_late_and_missing(pipeline: Pipeline) -> None:
    counts = dict(
        _query(
            pipeline.warehouse,
            "select timeliness, count(*) from marts.fct_submission_timeliness group by all",
        )
    )
    assert counts["on_time"] > counts["late"] > 0
    assert counts["missing"] >= pipeline.submissions.other_counts["not_submitted"]
    obligations = _query(
        pipeline.warehouse, "select count(*) from intermediate.int_submissions__obligations"
    )[0][0]
    assert sum(counts.values()) == obligations
