"""Sewage reports on hand-made deliveries through the real loader and dbt: every contract
violation is quarantined by cell, encodings and layouts load alike, a correction replaces
exactly its month, the monthly and annual 市区污水处理率 equal an independent calculation
(county plants excluded, a year missing a month has no value, storm-water months flagged and
counted up to the generated figure); the GX suite; the shared pipeline; the generator."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import openpyxl
import pytest

from orchestration.ingest.landing import LOCAL_TIME
from orchestration.quality.gx_validation import (
    read_duckdb_table,
    validate_dataframe,
    validate_duckdb_table,
)
from orchestration.reference import load_seed
from orchestration.settings import EXPECTATIONS_DIR
from sample_data.sewage import generate_sewage
from tests.conftest import Pipeline
from tests.feed_helpers import FeedWarehouse, assert_gx_check_passed, injected_kinds

FEED = "sewage"
KPI = "URBAN_SEWAGE_TREATMENT_RATE"
CITY = "131000"
STAGED = "staging.stg_raw__sewage"
SUITE = EXPECTATIONS_DIR / "stg_raw__sewage.json"
# 市区 plants of the seed, by every name the tests write (independent of the loader's lookup)
URBAN = {"廊坊市污水处理厂", "廊坊市第二污水处理厂", "开发区污水处理厂", "WS01", "WS02", "WS03"}
PLANT_WORDS = {"污水处理厂", "处理厂", "污水厂"}
TOTAL_WORDS = {"市区污水排放总量", "排放总量", "污水排放总量", "污水排放量"}

HEADER = [
    "统计月份",
    "项目类别",
    "污水处理厂",
    "运行天数",
    "污水处理量（万吨）",
    "市区污水排放总量（万吨）",
]
GB_HEADER = ["月份", "类别", "厂名", "实际处理量", "污水排放量"]
XLSX_HEADER = [
    ("统计月份", None),
    ("项目类别", None),
    ("污水处理厂名称", None),
    ("设计处理能力（万吨/日）", None),
    ("运行情况", "运行天数（天）"),
    ("运行情况", "处理量（万吨）"),
    ("市区污水排放总量（万吨）", None),
]


def month_rows(day: str, volumes: dict[str, float], generated: float | None) -> list[list]:
    """A month in the HEADER layout: one row per plant, then the 排放总量 row."""
    rows: list[list] = [[day, "污水处理厂", name, 30, v, None] for name, v in volumes.items()]
    if generated is not None:
        rows.append([day, "排放总量", None, None, None, generated])
    return rows


def received(period: str, day: int = 10) -> dt.datetime:
    year, month = map(int, period.split("-"))
    return dt.datetime(year + month // 12, month % 12 + 1, day, 9, 30)


# 2015: every month complete; July treats more than it generated (storm water). WS11 is a
# county plant (燕郊西) and never counts for 市区.
def volumes_2015(month: int) -> dict[str, float]:
    if month == 7:
        return {"廊坊市污水处理厂": 500.0, "廊坊市第二污水处理厂": 300.0, "开发区污水处理厂": 150.0}
    return {
        "廊坊市污水处理厂": 300.0 + month,
        "廊坊市第二污水处理厂": 250.0,
        "开发区污水处理厂": 120.0,
        "燕郊西污水处理厂": 90.0,
    }


GENERATED_2015 = 800.0
MARCH_FIXED = {"廊坊市污水处理厂": 290.0, "廊坊市第二污水处理厂": 240.0, "WS03": 125.0}
MARCH_FIXED_GENERATED = 810.0
# 2016: January and March only, February's file has no 排放总量 row: no annual value
JAN_2016 = {"廊坊市污水处理厂": 320.0, "廊坊市第二污水处理厂": 260.0}
FEB_2016 = {"廊坊市污水处理厂": 310.0}
# 2017: a 排放总量 of 0 (denominator 0)
JAN_2017 = {"廊坊市污水处理厂": 0.0}
# 2016-04: one good month plus one row per violation
APRIL_2016_GOOD = month_rows("2016-04-01", {"廊坊市污水处理厂": 305.0}, 790.0)
APRIL_2016_BAD = [
    ["2016-04-01", "污水处理厂", "廊坊市第二污水处理厂", 30, -5, None],
    ["2016-04-01", "污水处理厂", "开发区污水处理厂", 30, "约120", None],
    ["2016-04-01", "污水处理厂", "燕郊西污水处理厂", 30, None, None],
    ["2016-04-01", "污水处理厂", "廊坊市第三污水处理厂", 30, 80, None],
    ["2016年", "污水处理厂", "固安县污水处理厂", 30, 70, None],
    ["2016-03-01", "污水处理厂", "香河县污水处理厂", 30, 60, None],
    ["2016-04-01", "污水处理厂", "廊坊市污水处理厂", 30, 306, None],  # duplicate of row 2
    ["2016-04-01", "雨水", None, None, None, 10],
    ["2016-04-01", "污水处理厂", "霸州经济技术开发区污水处理厂", 45, 20, None],
]
APRIL_REASONS = [
    (3, "E3: 污水处理量（万吨）: '-5' is below the minimum 0"),
    (4, "E4: 污水处理量（万吨）: '约120' is not a number"),
    (5, "E5: 项目类别为污水处理厂但未填写污水处理量"),
    (6, "C6: 污水处理厂: unknown sewage treatment plant '廊坊市第三污水处理厂'"),
    (7, "A7: 统计月份: '2016年' is not a date"),
    (8, "A8: 统计月份 2016-03-01 is outside the delivery period 2016-04 of its folder"),
    (9, "row 9: duplicate 统计月份/项目类别/污水处理厂 2016-04-01/plant/WS01 (first at row 2)"),
    (10, "B10: 项目类别: unknown 项目类别 '雨水'"),
    (11, "D11: 运行天数: '45' is above the maximum 31"),
]


def _deliveries() -> list[tuple[str, str, list, list, dict]]:
    """(slot, file, header, rows, options) of every fixture delivery, in delivery order."""
    out: list[tuple[str, str, list, list, dict]] = []
    for month in range(1, 13):
        period = f"2015-{month:02d}"
        day = f"2015-{month:02d}-01"
        rows = month_rows(day, volumes_2015(month), GENERATED_2015)
        if month == 1:  # the office's workbook: a title row over the two-row header
            xlsx_rows = [
                [dt.date(2015, 1, 1), r[1], r[2], 12 if r[2] else None, r[3], r[4], r[5]]
                for r in rows
            ]
            out.append((period, "1月.xlsx", XLSX_HEADER, xlsx_rows, {"title": "污水处理月报"}))
        elif month == 2:
            gb = [
                ["2015年2月1日", "处理厂" if r[2] else "排放总量", r[2], r[4], r[5]] for r in rows
            ]
            out.append((period, "2月.csv", GB_HEADER, gb, {"encoding": "gb18030"}))
        elif month == 3:
            out.append((period, "3月.csv", HEADER, rows, {"encoding": "utf-8-sig"}))
        else:
            out.append((period, f"{month}月.csv", HEADER, rows, {}))
    fixed = month_rows("2015-03-01", MARCH_FIXED, MARCH_FIXED_GENERATED)
    out.append(("2015-03", "3月_更正.csv", HEADER, fixed, {"day": 20}))
    out.append(("2016-01", "a.csv", HEADER, month_rows("2016-01-01", JAN_2016, 820.0), {}))
    out.append(("2016-02", "b.csv", HEADER, month_rows("2016-02-01", FEB_2016, None), {}))
    out.append(("2016-04", "d.csv", HEADER, APRIL_2016_GOOD[:1] + APRIL_2016_BAD, {}))
    out.append(("2017-01", "e.csv", HEADER, month_rows("2017-01-01", JAN_2017, 0.0), {}))
    return out


def _deliver(wh: FeedWarehouse, slot: str, name: str, header: list, rows: list, options: dict):
    day = options.get("day", 10)
    return wh.deliver(
        FEED,
        slot,
        name,
        header,
        rows,
        encoding=options.get("encoding", "utf-8"),
        title=options.get("title"),
        received=received(slot, day),
    )


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> FeedWarehouse:
    house = FeedWarehouse(tmp_path_factory.mktemp("sewage"))
    for slot, name, header, rows, options in _deliveries():
        _deliver(house, slot, name, header, rows, options)
    house.ingest(FEED)
    house.build("fct_sewage_treatment", "int_kpi__sewage", "int_kpi_lineage__sewage")
    return house


# ----------------------------------------------------------------- loading


def test_every_file_reconciles_and_violations_are_named_by_cell(wh: FeedWarehouse) -> None:
    files = wh.query(
        "select source_file, status, rows_read, rows_loaded, rows_quarantined "
        "from raw.ingested_files order by source_file"
    )
    written = {f"sewage/{slot}/{name}": rows for slot, name, _, rows, _ in _deliveries()}
    assert {f for f, *_ in files} == set(written)
    for source_file, status, read, loaded, quarantined in files:
        assert status == "loaded", source_file
        assert read == len(written[source_file]) == loaded + quarantined, source_file
        expected_bad = len(APRIL_2016_BAD) if source_file.endswith("2016-04/d.csv") else 0
        assert quarantined == expected_bad, source_file
    reasons = wh.query("select source_row, reason from raw.quarantine order by source_row")
    # one problem per row, named by its cell (or its row, for a duplicate key)
    assert len(reasons) == len(APRIL_REASONS)
    for (row, reason), (expected_row, text) in zip(reasons, APRIL_REASONS, strict=True):
        assert row == expected_row and reason.startswith(text) and ";" not in reason, reason


def test_formats_and_header_synonyms_are_read(wh: FeedWarehouse) -> None:
    maps = {
        period: json.loads(header_map)
        for period, header_map in wh.query(
            "select delivery_period, header_map from staging.stg_raw__ingested_files "
            "where source_file not like '%更正%'"
        )
    }
    # headers as the reader keeps them (NFKC: full-width brackets become ASCII)
    assert maps["2015-01"]["days_operated"] == "运行情况/运行天数(天)"  # two-row header
    assert maps["2015-01"]["treated_volume"] == "运行情况/处理量(万吨)"
    assert maps["2015-02"]["treated_volume"] == "实际处理量"
    assert maps["2015-02"]["generated_volume"] == "污水排放量"
    assert maps["2015-04"]["generated_volume"] == "市区污水排放总量(万吨)"
    originals = wh.query(
        "select distinct row_type, row_type_original from staging.stg_raw__sewage order by 2"
    )
    assert ("plant", "处理厂") in originals and ("generated", "排放总量") in originals


def _load_in(workdir: Path, name: str, header: list, rows: list, **options: object) -> list:
    house = FeedWarehouse(workdir)
    house.deliver(FEED, "2015-05", name, header, rows, **options)
    [report] = house.ingest(FEED)
    assert (report.rows_loaded, report.rows_quarantined) == (len(rows), 0), report
    return house.query(
        "select stat_month, row_type, plant_code, treated_volume, generated_volume "
        "from raw.sewage order by row_type, plant_code"
    )


def test_every_format_and_encoding_loads_the_same_rows(tmp_path: Path) -> None:
    rows = month_rows("2015-05-01", {"廊坊市污水处理厂": 301.5, "燕郊西污水处理厂": 90.0}, 800.0)
    utf8 = _load_in(tmp_path / "u", "a.csv", HEADER, rows)
    assert _load_in(tmp_path / "b", "a.csv", HEADER, rows, encoding="utf-8-sig") == utf8
    gb_rows = [["2015年5月1日", r[1], r[2], r[4], r[5]] for r in rows]
    assert _load_in(tmp_path / "g", "a.csv", GB_HEADER, gb_rows, encoding="gb18030") == utf8
    xlsx_rows = [[dt.date(2015, 5, 1), r[1], r[2], None, r[3], r[4], r[5]] for r in rows]
    assert _load_in(tmp_path / "x", "a.xlsx", XLSX_HEADER, xlsx_rows, title="月报") == utf8
    assert utf8[0][1:] == ("generated", None, None, 800.0)


def test_a_correction_replaces_exactly_its_month(wh: FeedWarehouse) -> None:
    current = wh.query(
        "select delivery_period, plant_code, treated_volume_10k_t, generated_volume_10k_t, "
        "delivery_version from intermediate.int_sewage__current "
        "where delivery_period in ('2015-03', '2015-04') order by 1, 2 nulls last"
    )
    assert current == [
        ("2015-03", "WS01", 290.0, None, 2),
        ("2015-03", "WS02", 240.0, None, 2),
        ("2015-03", "WS03", 125.0, None, 2),
        ("2015-03", None, None, 810.0, 2),
        ("2015-04", "WS01", 304.0, None, 1),
        ("2015-04", "WS02", 250.0, None, 1),
        ("2015-04", "WS03", 120.0, None, 1),
        ("2015-04", "WS11", 90.0, None, 1),
        ("2015-04", None, None, 800.0, 1),
    ]
    history = wh.query(
        "select count(*) from staging.stg_raw__sewage where stat_month = date '2015-03-01'"
    )
    assert history == [(5 + 4,)]  # the first file's five rows stay as history


# ----------------------------------------------------------------- the rate


def _fixture_months() -> dict[tuple[int, int], tuple[float, float | None]]:
    """(year, month) → (市区 treated, generated) from the current fixture deliveries."""
    latest: dict[str, list] = {}
    header_of: dict[str, list] = {}
    for slot, _, header, rows, _ in _deliveries():
        latest[slot], header_of[slot] = rows, header  # later files replace their slot
    months: dict[tuple[int, int], tuple[float, float | None]] = {}
    for slot, rows in latest.items():
        year, month = map(int, slot.split("-"))
        good = rows[:1] if slot == "2016-04" else rows  # the good row of the error file
        treated, generated = 0.0, None
        for row in good:
            named = dict(zip(header_of[slot], row, strict=True))
            record = {h if isinstance(h, str) else h[1] or h[0]: v for h, v in named.items()}
            kind = record.get("项目类别", record.get("类别"))
            plant = record.get("污水处理厂", record.get("厂名", record.get("污水处理厂名称")))
            if kind in TOTAL_WORDS:
                generated = float(
                    record.get("市区污水排放总量（万吨）", record.get("污水排放量")) or 0
                )
            elif plant in URBAN:
                volume = record.get("污水处理量（万吨）", record.get("实际处理量"))
                treated += float(volume if volume is not None else record["处理量（万吨）"])
        months[(year, month)] = (treated, generated)
    return months


def test_monthly_rates_and_flags_equal_an_independent_calculation(wh: FeedWarehouse) -> None:
    computed = {
        (y, m): (t, g, r, above)
        for y, m, t, g, r, above in wh.query(
            "select stat_year, stat_month_no, urban_treated_10k_t, urban_generated_10k_t, "
            "treatment_rate, is_treated_above_generated from intermediate.int_sewage__months"
        )
    }
    expected = {}
    for key, (treated, generated) in _fixture_months().items():
        rate = round(100 * treated / generated, 4) if generated else None
        expected[key] = (treated, generated, rate, generated is not None and treated > generated)
    assert computed == expected
    assert expected[(2015, 7)] == (950.0, 800.0, 118.75, True)  # storm water: flagged
    assert expected[(2015, 1)][0] == 301 + 250 + 120  # 燕郊西 (county) left out


def test_the_kpi_equals_an_independent_calculation(wh: FeedWarehouse) -> None:
    by_year: dict[int, list[tuple[float, float | None]]] = defaultdict(list)
    for (year, _), volumes in _fixture_months().items():
        by_year[year].append(volumes)
    expected = {}
    for year, months in by_year.items():
        counted = sum(min(t, g) for t, g in months if g is not None)
        generated = sum(g for _, g in months if g is not None)
        complete = sum(g is not None for _, g in months) == 12
        value = round(100 * counted / generated, 4) if complete and generated else None
        expected[year] = (counted if generated else 0.0, generated, value)
    computed = {
        year: (numerator, denominator, actual)
        for year, scope, numerator, denominator, actual in wh.query(
            "select kpi_year, scope_code, numerator, denominator, actual_value "
            f"from intermediate.int_kpi__sewage where kpi_code = '{KPI}'"
        )
        if scope == CITY
    }
    assert computed.keys() == expected.keys() == {2015, 2016, 2017}
    for year in expected:
        assert computed[year] == pytest.approx(expected[year]), year
    assert expected[2015][2] is not None and expected[2016][2] is None  # a month is missing
    assert expected[2017] == (0.0, 0.0, None)  # denominator 0
    mart = wh.query(
        "select period_label, treatment_rate, assessed_rate, note from marts.fct_sewage_treatment "
        "where period_type = 'year' order by stat_year"
    )
    assert mart[0][0] == "2015年" and mart[0][2] == pytest.approx(expected[2015][2])
    assert mart[0][1] > mart[0][2]  # the delivered ratio counts July's storm water
    assert mart[1][1] is None and "无年度值" in mart[1][3]


# ----------------------------------------------------------------- the GX suite


def test_lineage_lists_exactly_the_counted_rows_of_a_value(wh: FeedWarehouse) -> None:
    """The auditor's query: the 2015 value's lineage rows joined to the file register are the
    市区 plant rows and the 排放总量 row of each month, by file and row as delivered: the
    county plant 燕郊西 (the fourth plant row) never, March only from its correction, the
    January workbook's rows below its title and two header rows (from row 4)."""
    got = wh.query(
        "select f.source_file, l.source_row "
        "from intermediate.int_kpi_lineage__sewage as l "
        "inner join raw.ingested_files as f on f.sha256 = l.source_sha256 "
        "where l.kpi_code = ? and l.kpi_year = 2015 and l.scope_type = 'city' "
        "and l.scope_code = ? and l.feed = 'sewage' and l.source_part is null",
        [KPI, CITY],
    )
    # a month with the county plant: plants in rows 2–4, 燕郊西 in 5, 排放总量 in 6
    expected = {(f"{m}月.csv", r) for m in (2, 4, 5, 6, 8, 9, 10, 11, 12) for r in (2, 3, 4, 6)}
    expected |= {("1月.xlsx", r) for r in (4, 5, 6, 8)}
    expected |= {("7月.csv", r) for r in (2, 3, 4, 5)}  # three plants, no county plant
    expected |= {("3月_更正.csv", r) for r in (2, 3, 4, 5)}
    assert sorted((Path(name).name, row) for name, row in got) == sorted(expected)


def test_gx_suite_passes_on_the_fixture_and_on_an_empty_table(wh: FeedWarehouse) -> None:
    outcome = validate_duckdb_table(wh.warehouse, STAGED, SUITE)
    assert outcome.success, [o for o in outcome.outcomes if not o.success]
    assert outcome.row_count == wh.query(f"select count(*) from {STAGED}")[0][0] > 0
    empty = read_duckdb_table(wh.warehouse, STAGED).iloc[0:0]
    assert validate_dataframe(empty, SUITE).success


def test_gx_suite_fails_naming_the_bad_rows(wh: FeedWarehouse) -> None:
    frame = read_duckdb_table(wh.warehouse, STAGED).sort_values(["source_file", "source_row"])
    frame = frame.reset_index(drop=True)
    bad = frame.copy()
    bad.loc[0, "plant_code"] = "WS99"
    bad.loc[1, "treated_volume_10k_t"] = -1.0
    total = frame.index[frame.row_type == "generated"][0]
    bad.loc[total, "generated_volume_10k_t"] = None
    outcome = validate_dataframe(bad, SUITE)
    failures = {(o.expectation_type, o.column): o for o in outcome.failed_outcomes}
    assert set(failures) == {
        ("expect_column_values_to_be_in_set", "plant_code"),
        ("expect_column_values_to_be_between", "treated_volume_10k_t"),
        (
            "expect_column_values_to_not_be_null",
            "generated_volume_10k_t where row_type == 'generated'",
        ),
    }
    for item in failures.values():
        assert item.unexpected_count == 1 and item.notes
    assert any(
        "WS99" in s
        for s in failures[("expect_column_values_to_be_in_set", "plant_code")].sample_unexpected
    )
    duplicated = validate_dataframe(frame.iloc[[0, 0, 1]], SUITE)
    [unique] = duplicated.failed_outcomes
    assert unique.expectation_type == "expect_compound_columns_to_be_unique"


# ----------------------------------------------------------------- generated files

# generated headers → field (every layout of the generator, read independently)
FIELDS = {
    "统计月份": "month",
    "报告期": "month",
    "月份": "month",
    "项目类别": "kind",
    "类别": "kind",
    "污水处理厂名称": "plant",
    "污水处理厂": "plant",
    "厂名": "plant",
    "处理厂名称": "plant",
    "运行情况/处理量（万吨）": "treated",
    "污水处理量（万吨）": "treated",
    "实际处理量": "treated",
    "处理量": "treated",
    "市区污水排放总量（万吨）": "generated",
    "污水排放量": "generated",
    "排放总量": "generated",
}
URBAN_NAMES = {
    name
    for row in load_seed("ref_sewage_plants")
    if row["is_urban"] == "true"
    for name in (row["plant_code"], row["plant_name"], *row["aliases"].split("|"))
}


def file_rows(path: Path) -> list[tuple[int, dict[str, object]]]:
    """A generated file's rows with their row numbers, keyed by FIELDS (openpyxl/csv only)."""
    if path.suffix == ".xlsx":
        workbook = openpyxl.load_workbook(path, read_only=True)
        table = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
        workbook.close()
        top = next(i for i, row in enumerate(table) if "项目类别" in row)
        header, carried = [], ""
        for name, sub in zip(table[top], table[top + 1], strict=True):
            carried = name or carried
            header.append(f"{carried}/{sub}" if sub else str(name))
        first = top + 2
    else:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("gb18030")
        table = list(csv.reader(text.splitlines()))
        header, first = table[0], 1
    return [
        (
            index + 1,
            {FIELDS[h]: v for h, v in zip(header, table[index], strict=True) if h in FIELDS},
        )
        for index in range(first, len(table))
    ]


def current_files(files: Iterable[Path]) -> list[Path]:
    by_folder: dict[Path, list[Path]] = defaultdict(list)
    for path in files:
        by_folder[path.parent].append(path)
    return [max(paths, key=lambda p: p.stat().st_mtime) for paths in by_folder.values()]


def expected_kpis(
    files: Iterable[Path], raw_dir: Path, quarantined: set[tuple[str, int]]
) -> dict[int, tuple[float, float, float | None]]:
    months: dict[tuple[int, int], list[float | None]] = {}
    for path in current_files(files):
        source_file = path.relative_to(raw_dir).as_posix()
        year, month = map(int, path.parent.name.split("-"))
        treated, generated = 0.0, None
        for number, row in file_rows(path):
            if (source_file, number) in quarantined:
                continue
            if row["kind"] in TOTAL_WORDS:
                generated = float(row["generated"])
            elif row["plant"] in URBAN_NAMES:
                treated += float(row["treated"])
        months[(year, month)] = [treated, generated]
    by_year: dict[int, list] = defaultdict(list)
    for (year, _), volumes in months.items():
        by_year[year].append(volumes)
    out = {}
    for year, values in by_year.items():
        counted = sum(min(t, g) for t, g in values if g is not None)
        generated = sum(g for _, g in values if g is not None)
        complete = sum(g is not None for _, g in values) == 12
        out[year] = (counted, generated, 100 * counted / generated if complete else None)
    return out


def _query(pipeline: Pipeline, sql: str, params: Sequence[object] = ()) -> list[tuple]:
    import duckdb

    with duckdb.connect(str(pipeline.warehouse), read_only=True) as conn:
        return conn.execute(sql, list(params)).fetchall()


def test_pipeline_files_reconcile(pipeline: Pipeline) -> None:
    summary = pipeline.feeds[FEED]
    files = _query(
        pipeline,
        "select source_file, status, rows_read, rows_loaded, rows_quarantined, "
        "(select count(*) from raw.sewage t where t._source_sha256 = f.sha256), "
        "(select count(*) from raw.quarantine q where q.source_sha256 = f.sha256) "
        "from raw.ingested_files f where f.feed = ?",
        [FEED],
    )
    repeated = {
        f
        for (f,) in _query(
            pipeline, "select source_file from raw.repeated_deliveries where feed = ?", [FEED]
        )
    }
    assert len(repeated) == summary.other_counts["repeated_deliveries"] > 0
    assert len(files) + len(repeated) == len(summary.files)
    for source_file, status, read, loaded, quarantined, in_table, in_quarantine in files:
        path = pipeline.raw_dir / source_file
        assert status == "loaded", source_file
        assert read == len(file_rows(path)) == summary.rows_per_file[path], source_file
        assert read == loaded + quarantined and (loaded, quarantined) == (in_table, in_quarantine)
    years = {int(f.split("/")[1][:4]) for f, *_ in files}
    assert years == {2014, 2015, 2016}  # the prior-year baseline


ERROR_SIGNS = {
    "negative_volume": "is below the minimum 0",
    "non_numeric_volume": "is not a number",
    "missing_volume": "但未填写",
    "unknown_plant": "unknown sewage treatment plant",
    "missing_month": "is not a date",
    "outside_period": "is outside the delivery period",
    "duplicate_plant": "duplicate 统计月份/项目类别/污水处理厂",
}


def test_pipeline_quarantines_every_injected_mistake(pipeline: Pipeline) -> None:
    summary = pipeline.feeds[FEED]
    assert sum(summary.injected_errors.values()) > 0
    reasons = [
        r for (r,) in _query(pipeline, "select reason from raw.quarantine where feed = ?", [FEED])
    ]
    expected = {k: n for k, n in summary.injected_errors.items() if n}
    assert injected_kinds(reasons, ERROR_SIGNS) == expected


def test_pipeline_gx_check_passed(pipeline: Pipeline) -> None:
    assert_gx_check_passed(pipeline.result, pipeline.warehouse, "stg_raw__sewage")


def test_pipeline_kpi_equals_an_independent_calculation(pipeline: Pipeline) -> None:
    quarantined = set(
        _query(
            pipeline, "select source_file, source_row from raw.quarantine where feed = ?", [FEED]
        )
    )
    summary = pipeline.feeds[FEED]
    delivered = [p for p in summary.files if "_重复报送" not in p.name]  # same bytes as a file
    expected = expected_kpis(delivered, pipeline.raw_dir, quarantined)
    values = {
        year: (n, d, v)
        for year, n, d, v in _query(
            pipeline,
            "select kpi_year, numerator, denominator, actual_value from marts.fct_kpi_values "
            "where kpi_code = ? and scope_type = 'city'",
            [KPI],
        )
    }
    assert values.keys() == expected.keys() == {2014, 2015, 2016}
    for year, (numerator, denominator, value) in expected.items():
        got = values[year]
        assert got[:2] == pytest.approx((numerator, denominator)), year
        assert (got[2] is None) == (value is None), year
        if value is not None:
            assert got[2] == pytest.approx(value, abs=1e-3), year
    targets = _query(
        pipeline,
        "select assessment_year, actual_value, status from marts.fct_city_targets "
        "where kpi_code = ?",
        [KPI],
    )
    assert {2015, 2016} <= {y for y, *_ in targets}
    for year, actual, status in targets:
        value = expected[year][2]
        if value is None:
            assert actual is None, year
        else:
            assert actual == pytest.approx(value, abs=1e-3)
            assert status == ("met" if value >= 60 else "not_met"), year


# ----------------------------------------------------------------- the generator

SCALE = 0.25


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("generated") / "raw"
    return out, generate_sewage(out, [2015], scale=SCALE, error_rate=0.0)


def test_generator_bytes_are_deterministic(generated, tmp_path: Path) -> None:
    _, summary = generated
    again = generate_sewage(tmp_path, [2015], scale=SCALE, error_rate=0.0)
    assert [p.name for p in again.files] == [p.name for p in summary.files]
    for first, second in zip(summary.files, again.files, strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name


def test_generator_year_unchanged_by_other_years(generated, tmp_path: Path) -> None:
    _, alone_2015 = generated  # 2014 (baseline) and 2015
    both = generate_sewage(tmp_path / "both", [2016, 2015], scale=SCALE, error_rate=0.0)
    by_path = {p.relative_to(tmp_path / "both").as_posix(): p for p in both.files}
    assert {p.parent.name[:4] for p in both.files} == {"2014", "2015", "2016"}
    alone_2016 = generate_sewage(tmp_path / "2016", [2016], scale=SCALE, error_rate=0.0)
    for path in (*alone_2015.files, *alone_2016.files):
        twin = by_path[path.relative_to(path.parents[2]).as_posix()]
        assert twin.read_bytes() == path.read_bytes(), path.name


def test_generator_files_carry_their_delivery_time(generated) -> None:
    out, summary = generated
    for path in summary.files:
        year, month = map(int, path.parent.name.split("-"))
        day = 20 if "_更正" in path.stem else 13 if "_重复报送" in path.stem else 10
        when = dt.datetime(year + month // 12, month % 12 + 1, day, 9, 30, tzinfo=LOCAL_TIME)
        assert path.stat().st_mtime == when.timestamp(), path.name
        assert path.parent.parent == out / FEED


def test_generator_formats_corrections_and_repeats(generated) -> None:
    _, summary = generated
    firsts = [p for p in summary.files if "_" not in p.stem.split("月报")[-1]]
    assert len(firsts) == 24  # 2014 baseline and 2015
    assert {p.suffix for p in firsts} == {".csv", ".xlsx"}
    encodings = set()
    for path in firsts:
        data = path.read_bytes()
        if path.suffix == ".csv":
            if data.startswith(b"\xef\xbb\xbf"):
                encodings.add("utf-8-sig")
            else:
                try:
                    data.decode("utf-8")
                    encodings.add("utf-8")
                except UnicodeDecodeError:
                    encodings.add("gb18030")
    assert encodings == {"utf-8", "utf-8-sig", "gb18030"}
    assert summary.other_counts == {"redeliveries": 2, "repeated_deliveries": 2}
    for fixed in [p for p in summary.files if "_更正" in p.stem]:
        [first] = [p for p in firsts if p.parent == fixed.parent]
        before, after = file_rows(first), file_rows(fixed)
        assert len(after) == len(before) + 1  # the left-out county plant
        assert [r for _, r in after] != [r for _, r in before]
    for again in [p for p in summary.files if "_重复报送" in p.stem]:
        [first] = [p for p in firsts if p.parent == again.parent]
        assert again.read_bytes() == first.read_bytes()


def test_generator_volumes_scale_and_look_like_langfang(generated, tmp_path: Path) -> None:
    _, summary = generated
    full = generate_sewage(tmp_path, [2015], scale=1.0, error_rate=0.0)

    def urban_per_day(files: Iterable[Path], year: int) -> float:
        total = 0.0
        for path in files:
            if path.parent.name.startswith(str(year)) and "_" not in path.stem.split("月报")[-1]:
                total += sum(
                    float(r["treated"]) for _, r in file_rows(path) if r["plant"] in URBAN_NAMES
                )
        return total / 365

    assert 20 <= urban_per_day(full.files, 2015) <= 30  # 万吨/日
    ratio = urban_per_day(full.files, 2015) / urban_per_day(summary.files, 2015)
    assert ratio == pytest.approx(4.0, rel=0.01)
    expected = expected_kpis(full.files, tmp_path, set())
    assert all(80 <= value <= 95 for _, _, value in expected.values() if value is not None)
    with pytest.raises(ValueError):
        generate_sewage(tmp_path, [2015], scale=0)


def test_generator_errors_are_exactly_one_quarantined_violation_each(
    generated, tmp_path: Path
) -> None:
    out, clean = generated
    dirty = generate_sewage(tmp_path / "raw", [2015], scale=SCALE, error_rate=0.3)
    assert all(n > 0 for n in dirty.injected_errors.values()), dirty.injected_errors
    assert set(dirty.injected_errors) == set(ERROR_SIGNS)
    house = FeedWarehouse(tmp_path)
    reports = house.ingest(FEED)
    assert sum(r.rows_quarantined for r in reports) == sum(dirty.injected_errors.values())
    reasons = [reason for (reason,) in house.query("select reason from raw.quarantine")]
    assert injected_kinds(reasons, ERROR_SIGNS) == dirty.injected_errors
    clean_reports = FeedWarehouse(out.parent).ingest(FEED)
    loaded = [r for r in clean_reports if r.status == "loaded"]
    assert sum(r.rows_quarantined for r in clean_reports) == 0
    repeats = sum(n for p, n in clean.rows_per_file.items() if "_重复报送" in p.stem)
    assert sum(r.rows_loaded for r in loaded) == clean.total_rows - repeats
    assert sum(r.status == "repeated" for r in clean_reports) == 2
