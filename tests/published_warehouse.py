"""A hand-made working warehouse with the marts the publication reads, for publication tests
that need no dbt: one row per table and year, values chosen by the test."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb


def make_warehouse(
    path: Path, years: Sequence[int] = (2015,), actual: float = 93.1, kpi_score: float = 80.0
) -> Path:
    """(Re)write the marts: the city target MFG_PASS_RATE = `actual` and a county's
    kpi_score = `kpi_score` in every year."""
    year_list = ", ".join(str(y) for y in years)
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema if not exists marts")
        conn.execute("create schema if not exists raw")
        conn.execute(
            "create or replace table raw.ingested_files as "
            "select 'spot_checks' as feed, 'a.csv' as source_file, 'abc' as sha256, "
            "'loaded' as status"
        )
        conn.execute(
            "create or replace table marts.dim_assessment_years as "
            f"select unnest([{year_list}])::integer as assessment_year"
        )
        conn.execute(f"""
            create or replace table marts.fct_city_targets as
            select kpi_code, assessment_year, {actual}::double as actual_value
            from marts.dim_assessment_years,
                 (values ('MFG_PASS_RATE'), ('FOOD_SAMPLING_FAIL_DETECTION_RATE')) k(kpi_code)""")
        conn.execute("""
            create or replace table marts.fct_kpi_facts as
            select 'MFG_PASS_RATE' as kpi_code, assessment_year,
                   'county' as scope_type, '131022' as scope_code, 90.5::double as actual_value
            from marts.dim_assessment_years""")
        for table in ("fct_county_scorecard", "fct_unit_scorecard"):
            conn.execute(f"""
                create or replace table marts.{table} as
                select assessment_year, unit_code, {kpi_score}::double as kpi_score,
                       1 as score_rank
                from marts.dim_assessment_years, (values ('GAX')) u(unit_code)""")
        conn.execute("""
            create or replace table marts.fct_assessment_items as
            select 'county' as scorecard, assessment_year, 'GAX' as unit_code,
                   'kpi' as component, 'MFG_PASS_RATE' as item_code, 1.0::double as score_rate
            from marts.dim_assessment_years""")
        conn.execute("""
            create or replace table marts.fct_kpi_lineage as
            select 'MFG_PASS_RATE' as kpi_code, assessment_year, 'county' as scope_type,
                   '131022' as scope_code, 'spot_checks' as feed, 'abc' as source_sha256,
                   2 as source_row, null::varchar as source_part,
                   'spot_checks/x.csv' as source_file
            from marts.dim_assessment_years""")
    return path


def query(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(sql).fetchall()
