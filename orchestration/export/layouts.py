"""What each sheet of the bureau's workbook shows, as data: its published table, order, and
columns (header cell, where the value comes from, width, kind of value).

A column's `value` is a published column name, or a function of the row for what the form
shows differently from the table (the target as text, 是/否 for a yes/no KPI)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from orchestration.domain.targets import target_text
from orchestration.reference import load_seed
from orchestration.xlsx_forms import HeaderCell

Row = Mapping[str, Any]
# text: left-aligned (wrapped) text; label: short centred text; seq: 序号; integer: ranks and
# counts; score: 0.00 (分); number: a KPI value, shown as an integer when it is one.
Kind = Literal["text", "label", "seq", "integer", "score", "number"]

NUMBER_FORMATS: dict[Kind, str] = {
    "text": "@",
    "label": "@",
    "seq": "0",
    "integer": "0",
    "score": "0.00",
    "number": "#,##0.00",
}
INTEGRAL_FORMAT = "#,##0"  # a "number" cell holding a whole value

# Labels of the status codes of the assessment items (the KPIs' match dbt's kpi_status_label).
STATUS_LABELS = {
    "met": "达标",
    "not_met": "未达标",
    "no_data": "暂无数据",
    "not_assessed": "不考核",
    "completed": "按期完成",
    "completed_late": "逾期完成",
    "overdue": "逾期未完成",
    "in_progress": "进行中",
    "not_reported": "未报送",
    "on_time": "按时报送",
    "late": "逾期报送",
    "missing": "未报送",
}
SCORECARD_LABELS = {"county": "县(市、区)", "unit": "市直部门"}
YES_NO_UNIT = "是/否"
RANK_UNIT = "位次"


@dataclass(frozen=True)
class Column:
    header: HeaderCell
    value: str | Callable[[Row], Any] | None  # None: 序号
    width: float
    kind: Kind = "label"

    def of(self, row: Row) -> Any:
        if self.value is None:
            raise ValueError("序号 is numbered by the writer")
        return self.value(row) if callable(self.value) else row[self.value]


@dataclass(frozen=True)
class SheetLayout:
    name: str  # sheet name, also the title's subject
    table: str  # published table
    columns: tuple[Column, ...]
    order: Callable[[Row], tuple[Any, ...]]

    @property
    def header(self) -> list[HeaderCell]:
        return [column.header for column in self.columns]


def _yes_no_or(column: str) -> Callable[[Row], Any]:
    """A yes/no KPI's value (1/0) as 是/否, any other KPI's as the number."""

    def value(row: Row) -> Any:
        number = row[column]
        if row["unit"] != YES_NO_UNIT or number is None:
            return number
        return "是" if number else "否"

    return value


def _yoy(row: Row) -> Any:
    return None if row["unit"] == YES_NO_UNIT else row["yoy_change"]


def _target(row: Row) -> str:
    return target_text(row["comparator"], row["target_value"], is_rank=row["unit"] == RANK_UNIT)


def _status(row: Row) -> str:
    return STATUS_LABELS.get(row["status"], row["status"])


def _percent(column: str) -> Callable[[Row], Any]:
    def value(row: Row) -> Any:
        share = row[column]
        return None if share is None else share * 100

    return value


@cache
def _catalogue_order() -> dict[str, int]:
    """The KPI catalogue's order (the plan's); a KPI since removed from it sorts last."""
    return {row["kpi_code"]: index for index, row in enumerate(load_seed("ref_kpi_catalogue"))}


def _nulls_last(value: Any) -> tuple[bool, Any]:
    return (value is None, value if value is not None else 0)


SEQ = Column(("序号", None), None, 6, "seq")
GROUP_VALUES = "完成值"
GROUP_SCORES = "考核得分（分）"
GROUP_PRIOR = "上年"
GROUP_SCORING = "计分"

CITY_TARGETS = SheetLayout(
    name="全市目标完成情况",
    table="city_targets",
    columns=(
        SEQ,
        Column(("类别", None), "category", 10),
        Column(("指标名称", None), "kpi_name", 34, "text"),
        Column(("计量单位", None), "unit", 9),
        Column(("目标", None), _target, 16),
        Column((GROUP_VALUES, "本年"), _yes_no_or("actual_value"), 11, "number"),
        Column((GROUP_VALUES, "上年"), _yes_no_or("prior_year_value"), 11, "number"),
        Column((GROUP_VALUES, "同比增减"), _yoy, 11, "number"),
        Column(("完成情况", None), "status_label", 10),
        Column(("说明", None), "data_note", 40, "text"),
        Column(("计划条款", None), "plan_clause", 10),
    ),
    order=lambda row: (_catalogue_order().get(row["kpi_code"], 9999), row["kpi_code"]),
)


def _scorecard(name: str, table: str, unit_header: str, unit_width: float) -> SheetLayout:
    return SheetLayout(
        name=name,
        table=table,
        columns=(
            SEQ,
            Column((unit_header, None), "unit_short_name", unit_width, "text"),
            Column((GROUP_SCORES, "指标完成情况"), "kpi_score", 12, "score"),
            Column((GROUP_SCORES, "重点任务完成情况"), "task_score", 12, "score"),
            Column((GROUP_SCORES, "按时报送"), "submission_score", 12, "score"),
            Column((GROUP_SCORES, "总分"), "total_score", 10, "score"),
            Column(("名次", None), "score_rank", 7, "integer"),
            Column((GROUP_PRIOR, "总分（分）"), "prior_total_score", 10, "score"),
            Column((GROUP_PRIOR, "名次"), "prior_rank", 7, "integer"),
            Column(("总分增减（分）", None), "score_change", 10, "score"),
            Column(("名次变化", None), "rank_movement", 12),
        ),
        order=lambda row: (*_nulls_last(row["score_rank"]), row["unit_code"]),
    )


COUNTY_SCORECARD = _scorecard("县(市、区)考核得分", "county_scorecard", "县(市、区)", 14)
UNIT_SCORECARD = _scorecard("市直部门考核得分", "unit_scorecard", "单位", 22)

_COMPONENT_ORDER = {"kpi": 0, "task": 1, "submission": 2}
ASSESSMENT_ITEMS = SheetLayout(
    name="考核得分明细",
    table="assessment_items",
    columns=(
        SEQ,
        Column(("考核类别", None), lambda row: SCORECARD_LABELS.get(row["scorecard"]), 11),
        Column(("单位", None), "unit_name", 18, "text"),
        Column(("考核构成项", None), "component_label", 14),
        Column(("项目代码", None), "item_code", 14),
        Column(("项目名称", None), "item_label", 36, "text"),
        Column(("状态", None), _status, 10),
        Column(("实际值", None), "actual_value", 10, "number"),
        Column(("目标值", None), "target_value", 10, "number"),
        Column((GROUP_SCORING, "权重"), "item_weight", 8, "number"),
        Column((GROUP_SCORING, "得分率（%）"), _percent("score_rate"), 10, "score"),
        Column((GROUP_SCORING, "加权得分"), "weighted_score", 10, "score"),
        Column(("计分说明", None), "score_note", 40, "text"),
    ),
    order=lambda row: (
        row["scorecard"],
        row["unit_code"],
        _COMPONENT_ORDER.get(row["component"], 9),
        row["item_code"],
    ),
)

SHEETS = (CITY_TARGETS, COUNTY_SCORECARD, UNIT_SCORECARD, ASSESSMENT_ITEMS)
