-- 河流出入境水质对比: per river with an 入境 and an 出境 section (ref_surface_water_sections)
-- and per year with samples, the two sections' annual classes and whether the outbound water
-- is better (catalogue SURFACE_WATER_OUTBOUND_BETTER): a strictly better outbound class; in
-- the same class (both 劣Ⅴ included) COD, 氨氮 and 总磷 annual means all lower at the outbound
-- section. A river without both sections' samples in the year is not evaluable (null).

with

sections as (

    select * from {{ ref('ref_surface_water_sections') }}

),

section_years as (

    select * from {{ ref('int_surface_water__section_years') }}

),

rivers as (

    select
        river,
        any_value(section_code) filter (where position = '入境') as inbound_section_code,
        any_value(section_code) filter (where position = '出境') as outbound_section_code
    from sections
    where position in ('入境', '出境')
    group by river

),

years as (

    select distinct sample_year from section_years

),

paired as (

    select
        rivers.river,
        years.sample_year,
        rivers.inbound_section_code,
        rivers.outbound_section_code,
        inbound.class_rank as inbound_class_rank,
        outbound.class_rank as outbound_class_rank,
        inbound.water_class as inbound_class,
        outbound.water_class as outbound_class,
        inbound.cod as inbound_cod,
        outbound.cod as outbound_cod,
        inbound.nh3n as inbound_nh3n,
        outbound.nh3n as outbound_nh3n,
        inbound.tp as inbound_tp,
        outbound.tp as outbound_tp,
        coalesce(inbound.months_sampled, 0) as inbound_months_sampled,
        coalesce(outbound.months_sampled, 0) as outbound_months_sampled,
        coalesce(inbound.samples, 0) + coalesce(outbound.samples, 0) as source_rows,
        inbound.class_rank is not null and outbound.class_rank is not null as is_evaluable
    from rivers
    cross join years
    left join section_years as inbound
        on
            rivers.inbound_section_code = inbound.section_code
            and years.sample_year = inbound.sample_year
    left join section_years as outbound
        on
            rivers.outbound_section_code = outbound.section_code
            and years.sample_year = outbound.sample_year

)

select
    *,
    case
        when not is_evaluable then null
        when outbound_class_rank < inbound_class_rank then 'class'
        when outbound_class_rank > inbound_class_rank then 'class'
        else 'concentration'
    end as comparison_basis,
    case
        when not is_evaluable then null
        when outbound_class_rank < inbound_class_rank then true
        when outbound_class_rank > inbound_class_rank then false
        else
            outbound_cod < inbound_cod
            and outbound_nh3n < inbound_nh3n
            and outbound_tp < inbound_tp
    end as is_outbound_better
from paired
