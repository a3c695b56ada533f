-- 指标追溯 (lineage): every source row counted in a KPI value — the delivered file (name,
-- sheet, where it is kept by content hash, when it was received) and the row in it — for the
-- city and each county. One row per (value, source row); the int_kpi_lineage__<name> models
-- list the rows each KPI model counts (their counts are tested against source_rows).

{% set lineage_models = [
    'int_kpi_lineage__spot_checks',
    'int_kpi_lineage__construction_acceptance',
    'int_kpi_lineage__special_equipment',
    'int_kpi_lineage__service_satisfaction',
    'int_kpi_lineage__complaints',
    'int_kpi_lineage__incidents',
    'int_kpi_lineage__submitted_metrics',
    'int_kpi_lineage__air_quality',
    'int_kpi_lineage__surface_water',
    'int_kpi_lineage__drinking_water',
    'int_kpi_lineage__sewage',
    'int_kpi_lineage__environment',
] %}

with

lineage as (

    {% for lineage_model in lineage_models %}
        select
            kpi_code,
            kpi_year,
            scope_type,
            scope_code,
            feed,
            source_sha256,
            source_row,
            source_part
        from {{ ref(lineage_model) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

feed_files as (

    select
        feed,
        source_sha256,
        source_file,
        source_sheet,
        stored_path,
        received_at
    from {{ ref('stg_raw__ingested_files') }}
    where file_status = 'loaded'

),

submission_files as (

    select
        'submissions' as feed,
        sha256 as source_sha256,
        source_file,
        '指标填报' as source_sheet,
        stored_path,
        received_at
    from {{ ref('stg_raw__submission_versions') }}

),

files as (

    select * from feed_files
    union all
    select * from submission_files

)

select
    lineage.kpi_code,
    cast(lineage.kpi_year as integer) as assessment_year,
    lineage.scope_type,
    lineage.scope_code,
    lineage.feed,
    files.source_file,
    files.source_sheet,
    lineage.source_row,
    lineage.source_part,
    lineage.source_sha256,
    files.stored_path,
    files.received_at
from lineage
left join files
    on
        lineage.feed = files.feed
        and lineage.source_sha256 = files.source_sha256
