-- 河流出入境断面水质对比（展示）: per river and year, the inbound and outbound sections, their
-- annual classes and means, and the verdict in Chinese labels (优于 / 未优于 / 无法评价).

with

river_years as (

    select * from {{ ref('int_surface_water__river_years') }}

),

sections as (

    select * from {{ ref('ref_surface_water_sections') }}

)

select
    river_years.river,
    river_years.sample_year as assessment_year,
    inbound.section_name as inbound_section_name,
    outbound.section_name as outbound_section_name,
    coalesce(river_years.inbound_class, '无监测数据') as inbound_class,
    coalesce(river_years.outbound_class, '无监测数据') as outbound_class,
    round(river_years.inbound_cod, 2) as inbound_cod,
    round(river_years.outbound_cod, 2) as outbound_cod,
    round(river_years.inbound_nh3n, 3) as inbound_nh3n,
    round(river_years.outbound_nh3n, 3) as outbound_nh3n,
    round(river_years.inbound_tp, 3) as inbound_tp,
    round(river_years.outbound_tp, 3) as outbound_tp,
    river_years.inbound_months_sampled,
    river_years.outbound_months_sampled,
    river_years.is_evaluable,
    river_years.is_outbound_better,
    case
        when not river_years.is_evaluable then '无法评价'
        when river_years.is_outbound_better then '优于'
        else '未优于'
    end as comparison_result,
    case
        when not river_years.is_evaluable then '缺少入境或出境断面当年监测数据'
        when river_years.comparison_basis = 'class' then '按年均水质类别比较'
        else '同类别，按COD、氨氮、总磷年均浓度比较'
    end as comparison_basis
from river_years
inner join sections as inbound
    on river_years.inbound_section_code = inbound.section_code
inner join sections as outbound
    on river_years.outbound_section_code = outbound.section_code
