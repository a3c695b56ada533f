with

source as (

    select * from {{ source('raw', 'surface_water') }}

),

renamed as (

    select
        section_code,
        section_code_original,
        river_name,
        sampled_on,
        cast(year(sampled_on) as integer) as sample_year,
        cast(month(sampled_on) as integer) as sample_month,
        water_temp,
        dissolved_oxygen,
        codmn,
        codmn_original,
        cod,
        cod_original,
        bod5,
        bod5_original,
        nh3n,
        nh3n_original,
        tp,
        tp_original,
        delivered_class,
        delivered_class_original,
        remarks,
        _source_sha256 as source_sha256,
        _source_file as source_file,
        _source_row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
