"""Special-equipment inspections (特种设备检验结果): hand-made deliveries through the real loader,
dbt and GX; the sample generator; and the feed on the shared pipeline.

Fixture files are written here by hand (never by the generator), so every expected value is
computed independently of the code under test."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pytest
from openpyxl import load_workbook

from orchestration.ingest.contract import ContractError, load_contract, parse_contract
from orchestration.ingest.landing import LOCAL_TIME
from orchestration.quality.gx_validation import (
    read_duckdb_table,
    validate_dataframe,
    validate_duckdb_table,
)
from orchestration.reference import load_seed
from orchestration.settings import EXPECTATIONS_DIR
from sample_data.special_equipment import generate_special_equipment
from tests.conftest import Pipeline
from tests.feed_helpers import FeedWarehouse

FEED = "special_equipment"
KPI = "SPECIAL_EQUIP_MAJOR_HAZARD_LISTED_RATE"
CITY = "131000"
BRANCH = "河北省特种设备监督检验院廊坊分院"
INSTITUTE = "廊坊市特种设备检验所"
SUITE = EXPECTATIONS_DIR / "stg_raw__special_equipment.json"
STAGED = "staging.stg_raw__special_equipment"
COUNTIES = [row["county_code"] for row in load_seed("ref_counties")]
COUNTY_BY_NAME = {
    name: row["county_code"]
    for row in load_seed("ref_counties")
    for name in (row["county_name"], row["short_name"], *row["aliases"].split("|"))
}

# The logical fields of a row, and how each layout heads them (same order as FIELDS).
FIELDS = (
    "report",
    "category",
    "code",
    "user",
    "county",
    "type",
    "date",
    "verdict",
    "due",
    "found",
    "rectified",
    "major",
    "listed",
    "agency",
)
BRANCH_XLSX = (  # the branch's workbook: title row, two-row header, no 检验机构 column
    ("报告编号", None),
    ("设备类别", None),
    ("注册代码", None),
    ("使用单位", None),
    ("县（市、区）", None),
    ("检验性质", None),
    ("检验日期", None),
    ("检验结论", None),
    ("下次检验日期", None),
    ("隐患排查", "发现"),
    ("隐患排查", "已整改"),
    ("重大隐患", "发现"),
    ("重大隐患", "挂牌督办"),
)
OLD_CSV = (
    "检验编号",
    "设备种类",
    "设备代码",
    "使用单位名称",
    "所在县区",
    "检验类型",
    "检验时间",
    "结论",
    "下次检验时间",
    "隐患数",
    "整改数",
    "重大隐患数",
    "挂牌督办数",
    "检验单位",
)
NEW_CSV = (
    "报告编号",
    "设备类别",
    "设备注册代码",
    "使用单位",
    "使用地点所在县区",
    "检验类别",
    "检验完成日期",
    "检验结论",
    "下次检验日期",
    "发现隐患数",
    "已整改隐患数",
    "发现重大隐患数",
    "已挂牌督办数",
    "检验检测机构",
)
ONE_ROW_XLSX = (
    "检验报告编号",
    "种类",
    "设备代码/注册代码",
    "设备使用单位",
    "县区",
    "检验类别",
    "检验日期",
    "检验结果",
    "下次定期检验日期",
    "隐患（处）",
    "已整改数",
    "重大隐患",
    "已挂牌督办数",
)


def row(
    report: str,
    county: str,
    found: int = 0,
    major: int = 0,
    listed: int = 0,
    *,
    day: str = "2015-03-10",
    category: str = "曳引驱动乘客电梯",
    verdict: str = "合格",
    kind: str = "定期检验",
    rectified: int | None = None,
    due: str = "2016-03-10",
    agency: str = "",
) -> dict[str, Any]:
    """One inspection as a dict of logical fields (cells as a body would type them)."""
    return {
        "report": report,
        "category": category,
        "code": f"3110131022{report[-6:]:0>10}",
        "user": "廊坊市示例物业服务有限公司",
        "county": county,
        "type": kind,
        "date": day,
        "verdict": verdict,
        "due": due,
        "found": found,
        "rectified": found if rectified is None else rectified,
        "major": major,
        "listed": listed,
        "agency": agency,
    }


def cells(rows: Sequence[dict[str, Any]], width: int) -> list[list[Any]]:
    """The rows in FIELDS order, cut to a layout of `width` columns."""
    return [[r[f] for f in FIELDS[:width]] for r in rows]


# ------------------------------------------------------------------ KPI and corrections

MARCH_BRANCH = [
    row(
        "HB-1",
        "固安县",
        3,
        1,
        1,
        rectified=2,
        category="承压蒸汽锅炉",
        verdict="不符合要求",
        due="/",
    ),
    row("HB-2", "固安", 0, category="固定式压力容器", verdict="符合要求"),
    row("HB-3", "霸州市", 3, 2, 1, category="工业管道", verdict="停止使用", due="/"),
    row("HB-4", "广阳区", 1, category="大型游乐设施", verdict="复检合格"),
]
# the correction: HB-3's second major hazard listed since, HB-2 withdrawn, HB-5 forgotten
MARCH_BRANCH_FIXED = [
    MARCH_BRANCH[0],
    row("HB-3", "霸州市", 3, 2, 2, category="工业管道", verdict="停止使用", due="/"),
    MARCH_BRANCH[3],
    row("HB-5", "永清县", 2, 1, 0, category="承压热水锅炉", verdict="不符合要求", due="/"),
]
APRIL_INSTITUTE = [
    row("TJ-1", "三河市", 2, 1, 1, day="2015/4/7", category="电梯", verdict="不合格", due="/"),
    row("TJ-2", "开发区", 1, day="2015/4/8", category="电梯", verdict="复检合格", due="2016/4/8"),
    row("TJ-3", "安次区", 0, day="2015/4/9", category="起重机械", kind="定检", due="2017/4/9"),
]
MAY_2016_INSTITUTE = [  # a year without any major hazard
    row("TJ-4", "固安县", 1, day="2016-05-03", due="2017-05-03"),
    row("TJ-5", "香河县", 0, day="2016-05-04", kind="监督检验", due="2017-05-04"),
]
CURRENT = MARCH_BRANCH_FIXED + APRIL_INSTITUTE + MAY_2016_INSTITUTE


def expected_kpi(rows: Sequence[dict[str, Any]]) -> dict[tuple[int, str], tuple[float, float]]:
    """(year, scope) → (listed, found), every county in every year with rows."""
    years = {int(r["date"][:4]) for r in rows}
    totals = {(year, scope): [0, 0] for year in years for scope in [CITY, *COUNTIES]}
    for r in rows:
        for scope in (CITY, COUNTY_BY_NAME[r["county"]]):
            totals[(int(r["date"][:4]), scope)][0] += r["listed"]
            totals[(int(r["date"][:4]), scope)][1] += r["major"]
    return {key: (float(listed), float(found)) for key, (listed, found) in totals.items()}


@pytest.fixture(scope="module")
def kpi_wh(tmp_path_factory: pytest.TempPathFactory) -> FeedWarehouse:
    wh = FeedWarehouse(tmp_path_factory.mktemp("special-equipment-kpi"))
    title = f"{BRANCH}2015年3月特种设备检验结果汇总表"
    for name, rows, received in (
        ("a.xlsx", MARCH_BRANCH, dt.datetime(2015, 4, 5, 10)),
        ("a_更正.xlsx", MARCH_BRANCH_FIXED, dt.datetime(2015, 4, 18, 10)),
    ):
        wh.deliver(
            FEED,
            f"{BRANCH}/2015-03",
            name,
            BRANCH_XLSX,
            cells(rows, len(BRANCH_XLSX)),
            received=received,
            title=title,
        )
    wh.deliver(
        FEED,
        f"{INSTITUTE}/2015-04",
        "b.csv",
        OLD_CSV,
        cells([{**r, "agency": "市特检所"} for r in APRIL_INSTITUTE], len(OLD_CSV)),
        encoding="gb18030",
        received=dt.datetime(2015, 5, 6, 15),
    )
    wh.deliver(
        FEED,
        f"{INSTITUTE}/2016-05",
        "c.csv",
        NEW_CSV,
        cells(MAY_2016_INSTITUTE, len(NEW_CSV) - 1),  # no 检验检测机构 cells: the folder says
        encoding="utf-8-sig",
        received=dt.datetime(2016, 6, 6, 15),
    )
    reports = wh.ingest(FEED)
    assert sorted((r.status, r.rows_loaded, r.rows_quarantined) for r in reports) == [
        ("loaded", 2, 0),
        ("loaded", 3, 0),
        ("loaded", 4, 0),
        ("loaded", 4, 0),
    ], reports
    wh.build(
        "fct_kpi_values",
        "int_special_equipment__inspections_by_category",
        "int_kpi_lineage__special_equipment",
    )
    return wh


def test_a_correction_replaces_exactly_its_slot(kpi_wh: FeedWarehouse) -> None:
    current = kpi_wh.query(
        "select delivery_source, delivery_period, report_no, major_hazards_listed, "
        "delivery_version from intermediate.int_special_equipment__current order by report_no"
    )
    assert current == [
        ("hbtj_lf", "2015-03", "HB-1", 1, 2),
        ("hbtj_lf", "2015-03", "HB-3", 2, 2),
        ("hbtj_lf", "2015-03", "HB-4", 0, 2),
        ("hbtj_lf", "2015-03", "HB-5", 0, 2),
        ("lf_tjs", "2015-04", "TJ-1", 1, 1),
        ("lf_tjs", "2015-04", "TJ-2", 0, 1),
        ("lf_tjs", "2015-04", "TJ-3", 0, 1),
        ("lf_tjs", "2016-05", "TJ-4", 0, 1),
        ("lf_tjs", "2016-05", "TJ-5", 0, 1),
    ]
    # the replaced rows stay in staging as history
    assert kpi_wh.query(f"select count(*), count(distinct report_no) from {STAGED}") == [(13, 10)]


def test_the_listed_rate_equals_an_independent_calculation(kpi_wh: FeedWarehouse) -> None:
    computed = {
        (year, scope): (numerator, denominator, actual, rows)
        for year, scope, numerator, denominator, actual, rows in kpi_wh.query(
            "select kpi_year, scope_code, numerator, denominator, actual_value, source_rows "
            "from intermediate.int_kpi__special_equipment"
        )
    }
    expected = expected_kpi(CURRENT)
    assert set(computed) == set(expected)
    for key, (listed, found) in expected.items():
        numerator, denominator, actual, _ = computed[key]
        assert (numerator, denominator) == (listed, found), key
        assert actual == (None if found == 0 else pytest.approx(100 * listed / found)), key
    # spelled out: HB-1 1/1, HB-3 2/2 (listed in the correction), HB-5 0/1, TJ-1 1/1; the
    # source rows are the inspections with a major hazard
    assert computed[(2015, CITY)] == (4.0, 5.0, 80.0, 4)
    assert computed[(2015, "131023")] == (0.0, 1.0, 0.0, 1)  # 永清: found, none listed
    assert computed[(2015, "131003")] == (0.0, 0.0, None, 0)  # 广阳: inspected, no major
    assert computed[(2015, "131024")] == (0.0, 0.0, None, 0)  # 香河: no inspection in 2015
    assert computed[(2016, CITY)] == (0.0, 0.0, None, 0)  # a year without major hazards


def test_lineage_lists_the_inspections_with_a_major_hazard(kpi_wh: FeedWarehouse) -> None:
    """挂牌督办率 2015 of the city: HB-1, HB-3 and HB-5 of the branch's correction (title row 1,
    two-row header rows 2–3, so HB-1 is row 4 and HB-4, without a major hazard, row 6) and
    TJ-1 of the institute's CSV (row 2). 永清's value is HB-5 alone; 2016 (no major hazard)
    has no lineage at all."""
    lineage = kpi_wh.query(
        "select lineage.kpi_year, lineage.scope_code, files.source_file, lineage.source_row "
        "from intermediate.int_kpi_lineage__special_equipment as lineage "
        "inner join raw.ingested_files as files on files.sha256 = lineage.source_sha256 "
        "where lineage.scope_code in (?, '131023') or lineage.kpi_year = 2016",
        [CITY],
    )
    march = f"special_equipment/{BRANCH}/2015-03/a_更正.xlsx"
    april = f"special_equipment/{INSTITUTE}/2015-04/b.csv"
    assert sorted(lineage) == sorted(
        [
            (2015, CITY, march, 4),
            (2015, CITY, march, 5),
            (2015, CITY, march, 7),
            (2015, CITY, april, 2),
            (2015, "131023", march, 7),
        ]
    )


def test_a_year_without_major_hazards_is_not_a_failure(kpi_wh: FeedWarehouse) -> None:
    statuses = dict(
        kpi_wh.query(
            "select kpi_year, status from marts.fct_kpi_values "
            f"where kpi_code = '{KPI}' and scope_type = 'city'"
        )
    )
    assert statuses == {2015: "not_met", 2016: "no_data"}


def test_inspections_by_category(kpi_wh: FeedWarehouse) -> None:
    def by_category(category: str) -> list[tuple]:
        return kpi_wh.query(
            "select county_code, inspection_type, inspections, passed, failed, pass_rate, "
            "hazards_found, rectification_rate "
            "from intermediate.int_special_equipment__inspections_by_category "
            "where inspection_year = 2015 and category_code = ? order by county_code",
            [category],
        )

    # TJ-1 不合格 in 三河, TJ-2 复检合格 in the development zone
    assert by_category("elevator") == [
        ("131082", "periodic", 1, 0, 1, 0.0, 2, 100.0),
        ("LFKFQ", "periodic", 1, 1, 0, 100.0, 1, 100.0),
    ]
    # HB-1 (3 found, 2 rectified) and HB-5 of the correction; no hazard at TJ-3
    assert by_category("boiler") == [
        ("131022", "periodic", 1, 0, 1, 0.0, 3, pytest.approx(66.6667)),
        ("131023", "periodic", 1, 0, 1, 0.0, 2, 100.0),
    ]
    assert by_category("lifting") == [("131002", "periodic", 1, 1, 0, 100.0, 0, None)]


# ------------------------------------------------------------------ formats and violations

SAME = [  # the same two inspections, delivered in every format
    row("TJ-61", "固安县", 2, 1, 1, day="2015-06-02", verdict="不合格", due="/"),
    row("TJ-62", "大厂回族自治县", 1, day="2015-06-03", category="叉车", kind="首次检验"),
]
VARIANTS = {  # logical value → how the other files spell it
    "固安县": "固安",
    "大厂回族自治县": "大厂",
    "曳引驱动乘客电梯": "电梯",
    "叉车": "场(厂)内专用机动车辆",
}


@pytest.fixture(scope="module")
def formats_wh(tmp_path_factory: pytest.TempPathFactory) -> FeedWarehouse:
    wh = FeedWarehouse(tmp_path_factory.mktemp("special-equipment-formats"))
    slot = f"{INSTITUTE}/2015-06"
    spelt = [
        {k: VARIANTS.get(v, v) if isinstance(v, str) else v for k, v in r.items()} for r in SAME
    ]
    slash = [{**r, "date": r["date"].replace("-", "/")} for r in spelt]
    wh.deliver(FEED, slot, "u8.csv", NEW_CSV, cells(SAME, 13), encoding="utf-8")
    wh.deliver(FEED, slot, "bom.csv", OLD_CSV, cells(spelt, 13), encoding="utf-8-sig")
    wh.deliver(FEED, slot, "gb.csv", NEW_CSV, cells(slash, 13), encoding="gb18030")
    typed = [
        {**r, "date": dt.date.fromisoformat(r["date"])} for r in SAME
    ]  # xlsx date cells and number cells
    wh.deliver(FEED, slot, "two.xlsx", BRANCH_XLSX, cells(typed, 13), title="检验结果")
    wh.deliver(FEED, slot, "one.xlsx", ONE_ROW_XLSX, cells(spelt, 13))
    wh.ingest(FEED)
    return wh


def test_every_encoding_and_header_layout_loads_the_same_rows(formats_wh: FeedWarehouse) -> None:
    contract = load_contract(FEED)
    columns = ", ".join(c.name for c in contract.columns)
    by_file: dict[str, list[tuple]] = defaultdict(list)
    for record in formats_wh.records(
        f"select _source_file as f, {columns} from raw.special_equipment order by f, report_no"
    ):
        by_file[Path(record.pop("f")).name].append(tuple(record.values()))
    assert set(by_file) == {"u8.csv", "bom.csv", "gb.csv", "two.xlsx", "one.xlsx"}
    first = by_file["u8.csv"]
    assert all(rows == first for rows in by_file.values()), by_file
    assert first[0][:8] == (
        "TJ-61",
        SAME[0]["code"],
        "elevator",
        "131022",
        "廊坊市示例物业服务有限公司",
        "lf_tjs",  # from the delivery folder: no file has a 检验机构 cell
        "periodic",
        dt.date(2015, 6, 2),
    )
    assert first[1][2:4] == ("field_vehicle", "131028")
    assert first[1][6] == "periodic"  # 首次检验 of a new 场车 is its first periodic inspection
    files = formats_wh.query(
        "select source_file, encoding, rows_read, rows_loaded, rows_quarantined "
        "from raw.ingested_files order by source_file"
    )
    assert {Path(f).name: (e, r, lo, q) for f, e, r, lo, q in files} == {
        "bom.csv": ("utf-8-sig", 2, 2, 0),
        "gb.csv": ("gb18030", 2, 2, 0),
        "one.xlsx": (None, 2, 2, 0),
        "two.xlsx": (None, 2, 2, 0),
        "u8.csv": ("utf-8-sig", 2, 2, 0),  # plain UTF-8 decodes as UTF-8(-sig) too
    }


# (row as typed, the reason expected for it); None = the good row
VIOLATIONS: list[tuple[dict[str, Any], str | None]] = [
    (row("TJ-70", "固安县", 1, day="2015-07-01", due="2016-07-01"), None),
    (row("TJ-71", "北京市朝阳区", day="2015-07-01"), "E3: 县区: unknown county '北京市朝阳区'"),
    (
        row("TJ-72", "固安县", day="2015-07-01", category="常压容器"),
        "B4: 设备类别: unknown special-equipment category '常压容器'",
    ),
    (
        row("TJ-73", "固安县", day="2015-07-01", verdict="待定"),
        "H5: 检验结论: unknown 检验结论 '待定'",
    ),
    (
        row("TJ-74", "固安县", day="2015-07-01", kind="委托检验"),
        "F6: 检验类别: unknown 检验类别 '委托检验'",
    ),
    (
        row("TJ-75", "固安县", day="2015-02-30"),
        "G7: 检验日期: '2015-02-30' is not a valid calendar date",
    ),
    (
        row("TJ-76", "固安县", day="2015-06-30"),
        "G8: 检验日期 2015-06-30 is outside the delivery period 2015-07 of its folder",
    ),
    (
        {**row("TJ-77", "固安县", day="2015-07-01"), "found": "两处"},
        "J9: 发现隐患数: '两处' is not a number",
    ),
    (
        {**row("TJ-78", "固安县", day="2015-07-01"), "rectified": -1},
        "K10: 已整改隐患数: '-1' is below the minimum 0",
    ),
    (
        row("TJ-79", "固安县", 1, rectified=2, day="2015-07-01"),
        "K11: 已整改隐患数大于发现隐患数",
    ),
    (row("TJ-80", "固安县", 1, 2, day="2015-07-01"), "L12: 重大隐患数大于发现隐患数"),
    (row("TJ-81", "固安县", 2, 1, 2, day="2015-07-01"), "M13: 挂牌督办重大隐患数大于重大隐患数"),
    (
        row("TJ-82", "固安县", day="2015-07-03", due="2015-07-03"),
        "I14: 下次检验日期不晚于检验日期",
    ),
    ({**row("TJ-83", "固安县", day="2015-07-01"), "code": "/"}, "C15: 设备代码 is empty"),
    (
        row("TJ-84", "固安县", day="2015-07-01", agency="省特检院"),
        f"N16: 检验机构 '省特检院' does not match the delivery folder '{INSTITUTE}'",
    ),
    (row("TJ-70", "霸州市", day="2015-07-02"), "row 17: duplicate 报告编号 TJ-70 (first at row 2)"),
    (
        row("TJ-61", "固安县", day="2015-07-02"),
        f"duplicate 报告编号 TJ-61: already loaded from special_equipment/{INSTITUTE}/2015-06/",
    ),
    (
        {**row("TJ-86", "固安县", day="2015-07-01"), "major": 1.5},
        "L19: 重大隐患数: '1.5' is not a whole number",
    ),
]


@pytest.fixture(scope="module")
def violations_wh(formats_wh: FeedWarehouse) -> FeedWarehouse:
    """The violations file lands after the format files (its cross-slot duplicate needs them)."""
    wh = formats_wh
    wh.deliver(
        FEED,
        f"{INSTITUTE}/2015-07",
        "bad.csv",
        NEW_CSV,
        cells([r for r, _ in VIOLATIONS], len(NEW_CSV)),
        encoding="utf-8-sig",
    )
    # a file without the 重大隐患 columns: every row quarantined with that reason
    wh.deliver(
        FEED,
        f"{INSTITUTE}/2015-08",
        "short.csv",
        NEW_CSV[:11],
        cells([row("TJ-90", "固安县", day="2015-08-03")], 11),
    )
    wh.ingest(FEED)
    return wh


def test_every_violation_is_quarantined_naming_its_cell(violations_wh: FeedWarehouse) -> None:
    quarantined = dict(
        violations_wh.query(
            "select source_row, reason from raw.quarantine where source_file like '%bad.csv'"
        )
    )
    loaded = violations_wh.query(
        "select report_no from raw.special_equipment where _source_file like '%bad.csv'"
    )
    assert loaded == [("TJ-70",)]
    expected = {n: reason for n, (_, reason) in enumerate(VIOLATIONS, start=2) if reason}
    assert set(quarantined) == set(expected)
    for number, reason in expected.items():
        assert reason in quarantined[number], (number, quarantined[number])
        assert quarantined[number].count(": ") >= 1
    short = violations_wh.query(
        "select q.reason, f.status, f.reason from raw.quarantine q join raw.ingested_files f "
        "on f.sha256 = q.source_sha256 where q.source_file like '%short.csv'"
    )
    missing = "required columns missing: 重大隐患数, 挂牌督办重大隐患数"
    assert [(missing in q, status, missing in f) for q, status, f in short] == [
        (True, "rejected", True)
    ]


def test_rows_read_equal_rows_loaded_plus_quarantined(violations_wh: FeedWarehouse) -> None:
    files = violations_wh.query(
        "select f.source_file, f.rows_read, f.rows_loaded, f.rows_quarantined, "
        "(select count(*) from raw.special_equipment s where s._source_sha256 = f.sha256), "
        "(select count(*) from raw.quarantine q where q.source_sha256 = f.sha256) "
        "from raw.ingested_files f"
    )
    by_name = {Path(f).name: rest for f, *rest in files}
    assert by_name["bad.csv"] == [len(VIOLATIONS), 1, len(VIOLATIONS) - 1, 1, len(VIOLATIONS) - 1]
    assert by_name["short.csv"] == [1, 0, 1, 0, 1]
    for read, loaded, quarantined, in_table, in_quarantine in by_name.values():
        assert read == loaded + quarantined
        assert (loaded, quarantined) == (in_table, in_quarantine)


def test_a_minimum_belongs_to_numbers_only() -> None:
    raw = {
        "feed": "x",
        "title": "x",
        "table": "raw.x",
        "delivery": {"grain": "month", "date_column": "d"},
        "columns": [
            {"name": "d", "label": "日期", "type": "date"},
            {"name": "t", "label": "文本", "type": "text", "min": 0},
        ],
    }
    with pytest.raises(ContractError, match="min/max apply to integer and decimal columns"):
        parse_contract(raw)
    raw["columns"][1] = {"name": "n", "label": "数", "type": "decimal", "min": 0, "max": 100}
    column = parse_contract(raw).column("n")
    assert (column.minimum, column.maximum) == (0, 100)


# ------------------------------------------------------------------ Great Expectations


def test_the_suite_passes_on_the_staged_fixture_and_on_an_empty_table(
    kpi_wh: FeedWarehouse,
) -> None:
    outcome = validate_duckdb_table(kpi_wh.warehouse, STAGED, SUITE)
    assert outcome.success, [o for o in outcome.outcomes if not o.success]
    assert outcome.row_count == 13
    frame = read_duckdb_table(kpi_wh.warehouse, STAGED)
    empty = validate_dataframe(frame.iloc[0:0], SUITE)
    assert empty.success, [o for o in empty.outcomes if not o.success]


def test_the_suite_fails_naming_the_bad_rows(kpi_wh: FeedWarehouse) -> None:
    frame = read_duckdb_table(kpi_wh.warehouse, STAGED).sort_values("source_row")
    frame = frame.reset_index(drop=True)
    frame.loc[0, "major_hazards_listed"] = frame.loc[0, "major_hazards_found"] + 1
    frame.loc[1, "hazards_found"] = -1
    frame.loc[2, "verdict"] = "basically_ok"
    frame.loc[3, "category_code"] = "gas_cylinder"
    passed = frame.index[frame["verdict"] == "pass"][-1]
    frame.loc[passed, "is_pass"] = False  # disagrees with its verdict
    frame.loc[5, ["report_no", "source_sha256"]] = frame.loc[6, ["report_no", "source_sha256"]]
    outcome = validate_dataframe(frame, SUITE)
    assert not outcome.success
    failures = {(o.expectation_type, o.column): o for o in outcome.failed_outcomes}
    kinds = {kind for kind, _ in failures}
    assert kinds == {
        "expect_column_pair_values_a_to_be_greater_than_b",
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_in_set",
        "expect_compound_columns_to_be_unique",
    }
    assert ("expect_column_values_to_be_between", "hazards_found") in failures
    assert ("expect_column_values_to_be_in_set", "verdict") in failures
    assert ("expect_column_values_to_be_in_set", "category_code") in failures
    shown = json.dumps([o.sample_unexpected for o in outcome.failed_outcomes], ensure_ascii=False)
    for value in ("basically_ok", "gas_cylinder", "-1"):
        assert value in shown
    bad_row = f"source_row={frame.loc[passed, 'source_row']}"
    assert any(bad_row in s for o in outcome.failed_outcomes for s in o.sample_unexpected)
    assert outcome.failed == len(failures) >= 6


# ------------------------------------------------------------------ the generator

GEN_SCALE = 0.05


def _generate(path: Path, years: Sequence[int], **kwargs: Any):
    return generate_special_equipment(path, years, scale=kwargs.pop("scale", GEN_SCALE), **kwargs)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory):
    """Clean sample files of two years, in a private landing zone (loaded by one test)."""
    wh = FeedWarehouse(tmp_path_factory.mktemp("se-generated"))
    return wh, _generate(wh.raw_dir, [2015, 2016], error_rate=0.0)


def _bytes(root: Path, files: Sequence[Path]) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in files}


def test_generation_is_byte_deterministic_and_years_independent(generated, tmp_path) -> None:
    wh, summary = generated
    out = wh.raw_dir
    again = _generate(tmp_path / "again", [2015, 2016], error_rate=0.0)
    assert _bytes(out, summary.files) == _bytes(tmp_path / "again", again.files)
    alone = _generate(tmp_path / "alone", [2016], error_rate=0.0)
    both_2016 = {k: v for k, v in _bytes(out, summary.files).items() if "/2016-" in k}
    assert _bytes(tmp_path / "alone", alone.files) == both_2016


def test_files_carry_their_delivery_time(generated) -> None:
    _, summary = generated
    schedule = load_contract(FEED).schedule
    assert schedule is not None
    by_slot: dict[Path, list[dt.datetime]] = defaultdict(list)
    for path in summary.files:
        received = dt.datetime.fromtimestamp(path.stat().st_mtime, LOCAL_TIME).replace(tzinfo=None)
        year, month = map(int, path.parent.name.split("-"))
        period_end = dt.datetime(year + month // 12, month % 12 + 1, 1)
        assert period_end < received < period_end + dt.timedelta(days=schedule.period_lag_days)
        if "更正" not in path.name:
            assert received.day <= 8, path  # by the 8th of the next month
        by_slot[path.parent].append(received)
    corrected = [p for p in summary.files if "更正" in p.name]
    assert len(corrected) == 2 == summary.other_counts["redeliveries"]  # one a year
    for path in corrected:
        first = next(p for p in path.parent.iterdir() if p != path)
        assert first.stat().st_mtime < path.stat().st_mtime


def _read_generated(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(row number, {header: value}) of a generated file, read with openpyxl / csv only."""
    if path.suffix == ".xlsx":
        sheet = load_workbook(path, read_only=True).worksheets[0]
        values = [list(r) for r in sheet.iter_rows(values_only=True)]
        top = next(i for i, r in enumerate(values) if "报告编号" in r)
        carried, header = "", []
        for head, sub in zip(values[top], values[top + 1], strict=True):
            carried = head or carried
            header.append(f"{carried}/{sub}" if sub else head)
        return [
            (top + 3 + i, dict(zip(header, r, strict=True)))
            for i, r in enumerate(values[top + 2 :])
        ]
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig") if raw.startswith(b"\xef\xbb\xbf") else None
    if text is None:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("gb18030")
    lines = list(csv.reader(text.splitlines()))
    return [(i + 2, dict(zip(lines[0], r, strict=True))) for i, r in enumerate(lines[1:])]


def _pick(record: dict[str, Any], *names: str) -> Any:
    return next(record[n] for n in names if n in record)


def test_volumes_formats_and_stable_equipment_codes(generated, tmp_path) -> None:
    _, summary = generated
    per_year: Counter[int] = Counter()
    codes: dict[int, set[str]] = defaultdict(set)
    kinds = Counter()
    for path in summary.files:
        if "更正" in path.name:
            continue
        for _, record in _read_generated(path):
            year = int(path.parent.name[:4])
            per_year[year] += 1
            codes[year].add(_pick(record, "注册代码", "设备代码", "设备注册代码"))
        kinds[(path.parent.parent.name, path.suffix, path.read_bytes()[:3] == b"\xef\xbb\xbf")] += 1
    # scale 1 ≈ 35,000 inspection reports in 2015 and 38,000 in 2016 (docs/feeds)
    assert 0.9 * 35000 * GEN_SCALE < per_year[2015] < 1.1 * 35000 * GEN_SCALE
    assert per_year[2015] < per_year[2016] < 1.2 * per_year[2015]
    # the same elevators and boilers come back every year, under the same code
    yearly = {c for c in codes[2015] if c[:1] in "135"}
    assert len(yearly & codes[2016]) > 0.85 * len(yearly)
    assert kinds == {
        (BRANCH, ".xlsx", False): 24,
        (INSTITUTE, ".csv", False): 6,  # GB18030 until June 2015
        (INSTITUTE, ".csv", True): 18,  # UTF-8 with BOM from July 2015
    }
    bigger = _generate(tmp_path / "bigger", [2015], error_rate=0.0, scale=2 * GEN_SCALE)
    assert (
        1.8
        < bigger.total_rows
        / sum(n for p, n in summary.rows_per_file.items() if "/2015-" in p.as_posix())
        < 2.2
    )


def test_at_error_rate_zero_every_row_loads(generated) -> None:
    wh, summary = generated
    reports = wh.ingest(FEED)
    assert sum(r.rows_read for r in reports) == summary.total_rows
    assert sum(r.rows_quarantined for r in reports) == 0
    assert all(r.status == "loaded" for r in reports)


# ------------------------------------------------------------------ on the shared pipeline

# each quarantine reason belongs to exactly one injected kind (first match wins)
REASON_KINDS = (
    ("agency_mismatch", "does not match the delivery folder"),
    ("unknown_county", "unknown county"),
    ("unknown_category", "unknown special-equipment category"),
    ("unknown_verdict", "unknown 检验结论"),
    ("unknown_inspection_type", "unknown 检验类别"),
    ("outside_period", "outside the delivery period"),
    ("bad_date", "检验日期: '"),
    ("bad_count", "数: '"),
    ("rectified_over_found", "已整改隐患数大于发现隐患数"),
    ("listed_over_major", "挂牌督办重大隐患数大于重大隐患数"),
    ("major_over_found", "重大隐患数大于发现隐患数"),
    ("next_due_not_after_inspection", "下次检验日期不晚于检验日期"),
    ("missing_equipment_code", "设备代码 is empty"),
)


def _pipeline_query(pipeline: Pipeline, sql: str) -> list[tuple]:
    with duckdb.connect(str(pipeline.warehouse), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_pipeline_files_reconcile(pipeline: Pipeline) -> None:
    summary = pipeline.feeds[FEED]
    files = _pipeline_query(
        pipeline,
        "select f.source_file, f.rows_read, f.rows_loaded, f.rows_quarantined, "
        "(select count(*) from raw.special_equipment s where s._source_sha256 = f.sha256), "
        "(select count(*) from raw.quarantine q where q.source_sha256 = f.sha256) "
        f"from raw.ingested_files f where feed = '{FEED}'",
    )
    assert len(files) == len(summary.files)
    for source_file, read, loaded, quarantined, in_table, in_quarantine in files:
        counted = len(_read_generated(pipeline.raw_dir / source_file))
        assert read == counted == loaded + quarantined, source_file
        assert (loaded, quarantined) == (in_table, in_quarantine), source_file


def test_pipeline_quarantines_every_injected_mistake(pipeline: Pipeline) -> None:
    injected = pipeline.feeds[FEED].injected_errors
    assert sum(injected.values()) > 0
    reasons = [
        r
        for (r,) in _pipeline_query(
            pipeline, f"select reason from raw.quarantine where feed = '{FEED}'"
        )
    ]
    found = Counter(
        next(kind for kind, text in REASON_KINDS if text in reason) for reason in reasons
    )
    assert found == Counter({k: n for k, n in injected.items() if n})
    assert all(re.match(r"^[A-Z]+\d+: ", reason) for reason in reasons)
    evaluation = next(
        e
        for e in pipeline.result.get_asset_check_evaluations()
        if e.check_name == "gx_stg_raw__special_equipment"
    )
    assert evaluation.passed
    assert evaluation.metadata["rows_validated"].value > 0


def test_pipeline_kpi_equals_an_independent_calculation(pipeline: Pipeline) -> None:
    quarantined = set(
        _pipeline_query(
            pipeline, f"select source_file, source_row from raw.quarantine where feed = '{FEED}'"
        )
    )
    latest: dict[Path, Path] = {}
    for path in pipeline.feeds[FEED].files:  # the current delivery of a slot: received last
        held = latest.get(path.parent)
        if held is None or held.stat().st_mtime < path.stat().st_mtime:
            latest[path.parent] = path
    rows = []
    for path in latest.values():
        source_file = path.relative_to(pipeline.raw_dir).as_posix()
        for number, record in _read_generated(path):
            if (source_file, number) in quarantined:
                continue
            day = _pick(record, "检验日期", "检验时间", "检验完成日期")
            county = _pick(record, "县（市、区）", "所在县区", "使用地点所在县区")
            rows.append(
                {
                    "date": str(day)[:4],
                    "county": county,
                    "major": int(_pick(record, "重大隐患/发现", "重大隐患数", "发现重大隐患数")),
                    "listed": int(_pick(record, "重大隐患/挂牌督办", "挂牌督办数", "已挂牌督办数")),
                }
            )
    expected = expected_kpi(rows)
    computed = {
        (year, scope): (numerator, denominator, actual, status)
        for year, scope, numerator, denominator, actual, status in _pipeline_query(
            pipeline,
            "select kpi_year, scope_code, numerator, denominator, actual_value, status "
            f"from marts.fct_kpi_values where kpi_code = '{KPI}'",
        )
    }
    assert set(computed) == set(expected)
    for key, (listed, found) in expected.items():
        numerator, denominator, actual, status = computed[key]
        assert (numerator, denominator) == (listed, found), key
        if found:
            assert actual == pytest.approx(100 * listed / found), key
            assert status == ("met" if listed == found else "not_met"), key
        else:
            assert (actual, status) == (None, "no_data"), key
    assert sum(found for (_, scope), (_, found) in expected.items() if scope == CITY) > 0
    targets = dict(
        _pipeline_query(
            pipeline,
            "select assessment_year, actual_value from marts.fct_city_targets "
            f"where kpi_code = '{KPI}'",
        )
    )
    for (year, scope), (_, _, actual, _) in computed.items():
        if scope == CITY:
            assert targets[year] == actual, year
