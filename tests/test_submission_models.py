"""The dbt models of the submissions feed on a hand-made fixture, built with the real `dbt build`
into a DuckDB file in a temporary folder: obligations (against reporting.py), versions and the
current version, timeliness, task progress and status, KPI values, and the two GX suites.

Every expectation below is computed here in Python from the fixture, not read from the models."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration import settings
from orchestration.ingest.contract import feed_names, load_contract
from orchestration.ingest.loader import ensure_tables
from orchestration.quality.gx_validation import (
    SuiteOutcome,
    read_duckdb_table,
    validate_dataframe,
    validate_duckdb_table,
)
from orchestration.reference import load_seed, project_var
from orchestration.submissions import reporting
from orchestration.submissions.intake import process_file
from orchestration.submissions.landing import LOCAL_TIME
from orchestration.submissions.store import ensure_submission_tables
from tests.feed_helpers import FeedWarehouse
from tests.submission_helpers import complete, write

# var as_of_date: 2015Y and 2016Q1–Q4 are due, 2016Y (due 2017-01-20) is not yet. 2015 owes only
# its 年度总结: the plan was issued on 2015-12-09.
AS_OF = date(2017, 1, 15)
YEARS = (2015, 2016)
COUNTIES = [row["county_code"] for row in load_seed("ref_counties")]
SUITES = {
    name: settings.EXPECTATIONS_DIR / f"{name}.json"
    for name in ("stg_raw__submission_metric_values", "stg_raw__submission_task_progress")
}
KINDS = {
    row["kpi_code"]: reporting.metric_kind(row["unit"], row["numerator"])
    for row in load_seed("ref_kpi_catalogue")
}
CATALOGUE = {row["kpi_code"]: row for row in load_seed("ref_kpi_catalogue")}
BUILT_MODELS = (  # every model the tests read (fct_city_targets: every KPI model upstream)
    "fct_city_targets",
    "fct_submission_timeliness",
    "fct_submission_versions",
    "fct_task_progress",
    "fct_task_status",
    "int_kpi_lineage__submitted_metrics",
    "int_submissions__obligations",
    "dim_assessment_years",
    "stg_raw__submission_task_progress",
)


# --------------------------------------------------------------------------- the fixture


@dataclass
class Version:
    label: str
    unit: str | None
    period: str | None
    received_at: datetime
    status: str
    tasks: dict[int, dict[str, object]] = field(default_factory=dict)
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    quarantined: int = 0

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.label.encode()).hexdigest()


def task(status: str, percent: float | None, completed_on: date | None = None) -> dict:
    return {"status": status, "percent_complete": percent, "completed_on": completed_on}


def value(number: float) -> dict[str, float]:
    return {"value": number}


def fraction(numerator: float, denominator: float, prior: float | None = None) -> dict[str, float]:
    """A rate or ratio; prior is the 上年数值 the unit reports (year-on-year KPIs)."""
    entry = {"numerator": numerator, "denominator": denominator}
    if prior is not None:
        entry["prior"] = prior
    return entry


def fixture_versions() -> list[Version]:
    at = datetime
    versions = [
        # 市质监局 2016Q1: on time but returned, corrected two days late -> late
        Version(
            "SZJJ-Q1-a",
            "SZJJ",
            "2016Q1",
            at(2016, 4, 8, 10),
            "returned",
            tasks={7: task("进行中", 20)},
            quarantined=1,
        ),
        Version(
            "SZJJ-Q1-b",
            "SZJJ",
            "2016Q1",
            at(2016, 4, 12, 9),
            "accepted",
            tasks={3: task("未开始", 0), 7: task("进行中", 25), 14: task("未开始", 0)},
        ),
        # 2016Q2: the last second of the due date is on time; quarterly values never count
        Version(
            "SZJJ-Q2",
            "SZJJ",
            "2016Q2",
            at(2016, 7, 10, 23, 59, 59),
            "accepted",
            tasks={3: task("进行中", 20), 7: task("进行中", 50), 14: task("逾期", 30)},
            metrics={"NEW_MEASUREMENT_STANDARDS": value(10)},
        ),
        # 2016Q3: nothing at all -> missing; 2016Q4: only a returned version -> missing
        Version("SZJJ-Q4", "SZJJ", "2016Q4", at(2017, 1, 5, 8), "returned", quarantined=2),
        # 2015Q1: not owed (before the plan), sent anyway: kept as a version, judged nowhere
        Version(
            "SZJJ-2015Q1",
            "SZJJ",
            "2015Q1",
            at(2015, 4, 8, 10),
            "accepted",
            tasks={7: task("进行中", 10)},
        ),
        # 2015Y: accepted on time, corrected after the due date (v2 current), then a returned v3
        Version(
            "SZJJ-Y-1",
            "SZJJ",
            "2015Y",
            at(2016, 1, 15, 16),
            "accepted",
            tasks={3: task("进行中", 90)},
            metrics={
                "NEW_MEASUREMENT_STANDARDS": value(25),
                "INTL_STANDARD_ADOPTION_RATE": fraction(40, 60, prior=60),
            },
        ),
        Version(
            "SZJJ-Y-2",
            "SZJJ",
            "2015Y",
            at(2016, 1, 25, 9),
            "accepted",
            tasks={
                3: task("已完成", 100, date(2015, 11, 30)),
                7: task("进行中", 80),
                14: task("已完成", 100, date(2015, 12, 20)),
            },
            metrics={
                "NEW_MEASUREMENT_STANDARDS": value(32),
                # 上年数值 70: the plan's first year can be judged (75 vs 70: +7.1 % >= 5)
                "INTL_STANDARD_ADOPTION_RATE": fraction(45, 60, prior=70),
                "QUALITY_ANALYSIS_REPORT": value(1),
                "MFG_QCI_PROVINCE_RANK": value(5),
            },
        ),
        Version(
            "SZJJ-Y-3",
            "SZJJ",
            "2015Y",
            at(2016, 1, 28, 9),
            "returned",
            metrics={"NEW_MEASUREMENT_STANDARDS": value(99)},
            quarantined=1,
        ),
        # a mistyped 2099Q1 must not add years
        Version("SZJJ-2099Q1", "SZJJ", "2099Q1", at(2016, 2, 1, 9), "returned", quarantined=1),
        # not a submission workbook: no unit, no period
        Version("junk", None, None, at(2015, 5, 1, 12), "rejected"),
    ]
    # every county government files its 2015 annual report on time
    qms = {"131002": (20, 100), "131003": (30, 50), "131081": (30, 100)}  # only three report it
    meetings = {"131002": 2, "131003": 4, "131081": 3}
    for county in COUNTIES:
        metrics = {
            "COUNTY_ANNUAL_WORK_PLAN": value(0 if county == "131025" else 1),
            "COUNTY_QUALITY_FUNDING": value(1),
        }
        if county in qms:
            metrics["QMS_CERT_RATE_INCREASE"] = fraction(*qms[county])
            metrics["COUNTY_QUALITY_MEETINGS"] = value(meetings[county])
        if county == "131081":
            metrics["BAZHOU_NATIONAL_BRAND_ZONE_APPLICATION"] = value(1)
        tasks = {
            1: task("已完成", 100, date(2015, 12, 20)),
            18: task("已完成", 100, date(2015, 12, 25))
            if county == "131081"
            else task("进行中", 60),
        }
        versions.append(
            Version(
                f"GOV-{county}-Y",
                f"GOV_{county}",
                "2015Y",
                at(2016, 1, 18, 10),
                "accepted",
                tasks=tasks,
                metrics=metrics,
            )
        )
    return versions


def metric_row(kpi_code: str, entry: dict[str, float]) -> dict[str, object]:
    kind = KINDS[kpi_code]
    if kind in ("rate", "ratio"):
        numerator, denominator = entry["numerator"], entry["denominator"]
        number = numerator / denominator * (100 if kind == "rate" else 1)
        return {
            "metric_kind": kind,
            "value": number,
            "value_entered": None,
            "numerator": numerator,
            "denominator": denominator,
            "prior_value": entry.get("prior"),
        }
    return {
        "metric_kind": kind,
        "value": entry["value"],
        "value_entered": entry["value"],
        "numerator": None,
        "denominator": None,
        "prior_value": entry.get("prior"),
    }


def insert_fixture(conn: duckdb.DuckDBPyConnection, versions: list[Version]) -> None:
    loaded_at = datetime(2017, 1, 15, 0, 0)

    def lineage(version: Version, sheet: str, row: int) -> dict[str, object]:
        return {
            "_source_file": f"{version.label}.xlsx",
            "_source_sha256": version.sha256,
            "_source_sheet": sheet,
            "_source_row": row,
            "_raw_record": "{}",
            "_loaded_at": loaded_at,
        }

    def insert(table: str, record: dict[str, object]) -> None:
        names = ", ".join(record)
        marks = ", ".join("?" for _ in record)
        conn.execute(f"insert into {table} ({names}) values ({marks})", list(record.values()))

    for v in versions:
        readable = v.status != "rejected"
        loaded = (1 + len(v.tasks) + len(v.metrics)) if readable else 0
        insert(
            "raw.submission_versions",
            {
                "sha256": v.sha256,
                "source_file": f"{v.label}.xlsx",
                "file_bytes": 20_000,
                "received_at": v.received_at,
                "ingested_at": loaded_at,
                "template_version": "2015.1" if readable else None,
                "unit_code": v.unit,
                "period_code": v.period,
                "status": v.status,
                "rows_read": loaded + v.quarantined,
                "rows_loaded": loaded,
                "rows_quarantined": v.quarantined,
                "problem_count": v.quarantined + (v.status == "rejected"),
                "file_problems": "[]",
                "reason": None if v.status == "accepted" else "fixture",
                "feedback_path": None,
                "stored_path": None,
            },
        )
        if not readable:
            continue
        insert(
            "raw.submission_covers",
            {
                "unit_code": v.unit,
                "period_code": v.period,
                "reporting_unit_name": v.unit,
                "period_label": v.period,
                "filled_by": "张三",
                "phone": "03162345678",
                "reviewed_by": "李四",
                "filled_on": v.received_at.date(),
                **lineage(v, "封面", 5),
            },
        )
        for row, (task_no, entry) in enumerate(sorted(v.tasks.items()), start=4):
            role = next(
                r["role"]
                for r in load_seed("ref_task_units")
                if int(r["task_no"]) == task_no and r["unit_code"] == v.unit
            )
            insert(
                "raw.submission_task_progress",
                {
                    "unit_code": v.unit,
                    "period_code": v.period,
                    "task_no": task_no,
                    "role": role,
                    "progress_text": "进展",
                    "evidence": None,
                    **entry,
                    **lineage(v, "任务进展", row),
                },
            )
        for row, (kpi_code, entry) in enumerate(sorted(v.metrics.items()), start=4):
            insert(
                "raw.submission_metric_values",
                {
                    "unit_code": v.unit,
                    "period_code": v.period,
                    "kpi_code": kpi_code,
                    "note": None,
                    **metric_row(kpi_code, entry),
                    **lineage(v, "指标填报", row),
                },
            )


@dataclass(frozen=True)
class Built:
    warehouse: Path
    versions: list[Version]
    dbt_seconds: float
    intake_sha256: str

    def query(self, sql: str, params: list[object] | None = None) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as conn:
            return conn.execute(sql, params or []).fetchall()

    def records(self, sql: str) -> list[dict[str, object]]:
        with duckdb.connect(str(self.warehouse), read_only=True) as conn:
            cursor = conn.execute(sql)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    workdir = tmp_path_factory.mktemp("submission-models")
    env = {**os.environ, **settings.environment_for(workdir)}
    warehouse = Path(env["LQ_WAREHOUSE"])
    warehouse.parent.mkdir(parents=True)
    versions = fixture_versions()
    conn = duckdb.connect(str(warehouse))
    try:
        for feed in feed_names():  # the other sources must exist too
            ensure_tables(conn, load_contract(feed))
        ensure_submission_tables(conn)
        insert_fixture(conn, versions)
        # one real workbook through the real intake: the staged columns fit what it writes
        raw_dir = workdir / "raw"
        form = reporting.form_for("SGSJ", "2015Y")
        path = write(complete(form), raw_dir / "submissions" / "2015Y_SGSJ.xlsx")
        landed = datetime(2016, 1, 19, 10, 0, tzinfo=LOCAL_TIME).timestamp()
        os.utime(path, (landed, landed))
        report = process_file(conn, path, raw_dir, workdir / "store", workdir / "feedback")
        assert report.status == "accepted", report.problems
    finally:
        conn.close()
    started = time.perf_counter()
    # the models asserted on below, with everything upstream and their data tests
    FeedWarehouse(workdir).build(*BUILT_MODELS, dbt_vars={"as_of_date": str(AS_OF)})
    seconds = time.perf_counter() - started
    print(f"dbt build on the submission fixture: {seconds:.1f} s")
    return Built(warehouse, versions, seconds, report.sha256)


def all_versions(built: Built) -> list[Version]:
    """The fixture plus the real workbook, as far as timeliness and versions are concerned."""
    intake = Version("intake", "SGSJ", "2015Y", datetime(2016, 1, 19, 10), "accepted")
    return [*built.versions, intake]


# --------------------------------------------------------------------------- obligations


def test_obligations_are_the_python_forms(built: Built) -> None:
    years = [
        row[0]
        for row in built.query("select assessment_year from marts.dim_assessment_years order by 1")
    ]
    assert years == list(YEARS)  # 2016Q1 adds 2016; the mistyped 2099Q1 adds nothing

    rows = built.query("""
        select unit_code, period_code, unit_name, period_label, due_date, task_count, metric_count
        from intermediate.int_submissions__obligations""")
    sql = {(r[0], r[1]): r[2:] for r in rows}
    assert len(sql) == len(rows)
    forms = reporting.all_forms(list(YEARS))
    python = {
        (f.unit_code, f.period.code): (
            f.unit_name,
            f.period.label,
            f.period.due,
            len(f.tasks),
            len(f.metrics),
        )
        for f in forms
    }
    assert set(sql) == set(python)
    assert sql == python


# --------------------------------------------------------------------------- versions


def test_version_numbers_and_the_current_version(built: Built) -> None:
    rows = built.records("""
        select sha256, version_no, accepted_version_no, is_current, is_first_accepted,
            current_sha256, versions_in_period, cover_rows, task_rows, metric_rows
        from marts.fct_submission_versions""")
    by_sha = {r["sha256"]: r for r in rows}
    versions = built.versions
    assert set(by_sha) == {v.sha256 for v in versions} | {built.intake_sha256}

    groups: dict[tuple[str, str], list[Version]] = defaultdict(list)
    for v in versions:
        if v.unit and v.period:
            groups[(v.unit, v.period)].append(v)
    for group in groups.values():
        ordered = sorted(group, key=lambda v: (v.received_at, v.sha256))
        accepted = [v for v in ordered if v.status == "accepted"]
        current = accepted[-1].sha256 if accepted else None
        for number, v in enumerate(ordered, start=1):
            row = by_sha[v.sha256]
            assert row["version_no"] == number, v.label
            assert row["versions_in_period"] == len(ordered), v.label
            assert row["is_current"] == (v.sha256 == current), v.label
            assert row["current_sha256"] == current, v.label
            assert row["is_first_accepted"] == bool(accepted and v is accepted[0]), v.label
            assert row["task_rows"] == len(v.tasks) and row["metric_rows"] == len(v.metrics)
    junk = next(v for v in versions if v.label == "junk")
    assert by_sha[junk.sha256]["version_no"] is None
    assert by_sha[junk.sha256]["is_current"] is False
    # the annual report: v2 is current, though a returned v3 came later
    y2 = next(v for v in versions if v.label == "SZJJ-Y-2")
    assert by_sha[y2.sha256]["is_current"] and by_sha[y2.sha256]["version_no"] == 2


def test_version_periods_and_clocks(built: Built) -> None:
    rows = built.records("""
        select sha256, period_code, period_label, due_date, received_at, ingested_at,
            ingested_at_beijing
        from marts.fct_submission_versions""")
    for row in rows:
        # labels and due dates as reporting.period() has them, for a period outside the
        # assessment years too (the mistyped 2099Q1); none for the rejected file
        if row["period_code"] is None:
            assert (row["period_label"], row["due_date"]) == (None, None)
        else:
            period = reporting.period(row["period_code"])
            assert (row["period_label"], row["due_date"]) == (period.label, period.due)
        # ingested_at is naive UTC; ingested_at_beijing is on received_at's clock (UTC+8)
        as_utc = row["ingested_at"].replace(tzinfo=UTC)
        assert row["ingested_at_beijing"] == as_utc.astimezone(LOCAL_TIME).replace(tzinfo=None)
    labels = {r["period_code"]: r["period_label"] for r in rows}
    assert labels["2099Q1"] == "2099年第一季度"


# --------------------------------------------------------------------------- timeliness


def expected_timeliness(versions: list[Version]) -> dict[tuple[str, str], tuple]:
    """(timeliness, days_late, versions, returned) for every obligation, from the fixture."""
    expected = {}
    for form in reporting.all_forms(list(YEARS)):
        key = (form.unit_code, form.period.code)
        mine = [v for v in versions if (v.unit, v.period) == key]
        accepted = sorted(v.received_at for v in mine if v.status == "accepted")
        returned = sum(v.status == "returned" for v in mine)
        if accepted:
            days = (accepted[0].date() - form.period.due).days
            state = ("on_time", 0) if days <= 0 else ("late", days)
        elif form.period.due < AS_OF:
            state = ("missing", None)
        else:
            state = ("not_due", None)
        expected[key] = (*state, len(mine), returned)
    return expected


def test_timeliness_of_every_obligation(built: Built) -> None:
    rows = built.query("""
        select unit_code, period_code, timeliness, days_late, versions_count, returned_count
        from marts.fct_submission_timeliness""")
    actual = {(r[0], r[1]): r[2:] for r in rows}
    assert actual == expected_timeliness(all_versions(built))


def test_timeliness_cases_named(built: Built) -> None:
    rows = built.records("""
        select period_code, timeliness, timeliness_label, days_late, has_returned_version,
            timeliness_note, current_sha256
        from marts.fct_submission_timeliness where unit_code = 'SZJJ'""")
    by_period = {r["period_code"]: r for r in rows}
    sha = {v.label: v.sha256 for v in built.versions}
    q1, q2, q3, q4 = (by_period[f"2016{p}"] for p in ("Q1", "Q2", "Q3", "Q4"))
    y = by_period["2015Y"]
    # nothing is owed before the plan was issued (2015-12-09): 2015's only report is 2015Y,
    # and the 2015Q1 report sent anyway is judged nowhere
    assert not {f"2015{p}" for p in ("Q1", "Q2", "Q3", "Q4")} & set(by_period)
    assert (q1["timeliness"], q1["timeliness_label"], q1["days_late"]) == ("late", "逾期报送", 2)
    assert q1["timeliness_note"] == "按期报送但被退回，修改后的版本逾期受理"
    assert q1["current_sha256"] == sha["SZJJ-Q1-b"]
    assert (q2["timeliness"], q2["timeliness_label"], q2["days_late"]) == ("on_time", "按时", 0)
    assert (q3["timeliness"], q3["timeliness_label"]) == ("missing", "未报送")
    assert q3["timeliness_note"] == "未收到报送表" and not q3["has_returned_version"]
    assert q4["timeliness"] == "missing" and q4["has_returned_version"]
    assert q4["timeliness_note"].startswith("已报送1个版本") and q4["current_sha256"] is None
    # judged on the first accepted version; the current one is the later correction
    assert y["timeliness"] == "on_time" and y["current_sha256"] == sha["SZJJ-Y-2"]
    assert by_period["2016Y"]["timeliness"] == "not_due"
    assert by_period["2016Y"]["timeliness_label"] == "未到期"
    assert "2099Q1" not in by_period


# --------------------------------------------------------------------------- task progress


def test_task_progress_uses_the_current_version_and_flags_overdue(built: Built) -> None:
    rows = built.records("""
        select task_no, unit_code, period_code, role, deadline, report_state, status,
            percent_complete, is_overdue, completed_late, is_latest_period
        from marts.fct_task_progress""")
    by_key = {(r["task_no"], r["unit_code"], r["period_code"]): r for r in rows}

    # one row per task x non-collective unit x period
    units = {u["unit_code"]: u for u in load_seed("ref_units")}
    pairs = [
        (int(r["task_no"]), r["unit_code"], r["role"])
        for r in load_seed("ref_task_units")
        if units[r["unit_code"]]["unit_type"] != "collective"
    ]
    periods = [p.code for year in YEARS for p in reporting.periods_for_year(year) if p.is_owed]
    assert len(rows) == len(pairs) * len(periods)

    current: dict[tuple[str, str], Version] = {}
    for v in sorted(built.versions, key=lambda v: (v.received_at, v.sha256)):
        if v.status == "accepted":
            current[(v.unit, v.period)] = v
    for task_no, unit, role in pairs:
        for code in periods:
            row = by_key[(task_no, unit, code)]
            period = reporting.period(code)
            deadline = date(period.year, 12, 31)
            assert row["role"] == role and row["deadline"] == deadline
            version = current.get((unit, code))
            entry = version.tasks.get(task_no) if version else None
            if unit == "SGSJ" and code == "2015Y":
                continue  # the real workbook: every task 已完成
            if entry is None:
                assert row["report_state"] == "not_reported" and row["status"] is None
                assert row["is_overdue"] is None
                continue
            overdue = entry["status"] == "逾期" or (
                entry["status"] != "已完成" and period.end >= deadline
            )
            assert row["report_state"] == "reported"
            assert (row["status"], row["percent_complete"]) == (
                entry["status"],
                entry["percent_complete"],
            ), (task_no, unit, code)
            assert row["is_overdue"] == overdue, (task_no, unit, code)
    # named cases
    assert by_key[(7, "SZJJ", "2016Q1")]["percent_complete"] == 25  # not the returned 20
    assert by_key[(7, "SZJJ", "2016Q2")]["is_overdue"] is False
    assert by_key[(14, "SZJJ", "2016Q2")]["is_overdue"] is True  # reported 逾期
    assert (7, "SZJJ", "2015Q1") not in by_key  # not owed
    assert by_key[(7, "SZJJ", "2015Y")]["is_overdue"] is True  # 进行中 at the year's end
    assert by_key[(3, "SZJJ", "2015Y")]["completed_late"] is False
    latest = {
        code
        for (t, u, code), r in by_key.items()
        if u == "SZJJ" and t == 3 and r["is_latest_period"]
    }
    assert latest == {"2015Y", "2016Q2"}


def test_task_status_per_task_and_year(built: Built) -> None:
    rows = built.records("""
        select task_no, assessment_year, overall_status, lead_units, responsible_units,
            units_obligated, units_reported, units_completed, units_overdue, latest_period_code,
            avg_percent_complete
        from marts.fct_task_status""")
    by_key = {(r["task_no"], r["assessment_year"]): r for r in rows}
    assert len(rows) == 18 * len(YEARS)
    assert by_key[(1, 2015)]["overall_status"] == "已完成"  # all 11 lead counties completed
    assert by_key[(1, 2015)]["units_completed"] == 11
    assert by_key[(18, 2015)]["overall_status"] == "逾期"  # 10 counties 进行中 at year end
    assert by_key[(18, 2015)]["units_overdue"] == 10
    assert by_key[(18, 2015)]["responsible_units"] == "市质量与名牌战略领导小组成员单位"
    assert by_key[(14, 2015)]["overall_status"] == "已完成"
    assert by_key[(7, 2015)]["overall_status"] == "逾期"
    # one of four lead units completed, none overdue
    task3 = by_key[(3, 2015)]
    assert task3["overall_status"] == "进行中"
    assert (task3["units_obligated"], task3["units_reported"]) == (4, 1)
    assert task3["lead_units"] == "市建设局、市旅游局、市统计局、市质监局"
    assert by_key[(5, 2015)]["overall_status"] == "未报送"
    assert by_key[(3, 2016)]["overall_status"] == "进行中"  # 未开始 in 2016Q1, 20 % in Q2
    assert by_key[(3, 2016)]["latest_period_code"] == "2016Q2"
    # 18: one at 100, ten at 60
    assert by_key[(18, 2015)]["avg_percent_complete"] == pytest.approx((100 + 10 * 60) / 11, 0.01)


# --------------------------------------------------------------------------- KPI values


def test_kpi_values_from_the_current_annual_reports(built: Built) -> None:
    rows = built.query("""
        select kpi_code, kpi_year, scope_type, scope_code, numerator, denominator,
            actual_value, source_rows
        from intermediate.int_kpi__submitted_metrics""")
    actual = {(r[0], r[1], r[2], r[3]): r[4:] for r in rows}

    expected: dict[tuple, tuple] = {}
    city = "131000"
    # 市质监局: the current annual version (v2), never the quarterly, v1 or returned v3 values
    expected[("NEW_MEASUREMENT_STANDARDS", 2015, "city", city)] = (None, None, 32, 1)
    expected[("INTL_STANDARD_ADOPTION_RATE", 2015, "city", city)] = (45, 60, 75.0, 1)
    expected[("QUALITY_ANALYSIS_REPORT", 2015, "city", city)] = (None, None, 1, 1)
    expected[("MFG_QCI_PROVINCE_RANK", 2015, "city", city)] = (None, None, 5, 1)
    # the real workbook of 市工商局 (tests/submission_helpers.complete): 12 trademarks
    for metric in reporting.form_for("SGSJ", "2015Y").metrics:
        expected[(metric.kpi_code, 2015, "city", city)] = {
            "count": (None, None, 12, 1),
            "rank": (None, None, 3, 1),
            "boolean": (None, None, 1, 1),
            "rate": (45, 50, 90.0, 1),
            "ratio": (45, 50, 0.9, 1),
        }[metric.kind]
    # counties: one row each; the city takes the weakest county when all 11 reported ...
    work_plan = {c: (0 if c == "131025" else 1) for c in COUNTIES}
    for county in COUNTIES:
        expected[("COUNTY_ANNUAL_WORK_PLAN", 2015, "county", county)] = (
            None,
            None,
            work_plan[county],
            1,
        )
        expected[("COUNTY_QUALITY_FUNDING", 2015, "county", county)] = (None, None, 1, 1)
    expected[("COUNTY_ANNUAL_WORK_PLAN", 2015, "city", city)] = (None, None, 0, 11)
    expected[("COUNTY_QUALITY_FUNDING", 2015, "city", city)] = (None, None, 1, 11)
    # ... no city value when some did not (meetings: 3 of 11) ...
    qms = {"131002": (20, 100), "131003": (30, 50), "131081": (30, 100)}
    meetings = {"131002": 2, "131003": 4, "131081": 3}
    for county, (numerator, denominator) in qms.items():
        expected[("QMS_CERT_RATE_INCREASE", 2015, "county", county)] = (
            numerator,
            denominator,
            100 * numerator / denominator,
            1,
        )
        expected[("COUNTY_QUALITY_MEETINGS", 2015, "county", county)] = (
            None,
            None,
            meetings[county],
            1,
        )
    # ... and neither for a pooled rate (3 of 11 reported: 80/250 would describe those 3 only)
    # a KPI owned by one county government: its county row and the city row
    expected[("BAZHOU_NATIONAL_BRAND_ZONE_APPLICATION", 2015, "county", "131081")] = (
        None,
        None,
        1,
        1,
    )
    expected[("BAZHOU_NATIONAL_BRAND_ZONE_APPLICATION", 2015, "city", city)] = (None, None, 1, 1)

    assert set(actual) == set(expected)
    for key, (numerator, denominator, value_, source_rows) in expected.items():
        got = actual[key]
        assert got[0] == numerator and got[1] == denominator, key
        assert got[2] == pytest.approx(value_), key
        assert got[3] == source_rows, key

    # 上年数值: from the current annual version (70, not v1's 60), none where not reported
    priors = dict(
        built.query("""
            select kpi_code, reported_prior_value from intermediate.int_kpi__submitted_metrics
            where kpi_year = 2015 and scope_type = 'city'
                and kpi_code in ('INTL_STANDARD_ADOPTION_RATE', 'MFG_QCI_PROVINCE_RANK')""")
    )
    assert priors == {"INTL_STANDARD_ADOPTION_RATE": 70.0, "MFG_QCI_PROVINCE_RANK": None}


LINEAGE = """
    select files.source_file, lineage.source_row
    from intermediate.int_kpi_lineage__submitted_metrics as lineage
    inner join {files} as files on files.sha256 = lineage.source_sha256
    where lineage.kpi_code = ? and lineage.kpi_year = 2015 and lineage.scope_code = '131000'"""


def test_lineage_lists_the_metric_rows_of_a_value(built: Built) -> None:
    """Metric rows are written from row 4, in kpi_code order (insert_fixture)."""
    # the weakest county's 年度工作计划: one row per county government's annual report, row 4,
    # row 5 in 霸州市's (BAZHOU_NATIONAL_BRAND_ZONE_APPLICATION sorts first)
    work_plan = built.query(
        LINEAGE.format(files="raw.submission_versions"), ["COUNTY_ANNUAL_WORK_PLAN"]
    )
    assert sorted(work_plan) == sorted(
        (f"GOV-{county}-Y.xlsx", 5 if county == "131081" else 4) for county in COUNTIES
    )
    # 市质监局's rate: the current v2 only, never v1, the returned v3 or a quarterly report
    rate = built.query(
        LINEAGE.format(files="raw.submission_versions"), ["INTL_STANDARD_ADOPTION_RATE"]
    )
    assert rate == [("SZJJ-Y-2.xlsx", 4)]
    # the real workbook through the real intake, named in raw.ingested_files
    files = "(select * from raw.ingested_files where feed = 'submissions')"
    trademarks = built.query(LINEAGE.format(files=files), ["PROV_FAMOUS_TRADEMARKS"])
    assert trademarks == [("submissions/2015Y_SGSJ.xlsx", 4)]


def test_city_targets_show_submitted_kpis_and_say_why_others_are_empty(built: Built) -> None:
    rows = built.records("""
        select kpi_code, assessment_year, actual_value, prior_year_value, prior_value_source,
            status, data_note, source_rows
        from marts.fct_city_targets""")
    by_key = {(r["kpi_code"], r["assessment_year"]): r for r in rows}
    assert len(rows) == len(CATALOGUE) * len(YEARS)
    measurement = by_key[("NEW_MEASUREMENT_STANDARDS", 2015)]  # gte 30
    assert (measurement["actual_value"], measurement["status"]) == (32, "met")
    assert measurement["data_note"] is None
    assert by_key[("COUNTY_ANNUAL_WORK_PLAN", 2015)]["status"] == "not_met"  # 大城 said 否
    assert by_key[("COUNTY_QUALITY_FUNDING", 2015)]["status"] == "met"
    assert by_key[("QUALITY_ANALYSIS_REPORT", 2015)]["status"] == "met"
    assert by_key[("PROV_FAMOUS_TRADEMARKS", 2015)]["status"] == "met"  # 12 >= 10
    # increase_pct_yoy in the plan's first year: judged against the reported 上年数值
    adoption = by_key[("INTL_STANDARD_ADOPTION_RATE", 2015)]
    assert adoption["actual_value"] == pytest.approx(75.0)
    assert (adoption["prior_year_value"], adoption["prior_value_source"]) == (70, "reported")
    assert adoption["status"] == "met" and adoption["data_note"] is None  # +7.1 % >= 5 %
    # decrease_yoy with neither a 2014 value nor a reported 上年数值: a value, but no verdict
    rank = by_key[("MFG_QCI_PROVINCE_RANK", 2015)]
    assert rank["actual_value"] == 5 and rank["status"] == "no_data"
    assert (rank["prior_year_value"], rank["prior_value_source"]) == (None, None)
    assert rank["data_note"] == "暂无判定：同比指标缺少上年数值"
    meetings = by_key[("COUNTY_QUALITY_MEETINGS", 2015)]
    assert meetings["actual_value"] is None and meetings["status"] == "no_data"
    assert meetings["data_note"] == "暂无数据：尚有县级单位的本年度年度总结未报送或未受理"
    unreported = by_key[("TOURISM_BLACKLIST_SYSTEM", 2015)]  # 市旅游局 never reported
    assert unreported["data_note"] == "暂无数据：责任单位的本年度年度总结未报送或未受理"
    assert by_key[("NEW_MEASUREMENT_STANDARDS", 2016)]["actual_value"] is None  # Q1 only
    spot = by_key[("FOOD_SAMPLING_FAIL_DETECTION_RATE", 2015)]
    assert spot["data_note"] == "暂无数据：指标尚未接入（数据源 spot_checks）"


# --------------------------------------------------------------------------- GX suites


def test_gx_suites_pass_on_the_fixture(built: Built) -> None:
    for name, suite in SUITES.items():
        outcome = validate_duckdb_table(built.warehouse, f"staging.{name}", suite)
        assert outcome.success, [o for o in outcome.outcomes if not o.success]
        assert outcome.row_count > 0
        notes = [o.notes or "" for o in outcome.outcomes]
        assert all(" / " in n and any("\u4e00" <= c <= "\u9fff" for c in n) for n in notes)


def test_gx_suites_pass_on_empty_tables() -> None:
    for name, suite in SUITES.items():
        outcome = validate_dataframe(staged_frame(name, []), suite)
        assert outcome.success, [o for o in outcome.outcomes if not o.success]


def staged_frame(name: str, rows: list[dict[str, object]]) -> pd.DataFrame:
    columns = {
        "stg_raw__submission_metric_values": [
            "unit_code",
            "period_code",
            "period_year",
            "period_kind",
            "kpi_code",
            "metric_kind",
            "metric_value",
            "value_entered",
            "numerator",
            "denominator",
            "note",
        ],
        "stg_raw__submission_task_progress": [
            "unit_code",
            "period_code",
            "period_year",
            "period_kind",
            "task_no",
            "role",
            "status",
            "percent_complete",
            "progress_text",
            "evidence",
            "completed_on",
        ],
    }[name] + ["source_sha256", "source_file", "source_sheet", "source_row", "loaded_at"]
    frame = pd.DataFrame(rows, columns=columns)
    for column in ("metric_value", "value_entered", "numerator", "denominator", "percent_complete"):
        if column in frame:
            frame[column] = frame[column].astype("float64")
    for column in ("task_no", "period_year", "source_row"):
        if column in frame:
            frame[column] = frame[column].astype("int64")
    if "completed_on" in frame:
        frame["completed_on"] = pd.to_datetime(frame["completed_on"])
    frame["loaded_at"] = pd.to_datetime(frame["loaded_at"])
    return frame


def failures(outcome: SuiteOutcome) -> set[tuple[str, str | None]]:
    return {(o.expectation_type, o.column) for o in outcome.failed_outcomes}


def test_gx_metric_suite_names_bad_rows(built: Built) -> None:
    good = read_duckdb_table(built.warehouse, "staging.stg_raw__submission_metric_values")
    suite = SUITES["stg_raw__submission_metric_values"]
    assert validate_dataframe(good, suite).success
    bad = good.copy()
    rate = bad.index[bad["metric_kind"] == "rate"][0]
    boolean = bad.index[bad["metric_kind"] == "boolean"][0]
    bad.loc[rate, ["numerator", "denominator", "metric_value"]] = [70, 60, 116.7]
    bad.loc[boolean, "metric_value"] = 2
    bad.loc[bad.index[0], "kpi_code"] = "MFG_PASS_RATE"  # spot-check KPI, not reported
    bad.loc[bad.index[1], "period_code"] = "2015H1"
    bad = pd.concat([bad, bad.iloc[[2]]], ignore_index=True)  # the same line twice
    outcome = validate_dataframe(bad, suite)
    assert failures(outcome) == {
        ("expect_column_values_to_be_in_set", "kpi_code"),
        ("expect_column_values_to_match_regex", "period_code"),
        ("expect_compound_columns_to_be_unique", "source_sha256, kpi_code"),
        ("expect_column_values_to_be_between", "metric_value where metric_kind == 'rate'"),
        ("expect_column_values_to_be_in_set", "metric_value where metric_kind == 'boolean'"),
        (
            "expect_column_pair_values_a_to_be_greater_than_b",
            "denominator, numerator where metric_kind == 'rate'",
        ),
    }


def test_gx_task_suite_names_bad_rows() -> None:
    base = {
        "unit_code": "SZJJ",
        "period_code": "2015Y",
        "period_year": 2015,
        "period_kind": "Y",
        "role": "lead",
        "progress_text": "进展",
        "evidence": None,
        "source_sha256": "a" * 64,
        "source_file": "x.xlsx",
        "source_sheet": "任务进展",
        "loaded_at": datetime.now(UTC).replace(tzinfo=None),
    }
    rows = [
        {
            **base,
            "task_no": 3,
            "status": "已完成",
            "percent_complete": 100,
            "completed_on": date(2015, 11, 30),
            "source_row": 4,
        },
        {
            **base,
            "task_no": 7,
            "status": "进行中",
            "percent_complete": 50,
            "completed_on": None,
            "source_row": 5,
        },
    ]
    suite = SUITES["stg_raw__submission_task_progress"]
    assert validate_dataframe(
        staged_frame("stg_raw__submission_task_progress", rows), suite
    ).success
    bad = [
        {**rows[0], "completed_on": None, "percent_complete": 90},  # 已完成 without date, < 100
        {**rows[1], "status": "完成了", "percent_complete": 120},
        {**rows[1], "task_no": 19, "source_row": 6, "completed_on": date(2015, 6, 1)},
        {**rows[1], "role": "owner", "source_row": 7, "task_no": 8},
        {**rows[1], "source_row": 8},  # task 7 twice in one version
    ]
    outcome = validate_dataframe(staged_frame("stg_raw__submission_task_progress", bad), suite)
    assert failures(outcome) == {
        ("expect_column_values_to_not_be_null", "completed_on where status == '已完成'"),
        ("expect_column_values_to_be_between", "percent_complete where status == '已完成'"),
        ("expect_column_values_to_be_in_set", "status"),
        ("expect_column_values_to_be_between", "percent_complete"),
        ("expect_column_values_to_be_in_set", "task_no"),
        ("expect_column_values_to_be_null", "completed_on where status != '已完成'"),
        ("expect_column_values_to_be_in_set", "role"),
        ("expect_compound_columns_to_be_unique", "source_sha256, task_no"),
    }


def test_gx_value_sets_match_the_seeds() -> None:
    def value_sets(name: str) -> dict[str, list]:
        document = json.loads(SUITES[name].read_text(encoding="utf-8"))
        return {
            entry["kwargs"]["column"]: entry["kwargs"]["value_set"]
            for entry in document["expectations"]
            if entry["type"] == "expect_column_values_to_be_in_set"
            and "row_condition" not in entry["kwargs"]
        }

    metrics = value_sets("stg_raw__submission_metric_values")
    submitted = {k for k, row in CATALOGUE.items() if row["source_feed"] == "submissions"}
    assert set(metrics["kpi_code"]) == submitted
    assert set(metrics["metric_kind"]) == {KINDS[k] for k in submitted} | {"ratio", "rank"}
    tasks = value_sets("stg_raw__submission_task_progress")
    assert set(tasks["task_no"]) == {int(r["task_no"]) for r in load_seed("ref_tasks")}
    assert set(tasks["role"]) == {r["role"] for r in load_seed("ref_task_units")}


def test_gx_lower_bounds_are_the_plan_year() -> None:
    """The suites hard-code the plan's first year (JSON has no vars): it must be dbt's plan_year."""
    plan_year = project_var("plan_year")
    bounds = {}
    for name, path in SUITES.items():
        for entry in json.loads(path.read_text(encoding="utf-8"))["expectations"]:
            kwargs = entry["kwargs"]
            column = kwargs.get("column")
            if entry["type"] == "expect_column_values_to_be_between" and column in (
                "period_year",
                "completed_on",
            ):
                bounds[(name, column)] = kwargs["min_value"]
                assert str(plan_year) in entry["meta"]["notes"], (name, column)
    assert bounds == {
        ("stg_raw__submission_metric_values", "period_year"): plan_year,
        ("stg_raw__submission_task_progress", "period_year"): plan_year,
        ("stg_raw__submission_task_progress", "completed_on"): f"{plan_year}-01-01T00:00:00",
    }


def test_dbt_build_time_on_the_fixture(built: Built) -> None:
    # not a timed test: recorded for the report (pytest -s shows it)
    assert built.dbt_seconds > 0
