{#- The current rows of a feed's staged table: those of the latest delivery in each slot
    (int_deliveries__ranked), with the slot beside them. Every int_<feed>__current model is
    this one select, so "current" means the same for every feed. -#}
{% macro current_delivery_rows(staging_model, feed) -%}
select
    staged.*,
    deliveries.delivery_source,
    deliveries.delivery_period,
    deliveries.received_at,
    deliveries.version_no as delivery_version
from {{ ref(staging_model) }} as staged
inner join {{ ref('int_deliveries__ranked') }} as deliveries
    on
        deliveries.source_sha256 = staged.source_sha256
        and deliveries.feed = '{{ feed }}'
where deliveries.is_current
{%- endmacro %}
