"""Incidents (质量安全事件) on hand-made deliveries through the real loader and dbt: every contract
violation is quarantined naming its cell, every format and header layout loads the same rows,
corrections replace their slot, a year is stated only when its reporting is complete, the KPIs
equal independent calculations, and the GX suite gates the staged table. Then the generator
and the shared pipeline fixture."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook

from orchestration.ingest.contract import load_contract
from orchestration.ingest.landing import LOCAL_TIME
from orchestration.ingest.loader import FeedIngestion, ingest_landed
from orchestration.quality.gx_validation import (
    read_duckdb_table,
    validate_dataframe,
    validate_duckdb_table,
)
from orchestration.reference import load_seed
from orchestration.settings import EXPECTATIONS_DIR
from sample_data.incidents import ERROR_KINDS, generate_incidents
from tests.conftest import Pipeline
from tests.feed_helpers import FeedWarehouse

FEED = "incidents"
SUITE = EXPECTATIONS_DIR / "stg_raw__incidents.json"
COUNTIES = {row["county_code"]: row for row in load_seed("ref_counties")}
CITY = "131000"


def _words(text: str) -> list[str]:
    """Header and value lists written as one line of space-separated words."""
    return text.split()


# ------------------------------------------------------------------ contract violations

HEADER = _words("序号 事件编号 事件名称 发生日期 报告日期 县区 领域 事件类型 等级 性质 发生场所")
HEADER += _words("死亡人数 受伤人数 调查处理 处理状态 涉事单位")
CELLS = "title reported county domain type level nature setting deaths injured investigation status"


def _row(n: int, incident_id: str, occurred: str, **cells: str) -> list[str]:
    """One line of HEADER: a good 一般 food poisoning in 固安县 unless `cells` say otherwise."""
    values = {
        "title": f"事件{incident_id}",
        "reported": occurred,
        "county": "固安县",
        "domain": "食品",
        "type": "食物中毒",
        "level": "一般",
        "nature": "",
        "setting": "餐馆",
        "deaths": "0",
        "injured": "5",
        "investigation": "",
        "status": "",
        **cells,
    }
    in_order = [values[c] for c in _words(CELLS)[1:]]
    return [str(n), incident_id, values["title"], occurred, *in_order, "某单位"]


CONSTRUCTION = {"domain": "工程质量", "type": "工程质量事故", "setting": "施工现场"}
DAY = "2015-03-02"
# row number → (the row, the start of its reason); the header is row 1, SY-1 (good) row 2
VIOLATIONS: dict[int, tuple[list[str], str]] = {
    3: (_row(2, "SY-2", DAY, county="北京市朝阳区"), "F3: 县区: unknown county '北京市朝阳区'"),
    4: (_row(3, "SY-3", DAY, domain="消防"), "G4: 领域: unknown incident domain '消防'"),
    5: (_row(4, "SY-4", DAY, type="火灾"), "H5: 事件类型: unknown 事件类型 '火灾' (allowed:"),
    6: (_row(5, "SY-5", DAY, level="严重"), "I6: 等级: unknown 等级 '严重' (allowed:"),
    7: (
        _row(6, "SY-6", "2015-02-30", reported=DAY),
        "D7: 发生日期: '2015-02-30' is not a valid calendar date",
    ),
    8: (
        _row(7, "SY-7", "2015-02-27"),
        "D8: 发生日期 2015-02-27 is outside the delivery period 2015-03 of its folder",
    ),
    9: (_row(8, "SY-8", "2015-03-10", reported="2015-03-01"), "D9: 报告日期早于发生日期"),
    10: (_row(9, "SY-9", DAY, title=""), "C10: 事件名称 is empty"),
    11: (_row(10, "SY-10", DAY, injured="3人"), "M11: 受伤（发病）人数: '3人' is not a number"),
    12: (_row(11, "SY-11", DAY, setting=""), "K12: 食品类事件未填写发生场所"),
    13: (
        _row(12, "SY-12", DAY, **CONSTRUCTION),
        "N13: 工程质量事故未填写调查处理情况（组织、参与或未组织或参与）",
    ),
    14: (
        _row(13, "SY-13", DAY, **CONSTRUCTION, investigation="组织调查处理"),
        "O14: 已组织调查处理但未填写处理状态",
    ),
    15: (
        _row(14, "SY-14", DAY, **CONSTRUCTION, investigation="参与调查"),
        "O15: 已参与调查处理但未填写处理状态",
    ),
    16: (_row(15, "SY-15", DAY, nature="待定"), "J16: 性质: unknown 性质 '待定' (allowed:"),
    17: (
        _row(16, "SY-16", DAY, domain="旅游", type="旅游安全事故", setting="广场"),
        "K17: 发生场所: unknown 发生场所 '广场'",
    ),
    18: (
        _row(17, "SY-17", DAY, domain="产品质量", investigation="已上报"),
        "N18: 调查处理: unknown 调查处理 '已上报'",
    ),
    19: (_row(18, "SY-18", DAY, deaths="两人"), "L19: 死亡人数: '两人' is not a number"),
    20: (_row(19, "SY-1", "2015-03-05"), "row 20: duplicate 事件编号 SY-1 (first at row 2)"),
    21: (
        _row(20, "SY-20", DAY, reported="2015/3/32"),
        "E21: 报告日期: '2015/3/32' is not a valid calendar date",
    ),
    22: (_row(21, "SY-21", DAY, county=""), "F22: 县区 is empty"),
}
TOURISM_HEADER = _words("事件编号 事件名称 发生日期 报告日期 县区 领域 事件类型 等级 牵头部门")


def _tourism(incident_id: str, lead: str) -> list[str]:
    return [
        incident_id,
        *_words("游客摔伤 2015-03-08 2015-03-09 香河 旅游 旅游安全事故 一般"),
        lead,
    ]


def _two_rows(headers: str) -> list[tuple[str, str | None]]:
    """'行政区划/县区' is a sub-column under a merged 行政区划; other headers span both rows."""
    return [(h.split("/")[0], h.split("/")[1]) if "/" in h else (h, None) for h in headers.split()]


TWO_ROWS = "事件编号 事件名称 发生日期 报告日期 行政区划/市 行政区划/县区 领域 事件类型 等级 性质"
TWO_ROWS += " 发生场所 伤亡情况/死亡 伤亡情况/受伤"
# Six layouts of one 市卫计委 month: three CSV encodings, xlsx with one- and two-row headers, and
# the two-row header exported to CSV; header synonyms and value spellings differ, content not.
LAYOUTS: dict[str, tuple[list[Any], str]] = {
    "utf8.csv": (
        _words("事件编号 事件名称 发生日期 报告日期 县区 领域 事件类型 等级 性质")
        + _words("发生场所 死亡人数 受伤人数"),
        "utf-8",
    ),
    "bom.csv": (
        _words("编号 事件标题 发生时间 上报时间 所在县区 事件类别 事故类型 事件等级")
        + _words("事件性质 场所 死亡 伤病人数"),
        "utf-8-sig",
    ),
    "gb.csv": (
        _words("报告编号 标题 事发日期 报送日期 事发地 行业领域 事件种类 级别 认定性质")
        + _words("事发场所 死亡人数 中毒人数"),
        "gb18030",
    ),
    "one.xlsx": (
        _words("信息编号 事件简称 事故发生日期 接报日期 县（市、区） 所属领域 类型 分级")
        + _words("认定情况 场所类型 死亡 受伤"),
        "",
    ),
    "two.xlsx": (_two_rows(TWO_ROWS), ""),
    "two.csv": (_two_rows(TWO_ROWS), "utf-8"),
}
# the spellings of WJ-1 in each layout, in the order of LAYOUTS
SPELLINGS = {
    "occurred": [
        "2015-05-03",
        "2015/5/3",
        "2015年5月3日",
        date(2015, 5, 3),
        date(2015, 5, 3),
        "20150503",
    ],
    "county": _words("固安县 固安 固安县 固安 固安县 固安"),
    "level": _words("一般 Ⅳ级 四级 一般事件 IV级 一般"),
    "domain": _words("医疗 医疗质量 医疗安全 医疗服务 医疗卫生 医疗"),
    "nature": _words("否 无 否 未认定 个案 非区域性"),
}


def _layout_rows(index: int, two_rows: bool) -> list[list[Any]]:
    """Three 市卫计委 incidents of May 2015 in the layout `index` of LAYOUTS."""
    city = ["廊坊市"] if two_rows else []

    def pick(key: str) -> Any:
        return SPELLINGS[key][index]

    first = ["WJ-1", "输液反应", pick("occurred"), pick("occurred"), *city, pick("county")]
    first += [pick("domain"), "医疗安全不良事件", pick("level"), pick("nature"), "医院", 0, 1]
    second = ["WJ-2", "院感聚集", "2015-05-14", "2015-05-15", *city, "三河市", "医疗", "医疗纠纷"]
    second += ["区域性", "", "医疗机构", "", ""]  # recognised in 等级; casualties not reported
    third = ["WJ-3", "手术纠纷", "2015-05-20", "2015-05-21", *city, "廊坊开发区", "医疗"]
    third += ["医疗事故", "较大", "区域性", "卫生院", 1, "2"]
    return [first, second, third]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[FeedWarehouse, FeedIngestion]:
    """Every violation, the lead-department checks, misplaced and rejected files, and the six
    layouts, loaded (no dbt)."""
    wh = FeedWarehouse(tmp_path_factory.mktemp("incidents-loaded"))
    rows = [_row(1, "SY-1", "2015-03-02"), *(cells for cells, _ in VIOLATIONS.values())]
    rows.append(_row(22, "SY-22", "2015-03-03", county="北京", level="严重"))  # two problems
    wh.deliver(FEED, "市食药监局/2015-03", "a.csv", HEADER, rows)
    again = [_row(1, "SY-1", "2015-04-02"), _row(2, "SY-30", "2015-04-03")]
    wh.deliver(FEED, "食药监局/2015-04", "b.csv", HEADER, again)  # read after a.csv
    tourism = [
        _tourism("LY-1", "市旅游局"),
        _tourism("LY-2", "市卫计委"),
        _tourism("LY-3", "市环保局"),
    ]
    wh.deliver(FEED, "市旅游局/2015-03", "c.csv", TOURISM_HEADER, tourism)
    wh.deliver(FEED, "市环保局/2015-03", "d.csv", HEADER, [_row(1, "HB-1", "2015-03-02")])
    wh.deliver(FEED, "2015-03", "e.csv", HEADER, [_row(1, "X-1", "2015-03-02")])
    no_level = [h for h in HEADER if h != "等级"]
    wh.deliver(FEED, "市卫计委/2015-04", "f.csv", no_level, [_row(1, "WJ-9", "2015-04-02")[:8]])
    for index, (name, (header, encoding)) in enumerate(LAYOUTS.items()):
        two_rows = isinstance(header[0], tuple)
        wh.deliver(
            FEED,
            "卫计委/2015-05",
            name,
            header,
            _layout_rows(index, two_rows),
            encoding=encoding or "utf-8",
            title="医疗质量安全事件报告表（2015年5月）" if name.endswith(".xlsx") else None,
        )
    wh.warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(wh.warehouse)) as conn:
        ingestion = ingest_landed(conn, load_contract(FEED), wh.raw_dir, wh.store_dir, 0)
    return wh, ingestion


def _reasons(wh: FeedWarehouse, source_file: str) -> dict[int, str]:
    found = wh.query(
        "select source_row, reason from raw.quarantine where source_file = ?", [source_file]
    )
    return dict(found)


def test_every_violation_is_quarantined_naming_its_cell(
    loaded: tuple[FeedWarehouse, FeedIngestion],
) -> None:
    wh, _ = loaded
    reasons = _reasons(wh, "incidents/市食药监局/2015-03/a.csv")
    assert set(reasons) == {*VIOLATIONS, 23}
    for row, (_, expected) in VIOLATIONS.items():
        assert reasons[row].startswith(expected), (row, reasons[row])
        assert ";" not in reasons[row]  # exactly one problem per row
    assert reasons[23].startswith(
        "F23: 县区: unknown county '北京'; I23: 等级: unknown 等级 '严重'"
    )
    assert wh.query("select incident_id from raw.incidents where _source_file like '%a.csv'") == [
        ("SY-1",)
    ]


def test_known_keys_lead_departments_and_misplaced_files(
    loaded: tuple[FeedWarehouse, FeedIngestion],
) -> None:
    wh, ingestion = loaded
    assert _reasons(wh, "incidents/食药监局/2015-04/b.csv") == {
        2: "duplicate 事件编号 SY-1: already loaded from incidents/市食药监局/2015-03/a.csv row 2"
    }
    tourism = _reasons(wh, "incidents/市旅游局/2015-03/c.csv")
    assert tourism == {
        3: "I3: 牵头部门 '市卫计委' does not match the delivery folder '市旅游局'",
        4: "I4: 牵头部门: unknown lead department '市环保局'",
    }
    assert wh.query(
        "select lead_unit_code, lead_unit_code_original from raw.incidents "
        "where incident_id = 'LY-1'"
    ) == [("SLVYJ", "市旅游局")]
    misplaced = dict(ingestion.misplaced)
    assert misplaced["incidents/市环保局/2015-03/d.csv"] == (
        "source folder '市环保局': unknown lead department '市环保局'"
    )
    assert misplaced["incidents/2015-03/e.csv"].startswith("file is not in a delivery folder")
    rejected = next(r for r in ingestion.reports if r.source_file.endswith("f.csv"))
    assert (rejected.status, rejected.rows_read, rejected.rows_quarantined) == ("rejected", 1, 1)
    assert "required columns missing: 等级" in (rejected.reason or "")
    for report in ingestion.reports:  # every file reconciles
        assert report.rows_read == report.rows_loaded + report.rows_quarantined, report


def test_every_layout_and_encoding_loads_the_same_rows(
    loaded: tuple[FeedWarehouse, FeedIngestion],
) -> None:
    wh, _ = loaded
    columns = (
        "incident_id, occurred_on, reported_on, county_code, level, nature, deaths, injured, "
        "title, lead_unit_code, domain_code, incident_type, setting"
    )
    by_file: dict[str, list[tuple]] = {}
    for record in wh.records(
        f"select _source_file, {columns} from raw.incidents "
        "where _source_file like '%/2015-05/%' order by _source_file, incident_id"
    ):
        by_file.setdefault(record.pop("_source_file"), []).append(tuple(record.values()))
    assert len(by_file) == len(LAYOUTS)
    same = ("SWJW", "medical", "medical_incident", "medical_institution")
    expected = [
        ("WJ-1", date(2015, 5, 3), date(2015, 5, 3), "131022", "general", "none", 0, 1, "输液反应"),
        ("WJ-2", date(2015, 5, 14), date(2015, 5, 15), "131082", "regional", None, None, None),
        ("WJ-3", date(2015, 5, 20), date(2015, 5, 21), "LFKFQ", "relatively_major", "regional"),
    ]
    expected[1] += ("院感聚集",)
    expected[2] += (1, 2, "手术纠纷")
    for name, rows in by_file.items():
        assert rows == [(*row, *same) for row in expected], name
    # the text as delivered is kept beside the code
    originals = wh.query(
        "select distinct level_original from raw.incidents where incident_id = 'WJ-1' order by 1"
    )
    assert [o for (o,) in originals] == sorted(set(SPELLINGS["level"]))


# ------------------------------------------------------------------ KPIs on a small fixture

AS_OF = "2016-03-10"  # complete months: all of 2015, January and February 2016
KPI_HEADER = ["事件编号", "事件名称", "发生日期", "报告日期", "县区", "领域", "事件类型", "等级"]
KPI_HEADER += ["性质", "发生场所", "调查处理", "处理状态"]
# folder as the office spells it → department code
FOLDERS = {
    "市质监局": "SZJJ",
    "市食药监局": "SSYJJ",
    "农业局": "SNYJ",
    "市建设局": "SJSJ",
    "SLVYJ": "SLVYJ",
    "卫计委": "SWJW",
}
# The reading under test, written out independently of the seeds and the SQL.
KPI_DEPARTMENTS = {
    "REGIONAL_SYSTEMIC_INCIDENTS": {"SZJJ", "SSYJJ", "SNYJ"},
    "REGIONAL_SYSTEMIC_INCIDENTS_COUNTY": set(FOLDERS.values()),
    "MAJOR_TOURISM_ACCIDENTS": {"SLVYJ"},
    "SCHOOL_FOOD_POISONING_INCIDENTS": {"SSYJJ"},
    "CONSTRUCTION_INCIDENT_INVESTIGATION_RATE": {"SJSJ"},
}
DOMAINS = {
    "产品质量": "product",
    "特种设备": "special_equipment",
    "食品": "food",
    "药品": "drug",
    "农产品": "agricultural",
    "工程质量": "construction",
    "旅游": "tourism",
    "医疗": "medical",
    "服务": "service",
}
KPI_DOMAINS = {
    "REGIONAL_SYSTEMIC_INCIDENTS": {"product", "special_equipment", "food", "drug", "agricultural"},
    "REGIONAL_SYSTEMIC_INCIDENTS_COUNTY": set(DOMAINS.values()),
    "MAJOR_TOURISM_ACCIDENTS": {"tourism"},
    "SCHOOL_FOOD_POISONING_INCIDENTS": {"food"},
    "CONSTRUCTION_INCIDENT_INVESTIGATION_RATE": {"construction"},
}
RATE = "CONSTRUCTION_INCIDENT_INVESTIGATION_RATE"


def _incident(
    incident_id: str,
    occurred: str,
    county: str,
    domain: str,
    kind: str,
    level: str = "一般",
    nature: str = "",
    setting: str = "",
    investigation: str = "",
    status: str = "",
) -> list[str]:
    head = [incident_id, f"事件{incident_id}", occurred, occurred, county, domain, kind, level]
    return [*head, nature, setting, investigation, status]


@dataclass(frozen=True)
class Delivery:
    folder: str
    month: str
    rows: tuple[tuple[str, ...], ...]
    received: datetime
    name: str = "report.csv"
    title: str | None = None  # None: <folder> 报告期 <month>; a fixed title repeats bytes


def _first_delivery(folder: str, month: str, rows: Iterable[list[str]] = ()) -> Delivery:
    year, number = int(month[:4]), int(month[5:])
    received = datetime(year + number // 12, number % 12 + 1, 3, 10)
    return Delivery(folder, month, tuple(tuple(r) for r in rows), received)


def _fixture_deliveries() -> list[Delivery]:
    months_2015 = [f"2015-{m:02d}" for m in range(1, 13)]
    content = {
        ("SLVYJ", "2015-05"): [
            _incident("LY-1", "2015-05-02", "香河县", "旅游", "旅游安全事故", "较大")
        ],
        ("SLVYJ", "2015-08"): [
            _incident("LY-2", "2015-08-15", "三河市", "旅游", "旅游安全事故", "重大")
        ],
        ("市建设局", "2015-04"): [
            _incident(
                "JS-1",
                "2015-04-20",
                "固安县",
                "工程质量",
                "工程质量事故",
                investigation="组织调查处理",
                status="已结案",
            )
        ],
        ("市建设局", "2015-10"): [
            _incident(
                "JS-2", "2015-10-09", "霸州市", "工程质量", "工程质量问题", investigation="未调查"
            )
        ],
        ("市食药监局", "2015-06"): [
            _incident("SY-1", "2015-06-11", "文安县", "食品", "食物中毒", setting="餐馆")
        ],
        ("市食药监局", "2015-09"): [
            _incident("SY-2", "2015-09-08", "永清县", "食品", "食物中毒", setting="幼儿园")
        ],
        ("市食药监局", "2015-11"): [
            _incident("SY-3", "2015-11-02", "大城县", "药品", "药品不良反应")
        ],
        ("市质监局", "2015-06"): [
            _incident("ZJ-1", "2015-06-16", "霸州市", "产品质量", "产品质量问题", nature="区域性")
        ],
        ("市质监局", "2016-01"): [
            _incident("ZJ-2", "2016-01-12", "霸州市", "产品质量", "产品质量问题", nature="否")
        ],
        ("市质监局", "2016-03"): [
            _incident("ZJ-4", "2016-03-02", "大城县", "产品质量", "假冒伪劣", nature="区域性")
        ],
        ("市食药监局", "2016-02"): [
            _incident("SY-4", "2016-02-23", "固安县", "食品", "食物中毒", setting="学校"),
            _incident("SY-5", "2016-02-25", "文安县", "食品", "食物中毒", setting="单位食堂"),
        ],
        ("卫计委", "2016-01"): [
            _incident("WJ-1", "2016-01-06", "三河市", "医疗", "医疗纠纷", "区域性")
        ],
        ("卫计委", "2016-02"): [_incident("WJ-2", "2016-02-10", "安次区", "医疗", "医疗纠纷")],
    }
    deliveries = []
    for folder in ("SLVYJ", "市建设局", "市食药监局", "市质监局"):
        for month in months_2015:
            deliveries.append(_first_delivery(folder, month, content.get((folder, month), [])))
    # 市农业局 never sent September 2015
    deliveries += [_first_delivery("农业局", m) for m in months_2015 if m != "2015-09"]
    for folder in FOLDERS:
        for month in ("2016-01", "2016-02"):
            deliveries.append(_first_delivery(folder, month, content.get((folder, month), [])))
    deliveries.append(_first_delivery("市质监局", "2016-03", content[("市质监局", "2016-03")]))
    # 市质监局's zero reports of July and August 2015 are the same bytes: August's is a
    # repeated delivery, still August's 零报告
    for index, delivery in enumerate(deliveries):
        if delivery.folder == "市质监局" and delivery.month in ("2015-07", "2015-08"):
            deliveries[index] = Delivery(
                delivery.folder, delivery.month, (), delivery.received, title="市质监局 零报告"
            )
    # corrections: January 2016 recognised 区域性 and an escalator accident added; the
    # February medical incident withdrawn (a 零报告 replaces it)
    recognised = _incident(
        "ZJ-2", "2016-01-12", "霸州市", "产品质量", "产品质量问题", nature="区域性"
    )
    escalator = _incident("ZJ-3", "2016-01-20", "广阳区", "特种设备", "电梯事故", nature="否")
    deliveries.append(
        Delivery(
            "市质监局",
            "2016-01",
            (tuple(recognised), tuple(escalator)),
            datetime(2016, 2, 20, 9),
            "report_更正.csv",
        )
    )
    deliveries.append(Delivery("卫计委", "2016-02", (), datetime(2016, 3, 8, 9), "report_更正.csv"))
    return deliveries


def _write_delivery(wh: FeedWarehouse, delivery: Delivery) -> None:
    title = delivery.title or f"{delivery.folder} 报告期：{delivery.month}"
    # the title line above the header (the machinery finds the header in the first 10 rows)
    wh.deliver(
        FEED,
        f"{delivery.folder}/{delivery.month}",
        delivery.name,
        [title],
        [KPI_HEADER, *delivery.rows],
        received=delivery.received,
    )


@pytest.fixture(scope="module")
def kpis(tmp_path_factory: pytest.TempPathFactory) -> FeedWarehouse:
    wh = FeedWarehouse(tmp_path_factory.mktemp("incidents-kpis"))
    for delivery in _fixture_deliveries():
        _write_delivery(wh, delivery)
    reports = wh.ingest(FEED)
    assert Counter(r.status for r in reports) == {"loaded": len(reports) - 1, "repeated": 1}
    assert all(r.rows_quarantined == 0 for r in reports)
    wh.build("int_kpi__incidents", "int_kpi_lineage__incidents", dbt_vars={"as_of_date": AS_OF})
    return wh


EVENT = {  # what each KPI counts, in the words of its catalogue reading
    "REGIONAL_SYSTEMIC_INCIDENTS": "regional",
    "REGIONAL_SYSTEMIC_INCIDENTS_COUNTY": "regional",
    "MAJOR_TOURISM_ACCIDENTS": "major_tourism",
    "SCHOOL_FOOD_POISONING_INCIDENTS": "school_poisoning",
    RATE: "investigated",
}
RECOGNISED = {"区域性", "系统性", "区域性、系统性"}


def _meaning(year: int, county: str, domain: str, cells: Mapping[str, str]) -> dict[str, Any]:
    """What an incident means for the KPIs, read from its text without the contract."""
    county_code = next(
        code for code, c in COUNTIES.items() if county in (c["county_name"], c["short_name"])
    )
    return {
        "year": year,
        "county": county_code,
        "domain": domain,
        "regional": bool({cells["level"], cells["nature"]} & RECOGNISED),
        "major_tourism": cells["level"] in ("重大", "特别重大"),
        "school_poisoning": cells["type"] == "食物中毒"
        and cells["setting"] in ("学校", "学校食堂", "幼儿园"),
        "investigated": cells["investigation"] in ("组织调查处理", "参与调查处理"),
    }


def _kpi_rows(incidents: Sequence[Mapping[str, Any]], complete: Iterable[tuple[str, int]]) -> set:
    """(kpi, year, scope, code, numerator, denominator, value, source rows) for every complete
    KPI-year: counts for the city and every county, the rate for the city and every county
    with construction incidents."""
    expected = set()
    for kpi, year in complete:
        scoped = [r for r in incidents if r["year"] == year and r["domain"] in KPI_DOMAINS[kpi]]
        for scope, code in [("city", CITY), *(("county", c) for c in COUNTIES)]:
            here = [r for r in scoped if scope == "city" or r["county"] == code]
            events = sum(r[EVENT[kpi]] for r in here)
            if kpi != RATE:
                expected.add((kpi, year, scope, code, events, None, events, events))
            elif here or scope == "city":
                value = round(100 * events / len(here), 4) if here else None
                expected.add((kpi, year, scope, code, events, len(here), value, len(here)))
    return expected


def _expected_kpis(deliveries: Sequence[Delivery]) -> set[tuple]:
    """The KPI rows, computed in Python from the fixture."""
    current: dict[tuple[str, str], Delivery] = {}
    for delivery in sorted(deliveries, key=lambda d: d.received):
        current[(FOLDERS[delivery.folder], delivery.month)] = delivery
    names = ("level", "nature", "type", "setting", "investigation")
    incidents = [
        _meaning(
            int(r[2][:4]),
            r[4],
            DOMAINS[r[5]],
            dict(zip(names, (r[7], r[8], r[6], r[9], r[10]), strict=True)),
        )
        for d in current.values()
        for r in d.rows
    ]
    complete = []
    for kpi, departments in KPI_DEPARTMENTS.items():
        for year in (2015, 2016):
            months = [f"{year}-{m:02d}" for m in range(1, 13) if f"{year}-{m:02d}" < AS_OF[:7]]
            if all((d, m) in current for d in departments for m in months):
                complete.append((kpi, year))
    return _kpi_rows(incidents, complete)


def test_kpis_equal_an_independent_calculation(kpis: FeedWarehouse) -> None:
    found = set(
        kpis.query(
            "select kpi_code, kpi_year, scope_type, scope_code, numerator, denominator, "
            "actual_value, source_rows from intermediate.int_kpi__incidents"
        )
    )
    expected = _expected_kpis(_fixture_deliveries())
    assert found == expected
    # the cases the fixture is built for, spelt out
    city = {(k, y): (n, d, v) for k, y, s, _, n, d, v, _ in found if s == "city"}
    assert city[("MAJOR_TOURISM_ACCIDENTS", 2015)] == (1, None, 1)  # 重大 counts, 较大 not
    assert city[("MAJOR_TOURISM_ACCIDENTS", 2016)] == (0, None, 0)  # zero reports: a real 0
    assert city[("SCHOOL_FOOD_POISONING_INCIDENTS", 2015)] == (1, None, 1)  # 幼儿园
    assert city[(RATE, 2015)] == (1, 2, 50.0)
    assert city[(RATE, 2016)] == (0, 0, None)  # no construction incident: no rate
    assert city[("REGIONAL_SYSTEMIC_INCIDENTS", 2016)] == (2, None, 2)  # incl. March so far
    assert city[("REGIONAL_SYSTEMIC_INCIDENTS_COUNTY", 2016)] == (3, None, 3)  # + medical
    assert ("REGIONAL_SYSTEMIC_INCIDENTS", 2015) not in city  # a month is missing
    assert ("REGIONAL_SYSTEMIC_INCIDENTS_COUNTY", 2015) not in city
    counties = [r for r in found if r[0] == "MAJOR_TOURISM_ACCIDENTS" and r[1] == 2016]
    assert len(counties) == 1 + len(COUNTIES)  # every county, 0 where nothing happened


def test_lineage_lists_the_incident_rows_of_a_value(kpis: FeedWarehouse) -> None:
    """The 2016 city count of REGIONAL_SYSTEMIC_INCIDENTS_COUNTY (3) counts ZJ-2 of 市质监局's
    January correction (recognised there; the escalator accident ZJ-3 below it is no event),
    ZJ-4 of its March report and the medical WJ-1: data rows start at 3, under the title line
    and the header. The replaced January report and non-events are not listed."""
    rows = kpis.query(
        "select files.source_file, lineage.source_row "
        "from intermediate.int_kpi_lineage__incidents as lineage "
        "inner join raw.ingested_files as files "
        "on files.feed = lineage.feed and files.sha256 = lineage.source_sha256 "
        "where lineage.kpi_code = 'REGIONAL_SYSTEMIC_INCIDENTS_COUNTY' "
        f"and lineage.kpi_year = 2016 and lineage.scope_code = '{CITY}'"
    )
    assert sorted(("/".join(Path(name).parts[-3:]), row) for name, row in rows) == [
        ("卫计委/2016-01/report.csv", 3),
        ("市质监局/2016-01/report_更正.csv", 3),
        ("市质监局/2016-03/report.csv", 3),
    ]


def test_completeness_names_the_missing_months(kpis: FeedWarehouse) -> None:
    years = {
        (k, y): (complete, missing)
        for k, y, complete, missing in kpis.query(
            "select kpi_code, kpi_year, is_complete, missing_slots "
            "from intermediate.int_incidents__kpi_years"
        )
    }
    # August's zero report repeated July's bytes: a repeated delivery, so August is reported
    assert years[("REGIONAL_SYSTEMIC_INCIDENTS", 2015)] == (False, "市农业局 2015-09")
    missing_2015 = years[("REGIONAL_SYSTEMIC_INCIDENTS_COUNTY", 2015)][1] or ""
    assert missing_2015.count("市卫计委") == 12
    assert years[("MAJOR_TOURISM_ACCIDENTS", 2015)] == (True, None)
    assert all(complete for (_, y), (complete, _) in years.items() if y == 2016)


def test_a_correction_replaces_exactly_its_slot(kpis: FeedWarehouse) -> None:
    current = kpis.query(
        "select delivery_period, incident_id, recognised_as, delivery_version "
        "from intermediate.int_incidents__current where lead_unit_code in ('SZJJ', 'SWJW') "
        "order by incident_id"
    )
    assert current == [
        ("2016-01", "WJ-1", "regional", 1),
        ("2015-06", "ZJ-1", "regional", 1),
        ("2016-01", "ZJ-2", "regional", 2),
        ("2016-01", "ZJ-3", None, 2),
        ("2016-03", "ZJ-4", "regional", 1),
    ]
    # the replaced rows (ZJ-2 not yet recognised, the withdrawn WJ-2) stay in staging
    history = kpis.query(
        "select incident_id, recognised_as from staging.stg_raw__incidents "
        "where incident_id in ('ZJ-2', 'WJ-2') order by incident_id, loaded_at, source_file"
    )
    assert sorted(history, key=str) == sorted(
        [("WJ-2", None), ("ZJ-2", None), ("ZJ-2", "regional")], key=str
    )


# ------------------------------------------------------------------ the GX suite


def _suite_failures(frame: pd.DataFrame) -> dict[tuple[str, str | None], Any]:
    outcome = validate_dataframe(frame, SUITE)
    return {(o.expectation_type, o.column): o for o in outcome.failed_outcomes}


def test_gx_suite_passes_on_the_fixture_and_on_an_empty_table(kpis: FeedWarehouse) -> None:
    outcome = validate_duckdb_table(kpis.warehouse, "staging.stg_raw__incidents", SUITE)
    assert outcome.success, [(o.expectation_type, o.column) for o in outcome.failed_outcomes]
    assert outcome.row_count > 0
    empty = read_duckdb_table(kpis.warehouse, "staging.stg_raw__incidents").iloc[0:0]
    assert validate_dataframe(empty, SUITE).success


def test_gx_suite_fails_naming_the_bad_rows(kpis: FeedWarehouse) -> None:
    frame = read_duckdb_table(kpis.warehouse, "staging.stg_raw__incidents")
    food = frame.index[frame["domain_code"] == "food"][0]
    construction = frame.index[frame["domain_code"] == "construction"][0]
    regional = frame.index[frame["is_regional_systemic"]][0]
    frame.loc[0, "county_code"] = "131099"
    frame.loc[1, "reported_on"] = pd.Timestamp("2000-01-02")
    frame.loc[2, "deaths"] = -1
    frame.loc[food, "setting"] = None
    frame.loc[construction, "investigation"] = None
    frame.loc[regional, "recognised_as"] = None
    failures = _suite_failures(frame)
    assert (
        "131099" in failures[("expect_column_values_to_be_in_set", "county_code")].sample_unexpected
    )
    assert any(k == "expect_column_pair_values_a_to_be_greater_than_b" for k, _ in failures)
    assert failures[("expect_column_values_to_be_between", "deaths")].unexpected_count == 1
    rows = {
        column: " ".join(outcome.sample_unexpected)
        for (kind, column), outcome in failures.items()
        if kind == "expect_column_values_to_not_be_null"
    }
    for index, column in (
        (food, "setting"),
        (construction, "investigation"),
        (regional, "recognised_as"),
    ):
        label = next(c for c in rows if c and c.startswith(column))
        assert f"source_row={frame.loc[index, 'source_row']}" in rows[label], (column, rows[label])


# ------------------------------------------------------------------ the generator


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_generator_is_deterministic_and_years_are_independent(tmp_path: Path) -> None:
    generate_incidents(tmp_path / "a", [2015, 2016], scale=0.25, error_rate=0.1)
    generate_incidents(tmp_path / "b", [2015, 2016], scale=0.25, error_rate=0.1)
    generate_incidents(tmp_path / "c", [2015], scale=0.25, error_rate=0.1)
    first, second, alone = _tree(tmp_path / "a"), _tree(tmp_path / "b"), _tree(tmp_path / "c")
    assert first == second
    assert alone == {name: data for name, data in first.items() if "/2015-" in name}


def test_generated_files_mix_formats_and_carry_their_delivery_time(tmp_path: Path) -> None:
    summary = generate_incidents(tmp_path, [2015], scale=0.25, error_rate=0)
    assert len(summary.files) == 6 * 12 + 1 and summary.other_counts["redeliveries"] == 1
    assert summary.other_counts["zero_reports"] > len(summary.files) / 2
    kinds = Counter()
    for path in summary.files:
        data = path.read_bytes()
        if path.suffix == ".xlsx":
            kinds["xlsx"] += 1
        elif data.startswith(b"\xef\xbb\xbf"):
            kinds["utf-8-sig"] += 1
        else:
            try:
                data.decode("utf-8")
                kinds["utf-8"] += 1
            except UnicodeDecodeError:
                data.decode("gb18030")
                kinds["gb18030"] += 1
        received = datetime.fromtimestamp(path.stat().st_mtime, LOCAL_TIME).replace(tzinfo=None)
        year, month = map(int, path.parent.name.split("-"))
        due = date(year + month // 12, month % 12 + 1, 1)
        if path.stem.endswith("_更正"):
            first = next(p for p in path.parent.iterdir() if p != path)
            assert received.timestamp() > first.stat().st_mtime, path
        else:
            assert due <= received.date() <= due.replace(day=12), (path, received)
        assert received.year < 2017
    assert set(kinds) == {"xlsx", "utf-8-sig", "utf-8", "gb18030"}


def test_other_years_get_a_late_recognised_incident_as_correction(tmp_path: Path) -> None:
    wh = FeedWarehouse(tmp_path)
    summary = generate_incidents(wh.raw_dir, [2017], scale=0.5, error_rate=0)
    [fixed] = [p for p in summary.files if p.stem.endswith("_更正")]
    first = next(p for p in summary.files if p.parent == fixed.parent and p != fixed)
    assert summary.rows_per_file[fixed] == summary.rows_per_file[first] + 1
    reports = wh.ingest(FEED)
    assert (
        len(reports) == 73
        and {r.status for r in reports} == {"loaded"}
        and sum(r.rows_quarantined for r in reports) == 0
    )


def test_generator_volumes_scale(tmp_path: Path) -> None:
    def rows(scale: float) -> int:
        summary = generate_incidents(tmp_path / str(scale), [2015], scale=scale, error_rate=0)
        return sum(n for p, n in summary.rows_per_file.items() if not p.stem.endswith("_更正"))

    scripted, one, four = rows(0.02), rows(1), rows(4)  # at 0.02 only the demo incidents
    assert 30 <= one - scripted <= 60  # a few dozen ordinary incidents a year at scale 1
    assert four - scripted == 4 * (one - scripted)


def _classify(reason: str) -> str:
    patterns = {
        "unknown_county": "unknown county",
        "unknown_domain": "unknown incident domain",
        "unknown_type": "unknown 事件类型",
        "unknown_level": "unknown 等级",
        "bad_date": "发生日期: '",
        "outside_period": "outside the delivery period",
        "reported_before_occurred": "报告日期早于发生日期",
        "missing_title": "事件名称 is empty",
        "bad_casualties": "人数: '",
        "food_without_setting": "食品类事件未填写发生场所",
        "construction_without_investigation": "工程质量事故未填写调查处理情况",
        "duplicate_id": "duplicate 事件编号",
    }
    [kind] = [k for k, text in patterns.items() if text in reason]
    return kind


def test_generated_mistakes_are_quarantined_and_clean_rows_load(tmp_path: Path) -> None:
    wh = FeedWarehouse(tmp_path)
    # every incident botched once: every kind occurs
    summary = generate_incidents(wh.raw_dir, [2016], scale=1, error_rate=1)
    assert all(summary.injected_errors[kind] > 0 for kind in ERROR_KINDS)
    reports = wh.ingest(FEED)
    assert all(r.status == "loaded" for r in reports)
    reasons = [r for (r,) in wh.query("select reason from raw.quarantine")]
    assert Counter(map(_classify, reasons)) == {
        k: v for k, v in summary.injected_errors.items() if v
    }
    assert sum(r.rows_loaded for r in reports) == summary.total_rows - len(reasons)
    clean = FeedWarehouse(tmp_path / "clean")
    summary = generate_incidents(clean.raw_dir, [2016], scale=1, error_rate=0)
    reports = clean.ingest(FEED)
    assert sum(r.rows_loaded for r in reports) == summary.total_rows
    assert sum(r.rows_quarantined for r in reports) == 0


# ------------------------------------------------------------------ the shared pipeline

GENERATED_DOMAINS = {
    "产品质量": "product",
    "特种设备": "special_equipment",
    "服务": "service",
    "食品安全": "food",
    "药品": "drug",
    "农产品": "agricultural",
    "工程质量": "construction",
    "旅游": "tourism",
    "医疗": "medical",
}
HEADERS = {  # header text in the generated templates → meaning
    "id": {"事件编号", "编号", "事故编号"},
    "occurred": {"发生日期", "发生时间"},
    "county": {"县（市、区）", "所在县区", "县区", "行政区划/县区"},
    "domain": {"领域", "事件类别", "类别"},
    "type": {"事件类型", "事故类型"},
    "level": {"事件等级", "等级", "事故等级", "级别"},
    "nature": {"事件性质", "认定性质"},
    "setting": {"发生场所", "场所"},
    "investigation": {"调查处理/组织或参与"},
}


def _table(path: Path) -> list[list[str]]:
    if path.suffix == ".xlsx":
        sheet = load_workbook(path, read_only=True).worksheets[0]
        return [
            [
                "" if v is None else (v.date().isoformat() if isinstance(v, datetime) else str(v))
                for v in r
            ]
            for r in sheet.iter_rows(values_only=True)
        ]
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030")
    return list(csv.reader(io.StringIO(text)))


def _generated_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(row number, meaning → text) of a generated file, read without the project's readers:
    the header is the line after the title; a line of sub-headers follows under merged ones."""
    table = _table(path)
    header, start = table[1], 2
    if len(table) > 2 and "县区" in table[2]:
        tops, carried = [], ""
        for top, sub in zip(header, table[2], strict=False):
            carried = top or carried
            tops.append(f"{carried}/{sub}" if sub else top)
        header, start = tops, 3
    rows = []
    for number, line in enumerate(table[start:], start=start + 1):
        if not any(line):
            continue
        cells = dict(zip(header, line, strict=False))
        rows.append(
            (
                number,
                {k: next((cells[h] for h in hs if h in cells), "") for k, hs in HEADERS.items()},
            )
        )
    return rows


def _parse_day(text: str) -> date:
    numbers = [int(n) for n in re.findall(r"\d+", text)]
    return date(*numbers[:3])


def test_pipeline_files_reconcile_and_mistakes_are_quarantined(pipeline: Pipeline) -> None:
    summary = pipeline.feeds[FEED]
    with duckdb.connect(str(pipeline.warehouse), read_only=True) as conn:
        files = conn.execute(
            "select source_file, status, rows_read, rows_loaded, rows_quarantined, received_at "
            "from raw.ingested_files where feed = 'incidents'"
        ).fetchall()
        reasons = [
            r
            for (r,) in conn.execute(
                "select reason from raw.quarantine where feed = 'incidents'"
            ).fetchall()
        ]
    assert len(files) == len(summary.files)
    for source_file, status, read, loaded, quarantined, received in files:
        path = pipeline.raw_dir / source_file
        assert status == "loaded", source_file
        assert (
            read
            == loaded + quarantined
            == len(_generated_rows(path))
            == summary.rows_per_file[path]
        )
        assert received == datetime.fromtimestamp(path.stat().st_mtime, LOCAL_TIME).replace(
            tzinfo=None
        )
    assert Counter(map(_classify, reasons)) == {
        k: v for k, v in summary.injected_errors.items() if v
    }
    checks = {e.check_name: e for e in pipeline.result.get_asset_check_evaluations()}
    assert checks["gx_stg_raw__incidents"].passed


def _independent_pipeline_kpis(pipeline: Pipeline) -> set[tuple]:
    summary = pipeline.feeds[FEED]
    with duckdb.connect(str(pipeline.warehouse), read_only=True) as conn:
        quarantined = set(
            conn.execute(
                "select source_file, source_row from raw.quarantine where feed = 'incidents'"
            ).fetchall()
        )
    slots: dict[tuple[str, str], Path] = {}
    for path in sorted(summary.files, key=lambda p: p.stat().st_mtime):
        # the latest file of a slot is current (the generated corrections load whole)
        slots[(path.parent.parent.name, path.parent.name)] = path
    incidents = []
    for path in slots.values():
        source_file = path.relative_to(pipeline.raw_dir).as_posix()
        for number, cells in _generated_rows(path):
            if (source_file, number) in quarantined:
                continue
            assert not {cells["level"], cells["nature"]} & {"系统性", "区域性、系统性"}
            year = _parse_day(cells["occurred"]).year
            domain = GENERATED_DOMAINS[cells["domain"]]
            incidents.append(_meaning(year, cells["county"], domain, cells))
    # every department-month of both years is delivered: every KPI-year is complete
    return _kpi_rows(incidents, [(kpi, year) for kpi in EVENT for year in (2015, 2016)])


def test_pipeline_kpis_equal_an_independent_calculation_from_the_files(pipeline: Pipeline) -> None:
    with duckdb.connect(str(pipeline.warehouse), read_only=True) as conn:
        values = set(
            conn.execute(
                "select kpi_code, kpi_year, scope_type, scope_code, numerator, denominator, "
                "actual_value, source_rows from marts.fct_kpi_values where kpi_code in "
                f"({', '.join(repr(k) for k in KPI_DEPARTMENTS)})"
            ).fetchall()
        )
        targets = {
            (k, y): (v, s)
            for k, y, v, s in conn.execute(
                "select kpi_code, assessment_year, actual_value, status "
                "from marts.fct_city_targets where source_feed = 'incidents'"
            ).fetchall()
        }
        county_status = conn.execute(
            "select kpi_year, scope_code from marts.fct_kpi_values "
            "where kpi_code = 'REGIONAL_SYSTEMIC_INCIDENTS_COUNTY' and scope_type = 'county' "
            "and status = 'not_met'"
        ).fetchall()
    assert values == _independent_pipeline_kpis(pipeline)
    # the demo the generator is built for
    assert county_status == [(2015, "131081")]  # one 区域性 incident, in 霸州市, in 2015
    assert targets[("REGIONAL_SYSTEMIC_INCIDENTS", 2015)] == (1.0, "not_met")
    assert targets[("REGIONAL_SYSTEMIC_INCIDENTS", 2016)] == (0.0, "met")
    assert targets[("SCHOOL_FOOD_POISONING_INCIDENTS", 2015)] == (1.0, "not_met")
    assert targets[("SCHOOL_FOOD_POISONING_INCIDENTS", 2016)] == (0.0, "met")
    assert targets[("MAJOR_TOURISM_ACCIDENTS", 2016)] == (0.0, "met")
    assert targets[(RATE, 2015)] == (100.0, "met")
    rate_2016, status = targets[(RATE, 2016)]
    assert status == "not_met" and rate_2016 is not None and rate_2016 < 100
