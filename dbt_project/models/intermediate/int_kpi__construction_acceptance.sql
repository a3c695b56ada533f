-- KPIs of 建设工程竣工验收 per calendar year, for the city and each county-level unit
-- (readings and their reasons: docs/feeds/construction_acceptance.md → KPIs):
-- * CONSTRUCTION_ACCEPTANCE_PASS_RATE 竣工交付使用建设工程质量合格率: a project counts once, in
--   the year of its first acceptance on record (the year it was completed), and is 合格 when
--   the last of its acceptances in that year passed. A refusal put right in the same year
--   counts as 合格; a project still refused on 31 December counts against that year, and its
--   re-acceptance in a later year is not counted again.
-- * CONSTRUCTION_LIFETIME_RESPONSIBILITY_COVERAGE 工程质量终身责任制度实行率: projects accepted
--   (合格) in the year with all three records (承诺书, 永久性标牌, 质量信息档案; a blank counts as
--   not in place) at their last passing acceptance, over the projects accepted in the year.
-- Every year with acceptances gets a row for the city and every county; a scope without
-- projects has numerator 0, denominator 0 and no value (不适用).

with

acceptances as (

    select * from {{ ref('int_construction_acceptance__current') }}

),

counties as (

    select * from {{ ref('ref_counties') }}

),

dated as (

    select
        *,
        min(accepted_on) over (partition by project_id) as first_accepted_on
    from acceptances

),

completed_projects as (

    select
        project_id,
        min(acceptance_year) as kpi_year,
        arg_min(county_code, accepted_on) as county_code,
        arg_max(is_pass, accepted_on) as is_counted,
        count(*) as source_rows
    from dated
    where acceptance_year = year(first_accepted_on)
    group by project_id

),

accepted_projects as (

    select
        project_id,
        acceptance_year as kpi_year,
        arg_max(county_code, accepted_on) as county_code,
        arg_max(has_all_lifetime_records, accepted_on) as is_counted,
        count(*) as source_rows
    from acceptances
    where is_pass
    group by project_id, acceptance_year

),

projects as (

    select
        'CONSTRUCTION_ACCEPTANCE_PASS_RATE' as kpi_code,
        kpi_year,
        county_code,
        is_counted,
        source_rows
    from completed_projects
    union all
    select
        'CONSTRUCTION_LIFETIME_RESPONSIBILITY_COVERAGE' as kpi_code,
        kpi_year,
        county_code,
        is_counted,
        source_rows
    from accepted_projects

),

-- each project counts for the city and for its county
project_scopes as (

    select
        kpi_code,
        kpi_year,
        'city' as scope_type,
        '{{ var("city_code") }}' as scope_code,
        is_counted,
        source_rows
    from projects
    union all
    select
        kpi_code,
        kpi_year,
        'county' as scope_type,
        county_code as scope_code,
        is_counted,
        source_rows
    from projects

),

kpis as (

    select 'CONSTRUCTION_ACCEPTANCE_PASS_RATE' as kpi_code
    union all
    select 'CONSTRUCTION_LIFETIME_RESPONSIBILITY_COVERAGE' as kpi_code

),

years as (

    select distinct acceptance_year as kpi_year from acceptances

),

scopes as (

    select
        'city' as scope_type,
        '{{ var("city_code") }}' as scope_code
    union all
    select
        'county' as scope_type,
        county_code as scope_code
    from counties

),

grid as (

    select
        kpis.kpi_code,
        years.kpi_year,
        scopes.scope_type,
        scopes.scope_code
    from kpis
    cross join years
    cross join scopes

),

tallied as (

    select
        grid.kpi_code,
        grid.kpi_year,
        grid.scope_type,
        grid.scope_code,
        count(*) filter (where project_scopes.is_counted) as numerator,
        count(project_scopes.kpi_code) as denominator,
        coalesce(sum(project_scopes.source_rows), 0) as source_rows
    from grid
    left join project_scopes
        on
            grid.kpi_code = project_scopes.kpi_code
            and grid.kpi_year = project_scopes.kpi_year
            and grid.scope_type = project_scopes.scope_type
            and grid.scope_code = project_scopes.scope_code
    group by grid.kpi_code, grid.kpi_year, grid.scope_type, grid.scope_code

)

select
    kpi_code,
    cast(kpi_year as integer) as kpi_year,
    scope_type,
    scope_code,
    cast(numerator as double) as numerator,
    cast(denominator as double) as denominator,
    round(100.0 * numerator / nullif(denominator, 0), 4) as actual_value,
    cast(null as double) as reported_prior_value,
    cast(source_rows as bigint) as source_rows
from tallied
