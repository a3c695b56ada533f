"""The environmental targets together, on the shared pipeline: every environmental catalogue
KPI has a row per assessment year in fct_city_targets with a target rule and a status (a value,
or the reason there is none), and 环境状况持续好转 equals an independent calculation from its
four components' city values of the year and the year before."""

from __future__ import annotations

import duckdb

from orchestration.reference import load_seed
from tests.conftest import Pipeline

ENVIRONMENT = "ENVIRONMENT_CONTINUOUS_IMPROVEMENT"
# the catalogue's source_feed of the environmental KPIs (air_quality: both air feeds)
FEEDS = {"air_quality", "surface_water", "drinking_water", "sewage"}
# component → how this year's value must compare with last year's (catalogue interpretation)
COMPONENTS = {
    "AIR_PM25_ANNUAL_MEAN": "lower",
    "DRINKING_WATER_COMPLIANCE_RATE": "not_lower",
    "URBAN_SEWAGE_TREATMENT_RATE": "not_lower",
    "SURFACE_WATER_OUTBOUND_BETTER": "rivers_not_fewer",
}


def _rows(pipeline: Pipeline, sql: str) -> list[tuple]:
    with duckdb.connect(str(pipeline.warehouse), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_every_environmental_kpi_has_a_status_every_year(pipeline: Pipeline) -> None:
    codes = {r["kpi_code"] for r in load_seed("ref_kpi_catalogue") if r["source_feed"] in FEEDS}
    assert len(codes) == 6
    rows = _rows(
        pipeline,
        "select kpi_code, assessment_year, actual_value, status, data_note "
        "from marts.fct_city_targets where source_feed in "
        "('air_quality', 'surface_water', 'drinking_water', 'sewage') order by all",
    )
    years = {r[1] for r in rows}
    assert years == {2015, 2016}
    assert {(r[0], r[1]) for r in rows} == {(c, y) for c in codes for y in years}
    for code, year, actual, status, note in rows:
        assert status in {"met", "not_met", "no_data"}, (code, year)
        # a value, or the reason there is none — never a silent blank
        assert actual is not None or note, (code, year)
    computed = {(r[0], r[1]) for r in rows if r[2] is not None}
    # every environmental KPI but 双控 (no control value entered: docs) has a value both years
    assert computed == {(c, y) for c in codes - {"AIR_DUAL_CONTROL_TARGET"} for y in years}


def test_environment_improvement_equals_its_components(pipeline: Pipeline) -> None:
    values = {
        (code, year): (actual, numerator)
        for code, year, actual, numerator in _rows(
            pipeline,
            "select kpi_code, kpi_year, actual_value, numerator from marts.fct_kpi_values "
            "where scope_type = 'city'",
        )
    }
    result = {
        year: (actual, numerator, denominator)
        for year, actual, numerator, denominator in _rows(
            pipeline,
            "select kpi_year, actual_value, numerator, denominator from marts.fct_kpi_values "
            f"where kpi_code = '{ENVIRONMENT}' and scope_type = 'city'",
        )
    }
    assert {2015, 2016} <= set(result)
    for year in (2015, 2016):
        met = judged = 0
        for code, rule in COMPONENTS.items():
            now, before = values.get((code, year)), values.get((code, year - 1))
            if now is None or before is None or now[0] is None or before[0] is None:
                continue
            judged += 1
            if rule == "lower":
                met += now[0] < before[0]
            elif rule == "not_lower":
                met += now[0] >= before[0]
            else:  # the number of rivers whose outbound section is better
                met += now[1] >= before[1]
        expected_actual = float(met == 4) if judged == 4 else None
        assert result[year] == (expected_actual, met, judged), year
    # the sample's 2014 baseline makes both plan years judgeable on all four components
    assert all(result[year][2] == 4 for year in (2015, 2016))
