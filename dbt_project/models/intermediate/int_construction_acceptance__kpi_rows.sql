-- 建设工程竣工验收（计入指标的验收记录）: one row per current acceptance row, KPI and scope it
-- counts in, with its project (单位工程) and whether that project is in the numerator. Both
-- construction KPIs count projects, not acceptances (docs/feeds/construction_acceptance.md):
-- * CONSTRUCTION_ACCEPTANCE_PASS_RATE: a project counts once, in the year of its first
--   acceptance on record, 合格 when the last of its acceptances in that year passed; its rows
--   are every acceptance of that year (a refusal put right in the year included).
-- * CONSTRUCTION_LIFETIME_RESPONSIBILITY_COVERAGE: a project accepted (合格) in the year,
--   counted when its last passing acceptance had all three lifetime-responsibility records;
--   its rows are its passing acceptances of the year.
-- int_kpi__construction_acceptance aggregates these rows (projects = distinct project_id) and
-- int_kpi_lineage__construction_acceptance lists them, so both read one set of rules.

with

acceptances as (

    select * from {{ ref('int_construction_acceptance__current') }}

),

dated as (

    select
        *,
        min(accepted_on) over (partition by project_id) as first_accepted_on
    from acceptances

),

completion_rows as (

    select * from dated
    where acceptance_year = year(first_accepted_on)

),

completed_projects as (

    select
        project_id,
        min(acceptance_year) as kpi_year,
        arg_min(county_code, accepted_on) as county_code,
        arg_max(is_pass, accepted_on) as is_counted
    from completion_rows
    group by project_id

),

passing_rows as (

    select * from acceptances
    where is_pass

),

accepted_projects as (

    select
        project_id,
        acceptance_year as kpi_year,
        arg_max(county_code, accepted_on) as county_code,
        arg_max(has_all_lifetime_records, accepted_on) as is_counted
    from passing_rows
    group by project_id, acceptance_year

),

project_rows as (

    select
        'CONSTRUCTION_ACCEPTANCE_PASS_RATE' as kpi_code,
        completed_projects.kpi_year,
        completed_projects.county_code,
        completed_projects.project_id,
        completed_projects.is_counted,
        completion_rows.source_sha256,
        completion_rows.source_row
    from completed_projects
    inner join completion_rows
        on completed_projects.project_id = completion_rows.project_id

    union all

    select
        'CONSTRUCTION_LIFETIME_RESPONSIBILITY_COVERAGE' as kpi_code,
        accepted_projects.kpi_year,
        accepted_projects.county_code,
        accepted_projects.project_id,
        accepted_projects.is_counted,
        passing_rows.source_sha256,
        passing_rows.source_row
    from accepted_projects
    inner join passing_rows
        on
            accepted_projects.project_id = passing_rows.project_id
            and accepted_projects.kpi_year = passing_rows.acceptance_year

),

-- each project counts for the city and for its county
scoped as (

    select
        kpi_code,
        kpi_year,
        'city' as scope_type,
        '{{ var("city_code") }}' as scope_code,
        project_id,
        is_counted,
        source_sha256,
        source_row
    from project_rows

    union all

    select
        kpi_code,
        kpi_year,
        'county' as scope_type,
        county_code as scope_code,
        project_id,
        is_counted,
        source_sha256,
        source_row
    from project_rows

)

select
    kpi_code,
    cast(kpi_year as integer) as kpi_year,
    scope_type,
    scope_code,
    project_id,
    is_counted,
    source_sha256,
    cast(source_row as integer) as source_row
from scoped
