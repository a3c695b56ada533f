{#- The current rows of a feed's staged table: those of the latest delivery in each slot
    (int_deliveries__ranked), with the slot beside them. Every int_<feed>__current model is
    this one select, so "current" means the same for every feed.

    Incremental by delivered file (the big feeds' models: config current_delivery_config()).
    A current file is known by its slot, sha256, version and receipt (the delivery columns
    its rows carry), and a file's rows never change once loaded. So an incremental run
    1. deletes (pre-hook delete_replaced_delivery_rows) the rows of every file that is not,
       or no longer as it is in the table, the current delivery of its slot: a corrected
       re-delivery's predecessor, all of it, whatever the correction holds (fewer rows, or
       none: a header-only "none");
    2. inserts (this select, append) the rows of every current file not in the table.
    Slots that received nothing are not rewritten; a quarantined-only or rejected file is not
    current (int_deliveries__ranked), so it changes nothing. Both steps are one transaction,
    and the result is the --full-refresh result by construction. -#}
{% macro current_delivery_rows(staging_model, feed) -%}
with

deliveries as (

    select
        ranked.source_sha256,
        ranked.delivery_source,
        ranked.delivery_period,
        ranked.received_at,
        ranked.version_no
    from {{ ref('int_deliveries__ranked') }} as ranked
    where
        ranked.feed = '{{ feed }}'
        and ranked.is_current
        {%- if is_incremental() %}
        and not exists (
            select 1
            from {{ this }} as present
            where {{ _same_delivery('present', 'ranked') }}
        )
        {%- endif %}

)

select
    staged.*,
    deliveries.delivery_source,
    deliveries.delivery_period,
    deliveries.received_at,
    deliveries.version_no as delivery_version
from {{ ref(staging_model) }} as staged
inner join deliveries
    on staged.source_sha256 = deliveries.source_sha256
{%- endmacro %}

{#- The config of an int_<feed>__current model built incrementally by delivered file (see
    current_delivery_rows). A change of the model's columns fails the run: rebuild with
    `dbt build --full-refresh` (docs/dbt-tests.md). -#}
{% macro current_delivery_config(feed) -%}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=["{{ delete_replaced_delivery_rows('" ~ feed ~ "') }}"],
) }}
{%- endmacro %}

{#- Step 1 of an incremental run of an int_<feed>__current model: delete the rows of the files
    that are not the current delivery of their slot as int_deliveries__ranked says now (same
    slot, version and receipt). Nothing on a first or --full-refresh build. -#}
{% macro delete_replaced_delivery_rows(feed) -%}
{%- if is_incremental() %}
delete from {{ this }} as present
where not exists (
    select 1
    from {{ ref('int_deliveries__ranked') }} as deliveries
    where
        deliveries.feed = '{{ feed }}'
        and deliveries.is_current
        and {{ _same_delivery('present', 'deliveries') }}
)
{%- endif %}
{%- endmacro %}

{#- A row of an int_<feed>__current table (`present`) belongs to a delivery of
    int_deliveries__ranked: same file, slot (the source may be null), version and receipt. -#}
{% macro _same_delivery(present, deliveries) -%}
{{ present }}.source_sha256 = {{ deliveries }}.source_sha256
            and {{ present }}.delivery_source is not distinct from {{ deliveries }}.delivery_source
            and {{ present }}.delivery_period = {{ deliveries }}.delivery_period
            and {{ present }}.delivery_version = {{ deliveries }}.version_no
            and {{ present }}.received_at is not distinct from {{ deliveries }}.received_at
{%- endmacro %}
