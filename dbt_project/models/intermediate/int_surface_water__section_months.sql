-- 断面逐次水质类别: the GB 3838-2002 class of every current sample (section × sampling day)
-- by the single-factor method (macro gb3838_classify; docs/feeds/surface_water.md).

with

samples as (

    select
        current_rows.*,
        sections.river,
        sections.position,
        sections.is_lake_reservoir
    from {{ ref('int_surface_water__current') }} as current_rows
    inner join {{ ref('ref_surface_water_sections') }} as sections
        on current_rows.section_code = sections.section_code

),

classified as (

    {{ gb3838_classify('samples', ['section_code', 'sampled_on']) }}

)

select
    samples.section_code,
    samples.river,
    samples.position,
    samples.is_lake_reservoir,
    samples.sampled_on,
    samples.sample_year,
    samples.sample_month,
    samples.cod,
    samples.nh3n,
    samples.tp,
    samples.dissolved_oxygen,
    samples.codmn,
    samples.bod5,
    classified.cod_class_rank,
    classified.nh3n_class_rank,
    classified.tp_class_rank,
    classified.dissolved_oxygen_class_rank,
    classified.codmn_class_rank,
    classified.bod5_class_rank,
    classified.class_rank,
    {{ gb3838_class_label('classified.class_rank') }} as water_class,
    samples.delivered_class,
    samples.source_sha256,
    samples.source_file,
    samples.source_row
from samples
inner join classified
    on
        samples.section_code = classified.section_code
        and samples.sampled_on = classified.sampled_on
