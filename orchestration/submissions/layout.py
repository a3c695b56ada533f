"""The submission workbook's layout: the one contract the template writer, the sample
generator and the parser all follow. Change it only together with TEMPLATE_VERSION."""

from __future__ import annotations

from dataclasses import dataclass

# Bump when the layout changes; the parser refuses versions it does not know. 2015.2 added
# 上年数值 (column K); a 2015.1 workbook is still read, its K column being empty.
TEMPLATE_VERSION = "2015.2"
SUPPORTED_TEMPLATE_VERSIONS = frozenset({"2015.1", TEMPLATE_VERSION})

TITLE = "廊坊市“质量兴市”工作进展报送表"

SHEET_INSTRUCTIONS = "填报说明"
SHEET_COVER = "封面"
SHEET_TASKS = "任务进展"
SHEET_METRICS = "指标填报"
# Hidden ("veryHidden") sheet with what the parser must know before reading anything else.
SHEET_META = "_meta"

# _meta: key in column A, value in column B, one pair per row from row 1.
META_TEMPLATE_VERSION = "template_version"
META_UNIT_CODE = "unit_code"
META_PERIOD_CODE = "period_code"
META_KEYS = (META_TEMPLATE_VERSION, META_UNIT_CODE, META_PERIOD_CODE)


@dataclass(frozen=True)
class CoverField:
    key: str  # column name in raw.submission_covers
    label: str  # what the form shows in column A
    row: int  # the value sits in column B of this row
    required: bool
    prefilled: bool  # written by the template and locked


COVER_VALUE_COLUMN = "B"
COVER_FIELDS = (
    CoverField("reporting_unit_name", "填报单位", 3, True, True),
    CoverField("period_label", "报送期间", 4, True, True),
    CoverField("filled_by", "填报人", 5, True, False),
    CoverField("phone", "联系电话", 6, True, False),
    CoverField("reviewed_by", "审核人", 7, True, False),
    CoverField("filled_on", "填报日期", 8, True, False),
)

# Task and metric sheets: row 1 merged title, row 2 the 填报单位/填报日期 line, row 3 headers,
# data from row 4, one row per task or metric, in the order the template wrote them.
HEADER_ROW = 3
FIRST_DATA_ROW = 4


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    letter: str
    editable: bool  # unlocked input cell in the template


TASK_COLUMNS = (
    Column("seq", "序号", "A", False),
    Column("task_no", "任务编号", "B", False),
    Column("task_content", "任务内容", "C", False),
    Column("role", "承担角色", "D", False),
    Column("deadline", "完成时限", "E", False),
    Column("status", "进展状态", "F", True),
    Column("percent_complete", "完成百分比(%)", "G", True),
    Column("progress_text", "工作进展情况", "H", True),
    Column("evidence", "佐证材料", "I", True),
    Column("completed_on", "完成日期", "J", True),
)

METRIC_COLUMNS = (
    Column("seq", "序号", "A", False),
    Column("kpi_code", "指标代码", "B", False),
    Column("kpi_name", "指标名称", "C", False),
    Column("value", "本期数值", "D", True),
    Column("numerator", "分子", "E", True),
    Column("denominator", "分母", "F", True),
    Column("unit", "计量单位", "G", False),
    Column("target", "目标值", "H", False),
    Column("guidance", "填报口径", "I", False),
    Column("note", "备注", "J", True),
    # Year-on-year targets need last year's value; in the plan's first year only the unit has
    # it. Input only on annual reports of metrics with a year-on-year comparator.
    Column("prior_value", "上年数值", "K", True),
)

# Columns of the metric sheet in each supported template version (2015.1 had no 上年数值).
METRIC_COLUMNS_BY_VERSION = {"2015.1": METRIC_COLUMNS[:-1], TEMPLATE_VERSION: METRIC_COLUMNS}

# What a unit writes in 备注 to confirm a value the parser found implausible (far from the
# unit's history or outside the KPI's plausible range, seed ref_kpi_plausible_ranges). Read
# leniently: spaces and a half- or full-width colon, or none, are all the same.
CONFIRMATION_CODE = "确认：数值无误"

TASK_STATUSES = ("未开始", "进行中", "已完成", "逾期")
STATUS_COMPLETED = "已完成"
STATUS_NOT_STARTED = "未开始"
ROLE_LABELS = {"lead": "牵头", "responsible": "责任"}
BOOLEAN_CHOICES = ("是", "否")


def column(columns: tuple[Column, ...], key: str) -> Column:
    return next(c for c in columns if c.key == key)
