-- 全市目标完成情况: every KPI of the catalogue for every assessment year, with the
-- city-wide value where one exists, and "暂无数据" with the reason where none does — the city
-- rows of fct_kpi_facts, with the catalogue's description of each target.

with

facts as (

    select * from {{ ref('fct_kpi_facts') }}
    where scope_type = 'city'

),

catalogue as (

    select * from {{ ref('ref_kpi_catalogue') }}

)

select
    facts.kpi_code,
    facts.kpi_name,
    catalogue.category,
    facts.assessment_year,
    facts.unit,
    facts.comparator,
    facts.target_value,
    facts.target_scope,
    facts.owner_unit_code,
    facts.source_feed,
    catalogue.plan_clause,
    catalogue.period_rule,
    facts.actual_value,
    facts.numerator,
    facts.denominator,
    facts.prior_year_value,
    facts.prior_value_source,
    facts.yoy_change,
    facts.status,
    facts.status_label,
    facts.data_note,
    facts.source_rows
from facts
inner join catalogue on facts.kpi_code = catalogue.kpi_code
