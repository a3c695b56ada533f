-- 断面年度水质: per section and calendar year the arithmetic mean of each factor over the
-- year's samples (a result below the detection limit enters as half the limit) and the class
-- of those annual means by the single-factor method (《地表水环境质量评价办法（试行）》
-- 一、(二) 3 年度评价; docs/feeds/surface_water.md).

with

samples as (

    select * from {{ ref('int_surface_water__section_months') }}

),

annual as (

    select
        section_code,
        sample_year,
        any_value(river) as river,
        any_value(position) as position,  -- noqa: RF04
        bool_or(is_lake_reservoir) as is_lake_reservoir,
        count(*) as samples,
        count(distinct sample_month) as months_sampled,
        avg(cod) as cod,
        avg(nh3n) as nh3n,
        avg(tp) as tp,
        avg(dissolved_oxygen) as dissolved_oxygen,
        avg(codmn) as codmn,
        avg(bod5) as bod5
    from samples
    group by section_code, sample_year

),

classified as (

    {{ gb3838_classify('annual', ['section_code', 'sample_year']) }}

)

select
    annual.section_code,
    annual.river,
    annual.position,
    annual.is_lake_reservoir,
    annual.sample_year,
    annual.samples,
    annual.months_sampled,
    annual.cod,
    annual.nh3n,
    annual.tp,
    annual.dissolved_oxygen,
    annual.codmn,
    annual.bod5,
    classified.cod_class_rank,
    classified.nh3n_class_rank,
    classified.tp_class_rank,
    classified.dissolved_oxygen_class_rank,
    classified.codmn_class_rank,
    classified.bod5_class_rank,
    classified.class_rank,
    {{ gb3838_class_label('classified.class_rank') }} as water_class
from annual
inner join classified
    on
        annual.section_code = classified.section_code
        and annual.sample_year = classified.sample_year
