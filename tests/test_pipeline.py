"""The main job end to end on generated sample data: ingestion, dbt, GX gate, publication."""

from __future__ import annotations

import hashlib
import re
import shutil
from collections import defaultdict
from pathlib import Path

import duckdb
from dagster import AssetKey

from orchestration.cli import main as lq_main
from orchestration.reference import load_seed
from tests.conftest import Pipeline, run_refresh_all
from tests.spot_check_files import CONTRACT, current_files, read_delivery

_VERDICTS = next(c for c in CONTRACT["columns"] if c["name"] == "verdict")["values"]
PASS_WORDS = set(_VERDICTS["pass"])
# KPI → (抽查类型 as delivered, whether it counts passes (True) or failures (False), categories)
SPOT_CHECK_KPIS = {
    "MFG_PASS_RATE": ("监督抽查", True, None),
    "FOOD_SAMPLING_FAIL_DETECTION_RATE": ("食品安全监督抽检", False, None),
    "AGRI_MONITOR_PASS_RATE": ("农产品质量安全监测", True, None),
    "FRUIT_FOREST_SAMPLING_BATCHES": ("果品林产品监测", None, {"果品", "林产品", "林木制品"}),
}


def _file_rows(path: Path) -> list[tuple[int, dict[str, object]]]:
    """Rows of a generated file with their row numbers, read without the project's readers."""
    return read_delivery(path)


def _query(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_every_asset_and_the_gate_ran(pipeline: Pipeline) -> None:
    materialised = {e.asset_key for e in pipeline.result.get_asset_materialization_events()}
    for key in (
        AssetKey(["raw", "spot_checks"]),
        AssetKey(["staging", "stg_raw__spot_checks"]),
        AssetKey(["intermediate", "int_kpi__spot_checks"]),
        AssetKey(["marts", "fct_city_targets"]),
        AssetKey(["published", "assessment"]),
    ):
        assert key in materialised, key
    evaluations = {e.check_name: e for e in pipeline.result.get_asset_check_evaluations()}
    gx = evaluations["gx_stg_raw__spot_checks"]
    assert gx.passed
    assert gx.metadata["expectations_failed"].value == 0
    assert gx.metadata["rows_validated"].value > 0


def test_counts_reconcile_for_every_file(pipeline: Pipeline) -> None:
    files = _query(
        pipeline.warehouse,
        """
        select f.source_file, f.sha256, f.rows_read, f.rows_loaded, f.rows_quarantined,
            (select count(*) from raw.spot_checks s where s._source_sha256 = f.sha256),
            (select count(*) from raw.quarantine q where q.source_sha256 = f.sha256)
        from raw.ingested_files f where feed = 'spot_checks'""",
    )
    assert len(files) == len(pipeline.generated.files)
    for source_file, _, read, loaded, quarantined, in_table, in_quarantine in files:
        expected_rows = len(_file_rows(pipeline.raw_dir / source_file))
        assert read == expected_rows == loaded + quarantined, source_file
        assert (loaded, quarantined) == (in_table, in_quarantine), source_file


def test_every_injected_mistake_is_quarantined_with_a_reason(pipeline: Pipeline) -> None:
    injected = sum(pipeline.generated.injected_errors.values())
    assert injected > 0
    reasons = [
        r[0]
        for r in _query(
            pipeline.warehouse, "select reason from raw.quarantine where feed = 'spot_checks'"
        )
    ]
    assert len(reasons) == injected
    kinds = {
        "unknown_county": "unknown county",
        "bad_credit_code": "统一社会信用代码",
        "unknown_verdict": "unknown 检验结论",
        "bad_date": "抽样日期",
    }
    for kind, count in pipeline.generated.injected_errors.items():
        found = sum(kinds[kind] in reason for reason in reasons)
        assert found >= count, (kind, count, found)
    # every reason names the cell it is about, e.g. "E17: 县区: unknown county '…'"
    assert all(re.match(r"^[A-Z]+\d+: ", reason) for reason in reasons)
    # and data engineers see them in the UI, on the ingestion asset's materialisation
    ingest = next(
        e
        for e in pipeline.result.get_asset_materialization_events()
        if e.asset_key == AssetKey(["raw", "spot_checks"])
    )
    sample = ingest.materialization.metadata["quarantine_sample"].value
    shown = _query(
        pipeline.warehouse,
        "select reason from raw.quarantine where feed = 'spot_checks' "
        "order by source_file, source_row limit 25",
    )
    assert all(reason.replace("|", "/") in sample for (reason,) in shown)


def _spot_check_rows(pipeline: Pipeline) -> dict[tuple[str, int, str], list[tuple[str, int, bool]]]:
    """Independently of the models: per KPI, year and scope, the (file, row, passed) of every
    row it counts — the current file of each delivery folder (a correction replaces its month),
    minus the rows the loader quarantined."""
    quarantined = set(
        _query(pipeline.warehouse, "select source_file, source_row from raw.quarantine")
    )
    county_by_name = {}
    for county in load_seed("ref_counties"):
        for name in [county["county_name"], county["short_name"], *county["aliases"].split("|")]:
            county_by_name[name] = county["county_code"]
    rows: dict[tuple[str, int, str], list[tuple[str, int, bool]]] = defaultdict(list)
    for path in current_files(list(pipeline.generated.files)):
        source_file = path.relative_to(pipeline.raw_dir).as_posix()
        for row_number, row in _file_rows(path):
            if (source_file, row_number) in quarantined:
                continue
            sampled = row["抽样日期"]
            year = sampled.year if hasattr(sampled, "year") else int(str(sampled)[:4])
            for kpi, (stream, _, categories) in SPOT_CHECK_KPIS.items():
                if row["抽查类型"] != stream:
                    continue
                if categories is not None and row["产品类别"] not in categories:
                    continue
                passed = row["检验结论"] in PASS_WORDS
                for scope in ("131000", county_by_name[row["县区"]]):
                    rows[(kpi, year, scope)].append((source_file, row_number, passed))
    return rows


def test_spot_check_kpis_equal_an_independent_calculation(pipeline: Pipeline) -> None:
    """The four spot-check KPIs per year, city and county, from the rows they count."""
    rows = _spot_check_rows(pipeline)
    total = {key: len(counted) for key, counted in rows.items()}
    counted = {
        key: sum(passed if SPOT_CHECK_KPIS[key[0]][1] else not passed for _, _, passed in found)
        for key, found in rows.items()
    }
    computed = {
        (kpi, year, scope): (actual, numerator, denominator)
        for kpi, year, scope, actual, numerator, denominator in _query(
            pipeline.warehouse,
            f"""
            select kpi_code, kpi_year, scope_code, actual_value, numerator, denominator
            from marts.fct_kpi_values where kpi_code in {tuple(SPOT_CHECK_KPIS)}""",
        )
    }
    assert set(computed) == set(total)
    for key, batches in total.items():
        actual, numerator, denominator = computed[key]
        if key[0] == "FRUIT_FOREST_SAMPLING_BATCHES":
            assert (actual, numerator, denominator) == (batches, batches, None), key
            continue
        assert (numerator, denominator) == (counted[key], batches), key
        assert abs(actual - 100 * counted[key] / batches) < 1e-3, key


LINEAGE_QUERY = """
    select l.source_file, l.source_row, l.source_sha256, l.stored_path
    from kpi_values_latest as v
    join kpi_lineage_latest as l
      on  l.assessment_year = v.assessment_year and l.kpi_code = v.kpi_code
      and l.scope_type = v.scope_type and l.scope_code = v.scope_code
    where v.assessment_year = {year} and v.kpi_code = '{kpi}' and v.scope_code = '{scope}'"""


def test_lineage_of_a_published_value_lists_the_rows_it_counts(pipeline: Pipeline) -> None:
    """The bureau guide's lineage query on the published file, for 制造业产品质量合格率 of
    霸州市 and of the city in 2016: exactly the rows counted by the independent calculation,
    as many as the value's source_rows, each in a stored copy whose hash is the delivery's."""
    expected = _spot_check_rows(pipeline)
    for scope in ("131081", "131000"):
        key = ("MFG_PASS_RATE", 2016, scope)
        found = _query(
            pipeline.published, LINEAGE_QUERY.format(year=2016, kpi="MFG_PASS_RATE", scope=scope)
        )
        assert sorted((f, r) for f, r, _, _ in found) == sorted(
            (f, r) for f, r, _ in expected[key]
        ), scope
        (source_rows,) = _query(
            pipeline.published,
            "select source_rows from kpi_values_latest where assessment_year = 2016 "
            f"and kpi_code = 'MFG_PASS_RATE' and scope_code = '{scope}'",
        )[0]
        assert source_rows == len(found) > 0
        for sha256 in {s for _, _, s, _ in found}:
            stored = next(p for _, _, s, p in found if s == sha256)
            assert hashlib.sha256(Path(stored).read_bytes()).hexdigest() == sha256


def test_city_targets_list_every_catalogue_kpi_for_every_year(pipeline: Pipeline) -> None:
    catalogue = load_seed("ref_kpi_catalogue")
    rows = _query(
        pipeline.warehouse,
        """
        select kpi_code, assessment_year, status, actual_value, data_note
        from marts.fct_city_targets""",
    )
    years = sorted({r[1] for r in rows})
    assert years == [2015, 2016]
    assert len(rows) == len(catalogue) * len(years)
    by_key = {(r[0], r[1]): r for r in rows}
    for year in years:
        _, _, status, actual, _ = by_key[("MFG_PASS_RATE", year)]
        assert actual is not None
        assert status == ("met" if actual >= 92 else "not_met")
    without_feed = [r for r in rows if r[3] is None]
    assert without_feed and all(r[2] == "no_data" and r[4] for r in without_feed)


def test_published_file_holds_one_version_per_year_readable_read_only(pipeline: Pipeline) -> None:
    versions = _query(
        pipeline.published, "select assessment_year, version from publications order by 1"
    )
    assert versions == [(2015, 1), (2016, 1)]
    published = _query(pipeline.published, "select count(*) from city_targets_latest")[0][0]
    working = _query(pipeline.warehouse, "select count(*) from marts.fct_city_targets")[0][0]
    assert published == working


def test_lq_kpis_prints_the_city_targets(pipeline: Pipeline, capsys) -> None:
    assert lq_main(["kpis"]) == 0
    out = capsys.readouterr().out
    assert "制造业产品质量合格率" in out
    assert "published versions 2015 v1, 2016 v1" in out


def test_lq_counties_lists_every_county_from_the_published_file(pipeline: Pipeline, capsys) -> None:
    assert lq_main(["counties", "--year", "2015", "--kpi", "MFG_PASS_RATE"]) == 0
    out = capsys.readouterr().out
    for county in load_seed("ref_counties"):
        assert county["county_name"] in out


def test_rerunning_the_job_adds_nothing_and_publishes_nothing_new(pipeline: Pipeline) -> None:
    before = _query(pipeline.warehouse, "select count(*) from raw.spot_checks")[0][0]
    # the same file under another name is the same delivery
    first = pipeline.generated.files[0]
    copy = first.with_name(f"copy-of-{first.name}")
    shutil.copyfile(first, copy)
    try:
        result = run_refresh_all(pipeline.instance)
    finally:
        copy.unlink()
    assert result.success
    ingest = next(
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key == AssetKey(["raw", "spot_checks"])
    )
    assert ingest.materialization.metadata["files_new"].value == 0
    assert _query(pipeline.warehouse, "select count(*) from raw.spot_checks")[0][0] == before
    intake = next(
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key == AssetKey(["raw", "submission_versions"])
    )
    assert intake.materialization.metadata["files_new"].value == 0
    assert len(_query(pipeline.published, "select * from publications")) == 2  # one per year
