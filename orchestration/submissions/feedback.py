"""The report a unit gets back for each processed workbook (HTML, Chinese): what was
accepted, and every problem with its cell, so the unit can correct and resubmit."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from orchestration.submissions.layout import CONFIRMATION_CODE
from orchestration.submissions.parse_workbook import ParsedRow, ParsedSubmission, Problem
from orchestration.submissions.plausibility import CONFIRMABLE_KINDS

# Every problem kind the intake can report, with what it means for the person filling in.
KIND_LABELS: dict[str, str] = {
    "not_a_number": "不是数字（请填写阿拉伯数字，如 92 或 92%）",
    "not_whole_number": "应为整数",
    "negative_value": "数值不能为负或低于下限",
    "percent_out_of_range": "百分比应在 0–100 之间",
    "numerator_gt_denominator": "分子大于分母",
    "zero_denominator": "分母为 0",
    "value_mismatch": "本期数值与分子/分母计算结果不一致",
    "unknown_boolean": "请填写“是”或“否”",
    "unknown_status": "进展状态应为 未开始/进行中/已完成/逾期",
    "not_a_date": "不是有效日期（如 2015-12-09、2015/12/9、2015.12.9、2015年12月9日）",
    "date_out_of_range": "日期超出报送期间",
    "bad_phone": "联系电话格式不正确",
    "missing_required": "必填项未填写",
    "unexpected_value": "该单元格不需要填写（灰色锁定单元格）",
    "completed_without_date": "状态为“已完成”但未填写完成日期",
    "status_conflict": "进展状态与完成百分比/完成日期相互矛盾",
    "task_not_held": "本单位不承担该任务（非牵头或责任单位）",
    "kpi_not_owned": "本单位不负责报送该指标",
    "duplicate_row": "同一任务或指标填报了多行",
    "unknown_row": "该行缺少任务编号或指标代码",
    "missing_row": "模板中的行被删除",
    "cover_mismatch": "封面的填报单位或报送期间与模板不符",
    "not_a_template": "不是本平台下发的报送模板",
    "unknown_template_version": "模板版本已停用，请下载最新模板",
    "unknown_unit": "模板中的单位代码无效",
    "unknown_period": "模板中的报送期间无效",
    "not_readable": "文件已损坏，无法读取",
    "unsafe_file": "文件不安全或格式不被接受（如 .xls、.xlsm、超大文件、压缩炸弹、XML 实体）",
    "structure_changed": "表格的行、列被插入、删除或移动，与模板不一致，数值会错位",
    "formula_not_calculated": "公式没有保存计算结果：请用 Excel 或 WPS 打开、保存后重新报送",
    "implausible_value": f"数值超出合理范围，请核对；无误请在备注填写“{CONFIRMATION_CODE}”",
    "far_from_history": (
        f"数值与本单位历史数值相差十倍以上，请核对；无误请在备注填写“{CONFIRMATION_CODE}”"
    ),
}

STATUS_LABELS = {
    "accepted": "已受理",
    "returned": "退回修改（存在问题，本版本不计入考核，请更正后重新报送）",
    "rejected": "拒收（文件无法作为报送表读取）",
}

_STYLE = """body{font-family:"Microsoft YaHei",SimSun,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #999;padding:4px 8px;
vertical-align:top}th{background:#eee}.bad{color:#b00}.ok{color:#070}"""


@dataclass(frozen=True)
class FeedbackFacts:
    source_file: str
    sha256: str
    received_at: datetime
    status: str
    unit_name: str | None
    period_label: str | None
    due: str | None


def _esc(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _problem_rows(problems: list[Problem]) -> str:
    rows = [
        f"<tr><td>{_esc(p.sheet)}</td><td>{_esc(p.cell)}</td><td>{_esc(p.message)}</td>"
        f"<td>{_esc(KIND_LABELS.get(p.kind, p.kind))}</td></tr>"
        for p in problems
    ]
    return "".join(rows)


def _accepted_rows(rows: tuple[ParsedRow, ...]) -> str:
    out = []
    for row in rows:
        if row.ok:
            text = "；".join(f"{k}：{v}" for k, v in row.delivered.items() if v)
            out.append(
                f"<tr><td>{_esc(row.sheet)}</td><td>{row.row_number}</td><td>{_esc(text)}</td></tr>"
            )
    return "".join(out)


def render(facts: FeedbackFacts, parsed: ParsedSubmission | None, rejection: Problem | None) -> str:
    problems = [rejection] if rejection else list(parsed.problems if parsed else ())
    css = "ok" if facts.status == "accepted" else "bad"
    parts = [
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>",
        f"<title>报送回执 {_esc(facts.source_file)}</title><style>{_STYLE}</style></head><body>",
        "<h1>“质量兴市”工作进展报送回执</h1>",
        "<table>",
        f"<tr><th>文件</th><td>{_esc(facts.source_file)}</td></tr>",
        f"<tr><th>文件指纹 (SHA-256)</th><td>{_esc(facts.sha256)}</td></tr>",
        f"<tr><th>接收时间</th><td>{facts.received_at:%Y-%m-%d %H:%M}</td></tr>",
        f"<tr><th>填报单位</th><td>{_esc(facts.unit_name or '（无法识别）')}</td></tr>",
        f"<tr><th>报送期间</th><td>{_esc(facts.period_label or '（无法识别）')}</td></tr>",
        f"<tr><th>报送截止日期</th><td>{_esc(facts.due or '')}</td></tr>",
        f"<tr><th>处理结果</th><td class='{css}'>{_esc(STATUS_LABELS[facts.status])}</td></tr>",
        f"<tr><th>问题数</th><td>{len(problems)}</td></tr>",
        "</table>",
    ]
    if problems and all(p.kind in CONFIRMABLE_KINDS for p in problems):
        parts.append(
            "<p>以下数值需要核实：请逐项核对；确实无误的，在该行“备注”中填写"
            f"“{_esc(CONFIRMATION_CODE)}”，再重新报送整个工作簿。</p>"
        )
    if problems:
        parts += [
            "<h2>问题清单（请逐条更正后重新报送整个工作簿）</h2>",
            "<table><tr><th>工作表</th><th>单元格</th><th>问题</th><th>说明</th></tr>",
            _problem_rows(problems),
            "</table>",
        ]
    if parsed:
        parts += [
            "<h2>已通过校验的内容</h2>",
            "<table><tr><th>工作表</th><th>行</th><th>内容</th></tr>",
            _accepted_rows(parsed.rows),
            "</table>",
        ]
    parts.append("</body></html>")
    return "\n".join(parts)


def feedback_path(
    feedback_dir: Path, sha256: str, unit_code: str | None, period_code: str | None
) -> Path:
    """Named by codes and hash only: delivered file names never become paths."""
    if unit_code and period_code:
        return feedback_dir / period_code / unit_code / f"{sha256[:16]}.html"
    return feedback_dir / "_unidentified" / f"{sha256[:16]}.html"


def write_feedback(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
