"""How each hotline's system exports its tickets (sample complaints feed): file format, header
names, how it spells a moment, a status, a domain, a county and a result. Every spelling here is
one the contract (orchestration/feeds/complaints.yaml) accepts; the generator in complaints.py
decides what happens to a ticket, this module only writes it down."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sample_data.common import enterprise_prefix, write_csv
from sample_data.excel_layouts import HeaderCell, write_table_xlsx

Moment = Callable[[dt.datetime], Any]


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _slash(moment: dt.datetime) -> str:
    return f"{moment.year}/{moment.month}/{moment.day} {moment.hour}:{moment.minute:02d}"


def _chinese(moment: dt.datetime) -> str:
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment.hour}时{moment.minute:02d}分"


def _cell(moment: dt.datetime) -> dt.datetime:
    return moment  # an Excel datetime cell


@dataclass(frozen=True)
class Layout:
    """One hotline system's export."""

    hotline: str
    extension: str  # csv | xlsx
    encoding: str | None  # CSV encoding
    # contract column and its header; _no is the row number, _exported the export time (no
    # contract column: it keeps every export distinct, as the systems stamp their exports)
    columns: tuple[tuple[str, HeaderCell], ...]
    stem: str  # file name; {year} {month} {export} are filled in
    title: str | None  # xlsx title row; same fields
    moment: Moment
    hotline_value: object | None  # what the 受理平台 column holds, when the export has one
    statuses: Mapping[str, str]
    types: Mapping[str, str]
    domains: Mapping[str, tuple[str, ...]]  # a ticket keeps one spelling for all exports
    outcomes: Mapping[str, str] | None  # None: the result is free text only
    county_style: str  # full | short | prefixed | mixed
    rejected_closed_at: bool  # the 办结时间 of a 不予受理 ticket is exported (the 告知 time)

    def has(self, column: str) -> bool:
        return any(name == column for name, _ in self.columns)

    def file_name(self, year: int, month: int, export: dt.datetime, corrected: bool) -> str:
        stem = self.stem.format(year=year, month=month, export=export)
        return f"{stem}{'_更正' if corrected else ''}.{self.extension}"


_DOMAINS_12315 = {
    "product_quality": ("商品质量",),
    "service": ("服务",),
    "food": ("食品",),
    "price": ("价格",),
    "metrology": ("计量",),
    "other": ("其他",),
}
_DOMAINS_12345 = {
    "product_quality": ("市场监管-产品质量",),
    "food": ("市场监管-食品安全",),
    "price": ("市场监管-价格收费",),
    "special_equipment": ("市场监管-特种设备",),
    "service": ("市场监管-服务质量",),
    "metrology": ("市场监管-计量",),
}

LAYOUTS: dict[str, Layout] = {
    # 12315: the workbook of the 12315 指挥中心 system, a title row and a two-row header
    "12315": Layout(
        hotline="12315",
        extension="xlsx",
        encoding=None,
        columns=(
            ("_no", ("序号", None)),
            ("ticket_no", ("工单编号", None)),
            ("received_at", ("登记时间", None)),
            ("ticket_type", ("诉求类型", None)),
            ("channel", ("来源方式", None)),
            ("domain", ("涉及领域", None)),
            ("respondent", ("被诉方", "名称")),
            ("county_code", ("被诉方", "所在县区")),
            ("summary", ("诉求内容", None)),
            ("handling_unit", ("办理情况", "承办单位")),
            ("status", ("办理情况", "办理状态")),
            ("outcome", ("办理情况", "办结方式")),
            ("closed_at", ("办理情况", "办结时间")),
        ),
        stem="12315工单明细_{year}{month:02d}_导出{export:%Y%m%d}",
        title="廊坊市12315消费者申诉举报工单明细（{year}年{month}月登记，{export:%Y年%m月%d日}导出）",
        moment=_cell,
        hotline_value=None,
        statuses={
            "accepted": "已受理",
            "in_progress": "办理中",
            "closed": "已办结",
            "rejected": "不予受理",
            "withdrawn": "已撤销",
        },
        types={"complaint": "投诉", "report": "举报"},
        domains=_DOMAINS_12315,
        outcomes={
            "mediated": "调解成功",
            "mediation_failed": "调解不成",
            "case_filed": "立案查处",
            "rectified": "责令整改",
            "not_established": "查无实据",
            "transferred": "移送",
            "informed": "告知",
            "withdrawn": "撤诉",
        },
        county_style="full",
        rejected_closed_at=True,
    ),
    # 12365: the 质监 system's old ledger, CSV in GB18030, moments as 2015/3/7 14:22
    "12365": Layout(
        hotline="12365",
        extension="csv",
        encoding="gb18030",
        columns=(
            ("_no", ("序号", None)),
            ("ticket_no", ("投诉举报编号", None)),
            ("hotline_code", ("受理渠道", None)),
            ("received_at", ("受理时间", None)),
            ("ticket_type", ("类别", None)),
            ("domain", ("问题类别", None)),
            ("county_code", ("所在县区", None)),
            ("respondent", ("被投诉单位", None)),
            ("handling_unit", ("处理单位", None)),
            ("status", ("处理状态", None)),
            ("outcome", ("处理结果", None)),
            ("closed_at", ("结案时间", None)),
            ("_exported", ("导出时间", None)),
        ),
        stem="12365投诉举报台账_{year}年{month}月_{export:%Y%m%d}",
        title=None,
        moment=_slash,
        hotline_value="质监12365",
        statuses={
            "accepted": "待处理",
            "in_progress": "处理中",
            "closed": "已结案",
            "rejected": "不受理",
            "withdrawn": "撤诉",
        },
        types={"complaint": "申诉", "report": "举报"},
        domains={
            "product_quality": ("产品质量",),
            "special_equipment": ("特种设备",),
            "metrology": ("计量",),
            "standards": ("标准与认证",),
        },
        outcomes={
            "mediated": "达成调解协议",
            "mediation_failed": "终止调解",
            "case_filed": "立案调查",
            "rectified": "责令改正",
            "not_established": "经查不属实",
            "transferred": "移交有关部门",
            "informed": "书面答复",
            "withdrawn": "撤回",
        },
        county_style="short",
        rejected_closed_at=False,
    ),
    # 12312: the 商务 system's CSV in UTF-8 without BOM, moments as 2015年3月7日 14时22分,
    # the result as free text only
    "12312": Layout(
        hotline="12312",
        extension="csv",
        encoding="utf-8",
        columns=(
            ("ticket_no", ("编号", None)),
            ("received_at", ("举报时间", None)),
            ("ticket_type", ("举报类型", None)),
            ("domain", ("涉及行业", None)),
            ("county_code", ("区县", None)),
            ("respondent", ("被举报对象", None)),
            ("summary", ("主要内容", None)),
            ("handling_unit", ("承办单位", None)),
            ("status", ("状态", None)),
            ("outcome_note", ("办理结果", None)),
            ("closed_at", ("办结日期", None)),
            ("_exported", ("导出时间", None)),
        ),
        stem="12312举报投诉登记_{year}-{month:02d}_{export:%Y-%m-%d}",
        title=None,
        moment=_chinese,
        hotline_value=None,
        statuses={
            "accepted": "已登记",
            "in_progress": "正在办理",
            "closed": "办结",
            "rejected": "不予受理",
            "withdrawn": "撤回",
        },
        types={"complaint": "投诉", "report": "举报"},
        domains={
            "commerce": ("成品油", "酒类流通", "单用途预付卡", "报废汽车回收"),
            "product_quality": ("商品质量",),
            "service": ("售后服务",),
        },
        outcomes=None,
        county_style="prefixed",
        rejected_closed_at=False,
    ),
    # 12331: the 食药 complaint system's CSV in UTF-8 with BOM, with the 办理期限 it tracks
    # (approved extensions included)
    "12331": Layout(
        hotline="12331",
        extension="csv",
        encoding="utf-8-sig",
        columns=(
            ("ticket_no", ("登记编号", None)),
            ("hotline_code", ("热线", None)),
            ("received_at", ("接收时间", None)),
            ("ticket_type", ("投诉举报类型", None)),
            ("channel", ("来源渠道", None)),
            ("domain", ("涉及品种", None)),
            ("county_code", ("所在地", None)),
            ("respondent", ("被投诉举报对象", None)),
            ("summary", ("问题描述", None)),
            ("handling_unit", ("承办部门", None)),
            ("due_on", ("办理期限", None)),
            ("status", ("办理状态", None)),
            ("outcome", ("结案方式", None)),
            ("closed_at", ("办结时间", None)),
            ("_exported", ("导出时间", None)),
        ),
        stem="12331投诉举报工单_{year}{month:02d}_{export:%Y%m%d}",
        title=None,
        moment=_iso,
        hotline_value="12331",
        statuses={
            "accepted": "已受理",
            "in_progress": "办理中",
            "extended": "延期办理",
            "closed": "已办结",
            "rejected": "不予受理",
            "withdrawn": "已撤销",
        },
        types={"complaint": "投诉", "report": "举报", "inquiry": "咨询"},
        domains={
            "food": ("食品", "保健食品", "餐饮服务"),
            "drug": ("药品", "医疗器械", "化妆品"),
        },
        outcomes={
            "mediated": "调解成功",
            "mediation_failed": "调解未成",
            "case_filed": "立案查处",
            "rectified": "责令整改",
            "not_established": "查无实据",
            "transferred": "转办",
            "informed": "告知",
            "withdrawn": "撤诉",
        },
        county_style="full",
        rejected_closed_at=True,
    ),
    # 12345: the mayor's hotline forwards quality tickets; its workbook has a title row,
    # moments as text, the hotline as a number and the result as free text
    "12345": Layout(
        hotline="12345",
        extension="xlsx",
        encoding=None,
        columns=(
            ("ticket_no", ("工单号", None)),
            ("hotline_code", ("来源热线", None)),
            ("received_at", ("来电时间", None)),
            ("ticket_type", ("工单类型", None)),
            ("domain", ("诉求领域", None)),
            ("county_code", ("所属区域", None)),
            ("summary", ("诉求内容", None)),
            ("respondent", ("涉事企业", None)),
            ("handling_unit", ("承办单位", None)),
            ("status", ("工单状态", None)),
            ("outcome_note", ("办理结果", None)),
            ("closed_at", ("办结时间", None)),
        ),
        stem="12345质量类转办工单_{year}年{month}月_{export:%Y%m%d}",
        title="市长公开电话转办质量类工单（{year}年{month}月，截至{export:%Y年%m月%d日}）",
        moment=_iso,
        hotline_value=12345,
        statuses={
            "accepted": "待办理",
            "in_progress": "已转办",
            "closed": "已办结",
            "followed_up": "已回访",
            "rejected": "无效工单",
            "withdrawn": "撤销",
        },
        types={"complaint": "投诉", "report": "举报", "inquiry": "咨询"},
        domains=_DOMAINS_12345,
        outcomes=None,
        county_style="mixed",
        rejected_closed_at=False,
    ),
}

# Free-text results (办理结果) of systems that export no 办结方式 code.
OUTCOME_NOTES = {
    "mediated": "经调解，双方达成一致，经营者同意退货退款",
    "mediation_failed": "双方分歧较大，调解不成，已告知诉求人可依法向人民法院起诉",
    "case_filed": "经现场检查，当事人涉嫌违法，已立案调查",
    "rectified": "经核查情况属实，已责令当事人限期整改",
    "not_established": "经现场核查，未发现所反映问题",
    "transferred": "不属本部门职责，已移送有关部门处理并告知诉求人",
    "informed": "已电话答复诉求人相关规定",
    "withdrawn": "诉求人主动撤回诉求",
    "rejected": "不属于受理范围，已告知诉求人",
}
CHANNELS = {"phone": "电话", "web": "网络", "letter": "来信", "visit": "来访"}
# the department of a county that handles a hotline's tickets (12345: by domain)
DEPARTMENTS = {"12315": "工商局", "12365": "质监局", "12312": "商务局", "12331": "食药监局"}
DEPARTMENT_BY_DOMAIN = {
    "food": "食药监局",
    "drug": "食药监局",
    "product_quality": "质监局",
    "special_equipment": "质监局",
    "metrology": "质监局",
    "price": "物价局",
    "service": "工商局",
}


def county_spelling(layout: Layout, county: Mapping[str, str], coin: float) -> str:
    """How the system writes a county; `coin` (0–1) picks a style where the system mixes."""
    style = layout.county_style
    if style == "mixed":
        style = "short" if coin < 0.5 else "full"
    if style == "short":
        return county["short_name"]
    if style == "prefixed":
        return enterprise_prefix(county)
    return county["county_name"]


def handling_unit(hotline: str, domain: str, county: Mapping[str, str]) -> str:
    department = DEPARTMENTS.get(hotline) or DEPARTMENT_BY_DOMAIN.get(domain, "工商局")
    return enterprise_prefix(county) + department


def write_export(
    path: Path, layout: Layout, title: str | None, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Write one export: `rows` are keyed by contract column name (None = blank)."""
    header = [cell for _, cell in layout.columns]
    table = [
        [number if name == "_no" else row.get(name) for name, _ in layout.columns]
        for number, row in enumerate(rows, start=1)
    ]
    if layout.extension == "xlsx":
        write_table_xlsx(path, "工单明细", title, header, table)
        return
    assert layout.encoding is not None
    text = [["" if value is None else value for value in line] for line in table]
    write_csv(path, [top for top, _ in header], text, layout.encoding)
