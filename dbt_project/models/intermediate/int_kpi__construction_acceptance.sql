-- KPIs of 建设工程竣工验收 per calendar year, for the city and each county-level unit
-- (readings and their reasons: docs/feeds/construction_acceptance.md → KPIs), counted per
-- project over the rows of int_construction_acceptance__kpi_rows (which rows count, and when
-- a project is in the numerator, is decided there):
-- * CONSTRUCTION_ACCEPTANCE_PASS_RATE 竣工交付使用建设工程质量合格率: projects 合格 by the end of
--   the year of their first acceptance / projects first presented for acceptance in the year.
-- * CONSTRUCTION_LIFETIME_RESPONSIBILITY_COVERAGE 工程质量终身责任制度实行率: projects accepted
--   (合格) in the year with all three records (承诺书, 永久性标牌, 质量信息档案) at their last
--   passing acceptance, over the projects accepted in the year.
-- Every year with acceptances gets a row for the city and every county; a scope without
-- projects has numerator 0, denominator 0 and no value (不适用).

with

acceptances as (

    select * from {{ ref('int_construction_acceptance__current') }}

),

kpi_rows as (

    select * from {{ ref('int_construction_acceptance__kpi_rows') }}

),

counties as (

    select * from {{ ref('ref_counties') }}

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

-- a project has one is_counted per KPI and year, on each of its rows
tallied as (

    select
        kpi_code,
        kpi_year,
        scope_type,
        scope_code,
        count(distinct project_id) filter (where is_counted) as numerator,
        count(distinct project_id) as denominator,
        count(*) as source_rows
    from kpi_rows
    group by kpi_code, kpi_year, scope_type, scope_code

),

gridded as (

    select
        grid.kpi_code,
        grid.kpi_year,
        grid.scope_type,
        grid.scope_code,
        coalesce(tallied.numerator, 0) as numerator,
        coalesce(tallied.denominator, 0) as denominator,
        coalesce(tallied.source_rows, 0) as source_rows
    from grid
    left join tallied
        on
            grid.kpi_code = tallied.kpi_code
            and grid.kpi_year = tallied.kpi_year
            and grid.scope_type = tallied.scope_type
            and grid.scope_code = tallied.scope_code

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
    -- every acceptance row of the counted projects: the value's lineage rows
    cast(source_rows as bigint) as source_rows
from gridded
