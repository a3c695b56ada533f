"""Publication per assessment year: versions, diffs, Parquet, readers, the yearly asset and
the quality gate in front of it."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance, materialize
from dagster_duckdb import DuckDBResource

from orchestration import settings
from orchestration.cli import main as lq_main
from orchestration.publication.parquet import parquet_dir
from orchestration.publication.tables import PUBLISHED_TABLES, TABLE_NAMES
from orchestration.publication.versions import publish_year, publish_years
from tests.conftest import Pipeline
from tests.published_warehouse import make_warehouse, query

BY_YEAR = AssetKey(["published", "assessment_by_year"])

# A bureau analyst in another process: a read-only query on the published file.
_READER = (
    "import duckdb, sys\n"
    "with duckdb.connect(sys.argv[1], read_only=True) as conn:\n"
    "    print(conn.execute('select count(*) from publications').fetchall()[0][0])\n"
)


def _read_in_another_process(published: Path) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _READER, str(published)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


def _file_digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*.parquet"))
    }


def test_a_changed_input_yields_version_2_with_a_diff_and_version_1_unchanged(
    tmp_path: Path,
) -> None:
    warehouse = make_warehouse(tmp_path / "wh.duckdb", years=(2015, 2016), kpi_score=80.0)
    published = tmp_path / "published" / "assessment.duckdb"
    first = publish_years(warehouse, published)
    assert [(r.assessment_year, r.version, r.created) for r in first] == [
        (2015, 1, True),
        (2016, 1, True),
    ]
    every_row = {n: f"select * from {n} order by all" for n in TABLE_NAMES}
    before = {n: query(published, sql) for n, sql in every_row.items()}
    records = query(published, "select * from publications order by all")
    parquet_before = _file_digests(published.parent / "parquet")
    assert len(parquet_before) == 2 * (len(TABLE_NAMES) + 2)

    # 2016's county score changes: 2016 gets version 2, 2015 nothing new
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute(
            "update marts.fct_county_scorecard set kpi_score = 75.5 where assessment_year = 2016"
        )
    second = publish_years(warehouse, published)
    assert [(r.assessment_year, r.version, r.created) for r in second] == [
        (2015, 1, False),
        (2016, 2, True),
    ]

    # earlier versions: their rows, their records and their Parquet files are byte for byte the same
    for name, sql in every_row.items():
        after = query(
            published, sql.replace(" order by", " where publication_version = 1 order by")
        )
        assert after == [r for r in before[name] if r[0] == 1], name
    assert query(published, "select * from publications where version = 1 order by all") == records
    parquet_after = _file_digests(published.parent / "parquet")
    assert {k: parquet_after[k] for k in parquet_before} == parquet_before
    assert (parquet_dir(published, 2016, 2) / "county_scorecard.parquet").exists()

    diff = query(
        published,
        "select assessment_year, version, previous_version, table_name, row_key, change, "
        "column_name, old_value, new_value from publication_diffs",
    )
    assert diff == [
        (
            2016,
            2,
            1,
            "county_scorecard",
            '{"unit_code":"GAX"}',
            "changed",
            "kpi_score",
            "80.0",
            "75.5",
        )
    ]
    latest = query(
        published,
        "select assessment_year, publication_version, kpi_score "
        "from county_scorecard_latest order by 1",
    )
    assert latest == [(2015, 1, 80.0), (2016, 2, 75.5)]
    parquet_rows = query(
        published,
        f"select kpi_score from '{parquet_dir(published, 2016, 2) / 'county_scorecard.parquet'}'",
    )
    assert parquet_rows == [(75.5,)]


def test_lq_diff_and_publications_read_the_published_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = make_warehouse(tmp_path / "wh.duckdb", actual=93.1)
    published = tmp_path / "assessment.duckdb"
    monkeypatch.setenv("LQ_PUBLISHED", str(published))
    publish_year(warehouse, published, 2015)
    make_warehouse(warehouse, actual=91.0)
    publish_year(warehouse, published, 2015)

    assert lq_main(["diff", "--year", "2015"]) == 0
    out = capsys.readouterr().out
    assert "2015: version 2 against version 1" in out
    assert "| city_targets | 0 | 0 | 2 | 2 |" in out
    assert (
        '| city_targets | {"kpi_code":"MFG_PASS_RATE"} | changed | actual_value | 93.1 | 91.0 |'
        in out
    )
    assert lq_main(["diff", "--year", "2015", "--version", "1"]) == 0
    assert "first publication of 2015" in capsys.readouterr().out
    assert lq_main(["publications"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 5  # title, header, rule, two versions


def test_a_reader_in_another_process_never_waits(tmp_path: Path) -> None:
    warehouse = make_warehouse(tmp_path / "wh.duckdb", actual=93.1)
    published = tmp_path / "assessment.duckdb"
    publish_year(warehouse, published, 2015)
    make_warehouse(warehouse, actual=91.0)
    seen: list[int] = []

    # while the publication writes the new file (and has the warehouse attached)
    publish_year_result = publish_years(
        warehouse,
        published,
        [2015],
        on_built=lambda: seen.append(_read_in_another_process(published)),
    )
    assert publish_year_result[0].version == 2
    assert seen == [1]  # the reader saw the previous file, complete
    assert _read_in_another_process(published) == 2

    # while the pipeline holds the working warehouse for writing (a dbt step, an ingestion)
    with duckdb.connect(str(warehouse)) as writer:
        writer.execute("create or replace table marts.scratch as select 1 as x")
        assert _read_in_another_process(published) == 2


def test_a_year_without_an_assessment_is_not_published(tmp_path: Path) -> None:
    warehouse = make_warehouse(tmp_path / "wh.duckdb", years=(2015,))
    with pytest.raises(ValueError, match=r"no assessment for \[2019\]"):
        publish_year(warehouse, tmp_path / "assessment.duckdb", 2019)
    assert not (tmp_path / "assessment.duckdb").exists()


def test_the_yearly_asset_publishes_its_partitions_with_the_diff_in_its_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.defs.publication.assets import published_assessment_by_year

    warehouse = make_warehouse(tmp_path / "wh.duckdb", years=(2015, 2016), actual=93.1)
    published = tmp_path / "published" / "assessment.duckdb"
    monkeypatch.setenv("LQ_PUBLISHED", str(published))
    resources = {"duckdb": DuckDBResource(database=str(warehouse))}
    instance = DagsterInstance.ephemeral()

    one = materialize(
        [published_assessment_by_year], partition_key="2016", resources=resources, instance=instance
    )
    assert query(published, "select assessment_year, version from publications") == [(2016, 1)]

    make_warehouse(warehouse, years=(2015, 2016), actual=91.0)
    # a range of years is one run (single-run backfill policy)
    both = materialize(
        [published_assessment_by_year],
        resources=resources,
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": "2015",
            "dagster/asset_partition_range_end": "2016",
        },
    )
    assert one.success and both.success
    assert query(published, "select assessment_year, version from publications order by all") == [
        (2015, 1),
        (2016, 1),
        (2016, 2),
    ]
    events = both.get_asset_materialization_events()
    assert {e.partition for e in events if e.asset_key == BY_YEAR} == {"2015", "2016"}
    metadata = events[0].materialization.metadata
    assert metadata["new_versions"].value == {"2015": 1, "2016": 2}
    assert "2016: version 2 against version 1" in metadata["diff"].value


def test_a_failing_blocking_check_prevents_the_years_publication(isolated_env: Path) -> None:
    from orchestration.definitions import build_definitions
    from orchestration.defs.ingestion import FEEDS
    from orchestration.defs.submissions.assets import SUBMISSION_KEYS
    from sample_data.spot_checks import generate_spot_checks
    from tests.test_quality_gate import _bad_row_into_raw

    generate_spot_checks(settings.raw_dir(), [2015], scale=0.05, error_rate=0.0)
    defs = build_definitions()
    instance = DagsterInstance.ephemeral()
    # the files loaded (refresh_all's ingestion steps only: no marts, nothing published yet)
    ingestion = {AssetKey(["raw", feed]) for feed in FEEDS} | set(SUBMISSION_KEYS)
    loaded = defs.resolve_job_def("refresh_all").get_subset(asset_selection=ingestion)
    assert loaded.execute_in_process(instance=instance).success
    _bad_row_into_raw(settings.warehouse_path())

    job = defs.resolve_job_def("publish_assessment")
    blocked = job.execute_in_process(instance=instance, partition_key="2015", raise_on_error=False)

    assert not blocked.success
    check = next(
        e
        for e in blocked.get_asset_check_evaluations()
        if e.check_name == "gx_stg_raw__spot_checks"
    )
    assert not check.passed
    materialised = {e.asset_key for e in blocked.get_asset_materialization_events()}
    assert AssetKey(["staging", "stg_raw__spot_checks"]) not in materialised  # held back
    assert AssetKey(["marts", "fct_county_scorecard"]) not in materialised
    assert BY_YEAR not in materialised
    assert not settings.published_path().exists()


def test_the_january_schedule_asks_for_the_year_just_ended() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from dagster import build_schedule_context

    from orchestration.definitions import build_definitions

    defs = build_definitions()
    schedule = defs.resolve_schedule_def("assessment_january")
    assert (schedule.job_name, schedule.execution_timezone) == (
        "publish_assessment",
        "Asia/Shanghai",
    )
    tick = datetime(2027, 1, 28, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with DagsterInstance.ephemeral() as instance:
        context = build_schedule_context(
            instance=instance,
            scheduled_execution_time=tick,
            repository_def=defs.get_repository_def(),
        )
        [request] = schedule.evaluate_tick(context).run_requests or []
    assert request.partition_key == "2026"
    job = defs.resolve_job_def("publish_assessment")
    assert "2026" in job.partitions_def.get_partition_keys(current_time=tick)
    # the job holds the gates and the marts; refresh_all publishes through the other asset
    checks = {k.name for k in job.asset_layer.asset_graph.asset_check_keys}
    assert "gx_stg_raw__spot_checks" in checks
    assert AssetKey(["marts", "fct_assessment_items"]) in job.asset_layer.executable_asset_keys
    refresh_all = defs.resolve_job_def("refresh_all").asset_layer.executable_asset_keys
    assert BY_YEAR not in refresh_all and AssetKey(["published", "assessment"]) in refresh_all


def test_refresh_all_publishes_every_sample_year_and_marks_the_yearly_partitions(
    pipeline: Pipeline,
) -> None:
    counts = query(
        pipeline.published, "select assessment_year, version, row_counts from publications"
    )
    assert [(year, version) for year, version, _ in counts] == [(2015, 1), (2016, 1)]
    for year, _, row_counts in counts:
        published = json.loads(row_counts)
        for table in PUBLISHED_TABLES:
            [(rows,)] = query(
                pipeline.warehouse,
                f"select count(*) from {table.source} where {table.year_column} = {year}",
            )
            assert published[table.name] == rows > 0, (year, table.name)
    # the inputs: every loaded file and accepted workbook, by content
    [(delivered,)] = query(
        pipeline.warehouse,
        "select (select count(*) from raw.ingested_files where status = 'loaded') + "
        "(select count(*) from raw.submission_versions where status = 'accepted')",
    )
    inputs = query(
        pipeline.published,
        "select p.input_files, count(i.sha256) from publications p join publication_inputs i "
        "using (assessment_year, version) group by p.assessment_year, p.version, p.input_files",
    )
    assert set(inputs) == {(delivered, delivered)} and delivered > 0
    events = pipeline.result.get_asset_materialization_events()
    assert {e.partition for e in events if e.asset_key == BY_YEAR} == {"2015", "2016"}
