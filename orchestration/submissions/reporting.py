"""Who reports what, for which period, by when: derived from the dbt seeds only
(ref_units, ref_task_units, ref_tasks, ref_kpi_catalogue, ref_reporting_periods).

A unit reports if it leads or shares a task, or owns a catalogue KPI sourced from
submissions. Collective rows (e.g. 市质量与名牌战略领导小组成员单位) name no one who could
sign a form, so they do not report; KPIs owned by 各县(市、区)政府 (GXSQZF) are reported by
each of the 11 county-level governments."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from orchestration.reference import load_seed, project_var

SUBMISSIONS_FEED = "submissions"
ALL_COUNTIES_OWNER = "GXSQZF"
YEAR_ON_YEAR_COMPARATORS = frozenset(
    {"increase_yoy", "decrease_yoy", "increase_pp_yoy", "increase_pct_yoy"}
)
_PERIOD_CODE = re.compile(r"^(\d{4})(Q[1-4]|Y)$")


@dataclass(frozen=True)
class ReportingPeriod:
    code: str  # e.g. 2015Q1, 2015Y
    year: int
    kind: str  # Q1..Q4 | Y
    label: str  # e.g. 2015年第一季度
    start: date
    end: date
    due: date
    is_annual: bool
    sort_order: int
    # Units owe this report: the plan was in force (see plan_issued_on and periods_owed).
    is_owed: bool


@dataclass(frozen=True)
class TaskLine:
    task_no: int
    content: str
    theme: str
    role: str  # lead | responsible
    deadline: date
    deadline_text: str


@dataclass(frozen=True)
class MetricLine:
    kpi_code: str
    kpi_name: str
    unit: str
    kind: str  # rate | ratio | boolean | count | rank
    comparator: str
    target_value: float | None
    definition: str
    numerator_label: str
    denominator_label: str
    scope: str

    @property
    def uses_fraction(self) -> bool:
        return self.kind in ("rate", "ratio")

    @property
    def compares_with_prior_year(self) -> bool:
        return self.comparator in YEAR_ON_YEAR_COMPARATORS


@dataclass(frozen=True)
class UnitForm:
    """Exactly what one unit reports for one period."""

    unit_code: str
    unit_name: str
    unit_short_name: str
    period: ReportingPeriod
    tasks: tuple[TaskLine, ...]
    metrics: tuple[MetricLine, ...]

    def asks_prior_value(self, metric: MetricLine) -> bool:
        """上年数值 is asked only on the annual report of a metric with a year-on-year target."""
        return self.period.is_annual and metric.compares_with_prior_year


def plan_issued_on() -> date:
    """The day the plan was issued (dbt var plan_issued_on): reports start with it."""
    return date.fromisoformat(str(project_var("plan_issued_on")))


def _owed(start: date, end: date, is_annual: bool) -> bool:
    """A quarter is owed when it began on or after the plan's issue; the annual summary of a
    year that ends after it (2015: only the 年度总结). Twin of int_submissions__periods.is_owed."""
    issued = plan_issued_on()
    return start >= issued or (is_annual and end >= issued)


def _mmdd(year: int, text: str) -> date:
    month, day = (int(part) for part in text.split("-"))
    return date(year, month, day)


def period(code: str) -> ReportingPeriod:
    """The reporting period named by a code such as 2015Q3 or 2015Y; ValueError otherwise."""
    match = _PERIOD_CODE.match(code.strip().upper())
    if not match:
        raise ValueError(f"'{code}' is not a reporting period (expected e.g. 2015Q1 or 2015Y)")
    year, kind = int(match.group(1)), match.group(2)
    row = next(r for r in load_seed("ref_reporting_periods") if r["period_kind"] == kind)
    start, end = _mmdd(year, row["period_start_mmdd"]), _mmdd(year, row["period_end_mmdd"])
    is_annual = row["is_annual"] == "true"
    return ReportingPeriod(
        code=f"{year}{kind}",
        year=year,
        kind=kind,
        label=f"{year}年{row['period_label']}",
        start=start,
        end=end,
        due=end + timedelta(days=int(row["due_days_after_end"])),
        is_annual=is_annual,
        sort_order=int(row["sort_order"]),
        is_owed=_owed(start, end, is_annual),
    )


def periods_for_year(year: int) -> tuple[ReportingPeriod, ...]:
    kinds = sorted(load_seed("ref_reporting_periods"), key=lambda r: int(r["sort_order"]))
    return tuple(period(f"{year}{r['period_kind']}") for r in kinds)


def task_deadline(seed_deadline: str, year: int) -> date:
    """The plan's tasks recur every assessment year with the same calendar deadline
    (2015-12-31, 年底, becomes 2016-12-31 in 2016); twin of dbt's macro task_deadline_in."""
    deadline = date.fromisoformat(seed_deadline)
    return deadline.replace(year=year + deadline.year - int(str(project_var("plan_year"))))


def metric_kind(unit: str, numerator: str) -> str:
    if unit == "是/否":
        return "boolean"
    if numerator:
        return "rate" if unit == "%" else "ratio"
    if unit == "位次":
        return "rank"
    return "count"


@cache
def units() -> dict[str, dict[str, str]]:
    return {row["unit_code"]: row for row in load_seed("ref_units")}


@cache
def _submission_kpis() -> tuple[dict[str, str], ...]:
    return tuple(r for r in load_seed("ref_kpi_catalogue") if r["source_feed"] == SUBMISSIONS_FEED)


def _is_county_government(unit_code: str) -> bool:
    return units()[unit_code]["unit_type"] == "county_government"


def _reports(unit_code: str) -> bool:
    return units()[unit_code]["unit_type"] != "collective"


@cache
def reporting_units() -> tuple[str, ...]:
    """Every unit that files a report, in seed order."""
    wanted = {r["unit_code"] for r in load_seed("ref_task_units")}
    wanted |= {r["owner_unit_code"] for r in _submission_kpis()}
    if ALL_COUNTIES_OWNER in wanted:
        wanted |= {code for code in units() if _is_county_government(code)}
    return tuple(code for code in units() if code in wanted and _reports(code))


def _metric_owned_by(row: dict[str, str], unit_code: str) -> bool:
    owner = row["owner_unit_code"]
    return owner == unit_code or (owner == ALL_COUNTIES_OWNER and _is_county_government(unit_code))


@cache
def form_for(unit_code: str, period_code: str) -> UnitForm:
    """The tasks and metrics one unit reports for one period; KeyError for a unit that
    does not report, ValueError for a bad period code."""
    if unit_code not in reporting_units():
        raise KeyError(f"unit '{unit_code}' does not report (not in ref_task_units or KPI owners)")
    when = period(period_code)
    tasks_by_no = {int(r["task_no"]): r for r in load_seed("ref_tasks")}
    tasks = tuple(
        TaskLine(
            task_no=int(r["task_no"]),
            content=tasks_by_no[int(r["task_no"])]["content"],
            theme=tasks_by_no[int(r["task_no"])]["task_theme"],
            role=r["role"],
            deadline=task_deadline(tasks_by_no[int(r["task_no"])]["deadline"], when.year),
            deadline_text=tasks_by_no[int(r["task_no"])]["deadline_text"],
        )
        for r in sorted(load_seed("ref_task_units"), key=lambda r: int(r["task_no"]))
        if r["unit_code"] == unit_code
    )
    metrics = tuple(
        MetricLine(
            kpi_code=r["kpi_code"],
            kpi_name=r["kpi_name"],
            unit=r["unit"],
            kind=metric_kind(r["unit"], r["numerator"]),
            comparator=r["comparator"],
            target_value=float(r["target_value"]) if r["target_value"] else None,
            definition=r["definition"],
            numerator_label=r["numerator"],
            denominator_label=r["denominator"],
            scope=r["scope"],
        )
        for r in _submission_kpis()
        if _metric_owned_by(r, unit_code)
    )
    unit = units()[unit_code]
    return UnitForm(unit_code, unit["full_name"], unit["short_name"], when, tasks, metrics)


def forms_for(year: int, period_codes: list[str] | None = None) -> list[UnitForm]:
    """Every unit's form for the year's owed periods (all of them, or those named); ValueError
    for a period code that is not one of the year's or is not owed (before the plan)."""
    periods = tuple(p for p in periods_for_year(year) if p.is_owed)
    unknown = set(period_codes or ()) - {p.code for p in periods}
    if unknown:
        raise ValueError(
            f"not periods of {year} for which a report is owed (the plan was issued on "
            f"{plan_issued_on()}): {', '.join(sorted(unknown))}"
        )
    wanted = [p for p in periods if not period_codes or p.code in period_codes]
    return [form_for(unit, p.code) for p in wanted for unit in reporting_units()]


def all_forms(years: list[int] | tuple[int, ...]) -> list[UnitForm]:
    return [form for year in years for form in forms_for(year)]
