{#- The grain of a table: one row per combination of `columns` (a null is a value, as in
    GROUP BY), and no null in the `required` columns (the key's own columns among them, when
    they must be filled). One test per table instead of a uniqueness test and a not_null test
    per column. A failing row is a duplicated key (rows_with_key > 1) or a row with a missing
    required value. -#}
{% test grain(model, columns, required=[]) %}
select
    {{ columns | join(', ') }},
    count(*) as rows_with_key
from {{ model }}
group by {{ columns | join(', ') }}
having
    count(*) > 1
    {%- for column in required %}
    or count(*) filter (where {{ column }} is null) > 0
    {%- endfor %}
{% endtest %}
