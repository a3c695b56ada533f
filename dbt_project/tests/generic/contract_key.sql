{#- One row per key of the feed's contract (orchestration/feeds/<feed>.yaml `key`, read through
    the generated macro contract_key_columns): the current rows of a feed keep one delivery per
    key. A null part of a key is a value (as in GROUP BY and the loader's duplicate check); a
    row whose key is wholly empty has no key and is not checked. -#}
{% test contract_key(model, feed) %}
{%- set columns = contract_key_columns(feed) %}
select
    {{ columns | join(', ') }},
    count(*) as rows_with_key
from {{ model }}
where
    {%- for column in columns %}
    {{ 'or ' if not loop.first }}{{ column }} is not null
    {%- endfor %}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
