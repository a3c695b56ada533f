"""Construction acceptance (建设工程竣工验收): hand-made deliveries through the real loader, dbt
and GX; the shared pipeline on generated deliveries; and the generator itself.

Expected values are computed here from the hand-written rows (or, for the pipeline, from the
generated files read without the project's readers), by the reading documented in
docs/feeds/construction_acceptance.md: 合格率 per project in the year of its first acceptance
on record, 实行率 per project accepted (合格) in the year, a blank flag not in place."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import openpyxl
import pytest

from orchestration.ingest.loader import FileReport
from orchestration.quality.gx_validation import (
    load_suite_file,
    read_duckdb_table,
    validate_dataframe,
    validate_duckdb_table,
)
from orchestration.reference import load_seed
from orchestration.settings import EXPECTATIONS_DIR
from sample_data.construction_acceptance import generate_construction_acceptance
from tests.conftest import Pipeline
from tests.feed_helpers import FeedWarehouse, assert_gx_check_passed, injected_kinds

FEED = "construction_acceptance"
CITY = "131000"
PASS_RATE = "CONSTRUCTION_ACCEPTANCE_PASS_RATE"
COVERAGE = "CONSTRUCTION_LIFETIME_RESPONSIBILITY_COVERAGE"
KPIS = (PASS_RATE, COVERAGE)
SUITE = EXPECTATIONS_DIR / "stg_raw__construction_acceptance.json"
STAGED = "staging.stg_raw__construction_acceptance"
COUNTY_CODES = [row["county_code"] for row in load_seed("ref_counties")]
BEIJING = dt.timezone(dt.timedelta(hours=8))

# What the deliveries say, written out here rather than taken from the contract.
PASS_WORDS = {"合格", "验收合格", "同意验收", "通过"}
FAIL_WORDS = {"不合格", "验收不合格", "不同意验收"}
YES_WORDS = {"是", "√", "有"}


def _county_lookup() -> dict[str, str]:
    names = {}
    for county in load_seed("ref_counties"):
        for name in [county["county_name"], county["short_name"], *county["aliases"].split("|")]:
            names[name] = county["county_code"]
    return names


COUNTY_BY_NAME = _county_lookup()


# --------------------------------------------------------------------------- hand-made rows


@dataclass(frozen=True)
class Acceptance:
    """One acceptance as delivered (spellings as typed; None is a blank cell)."""

    project_id: str | None
    county: str
    kind: str
    started: str
    accepted: str
    verdict: str
    reason: str = "/"
    flags: tuple[str | None, str | None, str | None] = ("是", "是", "是")
    area: str = "5000"
    name: str = "固安县锦华园3#楼"

    @property
    def day(self) -> dt.date:
        return dt.date.fromisoformat(self.accepted)

    @property
    def passed(self) -> bool:
        return self.verdict in PASS_WORDS

    @property
    def all_records(self) -> bool:
        return all(flag in YES_WORDS for flag in self.flags)

    @property
    def county_code(self) -> str:
        return COUNTY_BY_NAME[self.county]


LABELS = [
    "序号",
    "工程编号",
    "工程名称",
    "县区",
    "工程类别",
    "开工日期",
    "竣工验收日期",
    "验收结论",
    "不合格原因",
    "质量监督机构",
    "建设单位",
    "施工单位",
    "建筑面积（㎡）",
    "终身责任承诺书",
    "永久性标牌",
    "质量信息档案",
]
# the new system's export (UTF-8 with BOM)
SYNONYMS = [
    "序号",
    "项目编号",
    "项目名称",
    "所在县区",
    "工程类型",
    "开工时间",
    "验收日期",
    "验收意见",
    "存在问题",
    "监督机构",
    "建设单位名称",
    "施工总承包单位",
    "建筑面积(平方米)",
    "五方主体项目负责人终身责任书面承诺书",
    "设置永久性标牌",
    "质量信息档案建立",
]
# a county station's old system (GB18030)
OLD_SYSTEM = [
    "序号",
    "监督注册号",
    "单位工程名称",
    "县（市、区）",
    "专业类别",
    "实际开工日期",
    "竣工日期",
    "质量验收结论",
    "整改要求",
    "质量监督站",
    "建设单位",
    "施工单位名称",
    "建筑面积",
    "质量终身责任承诺书",
    "永久标牌",
    "信息档案",
]
# the office's workbook: title row, 行政区划 and 终身责任制度落实情况 merged over sub-columns
TWO_ROW: list[tuple[str, str | None]] = [
    ("序号", None),
    ("工程编号", None),
    ("工程名称", None),
    ("行政区划", "市"),
    ("行政区划", "县区"),
    ("工程类别", None),
    ("开工日期", None),
    ("竣工验收日期", None),
    ("验收结论", None),
    ("不合格原因", None),
    ("质量监督机构", None),
    ("建设单位", None),
    ("施工单位", None),
    ("建筑面积（㎡）", None),
    ("终身责任制度落实情况", "书面承诺书"),
    ("终身责任制度落实情况", "永久性标牌"),
    ("终身责任制度落实情况", "质量信息档案"),
]


def csv_row(number: int, a: Acceptance) -> list[object]:
    return [
        number,
        a.project_id,
        a.name,
        a.county,
        a.kind,
        a.started,
        a.accepted,
        a.verdict,
        a.reason,
        "固安县建设工程质量监督站",
        "固安县恒达房地产开发有限公司",
        "河北建工集团有限责任公司",
        a.area,
        *a.flags,
    ]


def xlsx_row(number: int, a: Acceptance) -> list[object]:
    """Dates and areas typed as Excel stores them."""
    row = csv_row(number, a)
    area = None if a.area in ("", "/") else float(a.area)
    started, accepted = dt.date.fromisoformat(a.started), a.day
    return [*row[:3], "廊坊市", a.county, a.kind, started, accepted, *row[7:12], area, *a.flags]


def received(period: str, day: int = 10) -> dt.datetime:
    """The 10th (first delivery) or 22nd (correction) of the month after `period`, 09:30."""
    first = dt.date.fromisoformat(f"{period}-01")
    following = (first + dt.timedelta(days=32)).replace(day=day)
    return dt.datetime.combine(following, dt.time(9, 30))


MARCH = [
    Acceptance(
        "JZ131022-2015-0001",
        "固安县",
        "房屋建筑工程",
        "2013-05-01",
        "2015-03-02",
        "不合格",
        "外墙外保温系统节能检测不符合要求",
    ),
    Acceptance("JZ131081-2015-0002", "霸州", "房建", "2013-09-01", "2015-03-16", "合格"),
    Acceptance(
        "SZ131082-2015-0003",
        "三河市",
        "市政工程",
        "2014-10-01",
        "2015-03-20",
        "验收合格",
        flags=("是", None, "是"),  # 永久性标牌 left blank: not in place
        area="/",
    ),
]
APRIL_FIRST = [
    replace(MARCH[0], accepted="2015-04-20", verdict="合格", reason="/"),  # re-accepted
    Acceptance(
        "JZ131003-2015-0004",
        "廊坊市广阳区",
        "房屋建筑",
        "2013-03-01",
        "2015-04-08",
        "合格",
        flags=("是", "否", "是"),
    ),
    Acceptance("JZ131024-2015-0005", "香河县", "建筑工程", "2013-01-10", "2015-04-15", "合格"),
]
# the correction: D's sign was set up (档案补录), E was listed by mistake, F was forgotten
APRIL_FIXED = [
    APRIL_FIRST[0],
    replace(APRIL_FIRST[1], flags=("是", "是", "是")),
    Acceptance("JZ131025-2015-0006", "大城县", "房建", "2013-07-01", "2015-04-28", "合格"),
]
MAY = [
    Acceptance(
        "JZ131022-2015-0007",
        "固安",
        "房建",
        "2014-01-01",
        "2015-05-06",
        "不同意验收",
        "室内环境污染物浓度检测超标（甲醛）",
        flags=("√", "√", "√"),
    ),
    Acceptance(
        "SZ131022-2015-0008",
        "固安县",
        "市政基础设施工程",
        "2014-11-01",
        "2015-05-18",
        "同意验收",
        flags=("√", "√", "√"),
        area="/",
    ),
]
JUNE = [
    Acceptance(
        "SL131026-2015-0009",
        "文安县",
        "水利工程",
        "2014-12-01",
        "2015-06-10",
        "通过",
        flags=("有", "有", "有"),
        area="",
        name="大清河文安段堤防加固工程",
    ),
    Acceptance(
        "JT131026-2015-0010",
        "文安",
        "公路工程",
        "2014-08-01",
        "2015-06-24",
        "合格",
        flags=("有", "无", "有"),
        area="",
        name="G106文安段改建工程",
    ),
]
GOOD_JULY = Acceptance("JZ131002-2015-0011", "安次区", "房建", "2013-06-01", "2015-07-01", "合格")
# (row as delivered, the reason the loader must give); rows 3.. of the July file
VIOLATIONS: list[tuple[Acceptance, str]] = [
    (
        replace(GOOD_JULY, project_id="V-03", county="北京市朝阳区"),
        "D3: 县区: unknown county '北京市朝阳区'",
    ),
    (
        replace(GOOD_JULY, project_id="V-04", kind="装饰装修"),
        "E4: 工程类别: unknown 工程类别 '装饰装修' (allowed: ",
    ),
    (
        replace(GOOD_JULY, project_id="V-05", verdict="基本合格"),
        "H5: 验收结论: unknown 验收结论 '基本合格' (allowed: ",
    ),
    (
        replace(GOOD_JULY, project_id="V-06", accepted="2015-07-32"),
        "G6: 竣工验收日期: '2015-07-32' is not a valid calendar date",
    ),
    (
        replace(GOOD_JULY, project_id="V-07", accepted="2015-06-30"),
        "G7: 竣工验收日期 2015-06-30 is outside the delivery period 2015-07 of its folder",
    ),
    (
        replace(GOOD_JULY, project_id="V-08", verdict="不合格", reason="/"),
        "I8: 验收结论为不合格但未填写不合格原因",
    ),
    (
        replace(GOOD_JULY, project_id="V-09", started="2015-08-01", accepted="2015-07-09"),
        "F9: 开工日期晚于竣工验收日期",
    ),
    (
        replace(GOOD_JULY, project_id="V-10", flags=("待补", "是", "是")),
        "N10: 终身责任承诺书: '待补' is not yes or no (是/否)",
    ),
    (replace(GOOD_JULY, project_id=None), "B11: 工程编号 is empty"),
    (
        replace(GOOD_JULY, project_id="V-12", area="约5000"),
        "M12: 建筑面积（㎡）: '约5000' is not a number",
    ),
    (
        GOOD_JULY,
        "row 13: duplicate 工程编号/竣工验收日期 JZ131002-2015-0011/2015-07-01 (first at row 2)",
    ),
]
DECEMBER = [
    Acceptance(
        "JZ131023-2015-0012",
        "永清县",
        "房建",
        "2013-04-01",
        "2015-12-10",
        "不合格",
        "屋面防水渗漏，需整改后复验",
    )
]
JANUARY = [
    replace(DECEMBER[0], accepted="2016-01-15", verdict="合格", reason="/"),  # across the year
    Acceptance("JZ131023-2016-0001", "永清", "房建", "2014-02-01", "2016-01-20", "合格"),
]
CURRENT = [*MARCH, *APRIL_FIXED, *MAY, *JUNE, GOOD_JULY, *DECEMBER, *JANUARY]


@dataclass(frozen=True)
class Seen:
    """What a KPI needs of one acceptance, however it was read."""

    project_id: str
    county_code: str
    day: dt.date
    passed: bool
    all_records: bool


def seen(acceptances: Iterable[Acceptance]) -> list[Seen]:
    return [
        Seen(str(a.project_id), a.county_code, a.day, a.passed, a.all_records) for a in acceptances
    ]


Tally = dict[tuple[str, int, str], tuple[int, int]]


def expected_kpis(rows: Sequence[Seen]) -> Tally:
    """(kpi, year, scope) → (numerator, denominator) for every year with acceptances, the
    city and every county: 合格率 counts a project once, in the year of its first acceptance,
    合格 when its last acceptance of that year passed; 实行率 counts each project accepted in
    a year, with the records of its last passing acceptance that year."""
    years = {r.day.year for r in rows}
    tally: dict[tuple[str, int, str], list[int]] = {
        (kpi, year, scope): [0, 0]
        for kpi in KPIS
        for year in years
        for scope in [CITY, *COUNTY_CODES]
    }

    def count(kpi: str, year: int, county: str, hit: bool) -> None:
        for scope in (CITY, county):
            tally[(kpi, year, scope)][0] += hit
            tally[(kpi, year, scope)][1] += 1

    by_project: dict[str, list[Seen]] = defaultdict(list)
    for r in rows:
        by_project[r.project_id].append(r)
    for attempts in by_project.values():
        attempts.sort(key=lambda r: r.day)
        first_year = attempts[0].day.year
        in_year = [r for r in attempts if r.day.year == first_year]
        count(PASS_RATE, first_year, attempts[0].county_code, in_year[-1].passed)
        for year in sorted({r.day.year for r in attempts}):
            passes = [r for r in attempts if r.day.year == year and r.passed]
            if passes:
                count(COVERAGE, year, passes[-1].county_code, passes[-1].all_records)
    return {key: (hit, total) for key, (hit, total) in tally.items()}


def rate(numerator: int, denominator: int) -> float | None:
    return 100 * numerator / denominator if denominator else None


def assert_kpis_equal(computed: dict[tuple[str, int, str], tuple], expected: Tally) -> None:
    """`computed`: (kpi, year, scope) → (numerator, denominator, actual_value)."""
    assert set(computed) == set(expected)
    for key, (numerator, denominator) in expected.items():
        got_numerator, got_denominator, actual = computed[key]
        assert (got_numerator, got_denominator) == (numerator, denominator), key
        wanted = rate(numerator, denominator)
        if wanted is None:
            assert actual is None, key
        else:
            assert actual == pytest.approx(wanted, abs=1e-3), key


# --------------------------------------------------------------------------- one warehouse


@dataclass(frozen=True)
class Loaded:
    wh: FeedWarehouse
    reports: dict[str, FileReport]  # by file name


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    """Every hand-made delivery loaded, then one dbt build up to the KPIs."""
    wh = FeedWarehouse(tmp_path_factory.mktemp("construction"))
    wh.deliver(
        FEED,
        "2015-03",
        "廊坊市2015年3月竣工验收汇总表.xlsx",
        TWO_ROW,
        [xlsx_row(n, a) for n, a in enumerate(MARCH, start=1)],
        title="廊坊市2015年3月建设工程竣工验收情况汇总表",
        received=received("2015-03"),
    )
    wh.deliver(
        FEED,
        "2015-04",
        "四月.csv",
        LABELS,
        [csv_row(n, a) for n, a in enumerate(APRIL_FIRST, start=1)],
        received=received("2015-04"),
    )
    wh.deliver(
        FEED,
        "2015-04",
        "四月_更正.csv",
        LABELS,
        [csv_row(n, a) for n, a in enumerate(APRIL_FIXED, start=1)],
        received=received("2015-04", 22),
    )
    wh.deliver(
        FEED,
        "2015-05",
        "五月.csv",
        SYNONYMS,
        [csv_row(n, a) for n, a in enumerate(MAY, start=1)],
        encoding="utf-8-sig",
        received=received("2015-05"),
    )
    wh.deliver(
        FEED,
        "2015-06",
        "六月.csv",
        OLD_SYSTEM,
        [csv_row(n, a) for n, a in enumerate(JUNE, start=1)],
        encoding="gb18030",
        received=received("2015-06"),
    )
    july = [GOOD_JULY, *(a for a, _ in VIOLATIONS)]
    wh.deliver(
        FEED,
        "2015-07",
        "七月.csv",
        LABELS,
        [csv_row(n, a) for n, a in enumerate(july, start=1)],
        received=received("2015-07"),
    )
    without_ids = [h for h in LABELS if h != "工程编号"]
    wh.deliver(
        FEED,
        "2015-08",
        "八月_缺工程编号.csv",
        without_ids,
        [[v for h, v in zip(LABELS, csv_row(1, GOOD_JULY), strict=True) if h != "工程编号"]] * 2,
        received=received("2015-08"),
    )
    for period, rows in (("2015-12", DECEMBER), ("2016-01", JANUARY)):
        wh.deliver(
            FEED,
            period,
            f"{period}.csv",
            LABELS,
            [csv_row(n, a) for n, a in enumerate(rows, start=1)],
            received=received(period),
        )
    reports = {Path(r.source_file).name: r for r in wh.ingest(FEED)}
    wh.build("int_kpi__construction_acceptance", "int_kpi_lineage__construction_acceptance")
    return Loaded(wh, reports)


@pytest.fixture(scope="module")
def wh(loaded: Loaded) -> FeedWarehouse:
    return loaded.wh


def test_every_file_reconciles_and_violations_are_named_by_cell(loaded: Loaded) -> None:
    wh, reports = loaded.wh, loaded.reports
    counts = {
        name: (r.status, r.rows_read, r.rows_loaded, r.rows_quarantined)
        for name, r in reports.items()
    }
    assert counts == {
        "廊坊市2015年3月竣工验收汇总表.xlsx": ("loaded", 3, 3, 0),
        "四月.csv": ("loaded", 3, 3, 0),
        "四月_更正.csv": ("loaded", 3, 3, 0),
        "五月.csv": ("loaded", 2, 2, 0),
        "六月.csv": ("loaded", 2, 2, 0),
        "七月.csv": ("loaded", 12, 1, 11),
        "八月_缺工程编号.csv": ("rejected", 2, 0, 2),
        "2015-12.csv": ("loaded", 1, 1, 0),
        "2016-01.csv": ("loaded", 2, 2, 0),
    }
    assert "required columns missing: 工程编号" in (reports["八月_缺工程编号.csv"].reason or "")
    reasons = dict(
        wh.query(
            "select source_row, reason from raw.quarantine "
            "where source_file like '%七月.csv' order by source_row"
        )
    )
    assert sorted(reasons) == list(range(3, 14))
    for row, (_, reason) in enumerate(VIOLATIONS, start=3):
        assert reasons[row].startswith(reason), (row, reasons[row])
        assert ";" not in reasons[row]  # exactly one problem per row
    # the quarantined row keeps what was delivered, under its own headers
    record = json.loads(
        wh.query(
            "select raw_record from raw.quarantine where source_file like '%七月.csv' "
            "and source_row = 3"
        )[0][0]
    )
    assert record["县区"] == "北京市朝阳区" and record["工程编号"] == "V-03"
    in_tables = wh.query(
        "select f.rows_loaded, f.rows_quarantined, "
        "(select count(*) from raw.construction_acceptance t where t._source_sha256 = f.sha256), "
        "(select count(*) from raw.quarantine q where q.source_sha256 = f.sha256) "
        "from raw.ingested_files f where f.feed = ?",
        [FEED],
    )
    assert all((loaded, quarantined) == (rows, bad) for loaded, quarantined, rows, bad in in_tables)


def test_xlsx_two_row_header_and_synonyms_are_read(wh: FeedWarehouse) -> None:
    maps = dict(
        wh.query(
            "select regexp_extract(source_file, '[^/]+$'), header_map from raw.ingested_files "
            "where feed = ? and status = 'loaded'",
            [FEED],
        )
    )
    xlsx = json.loads(maps["廊坊市2015年3月竣工验收汇总表.xlsx"])
    assert xlsx["county_code"] == "行政区划/县区"
    assert xlsx["has_permanent_sign"] == "终身责任制度落实情况/永久性标牌"
    assert json.loads(maps["五月.csv"])["project_id"] == "项目编号"
    old = json.loads(maps["六月.csv"])
    assert (old["project_id"], old["accepted_on"], old["county_code"]) == (
        "监督注册号",
        "竣工日期",
        "县(市、区)",
    )
    staged = wh.records(
        "select project_id, county_code, county_code_original, project_type, "
        "project_type_original, verdict, verdict_original, has_permanent_sign, floor_area "
        f"from {STAGED} where project_id in ('SZ131082-2015-0003', 'JT131026-2015-0010')"
        " order by project_id"
    )
    assert staged == [
        {
            "project_id": "JT131026-2015-0010",
            "county_code": "131026",
            "county_code_original": "文安",
            "project_type": "transport",
            "project_type_original": "公路工程",
            "verdict": "pass",
            "verdict_original": "合格",
            "has_permanent_sign": False,  # 无 is a real answer, not a blank
            "floor_area": None,
        },
        {
            "project_id": "SZ131082-2015-0003",
            "county_code": "131082",
            "county_code_original": "三河市",
            "project_type": "municipal",
            "project_type_original": "市政工程",
            "verdict": "pass",
            "verdict_original": "验收合格",
            "has_permanent_sign": None,  # blank cell
            "floor_area": None,
        },
    ]


def _load_in(workdir: Path, name: str, header: Sequence, rows: list, **options: object) -> list:
    house = FeedWarehouse(workdir)
    house.deliver(FEED, "2015-03", name, header, rows, received=received("2015-03"), **options)
    [report] = house.ingest(FEED)
    assert (report.status, report.rows_quarantined) == ("loaded", 0), report
    return house.query(
        "select project_id, project_name, county_code, project_type, started_on, accepted_on, "
        "verdict, failure_reason, supervising_body, developer, contractor, floor_area, "
        "has_commitment_letter, has_permanent_sign, has_quality_archive, "
        "(select encoding from raw.ingested_files) "
        "from raw.construction_acceptance order by project_id"
    )


def test_every_format_and_encoding_loads_the_same_rows(tmp_path: Path) -> None:
    rows = MARCH
    spelt = [
        replace(rows[0], county="固安", verdict="验收不合格"),
        replace(rows[1], county="霸州市", kind="房屋建筑", verdict="同意验收"),
        replace(rows[2], county="131082", verdict="通过"),
    ]
    ticks = [replace(a, flags=tuple(None if f is None else "√" for f in a.flags)) for a in spelt]
    loaded = {
        "xlsx": _load_in(
            tmp_path / "xlsx",
            "a.xlsx",
            TWO_ROW,
            [xlsx_row(n, a) for n, a in enumerate(rows, 1)],
            title="廊坊市2015年3月建设工程竣工验收情况汇总表",
        ),
        "utf-8": _load_in(
            tmp_path / "utf8", "a.csv", LABELS, [csv_row(n, a) for n, a in enumerate(rows, 1)]
        ),
        "utf-8-sig": _load_in(
            tmp_path / "bom",
            "a.csv",
            SYNONYMS,
            [csv_row(n, a) for n, a in enumerate(ticks, 1)],
            encoding="utf-8-sig",
        ),
        "gb18030": _load_in(
            tmp_path / "gb",
            "a.csv",
            OLD_SYSTEM,
            [csv_row(n, a) for n, a in enumerate(spelt, 1)],
            encoding="gb18030",
        ),
    }
    encodings = {kind: {row[-1] for row in table} for kind, table in loaded.items()}
    assert encodings == {
        "xlsx": {None},
        "utf-8": {"utf-8-sig"},  # utf-8-sig reads plain UTF-8 too
        "utf-8-sig": {"utf-8-sig"},
        "gb18030": {"gb18030"},
    }
    tables = {kind: [row[:-1] for row in table] for kind, table in loaded.items()}
    supervisor, developer, contractor = csv_row(1, rows[0])[9:12]
    day = dt.date.fromisoformat
    expected = [
        (
            "JZ131022-2015-0001",
            "固安县锦华园3#楼",
            "131022",
            "building",
            day("2013-05-01"),
            day("2015-03-02"),
            "fail",
            "外墙外保温系统节能检测不符合要求",
            supervisor,
            developer,
            contractor,
            5000.0,
            True,
            True,
            True,
        ),
        (
            "JZ131081-2015-0002",
            "固安县锦华园3#楼",
            "131081",
            "building",
            day("2013-09-01"),
            day("2015-03-16"),
            "pass",
            None,
            supervisor,
            developer,
            contractor,
            5000.0,
            True,
            True,
            True,
        ),
        (
            "SZ131082-2015-0003",
            "固安县锦华园3#楼",
            "131082",
            "municipal",
            day("2014-10-01"),
            day("2015-03-20"),
            "pass",
            None,
            supervisor,
            developer,
            contractor,
            None,
            True,
            None,
            True,
        ),
    ]
    for kind, table in tables.items():
        assert table == expected, kind


def test_a_correction_replaces_exactly_its_month(wh: FeedWarehouse) -> None:
    current = wh.query(
        "select delivery_period, project_id, has_permanent_sign, delivery_version "
        "from intermediate.int_construction_acceptance__current "
        "where delivery_period in ('2015-03', '2015-04') order by delivery_period, project_id"
    )
    assert current == [
        ("2015-03", "JZ131022-2015-0001", True, 1),
        ("2015-03", "JZ131081-2015-0002", True, 1),
        ("2015-03", "SZ131082-2015-0003", None, 1),
        ("2015-04", "JZ131003-2015-0004", True, 2),  # 永久性标牌 filed in the correction
        ("2015-04", "JZ131022-2015-0001", True, 2),
        ("2015-04", "JZ131025-2015-0006", True, 2),  # added; JZ131024-2015-0005 dropped
    ]
    # staging keeps both April files as history; every other month has one delivery
    per_file = wh.query(
        f"select regexp_extract(source_file, '[^/]+$'), count(*) from {STAGED} "
        "group by 1 order by 1"
    )
    assert dict(per_file)["四月.csv"] == 3 and dict(per_file)["四月_更正.csv"] == 3
    assert wh.query("select count(*) from intermediate.int_construction_acceptance__current") == [
        (len(CURRENT),)
    ]
    assert wh.query(f"select count(*) from {STAGED}") == [(len(CURRENT) + len(APRIL_FIRST),)]


def test_kpis_equal_an_independent_calculation(wh: FeedWarehouse) -> None:
    rows = wh.query(
        "select kpi_code, kpi_year, scope_code, numerator, denominator, actual_value, "
        "scope_type, reported_prior_value from intermediate.int_kpi__construction_acceptance"
    )
    computed = {(k, y, s): (n, d, v) for k, y, s, n, d, v, _, _ in rows}
    expected = expected_kpis(seen(CURRENT))
    assert_kpis_equal(computed, expected)
    assert all(t == ("city" if s == CITY else "county") for _, _, s, *_, t, _ in rows)
    assert all(prior is None for *_, prior in rows)
    # the cases the reading is about, spelt out
    assert expected[(PASS_RATE, 2015, CITY)] == (9, 11)
    assert expected[(PASS_RATE, 2015, "131022")] == (2, 3)  # refused-then-accepted is 合格
    assert expected[(PASS_RATE, 2015, "131023")] == (0, 1)  # refused in December
    assert expected[(PASS_RATE, 2016, "131023")] == (1, 1)  # its January re-acceptance: not again
    assert expected[(COVERAGE, 2016, "131023")] == (2, 2)  # …but accepted in 2016
    assert expected[(COVERAGE, 2015, CITY)] == (7, 9)  # blank sign and 无 are not in place
    assert expected[(PASS_RATE, 2015, "131024")] == (0, 0)  # its only row was corrected away


def test_lineage_lists_the_acceptances_counted_in_a_value(wh: FeedWarehouse) -> None:
    """合格率 2015 of 固安 (131022): the March refusal of JZ131022-2015-0001 (xlsx: title row 1,
    two-row header rows 2–3, data from row 4) and its re-acceptance in the April correction
    (row 2), and both May acceptances (rows 2 and 3). 永清 (131023) in 2016: 合格率 counts the
    new project only (row 3 of the January file; row 2 re-accepts a project of 2015), 实行率
    both January acceptances."""
    lineage = wh.query(
        "select lineage.kpi_code, lineage.kpi_year, lineage.scope_code, "
        "regexp_extract(files.source_file, '[^/]+$'), lineage.source_row "
        "from intermediate.int_kpi_lineage__construction_acceptance as lineage "
        "inner join raw.ingested_files as files on files.sha256 = lineage.source_sha256 "
        "where (lineage.kpi_code = ? and lineage.kpi_year = 2015 "
        "and lineage.scope_code = '131022') "
        "or (lineage.kpi_year = 2016 and lineage.scope_code = '131023')",
        [PASS_RATE],
    )
    assert sorted(lineage) == sorted(
        [
            (PASS_RATE, 2015, "131022", "廊坊市2015年3月竣工验收汇总表.xlsx", 4),
            (PASS_RATE, 2015, "131022", "四月_更正.csv", 2),
            (PASS_RATE, 2015, "131022", "五月.csv", 2),
            (PASS_RATE, 2015, "131022", "五月.csv", 3),
            (PASS_RATE, 2016, "131023", "2016-01.csv", 3),
            (COVERAGE, 2016, "131023", "2016-01.csv", 2),
            (COVERAGE, 2016, "131023", "2016-01.csv", 3),
        ]
    )


# --------------------------------------------------------------------------- GX suite


def test_gx_suite_passes_on_the_staged_fixture_and_on_an_empty_table(wh: FeedWarehouse) -> None:
    outcome = validate_duckdb_table(wh.warehouse, STAGED, SUITE)
    assert outcome.success, [o for o in outcome.outcomes if not o.success]
    assert outcome.row_count == len(CURRENT) + len(APRIL_FIRST)
    assert outcome.evaluated == len(load_suite_file(SUITE).entries)  # compiled + hand-written
    empty = read_duckdb_table(wh.warehouse, STAGED).iloc[0:0]
    outcome = validate_dataframe(empty, SUITE)
    assert outcome.success, [o for o in outcome.outcomes if not o.success]
    assert outcome.row_count == 0


def test_gx_suite_fails_naming_the_bad_rows(wh: FeedWarehouse) -> None:
    frame = read_duckdb_table(wh.warehouse, STAGED).sort_values("source_row", kind="stable")
    frame = frame.reset_index(drop=True)
    where = {pid: frame.index[frame.project_id == pid][0] for pid in frame.project_id.unique()}
    bad = frame.copy()
    bad.loc[where["JZ131081-2015-0002"], "county_code"] = "131099"
    bad.loc[where["SZ131082-2015-0003"], "project_type"] = "decoration"
    bad.loc[where["JZ131023-2016-0001"], "is_pass"] = False  # verdict says pass
    refused = where["JZ131022-2015-0007"]
    bad.loc[refused, "failure_reason"] = None
    late = where["JZ131025-2015-0006"]
    bad.loc[late, "started_on"] = bad.loc[late, "accepted_on"] + dt.timedelta(days=30)
    bad.loc[where["SL131026-2015-0009"], "floor_area"] = -1.0
    bad.loc[where["JT131026-2015-0010"], "source_row"] = 0
    outcome = validate_dataframe(bad, SUITE)
    failures = {(o.expectation_type, o.column): o for o in outcome.failed_outcomes}
    assert set(failures) == {
        ("expect_column_values_to_be_in_set", "county_code"),
        ("expect_column_values_to_be_in_set", "project_type"),
        ("expect_column_values_to_be_in_set", "verdict where is_pass == False"),
        ("expect_column_values_to_not_be_null", "failure_reason where verdict == 'fail'"),
        ("expect_column_pair_values_a_to_be_greater_than_b", "accepted_on, started_on"),
        ("expect_column_values_to_be_between", "floor_area"),
        ("expect_column_values_to_be_between", "source_row"),
    }

    def names(kind: str, column: str | None, text: str) -> None:
        item = failures[(kind, column)]
        assert item.unexpected_count == 1, item
        assert any(text in sample for sample in item.sample_unexpected), item
        assert item.notes

    names("expect_column_values_to_be_in_set", "county_code", "131099")
    names("expect_column_values_to_be_in_set", "project_type", "decoration")
    names(
        "expect_column_values_to_be_in_set",
        "verdict where is_pass == False",
        "project_id=JZ131023-2016-0001",
    )
    names(
        "expect_column_values_to_not_be_null",
        "failure_reason where verdict == 'fail'",
        "project_id=JZ131022-2015-0007, source_file=construction_acceptance/2015-05/五月.csv",
    )
    names("expect_column_values_to_be_between", "floor_area", "-1")
    assert (
        failures[
            ("expect_column_pair_values_a_to_be_greater_than_b", "accepted_on, started_on")
        ].unexpected_count
        == 1
    )

    duplicated = validate_dataframe(frame.iloc[[0, 0, 1]], SUITE)
    [unique] = duplicated.failed_outcomes
    assert unique.expectation_type == "expect_compound_columns_to_be_unique"
    assert unique.unexpected_count == 2


# --------------------------------------------------------------------------- the pipeline

# generated headers → what they carry (the office's labels, the old system's, the workbook's)
FIELDS = {
    "工程编号": "project_id",
    "项目编号": "project_id",
    "县区": "county",
    "所在县区": "county",
    "行政区划/县区": "county",
    "竣工验收日期": "accepted",
    "验收日期": "accepted",
    "验收结论": "verdict",
    "验收意见": "verdict",
    "终身责任承诺书": "flag1",
    "五方主体项目负责人终身责任书面承诺书": "flag1",
    "终身责任制度落实情况/书面承诺书": "flag1",
    "永久性标牌": "flag2",
    "设置永久性标牌": "flag2",
    "终身责任制度落实情况/永久性标牌": "flag2",
    "质量信息档案": "flag3",
    "质量信息档案建立": "flag3",
    "终身责任制度落实情况/质量信息档案": "flag3",
}


def file_rows(path: Path) -> list[tuple[int, dict[str, object]]]:
    """A generated file's rows with their row numbers, keyed by header (a two-row header as
    top/sub), read with openpyxl and csv only."""
    if path.suffix == ".xlsx":
        workbook = openpyxl.load_workbook(path, read_only=True)
        table = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
        workbook.close()
        top = next(i for i, row in enumerate(table) if "工程编号" in row)
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
        (index + 1, dict(zip(header, table[index], strict=True)))
        for index in range(first, len(table))
    ]


def generated_rows(path: Path) -> list[tuple[int, dict[str, object]]]:
    """A generated file's rows keyed by FIELDS."""
    return [
        (number, {FIELDS[h]: v for h, v in row.items() if h in FIELDS})
        for number, row in file_rows(path)
    ]


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    match = re.fullmatch(r"(\d{4})[-/年](\d{1,2})[-/月](\d{1,2})日?", str(value))
    assert match, value
    return dt.date(*map(int, match.groups()))


def current_generated_files(files: Iterable[Path]) -> list[Path]:
    """The latest received file of each month folder."""
    by_folder: dict[Path, list[Path]] = defaultdict(list)
    for path in files:
        by_folder[path.parent].append(path)
    return [max(paths, key=lambda p: p.stat().st_mtime) for paths in by_folder.values()]


def _query(pipeline: Pipeline, sql: str, params: Sequence[object] = ()) -> list[tuple]:
    import duckdb

    with duckdb.connect(str(pipeline.warehouse), read_only=True) as conn:
        return conn.execute(sql, list(params)).fetchall()


def test_pipeline_files_reconcile(pipeline: Pipeline) -> None:
    summary = pipeline.feeds[FEED]
    files = _query(
        pipeline,
        """
        select f.source_file, f.status, f.rows_read, f.rows_loaded, f.rows_quarantined,
            (select count(*) from raw.construction_acceptance t where t._source_sha256 = f.sha256),
            (select count(*) from raw.quarantine q where q.source_sha256 = f.sha256)
        from raw.ingested_files f where f.feed = ?""",
        [FEED],
    )
    assert len(files) == len(summary.files)
    for source_file, status, read, loaded, quarantined, in_table, in_quarantine in files:
        path = pipeline.raw_dir / source_file
        assert status == "loaded", source_file
        assert read == len(file_rows(path)) == summary.rows_per_file[path], source_file
        assert read == loaded + quarantined, source_file
        assert (loaded, quarantined) == (in_table, in_quarantine), source_file


ERROR_SIGNS = {
    "unknown_county": "unknown county",
    "unknown_project_type": "unknown 工程类别",
    "unknown_verdict": "unknown 验收结论",
    "bad_date": "竣工验收日期: '",
    "outside_period": "is outside the delivery period",
    "fail_without_reason": "验收结论为不合格但未填写不合格原因",
    "started_after_accepted": "开工日期晚于竣工验收日期",
    "bad_flag": "is not yes or no",
}


def test_pipeline_quarantines_every_injected_mistake(pipeline: Pipeline) -> None:
    summary = pipeline.feeds[FEED]
    assert sum(summary.injected_errors.values()) > 0
    reasons = [
        reason
        for (reason,) in _query(
            pipeline, "select reason from raw.quarantine where feed = ?", [FEED]
        )
    ]
    expected = {k: n for k, n in summary.injected_errors.items() if n}
    assert injected_kinds(reasons, ERROR_SIGNS, r"^[A-Z]+\d+: ") == expected


def test_pipeline_gx_check_passed(pipeline: Pipeline) -> None:
    assert_gx_check_passed(pipeline.result, pipeline.warehouse, "stg_raw__construction_acceptance")


def test_pipeline_kpis_equal_an_independent_calculation(pipeline: Pipeline) -> None:
    quarantined = set(
        _query(
            pipeline, "select source_file, source_row from raw.quarantine where feed = ?", [FEED]
        )
    )
    rows = []
    for path in current_generated_files(pipeline.feeds[FEED].files):
        source_file = path.relative_to(pipeline.raw_dir).as_posix()
        for number, row in generated_rows(path):
            if (source_file, number) in quarantined:
                continue
            flags = (row["flag1"], row["flag2"], row["flag3"])
            rows.append(
                Seen(
                    str(row["project_id"]),
                    COUNTY_BY_NAME[str(row["county"])],
                    _as_date(row["accepted"]),
                    row["verdict"] in PASS_WORDS,
                    all(flag in YES_WORDS for flag in flags),
                )
            )
            assert row["verdict"] in PASS_WORDS | FAIL_WORDS, row
    expected = expected_kpis(rows)
    marts = _query(
        pipeline,
        "select kpi_code, kpi_year, scope_code, numerator, denominator, actual_value "
        "from marts.fct_kpi_values where kpi_code in (?, ?)",
        list(KPIS),
    )
    assert_kpis_equal({(k, y, s): (n, d, v) for k, y, s, n, d, v in marts}, expected)
    assert {y for _, y, _ in expected} == {2015, 2016}
    targets = _query(
        pipeline,
        "select kpi_code, assessment_year, actual_value, status from marts.fct_city_targets "
        "where kpi_code in (?, ?)",
        list(KPIS),
    )
    assert len(targets) == 4
    for kpi, year, actual, status in targets:
        numerator, denominator = expected[(kpi, year, CITY)]
        assert actual == pytest.approx(rate(numerator, denominator), abs=1e-3)
        assert status == ("met" if numerator == denominator else "not_met"), (kpi, year)


# --------------------------------------------------------------------------- the generator

SCALE = 0.25


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("generated") / "raw"  # a FeedWarehouse's landing zone
    return out, generate_construction_acceptance(out, [2015], scale=SCALE, error_rate=0.0)


def test_generator_bytes_are_deterministic(generated, tmp_path: Path) -> None:
    _, summary = generated
    again = generate_construction_acceptance(tmp_path, [2015], scale=SCALE, error_rate=0.0)
    assert [p.name for p in again.files] == [p.name for p in summary.files]
    for first, second in zip(summary.files, again.files, strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name


def test_generator_year_unchanged_by_other_years(generated, tmp_path: Path) -> None:
    _, alone_2015 = generated
    both = generate_construction_acceptance(
        tmp_path / "both", [2016, 2015], scale=SCALE, error_rate=0.0
    )
    alone_2016 = generate_construction_acceptance(
        tmp_path / "2016", [2016], scale=SCALE, error_rate=0.0
    )
    by_name = {path.name: path for path in both.files}
    assert len(both.files) == len(alone_2015.files) + len(alone_2016.files)
    for path in (*alone_2015.files, *alone_2016.files):
        assert by_name[path.name].read_bytes() == path.read_bytes(), path.name


def test_generator_files_carry_their_delivery_time(generated) -> None:
    out, summary = generated
    for path in summary.files:
        year, month = map(int, path.parent.name.split("-"))
        day = 22 if path.stem.endswith("_更正") else 10
        delivered = dt.datetime(year + month // 12, month % 12 + 1, day, 9, 30, tzinfo=BEIJING)
        assert path.stat().st_mtime == delivered.timestamp(), path.name
        assert path.parent.parent == out / "construction_acceptance"


def test_generator_formats_and_one_correction_a_year(generated) -> None:
    _, summary = generated
    firsts = [p for p in summary.files if not p.stem.endswith("_更正")]
    assert [p.parent.name for p in firsts] == [f"2015-{m:02d}" for m in range(1, 13)]
    assert sum(p.suffix == ".xlsx" for p in firsts) == 4  # one a quarter
    encodings = set()
    for path in summary.files:
        if path.suffix == ".csv":
            data = path.read_bytes()
            encodings.add("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "gb18030")
            if not data.startswith(b"\xef\xbb\xbf"):
                with pytest.raises(UnicodeDecodeError):
                    data.decode("utf-8")
    assert encodings == {"utf-8-sig", "gb18030"}
    corrections = [p for p in summary.files if p.stem.endswith("_更正")]
    assert len(corrections) == summary.other_counts["redeliveries"] == 1
    [fixed] = corrections
    [first] = [p for p in summary.files if p.parent == fixed.parent and p != fixed]

    def keyed(path: Path) -> dict[tuple, dict]:
        rows = [row for _, row in file_rows(path)]
        return {
            tuple(v for h, v in row.items() if h in ("工程编号", "项目编号")): row for row in rows
        }

    before, after = keyed(first), keyed(fixed)
    assert len(after) == len(before) + 1 and len(set(after) - set(before)) == 1  # 补报
    assert any(after[k] != before[k] for k in before)  # records filed, an area corrected


def test_generator_volumes_scale(generated, tmp_path: Path) -> None:
    _, summary = generated
    full = generate_construction_acceptance(tmp_path, [2015], scale=1.0, error_rate=0.0)
    firsts = [p for p in full.files if not p.stem.endswith("_更正")]
    projects = {r["project_id"] for p in firsts for _, r in generated_rows(p)}
    assert 1000 <= len(projects) <= 1250  # ~1,100 单位工程 a year at scale 1
    ratio = full.total_rows / summary.total_rows
    assert 3.6 < ratio < 4.4
    with pytest.raises(ValueError):
        generate_construction_acceptance(tmp_path, [2015], scale=0)


def test_generator_errors_are_exactly_one_quarantined_violation_each(
    generated, tmp_path: Path
) -> None:
    out, clean = generated
    dirty = generate_construction_acceptance(tmp_path / "raw", [2015], scale=SCALE, error_rate=0.2)
    assert all(n > 0 for n in dirty.injected_errors.values()), dirty.injected_errors
    assert set(dirty.injected_errors) == set(ERROR_SIGNS)
    # the clean content is the same at any rate: only the erroneous rows differ
    changed = 0
    for path, dirty_path in zip(clean.files, dirty.files, strict=True):
        assert path.name == dirty_path.name
        pairs = zip(file_rows(path), file_rows(dirty_path), strict=True)
        changed += sum(a != b for (_, a), (_, b) in pairs)
    assert changed == sum(dirty.injected_errors.values())
    house = FeedWarehouse(tmp_path)
    reports = house.ingest(FEED)
    assert sum(r.rows_quarantined for r in reports) == sum(dirty.injected_errors.values())
    reasons = [reason for (reason,) in house.query("select reason from raw.quarantine")]
    assert injected_kinds(reasons, ERROR_SIGNS, r"^[A-Z]+\d+: ") == dirty.injected_errors
    clean_reports = FeedWarehouse(out.parent).ingest(FEED)
    assert len(clean_reports) == len(clean.files)
    assert sum(r.rows_quarantined for r in clean_reports) == 0
    assert sum(r.rows_loaded for r in clean_reports) == clean.total_rows
