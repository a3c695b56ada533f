"""Complaint tickets (质量申诉举报工单) through the real loader, dbt and GX: the contract's
violations are quarantined by cell, every hotline's export format loads, a re-export replaces
exactly its slot, COMPLAINT_CLOSURE_RATE equals an independent calculation, and the generator
is deterministic. Fixture files are written by hand here, never by the generator."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from openpyxl import load_workbook

from orchestration.ingest.landing import LOCAL_TIME
from orchestration.ingest.normalise import parse_datetime
from orchestration.quality.gx_validation import (
    read_duckdb_table,
    validate_dataframe,
    validate_duckdb_table,
)
from orchestration.reference import load_seed
from orchestration.settings import EXPECTATIONS_DIR
from sample_data.complaints import generate_complaints
from tests.conftest import Pipeline
from tests.feed_helpers import FeedWarehouse

FEED = "complaints"
SUITE = EXPECTATIONS_DIR / "stg_raw__complaints.json"
STAGED = "staging.stg_raw__complaints"
KPI = "COMPLAINT_CLOSURE_RATE"
CITY = "131000"
DEADLINES = {
    r["hotline_code"]: int(r["deadline_days"]) for r in load_seed("ref_complaint_hotlines")
}
COUNTY_BY_NAME = {
    name: county["county_code"]
    for county in load_seed("ref_counties")
    for name in (county["county_name"], county["short_name"], *county["aliases"].split("|"))
}
CLOSED_WORDS = {"已办结", "办结", "已结案", "已回访", "已撤销", "撤销", "撤诉", "撤回"}
REJECTED_WORDS = {"不予受理", "不受理", "无效工单"}


def _on(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm)


# ------------------------------------------------------------------ the hand-made deliveries


@dataclass(frozen=True)
class Ticket:
    """What the fixture's files say about a ticket, for the independent calculation."""

    hotline: str
    number: str
    received: dt.datetime
    county: str
    closed: bool
    rejected: bool = False
    inquiry: bool = False
    due: dt.date | None = None  # 办理期限 as exported


# 12315: the 12315 centre's workbook, a title row over a two-row header
HEADER_12315: list[Any] = [
    "工单编号",
    "登记时间",
    "诉求类型",
    "涉及领域",
    ("被诉方", "所在县区"),
    ("办理情况", "办理状态"),
    ("办理情况", "办结方式"),
    ("办理情况", "办结时间"),
]
GS1 = [
    "GS1",
    _on(2015, 3, 2, 9, 15),
    "投诉",
    "商品质量",
    "固安县",
    "已办结",
    "调解成功",
    _on(2015, 3, 20),
]
MARCH_A = [  # exported 2015-04-05
    GS1,
    ["GS2", _on(2015, 3, 10, 14), "投诉", "服务", "固安县", "办理中", None, None],
    ["GS3", _on(2015, 3, 15, 10, 30), "举报", "计量", "霸州市", "已受理", None, None],
    ["GS4", _on(2015, 3, 20, 11), "投诉", "商品质量", "霸州市", "不予受理", None, None],
]
MARCH_B = [  # re-exported 2015-05-05: GS2 closed, GS3 still open, GS4 merged away, GS5 added
    GS1,
    ["GS2", _on(2015, 3, 10, 14), "投诉", "服务", "固安县", "已办结", "调解不成", _on(2015, 4, 20)],
    ["GS3", _on(2015, 3, 15, 10, 30), "举报", "计量", "霸州市", "办理中", None, None],
    ["GS5", _on(2015, 3, 31, 16), "投诉", "其他", "霸州", "已撤销", "撤诉", _on(2015, 4, 10)],
]
# 12365: the 质监 ledger in GB18030, moments as 2015/3/5 9:05
HEADER_12365 = ["投诉举报编号", "受理渠道", "受理时间", "类别", "问题类别", "所在县区", "处理状态"]
HEADER_12365 += ["处理结果", "结案时间"]
MARCH_12365 = [
    ["ZJ1", "质监12365", "2015/3/5 9:05", "申诉", "特种设备", "三河", "已结案", "达成调解协议"],
    ["ZJ2", "质监12365", "2015/3/6 10:05", "举报", "产品质量", "三河", "处理中", ""],
]
MARCH_12365[0].append("2015/3/9 16:30")
MARCH_12365[1].append("")
# 12331: UTF-8 with BOM, with the 办理期限 the system tracks (an approved extension included)
HEADER_12331 = ["登记编号", "热线", "接收时间", "投诉举报类型", "涉及品种", "所在地", "办理期限"]
HEADER_12331 += ["办理状态", "结案方式", "办结时间"]


def _sy(no: str, day: int, kind: str, item: str, county: str, due: str, *state: str) -> list[str]:
    """A 12331 row registered on `day` November 2015 at 10:00."""
    return [no, "12331", f"2015-11-{day:02d} 10:00:00", kind, item, county, due, *state]


NOVEMBER_A = [  # exported 2015-12-05
    _sy("SY1", 2, "投诉", "食品", "固安县", "2016-01-01", "已办结", "调解成功", "2015-11-10 10:00"),
    _sy("SY2", 3, "咨询", "药品", "固安县", "2016-01-02", "已办结", "告知", "2015-11-03 11:00"),
    _sy("SY3", 4, "举报", "药品", "霸州市", "2016-01-03", "办理中", "", ""),
    _sy("SY4", 5, "投诉", "食品", "霸州市", "2016-01-04", "办理中", "", ""),
]
NOVEMBER_B = [  # exported 2016-02-05: SY3 extended and still open, SY4 closed after its deadline
    *NOVEMBER_A[:2],
    _sy("SY3", 4, "举报", "药品", "霸州市", "2016-02-02", "延期办理", "", ""),
    _sy("SY4", 5, "投诉", "食品", "霸州市", "2016-01-04", "已办结", "调解成功", "2016-01-20 10:00"),
]
# 12312: UTF-8 without BOM, moments as 2016年1月4日 9时30分, the result as free text
HEADER_12312 = ["编号", "举报时间", "举报类型", "涉及行业", "区县", "状态", "办理结果", "办结日期"]
JANUARY_12312 = [
    ["SW1", "2016年1月4日 9时30分", "举报", "成品油", "廊坊市安次区", "办结", "已责令整改"],
    ["SW2", "2016年1月25日 14时05分", "投诉", "单用途预付卡", "廊坊市安次区", "正在办理", ""],
]
JANUARY_12312[0].append("2016年1月20日 15时00分")
JANUARY_12312[1].append("")
# 12345: the mayor's hotline workbook, a title row, the hotline as a number, moments as text
HEADER_12345 = ["工单号", "来源热线", "来电时间", "工单类型", "诉求领域", "所属区域", "工单状态"]
HEADER_12345 += ["办理结果", "办结时间"]
FEBRUARY_12345 = [
    ["H1", 12345, "2016-02-01 09:00", "投诉", "市场监管-价格收费", "开发区", "已回访", "已退费"],
    ["H2", 12345, "2016-02-15 09:00", "投诉", "市场监管-食品安全", "大厂", "已转办", ""],
]
FEBRUARY_12345[0].append("2016-02-10 09:00")
FEBRUARY_12345[1].append("")

# What the current exports say (as of 2016-03-05, the newest receipt), for the calculation.
CURRENT_TICKETS = [
    Ticket("12315", "GS1", _on(2015, 3, 2), "131022", closed=True),
    Ticket("12315", "GS2", _on(2015, 3, 10), "131022", closed=True),
    Ticket("12315", "GS3", _on(2015, 3, 15), "131081", closed=False),
    Ticket("12315", "GS5", _on(2015, 3, 31), "131081", closed=True),
    Ticket("12365", "ZJ1", _on(2015, 3, 5), "131082", closed=True),
    Ticket("12365", "ZJ2", _on(2015, 3, 6), "131082", closed=False),
    Ticket("12331", "SY1", _on(2015, 11, 2), "131022", closed=True, due=dt.date(2016, 1, 1)),
    Ticket("12331", "SY2", _on(2015, 11, 3), "131022", True, inquiry=True, due=dt.date(2016, 1, 2)),
    Ticket("12331", "SY3", _on(2015, 11, 4), "131081", closed=False, due=dt.date(2016, 2, 2)),
    Ticket("12331", "SY4", _on(2015, 11, 5), "131081", closed=True, due=dt.date(2016, 1, 4)),
    Ticket("12312", "SW1", _on(2016, 1, 4), "131002", closed=True),
    Ticket("12312", "SW2", _on(2016, 1, 25), "131002", closed=False),
    Ticket("12345", "H1", _on(2016, 2, 1), "LFKFQ", closed=True),
    Ticket("12345", "H2", _on(2016, 2, 15), "131028", closed=False),
]
AS_OF = dt.date(2016, 3, 5)


def closure_rate(
    tickets: Iterable[Ticket], as_of: dt.date
) -> dict[tuple[int, str], tuple[int, int]]:
    """(year, scope) → (closed, due): accepted non-inquiry tickets whose deadline (the exported
    办理期限, else 登记日 + the hotline's days) is over before `as_of`, in the deadline's year;
    only years in which tickets were registered."""
    tickets = list(tickets)
    years = {t.received.year for t in tickets}
    counts: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for t in tickets:
        deadline = t.due or t.received.date() + dt.timedelta(days=DEADLINES[t.hotline])
        if t.rejected or t.inquiry or deadline >= as_of or deadline.year not in years:
            continue
        for scope in (CITY, t.county):
            counts[(deadline.year, scope)][0] += t.closed
            counts[(deadline.year, scope)][1] += 1
    return {key: (closed, due) for key, (closed, due) in counts.items()}


def _deliver(
    wh: FeedWarehouse,
    slot: str,
    name: str,
    header: Sequence[Any],
    rows: Sequence[Sequence[Any]],
    received: dt.datetime,
    **options: Any,
) -> Path:
    return wh.deliver(FEED, slot, name, header, rows, received=received, **options)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> FeedWarehouse:
    wh = FeedWarehouse(tmp_path_factory.mktemp("complaints"))
    title = {"title": "廊坊市12315消费者申诉举报工单明细"}
    _deliver(wh, "12315/2015-03", "a.xlsx", HEADER_12315, MARCH_A, _on(2015, 4, 5), **title)
    _deliver(wh, "12315/2015-03", "b.xlsx", HEADER_12315, MARCH_B, _on(2015, 5, 5), **title)
    gbk = {"encoding": "gb18030"}
    _deliver(wh, "12365/2015-03", "c.csv", HEADER_12365, MARCH_12365, _on(2015, 4, 5), **gbk)
    bom = {"encoding": "utf-8-sig"}
    _deliver(wh, "12331/2015-11", "d.csv", HEADER_12331, NOVEMBER_A, _on(2015, 12, 5), **bom)
    _deliver(wh, "12331/2015-11", "e.csv", HEADER_12331, NOVEMBER_B, _on(2016, 2, 5), **bom)
    _deliver(wh, "12312/2016-01", "f.csv", HEADER_12312, JANUARY_12312, _on(2016, 2, 5))
    mayor = {"title": "市长公开电话转办质量类工单"}
    received = _on(2016, 3, 5, 10, 30)
    _deliver(wh, "12345/2016-02", "g.xlsx", HEADER_12345, FEBRUARY_12345, received, **mayor)
    reports = {
        Path(r.source_file).name: (r.status, r.rows_read, r.rows_loaded) for r in wh.ingest(FEED)
    }
    assert reports == {
        "a.xlsx": ("loaded", 4, 4),
        "b.xlsx": ("loaded", 4, 4),
        "c.csv": ("loaded", 2, 2),
        "d.csv": ("loaded", 4, 4),
        "e.csv": ("loaded", 4, 4),
        "f.csv": ("loaded", 2, 2),
        "g.xlsx": ("loaded", 2, 2),
    }
    wh.build("int_kpi__complaints", "int_kpi_lineage__complaints")
    return wh


def test_a_re_export_replaces_exactly_its_slot(built: FeedWarehouse) -> None:
    current = built.query(
        "select hotline_code, ticket_no, status, delivery_version from "
        "intermediate.int_complaints__current where delivery_period = '2015-03' order by 1, 2"
    )
    assert current == [
        ("12315", "GS1", "closed", 2),
        ("12315", "GS2", "closed", 2),
        ("12315", "GS3", "in_progress", 2),
        ("12315", "GS5", "withdrawn", 2),
        ("12365", "ZJ1", "closed", 1),
        ("12365", "ZJ2", "in_progress", 1),
    ]
    # the replaced rows stay in staging as history: 4 + 4 + 2 + 4 + 4 + 2 + 2
    assert built.query(f"select count(*) from {STAGED}") == [(22,)]
    assert built.query(f"select status from {STAGED} where ticket_no = 'GS4'") == [("rejected",)]
    numbers = built.query(
        "select hotline_code, ticket_no from intermediate.int_complaints__current"
    )
    assert set(numbers) == {(t.hotline, t.number) for t in CURRENT_TICKETS}


def test_every_export_layout_is_typed_and_coded(built: FeedWarehouse) -> None:
    rows = {
        r["ticket_no"]: r
        for r in built.records("select * from intermediate.int_complaints__current")
    }
    gs5, zj1, sw1, sy3, h1 = (rows[n] for n in ("GS5", "ZJ1", "SW1", "SY3", "H1"))
    assert (gs5["county_code"], gs5["county_code_original"]) == ("131081", "霸州")
    assert (gs5["status"], gs5["outcome"], gs5["closed_at"]) == (
        "withdrawn",
        "withdrawn",
        dt.datetime(2015, 4, 10, 9),
    )
    assert zj1["ticket_received_at"] == dt.datetime(2015, 3, 5, 9, 5)
    assert (zj1["hotline_code"], zj1["hotline_code_original"]) == ("12365", "质监12365")
    assert (zj1["ticket_type"], zj1["domain"], zj1["outcome"]) == (
        "complaint",
        "special_equipment",
        "mediated",
    )
    assert sw1["closed_at"] == dt.datetime(2016, 1, 20, 15)
    assert (sw1["domain"], sw1["outcome"], sw1["outcome_note"]) == ("commerce", None, "已责令整改")
    assert sw1["hotline_code_original"] == "12312"  # the export has no column: from the folder
    assert (sy3["status"], sy3["status_original"], sy3["due_on"]) == (
        "in_progress",
        "延期办理",
        dt.date(2016, 2, 2),
    )
    assert (rows["SY2"]["ticket_type"], rows["SY2"]["is_closed"]) == ("inquiry", True)
    assert (h1["hotline_code"], h1["county_code"], h1["status"], h1["domain"]) == (
        "12345",
        "LFKFQ",
        "closed",
        "price",
    )
    assert rows["SY4"]["handling_days"] == 76
    assert h1["received_at"] == dt.datetime(2016, 3, 5, 10, 30)  # the export's receipt


def test_closure_rate_equals_an_independent_calculation(built: FeedWarehouse) -> None:
    values = {
        (r[0], r[2]): (r[3], r[4], r[5], r[6])
        for r in built.query(
            "select kpi_year, scope_type, scope_code, numerator, denominator, actual_value, "
            f"source_rows from intermediate.int_kpi__complaints where kpi_code = '{KPI}'"
        )
    }
    expected = closure_rate(CURRENT_TICKETS, AS_OF)
    counties = [c["county_code"] for c in load_seed("ref_counties")]
    # every county has a row in each year; without due tickets its value is empty
    assert set(values) == {(y, s) for y in (2015, 2016) for s in (CITY, *counties)}
    for key, (numerator, denominator, actual, source_rows) in values.items():
        closed, due = expected.get(key, (0, 0))
        assert (numerator, denominator, source_rows) == (closed, due, due), key
        assert actual == (None if due == 0 else round(100 * closed / due, 4)), key
    # the readings, spelled out: 2015 has GS1 GS2 GS3 GS5 ZJ1 ZJ2 (GS4 was merged away);
    # 2016 has the November tickets but the inquiry SY2, and SW1, H1 (SW2, H2 not yet due)
    assert values[(2015, CITY)][:3] == (4, 6, round(400 / 6, 4))
    assert values[(2016, CITY)][:3] == (4, 5, 80.0)
    assert values[(2016, "131081")][:3] == (1, 2, 50.0)  # SY3 extended, overdue; SY4 late
    assert values[(2016, "131028")][:3] == (0, 0, None)  # H2 is not due by the data date


def test_lineage_lists_the_ticket_rows_of_a_value(built: FeedWarehouse) -> None:
    """The 2015 city value counts GS1 GS2 GS3 GS5 of the re-export b.xlsx (a title row and a
    two-row header: data from row 4; GS4 merged away) and ZJ1 ZJ2 of c.csv (data from row 2);
    never the replaced export a.xlsx."""
    rows = built.query(
        "select files.source_file, lineage.source_row "
        "from intermediate.int_kpi_lineage__complaints as lineage "
        "inner join raw.ingested_files as files "
        "on files.feed = lineage.feed and files.sha256 = lineage.source_sha256 "
        f"where lineage.kpi_code = '{KPI}' and lineage.kpi_year = 2015 "
        f"and lineage.scope_type = 'city' and lineage.scope_code = '{CITY}'"
    )
    assert sorted((Path(name).name, row) for name, row in rows) == [
        ("b.xlsx", 4),
        ("b.xlsx", 5),
        ("b.xlsx", 6),
        ("b.xlsx", 7),
        ("c.csv", 2),
        ("c.csv", 3),
    ]


# ------------------------------------------------------------------ GX


def test_the_suite_passes_on_the_staged_table_and_on_an_empty_one(built: FeedWarehouse) -> None:
    outcome = validate_duckdb_table(built.warehouse, STAGED, SUITE)
    assert outcome.success, [o for o in outcome.outcomes if not o.success]
    assert outcome.row_count == 22
    empty = read_duckdb_table(built.warehouse, STAGED).iloc[0:0]
    assert validate_dataframe(empty, SUITE).success


def test_the_suite_fails_naming_the_bad_rows(built: FeedWarehouse) -> None:
    frame = read_duckdb_table(built.warehouse, STAGED)
    where = {n: frame.index[frame["ticket_no"] == n][0] for n in ("SW1", "ZJ1", "H1")}
    frame.loc[where["SW1"], "closed_at"] = None  # 办结 without 办结时间
    frame.loc[where["ZJ1"], "closed_at"] = dt.datetime(2015, 3, 1)  # before 登记时间
    frame.loc[where["H1"], "status"] = "pending"
    outcome = validate_dataframe(frame, SUITE)
    failed = {(o.expectation_type, o.column): o for o in outcome.failed_outcomes}
    in_set = "expect_column_values_to_be_in_set"
    no_time = failed[("expect_column_values_to_not_be_null", "closed_at where status == 'closed'")]
    assert no_time.meta["rule"] == "closed_needs_time"  # compiled from the contract's rule
    assert no_time.sample_unexpected == ["source_file=complaints/12312/2016-01/f.csv, source_row=2"]
    before = failed[
        ("expect_column_pair_values_a_to_be_greater_than_b", "closed_at, ticket_received_at")
    ]
    assert before.unexpected_count == 1
    assert failed[(in_set, "status")].sample_unexpected == ["pending"]
    assert len(failed) == 3, sorted(failed)


# ------------------------------------------------------------------ the contract, loader only

V_HEADER = ["登记编号", "热线", "接收时间", "投诉举报类型", "涉及品种", "所在地", "办理期限"]
V_HEADER += ["办理状态", "结案方式", "办结时间"]
GOOD = ["V1", "12331", "2015-06-02 10:00", "投诉", "食品", "固安县", "2015-08-01", "已办结"]
GOOD += ["调解成功", "2015-06-09 10:00"]


def _with(**changes: str) -> list[str]:
    row = list(GOOD)
    for label, value in changes.items():
        row[V_HEADER.index(label)] = value
    return row


ALLOWED = "' (allowed: "
VIOLATIONS = [  # row 3 onwards; each row breaks the contract once
    (_with(登记编号="V2", 所在地="北京市朝阳区"), "F3: 县区: unknown county '北京市朝阳区'"),
    (_with(登记编号="V3", 涉及品种="房产"), "E4: 涉及领域: unknown 涉及领域 '房产" + ALLOWED),
    (_with(登记编号="V4", 办理状态="待审核"), "H5: 办理状态: unknown 办理状态 '待审核" + ALLOWED),
    (
        _with(登记编号="V5", 接收时间="2015-06-31 10:00"),
        "C6: 登记时间: '2015-06-31 10:00' is not a date and time",
    ),
    (
        _with(登记编号="V6", 接收时间="2015-05-20 10:00"),
        "C7: 登记时间 2015-05-20 is outside the delivery period 2015-06 of its folder",
    ),
    (_with(登记编号="V7", 办结时间=""), "J8: 办理状态为已办结但未填写办结时间"),
    (_with(登记编号="V8", 办结时间="2015-06-01 09:00"), "J9: 办结时间早于登记时间"),
    (_with(登记编号="V9", 办理期限="2015-05-30"), "G10: 办理期限早于登记日期"),
    (_with(登记编号=""), "A11: 工单编号 is empty"),
    (_with(登记编号="V10", 热线="12358"), "B12: 受理平台: unknown hotline '12358'"),
    (
        _with(登记编号="V11", 热线="12315"),
        "B13: 受理平台 '12315' does not match the delivery folder '12331'",
    ),
    (
        _with(登记编号="V12", 办理状态="已撤销", 结案方式="撤诉", 办结时间=""),
        "J14: 办理状态为已撤销但未填写办结（撤销）时间",
    ),
    (
        _with(登记编号="V13", 结案方式="部分解决"),
        "I15: 办结方式: unknown 办结方式 '部分解决" + ALLOWED,
    ),
    (_with(登记编号="V14", 投诉举报类型="表扬"), "D16: 诉求类型: unknown 诉求类型 '表扬" + ALLOWED),
    (_with(接收时间="2015-06-03 10:00"), "row 17: duplicate 受理平台/工单编号"),
    (
        _with(登记编号="V15", 接收时间="2015/6/3 25:10"),
        "C18: 登记时间: '2015/6/3 25:10' is not a valid time of day",
    ),
]


def test_every_violation_is_quarantined_naming_the_cell(tmp_path: Path) -> None:
    wh = FeedWarehouse(tmp_path)
    rows = [GOOD] + [row for row, _ in VIOLATIONS]
    bom = {"encoding": "utf-8-sig"}
    _deliver(wh, "12331/2015-06", "v.csv", V_HEADER, rows, _on(2015, 7, 5), **bom)
    # the same ticket in another slot is a duplicate delivery, not a re-export
    july = [_with(接收时间="2015-07-02 10:00", 办理期限="2015-08-31", 办结时间="2015-07-09 10:00")]
    _deliver(wh, "12331/2015-07", "w.csv", V_HEADER, july, _on(2015, 8, 5), **bom)
    reports = wh.ingest(FEED)
    assert [(r.rows_read, r.rows_loaded, r.rows_quarantined) for r in reports] == [
        (len(rows), 1, len(VIOLATIONS)),
        (1, 0, 1),
    ]
    reasons = wh.query("select reason from raw.quarantine order by source_file, source_row")
    assert len(reasons) == len(VIOLATIONS) + 1
    for (reason,), (_, expected) in zip(reasons, VIOLATIONS, strict=False):
        assert reason.startswith(expected), reason
        assert ";" not in reason, reason  # exactly one problem each
    assert reasons[14][0].endswith("(first at row 2)")
    assert reasons[-1][0] == (
        "duplicate 受理平台/工单编号 12331/V1: already loaded from "
        "complaints/12331/2015-06/v.csv row 2"
    )
    files = wh.query("select rows_read, rows_loaded, rows_quarantined from raw.ingested_files")
    assert all(read == loaded + quarantined for read, loaded, quarantined in files)


# One delivery written by five exporters, each with its own headers and spellings.
FORMAT_TICKETS = [
    ("GS10", _on(2015, 3, 7, 14, 22), "投诉", "商品质量", "固安县", "已办结", "调解成功"),
    ("GS11", _on(2015, 3, 15, 9, 0), "举报", "价格", "三河市", "办理中", None),
    ("GS12", _on(2015, 3, 28, 23, 59), "投诉", "计量", "廊坊开发区", "不予受理", "告知"),
]
FORMAT_CLOSED = [_on(2015, 3, 19, 8, 5), None, _on(2015, 3, 30, 10, 0)]
ONE_ROW_HEADERS = {
    "utf-8": ["工单编号", "登记时间", "诉求类型", "涉及领域", "县区", "办理状态", "办结方式"],
    "utf-8-sig": ["工单号", "受理时间", "类别", "问题类别", "所在县区", "处理状态", "处理结果"],
    "gb18030": ["编号", "投诉时间", "工单类型", "业务类别", "区县", "工单状态", "结案方式"],
}
CLOSED_HEADERS = {"utf-8": "办结时间", "utf-8-sig": "结案时间", "gb18030": "处理完成时间"}
SPELLINGS = {
    "utf-8": lambda m: m.strftime("%Y-%m-%d %H:%M"),
    "utf-8-sig": lambda m: f"{m.year}/{m.month}/{m.day} {m.hour}:{m.minute:02d}",
    "gb18030": lambda m: f"{m.year}年{m.month}月{m.day}日{m.hour}时{m.minute}分",
    "xlsx": lambda m: m,  # datetime cells
}
TWO_ROW_HEADER = ["工单编号", "登记时间", "诉求类型", "涉及领域", ("被诉方", "所在县区")]
TWO_ROW_HEADER += [("办理情况", "办理状态"), ("办理情况", "办结方式"), ("办理情况", "办结时间")]


def _format_rows(spelling: str) -> list[list[Any]]:
    spell = SPELLINGS[spelling]
    return [
        [t[0], spell(t[1]), *t[2:], spell(closed) if closed else None]
        for t, closed in zip(FORMAT_TICKETS, FORMAT_CLOSED, strict=True)
    ]


def _loaded(wh: FeedWarehouse) -> list[tuple]:
    assert [r.rows_loaded for r in wh.ingest(FEED)] == [3]
    return wh.query(
        "select ticket_no, hotline_code, received_at, ticket_type, domain, county_code, status, "
        "outcome, closed_at from raw.complaints order by ticket_no"
    )


def test_every_encoding_and_header_layout_loads_the_same_rows(tmp_path: Path) -> None:
    loaded = {}
    received = _on(2015, 4, 5)
    for encoding, header in ONE_ROW_HEADERS.items():
        wh = FeedWarehouse(tmp_path / encoding)
        rows = _format_rows(encoding)
        header = [*header, CLOSED_HEADERS[encoding]]
        _deliver(wh, "12315/2015-03", "x.csv", header, rows, received, encoding=encoding)
        loaded[encoding] = _loaded(wh)
    for name, spelling in (("x.xlsx", "xlsx"), ("x.csv", "utf-8-sig")):  # two header rows
        wh = FeedWarehouse(tmp_path / f"two-rows-{name}")
        rows = _format_rows(spelling)
        options = {"encoding": "utf-8-sig", "title": "工单明细"}
        _deliver(wh, "12315/2015-03", name, TWO_ROW_HEADER, rows, received, **options)
        loaded[f"two rows {name}"] = _loaded(wh)
    expected = [
        (
            "GS10",
            "12315",
            dt.datetime(2015, 3, 7, 14, 22),
            "complaint",
            "product_quality",
            "131022",
            "closed",
            "mediated",
            dt.datetime(2015, 3, 19, 8, 5),
        ),
        (
            "GS11",
            "12315",
            dt.datetime(2015, 3, 15, 9),
            "report",
            "price",
            "131082",
            "in_progress",
            None,
            None,
        ),
        (
            "GS12",
            "12315",
            dt.datetime(2015, 3, 28, 23, 59),
            "complaint",
            "metrology",
            "LFKFQ",
            "rejected",
            "informed",
            dt.datetime(2015, 3, 30, 10),
        ),
    ]
    assert loaded == dict.fromkeys(loaded, expected)


def test_a_folder_may_name_the_hotline_by_an_alias(tmp_path: Path) -> None:
    wh = FeedWarehouse(tmp_path)
    rows = [["ZJ9", "2015/3/5 9:05", "申诉", "计量", "香河", "处理中"]]
    header = ["投诉举报编号", "受理时间", "类别", "问题类别", "所在县区", "处理状态"]
    wh.deliver(FEED, "质监12365/2015-03", "y.csv", header, rows, encoding="gb18030")
    assert [r.rows_loaded for r in wh.ingest(FEED)] == [1]
    assert wh.query("select hotline_code, hotline_code_original from raw.complaints") == [
        ("12365", "质监12365")
    ]


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2015年3月7日 14时22分", dt.datetime(2015, 3, 7, 14, 22)),
        ("2015年3月7日14时22分05秒", dt.datetime(2015, 3, 7, 14, 22, 5)),
        ("2015年3月7日 9点5分", dt.datetime(2015, 3, 7, 9, 5)),
        ("2015/3/7 14:22", dt.datetime(2015, 3, 7, 14, 22)),
        ("2015年3月7日", dt.datetime(2015, 3, 7)),
    ],
)
def test_chinese_moments_are_read(text: str, moment: dt.datetime) -> None:
    assert parse_datetime(text) == (moment, None)


@pytest.mark.parametrize(
    "text", ["2015年3月7日 24时00分", "2015年3月7日 14时", "2015年3月7日 9时61分"]
)
def test_impossible_chinese_moments_are_refused(text: str) -> None:
    value, problem = parse_datetime(text)
    assert value is None and problem is not None and text in problem


# ------------------------------------------------------------------ the generator


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.*"))}


def test_the_generator_is_deterministic_and_a_year_stands_alone(tmp_path: Path) -> None:
    one = generate_complaints(tmp_path / "a", [2016], scale=0.1, error_rate=0.05)
    again = generate_complaints(tmp_path / "b", [2016], scale=0.1, error_rate=0.05)
    both = generate_complaints(tmp_path / "c", [2015, 2016], scale=0.1, error_rate=0.05)
    first = _files(tmp_path / "a")
    assert first == _files(tmp_path / "b") and one.injected_errors == again.injected_errors
    assert {k: v for k, v in _files(tmp_path / "c").items() if "/2016-" in k} == first
    assert len(both.files) > len(one.files)
    assert sum(one.injected_errors.values()) > 0


@pytest.fixture(scope="module")
def clean_2015(tmp_path_factory: pytest.TempPathFactory):
    """2015 generated without mistakes at scale 0.1, once for the tests that only read it."""
    return generate_complaints(
        tmp_path_factory.mktemp("complaints-clean"), [2015], scale=0.1, error_rate=0
    )


def test_exports_are_stamped_with_their_delivery_times(clean_2015) -> None:
    summary = clean_2015
    exports: dict[tuple[str, str], list[int]] = defaultdict(list)
    corrections = 0
    for path in summary.files:
        stamp = dt.datetime.fromtimestamp(path.stat().st_mtime, LOCAL_TIME)
        hotline, period = path.parent.parent.name, path.parent.name
        assert stamp.day in (5, 8) and 9 <= stamp.hour <= 10, path
        assert ("_更正" in path.name) == (stamp.day == 8), path
        year, month = map(int, period.split("-"))
        after = (stamp.year - year) * 12 + stamp.month - month
        if stamp.day == 8:
            corrections += 1
            assert after == 1, path  # a few days after the first export
        else:
            exports[(hotline, period)].append(after)
    for (hotline, period), months in exports.items():
        # until the deadline of the month's last ticket has passed: 60 days, 12345 21 days
        expected = [1, 2] if hotline == "12345" else [1, 2, 3]
        assert sorted(months) == expected, (hotline, period)
    assert corrections == summary.other_counts["corrections"] == 1
    assert summary.other_counts["first_exports"] == len(exports)


def test_volumes_scale_and_every_row_loads_without_errors(clean_2015, tmp_path: Path) -> None:
    wh = FeedWarehouse(tmp_path / "small")
    small = generate_complaints(wh.raw_dir, [2015], scale=0.05, error_rate=0)
    large = clean_2015
    assert 1.8 < large.total_rows / small.total_rows < 2.2
    assert sum(small.injected_errors.values()) == 0
    reports = wh.ingest(FEED)
    assert sum(r.rows_quarantined for r in reports) == 0
    assert sum(r.rows_read for r in reports) == sum(r.rows_loaded for r in reports) > 0


# ------------------------------------------------------------------ the shared pipeline


def _cells(path: Path) -> list[list[Any]]:
    if path.suffix == ".xlsx":
        with path.open("rb") as handle:
            sheet = load_workbook(handle, read_only=True).worksheets[0]
            return [list(r) for r in sheet.iter_rows(values_only=True)]
    data = path.read_bytes()
    text = data.decode("gb18030") if not _is_utf8(data) else data.decode("utf-8-sig")
    return [list(r) for r in csv.reader(io.StringIO(text, newline=""))]


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


NUMBER_HEADERS = {"工单编号", "投诉举报编号", "编号", "登记编号", "工单号"}


def _read_export(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """Rows of a generated export with their row numbers, read without the project's readers:
    the header is the row holding a ticket-number header; a row under it whose first cell is
    blank is a second header row (12315), read as top/sub."""
    rows = _cells(path)
    index = next(i for i, r in enumerate(rows) if NUMBER_HEADERS & {str(v) for v in r})
    header = [str(h or "") for h in rows[index]]
    start = index + 1
    if start < len(rows) and rows[start][0] in (None, ""):
        top = ""
        for i, sub in enumerate(rows[start]):
            top = header[i] or top
            header[i] = f"{top}/{sub}" if sub else header[i]
        start += 1
    return [(start + 1 + i, dict(zip(header, r, strict=False))) for i, r in enumerate(rows[start:])]


FIELDS = {  # per hotline: number, registered, county, status, type, deadline headers
    "12315": ("工单编号", "登记时间", "被诉方/所在县区", "办理情况/办理状态", "诉求类型", None),
    "12365": ("投诉举报编号", "受理时间", "所在县区", "处理状态", "类别", None),
    "12312": ("编号", "举报时间", "区县", "状态", "举报类型", None),
    "12331": ("登记编号", "接收时间", "所在地", "办理状态", "投诉举报类型", "办理期限"),
    "12345": ("工单号", "来电时间", "所属区域", "工单状态", "工单类型", None),
}


def _day(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    match = re.match(r"(\d{4})\D(\d{1,2})\D(\d{1,2})", str(value))
    assert match, value
    return dt.date(*(int(part) for part in match.groups()))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _query(pipeline: Pipeline, sql: str, params: Sequence[object] = ()) -> list[tuple]:
    with duckdb.connect(str(pipeline.warehouse), read_only=True) as conn:
        return conn.execute(sql, list(params)).fetchall()


QUARANTINE_PATTERNS = {
    "unknown_county": "unknown county",
    "unknown_domain": "unknown 涉及领域",
    "unknown_status": "unknown 办理状态",
    "bad_datetime": "登记时间: '",
    "outside_period": "outside the delivery period",
    "closed_without_time": "已办结但未填写办结时间",
    "closed_before_received": "办结时间早于登记时间",
    "missing_ticket_no": "工单编号 is empty",
    "unknown_hotline": "unknown hotline",
    "due_before_received": "办理期限早于登记日期",
}


def test_pipeline_files_reconcile_and_every_mistake_is_quarantined(pipeline: Pipeline) -> None:
    summary = pipeline.feeds[FEED]
    counts = {
        sha: (read, loaded, quarantined)
        for sha, read, loaded, quarantined in _query(
            pipeline,
            "select sha256, rows_read, rows_loaded, rows_quarantined from raw.ingested_files "
            "where feed = ?",
            [FEED],
        )
    }
    # every export is stamped, so none is skipped as identical to an earlier one
    assert len(counts) == len({_sha(path) for path in summary.files}) == len(summary.files)
    for path in summary.files:
        read, loaded, quarantined = counts[_sha(path)]
        assert read == len(_read_export(path)) == summary.rows_per_file[path], path
        assert read == loaded + quarantined, path
    reasons = [
        r[0] for r in _query(pipeline, "select reason from raw.quarantine where feed = ?", [FEED])
    ]
    found = Counter(
        kind for reason in reasons for kind, text in QUARANTINE_PATTERNS.items() if text in reason
    )
    assert sum(summary.injected_errors.values()) > 0
    assert dict(found) == {k: n for k, n in summary.injected_errors.items() if n}
    assert len(reasons) == sum(found.values())  # one pattern each: exactly one violation a row
    assert all(re.match(r"^[A-Z]+\d+: ", reason) for reason in reasons)
    evaluations = {e.check_name: e for e in pipeline.result.get_asset_check_evaluations()}
    assert evaluations["gx_stg_raw__complaints"].passed
    assert evaluations["gx_stg_raw__complaints"].metadata["rows_validated"].value > 0


def _current_tickets(pipeline: Pipeline) -> tuple[list[Ticket], dt.date]:
    """The tickets of each slot's latest export (minus quarantined rows), read from the files,
    and the data date: the newest receipt of a current export."""
    quarantined = set(
        _query(
            pipeline, "select source_sha256, source_row from raw.quarantine where feed = ?", [FEED]
        )
    )
    slots: dict[Path, list[Path]] = defaultdict(list)
    for path in pipeline.feeds[FEED].files:
        slots[path.parent].append(path)
    tickets, receipts = [], []
    for folder, paths in slots.items():
        hotline = folder.parent.name
        current = max(paths, key=lambda p: p.stat().st_mtime)
        sha = _sha(current)
        receipts.append(current.stat().st_mtime)
        number, registered, county, status, kind, due = FIELDS[hotline]
        for row_number, row in _read_export(current):
            if (sha, row_number) in quarantined:
                continue
            tickets.append(
                Ticket(
                    hotline,
                    str(row[number]),
                    dt.datetime.combine(_day(row[registered]), dt.time()),
                    COUNTY_BY_NAME[row[county]],
                    closed=row[status] in CLOSED_WORDS,
                    rejected=row[status] in REJECTED_WORDS,
                    inquiry=row[kind] == "咨询",
                    due=_day(row[due]) if due else None,
                )
            )
    return tickets, dt.datetime.fromtimestamp(max(receipts), LOCAL_TIME).date()


def test_pipeline_closure_rate_equals_an_independent_calculation(pipeline: Pipeline) -> None:
    tickets, as_of = _current_tickets(pipeline)
    expected = closure_rate(tickets, as_of)
    rows = _query(
        pipeline,
        "select kpi_year, scope_code, numerator, denominator, actual_value, status "
        "from marts.fct_kpi_values where kpi_code = ?",
        [KPI],
    )
    assert {(r[0], r[1]) for r in rows if r[3] > 0} == set(expected)
    for year, scope, numerator, denominator, actual, status in rows:
        closed, due = expected.get((year, scope), (0, 0))
        assert (numerator, denominator) == (closed, due), (year, scope)
        if due:
            assert abs(actual - 100 * closed / due) < 1e-3, (year, scope)
            assert status == ("met" if closed == due else "not_met"), (year, scope)
    city = _query(
        pipeline,
        "select assessment_year, actual_value from marts.fct_city_targets where kpi_code = ?",
        [KPI],
    )
    assert dict(city) == {
        y: round(100 * c / d, 4) for (y, scope), (c, d) in expected.items() if scope == CITY
    }
    # the last exports show nearly all tickets closed; a few stay open past their deadline
    assert all(95 < value < 100 for _, value in city)
