"""The daily city PM2.5 feed (城市PM2.5日均浓度) end to end: the yearly delivery grain, the
contract, the real SpTe2M files through the real loader and dbt, HJ 663 annual validity, the
双控 verdict, the GX suite, the shared pipeline and the generator.

Fixture files are written here by hand (never with the generator), except the real files,
which are the copies in sample_data/realdata, checked by hash."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import shutil
from collections import Counter
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from statistics import fmean

import duckdb
import openpyxl
import pytest

from orchestration import settings
from orchestration.ingest.contract import load_contract
from orchestration.ingest.delivery import slot_of
from orchestration.ingest.errors import FileRejected
from orchestration.ingest.landing import LOCAL_TIME
from orchestration.ingest.loader import ingest_landed
from orchestration.quality.gx_validation import (
    read_duckdb_table,
    validate_dataframe,
    validate_duckdb_table,
)
from sample_data.air_quality_daily import generate_air_quality_daily
from tests.conftest import Pipeline
from tests.feed_helpers import FeedWarehouse, assert_gx_check_passed, stamp

FEED = "air_quality_daily"
STAGED = "staging.stg_raw__air_quality_daily"
SUITE = Path(__file__).parents[1] / "expectations" / "stg_raw__air_quality_daily.json"
CONTRACT_FILE = settings.FEEDS_DIR / "air_quality_daily.yaml"
REAL_DIR = Path(__file__).parents[1] / "sample_data" / "realdata"
REAL_SHA256 = {
    2014: "135fb74f8630949fb2ca76240894dfadac9f1aac58fab0e26865a54fa7de4526",
    2015: "afb9f1b3707da85e4a3b619a1bc07bc88ea6102d5d44166a3fb5bf48926bff5f",
    2016: "e4febf8e2f89436c5549c5e2df6676de4e43cf254f7eb588919648a023b35d49",
}
REAL_HEADER = ["date", "Year", "doy", "City", "Long", "Lat", "PM2.5"]
HEADER_ZH = ["日期", "年份", "年序日", "城市", "经度", "纬度", "PM2.5日均浓度"]


def real_path(year: int) -> Path:
    return REAL_DIR / f"langfang_pm25_daily_{year}_SpTe2M.csv"


def real_values(year: int) -> list[float]:
    with real_path(year).open(encoding="utf-8", newline="") as handle:
        return [float(row["PM2.5"]) for row in csv.DictReader(handle)]


def year_rows(year: int, skip: Sequence[dt.date] = (), city: str = "廊坊市") -> list[list[object]]:
    """A hand-made year: value = 30 + day of month + 2 × month, every day but `skip`."""
    days = [dt.date(year, 1, 1) + dt.timedelta(days=i) for i in range(365)]
    return [
        [d.isoformat(), year, i + 1, city, 116.68, 39.52, 30 + d.day + 2 * d.month]
        for i, d in enumerate(days)
        if d not in skip
    ]


# ------------------------------------------------------------------ the year delivery grain


def test_a_year_folder_is_a_slot_from_january_to_december() -> None:
    contract = load_contract(FEED)
    slot = slot_of(contract, PurePosixPath("2015/a.csv"), dt.date(2026, 1, 1))
    assert (slot.period, slot.first_day, slot.last_day) == (
        "2015",
        dt.date(2015, 1, 1),
        dt.date(2015, 12, 31),
    )
    assert slot.months == frozenset(f"2015-{m:02d}" for m in range(1, 13))
    assert slot.covers(dt.date(2015, 12, 31)) and not slot.covers(dt.date(2016, 1, 1))
    for folder, message in (
        ("2015-03", "period folder '2015-03' is not YYYY"),
        ("2013", "period 2013 is before 2014-01, the first month kept"),
        ("2027", "period 2027 has not begun yet"),
    ):
        with pytest.raises(FileRejected, match=re.escape(message)):
            slot_of(contract, PurePosixPath(f"{folder}/a.csv"), dt.date(2026, 1, 1))
    with pytest.raises(FileRejected, match=re.escape("air_quality_daily/<YYYY>/<file>")):
        slot_of(contract, PurePosixPath("a.csv"), dt.date(2026, 1, 1))
    # the month grain is unchanged: one partition
    monthly = slot_of(load_contract("spot_checks"), PurePosixPath("food/2015-03/a.csv"))
    assert monthly.months == frozenset({"2015-03"})


def test_a_month_partition_reads_the_yearly_slot_of_its_year(tmp_path: Path) -> None:
    wh = FeedWarehouse(tmp_path)
    for year in (2015, 2016):
        wh.deliver(FEED, str(year), "a.csv", HEADER_ZH, year_rows(year)[:3])
    contract = load_contract(FEED)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        run = ingest_landed(conn, contract, wh.raw_dir, wh.store_dir, 0, frozenset({"2016-07"}))
        assert [r.source_file for r in run.reports] == ["air_quality_daily/2016/a.csv"]
        run = ingest_landed(conn, contract, wh.raw_dir, wh.store_dir, 0, frozenset({"2014-01"}))
        assert run.reports == []
        run = ingest_landed(conn, contract, wh.raw_dir, wh.store_dir, 0)  # unpartitioned
        assert [(r.source_file, r.status) for r in run.reports] == [
            ("air_quality_daily/2015/a.csv", "loaded"),
            ("air_quality_daily/2016/a.csv", "already_ingested"),
        ]


# ------------------------------------------------------------------ contract violations


def test_every_violation_is_quarantined_naming_its_cell(tmp_path: Path) -> None:
    wh = FeedWarehouse(tmp_path)
    rows = [
        ["2019-01-01", 2019, 1, "廊坊市", 116.68, 39.52, 80.5],
        ["2019-01-02", 2019, 2, "廊坊", 116.68, 39.52, ""],
        ["2019-01-03", 2019, 3, "Langfang", 116.68, 39.52, -3],
        ["2019-01-04", 2019, 4, "Langfang", 116.68, 39.52, 1600],
        ["2019-01-05", 2019, 5, "保定市", 116.68, 39.52, 70],
        ["2018-12-31", 2018, 365, "Langfang", 116.68, 39.52, 70],
        ["2019-01-01", 2019, 1, "Langfang", 116.68, 39.52, 81],
        ["2019-02-30", 2019, 61, "Langfang", 116.68, 39.52, 70],
        ["2019-01-09", 2019, 9, "Langfang", 200, 39.52, 70],
        ["2019-01-10", 2019, 10, "131000", 116.68, 39.52, "—"],
    ]
    wh.deliver(FEED, "2019", "v.csv", REAL_HEADER, rows)
    [report] = wh.ingest(FEED)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (10, 1, 9)
    reasons = [r for (r,) in wh.query("select reason from raw.quarantine order by source_row")]
    assert reasons == [
        "G3: PM2.5日均浓度 is empty",
        "G4: PM2.5日均浓度: '-3' is below the minimum 0",
        "G5: PM2.5日均浓度: '1600' is above the maximum 1500",
        "D6: 城市: unknown 城市 '保定市' (allowed: Langfang/廊坊/廊坊市/131000)",
        "A7: 日期 2018-12-31 is outside the delivery period 2019 of its folder",
        "row 8: duplicate 日期 2019-01-01 (first at row 2)",
        reasons[6],
        "E10: 经度: '200' is above the maximum 136",
        "G11: PM2.5日均浓度 is empty",
    ]
    assert reasons[6].startswith("A9: 日期: ") and "2019-02-30" in reasons[6]


# ------------------------------------------------------------------ formats and encodings


def _loaded_values(workdir: Path, name: str, header: list[str], **options: object) -> list:
    wh = FeedWarehouse(workdir)
    wh.deliver(FEED, "2018", name, header, year_rows(2018)[:40], **options)
    [report] = wh.ingest(FEED)
    assert report.rows_quarantined == 0, report
    return wh.query(
        "select obs_date, source_year, day_of_year, city_code, longitude, latitude, pm25 "
        "from raw.air_quality_daily order by obs_date"
    )


def test_every_format_encoding_and_header_synonym_loads_the_same_rows(tmp_path: Path) -> None:
    synonyms = ["监测日期", "Year", "doy", "城市名称", "Long", "Lat", "细颗粒物"]
    loads = [
        _loaded_values(tmp_path / "utf8", "a.csv", REAL_HEADER),
        _loaded_values(tmp_path / "bom", "a.csv", HEADER_ZH, encoding="utf-8-sig"),
        _loaded_values(tmp_path / "gb", "a.csv", synonyms, encoding="gb18030"),
        _loaded_values(tmp_path / "xlsx", "a.xlsx", HEADER_ZH, title="廊坊市2018年PM2.5日均浓度"),
    ]
    assert len(loads[0]) == 40
    assert loads[0][0] == (dt.date(2018, 1, 1), 2018, 1, "131000", 116.68, 39.52, 33.0)
    for other in loads[1:]:
        assert other == loads[0]


# ------------------------------------------------------------------ real data through dbt


BUILD_OUTPUT: list[str] = []  # dbt's output of the module's one build


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> FeedWarehouse:
    """The three real files as delivered, plus a hand-made 2017 delivered twice: the first
    file lacks 31 Dec, its correction adds it, revises 1 Jan and drops 1–4 April (26 April
    days: the year is invalid under HJ 663)."""
    wh = FeedWarehouse(tmp_path_factory.mktemp("air_daily"))
    for year in REAL_SHA256:
        landed = wh.raw_dir / FEED / str(year) / real_path(year).name
        landed.parent.mkdir(parents=True)
        shutil.copyfile(real_path(year), landed)
        stamp(landed, dt.datetime(year + 1, 1, 10, 9, 30))
    first = year_rows(2017, skip=[dt.date(2017, 12, 31)])
    received = dt.datetime(2018, 1, 10, 9, 30)
    wh.deliver(
        FEED, "2017", "pm25_2017.csv", HEADER_ZH, first, encoding="utf-8-sig", received=received
    )
    april = [dt.date(2017, 4, d) for d in range(1, 5)]
    corrected = year_rows(2017, skip=april)
    corrected[0][6] = 99.0
    received = dt.datetime(2018, 2, 20, 15, 0)
    wh.deliver(
        FEED,
        "2017",
        "pm25_2017_更正.csv",
        HEADER_ZH,
        corrected,
        encoding="utf-8-sig",
        received=received,
    )
    reports = wh.ingest(FEED)
    assert all(r.rows_quarantined == 0 and r.status == "loaded" for r in reports), reports
    BUILD_OUTPUT.append(
        wh.build(
            "fct_city_targets",
            "int_air_quality__dual_control",
            "int_kpi_lineage__air_quality",
            unit_tests=True,  # test_dbt_unit_tests_of_the_air_models_ran
        )
    )
    return wh


def test_real_files_are_the_shipped_bytes() -> None:
    readme = (REAL_DIR / "README.md").read_text(encoding="utf-8")
    for year, sha in REAL_SHA256.items():
        assert hashlib.sha256(real_path(year).read_bytes()).hexdigest() == sha
        assert f"`{real_path(year).name}` | `{sha}`" in readme


def test_real_files_reproduce_the_published_annual_means(wh: FeedWarehouse) -> None:
    annual = {
        year: (days, mean, change_pct)
        for year, days, mean, change_pct in wh.query(
            "select obs_year, valid_days, pm25_annual_mean, yoy_change_pct "
            "from intermediate.int_air_quality__city_pm25_annual"
        )
    }
    for year, published in ((2014, 93.9), (2015, 82.3), (2016, 81.9)):
        days, mean, _ = annual[year]
        assert days == 365
        assert mean == pytest.approx(published, abs=0.05)
        assert mean == pytest.approx(fmean(real_values(year)), abs=1e-9)
    assert annual[2015][2] == pytest.approx(-12.4, abs=0.05)
    assert annual[2014][2] is None


def test_pm25_kpi_status_comes_from_the_mart(wh: FeedWarehouse) -> None:
    rows = {
        (kpi, year): (actual, prior, status)
        for kpi, year, actual, prior, status in wh.query(
            "select kpi_code, kpi_year, actual_value, prior_year_value, status "
            "from marts.fct_kpi_values where kpi_code like 'AIR%'"
        )
    }
    mean = {year: fmean(real_values(year)) for year in REAL_SHA256}
    assert rows[("AIR_PM25_ANNUAL_MEAN", 2014)] == (pytest.approx(mean[2014]), None, "no_data")
    assert rows[("AIR_PM25_ANNUAL_MEAN", 2015)] == (
        pytest.approx(mean[2015]),
        pytest.approx(mean[2014]),
        "met",
    )
    assert rows[("AIR_PM25_ANNUAL_MEAN", 2016)][2] == "met"  # 81.87 < 82.30
    assert rows[("AIR_PM25_ANNUAL_MEAN", 2017)] == (None, pytest.approx(mean[2016]), "no_data")
    # no control value entered in ref_air_quality_targets: no verdict, never "not met"
    for year in (2014, 2015, 2016, 2017):
        assert rows[("AIR_DUAL_CONTROL_TARGET", year)] == (None, None, "no_data")
    notes = dict(wh.query("select obs_year, note from intermediate.int_air_quality__dual_control"))
    assert notes[2015] == notes[2016] == "年度控制值未录入"
    assert notes[2014] == "缺少上年PM2.5年均浓度"
    targets = wh.query(
        "select kpi_code, assessment_year, status from marts.fct_city_targets "
        "where kpi_code like 'AIR%' and assessment_year in (2015, 2016) order by 1, 2"
    )
    assert targets == [
        ("AIR_DUAL_CONTROL_TARGET", 2015, "no_data"),
        ("AIR_DUAL_CONTROL_TARGET", 2016, "no_data"),
        ("AIR_PM25_ANNUAL_MEAN", 2015, "met"),
        ("AIR_PM25_ANNUAL_MEAN", 2016, "met"),
    ]


def test_a_year_short_of_days_in_one_month_has_no_annual_mean(wh: FeedWarehouse) -> None:
    [(days, valid, mean, reason, total)] = wh.query(
        "select valid_days, is_valid, pm25_annual_mean, invalid_reason, pm25_sum "
        "from intermediate.int_air_quality__city_pm25_annual where obs_year = 2017"
    )
    expected = year_rows(2017, skip=[dt.date(2017, 4, d) for d in range(1, 5)])
    expected[0][6] = 99.0
    assert days == 361 >= 324
    assert (valid, mean) == (False, None)
    assert reason == "月有效日均值不足（每月至少27天、2月至少25天）：4月"
    assert total == pytest.approx(sum(float(r[6]) for r in expected))


def test_a_correction_replaces_exactly_its_year(wh: FeedWarehouse) -> None:
    current = dict(
        wh.query(
            "select delivery_period, list(distinct source_file) "
            "from intermediate.int_air_quality_daily__current group by 1"
        )
    )
    assert current["2017"] == ["air_quality_daily/2017/pm25_2017_更正.csv"]
    for year in REAL_SHA256:
        assert current[str(year)] == [f"air_quality_daily/{year}/{real_path(year).name}"]
    staged = dict(wh.query(f"select source_file, count(*) from {STAGED} group by 1"))
    assert staged["air_quality_daily/2017/pm25_2017.csv"] == 364  # history kept
    assert staged["air_quality_daily/2017/pm25_2017_更正.csv"] == 361
    [(jan1, dec31)] = wh.query(
        "select max(pm25) filter (where obs_date = '2017-01-01'), "
        "count(*) filter (where obs_date = '2017-12-31') "
        "from intermediate.int_air_quality_daily__current"
    )
    assert (jan1, dec31) == (99.0, 1)


def test_lineage_lists_exactly_the_published_days_of_a_value(wh: FeedWarehouse) -> None:
    """The auditor's query: the 2017 PM2.5 value (invalid, but computed: numerator and
    denominator stand) lists one row per published day, every data row of the correction
    (rows 2–362: 365 days less 1–4 April), none of the replaced first file; the hourly feed
    has no station-hours here, so no day comes from the stations."""
    got = wh.query(
        "select f.source_file, l.feed, l.source_row, l.source_part "
        "from intermediate.int_kpi_lineage__air_quality as l "
        "inner join raw.ingested_files as f on f.sha256 = l.source_sha256 "
        "where l.kpi_code = 'AIR_PM25_ANNUAL_MEAN' and l.kpi_year = 2017 "
        "and l.scope_type = 'city' and l.scope_code = '131000'"
    )
    expected = [("air_quality_daily/2017/pm25_2017_更正.csv", FEED, r, None) for r in range(2, 363)]
    assert sorted(got) == expected


def test_the_2016_file_is_kept_as_delivered(wh: FeedWarehouse) -> None:
    """365 rows in a leap year, dated Jan 1 + doy − 1: loaded as published, none quarantined."""
    [(rows, last, doy_matches)] = wh.query(
        f"select count(*), max(obs_date), "
        f"bool_and(obs_date = date '2016-01-01' + (day_of_year - 1)::integer) "
        f"from {STAGED} where obs_year = 2016"
    )
    assert (rows, last, doy_matches) == (365, dt.date(2016, 12, 30), True)


def test_dbt_unit_tests_of_the_air_models_ran(wh: FeedWarehouse) -> None:
    [result] = BUILD_OUTPUT
    for name in (
        "test_published_city_value_wins_over_stations",
        "test_annual_mean_needs_hj663_valid_days",
        "test_dual_control_needs_a_control_value",
        "test_air_kpis_one_row_per_year_no_value_without_verdict",
    ):
        assert re.search(rf"PASS int_\w+::{name}\b", result), name


# ------------------------------------------------------------------ the GX suite


def test_gx_suite_passes_on_the_staged_fixture_and_on_an_empty_table(wh: FeedWarehouse) -> None:
    outcome = validate_duckdb_table(wh.warehouse, STAGED, SUITE)
    assert outcome.success, outcome.failed_outcomes
    assert outcome.row_count == 3 * 365 + 364 + 361
    empty = validate_dataframe(read_duckdb_table(wh.warehouse, STAGED).iloc[0:0], SUITE)
    assert empty.success and empty.row_count == 0


def test_gx_suite_fails_naming_the_bad_rows(wh: FeedWarehouse) -> None:
    frame = read_duckdb_table(wh.warehouse, STAGED).sort_values(["source_file", "source_row"])
    bad = frame.reset_index(drop=True).copy()
    bad.loc[3, "pm25"] = -1.0
    bad.loc[5, "city_code"] = "130600"
    bad.loc[7, "day_of_year"] = 367
    outcome = validate_dataframe(bad, SUITE)
    failures = {(o.expectation_type, o.column) for o in outcome.failed_outcomes}
    assert failures == {
        ("expect_column_values_to_be_between", "pm25"),
        ("expect_column_values_to_be_in_set", "city_code"),
        ("expect_column_values_to_be_between", "day_of_year"),
    }
    assert {
        (o.column, o.unexpected_count, tuple(o.sample_unexpected)) for o in outcome.failed_outcomes
    } == {
        ("pm25", 1, ("-1",)),
        ("city_code", 1, ("130600",)),
        ("day_of_year", 1, ("367",)),
    }


# ------------------------------------------------------------------ the shared pipeline


def file_rows(path: Path) -> list[dict[str, object]]:
    """A generated file's data rows, read independently of the loader (header → cell)."""
    if path.suffix == ".xlsx":
        sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        cells = [list(r) for r in sheet.iter_rows(values_only=True)]
        start = 1 if sum(v is not None for v in cells[0]) == 1 else 0  # a title row
        header, body = cells[start], cells[start + 1 :]
    else:
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gb18030")
        [header, *body] = list(csv.reader(io.StringIO(text)))
    return [dict(zip(header, row, strict=True)) for row in body]


def _query(pipeline: Pipeline, sql: str, params: Sequence[object] = ()) -> list[tuple]:
    with duckdb.connect(str(pipeline.warehouse), read_only=True) as conn:
        return conn.execute(sql, list(params)).fetchall()


def test_pipeline_files_reconcile(pipeline: Pipeline) -> None:
    summary = pipeline.feeds[FEED]
    files = {
        source: (status, read, loaded, quarantined)
        for source, status, read, loaded, quarantined in _query(
            pipeline,
            "select source_file, status, rows_read, rows_loaded, rows_quarantined "
            "from raw.ingested_files where feed = ?",
            [FEED],
        )
    }
    repeats = _query(
        pipeline, "select source_file from raw.repeated_deliveries where feed = ?", [FEED]
    )
    assert len(repeats) == summary.other_counts["duplicate_deliveries"] == 1
    assert len(files) + len(repeats) == len(summary.files)
    for path in summary.files:
        source = path.relative_to(pipeline.raw_dir).as_posix()
        if (source,) in repeats:
            continue
        status, read, loaded, quarantined = files[source]
        assert status == "loaded", source
        assert read == len(file_rows(path)) == summary.rows_per_file[path], source
        assert read == loaded + quarantined, source


ERROR_SIGNS = {
    "missing_pm25": "PM2.5日均浓度 is empty",
    "negative_pm25": "is below the minimum 0",
    "impossible_pm25": "is above the maximum 1500",
    "unknown_city": "unknown 城市",
    "date_outside_slot": "is outside the delivery period",
    "duplicate_date": "duplicate 日期",
}


def test_pipeline_quarantines_every_injected_mistake(pipeline: Pipeline) -> None:
    summary = pipeline.feeds[FEED]
    assert sum(summary.injected_errors.values()) > 0
    kinds: Counter[str] = Counter()
    for (reason,) in _query(pipeline, "select reason from raw.quarantine where feed = ?", [FEED]):
        [kind] = [k for k, sign in ERROR_SIGNS.items() if sign in reason]
        kinds[kind] += 1
    assert kinds == {k: n for k, n in summary.injected_errors.items() if n}
    # the real files are never altered: every one of their rows loads
    for year in (2014, 2015, 2016):
        source = f"{FEED}/{year}/{real_path(year).name}"
        assert _query(
            pipeline,
            "select sha256, rows_quarantined from raw.ingested_files where source_file = ?",
            [source],
        ) == [(REAL_SHA256[year], 0)]


def test_pipeline_gx_check_passed(pipeline: Pipeline) -> None:
    assert_gx_check_passed(pipeline.result, pipeline.warehouse, "stg_raw__air_quality_daily")


def _day(row: dict[str, object]) -> dt.date:
    """A file row's date, as the CSV text or the xlsx cell holds it."""
    value = row["date"] if "date" in row else row["日期"]
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def test_pipeline_kpis_equal_an_independent_calculation(pipeline: Pipeline) -> None:
    """The current file of each year is the latest received (the official series); the mean
    of its values and, for a day the file lacks (the 2016 file ends on 30 December), the
    city value the stations give (the hourly feed's interface, tested in its own file); the
    mart's status by comparison with the year before."""
    latest: dict[str, Path] = {}
    for path in pipeline.feeds[FEED].files:
        year = path.parent.name
        if year not in latest or path.stat().st_mtime > latest[year].stat().st_mtime:
            latest[year] = path
    stations = dict(
        _query(
            pipeline,
            "select obs_date, pm25 from intermediate.int_air_quality__city_daily_from_stations "
            "where pm25 is not null",
        )
    )
    means = {}
    for year, path in latest.items():
        published = {_day(r): float(str(r["PM2.5"])) for r in file_rows(path)}
        filled = {d: v for d, v in stations.items() if d.year == int(year) and d not in published}
        means[int(year)] = fmean([*published.values(), *filled.values()])
    assert sorted(means) == [2014, 2015, 2016]
    marts = {
        year: (actual, status)
        for year, actual, status in _query(
            pipeline,
            "select kpi_year, actual_value, status from marts.fct_kpi_values "
            "where kpi_code = 'AIR_PM25_ANNUAL_MEAN'",
        )
    }
    assert marts[2015] == (pytest.approx(means[2015]), "met")
    assert marts[2016] == (pytest.approx(means[2016]), "met")
    targets = _query(
        pipeline,
        "select assessment_year, actual_value, status from marts.fct_city_targets "
        "where kpi_code = 'AIR_DUAL_CONTROL_TARGET' order by 1",
    )
    assert [(y, a, s) for y, a, s in targets if y in (2015, 2016)] == [
        (2015, None, "no_data"),
        (2016, None, "no_data"),
    ]


# ------------------------------------------------------------------ the generator


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("generated")
    return out, generate_air_quality_daily(out, [2016, 2017], error_rate=0.05)


def test_generator_is_deterministic_and_lands_the_real_files_unchanged(
    generated, tmp_path: Path
) -> None:
    out, summary = generated
    again = generate_air_quality_daily(tmp_path, [2016, 2017], error_rate=0.05)
    assert [p.relative_to(tmp_path) for p in again.files] == [
        p.relative_to(out) for p in summary.files
    ]
    for first, second in zip(summary.files, again.files, strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name
    for year in (2015, 2016):  # 2015: the prior-year baseline
        landed = out / FEED / str(year) / real_path(year).name
        assert hashlib.sha256(landed.read_bytes()).hexdigest() == REAL_SHA256[year]
    assert {p.parent.name for p in summary.files} == {"2015", "2016", "2017"}


def test_generator_year_unchanged_by_other_years(generated, tmp_path: Path) -> None:
    out, summary = generated
    alone = generate_air_quality_daily(tmp_path, [2017], error_rate=0.05)
    mine = {p.relative_to(out): p for p in summary.files}
    for path in alone.files:
        if "_重发" not in path.name:
            assert path.read_bytes() == mine[path.relative_to(tmp_path)].read_bytes(), path


def test_generator_files_carry_their_delivery_time(generated) -> None:
    _, summary = generated
    for path in summary.files:
        year = int(path.parent.name)
        received = dt.datetime.fromtimestamp(path.stat().st_mtime, LOCAL_TIME)
        assert received.year == year + 1 and received.month in (1, 2), path.name
    times = [p.stat().st_mtime for p in summary.files if p.parent.name == "2016"]
    assert times == sorted(times)  # provisional, then the official series


def test_generator_volume_is_one_row_a_day_whatever_the_scale(generated, tmp_path: Path) -> None:
    _, summary = generated
    small = generate_air_quality_daily(tmp_path, [2016, 2017], scale=0.25, error_rate=0.05)
    assert small.total_rows == summary.total_rows
    assert summary.other_counts == {"redeliveries": 3, "duplicate_deliveries": 1}
    clean = generate_air_quality_daily(tmp_path / "clean", [2017], error_rate=0.0)
    assert sum(clean.injected_errors.values()) == 0
    [first] = [p for p in clean.files if p.parent.name == "2017" and p.stem.endswith("浓度")]
    assert len(file_rows(first)) == 364  # one outage day, added by the correction


def test_generator_mistakes_are_each_quarantined_once(generated, tmp_path: Path) -> None:
    out, summary = generated
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        reports = ingest_landed(conn, load_contract(FEED), out, tmp_path / "store", 0).reports
        reasons = [r for (r,) in conn.execute("select reason from raw.quarantine").fetchall()]
    assert sum(r.rows_quarantined for r in reports) == sum(summary.injected_errors.values())
    kinds = Counter(k for reason in reasons for k, s in ERROR_SIGNS.items() if s in reason)
    assert kinds == {k: n for k, n in summary.injected_errors.items() if n}
