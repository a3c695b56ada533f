with

source as (

    select * from {{ source('raw', 'sewage') }}

),

renamed as (

    select
        stat_month,
        cast(year(stat_month) as integer) as stat_year,
        cast(month(stat_month) as integer) as stat_month_no,
        row_type,
        row_type_original,
        row_type = 'plant' as is_plant_row,
        plant_code,
        plant_code_original,
        design_capacity as design_capacity_10k_t_per_day,
        days_operated,
        treated_volume as treated_volume_10k_t,
        generated_volume as generated_volume_10k_t,
        remarks,
        _source_sha256 as source_sha256,
        _source_file as source_file,
        _source_row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
