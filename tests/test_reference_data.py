"""The seeds say what the plan says: verbatim quotes, every task led, every comparator known."""

from __future__ import annotations

import re

from orchestration.reference import load_seed
from orchestration.settings import DBT_PROJECT_DIR, PROJECT_ROOT

PLAN = (PROJECT_ROOT / "docs" / "plan" / "langfang-quality-action-plan-2015.txt").read_text(
    encoding="utf-8"
)
PLAN_FLAT = re.sub(r"\s+", "", PLAN)


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_every_catalogue_quote_is_verbatim_from_the_plan() -> None:
    for kpi in load_seed("ref_kpi_catalogue"):
        for fragment in kpi["plan_text"].split("｜"):
            assert _flat(fragment).strip("…") in PLAN_FLAT, (kpi["kpi_code"], fragment)


def test_the_eighteen_tasks_are_verbatim_and_each_has_a_lead_unit() -> None:
    tasks = load_seed("ref_tasks")
    assert [int(t["task_no"]) for t in tasks] == list(range(1, 19))
    for task in tasks:
        assert _flat(task["content"]) in PLAN_FLAT, task["task_no"]
    leads = {row["task_no"] for row in load_seed("ref_task_units") if row["role"] == "lead"}
    assert leads == {t["task_no"] for t in tasks}


def test_county_tasks_are_assigned_to_all_eleven_county_level_units() -> None:
    counties = {c["county_code"] for c in load_seed("ref_counties")}
    assert len(counties) == 11
    for task_no in ("1", "2", "18"):
        leads = {
            r["unit_code"]
            for r in load_seed("ref_task_units")
            if r["task_no"] == task_no and r["role"] == "lead"
        }
        assert {f"GOV_{code}" for code in counties} <= leads, task_no


def test_every_comparator_is_evaluated_by_the_status_macro() -> None:
    macro = (DBT_PROJECT_DIR / "macros" / "kpi_status.sql").read_text(encoding="utf-8")
    handled = set(re.findall(r"= '([a-z_]+)' then", macro))
    used = {kpi["comparator"] for kpi in load_seed("ref_kpi_catalogue")}
    assert used <= handled, used - handled


def test_the_section_two_targets_named_in_the_brief_are_catalogued() -> None:
    targets = {
        (k["kpi_code"], k["comparator"], k["target_value"]) for k in load_seed("ref_kpi_catalogue")
    }
    for expected in [
        ("MFG_PASS_RATE", "gte", "92"),
        ("AGRI_MONITOR_PASS_RATE", "gte", "97"),
        ("CONSTRUCTION_ACCEPTANCE_PASS_RATE", "eq", "100"),
        ("SERVICE_SATISFACTION", "gte", "80"),
        ("URBAN_SEWAGE_TREATMENT_RATE", "gte", "60"),
        ("DRINKING_WATER_COMPLIANCE_RATE", "gte", "90"),
        ("FRUIT_FOREST_SAMPLING_BATCHES", "gte", "200"),
        ("NEW_MEASUREMENT_STANDARDS", "gte", "30"),
        ("COMPLAINT_CLOSURE_RATE", "eq", "100"),
        ("REGIONAL_SYSTEMIC_INCIDENTS", "zero_events", ""),
    ]:
        assert expected in targets, expected
