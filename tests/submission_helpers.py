"""Filled workbooks for tests, written independently of the sample generator."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from orchestration.submissions.filled import FilledForm
from orchestration.submissions.reporting import UnitForm
from orchestration.submissions.template_writer import build_workbook
from orchestration.xlsx_files import save_workbook


def complete(form: UnitForm) -> FilledForm:
    """A correct, complete report: every task done, every metric meeting a plain value."""
    done_on = min(form.period.end, date(form.period.year, 11, 30))
    filled = FilledForm(
        form,
        cover={
            "filled_by": "张三",
            "phone": "0316-2345678",
            "reviewed_by": "李四",
            "filled_on": form.period.end,
        },
    )
    for task in form.tasks:
        filled.tasks[task.task_no] = {
            "status": "已完成",
            "percent_complete": 100,
            "progress_text": "按计划完成",
            "evidence": "廊质发〔2015〕1号",
            "completed_on": done_on,
        }
    for metric in form.metrics:
        if metric.kind in ("rate", "ratio"):
            filled.metrics[metric.kpi_code] = {"numerator": 45, "denominator": 50}
        elif metric.kind == "boolean":
            filled.metrics[metric.kpi_code] = {"value": "是"}
        elif metric.kind == "rank":
            filled.metrics[metric.kpi_code] = {"value": 3}
        else:
            filled.metrics[metric.kpi_code] = {"value": 12}
    return filled


def write(filled: FilledForm, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    save_workbook(path, build_workbook(filled.form, filled))
    return path
