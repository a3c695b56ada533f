"""Sample unit submissions (工作进展报送表): the workbooks departments and county governments
return each period, filled in the way people really type, with a controlled share of mistakes.

Who reports what comes from `orchestration.submissions.reporting` (the dbt seeds); every
workbook is written by the one template writer (`build_workbook(form, filled)`), so the
generator cannot drift from the template. Files land in `<out_dir>/submissions/<year>/` as
`<period>_<unit short name>.xlsx` (`…_更正.xlsx` for a corrected resubmission), each with its
modification time set to a simulated receipt time (Asia/Shanghai local time).

`scale` does not change anything: the reporting units and periods are a fixed reference
(every unit of `reporting_units()`, 35 today, × 5 periods a year), not a volume. It is accepted
for the common generator signature only.

About 3 % of (unit, period) are never sent (`other_counts["not_submitted"]`), about 10 % arrive
1–30 days after the due date (`late`); the rest arrive between the period end and the due date.
A workbook with a mistake carries exactly one (`ERROR_KINDS`); half of them are followed 2–6
days later by a corrected resubmission (`corrected_resubmissions`). Mistakes draw from their
own random streams, so the clean content of every workbook is the same at any error rate, and
a year's files do not depend on which other years are generated, except that the foreign and
hostile files (`FILE_ERROR_KINDS`) are written once per run, into the first year's folder.

`rows_per_file` is what the intake reads from each file (its rows_read): 1 cover + the task
lines + the metric lines of a readable workbook, 0 for a file it rejects. A duplicate delivery
counts its rows too, though the intake reads that content once (already_ingested): the loaded
rows_read add up to `total_rows` minus the duplicates' rows.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import random
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook

from orchestration.ingest.normalise import EXCEL_EPOCH
from orchestration.ingest.readers import CellValue
from orchestration.ingest.xlsx_guard import OLE2_MAGIC
from orchestration.reference import load_seed, project_var
from orchestration.submissions import layout
from orchestration.submissions.filled import FilledForm
from orchestration.submissions.reporting import (
    SUBMISSIONS_FEED,
    MetricLine,
    ReportingPeriod,
    TaskLine,
    UnitForm,
    form_for,
    periods_for_year,
    reporting_units,
    task_deadline,
)
from orchestration.submissions.template_writer import build_workbook, deadline_text
from orchestration.xlsx_files import FIXED_TIMESTAMP, workbook_bytes, write_atomically
from sample_data.common import (
    GenerationSummary,
    check_arguments,
    chinese_number,
    rng_for,
    set_received,
)

FEED = SUBMISSIONS_FEED
# The plan's first year: its annual reports' 上年数值 is what the units knew (invented here);
# later years report the value of the generator's own previous annual report.
PLAN_YEAR = int(str(project_var("plan_year")))
PRIOR_MET_SHARE = 0.85  # first-year prior values that let the year-on-year target be met

# One mistake per affected workbook, each a kind the parser must name.
ERROR_KINDS = (
    "not_a_number",
    "numerator_gt_denominator",
    "percent_out_of_range",
    "completed_without_date",
    "task_not_held",
    "bad_date",
    "unknown_status",
    "missing_required",
)
# Whole files that are not a usable submission (written once per run when error_rate > 0).
FILE_ERROR_KINDS = ("hostile_file", "foreign_workbook", "duplicate_delivery")

NOT_SUBMITTED_SHARE = 0.03
LATE_SHARE = 0.10
CORRECTED_SHARE = 0.5  # of the workbooks with a mistake
CORRECTED_SUFFIX = "_更正"
COPY_SUFFIX = " - 副本"  # what Windows calls a copied file

_SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡杜魏吕"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰海燕鹏飞宇浩然晓东"
_NOTES = ("数据来源：本单位统计台账", "按省级通报数据填报", "含已公示待批复项目", "截至报送日数据")
_ENDPOINTS = (layout.STATUS_COMPLETED, layout.STATUS_NOT_STARTED)
_UNKNOWN_STATUSES = ("基本完成", "正在推进", "已办结", "持续推进")


@dataclass(frozen=True)
class RateProfile:
    """How a rate or ratio behaves: denominator size, level in 2015, change per year, and
    whether the denominator accumulates over the year (money, batches) or is a stock."""

    denominator: tuple[float, float]
    level: tuple[float, float]  # percent for rates, the plain ratio otherwise
    yearly: tuple[float, float]
    flow: bool
    decimals: int = 0  # of numerator and denominator


# Keyed by kpi_code; a KPI missing here falls back to a generic profile from its target.
RATE_PROFILES = {
    "INTL_STANDARD_ADOPTION_RATE": RateProfile((900, 1300), (40, 50), (2.2, 3.5), False),
    "QMS_CERT_RATE_INCREASE": RateProfile((120, 600), (55, 70), (4.0, 8.0), False),
    "MFG_QUALITY_LOSS_RATE": RateProfile((3.0e7, 5.0e7), (1.2, 1.8), (-0.15, -0.03), True, 1),
    "MFG_ENGINEER_SHARE": RateProfile((2.8e5, 3.5e5), (8.0, 11.0), (0.2, 0.6), False),
    "MFG_RD_EXPENDITURE_RATIO": RateProfile((3.0e7, 4.5e7), (0.6, 0.9), (0.03, 0.1), True, 1),
    "MFG_TECH_RENOVATION_RATIO": RateProfile((3.0e7, 4.5e7), (2.5, 4.0), (0.1, 0.4), True, 1),
    "MFG_EXPORT_SHARE": RateProfile((3.0e7, 4.5e7), (5.0, 8.0), (0.1, 0.5), True, 1),
    "ENTRY_PLANT_QUARANTINE_COVERAGE": RateProfile((800, 1500), (100, 100), (0, 0), True),
    "BUSES_PER_10K_RESIDENTS": RateProfile((80, 90), (8.5, 10.0), (0.3, 0.8), False, 1),
}


@dataclass
class _Submission:
    form: UnitForm
    filled: FilledForm
    received: dt.datetime
    late: bool


# ---------------------------------------------------------------- entry point


def generate_submissions(
    out_dir: Path,
    years: Sequence[int],
    scale: float = 1.0,
    seed: int = 20151209,
    error_rate: float = 0.01,
) -> GenerationSummary:
    """Write filled workbooks for every reporting unit and period of `years` into
    `<out_dir>/submissions/<year>/`. Files are rewritten in place; nothing else is touched."""
    check_arguments(scale, error_rate)
    files: list[Path] = []
    rows_per_file: dict[Path, int] = {}
    errors: Counter[str] = Counter()
    other: Counter[str] = Counter()
    ordered_years = sorted(set(years))
    for year in ordered_years:
        folder = Path(out_dir) / FEED / str(year)
        submissions: list[_Submission] = []
        for period in periods_for_year(year):
            for unit_code in reporting_units():
                form = form_for(unit_code, period.code)
                rng = rng_for(seed, FEED, "receipt", unit_code, period.code)
                if rng.random() < NOT_SUBMITTED_SHARE:
                    other["not_submitted"] += 1
                    continue
                late = rng.random() < LATE_SHARE
                received = _receipt_time(rng, period, late)
                filled = fill_form(seed, form, received.date())
                submissions.append(_Submission(form, filled, received, late))
                other["late"] += late

        mistakes = _plan_mistakes(seed, year, submissions, error_rate)
        error_rng = rng_for(seed, FEED, "errors", year, "inject")
        clean: list[tuple[_Submission, Path]] = []
        for index, submission in enumerate(submissions):
            form = submission.form
            stem = f"{form.period.code}_{form.unit_short_name}"
            kind = mistakes.get(index)
            if kind is None:
                path = folder / f"{stem}.xlsx"
                _deliver(path, submission.filled, submission.received, files, rows_per_file)
                clean.append((submission, path))
                continue
            faulty = inject_mistake(error_rng, kind, submission.filled)
            _deliver(folder / f"{stem}.xlsx", faulty, submission.received, files, rows_per_file)
            errors[kind] += 1
            if error_rng.random() < CORRECTED_SHARE:
                later = _office_hours(
                    error_rng, submission.received.date() + dt.timedelta(error_rng.randint(2, 6))
                )
                path = folder / f"{stem}{CORRECTED_SUFFIX}.xlsx"
                _deliver(path, submission.filled, later, files, rows_per_file)
                other["corrected_resubmissions"] += 1

        if error_rate > 0 and year == ordered_years[0] and clean:
            _write_file_errors(seed, year, folder, clean, files, rows_per_file, errors)

    return GenerationSummary(
        files=tuple(files),
        rows_per_file=rows_per_file,
        total_rows=sum(rows_per_file.values()),
        injected_errors={kind: errors[kind] for kind in (*ERROR_KINDS, *FILE_ERROR_KINDS)},
        other_counts={
            kind: other[kind] for kind in ("not_submitted", "late", "corrected_resubmissions")
        },
    )


def _deliver(
    path: Path,
    filled: FilledForm,
    received: dt.datetime,
    files: list[Path],
    rows_per_file: dict[Path, int],
) -> None:
    write_atomically(path, workbook_bytes(build_workbook(filled.form, filled)))
    set_received(path, received)
    files.append(path)
    rows_per_file[path] = rows_in(filled)


def rows_in(filled: FilledForm) -> int:
    """The rows the intake reads from a workbook (its rows_read): the cover, every task line
    (a line copied from a colleague's form included) and every metric line."""
    return 1 + len(filled.form.tasks) + len(filled.extra_task_rows) + len(filled.form.metrics)


def _receipt_time(rng: random.Random, period: ReportingPeriod, late: bool) -> dt.datetime:
    """Office hours; on time means on or before the due date, late 1–30 days after it."""
    if late:
        day = period.due + dt.timedelta(days=rng.randint(1, 30))
    else:
        window = (period.due - period.end).days
        day = period.end + dt.timedelta(days=rng.randint(1, window))
    return _office_hours(rng, day)


def _office_hours(rng: random.Random, day: dt.date) -> dt.datetime:
    clock = dt.time(rng.randint(8, 17), rng.randint(0, 59), rng.randint(0, 59))
    return dt.datetime.combine(day, clock)


# ---------------------------------------------------------------- filling a form


def fill_form(seed: int, form: UnitForm, received_on: dt.date) -> FilledForm:
    """What a careful unit types into its workbook (no mistakes)."""
    rng = rng_for(seed, FEED, "fill", form.unit_code, form.period.code)
    filled = FilledForm(form=form, cover=_cover(seed, rng, form, received_on))
    for task in form.tasks:
        filled.tasks[task.task_no] = _task_values(seed, rng, form, task)
    for metric in form.metrics:
        filled.metrics[metric.kpi_code] = _metric_values(seed, rng, form, metric)
    return filled


def _person(rng: random.Random) -> str:
    given = "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(_SURNAMES) + given


def _cover(
    seed: int, rng: random.Random, form: UnitForm, received_on: dt.date
) -> dict[str, CellValue]:
    # The same people fill in and sign off a unit's form all year.
    people = rng_for(seed, FEED, "people", form.unit_code, form.period.year)
    filled_by, reviewed_by = _person(people), _person(people)
    if people.random() < 0.6:
        phone: CellValue = f"0316-{people.choice('2356')}{people.randint(0, 999999):06d}"
    else:
        mobile = int(f"1{people.choice('358')}{people.randint(0, 999999999):09d}")
        phone = mobile if people.random() < 0.4 else str(mobile)
    filled_on = max(form.period.end, received_on - dt.timedelta(days=rng.choice((0, 0, 1, 2))))
    return {
        "filled_by": filled_by,
        "phone": phone,
        "reviewed_by": reviewed_by,
        "filled_on": typed_date(rng, filled_on),
    }


@dataclass(frozen=True)
class _TaskPlan:
    """When a unit starts and finishes a task in one year (None: not by the deadline)."""

    started: dt.date
    completed: dt.date | None
    overdue_label: bool  # unfinished at the deadline: 逾期 rather than 进行中


def _task_plan(seed: int, unit_code: str, task: TaskLine) -> _TaskPlan:
    year = task.deadline.year
    rng = rng_for(seed, FEED, "task-plan", unit_code, task.task_no, year)
    started = dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(5, 120))
    roll = rng.random()
    if roll < 0.08:
        completed = None
    elif roll < 0.2:
        completed = started + dt.timedelta(days=rng.randint(40, 120))
    else:
        completed = dt.date(year, 6, 1) + dt.timedelta(days=rng.randint(0, 213))
    completed = min(completed, task.deadline) if completed else None
    return _TaskPlan(started, completed, rng.random() < 0.7)


def _task_values(
    seed: int, rng: random.Random, form: UnitForm, task: TaskLine
) -> dict[str, CellValue]:
    plan = _task_plan(seed, form.unit_code, task)
    end = form.period.end
    theme = task.theme
    if plan.completed is not None and plan.completed <= end:
        status, percent = layout.STATUS_COMPLETED, 100
    elif end < plan.started:
        status, percent = layout.STATUS_NOT_STARTED, 0
    else:
        finish = plan.completed or task.deadline + dt.timedelta(days=60)
        elapsed = (end - plan.started).days / max(1, (finish - plan.started).days)
        percent = min(95, max(5, int(elapsed * 20) * 5))
        overdue = end >= task.deadline and plan.overdue_label
        status = "逾期" if overdue else "进行中"
    values: dict[str, CellValue] = {
        "status": status,
        "percent_complete": typed_percent(rng, percent),
        "progress_text": _progress_text(rng, status, theme, percent, plan),
        "evidence": _evidence(rng, form, status, theme),
    }
    if status == layout.STATUS_COMPLETED and plan.completed is not None:
        values["completed_on"] = typed_date(rng, plan.completed)
    return values


def _progress_text(
    rng: random.Random, status: str, theme: str, percent: int, plan: _TaskPlan
) -> str:
    if status == layout.STATUS_NOT_STARTED:
        return rng.choice(
            (
                f"已将{theme}列入本单位年度工作要点，计划{plan.started.month}月启动。",
                f"正在研究{theme}工作思路，尚未正式启动。",
            )
        )
    if status == layout.STATUS_COMPLETED and plan.completed is not None:
        done = f"{plan.completed.month}月{plan.completed.day}日"
        return rng.choice(
            (
                f"{theme}工作已全部完成，相关文件于{done}印发。",
                f"已按计划完成{theme}各项任务，{done}报市质量与名牌战略领导小组办公室备案。",
                f"{theme}任务已完成，{done}通过验收。",
            )
        )
    if status == "逾期":
        return rng.choice(
            (
                f"受审批程序影响，{theme}工作未能按期完成，目前已完成约{percent}%，"
                "拟于次年3月底前完成。",
                f"{theme}工作进度滞后，已完成约{percent}%，正在协调有关单位加快推进。",
            )
        )
    meetings = rng.randint(1, 4)
    return rng.choice(
        (
            f"已制定{theme}工作方案，召开专题推进会{meetings}次，各项工作按计划推进。",
            f"会同有关单位推进{theme}工作，已完成阶段性任务，下一步将加快进度。",
            f"{theme}工作正在推进，已完成调研摸底，正在起草相关文件。",
        )
    )


def _document_prefix(form: UnitForm) -> str:
    """廊质监, 固安政 …: how a unit's documents are numbered (flavour only)."""
    short = form.unit_short_name
    if short.startswith("市"):
        return "廊" + short[1:3]
    if short.endswith("政府"):
        return short[:2] + "政"
    return "廊" + short[2:3]


def _evidence(rng: random.Random, form: UnitForm, status: str, theme: str) -> CellValue:
    year = form.period.year
    number = f"{_document_prefix(form)}〔{year}〕{rng.randint(3, 160)}号"
    if status == layout.STATUS_NOT_STARTED:
        return None if rng.random() < 0.7 else "无"
    if status == layout.STATUS_COMPLETED:
        return rng.choice(
            (
                f"《关于印发{theme}工作方案的通知》（{number}）",
                f"验收报告；{number}",
                f"{number}文件；会议纪要",
            )
        )
    if status == "逾期":
        return "进展情况说明"
    return rng.choice(("工作方案；会议纪要", f"会议纪要（{number}）", "调研报告", "现场照片"))


# ---------------------------------------------------------------- metric values


def _quarter(period: ReportingPeriod) -> int:
    """The quarter whose cumulative figures a period reports (the annual summary: Q4)."""
    return 4 if period.is_annual else int(period.kind[1])


def _metric_values(
    seed: int, rng: random.Random, form: UnitForm, metric: MetricLine
) -> dict[str, CellValue]:
    period = form.period
    quarter = _quarter(period)
    values: dict[str, CellValue]
    if metric.kind == "boolean":
        values = {"value": "是" if _done_by(seed, form.unit_code, metric, period) else "否"}
    elif metric.kind == "rank":
        values = {"value": typed_count(rng, _rank(seed, form.unit_code, metric, period))}
    elif metric.uses_fraction:
        values = _fraction_values(rng, seed, form.unit_code, metric, period.year, quarter)
    else:
        count = _cumulative_count(seed, form.unit_code, metric, period.year, quarter)
        values = {"value": typed_count(rng, count)}
    if rng.random() < 0.15:
        values["note"] = rng.choice(_NOTES)
    if form.asks_prior_value(metric):
        values["prior_value"] = _prior_value(seed, form.unit_code, metric, period.year)
    return values


def _annual_value(seed: int, unit_code: str, metric: MetricLine, year: int) -> float:
    """The value a unit's annual report of `year` states (a rate as a percentage)."""
    if metric.kind == "rank":
        return float(_published_rank(seed, unit_code, metric, year))
    if metric.uses_fraction:
        return _fraction_numbers(seed, unit_code, metric, year, 4)[2]
    return float(_cumulative_count(seed, unit_code, metric, year, 4))


def _prior_value(seed: int, unit_code: str, metric: MetricLine, year: int) -> CellValue:
    """上年数值 as typed: after the plan's first year the previous annual report's value (the
    data agree); in the first year one the unit knew, mostly meeting the target's direction."""
    rng = rng_for(seed, FEED, "prior", unit_code, metric.kpi_code, year)
    if year > PLAN_YEAR:
        prior = _annual_value(seed, unit_code, metric, year - 1)
    else:
        prior = _invented_prior(rng, metric, _annual_value(seed, unit_code, metric, year))
    if metric.kind in ("rank", "count"):
        return typed_count(rng, int(prior))
    if metric.kind == "ratio":
        return typed_amount(rng, prior, 2)
    return typed_prior_percent(rng, prior)


def _invented_prior(rng: random.Random, metric: MetricLine, current: float) -> float:
    """Last year's value of a year-on-year metric given this year's: mostly the change the
    target asks for, sometimes not (a flat or worse year)."""
    met = rng.random() < PRIOR_MET_SHARE
    comparator = metric.comparator
    if metric.kind == "rank":
        # decrease_yoy: a lower number is a better rank.
        return current + rng.randint(1, 2) if met else max(1.0, current - rng.randint(0, 1))
    target = metric.target_value or 0.0
    if comparator == "increase_pp_yoy":
        points = rng.uniform(target + 0.2, target + 3) if met else rng.uniform(0.5, target - 0.2)
        prior = current - points
    elif comparator == "increase_pct_yoy":
        growth = target / 100
        rise = rng.uniform(growth + 0.005, growth + 0.04) if met else rng.uniform(0, growth - 0.005)
        prior = current / (1 + rise)
    else:
        change = rng.uniform(0.02, 0.08) if met else rng.uniform(-0.03, 0.0)
        sign = -1 if comparator == "increase_yoy" else 1
        prior = current * (1 + sign * change)
    if metric.kind in ("rank", "count"):
        return float(round(prior))
    cap = 100.0 if metric.kind == "rate" else float("inf")
    return round(min(cap, max(0.0, prior)), 2)


def _done_by(seed: int, unit_code: str, metric: MetricLine, period: ReportingPeriod) -> bool:
    rng = rng_for(seed, FEED, "milestone", unit_code, metric.kpi_code, period.year)
    if rng.random() < 0.1:
        return False  # not achieved this year
    done_in = rng.choices((1, 2, 3, 4), (0.05, 0.25, 0.35, 0.35))[0]
    return done_in <= _quarter(period)


def _rank(seed: int, unit_code: str, metric: MetricLine, period: ReportingPeriod) -> int:
    """The province publishes the rank once a year: until Q4 the previous year's stands."""
    year = period.year if _quarter(period) == 4 else period.year - 1
    return _published_rank(seed, unit_code, metric, year)


def _published_rank(seed: int, unit_code: str, metric: MetricLine, year: int) -> int:
    base = rng_for(seed, FEED, "rank", unit_code, metric.kpi_code).randint(4, 7)
    improves = rng_for(seed, FEED, "rank", unit_code, metric.kpi_code, year).random() < 0.85
    return max(1, base - (year - 2015) * improves)


def _cumulative_count(
    seed: int, unit_code: str, metric: MetricLine, year: int, quarter: int
) -> int:
    rng = rng_for(seed, FEED, "count", unit_code, metric.kpi_code, year)
    target = metric.target_value
    if target is None:  # a year-on-year direction (e.g. patent applications): a trend
        base = rng_for(seed, FEED, "count-base", unit_code, metric.kpi_code).randint(2500, 4000)
        total = round(base * (1.12 ** (year - 2015)) * rng.uniform(0.97, 1.03))
    elif rng.random() < 0.88:
        total = max(round(target), round(target * rng.uniform(1.0, 1.5)))
    else:
        total = int(target * rng.uniform(0.5, 0.95))
    weights = [rng.uniform(0.5, 1.5) for _ in range(4)]
    share = sum(weights[:quarter]) / sum(weights)
    return total if quarter == 4 else int(total * share)


def _rate_profile(metric: MetricLine) -> RateProfile:
    profile = RATE_PROFILES.get(metric.kpi_code)
    if profile is not None:
        return profile
    if metric.kind == "ratio":
        return RateProfile((50, 100), (5, 15), (0.2, 0.6), False, 1)
    low = (metric.target_value or 50) + 1 if metric.comparator in ("gte", "gt") else 50
    return RateProfile((200, 2000), (min(low, 99), min(low + 8, 100)), (0.5, 1.5), False)


def _fraction_values(
    rng: random.Random, seed: int, unit_code: str, metric: MetricLine, year: int, quarter: int
) -> dict[str, CellValue]:
    profile = _rate_profile(metric)
    numerator, denominator, shown = _fraction_numbers(seed, unit_code, metric, year, quarter)
    values: dict[str, CellValue] = {
        "numerator": typed_amount(rng, numerator, profile.decimals),
        "denominator": typed_amount(rng, denominator, profile.decimals),
    }
    if rng.random() < 0.4:  # D is optional; some units compute it anyway
        values["value"] = (
            typed_rate(rng, shown, numerator / denominator) if metric.kind == "rate" else shown
        )
    return values


def _fraction_numbers(
    seed: int, unit_code: str, metric: MetricLine, year: int, quarter: int
) -> tuple[float, float, float]:
    """Numerator, denominator and the value they give (a rate as a percentage, 2 decimals);
    they depend only on (unit, metric, year, quarter), so Q4 and 年度总结 agree."""
    profile = _rate_profile(metric)
    key = (unit_code, metric.kpi_code)
    level_2015 = rng_for(seed, FEED, "level", *key).uniform(*profile.level)
    drift = rng_for(seed, FEED, "drift", *key).uniform(*profile.yearly)
    size = rng_for(seed, FEED, "size", *key).uniform(*profile.denominator)
    noise = rng_for(seed, FEED, "noise", *key, year, quarter)  # Q4 and 年度总结 agree
    cap = 100.0 if metric.kind == "rate" else float("inf")
    current = min(cap, max(0.1, level_2015 + drift * (year - 2015)))
    previous = min(cap, max(0.1, current - drift))
    if profile.flow:  # money or batches accumulate over the year; the rate hovers
        denominator = size * (1.08 ** (year - 2015)) * quarter / 4 * noise.uniform(0.97, 1.03)
        level = current if current >= cap else min(cap, current * noise.uniform(0.97, 1.03))
    else:  # a stock (enterprises, staff): the rate moves from last year's towards this year's
        denominator = size * (1.02 ** (year - 2015)) * noise.uniform(0.99, 1.01)
        level = previous + (current - previous) * quarter / 4
    denominator = round(denominator, profile.decimals)
    if metric.kind == "rate":
        numerator = round(denominator * level / 100, profile.decimals)
        numerator = min(numerator, denominator)
        shown = round(numerator / denominator * 100, 2)
    else:
        numerator = round(denominator * level)
        shown = round(numerator / denominator, 2)
    return numerator, denominator, shown


# ---------------------------------------------------------------- how people type


def _full_width(text: str) -> str:
    return text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789.,%"})


def typed_count(rng: random.Random, value: int) -> CellValue:
    """A whole number as people enter it: 1234, "1,234", "1234", "１２３４", 1234.0."""
    roll = rng.random()
    if value >= 1000 and roll < 0.3:
        return f"{value:,}"
    if roll < 0.6:
        return value
    if roll < 0.75:
        return str(value)
    if roll < 0.9:
        return _full_width(str(value))
    return float(value)


def typed_amount(rng: random.Random, value: float, decimals: int) -> CellValue:
    """A numerator or denominator: a number, or text with or without thousands separators."""
    number: int | float = int(value) if decimals == 0 else round(value, decimals)
    text = f"{number:,.{decimals}f}"
    roll = rng.random()
    if roll < 0.6:
        return number
    if roll < 0.8 and value >= 1000:
        return text
    if roll < 0.9:
        return text.replace(",", "")
    return _full_width(text.replace(",", ""))


def typed_rate(rng: random.Random, percent: float, fraction: float) -> CellValue:
    """A rate in one of the accepted forms: "92%", 92, 0.92 (never a bare number below 1 or
    the fraction 1.0, which read as something else)."""
    roll = rng.random()
    if roll < 0.4 or percent < 1:
        return f"{percent:g}%"
    if roll < 0.7 or percent >= 100:
        return percent
    return round(fraction, 4)


def typed_prior_percent(rng: random.Random, percent: float) -> CellValue:
    """上年数值 of a rate, always a percentage: "8.5%", 8.5, "8.5", "８.５％" (never the
    fraction 0.085; below 1 % always with the sign, so it cannot be misread)."""
    roll = rng.random()
    if roll < 0.4 or percent < 1:
        return f"{percent:g}%"
    if roll < 0.8:
        return percent
    if roll < 0.9:
        return f"{percent:g}"
    return _full_width(f"{percent:g}%")


def typed_percent(rng: random.Random, percent: int) -> CellValue:
    """完成百分比: 60, "60%", 0.6, "６０"; 100 and 0 never as fractions."""
    roll = rng.random()
    if roll < 0.55:
        return percent
    if roll < 0.7:
        return f"{percent}%"
    if roll < 0.8 and 0 < percent < 100:
        return percent / 100
    if roll < 0.9:
        return _full_width(str(percent))
    return str(percent)


def typed_date(rng: random.Random, day: dt.date) -> CellValue:
    """A date as a date cell, an Excel serial number or text in one of the accepted forms."""
    roll = rng.random()
    if roll < 0.35:
        return day
    if roll < 0.5:
        return (day - EXCEL_EPOCH).days
    if roll < 0.7:
        return f"{day.year}年{day.month}月{day.day}日"
    if roll < 0.8:
        return f"{day.year}.{day.month}.{day.day}"
    if roll < 0.9:
        return f"{day.year}/{day.month}/{day.day}"
    return day.isoformat()


# ---------------------------------------------------------------- mistakes


def _plan_mistakes(
    seed: int, year: int, submissions: Sequence[_Submission], error_rate: float
) -> dict[int, str]:
    """Which submissions get which mistake: error_rate of them, at least one of each kind
    when there are enough workbooks, each on a workbook where the mistake can happen."""
    if error_rate <= 0 or not submissions:
        return {}
    rng = rng_for(seed, FEED, "errors", year, "plan")
    wanted = round(error_rate * len(submissions))
    if len(submissions) >= len(ERROR_KINDS):
        wanted = max(wanted, len(ERROR_KINDS))
    wanted = min(wanted, len(submissions))
    kinds = list(ERROR_KINDS)
    rng.shuffle(kinds)
    kinds += [rng.choice(ERROR_KINDS) for _ in range(wanted - len(kinds))]
    order = list(range(len(submissions)))
    rng.shuffle(order)
    plan: dict[int, str] = {}
    for kind in kinds[:wanted]:
        index = next(
            (i for i in order if i not in plan and can_inject(kind, submissions[i].filled)),
            None,
        )
        if index is not None:
            plan[index] = kind
    return plan


def _completed_tasks(filled: FilledForm) -> list[int]:
    return [
        no
        for no, values in filled.tasks.items()
        if values.get("status") == layout.STATUS_COMPLETED and values.get("completed_on")
    ]


def _rate_rows(filled: FilledForm) -> list[str]:
    return [metric.kpi_code for metric in filled.form.metrics if metric.kind == "rate"]


def _count_rows(filled: FilledForm) -> list[str]:
    return [m.kpi_code for m in filled.form.metrics if m.kind in ("count", "rank")]


def can_inject(kind: str, filled: FilledForm) -> bool:
    """Whether `kind` of mistake can be made on this form at all."""
    has_tasks = bool(filled.form.tasks)
    if kind in ("not_a_number", "percent_out_of_range"):
        return has_tasks or bool(_count_rows(filled)) or bool(_rate_rows(filled))
    if kind == "numerator_gt_denominator":
        return bool(_rate_rows(filled))
    if kind == "completed_without_date":
        return bool(_completed_tasks(filled))
    if kind == "task_not_held":
        return len(filled.form.tasks) < len(load_seed("ref_tasks"))
    if kind == "unknown_status":
        return has_tasks
    return kind in ("bad_date", "missing_required")


def inject_mistake(rng: random.Random, kind: str, clean: FilledForm) -> FilledForm:
    """A copy of `clean` with exactly one mistake of `kind` (see `can_inject`)."""
    filled = copy.deepcopy(clean)
    tasks, metrics = filled.tasks, filled.metrics
    if kind == "not_a_number":
        # Written out in Chinese numerals, as in a report's prose: "九十二".
        if filled.form.tasks and (rng.random() < 0.5 or not _count_rows(filled)):
            # Prefer a task part-way done, whose percentage reads naturally in words.
            partial = [n for n, v in tasks.items() if v.get("status") not in _ENDPOINTS]
            no = rng.choice(partial or list(tasks))
            percent = _plain(tasks[no].get("percent_complete"))
            tasks[no]["percent_complete"] = _chinese_or_default(percent)
        elif _count_rows(filled):
            code = rng.choice(_count_rows(filled))
            metrics[code]["value"] = _chinese_or_default(_plain(metrics[code].get("value")))
        else:
            code = rng.choice(_rate_rows(filled))
            metrics[code]["numerator"] = "九十二"
    elif kind == "numerator_gt_denominator":
        code = rng.choice(_rate_rows(filled))
        row = metrics[code]
        numerator, denominator = _plain(row["numerator"]), _plain(row["denominator"])
        if numerator is not None and denominator is not None and numerator < denominator:
            row["numerator"], row["denominator"] = denominator, numerator  # typed swapped
        else:
            row["numerator"] = (denominator or 100) + rng.randint(1, 50)
        row.pop("value", None)  # one mistake only: no stated rate to disagree with
    elif kind == "percent_out_of_range":
        if filled.form.tasks and (rng.random() < 0.6 or not _rate_rows(filled)):
            tasks[rng.choice(list(tasks))]["percent_complete"] = 120
        elif _rate_rows(filled):
            # A rate the unit worked out itself beside a sound numerator and denominator.
            metrics[rng.choice(_rate_rows(filled))]["value"] = "105%"
        else:
            tasks[rng.choice(list(tasks))]["percent_complete"] = 120
    elif kind == "completed_without_date":
        tasks[rng.choice(_completed_tasks(filled))]["completed_on"] = None
    elif kind == "task_not_held":
        filled.extra_task_rows.append(_task_not_held(rng, filled))
    elif kind == "bad_date":
        completed = _completed_tasks(filled)
        bad = _bad_date(rng, filled.form.period)
        if completed and rng.random() < 0.6:
            tasks[rng.choice(completed)]["completed_on"] = bad
        else:
            filled.cover["filled_on"] = bad
    elif kind == "unknown_status":
        tasks[rng.choice(list(tasks))]["status"] = rng.choice(_UNKNOWN_STATUSES)
    elif kind == "missing_required":
        filled.cover["filled_by"] = None
    else:  # pragma: no cover - ERROR_KINDS and this function change together
        raise ValueError(kind)
    return filled


def _plain(value: CellValue) -> float | None:
    """The number behind a typed value, for building mistakes from clean values."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.translate({ord(c) + 0xFEE0: ord(c) for c in "0123456789.,%"})
        text = text.replace(",", "").removesuffix("%")
        try:
            return float(text)
        except ValueError:
            return None
    return None


def _chinese_or_default(value: float | None) -> str:
    if value is not None and value.is_integer() and 1 <= value <= 99:
        return chinese_number(int(value))
    return "九十二"


def _bad_date(rng: random.Random, period: ReportingPeriod) -> str:
    year, month = period.end.year, period.end.month
    return rng.choice(
        (
            f"{year}年13月1日",
            f"{year}.{month}.32",
            f"{year}/2/30",
            f"{year}-{month:02d}-00",
        )
    )


def _task_not_held(rng: random.Random, filled: FilledForm) -> dict[str, CellValue]:
    """A row copied from a colleague's form: a task this unit neither leads nor shares."""
    held = {task.task_no for task in filled.form.tasks}
    seeds = [row for row in load_seed("ref_tasks") if int(row["task_no"]) not in held]
    row = rng.choice(seeds)
    task = TaskLine(
        int(row["task_no"]),
        row["content"],
        row["task_theme"],
        "responsible",
        task_deadline(row["deadline"], filled.form.period.year),
        row["deadline_text"],
    )
    return {
        "task_no": task.task_no,
        "task_content": task.content,
        "role": layout.ROLE_LABELS["responsible"],
        "deadline": deadline_text(task),
        "status": "进行中",
        "percent_complete": 50,
        "progress_text": f"配合牵头单位推进{task.theme}工作。",
    }


# ---------------------------------------------------------------- foreign and hostile files


def _write_file_errors(
    seed: int,
    year: int,
    folder: Path,
    clean: Sequence[tuple[_Submission, Path]],
    files: list[Path],
    rows_per_file: dict[Path, int],
    errors: Counter[str],
) -> None:
    """A duplicate delivery, a macro-enabled copy, a legacy .xls and someone else's xlsx."""
    rng = rng_for(seed, FEED, "file-errors", year)
    picks = [clean[rng.randrange(len(clean))] for _ in range(3)]

    (original, path) = picks[0]
    duplicate = path.with_name(f"{path.stem}{COPY_SUFFIX}{path.suffix}")
    write_atomically(duplicate, path.read_bytes())
    _stamp(duplicate, original.received + dt.timedelta(days=1, hours=2), files, rows_per_file)
    rows_per_file[duplicate] = rows_per_file[path]
    errors["duplicate_delivery"] += 1

    (source, path) = picks[1]
    macro = path.with_suffix(".xlsm")
    write_atomically(macro, _with_macros(path.read_bytes()))
    _stamp(macro, source.received + dt.timedelta(hours=3), files, rows_per_file)
    errors["hostile_file"] += 1

    (source, path) = picks[2]
    legacy = path.with_suffix(".xls")
    # An OLE2 compound file header, as Excel 97-2003 writes: only the magic matters here.
    header = OLE2_MAGIC + bytes(16) + bytes.fromhex("3E000300FEFF0900")
    write_atomically(legacy, header + bytes(512 - len(header)) + bytes(range(256)) * 6)
    _stamp(legacy, source.received + dt.timedelta(hours=1), files, rows_per_file)
    errors["hostile_file"] += 1

    foreign = folder / "质量工作情况统计表.xlsx"
    write_atomically(foreign, _foreign_workbook(year))
    _stamp(foreign, dt.datetime(year, 7, 3, 10, 12, 5), files, rows_per_file)
    errors["foreign_workbook"] += 1


def _stamp(
    path: Path, received: dt.datetime, files: list[Path], rows_per_file: dict[Path, int]
) -> None:
    set_received(path, received)
    files.append(path)
    rows_per_file[path] = 0


def _entry(name: str) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(name, date_time=FIXED_TIMESTAMP.timetuple()[:6])
    entry.compress_type = zipfile.ZIP_DEFLATED
    return entry


def _with_macros(xlsx: bytes) -> bytes:
    """The workbook saved as .xlsm with a (dummy) VBA project, as Excel does."""
    target = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx)) as source,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml"
                ).replace(
                    b"<Default ",
                    b'<Default Extension="bin" '
                    b'ContentType="application/vnd.ms-office.vbaProject"/><Default ',
                    1,
                )
            archive.writestr(_entry(info.filename), data)
        vba = OLE2_MAGIC + b'Attribute VB_Name = "ThisWorkbook"\r\nSub Workbook_Open()\r\nEnd Sub'
        archive.writestr(_entry("xl/vbaProject.bin"), vba)
    return target.getvalue()


def _foreign_workbook(year: int) -> bytes:
    """A unit's own summary table sent instead of the template: no _meta sheet."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Sheet1"
    sheet.append([f"{year}年上半年质量工作情况统计表"])
    sheet.append(["序号", "工作内容", "完成情况", "备注"])
    sheet.append([1, "开展质量月活动", "已完成", ""])
    sheet.append([2, "企业质量主体责任培训", "进行中", "下半年继续"])
    sheet.append([3, "名牌产品培育", "进行中", ""])
    return workbook_bytes(workbook)
